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
        var out = [UInt8](repeating: 0, count: 26)
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
        return String(decoding: out, as: UTF8.self)
    }
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

    public func next(at time: Timestamp = .now()) -> String {
        let millis = UInt64(max(0, time.microseconds / 1000))
        let (ms, high, low) = state.withLock { state -> (UInt64, UInt16, UInt64) in
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
            return (state.milliseconds, state.high, state.low)
        }
        return ULID.encode(milliseconds: ms, randomHigh: high, randomLow: low)
    }
}
