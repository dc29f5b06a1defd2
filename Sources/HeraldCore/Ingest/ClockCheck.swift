/// The latest `time` an event of one request may carry: the request's arrival plus
/// ``IngestLimits/maxClockSkew``. A later one is refused with `time_in_future`.
///
/// ```swift
/// let check = ClockCheck(receivedAt: .now(), maxSkew: .seconds(300))
/// check.problem(Timestamp(rfc3339: "9999-01-01T00:00:00Z")!, field: "time", index: 0)   // time_in_future
/// ```
struct ClockCheck {
    let receivedAt: Timestamp
    let maxSkew: Duration
    let latest: Timestamp

    init(receivedAt: Timestamp, maxSkew: Duration) {
        self.receivedAt = receivedAt
        self.maxSkew = maxSkew
        // Saturating: a skew too large to add is no limit at all, never a crash.
        let (seconds, attoseconds) = maxSkew.components
        let (whole, overflowed) = max(seconds, 0).multipliedReportingOverflow(by: 1_000_000)
        let skew = overflowed ? Int64.max : whole + max(attoseconds, 0) / 1_000_000_000_000
        let (sum, passed) = receivedAt.microseconds.addingReportingOverflow(skew)
        latest = Timestamp(microseconds: passed ? .max : sum)
    }

    /// Why `time`, read from `field` of the event at `index`, is refused; nil when it is not.
    func problem(_ time: Timestamp, field: String, index: Int) -> FieldError? {
        guard time > latest else { return nil }
        let ahead = Self.spoken(seconds: (time.microseconds - receivedAt.microseconds) / 1_000_000)
        return FieldError(
            index: index, field: field, code: "time_in_future",
            message: "\(field) is \(ahead) ahead of the server's clock (\(receivedAt.rfc3339) when the request arrived); "
                + "at most \(Self.spoken(seconds: maxSkew.components.seconds)) ahead is accepted: check the producer's clock, or send no time"
        )
    }

    /// `42 s`, `7 minutes`, `3 hours`, `2921 days`: how far, roughly, for people.
    static func spoken(seconds: Int64) -> String {
        switch seconds {
        case ..<120: "\(seconds) s"
        case ..<7200: "\(seconds / 60) minutes"
        case ..<172_800: "\(seconds / 3600) hours"
        default: "\(seconds / 86_400) days"
        }
    }
}
