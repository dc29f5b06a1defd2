import Foundation
import HeraldClient
import NIOCore

/// One execution of the fan-out bench: set up the run and subscribers, publish, drain, check.
struct FanoutRound {
    let bench: BenchFanout
    let session: BenchSession
    let run: String

    /// Everything the report needs.
    struct Outcome: Sendable {
        var results: [SubscriberResult] = []
        var publish = LoadStats()
        var published = 0
        var lastSeq: Int64 = 0
        var publishStart = NIODeadline.now()
        var publishSeconds = 0.0
        var violations: [String] = []
        var clientCPU = ""
    }

    /// The publisher's server: --publish-server, or the subscribers' own.
    var publishEndpoint: HTTPEndpoint {
        // validate() has checked --publish-server.
        if let endpoint = try? bench.publishEndpoint { return endpoint }
        return session.endpoint
    }

    func execute() async throws -> Outcome {
        var outcome = Outcome()
        let publisher = try await HTTPConnection.connect(to: publishEndpoint, on: session.group.next(), localAddress: nil).get()
        defer { publisher.close() }
        try await post(#"[{"run":"\#(run)","type":"run.started","data":{"name":"herald bench fanout"}}]"#, on: publisher)
        let streams = try await subscribe()

        let meter = CPUMeter()
        try await publish(on: publisher, into: &outcome)
        let completed = try await post(#"[{"run":"\#(run)","type":"run.completed","data":{"summary":"bench done"}}]"#, on: publisher)
        outcome.lastSeq = AnswerField.integer("seq", in: completed) ?? 0

        // Drain: every stream should end by itself after run.completed; one that does not is
        // closed after the timeout and reported.
        for stream in streams {
            stream.channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(bench.drainTimeout * 1e9))) {
                stream.channel.pipeline.fireUserInboundEventTriggered(DrainTimeout())
                stream.channel.close(promise: nil)
            }
        }
        for stream in streams { outcome.results.append(try await stream.finished.get()) }
        outcome.clientCPU = meter.summary(requests: 0)
        outcome.violations = outcome.results.flatMap { Self.violations(of: $0, lastSeq: outcome.lastSeq) }
        return outcome
    }

    /// Subscribes everyone and waits until each stream is answered, so no one joins late.
    private func subscribe() async throws -> [(channel: any Channel, finished: EventLoopFuture<SubscriberResult>)] {
        var streams: [(channel: any Channel, finished: EventLoopFuture<SubscriberResult>)] = []
        for index in 0..<bench.subscribers {
            let source = bench.sourceIps > 1 ? try SocketAddress(ipAddress: "127.0.0.\(1 + index % bench.sourceIps)", port: 0) : nil
            let stream = try await SSESubscriber.start(index: index, session: session, path: "/v1/runs/\(run)/stream", localAddress: source)
            streams.append((stream.channel, stream.finished))
            let status = try await stream.answered.get()
            guard status == 200 else {
                for stream in streams { stream.channel.close(promise: nil) }
                let refusal = try await stream.finished.get().refusal
                throw BenchFailure("subscriber \(index) was refused with \(status): \(refusal)\(status == 429 ? Self.limitHint : "")")
            }
        }
        return streams
    }

    /// Publishes rate × duration events on schedule: whatever is due goes in one request, stamped
    /// with the moment it leaves.
    private func publish(on publisher: HTTPConnection, into outcome: inout Outcome) async throws {
        let start = NIODeadline.now()
        let end = start + .nanoseconds(Int64(bench.duration * 1e9))
        outcome.publishStart = start
        let filler = String(repeating: "x", count: max(0, bench.payloadBytes - 40))
        let total = Int((bench.rate * bench.duration).rounded())
        while outcome.published < total {
            let now = NIODeadline.now()
            let scheduled = now >= end ? total : min(total, Int(Double((now - start).nanoseconds) * bench.rate / 1e9))
            let due = min(scheduled - outcome.published, bench.maxBatch)
            if due <= 0 {
                let next = start + .nanoseconds(Int64(Double(outcome.published + 1) * 1e9 / bench.rate))
                try await Task.sleep(nanoseconds: UInt64(max(0, (min(next, end) - now).nanoseconds)))
                continue
            }
            let sent = NIODeadline.now()
            var body = "["
            for offset in 0..<due {
                if offset > 0 { body += "," }
                body += #"{"run":"\#(run)","type":"bench.tick","agent":"publisher","data":{"sentNs":\#(sent.uptimeNanoseconds),"#
                body += #""i":\#(outcome.published + offset),"pad":"\#(filler)"}}"#
            }
            body += "]"
            let reply = try await publisher.send(.postJSON(publishEndpoint, "/v1/events", body: ByteBuffer(string: body))).get()
            guard reply.isSuccess else { throw BenchFailure("publishing failed with \(reply.status.code): \(reply.text)") }
            outcome.publish.record(start: sent, end: .now())
            outcome.publish.requests += 1
            outcome.published += due
        }
        outcome.publishSeconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
    }

    static let limitHint =
        " — the server allows a limited number of streams per client address: raise `herald serve --max-streams-per-client` or use --source-ips"

    @discardableResult
    private func post(_ json: String, on connection: HTTPConnection) async throws -> String {
        let reply = try await connection.send(.postJSON(publishEndpoint, "/v1/events", body: ByteBuffer(string: json))).get()
        guard reply.isSuccess else { throw BenchFailure("POST /v1/events answered \(reply.status.code): \(reply.text)") }
        return reply.text
    }

    /// What is wrong with what one subscriber received, if anything.
    static func violations(of result: SubscriberResult, lastSeq: Int64) -> [String] {
        var problems: [String] = []
        let who = "subscriber \(result.index)"
        if result.missing > 0 { problems.append("\(who): LOST \(result.missing) events") }
        if result.duplicates > 0 { problems.append("\(who): \(result.duplicates) DUPLICATE events") }
        if result.lastSeq != lastSeq { problems.append("\(who): last seq \(result.lastSeq), expected \(lastSeq)") }
        if !result.sawTerminal { problems.append("\(who): no run.completed\(result.failure.map { " (\($0))" } ?? "")") }
        if !problems.isEmpty, !result.anomalies.isEmpty { problems.append("\(who): first anomalies: \(result.anomalies.joined(separator: "; "))") }
        return problems
    }

}

extension FanoutRound.Outcome {
    var failedSubscribers: Int { results.filter { !FanoutRound.violations(of: $0, lastSeq: lastSeq).isEmpty }.count }

    func report(subscribers: Int) {
        var latency = LoadStats.makeHistogram()
        var delivered = 0
        var lastDelivery = publishStart
        for result in results {
            latency.add(result.latency)
            delivered += result.received
            if let last = result.lastDelivery, last > lastDelivery { lastDelivery = last }
        }
        let deliverySeconds = max(Double((lastDelivery - publishStart).nanoseconds) / 1e9, publishSeconds)
        print()
        let publishRate = BenchReport.count(Double(published) / publishSeconds)
        BenchReport.line("published", "\(published) events in \(publish.requests) requests, \(publishRate) events/s")
        BenchReport.line("publish POST", BenchReport.latency(publish.latency))
        BenchReport.line("delivered/s", BenchReport.count(Double(delivered) / max(deliverySeconds, 1e-9)))
        BenchReport.line("delivered", "\(delivered) events to \(results.count) subscribers (run ends at seq \(lastSeq))")
        BenchReport.line("pub→recv", BenchReport.latency(latency))
        BenchReport.line("client CPU", clientCPU + " (publisher and all subscribers)")
        if violations.isEmpty {
            BenchReport.line("check", "ok: every subscriber received seq 1…\(lastSeq) once, in order, and the stream ended")
        } else {
            BenchReport.violation("CHECK FAILED for \(failedSubscribers) of \(subscribers) subscribers:")
            for violation in violations.prefix(20) { BenchReport.violation("  \(violation)") }
            if violations.count > 20 { BenchReport.violation("  … and \(violations.count - 20) more") }
        }
    }
}
