/// A UTC instant with microsecond precision, stored as microseconds since the Unix epoch.
///
/// Formatting and parsing are done by hand (RFC 3339) because they sit on the ingest hot path.
public struct Timestamp: Hashable, Comparable, Sendable {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// Parses RFC 3339 (`2026-11-22T14:20:05.123456Z`, any offset, any number of fraction digits,
    /// kept to microseconds; a leap second `:60` counts as `:59`).
    public init?(rfc3339 text: String) {
        var text = text
        guard let value = text.withUTF8({ Timestamp.parse($0) }) else { return nil }
        self = value
    }

    /// Whether `text` is a date and time without a UTC offset (`2026-12-06T16:20:30.123456`,
    /// Python's naive `isoformat()`): RFC 3339 but for the missing offset. Such a time names no
    /// instant until a time zone is chosen, which only the producer's side can do.
    public static func lacksOffset(_ text: String) -> Bool {
        Timestamp(rfc3339: text) == nil && Timestamp(rfc3339: text + "Z") != nil
    }

    private static func parse(_ s: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var value = 0
            for index in from..<(from + count) {
                let byte = s[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard s.count >= 20,
            let year = digits(0, 4), s[4] == UInt8(ascii: "-"),
            let month = digits(5, 2), s[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") || s[10] == UInt8(ascii: " "),
            let hour = digits(11, 2), s[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), s[16] == UInt8(ascii: ":"),
            let second = digits(17, 2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var micros = 0
        if index < s.count, s[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100_000
            let fractionStart = index
            while index < s.count, s[index] >= 48, s[index] <= 57 {
                micros += Int(s[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > fractionStart else { return nil }
        }
        guard index < s.count else { return nil }
        var offsetSeconds = 0
        switch s[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let offsetHour = digits(index + 1, 2), s.count > index + 3, s[index + 3] == UInt8(ascii: ":"),
                let offsetMinute = digits(index + 4, 2), offsetHour < 24, offsetMinute < 60
            else { return nil }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (s[index] == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        default:
            return nil
        }
        guard index == s.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetSeconds)
        let value = Timestamp(microseconds: seconds * 1_000_000 + Int64(micros))
        // Only instants that format back as four-digit years in UTC.
        return (Timestamp.earliest...Timestamp.latest).contains(value) ? value : nil
    }

    /// `2026-11-22T14:20:05.123456Z`: always UTC, always six fraction digits, so it sorts as text.
    public var rfc3339: String {
        var writer = JSONWriter(capacity: 27)
        write(to: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Writes the RFC 3339 form (without quotes) straight into `writer`: the ingest hot path.
    public func write(to writer: inout JSONWriter) {
        var micros = microseconds % 1_000_000
        var seconds = microseconds / 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = Timestamp.civilFromDays(Int(days))
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { out in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var rest = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    out[index] = UInt8(48 + rest % 10)
                    rest /= 10
                }
            }
            put(year, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(Int(secondOfDay / 3600), 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(Int(secondOfDay / 60 % 60), 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(Int(secondOfDay % 60), 2, at: 17)
            out[19] = UInt8(ascii: ".")
            put(Int(micros), 6, at: 20)
            out[26] = UInt8(ascii: "Z")
            writer.raw(UnsafeBufferPointer(out))
        }
    }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: the range RFC 3339 text can name in UTC.
    static let earliest = Timestamp(microseconds: Int64(daysFromCivil(year: 1, month: 1, day: 1)) * 86_400_000_000)
    static let latest = Timestamp(microseconds: Int64(daysFromCivil(year: 10000, month: 1, day: 1)) * 86_400_000_000 - 1)

    // Howard Hinnant's civil calendar algorithms (proleptic Gregorian).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
