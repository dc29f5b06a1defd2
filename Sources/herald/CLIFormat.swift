import HeraldCore

/// How the commands show times, durations and long values to people.
enum CLIFormat {
    /// `2026-11-22 14:20:05` (UTC).
    static func dateTime(_ time: Timestamp) -> String {
        let text = time.rfc3339
        return String(text.prefix(19).map { $0 == "T" ? " " : $0 })
    }

    /// `14:20:05.123` (UTC).
    static func clock(_ time: Timestamp) -> String {
        let text = time.rfc3339
        return String(text.dropFirst(11).prefix(12))
    }

    /// `850ms`, `12.3s`, `4m05s`, `2h03m`, `3d04h`.
    static func duration(microseconds: Int64) -> String {
        let micros = max(0, microseconds)
        let seconds = micros / 1_000_000
        switch seconds {
        case ..<1: return "\(micros / 1000)ms"
        case ..<60: return "\(seconds).\(micros / 100_000 % 10)s"
        case ..<3600: return "\(seconds / 60)m\(pad(seconds % 60))s"
        case ..<86_400: return "\(seconds / 3600)h\(pad(seconds / 60 % 60))m"
        default: return "\(seconds / 86_400)d\(pad(seconds / 3600 % 24))h"
        }
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `value` cut to `width` characters, the last one an ellipsis.
    static func truncate(_ value: String, to width: Int) -> String {
        guard value.count > width else { return value }
        return width <= 1 ? String(value.prefix(width)) : value.prefix(width - 1) + "…"
    }

    /// An RFC 3339 time, or a span back from `now` such as `90s`, `15m`, `2h`, `7d`.
    static func time(_ text: String, now: Timestamp = .now()) -> Timestamp? {
        if let time = Timestamp(rfc3339: text) { return time }
        guard let unit = text.last, let count = Int64(text.dropLast()), count >= 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = count
        case "m": seconds = count * 60
        case "h": seconds = count * 3600
        case "d": seconds = count * 86_400
        default: return nil
        }
        return Timestamp(microseconds: now.microseconds - seconds * 1_000_000)
    }
}
