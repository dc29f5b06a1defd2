import AsyncHTTPClient
import Foundation
import HeraldPostgres
import HeraldTestSupport
import NIOCore
import Synchronization
import Testing

/// A real `herald serve` child process, SIGKILLed while clients ingest.
@Suite("Crash safety", .timeLimit(.minutes(3)))
struct CrashTests {
    @Test func everyAcknowledgedEventSurvivesSIGKILLExactlyOnceWithGaplessSeqs() async throws {
        let data = TestServer.makeTemporaryDirectory()
        // Given: a server under load from 8 concurrent producers; when: it is killed mid-stream.
        let server = try await ChildServer.start(data: data)
        let acknowledged = try await Self.load(server) { server.kill() }
        // Then: after a restart every acknowledged event is there exactly once, seqs gapless.
        try await Self.verify(data: data, acknowledged: acknowledged)
    }

    /// SIGTERM under load: the server stops accepting, answers what it took in, ends its streams
    /// at an event boundary and exits 0; nothing acknowledged is lost.
    @Test func aGracefulShutdownUnderLoadLosesNothingAndEndsStreamsCleanly() async throws {
        let data = TestServer.makeTemporaryDirectory()
        let server = try await ChildServer.start(data: data)
        // A live subscriber to one of the runs the producers write.
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/runs/crash-0/stream?wait=1")
        request.headers.add(name: "Accept", value: "text/event-stream")
        let stream = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        async let received = stream.body.collect(upTo: 64 << 20)
        let clock = ContinuousClock()
        var exitStatus: Int32 = -1
        var stopped = clock.now
        let acknowledged = try await Self.load(server) {
            stopped = clock.now
            exitStatus = server.terminate()
        }
        #expect(exitStatus == 0, "herald serve exits 0 after SIGTERM")
        #expect(clock.now - stopped < .seconds(20), "the shutdown finished promptly")
        // The stream ended with the server, after a whole frame.
        let text = String(buffer: try await received)
        #expect(text.hasSuffix("\n\n"), "the stream ended mid-frame: \(text.suffix(200))")
        #expect(text.contains("event: x.y"))
        try await Self.verify(data: data, acknowledged: acknowledged)
    }

    /// Runs 8 producers against `server` until `stop` (called once 200 batches were acknowledged)
    /// makes them fail; answers what was acknowledged.
    static func load(_ server: ChildServer, stop: @escaping () -> Void) async throws -> Acknowledged {
        let acknowledged = Acknowledged()
        let client = HTTPClient.shared
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<8 {
                group.addTask {
                    var batch = 0
                    while true {
                        batch += 1
                        let ids = (0..<10).map { _ in ChildServer.ulid() }
                        let body = ids.map { #"{"id":"\#($0)","run":"crash-\#(producer % 3)","type":"x.y","data":{"p":\#(producer)}}"# }
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/events")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: "[" + body.joined(separator: ",") + "]"))
                        guard let response = try? await client.execute(request, timeout: .seconds(5)),
                            response.status == .ok, (try? await response.body.collect(upTo: 1 << 20)) != nil
                        else { return }  // the server is gone
                        acknowledged.record("\(producer)-\(batch)", ids)
                    }
                }
            }
            while acknowledged.count < 200 { try await Task.sleep(for: .milliseconds(5)) }
            stop()
            try await group.waitAll()
        }
        return acknowledged
    }

    /// Restarts a server on `data` and checks every acknowledged event is stored exactly once,
    /// with gapless seqs, and that unacknowledged requests left nothing or everything.
    static func verify(data: String, acknowledged: Acknowledged, postgres: PostgresLocation? = nil) async throws {
        let client = HTTPClient.shared
        let second = try await ChildServer.start(data: data, postgres: postgres)
        defer { second.kill() }
        var stored: [String: Int] = [:]
        for run in 0..<3 {
            var after = 0
            var seqs: [Int] = []
            while true {
                let request = HTTPClientRequest(url: "http://127.0.0.1:\(second.port)/v1/runs/crash-\(run)/events?limit=1000&after=\(after)")
                let response = try await client.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 64 << 20)
                let page = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
                let events = page["events"] as? [[String: Any]] ?? []
                for event in events {
                    stored[event["id"] as? String ?? "", default: 0] += 1
                    seqs.append(event["seq"] as? Int ?? -1)
                }
                guard page["hasMore"] as? Bool == true, let last = seqs.last else { break }
                after = last
            }
            #expect(seqs == Array(1..<(seqs.count + 1)), "run crash-\(run) has gapless seqs")
        }
        let batches = acknowledged.batches
        #expect(batches.count >= 200)
        let missing = batches.values.joined().filter { stored[$0] != 1 }
        #expect(missing.isEmpty, "\(missing.count) acknowledged events are missing or doubled")
        #expect(stored.values.allSatisfy { $0 == 1 })
        #expect(stored.count % 10 == 0, "unacknowledged requests are all-or-nothing too")
    }
}

/// `herald serve` in a child process, found beside the test bundle.
struct ChildServer {
    let process: Process
    let port: Int

    /// Starts `herald serve` on `data`'s store (its PostgreSQL database when the tests run on
    /// PostgreSQL, so several children on one `data` are replicas of one store).
    static func start(data: String, postgres: PostgresLocation? = nil) async throws -> ChildServer {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("herald")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestFailure("no herald binary at \(binary.path): run `swift build` first")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--data", data, "--log-level", "info"]
        var location = postgres
        if location == nil, TestStores.backend == .postgres { location = try await TestStores.postgres(for: data) }
        if let location { process.arguments! += ["--store", location.url] }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // The server logs the address it bound: read the port from it.
        var text = ""
        let handle = output.fileHandleForReading
        while !text.contains("listening on") {
            let chunk = handle.availableData
            if chunk.isEmpty { throw TestFailure("herald exited before listening: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let match = text.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/), let port = Int(match.1) else {
            throw TestFailure("no port in: \(text)")
        }
        return ChildServer(process: process, port: port)
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for the exit; answers the exit status.
    func terminate() -> Int32 {
        Foundation.kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func ulid() -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return "01J" + String((0..<23).map { _ in alphabet.randomElement()! })
    }
}

/// Batches the server acknowledged: batch name → event ids.
final class Acknowledged: Sendable {
    private let state = Mutex<[String: [String]]>([:])

    func record(_ batch: String, _ ids: [String]) { state.withLock { $0[batch] = ids } }
    var count: Int { state.withLock { $0.count } }
    var batches: [String: [String]] { state.withLock { $0 } }
}
