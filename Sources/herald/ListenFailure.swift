import Foundation
import NIOCore

/// Why `herald serve` could not open its listening socket, in words an operator can act on:
/// one line instead of the socket call and errno that NIO reports.
enum ListenFailure {
    /// The reason for `error`, thrown while binding `port`; nil when `error` is not a failure to listen.
    static func reason(_ error: any Error, port: Int) -> String? {
        if let error = error as? SocketAddressError.UnknownHost {
            return "no such host (\(error.errorDescription)); give --host an address of this machine"
        }
        guard let error = error as? IOError else { return nil }
        switch error.errnoCode {
        case EADDRINUSE:
            return "the address is in use (another herald? try --port 0 for any free port, or --port \(port == 65_535 ? port - 1 : port + 1))"
        case EACCES:
            return "permission denied (ports below 1024 need privileges: try --port 7373, or --port 0 for any free port)"
        case EADDRNOTAVAIL:
            return "the address is not one of this machine's (check --host)"
        default:
            return nil
        }
    }
}
