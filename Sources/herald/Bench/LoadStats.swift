import Histogram
import NIOCore

/// What a load loop saw: the latency of each successful request, and every failure by kind.
struct LoadStats: Sendable {
    /// Microseconds, up to a minute, three significant digits.
    var latency = LoadStats.makeHistogram()
    /// Successful measured requests.
    var requests = 0
    /// Every request sent, warm-up and failures included.
    var attempted = 0
    /// Events (or other units) the successful requests carried.
    var units = 0
    /// Non-2xx answers by status code.
    var statuses: [Int: Int] = [:]
    /// Transport failures (refused, reset, closed) by description.
    var transport: [String: Int] = [:]
    /// The first error answer's body, to show what the server said.
    var firstErrorBody: String?
    /// Start of the first and end of the last measured request.
    var window: ClosedRange<NIODeadline>?

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    var errors: Int { statuses.values.reduce(0, +) + transport.values.reduce(0, +) }

    /// Seconds between the first measured start and the last measured end.
    var seconds: Double {
        guard let window else { return 0 }
        return Double((window.upperBound - window.lowerBound).nanoseconds) / 1e9
    }

    mutating func record(start: NIODeadline, end: NIODeadline) {
        _ = latency.record(UInt64(max(0, (end - start).nanoseconds / 1000)))
        extend(start: start, end: end)
    }

    mutating func extend(start: NIODeadline, end: NIODeadline) {
        window = window.map { min($0.lowerBound, start)...max($0.upperBound, end) } ?? start...end
    }

    mutating func merge(_ other: LoadStats) {
        latency.add(other.latency)
        requests += other.requests
        attempted += other.attempted
        units += other.units
        statuses.merge(other.statuses, uniquingKeysWith: +)
        transport.merge(other.transport, uniquingKeysWith: +)
        firstErrorBody = firstErrorBody ?? other.firstErrorBody
        if let range = other.window { extend(start: range.lowerBound, end: range.upperBound) }
    }

    static func merged(_ all: [LoadStats]) -> LoadStats {
        all.reduce(into: LoadStats()) { $0.merge($1) }
    }
}
