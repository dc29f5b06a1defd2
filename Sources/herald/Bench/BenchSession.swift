import ArgumentParser
import Foundation
import HeraldClient
import NIOCore
import NIOPosix

/// The client side of one bench run: its event loops and the server it talks to.
struct BenchSession: Sendable {
    let endpoint: HTTPEndpoint
    let group: MultiThreadedEventLoopGroup

    /// Runs `body` with a session whose event loops are shut down afterwards; fails early, with a
    /// hint, when no server answers.
    static func with<T: Sendable>(_ options: BenchServerOptions, _ body: (BenchSession) async throws -> T) async throws -> T {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        let session = BenchSession(endpoint: try options.endpoint, group: group)
        do {
            try await session.checkServer()
            let result = try await body(session)
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            fflush(nil)  // what was printed so far comes before the error ArgumentParser prints
            throw error
        }
    }

    /// Opens a keep-alive connection.
    func connect(localAddress: SocketAddress? = nil) async throws -> HTTPConnection {
        try await HTTPConnection.connect(to: endpoint, on: group.next(), localAddress: localAddress).get()
    }

    /// Opens `count` connections.
    func connect(count: Int) async throws -> [HTTPConnection] {
        var connections: [HTTPConnection] = []
        for _ in 0..<count { connections.append(try await connect()) }
        return connections
    }

    /// One request on a fresh connection.
    func request(_ request: PreparedRequest) async throws -> HTTPReply {
        let connection = try await connect()
        defer { connection.close() }
        return try await connection.send(request).get()
    }

    func checkServer() async throws {
        do {
            let reply = try await request(.get(endpoint, "/healthz"))
            guard reply.isSuccess else { throw BenchFailure("\(endpoint.authority)/healthz answered \(reply.status.code): \(reply.text)") }
        } catch let error as BenchFailure {
            throw error
        } catch {
            throw BenchFailure("no Herald server answers at http://\(endpoint.authority) (\(error)); start one with `herald serve`")
        }
    }

    /// A run name no earlier bench used: `bench-<mode>-<base-36 milliseconds>`.
    static func freshRunPrefix(_ mode: String) -> String {
        "bench-\(mode)-\(String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36))"
    }
}

/// A bench that could not run or found the server misbehaving; printed and exits non-zero.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Reads a number out of a server answer without a full JSON parse: the bench only needs the
/// first `seq` of an ingest answer and a run's `eventCount`.
enum AnswerField {
    /// The first `"key":<integer>` in a JSON text.
    static func integer(_ key: String, in text: String) -> Int64? {
        guard let range = text.range(of: "\"\(key)\":") else { return nil }
        return Int64(text[range.upperBound...].prefix { $0.isNumber })
    }
}
