import Foundation
import Testing

/// No gap, no duplicate: resume, the catch-up/live seam, slow consumers, disconnects.
@Suite("Stream consistency", .timeLimit(.minutes(3)))
struct StreamConsistencyTests {
    /// Publishes `count` events to `run` in batches of `batch`, then completes the run.
    static func publish(_ server: TestServer, run: String, count: Int, batch: Int = 10, padding: Int = 0) async throws {
        let pad = String(repeating: "p", count: padding)
        var sent = 0
        while sent < count {
            let size = min(batch, count - sent)
            try await server.ingest((0..<size).map { #"{"run":"\#(run)","type":"x.tick","data":{"n":\#(sent + $0 + 1),"pad":"\#(pad)"}}"# })
            sent += size
        }
        try await server.ingest([#"{"run":"\#(run)","type":"run.completed"}"#])
    }

    @Test func resumingAtRandomPointsUnderConcurrentPublishingIsGaplessAndDuplicateFree() async throws {
        try await TestServer.with { server in
            let total = 600
            try await server.ingest([#"{"run":"r","type":"run.started"}"#])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Self.publish(server, run: "r", count: total) }
                // Reconnect 200 times from random points while events keep arriving.
                var generator = SystemRandomNumberGenerator()
                for _ in 0..<200 {
                    let lastSeq = try await server.get("/v1/runs/r").json["lastSeq"] as? Int ?? 1
                    let resumeAt = Int.random(in: 0...lastSeq, using: &generator)
                    let stream = try await SSEConnection(server, "/v1/runs/r/stream", headers: [("Last-Event-ID", String(resumeAt))])
                    if stream.status == 204 { break }
                    let got = try await stream.messages(5).compactMap { $0.id.flatMap(Int.init) }
                    #expect(got == Array((resumeAt + 1)...(resumeAt + got.count)), "resumed at \(resumeAt)")
                    #expect(!got.isEmpty)
                }
                try await group.waitAll()
            }
        }
    }

    @Test func subscribersJoiningMidPublishSeeEveryEventExactlyOnce() async throws {
        try await TestServer.with { server in
            let total = 2000
            try await server.ingest([#"{"run":"seam","type":"run.started"}"#])
            try await withThrowingTaskGroup(of: [Int].self) { group in
                group.addTask {
                    try await Self.publish(server, run: "seam", count: total, batch: 7)
                    return []
                }
                // Subscribers arrive while commits are in flight: each crosses the catch-up/live seam.
                for _ in 0..<8 {
                    let stream = try await SSEConnection(server, "/v1/runs/seam/stream")
                    group.addTask { try await stream.messagesUntilEnd().compactMap { $0.id.flatMap(Int.init) } }
                }
                var checked = 0
                for try await seqs in group where !seqs.isEmpty {
                    #expect(seqs == Array(1...(total + 2)))
                    checked += 1
                }
                #expect(checked == 8)
            }
        }
    }

    @Test func aSlowConsumerFallsBackToTheStoreAndLosesNothing() async throws {
        // A tiny buffer forces the overflow path: the subscriber reads the store, then rejoins live.
        try await TestServer.with(configure: { $0.streams.bufferCapacity = 8 }) { server in
            try await server.ingest([#"{"run":"slow","type":"run.started"}"#])
            let stream = try await SSEConnection(server, "/v1/runs/slow/stream")
            #expect(try await stream.nextMessage()?.id == "1")
            // While this subscriber reads nothing, 8,000 events of 2 KB flow in: far more than
            // socket buffers hold, so the server's writes stall and the hub buffer overflows.
            try await Self.publish(server, run: "slow", count: 8000, batch: 100, padding: 2000)
            var seqs = [1]
            while let message = try await stream.nextMessage() {
                seqs.append(Int(message.id ?? "") ?? -1)
                if seqs.count % 500 == 0 { await Task.yield() }
            }
            #expect(seqs == Array(1...8002))
            let health = try await server.get("/readyz").json
            #expect(health["overflows"] as? Int ?? 0 >= 1, "the overflow path was taken: \(health)")
        }
    }

    @Test func disconnectingReleasesTheSubscription() async throws {
        try await TestServer.with(configure: { $0.streams.maxConnectionsPerClient = 5 }) { server in
            try await server.ingest([#"{"run":"r","type":"x.y"}"#])
            // Far more cycles than the per-client limit: a leaked subscription would hit 429.
            for _ in 0..<300 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let stream = try await SSEConnection(server, "/v1/runs/r/stream")
                    #expect(stream.status == 200)
                    group.addTask {
                        _ = try await stream.nextMessage()
                        // Hold the stream until cancelled, like an idle browser tab.
                        _ = try? await stream.nextMessage()
                    }
                    try await Task.sleep(for: .milliseconds(1))
                    group.cancelAll()
                }
            }
            // Every subscription is released once its client is gone.
            var subscribers = -1
            var total = -1
            for _ in 0..<100 {
                subscribers = try await server.get("/v1/runs/r").json["subscribers"] as? Int ?? -1
                total = try await server.get("/readyz").json["subscribers"] as? Int ?? -1
                if subscribers == 0 && total == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(subscribers == 0)
            #expect(total == 0)
        }
    }
}
