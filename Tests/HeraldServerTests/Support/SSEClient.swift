import AsyncHTTPClient
import Foundation
import HeraldCore
import NIOCore

typealias SSEMessage = SSEParser.Message

extension SSEParser.Message {
    /// A number field of the event JSON (`seq`, `position`, …).
    func field(_ name: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
        return object[name] as? Int
    }
}

/// A streaming response read with Herald's own SSE parser, for tests.
final class SSEConnection: @unchecked Sendable {
    typealias Item = SSEParser.Item

    let status: Int
    let headers: [(String, String)]
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var parser = SSEParser()
    private var ready: [Item] = []

    init(_ server: TestServer, _ path: String, headers: [(String, String)] = []) async throws {
        var request = HTTPClientRequest(url: server.base + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await server.client.execute(request, timeout: .seconds(60))
        status = Int(response.status.code)
        self.headers = response.headers.map { ($0.name, $0.value) }
        iterator = response.body.makeAsyncIterator()
    }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    /// The next item, or nil when the server ended the stream.
    func next() async throws -> Item? {
        while ready.isEmpty {
            guard let chunk = try await iterator.next() else { return nil }
            ready += parser.feed(chunk.readableBytesView)
        }
        return ready.removeFirst()
    }

    /// The next message, skipping comments and retry hints; nil at the end of the stream.
    func nextMessage() async throws -> SSEMessage? {
        while let item = try await next() {
            if case .message(let message) = item { return message }
        }
        return nil
    }

    /// Reads messages until `count` have arrived (or the stream ends).
    func messages(_ count: Int) async throws -> [SSEMessage] {
        var result: [SSEMessage] = []
        while result.count < count, let message = try await nextMessage() { result.append(message) }
        return result
    }

    /// Reads every message until the server ends the stream.
    func messagesUntilEnd() async throws -> [SSEMessage] {
        var result: [SSEMessage] = []
        while let message = try await nextMessage() { result.append(message) }
        return result
    }
}
