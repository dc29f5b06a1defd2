import Testing

@testable import HeraldCore

@Suite("ULID")
struct ULIDTests {
    @Test(
        "isValid accepts canonical ULIDs only",
        arguments: [
            (Ids.a, true), ("00000000000000000000000000", true), ("7ZZZZZZZZZZZZZZZZZZZZZZZZZ", true), ("0123456789ABCDEFGHJKMNPQRS", true),
            ("", false), ("01ARZ3NDEKTSV4RRFFQ69G5FA", false), ("01ARZ3NDEKTSV4RRFFQ69G5FAVX", false),
            ("01arz3ndektsv4rrffq69g5fav", false), ("8ZZZZZZZZZZZZZZZZZZZZZZZZZ", false), ("ZZZZZZZZZZZZZZZZZZZZZZZZZZ", false),
            ("01ARZ3NDEKTSV4RRFFQ69G5FAI", false), ("01ARZ3NDEKTSV4RRFFQ69G5FAL", false), ("01ARZ3NDEKTSV4RRFFQ69G5FAO", false),
            ("01ARZ3NDEKTSV4RRFFQ69G5FAU", false), ("01ARZ3NDEKTSV4RRFFQ69G5FA-", false), ("01ARZ3NDEKTSV4RRFFQ69G5FA\u{C9}", false),
        ] as [(String, Bool)]
    )
    func isValid(text: String, valid: Bool) {
        #expect(ULID.isValid(text) == valid)
    }

    @Test("milliseconds(of:) decodes the time part")
    func milliseconds() {
        #expect(ULID.milliseconds(of: Ids.a) == 1_469_922_850_259)
        #expect(ULID.milliseconds(of: "00000000000000000000000000") == 0)
        #expect(ULID.milliseconds(of: "0000000001ZZZZZZZZZZZZZZZZ") == 1)
        #expect(ULID.milliseconds(of: "7ZZZZZZZZZ0000000000000000") == (1 << 48) - 1)
        #expect(ULID.milliseconds(of: "not a ulid") == nil)
        #expect(ULID.milliseconds(of: Ids.a.lowercased()) == nil)
    }

    @Test("encode lays out 48 time bits then 80 random bits")
    func encode() {
        #expect(ULID.encode(milliseconds: 0, randomHigh: 0, randomLow: 0) == String(repeating: "0", count: 26))
        #expect(ULID.encode(milliseconds: (1 << 48) - 1, randomHigh: .max, randomLow: .max) == "7" + String(repeating: "Z", count: 25))
        // The time of the ulid spec's example.
        #expect(ULID.encode(milliseconds: 1_469_918_176_385, randomHigh: 0, randomLow: 1) == "01ARYZ6S41" + "0000000000000001")
        // 2^64 (the lowest high bit) is 16 · 32^12: "G" twelve places from the end.
        #expect(ULID.encode(milliseconds: 0, randomHigh: 1, randomLow: 0) == "0000000000000G000000000000")
        // 2^79 (the top random bit) is 16 · 32^15: "G" right after the time.
        #expect(ULID.encode(milliseconds: 0, randomHigh: 0x8000, randomLow: 0) == "0000000000G000000000000000")
    }

    @Test("the generator is strictly increasing within one millisecond")
    func monotonicWithinMillisecond() throws {
        let generator = ULIDGenerator()
        let time = try #require(Timestamp(rfc3339: "2026-01-02T03:04:05.678901Z"))
        let ids = (0..<10_000).map { _ in generator.next(at: time) }
        // isValid is slow in debug builds: check a sample, then that every id shares the sample's time prefix.
        let sample = stride(from: 0, to: ids.count, by: 97).map { ids[$0] } + [ids[ids.count - 1]]
        #expect(sample.allSatisfy { ULID.isValid($0) && ULID.milliseconds(of: $0) == 1_767_323_045_678 })
        let prefix = ids[0].prefix(10)
        #expect(ids.allSatisfy { $0.utf8.count == 26 && $0.prefix(10) == prefix })
        #expect(Set(ids).count == ids.count)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("later milliseconds sort later; a clock going back does not break the order")
    func acrossMilliseconds() {
        let generator = ULIDGenerator()
        let first = generator.next(at: Timestamp(microseconds: 5_000_000))
        let later = generator.next(at: Timestamp(microseconds: 5_001_000))
        let back = generator.next(at: Timestamp(microseconds: 4_000_000))
        #expect(first < later)
        #expect(later < back)
        #expect(ULID.milliseconds(of: first) == 5_000)
        #expect(ULID.milliseconds(of: later) == 5_001)
        #expect(ULID.milliseconds(of: back) == 5_001)
    }

    @Test("concurrent callers never get the same id")
    func concurrent() async {
        let generator = ULIDGenerator()
        let time = Timestamp(microseconds: 1_767_323_045_000_000)
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<2_000).map { _ in generator.next(at: time) } } }
            var all: [String] = []
            for await part in group {
                #expect(zip(part, part.dropFirst()).allSatisfy { $0 < $1 })
                all += part
            }
            return all
        }
        #expect(Set(ids).count == 8_000)
    }

    @Test("next() defaults to the current time")
    func defaultTime() throws {
        let before = Timestamp.now().microseconds / 1000
        let id = ULIDGenerator().next()
        let after = Timestamp.now().microseconds / 1000
        let millis = try #require(ULID.milliseconds(of: id))
        #expect(millis >= before && millis <= after)
    }

    @Test
    func eventIDsRoundTripAndSortLikeTheirText() throws {
        let generator = ULIDGenerator()
        let ids = (0..<1_000).map { _ in generator.nextID() }
        for id in ids { #expect(EventID(id.description) == id) }
        #expect(ids.sorted() == ids && ids.map(\.description).sorted() == ids.map(\.description))
        let text = "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"
        #expect(EventID(text)?.description == text, "the largest ULID")
        #expect(EventID("01JAAAAAAAAAAAAAAAAAAAAAAA")?.description == "01JAAAAAAAAAAAAAAAAAAAAAAA")
        #expect(EventID("8ZZZZZZZZZZZZZZZZZZZZZZZZZ") == nil && EventID("01jaaaaaaaaaaaaaaaaaaaaaaa") == nil && EventID("") == nil)
    }
}
