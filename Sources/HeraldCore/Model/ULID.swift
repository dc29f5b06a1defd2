import Synchronization

/// ULID helpers: 26 Crockford base32 characters, 48 bits of milliseconds then 80 random bits.
public enum ULID {
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Whether `text` is a well-formed ULID (canonical upper case, first character ≤ 7).
    public static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == 26, let first = utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "7") else { return false }
        return utf8.allSatisfy { alphabet.contains($0) }
    }

    /// The millisecond timestamp encoded in a valid ULID.
    public static func milliseconds(of text: String) -> Int64? {
        guard isValid(text) else { return nil }
        var value: Int64 = 0
        for byte in text.utf8.prefix(10) {
            value = value << 5 | Int64(alphabet.firstIndex(of: byte)!)
        }
        return value
    }

    static func encode(milliseconds: UInt64, randomHigh: UInt16, randomLow: UInt64) -> String {
        // Written straight into the string's storage: one allocation per id (ids are made on hot paths).
        String(unsafeUninitializedCapacity: 26) { out in
            alphabet.withUnsafeBufferPointer { alphabet in
                var time = milliseconds
                for index in stride(from: 9, through: 0, by: -1) {
                    out[index] = alphabet[Int(time & 31)]
                    time >>= 5
                }
                // 80 random bits = 16 characters: 16 high bits then 64 low bits.
                var low = randomLow
                var high = UInt64(randomHigh)
                for index in stride(from: 25, through: 10, by: -1) {
                    out[index] = alphabet[Int(low & 31)]
                    low = (low >> 5) | ((high & 31) << 59)
                    high >>= 5
                }
            }
            return 26
        }
    }
}

/// An event id held as the 128 bits of its ULID; the 26 characters are written only when asked
/// for (``description``), so making one on a hot path allocates nothing.
public struct EventID: Hashable, Comparable, Sendable, LosslessStringConvertible {
    /// 48 bits of milliseconds, then the top 16 random bits.
    let high: UInt64
    /// The low 64 random bits.
    let low: UInt64

    init(milliseconds: UInt64, randomHigh: UInt16, randomLow: UInt64) {
        self.high = milliseconds << 16 | UInt64(randomHigh)
        self.low = randomLow
    }

    /// The id of a well-formed ULID (see ``ULID/isValid(_:)``).
    public init?(_ text: String) {
        guard ULID.isValid(text) else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in text.utf8 {
            let digit = UInt64(ULID.alphabet.firstIndex(of: byte)!)
            // Shift the 128-bit value left by 5 (26 × 5 = 130 bits: the top 2 fall off, as ULID says).
            high = high << 5 | low >> 59
            low = low << 5 | digit
        }
        self.high = high
        self.low = low
    }

    /// The ULID text.
    public var description: String {
        ULID.encode(milliseconds: high >> 16, randomHigh: UInt16(truncatingIfNeeded: high), randomLow: low)
    }

    public static func < (lhs: EventID, rhs: EventID) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }
}

/// Makes ULIDs that increase strictly, even within one millisecond (the random part is
/// incremented), so ids sort in the order they were made.
public final class ULIDGenerator: Sendable {
    private struct State {
        var milliseconds: UInt64 = 0
        var high: UInt16 = 0
        var low: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func next(at time: Timestamp = .now()) -> String { nextID(at: time).description }

    public func nextID(at time: Timestamp = .now()) -> EventID {
        let millis = UInt64(max(0, time.microseconds / 1000))
        return state.withLock { state in
            if millis > state.milliseconds {
                var random = SystemRandomNumberGenerator()
                state.milliseconds = millis
                // Leave headroom so increments within the millisecond cannot overflow.
                state.high = UInt16.random(in: 0...0x7FFF, using: &random)
                state.low = random.next()
            } else {
                let (sum, overflow) = state.low.addingReportingOverflow(1)
                state.low = sum
                if overflow { state.high &+= 1 }
            }
            return EventID(milliseconds: state.milliseconds, randomHigh: state.high, randomLow: state.low)
        }
    }
}
