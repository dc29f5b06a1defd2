import AsyncHTTPClient
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
        var request = HTTPClientRequest(url: baseURL + path + Self.queryString(query))
        request.method = method
        request.headers.add(name: "accept", value: "application/json")
        for (name, value) in credentialHeaders { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: contentType ?? "application/json")
            request.body = .bytes(body)
        }
        let response: HTTPClientResponse
        let bytes: [UInt8]
        do {
            response = try await http.execute(request, timeout: Self.timeAmount(configuration.timeout), logger: logger)
            bytes = Array(buffer: try await response.body.collect(upTo: configuration.maxResponseBytes))
        } catch {
            // Cancellation is the caller's decision, not the server's failure: pass it on as such.
            if Task.isCancelled { throw CancellationError() }
            throw HeraldError(.unreachable, "cannot reach the Herald server at \(baseURL) (\(method) \(path)): \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            throw HeraldError(answer: bytes, status: Int(response.status.code))
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

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
