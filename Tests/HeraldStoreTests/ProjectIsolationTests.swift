import HeraldCore
import HeraldTestSupport
import Testing

/// Runs are named within their project: what one project stores is never found, taken or
/// counted from another. On the backend the run chose (`HERALD_TEST_STORE`).
@Suite("Runs named within their project", .timeLimit(.minutes(1)))
struct ProjectIsolationTests {
    static func draft(_ project: String, _ run: String, _ type: String = "x.y", id: String? = nil) -> EventDraft {
        EventDraft(id: id, project: project, run: run, type: type)
    }

    @Test func twoProjectsHoldRunsOfTheSameNameApart() async throws {
        try await StoreContractTests.withStore { store in
            _ = try await store.append(AppendRequest(drafts: [Self.draft("a", "r"), Self.draft("a", "r", "run.completed")]))
            let placed = try await store.append(AppendRequest(drafts: [Self.draft("b", "r")]))
            #expect(placed.placements.map(\.seq) == [1], "b's r is a new run, not a's finished one")
            let a = try #require(try await store.run(RunRef(project: "a", run: "r")))
            let b = try #require(try await store.run(RunRef(project: "b", run: "r")))
            #expect(a.status == .completed && a.eventCount == 2)
            #expect(b.status == .running && b.eventCount == 1)
            let bEvents = try await store.events(run: RunRef(project: "b", run: "r"), filter: EventFilter(), afterSeq: 0, limit: 10)
            #expect(bEvents.events.map(\.project) == ["b"])
            #expect(try await store.run(RunRef(project: "c", run: "r")) == nil)
            // Named without a project: every project's run of that name, or those of the scope.
            #expect(Set(try await store.runs(named: "r", in: .all, limit: 10).map(\.project)) == ["a", "b"])
            #expect(try await store.runs(named: "r", in: .only(["b", "c"]), limit: 10).map(\.project) == ["b"])
            #expect(try await store.runs(named: "r", in: .only([]), limit: 10).isEmpty)
            #expect(try await store.runs(named: "r", in: .all, limit: 1).count == 1)
        }
    }

    @Test func anEventIdIsUniqueWithinItsProjectOnly() async throws {
        try await StoreContractTests.withStore { store in
            let id = ULIDGenerator().next()
            _ = try await store.append(AppendRequest(drafts: [Self.draft("a", "r", id: id)]))
            // The same id in another project is another event, wherever it goes.
            let other = try await store.append(AppendRequest(drafts: [Self.draft("b", "s", id: id)]))
            #expect(other.placements.first?.duplicate == false && other.accepted == 1)
            // Within a project, a retry is a duplicate and another run is a conflict.
            let retry = try await store.append(AppendRequest(drafts: [Self.draft("a", "r", id: id)]))
            #expect(retry.placements.first?.duplicate == true)
            do {
                _ = try await store.append(AppendRequest(drafts: [Self.draft("b", "t", id: id)]))
                Issue.record("an id used twice in one project was accepted")
            } catch let error as HeraldError {
                #expect(error.code == .idConflict)
                #expect(error.message.contains("run s"), "the conflict names b's own run: \(error.message)")
            }
            let a = try #require(try await store.event(run: RunRef(project: "a", run: "r"), id: id))
            let b = try #require(try await store.event(run: RunRef(project: "b", run: "s"), id: id))
            #expect(a.project == "a" && b.project == "b")
            #expect(try await store.event(run: RunRef(project: "b", run: "r"), id: id) == nil)
            #expect(try await store.storedIds(run: RunRef(project: "b", run: "r"), among: [id]).isEmpty)
        }
    }

    @Test func causalLinksStayInTheirProjectsRun() async throws {
        try await StoreContractTests.withStore { store in
            let root = ULIDGenerator().next()
            _ = try await store.append(
                AppendRequest(drafts: [
                    Self.draft("a", "r", id: root), EventDraft(project: "a", run: "r", type: "x.effect", causedBy: [root]),
                    Self.draft("b", "r", id: root), EventDraft(project: "b", run: "r", type: "x.other", causedBy: [root]),
                ])
            )
            let effects = try await store.effects(run: RunRef(project: "a", run: "r"), of: [root], limit: 10, maxBytes: 1 << 20)
            #expect(effects.events.map(\.type) == ["x.effect"])
            let causality = try #require(try await Causality.trace(in: store, run: RunRef(project: "b", run: "r"), id: root))
            #expect(causality.downstream.map(\.type) == ["x.other"])
        }
    }

    @Test func projectPositionsCountOnlyTheProjectsOwnEvents() async throws {
        try await StoreContractTests.withStore { store in
            _ = try await store.append(AppendRequest(drafts: [Self.draft("a", "r1"), Self.draft("b", "s"), Self.draft("a", "r2")]))
            // 500 events of b's between two of a's: a's positions do not move by them.
            _ = try await store.append(AppendRequest(drafts: (0..<500).map { _ in Self.draft("b", "s") }))
            _ = try await store.append(AppendRequest(drafts: [Self.draft("a", "r1")]))
            let a = try await store.events(project: "a", filter: EventFilter(), afterPosition: 0, limit: 100)
            #expect(a.events.map(\.projectPosition) == [1, 2, 3])
            #expect(a.events.map(\.run) == ["r1", "r2", "r1"])
            #expect(try await store.lastPosition(project: "a") == 3)
            #expect(try await store.lastPosition(project: "b") == 501)
            #expect(try await store.lastPosition(project: "nobody") == 0)
            let resumed = try await store.events(project: "a", filter: EventFilter(), afterPosition: 2, limit: 100)
            #expect(resumed.events.map(\.projectPosition) == [3])
            #expect(try await store.lastPosition() == 504, "the store-wide position still counts everything, for operators")
        }
    }

    @Test func projectPositionsSurviveAReopen() async throws {
        let directory = TestStores.makeTemporaryDirectory()
        try await StoreContractTests.withStore(directory: directory) { store in
            _ = try await store.append(AppendRequest(drafts: [Self.draft("a", "r"), Self.draft("b", "r"), Self.draft("a", "r")]))
        }
        try await StoreContractTests.withStore(directory: directory) { store in
            let placed = try await store.append(AppendRequest(drafts: [Self.draft("a", "r"), Self.draft("b", "new")]))
            #expect(placed.placements.map(\.seq) == [3, 1])
            let a = try await store.events(project: "a", filter: EventFilter(), afterPosition: 0, limit: 10)
            #expect(a.events.map(\.projectPosition) == [1, 2, 3])
            #expect(try await store.lastPosition(project: "b") == 2)
        }
    }
}
