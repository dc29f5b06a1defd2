import HeraldCore
import HeraldTestSupport
import Testing

/// The store contract for bounded reads: pages capped in bytes as well as in count, and the
/// causal reads, on the backend the run chose.
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
            let page = try await store.events(run: RunRef(run: "big"), filter: filter, afterSeq: after, limit: 100, maxBytes: maxBytes)
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
                let page = try await store.events(run: RunRef(run: "big"), filter: EventFilter(), beforeSeq: before, limit: 100, maxBytes: Self.budget)
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
            let counted = try await store.events(run: RunRef(run: "big"), filter: EventFilter(), afterSeq: 0, limit: 5, maxBytes: 1 << 30)
            #expect(counted.events.map(\.seq) == [1, 2, 3, 4, 5])
            #expect(counted.hasMore)
            let last = try await store.events(run: RunRef(run: "big"), filter: EventFilter(), afterSeq: 29, limit: 5, maxBytes: 1)
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
                positions += page.events.map(\.projectPosition)
                pages += 1
                guard page.hasMore, let last = page.events.last else { break }
                after = last.projectPosition
            }
            #expect(pages >= 10)
            #expect(positions == Array(1...60))
            let rest = try await store.events(project: "default", filter: EventFilter(), afterPosition: 60, limit: 10, maxBytes: Self.budget)
            #expect(rest.events.isEmpty && !rest.hasMore)
        }
    }

    @Test func runsPagesAreCappedInBytesAndTheCursorCarriesTheRest() async throws {
        try await StoreContractTests.withStore { store in
            // Ten runs of 200 agents with long names: about 23 KB each as a page counts them.
            for index in 0..<10 {
                let agents = (0..<200).map { "agent-\(index)-\($0)-" + String(repeating: "a", count: 90) }
                _ = try await store.append(AppendRequest(drafts: agents.map { EventDraft(run: "r\(index)", type: "x.y", agent: $0) }))
            }
            var names: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await store.runs(RunQuery(limit: 100, maxBytes: Self.budget, cursor: cursor))
                #expect(!page.runs.isEmpty)
                #expect(page.runs.reduce(0) { $0 + $1.pageBytes } <= Self.budget)
                names += page.runs.map(\.run)
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil
            #expect(pages >= 4)
            #expect(names == (0..<10).reversed().map { "r\($0)" }, "most recently updated first, each once")
        }
    }

    @Test func causalReadsTakeManyIdsAtOnceWithinTheirLimits() async throws {
        try await StoreContractTests.withStore { store in
            // Two roots; six effects, each caused by one root or both; an unrelated event.
            let rootA = "01JB0000000000000000000001"
            let rootB = "01JB0000000000000000000002"
            let missing = "01JB0000000000000000000099"
            var drafts = [EventDraft(id: rootA, run: "c", type: "x.a"), EventDraft(id: rootB, run: "c", type: "x.b")]
            for index in 0..<6 {
                let causes = index % 3 == 0 ? [rootA, rootB] : [index % 2 == 0 ? rootA : rootB]
                drafts.append(EventDraft(run: "c", type: "x.effect", causedBy: causes))
            }
            drafts.append(EventDraft(run: "c", type: "x.alone"))
            _ = try await store.append(AppendRequest(drafts: drafts))

            // Effects of both roots: each once, in seq order.
            let all = try await store.effects(run: RunRef(run: "c"), of: [rootA, rootB], limit: 100, maxBytes: 1 << 20)
            #expect(all.events.map(\.seq) == [3, 4, 5, 6, 7, 8])
            #expect(!all.hasMore)
            let firstThree = try await store.effects(run: RunRef(run: "c"), of: [rootA, rootB], limit: 3, maxBytes: 1 << 20)
            #expect(firstThree.events.map(\.seq) == [3, 4, 5])
            #expect(firstThree.hasMore)
            let oneByBytes = try await store.effects(run: RunRef(run: "c"), of: [rootA], limit: 100, maxBytes: 1)
            #expect(oneByBytes.events.count == 1 && oneByBytes.hasMore)
            #expect(try await store.effects(run: RunRef(run: "other"), of: [rootA], limit: 100, maxBytes: 1 << 20).events.isEmpty)

            // By ids: missing ones are absent; a budget cuts the read and says so.
            let byIds = try await store.events(run: RunRef(run: "c"), ids: [rootB, missing, rootA], maxBytes: 1 << 20)
            #expect(byIds.events.map(\.id) == [rootA, rootB])
            #expect(!byIds.hasMore)
            let cut = try await store.events(run: RunRef(run: "c"), ids: [rootA, rootB], maxBytes: 1)
            #expect(cut.events.count == 1 && cut.hasMore)

            #expect(try await store.storedIds(run: RunRef(run: "c"), among: [rootA, missing, rootB]) == [rootA, rootB])
            #expect(try await store.storedIds(run: RunRef(run: "other"), among: [rootA]).isEmpty)
        }
    }

    @Test func aCausalityWalkIsBoundedInEventsBytesAndDanglingIds() async throws {
        try await StoreContractTests.withStore { store in
            // A root with 1,200 effects, each naming the root and 20 ids stored nowhere.
            let root = "01JC0000000000000000000000"
            _ = try await store.append(AppendRequest(drafts: [EventDraft(id: root, run: "fan", type: "x.root")]))
            let ids = ULIDGenerator()
            for _ in 0..<6 {
                let drafts = (0..<200).map { _ in
                    EventDraft(run: "fan", type: "x.effect", causedBy: [root] + (0..<20).map { _ in ids.next() })
                }
                _ = try await store.append(AppendRequest(drafts: drafts))
            }
            let causality = try #require(try await Causality.trace(in: store, run: RunRef(run: "fan"), id: root))
            #expect(causality.truncated)
            #expect(causality.downstream.count == Causality.maxEvents)
            #expect(causality.downstream.map(\.seq) == Array(2...1001))
            #expect(causality.dangling.count == Causality.maxDangling)

            // A byte budget keeps fewer events, nearest (earliest) first.
            let small = try #require(try await Causality.trace(in: store, run: RunRef(run: "fan"), id: root, maxBytes: 64 << 10))
            #expect(small.truncated)
            #expect(small.downstream.count < 100)
            #expect(small.downstream.reduce(0) { $0 + $1.pageBytes } <= 64 << 10)
            #expect(small.downstream.map(\.seq) == Array(2..<Int64(2 + small.downstream.count)))

            // Within every cap, nothing is cut.
            let effect = try #require(causality.downstream.first)
            let up = try #require(try await Causality.trace(in: store, run: RunRef(run: "fan"), id: effect.id))
            #expect(up.upstream.map(\.id) == [root])
            #expect(up.dangling.count == 20)
            #expect(!up.truncated)
        }
    }
}
