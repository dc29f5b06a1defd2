import NIOCore
import NIOPosix

/// Failures of a connection itself, as opposed to error statuses.
package enum HTTPConnectionError: Error, CustomStringConvertible {
    case requestInFlight
    case closed
    /// No byte of the answer for the read timeout.
    case readTimeout(TimeAmount)
    /// The request's whole time ran out.
    case timedOut
    /// The answer's body is larger than the limit.
    case responseTooLarge(limit: Int)
    /// The client was shut down.
    case shutDown
    /// No connection could be opened; the text says why.
    case cannotConnect(String)
    /// TLS for an `https://` server could not be set up.
    case tls(any Error)

    package var description: String {
        switch self {
        case .requestInFlight: "a request is already in flight on this connection"
        case .closed: "the server closed the connection"
        case .readTimeout(let timeout): "no answer for \(Self.seconds(timeout)) s (read timeout)"
        case .timedOut: "the request timed out"
        case .responseTooLarge(let limit): "the answer is larger than \(limit) bytes"
        case .shutDown: "the client is shut down"
        case .cannotConnect(let reason): reason
        case .tls(let error): "TLS: \(error)"
        }
    }

    /// Why a connection could not be opened, readably: NIO's own error lists every address it tried.
    static func cannotConnect(_ error: any Error, timeout: TimeAmount) -> HTTPConnectionError {
        if let error = error as? HTTPConnectionError { return error }
        if case .connectTimeout = error as? ChannelError {
            return .cannotConnect("no connection within \(seconds(timeout)) s (connect timeout)")
        }
        if let error = error as? NIOConnectionError, let last = error.connectionErrors.last {
            return .cannotConnect("\(last.error)")
        }
        return .cannotConnect("\(error)")
    }

    static func seconds(_ amount: TimeAmount) -> String {
        let seconds = Double(amount.nanoseconds) / 1e9
        return seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
