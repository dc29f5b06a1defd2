import ArgumentParser
import Foundation
import HeraldClient
import HeraldCore
import Histogram

/// `herald bench emit`: the cost of `Emitter.emit` at the call (accepted, typed helper,
/// filtered out) in nanoseconds, and an emitter's sustained delivery into a running server.
struct BenchEmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emit",
        abstract: "Emitter overhead per call (ns) and sustained emitter throughput into a server.",
        discussion: """
            The call cost is measured in this process with a sink that discards batches (the \
            delivery task still runs alongside, encoding every event, as in production); each call \
            is timed on its own with the monotonic clock, whose own cost is printed so it can be \
            subtracted. The throughput phase needs a running server (--server) unless --no-server: \
            one emitter delivers as fast as the server takes its batches, the producer holding \
            back whenever half the buffer is pending, so nothing is dropped.
            """
    )

    @OptionGroup var options: BenchServerOptions

    @Option(help: "Timed calls per case and round.")
    var calls = 200_000

    @Option(help: "Rounds of each case; the medians over rounds are reported.")
    var rounds = 5

    @Option(help: "Calls per second, paced (the wait between calls is not timed); 0: back to back.")
    var rate = 0

    @Option(help: "Seconds of sustained emitting into the server.")
    var duration = 5.0

    @Flag(help: "Measure only the call cost, without a server.")
    var noServer = false

    func validate() throws {
        guard calls >= 1_000, rounds >= 1, duration > 0, rate >= 0 else {
            throw ValidationError("--calls ≥ 1000, --rounds ≥ 1, --duration > 0, --rate ≥ 0")
        }
    }

    func run() async throws {
        BenchHeader.print(server: noServer ? "none" : options.server)
        let pace = rate == 0 ? "back to back" : "at \(BenchReport.count(Double(rate))) calls/s"
        print("emit: \(rounds) rounds × \(calls) timed calls per case, \(pace), median over rounds")
        let clockCost = Self.clockCost()
        print("        clock read ≈ \(clockCost) ns (included in every figure below)")
        print()
        for benchCase in EmitCase.allCases {
            var p50s: [UInt64] = []
            var p99s: [UInt64] = []
            var maxima: [UInt64] = []
            for _ in 0..<rounds {
                let (histogram, counters) = try await benchCase.measure(calls: calls, rate: rate)
                if counters.dropped > 0 || counters.failed > 0 { throw BenchFailure("\(benchCase.rawValue): the emitter dropped or failed events: \(counters)") }
                p50s.append(histogram.valueAtPercentile(50))
                p99s.append(histogram.valueAtPercentile(99))
                maxima.append(histogram.valueAtPercentile(99.9))
            }
            BenchReport.line(
                benchCase.rawValue, "p50 \(Self.median(p50s)) ns  p99 \(Self.median(p99s)) ns  p99.9 \(Self.median(maxima)) ns  (p99 per round: \(p99s.map(String.init).joined(separator: ", ")))"
            )
        }
        guard !noServer else { return }
        print()
        let (delivered, seconds, counters) = try await sustained()
        BenchReport.line("sustained", "\(BenchReport.count(Double(delivered) / seconds)) events/s delivered by one emitter over \(BenchReport.seconds((seconds * 100).rounded() / 100)) s")
        BenchReport.line("counters", "emitted \(counters.emitted), delivered \(counters.delivered), dropped \(counters.dropped), failed \(counters.failed)")
        if counters.failed > 0 || counters.dropped > 0 { throw BenchFailure("the emitter lost events") }
    }

    /// Emits realistic events for `duration` seconds, holding back while half the buffer is
    /// pending; answers events delivered, seconds from first emit to last delivery, counters.
    private func sustained() async throws -> (Int, Double, Emitter.Counters) {
        var configuration = Emitter.Configuration(run: BenchSession.freshRunPrefix("emit"), agent: "bench")
        configuration.bufferCapacity = 20_000
        let start = ContinuousClock.now
        let counters = try await Emitter.withEmitter(sink: HTTPSink(baseURL: options.server, token: options.token), configuration: configuration) { herald in
            let end = start.advanced(by: .seconds(duration))
            var number = 0
            while ContinuousClock.now < end {
                for _ in 0..<100 {
                    number += 1
                    herald.log("[12:00:00] step \(number) finished: 17 checks passed, 0 failed", lineNumber: number)
                }
                while herald.counters.pending >= configuration.bufferCapacity / 2 { try await Task.sleep(for: .microseconds(200)) }
            }
            await herald.flush()
            return herald.counters
        }
        let elapsed = ContinuousClock.now - start
        return (counters.delivered, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, counters)
    }

    static func median(_ values: [UInt64]) -> UInt64 { values.sorted()[values.count / 2] }

    /// Nanoseconds of one monotonic clock read (the median of many back-to-back pairs).
    static func clockCost() -> UInt64 {
        var samples: [UInt64] = []
        for _ in 0..<10_001 {
            let start = monotonicNanoseconds()
            samples.append(monotonicNanoseconds() - start)
        }
        return median(samples)
    }
}

/// The calls measured.
enum EmitCase: String, CaseIterable {
    case accepted = "accepted"
    case helper = "typed helper"
    case filtered = "filtered out"

    /// Times each of `calls` calls, made at `rate` per second (0: back to back; the wait
    /// between calls is not timed), after an untimed warm-up of the same calls. The buffer holds
    /// all of them, so none is dropped when the calls outpace the delivery task.
    func measure(calls: Int, rate: Int) async throws -> (Histogram<UInt64>, Emitter.Counters) {
        var configuration = Emitter.Configuration(run: "bench", agent: "w1", verbosity: self == .filtered ? .action : .detail)
        configuration.bufferCapacity = calls
        var histogram = Histogram<UInt64>(highestTrackableValue: 1_000_000_000, numberOfSignificantValueDigits: .three)
        let interval = rate == 0 ? 0 : UInt64(1_000_000_000 / rate)
        let counters = try await Emitter.withEmitter(sink: DiscardingSink(), configuration: configuration) { herald in
            for timed in [false, true] {
                var next = monotonicNanoseconds()
                for number in 0..<calls {
                    if interval > 0 {
                        while monotonicNanoseconds() < next {}
                        next += interval
                    }
                    let start = monotonicNanoseconds()
                    call(herald, number)
                    if timed { histogram.record(monotonicNanoseconds() - start) }
                }
                await herald.flush()
            }
            return herald.counters
        }
        return (histogram, counters)
    }

    @inline(__always)
    private func call(_ herald: Emitter, _ number: Int) {
        switch self {
        case .accepted: herald.emit("task.started", ["taskId": "t1"])
        case .helper: herald.progress(step: "fetch", percent: Double(number % 100), label: "pages")
        case .filtered: herald.emit("agent.log", ["line": "not sent at action verbosity"])
        }
    }
}

/// Takes every batch and keeps nothing: the call cost without a network.
struct DiscardingSink: EventSink {
    func deliver(_ batch: [EventDraft]) async throws {}
}

func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
