import Foundation
import NIOCore

/// Fills the query bench's run up to the requested number of events, in large batches over a
/// few connections, unless it already holds them.
struct QuerySeeder {
    let bench: BenchQuery
    let session: BenchSession

    func seed() async throws {
        let run = bench.runName
        let existing = try await eventCount(run)
        let missing = bench.events - existing
        guard missing > 0 else {
            print("seed: run \(run) already holds \(existing) events; not seeding")
            return
        }
        print("seed: adding \(missing) events to run \(run) (\(existing) already there), \(bench.seedBatch) per request…")
        fflush(nil)
        let started = NIODeadline.now()
        let batches = (missing + bench.seedBatch - 1) / bench.seedBatch
        let connections = try await session.connect(count: min(bench.seedConnections, batches))
        let (endpoint, seedBatch, payloadBytes) = (session.endpoint, bench.seedBatch, bench.payloadBytes)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, connection) in connections.enumerated() {
                group.addTask {
                    defer { connection.close() }
                    var factory = EventFactory(payloadBytes: payloadBytes, seed: UInt64(existing + index + 1))
                    for batch in stride(from: index, to: batches, by: connections.count) {
                        let count = min(seedBatch, missing - batch * seedBatch)
                        let body = ByteBuffer(bytes: factory.batch(count: count, runs: [run]))
                        let reply = try await connection.send(.postJSON(endpoint, "/v1/events", body: body)).get()
                        guard reply.isSuccess else { throw BenchFailure("seeding failed with \(reply.status.code): \(reply.text.prefix(500))") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        print("seed: \(missing) events in \(String(format: "%.1f", seconds)) s (\(BenchReport.count(Double(missing) / seconds)) events/s)")
    }

    /// Events the run holds; 0 when it does not exist.
    private func eventCount(_ run: String) async throws -> Int {
        let reply = try await session.request(.get(session.endpoint, "/v1/runs/\(run)"))
        if reply.status == .notFound { return 0 }
        guard reply.isSuccess else { throw BenchFailure("GET /v1/runs/\(run) answered \(reply.status.code): \(reply.text)") }
        guard let count = AnswerField.integer("eventCount", in: reply.text) else {
            throw BenchFailure("GET /v1/runs/\(run) has no eventCount: \(reply.text.prefix(300))")
        }
        return Int(count)
    }
}
