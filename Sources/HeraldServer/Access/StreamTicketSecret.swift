import Foundation
import HeraldCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The secret stream tickets are signed with. Every server that should accept a ticket needs
/// the same one: a restarted server finds it in its data folder (`stream-ticket.secret`, made at
/// first start, readable by the server's user only); replicas on PostgreSQL share a file given
/// with `--stream-ticket-secret-file`.
///
/// The file is text: its bytes, without surrounding whitespace, are the HMAC key (at least 32).
public enum StreamTicketSecret {
    /// The file's name in the data folder.
    public static let fileName = "stream-ticket.secret"
    /// The shortest secret taken: SHA-256's block of security.
    public static let minimumBytes = 32

    /// The secret in `path`; throws when it cannot be read or is too short.
    public static func read(_ path: String) throws(HeraldError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HeraldError(.invalidParameter, "--stream-ticket-secret-file: cannot read \(path)")
        }
        let secret = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard secret.count >= minimumBytes else {
            throw HeraldError(
                .invalidParameter,
                "--stream-ticket-secret-file: \(path) holds \(secret.count) bytes; a ticket secret needs at least \(minimumBytes) (e.g. head -c 32 /dev/urandom | base64 > \(path))"
            )
        }
        return secret
    }

    /// The data folder's secret, made (0600) when it does not exist yet. It is written whole to a
    /// file of its own and then linked into place, so two servers starting together agree on one.
    static func inDataFolder(_ folder: String) throws(HeraldError) -> [UInt8] {
        let path = folder + "/" + fileName
        if !FileManager.default.fileExists(atPath: path) {
            let temporary = path + ".\(random(count: 6).map { String($0, radix: 16) }.joined())"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else { throw failure("create", path) }
            defer { unlink(temporary) }
            let text = Array((Data(random(count: 32)).base64EncodedString() + "\n").utf8)
            let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor)
            close(descriptor)
            guard written == text.count, synced == 0 else { throw failure("write", path) }
            // Fails with EEXIST when another server linked its own first: that one is read below.
            if link(temporary, path) != 0, errno != EEXIST { throw failure("create", path) }
        }
        return try read(path)
    }

    private static func failure(_ verb: String, _ path: String) -> HeraldError {
        HeraldError(.unavailable, "cannot \(verb) the stream ticket secret \(path): \(String(cString: strerror(errno)))")
    }

    /// A secret of this process's own (an application built without a data folder or a file):
    /// its tickets are refused by any other process.
    static func random(count: Int = 32) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
