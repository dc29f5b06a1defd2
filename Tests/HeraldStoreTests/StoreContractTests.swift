import Foundation
import HeraldCore
import HeraldSQLite
import HeraldTestSupport
import Synchronization
import Testing

/// The store contract: what every `EventStore` must do, on the backend the run chose
/// (`HERALD_TEST_STORE`, SQLite by default).
@Suite("Store contract", .timeLimit(.minutes(1)))
struct StoreContractTests {
    /// Opens a store in `directory` (a fresh one by default), runs it while `body` runs, closes it.
    static func withStore<T: Sendable>(
        directory: String = TestStores.makeTemporaryDirectory(), _ body: (any EventStore) async throws -> T
    ) async throws -> T {
        try await TestStores.open(directory).whileRunning(body)
    }

    static func draft(_ run: String, _ type: String = "x.y", id: String? = nil) -> EventDraft {
        EventDraft(id: id, run: run, type: type)
    }

    @Test func appendsAssignGaplessSeqsAndIncreasingPositions() async throws {
        try await Self.withStore { store in
            let first = try await store.append(AppendRequest(drafts: [Self.draft("a"), Self.draft("b"), Self.draft("a")]))
            #expect(first.placements.map(\.seq) == [1, 1, 2])
            let page = try await store.events(run: RunRef(run: "a"), filter: EventFilter(), afterSeq: 0, limit: 10)
            #expect(page.events.map(\.seq) == [1, 2])
            #expect(page.events.map(\.position) == [1, 3])
            #expect(try await store.lastPosition() == 3)
        }
    }

    @Test func aPartialAppendRefusesOnlyTheEventsThatCannotBePlaced() async throws {
        try await Self.withStore { store in
            _ = try await store.append(AppendRequest(drafts: [Self.draft("done", "run.completed")]))
            var late = Self.draft("open")
            late.expectedSeq = 7
            let result = try await store.append(
                AppendRequest(drafts: [Self.draft("done"), Self.draft("open"), late, Self.draft("open"), Self.draft("fresh")], partial: true)
            )
            #expect(result.placements.map(\.seq) == [1, 2, 1])
            #expect(result.indices == [1, 3, 4])
            #expect(result.rejected.map(\.index) == [0, 2])
            #expect(result.rejected.map(\.error.code) == [.runFinished, .seqConflict])
            let page = try await store.events(run: RunRef(run: "open"), filter: EventFilter(), afterSeq: 0, limit: 10)
            #expect(page.events.map(\.seq) == [1, 2])
            #expect(try await store.run(RunRef(run: "fresh"))?.lastSeq == 1)
        }
    }

    @Test func projectsAreSummedFromTheirRunsMostRecentFirst() async throws {
        try await Self.withStore { store in
            func draft(_ project: String, _ run: String, _ type: String, second: Int64) -> EventDraft {
                var draft = Self.draft(run, type)
                draft.project = project
                draft.time = Timestamp(microseconds: 1_800_000_000_000_000 + second * 1_000_000)
                return draft
            }
            _ = try await store.append(
                AppendRequest(drafts: [
                    draft("alpha", "a1", "run.started", second: 1), draft("alpha", "a2", "run.started", second: 2),
                    draft("alpha", "a1", "run.completed", second: 3), draft("beta", "b1", "run.queued", second: 5),
                ])
            )
            let projects = try await store.projects(limit: 10)
            #expect(projects.map(\.project) == ["beta", "alpha"])
            #expect(projects.map(\.runs) == [1, 2])
            #expect(projects.map(\.activeRuns) == [1, 1])
            #expect(projects.map(\.updatedAt.microseconds) == [1_800_000_005_000_000, 1_800_000_003_000_000])
            #expect(try await store.projects(limit: 1).map(\.project) == ["beta"])
        }
    }

    @Test func concurrentAppendsShareTransactionsAndStayGapless() async throws {
        try await Self.withStore { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask { _ = try await store.append(AppendRequest(drafts: (0..<20).map { _ in Self.draft("hot") })) }
                }
                try await group.waitForAll()
            }
            let page = try await store.events(run: RunRef(run: "hot"), filter: EventFilter(), afterSeq: 0, limit: 2000)
            #expect(page.events.map(\.seq) == Array(1...1000))
            #expect(page.total == 1000)
        }
    }

    @Test func theObserverHearsEveryCommitInPositionOrder() async throws {
        let heard = Heard()
        try await Self.withStore { store in
            store.observeCommits { events in heard.add(events.map(\.position)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask { _ = try await store.append(AppendRequest(drafts: [Self.draft("r\(index % 3)"), Self.draft("z")])) }
                }
                try await group.waitForAll()
            }
            // A shared store hears of commits through notifications: give it a moment.
            for _ in 0..<500 where heard.positions.count < 40 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(heard.positions == Array(1...40))
    }

    @Test func aRefusedRequestLeavesNoTraceWhileOthersCommit() async throws {
        try await Self.withStore { store in
            _ = try await store.append(AppendRequest(drafts: [Self.draft("done", "run.completed")]))
            async let refused = Self.outcome { () async throws(HeraldError) in try await store.append(AppendRequest(drafts: [Self.draft("fine"), Self.draft("done")])) }
            async let accepted = store.append(AppendRequest(drafts: [Self.draft("fine")]))
            #expect(await refused?.code == .runFinished)
            #expect(try await accepted.placements.map(\.seq) == [1])
            #expect(try await store.run(RunRef(run: "fine"))?.eventCount == 1)
            #expect(try await store.run(RunRef(run: "done"))?.eventCount == 1)
        }
    }

    /// The error an append threw, or nil.
    static func outcome(_ body: () async throws(HeraldError) -> AppendResult) async -> HeraldError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test func everythingSurvivesReopening() async throws {
        let directory = TestStores.makeTemporaryDirectory()
        try await Self.withStore(directory: directory) { store in
            _ = try await store.append(
                AppendRequest(drafts: [Self.draft("r", "run.started"), Self.draft("r", id: "01JAAAAAAAAAAAAAAAAAAAAAAA")])
            )
        }
        try await Self.withStore(directory: directory) { store in
            let run = try #require(try await store.run(RunRef(run: "r")))
            #expect(run.lastSeq == 2)
            #expect(run.status == .running)
            // The writer resumes its counters and still knows the stored ids.
            let again = try await store.append(AppendRequest(drafts: [Self.draft("r", id: "01JAAAAAAAAAAAAAAAAAAAAAAA"), Self.draft("r")]))
            #expect(again.placements.map(\.seq) == [2, 3])
            #expect(again.duplicates == 1)
            #expect(try await store.lastPosition() == 3)
        }
    }

    @Test(.enabled(if: TestStores.backend == .sqlite)) func fullDurabilityOpensAndCommits() async throws {
        let store = try SQLiteStore(path: TestStores.makeTemporaryDirectory() + "/herald.sqlite", durability: .full)
        _ = try await store.append(AppendRequest(drafts: [Self.draft("r")]))
        #expect(try await store.run(RunRef(run: "r"))?.eventCount == 1)
        await store.close()
    }
}

final class Heard: Sendable {
    private let state = Mutex<[Int64]>([])
    func add(_ positions: [Int64]) { state.withLock { $0 += positions } }
    var positions: [Int64] { state.withLock { $0 } }
}
