import Foundation
import HeraldCore
import Testing

/// Retention in the store: what is deleted, what stays, and that pruning in small passes ends
/// where one big pass would.
@Suite("Retention", .timeLimit(.minutes(1)))
struct RetentionTests {
    static let day: Int64 = 86_400_000_000
    static let now = Timestamp(microseconds: 1_800_000_000_000_000)

    static func append(_ store: any EventStore, run: String, project: String = "default", count: Int, daysAgo: Int64 = 0) async throws {
        let time = Timestamp(microseconds: now.microseconds - daysAgo * day)
        var drafts: [EventDraft] = []
        for index in 0..<count {
            drafts.append(EventDraft(project: project, run: run, type: index % 2 == 0 ? "agent.log" : "x.y", time: time, agent: "a", data: Array(#"{"line":"l"}"#.utf8)))
        }
        _ = try await store.append(AppendRequest(drafts: drafts))
    }

    static func policy(_ rules: String...) throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        for rule in rules { try policy.add(rule) }
        return policy
    }

    @Test func maxEventsKeepsEachRunsNewestAndMovesFirstSeq() async throws {
        try await StoreContractTests.withStore { store in
            try await Self.append(store, run: "long", count: 30)
            try await Self.append(store, run: "short", count: 5)
            let result = try await store.prune(try Self.policy("max-events=10"), now: Self.now, limit: 1000)
            #expect(result == PruneResult(runsDeleted: 0, eventsDeleted: 20, isComplete: true))
            let run = try #require(try await store.run(RunRef(run: "long")))
            #expect(run.firstSeq == 21 && run.lastSeq == 30 && run.eventCount == 10)
            let page = try await store.events(run: RunRef(run: "long"), filter: EventFilter(), afterSeq: 0, limit: 100)
            #expect(page.events.map(\.seq) == Array(21...30))
            #expect(page.total == 10)
            // Facet counts follow: a filtered total counts only what is left.
            let logs = try await store.events(run: RunRef(run: "long"), filter: EventFilter(types: [.exact("agent.log")]), afterSeq: 0, limit: 100)
            #expect(logs.total == 5 && logs.events.count == 5)
            #expect(try await store.run(RunRef(run: "short"))?.eventCount == 5)
            // Appends after pruning continue the seq.
            try await Self.append(store, run: "long", count: 1)
            let grown = try #require(try await store.run(RunRef(run: "long")))
            #expect(grown.firstSeq == 21 && grown.lastSeq == 31 && grown.eventCount == 11)
        }
    }

    @Test func maxAgeDeletesWholeRunsPerProject() async throws {
        try await StoreContractTests.withStore { store in
            try await Self.append(store, run: "old", count: 4, daysAgo: 40)
            try await Self.append(store, run: "recent", count: 4, daysAgo: 2)
            try await Self.append(store, run: "kept-old", project: "archive", count: 4, daysAgo: 40)
            try await Self.append(store, run: "short-lived", project: "scratch", count: 4, daysAgo: 2)
            let policy = try Self.policy("max-age=30d", "archive:max-age=365d", "scratch:max-age=1d")
            let result = try await store.prune(policy, now: Self.now, limit: 1000)
            #expect(result.runsDeleted == 2 && result.eventsDeleted == 8 && result.isComplete)
            #expect(try await store.run(RunRef(run: "old")) == nil)
            #expect(try await store.run(RunRef(project: "scratch", run: "short-lived")) == nil)
            #expect(try await store.run(RunRef(run: "recent")) != nil)
            #expect(try await store.run(RunRef(project: "archive", run: "kept-old")) != nil)
            // A deleted run's name starts afresh.
            try await Self.append(store, run: "old", count: 1)
            #expect(try await store.run(RunRef(run: "old"))?.lastSeq == 1)
        }
    }

    @Test func smallPassesEndWhereOneBigPassWould() async throws {
        try await StoreContractTests.withStore { store in
            for index in 0..<5 { try await Self.append(store, run: "r\(index)", count: 50) }
            try await Self.append(store, run: "gone", count: 50, daysAgo: 10)
            let policy = try Self.policy("max-events=7,max-age=5d")
            var passes = 0
            var deleted = 0
            while true {
                let pass = try await store.prune(policy, now: Self.now, limit: 16)
                #expect(pass.eventsDeleted <= 16)
                deleted += pass.eventsDeleted
                passes += 1
                if pass.isComplete { break }
            }
            #expect(passes > 10)
            #expect(deleted == 5 * 43 + 50)
            for index in 0..<5 {
                let run = try #require(try await store.run(RunRef(run: "r\(index)")))
                #expect(run.firstSeq == 44 && run.eventCount == 7)
            }
            #expect(try await store.run(RunRef(run: "gone")) == nil)
            #expect(try await store.prune(policy, now: Self.now, limit: 16) == PruneResult())
        }
    }

    @Test func causalLinksOfDeletedEventsGoWithThem() async throws {
        try await StoreContractTests.withStore { store in
            let first = try await store.append(AppendRequest(drafts: [EventDraft(run: "c", type: "x.y")]))
            let cause = first.placements[0].id
            _ = try await store.append(AppendRequest(drafts: [EventDraft(run: "c", type: "x.y", causedBy: [cause])]))
            #expect(try await store.effects(run: RunRef(run: "c"), of: [cause], limit: 10, maxBytes: PageBudget.defaultMaxBytes).events.count == 1)
            _ = try await store.prune(try Self.policy("max-events=1"), now: Self.now, limit: 100)
            // The effect stays (it is the newest) and still names its cause, which is gone.
            #expect(try await store.event(run: RunRef(run: "c"), id: cause) == nil)
            #expect(try await store.events(run: RunRef(run: "c"), filter: EventFilter(), afterSeq: 0, limit: 10).events.map(\.seq) == [2])
        }
    }

    @Test func rulesAreReadFromTheirCommandLineForm() throws {
        var policy = RetentionPolicy()
        try policy.add("max-age=30d")
        try policy.add("acme:max-events=100000,max-age=12h")
        #expect(policy.defaultRule == RetentionRule(maxAge: .seconds(30 * 86_400)))
        #expect(policy.projects["acme"] == RetentionRule(maxAge: .seconds(12 * 3600), maxEventsPerRun: 100_000))
        for bad in ["", "max-age=30", "max-age=-1d", "acme:", "keep=3", "max-events=0", "acme:max-age=1w"] {
            #expect(throws: HeraldError.self, "\(bad)") { try policy.add(bad) }
        }
    }
}
