import Foundation
import HeraldCore
import Testing

/// Retention on a running server: pruned in the background, and a stream resuming behind it
/// is told so with `herald.gap`.
@Suite("Retention and streams")
struct RetentionStreamTests {
    @Test(.timeLimit(.minutes(1))) func aStreamResumingBehindRetentionGetsAGapThenTheRest() async throws {
        try await TestServer.with(configure: { configuration in
            try? configuration.retention.add("max-events=5")
            configuration.retentionInterval = .milliseconds(100)
        }) { server in
            try await server.ingest((1...20).map { #"{"run":"kept","type":"x.y","data":{"n":\#($0)}}"# })
            var firstSeq = 1
            while firstSeq != 16 {
                try await Task.sleep(for: .milliseconds(50))
                firstSeq = try await server.get("/v1/runs/kept").json["firstSeq"] as? Int ?? 0
            }
            let stream = try await SSEConnection(server, "/v1/runs/kept/stream", headers: [("Last-Event-ID", "3")])
            let messages = try await stream.messages(6)
            #expect(messages.first?.event == "herald.gap")
            #expect(messages.first?.id == "15")
            let gap = try JSONSerialization.jsonObject(with: Data((messages.first?.data ?? "").utf8)) as? [String: Any]
            #expect(gap?["reason"] as? String == "retention")
            #expect(gap?["requested"] as? Int == 3 && gap?["continuesAfter"] as? Int == 15)
            #expect(messages.dropFirst().map(\.id) == ["16", "17", "18", "19", "20"])
            // A reader already past the pruned part resumes without a gap.
            let later = try await SSEConnection(server, "/v1/runs/kept/stream", headers: [("Last-Event-ID", "17")])
            #expect(try await later.messages(3).map(\.id) == ["18", "19", "20"])
        }
    }
}
