import Testing

@testable import HeraldCore

@Suite("Timestamp")
struct TimestampTests {
    /// 2026-01-02T03:04:05Z in seconds since the epoch.
    static let base: Int64 = 1_767_323_045

    @Test(
        "parses RFC 3339 with Z, offsets and 0 to 9 fraction digits",
        arguments: [
            ("2026-01-02T03:04:05Z", base * 1_000_000),
            ("2026-01-02t03:04:05z", base * 1_000_000),
            ("2026-01-02 03:04:05Z", base * 1_000_000),
            ("2026-01-02T03:04:05+00:00", base * 1_000_000),
            ("2026-01-02T03:04:05-00:00", base * 1_000_000),
            ("2026-01-02T08:34:05+05:30", base * 1_000_000),
            ("2026-01-01T19:04:05-08:00", base * 1_000_000),
            ("2026-01-03T03:03:05+23:59", base * 1_000_000),
            ("2026-01-02T03:04:05.1Z", base * 1_000_000 + 100_000),
            ("2026-01-02T03:04:05.12Z", base * 1_000_000 + 120_000),
            ("2026-01-02T03:04:05.123Z", base * 1_000_000 + 123_000),
            ("2026-01-02T03:04:05.0001Z", base * 1_000_000 + 100),
            ("2026-01-02T03:04:05.12345Z", base * 1_000_000 + 123_450),
            ("2026-01-02T03:04:05.000006Z", base * 1_000_000 + 6),
            ("2026-01-02T03:04:05.9999999Z", base * 1_000_000 + 999_999),
            ("2026-01-02T03:04:05.12345678Z", base * 1_000_000 + 123_456),
            ("2026-01-02T03:04:05.123456789Z", base * 1_000_000 + 123_456),
            ("2026-01-02T04:04:05.5+01:00", base * 1_000_000 + 500_000),
            ("1970-01-01T00:00:00Z", 0),
            ("1969-12-31T23:59:59.999999Z", -1),
            ("1970-01-01T00:00:00+00:01", -60_000_000),
            ("1900-01-01T00:00:00Z", -2_208_988_800_000_000),
            ("0001-01-01T00:00:00Z", -62_135_596_800_000_000),
            ("2024-02-29T00:00:00Z", 1_709_164_800_000_000),
            ("2000-02-29T00:00:00Z", 951_782_400_000_000),
            ("2016-12-31T23:59:60Z", 1_483_228_799_000_000),
        ] as [(String, Int64)]
    )
    func parses(text: String, microseconds: Int64) {
        #expect(Timestamp(rfc3339: text)?.microseconds == microseconds)
    }

    @Test(
        "refuses what is not an RFC 3339 instant",
        arguments: [
            "", "2026-01-02", "2026-01-02T03:04:05", "2026-01-02T03:04Z", "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05ZZ",
            "2026-01-02T03:04:05Zx", " 2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z ", "2026-1-02T03:04:05Z", "2026/01/02T03:04:05Z",
            "2026-01-02X03:04:05Z", "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z", "2026-01-02T24:00:00Z",
            "2026-01-02T23:60:00Z", "2026-01-02T23:59:61Z", "2026-01-02T03:04:05+24:00", "2026-01-02T03:04:05+01:60",
            "2026-01-02T03:04:05+0100", "2026-01-02T03:04:05+01", "2026-01-02T03:04:05+01:0", "2026-01-02T03:04:05.123+", "+2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05.12a4Z", "2026-01-02T03:04:05,5Z",
        ]
    )
    func refuses(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test(
        "formats as UTC with six fraction digits, before and after 1970",
        arguments: [
            (0, "1970-01-01T00:00:00.000000Z"),
            (1, "1970-01-01T00:00:00.000001Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
            (-1_000_000, "1969-12-31T23:59:59.000000Z"),
            (-86_400_000_000, "1969-12-31T00:00:00.000000Z"),
            (-86_400_000_001, "1969-12-30T23:59:59.999999Z"),
            (base * 1_000_000 + 6, "2026-01-02T03:04:05.000006Z"),
            (-2_208_988_800_000_000 + 500_000, "1900-01-01T00:00:00.500000Z"),
            (-62_135_596_800_000_000, "0001-01-01T00:00:00.000000Z"),
            (951_868_799_999_999, "2000-02-29T23:59:59.999999Z"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
        ] as [(Int64, String)]
    )
    func formats(microseconds: Int64, text: String) {
        #expect(Timestamp(microseconds: microseconds).rfc3339 == text)
        #expect(Timestamp(rfc3339: text)?.microseconds == microseconds)
    }

    @Test("format then parse is the identity over years 0001 to 9999")
    func roundTrip() {
        let lowest: Int64 = -62_135_596_800_000_000  // 0001-01-01
        let span: UInt64 = 253_402_300_799_999_999 &- UInt64(bitPattern: lowest)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<5_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = lowest + Int64(state % span)
            let formatted = Timestamp(microseconds: value).rfc3339
            #expect(formatted.utf8.count == 27)
            #expect(Timestamp(rfc3339: formatted)?.microseconds == value, "\(value) → \(formatted)")
        }
    }

    @Test("text order is time order")
    func sortsAsText() {
        let values: [Int64] = [-86_400_000_001, -1, 0, 1, 999_999, 1_000_000, Self.base * 1_000_000]
        let texts = values.map { Timestamp(microseconds: $0).rfc3339 }
        #expect(texts == texts.sorted())
        #expect(Timestamp(microseconds: -1) < Timestamp(microseconds: 0))
    }

    @Test(
        "every accepted time renders back to the same instant",
        arguments: ["9999-12-31T23:30:00-01:00", "0000-01-01T00:30:00+01:00"]
    )
    func acceptedTimesRoundTrip(text: String) throws {
        guard let time = Timestamp(rfc3339: text) else { return }  // refusing such a time is also correct
        #expect(Timestamp(rfc3339: time.rfc3339) == time, "\(text) rendered as \(time.rfc3339)")
    }

    @Test("now() is a current time")
    func now() throws {
        let now = Timestamp.now()
        #expect(now > Timestamp(rfc3339: "2025-01-01T00:00:00Z")!)
        #expect(now < Timestamp(rfc3339: "2100-01-01T00:00:00Z")!)
    }
}
