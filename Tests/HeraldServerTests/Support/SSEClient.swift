import AsyncHTTPClient
import Foundation
import NIOCore

/// One SSE message as a client sees it.
struct SSEMessage: Sendable, Equatable {
    var id: String?
    var event: String
    var data: String

    /// The `seq` (run streams) or `position` field of the event JSON.
    func field(_ name: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
        return object[name] as? Int
    }
}

/// A minimal SSE reader over a streaming response, for tests: it reports messages, heartbeat
/// comments and the end of the stream.
final class SSEConnection: @unchecked Sendable {
    enum Item: Sendable, Equatable {
        case message(SSEMessage)
        case comment(String)
        case retry(Int)
    }

    let status: Int
    let headers: [(String, String)]
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var buffer: [UInt8] = []
    private var current = SSEMessage(id: nil, event: "message", data: "")
    private var hasData = false
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
            buffer += chunk.readableBytesView
            parseLines()
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

    private func parseLines() {
        while let newline = buffer.firstIndex(of: 0x0A) {
            let line = String(decoding: buffer[..<newline], as: UTF8.self)
            buffer.removeSubrange(...newline)
            if line.isEmpty {
                if hasData { ready.append(.message(current)) }
                current = SSEMessage(id: nil, event: "message", data: "")
                hasData = false
            } else if line.hasPrefix(":") {
                ready.append(.comment(String(line.dropFirst())))
            } else {
                let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let field = String(parts[0])
                var value = parts.count > 1 ? String(parts[1]) : ""
                if value.hasPrefix(" ") { value.removeFirst() }
                switch field {
                case "id": current.id = value
                case "event": current.event = value
                case "data":
                    current.data += hasData ? "\n" + value : value
                    hasData = true
                case "retry": ready.append(.retry(Int(value) ?? -1))
                default: break
                }
            }
        }
    }
}
