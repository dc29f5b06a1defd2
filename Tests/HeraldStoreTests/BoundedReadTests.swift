import HeraldCore
import HeraldTestSupport
import Testing

/// The store contract for bounded reads: pages capped in bytes as well as in count, on the
/// backend the run chose.
@Suite("Store contract: bounded reads", .timeLimit(.minutes(1)))
struct BoundedReadTests {
    /// 30 events of about 20 KB each in run "big" (every third a `big.odd`), and a small run
    /// "other" interleaved, so project reads cross runs.
    static func seed(_ store: any EventStore) async throws {
        for index in 1...30 {
            let data = Array(#"{"pad":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: 20_000 + index) + Array(#""}"#.utf8)
            let big = EventDraft(run: "big", type: index % 3 == 0 ? "big.odd" : "big.even", data: data)
            _ = try await store.append(AppendRequest(drafts: [big, EventDraft(run: "other", type: "x.y")]))
        }
    }

    static let budget = 64 << 10

    /// Every page's events, read forward from the start until `hasMore` is false.
    static func pagesForward(_ store: any EventStore, filter: EventFilter = EventFilter(), maxBytes: Int = budget) async throws -> [[Event]] {
        var pages: [[Event]] = []
        var after: Int64 = 0
        while true {
            let page = try await store.events(run: "big", filter: filter, afterSeq: after, limit: 100, maxBytes: maxBytes)
            pages.append(page.events)
            guard page.hasMore else { return pages }
            after = try #require(page.events.last?.seq)
        }
    }

    @Test func aPageStopsAtItsByteBudgetAndHasMoreCarriesTheRestExactly() async throws {
        try await StoreContractTests.withStore { store in
            try await Self.seed(store)
            let pages = try await Self.pagesForward(store)
            // About three 20 KB events fit in 64 KiB: many pages, none empty, none over budget.
            #expect(pages.count >= 10)
            for page in pages {
                #expect(!page.isEmpty)
                #expect(page.reduce(0) { $0 + $1.pageBytes } <= Self.budget)
            }
            // No event skipped or repeated.
            #expect(pages.flatMap { $0 }.map(\.seq) == Array(1...30))

            // The same through a filter (a statement that is not cached).
            let odd = try await Self.pagesForward(store, filter: EventFilter(types: [.exact("big.odd")]))
            #expect(odd.flatMap { $0 }.map(\.seq) == Array(stride(from: 3, through: 30, by: 3)))
            #expect(odd.count > 1)
        }
    }

    @Test func readingBackwardsIsCappedTheSameWay() async throws {
        try await StoreContractTests.withStore { store in
            try await Self.seed(store)
            var seqs: [Int64] = []
            var before = Int64.max
            var pages = 0
            while true {
                let page = try await store.events(run: "big", filter: EventFilter(), beforeSeq: before, limit: 100, maxBytes: Self.budget)
                #expect(!page.events.isEmpty)
                #expect(page.events.map(\.seq) == page.events.map(\.seq).sorted())
                seqs = page.events.map(\.seq) + seqs
                pages += 1
                guard page.hasMore else { break }
                before = try #require(page.events.first?.seq)
            }
            #expect(pages >= 10)
            #expect(seqs == Array(1...30))
        }
    }

    @Test func anEventLargerThanTheBudgetStillMakesAPageOfItsOwn() async throws {
        try await StoreContractTests.withStore { store in
            try await Self.seed(store)
            let pages = try await Self.pagesForward(store, maxBytes: 1)
            #expect(pages.map(\.count) == Array(repeating: 1, count: 30))
            // A count limit still applies under a large budget.
            let counted = try await store.events(run: "big", filter: EventFilter(), afterSeq: 0, limit: 5, maxBytes: 1 << 30)
            #expect(counted.events.map(\.seq) == [1, 2, 3, 4, 5])
            #expect(counted.hasMore)
            let last = try await store.events(run: "big", filter: EventFilter(), afterSeq: 29, limit: 5, maxBytes: 1)
            #expect(last.events.map(\.seq) == [30])
            #expect(!last.hasMore)
        }
    }

    @Test func projectReadsByPositionAreCappedAndHasMoreCarriesTheRest() async throws {
        try await StoreContractTests.withStore { store in
            try await Self.seed(store)
            var positions: [Int64] = []
            var after: Int64 = 0
            var pages = 0
            while true {
                let page = try await store.events(project: "default", filter: EventFilter(), afterPosition: after, limit: 1000, maxBytes: Self.budget)
                #expect(!page.events.isEmpty)
                #expect(page.events.reduce(0) { $0 + $1.pageBytes } <= Self.budget)
                positions += page.events.map(\.position)
                pages += 1
                guard page.hasMore, let last = page.events.last else { break }
                after = last.position
            }
            #expect(pages >= 10)
            #expect(positions == Array(1...60))
            let rest = try await store.events(project: nil, filter: EventFilter(), afterPosition: 60, limit: 10, maxBytes: Self.budget)
            #expect(rest.events.isEmpty && !rest.hasMore)
        }
    }
}
