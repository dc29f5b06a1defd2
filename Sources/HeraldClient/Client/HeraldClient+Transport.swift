import Foundation
import HeraldCore
import NIOCore
import NIOHTTP1

extension HeraldClient {
    /// `Authorization: Bearer <token>` when the configuration has a token: on every request and stream.
    var credentialHeaders: [(String, String)] {
        configuration.token.map { [("Authorization", "Bearer \($0)")] } ?? []
    }

    /// Sends one request and answers the body of a 2xx answer; any other answer is thrown as
    /// the `HeraldError` in its body.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        body: [UInt8]? = nil,
        contentType: String? = nil
    ) async throws -> [UInt8] {
        let reply: HTTPReply
        do {
            let pool = try connections.get()
            var request = PreparedRequest(
                method, pool.endpoint, path + Self.queryString(query), body: body.map { ByteBuffer(bytes: $0) }, contentType: contentType
            )
            request.head.headers.add(name: "Accept", value: "application/json")
            for (name, value) in credentialHeaders { request.head.headers.add(name: name, value: value) }
            reply = try await pool.execute(request, deadline: .now() + TimeAmount(configuration.timeout))
        } catch {
            // Cancellation is the caller's decision, not the server's failure: pass it on as such.
            if Task.isCancelled { throw CancellationError() }
            logger?.debug("request failed", metadata: ["http.method": "\(method)", "http.path": "\(path)", "error": "\(error)"])
            throw HeraldError(.unreachable, "cannot reach the Herald server at \(baseURL) (\(method) \(path)): \(error)")
        }
        logger?.debug("request answered", metadata: ["http.method": "\(method)", "http.path": "\(path)", "http.status": "\(reply.status.code)"])
        let bytes = Array(reply.body.readableBytesView)
        guard reply.isSuccess else {
            throw HeraldError(answer: bytes, status: Int(reply.status.code))
        }
        return bytes
    }

    /// `?a=1&b=x%2Cy`, with every value percent-encoded (only RFC 3986 unreserved characters stay).
    static func queryString(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(percentEncoded($0.0))=\(percentEncoded($0.1))" }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
