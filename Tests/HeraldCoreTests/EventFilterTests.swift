import Testing

@testable import HeraldCore

@Suite("EventFilter")
struct EventFilterTests {
    typealias Pattern = EventFilter.TypePattern

    static func event(
        type: String = "agent.log",
        level: Level = .detail,
        agent: String? = "a1",
        turn: Int64? = 3,
        micros: Int64 = 1_000
    ) -> Event {
        Event(
            position: 1, projectPosition: 1,
            id: Ids.a,
            project: "default",
            run: "r",
            seq: 1,
            type: type,
            level: level,
            time: Timestamp(microseconds: micros),
            agent: agent,
            turn: turn,
            causedBy: [],
            json: []
        )
    }

    @Test(
        "type patterns parse",
        arguments: [
            ("agent.*", Pattern.prefix("agent.")), ("a.b_c.*", .prefix("a.b_c.")), ("*", .prefix("")),
            ("agent.log", .exact("agent.log")), ("decision", .exact("decision")),
        ] as [(String, Pattern)]
    )
    func parses(text: String, pattern: Pattern) {
        #expect(Pattern(text) == pattern)
    }

    @Test(
        "invalid type patterns are refused",
        arguments: ["", ".*", "Agent.*", "agent.", "agent*", "agent.**", "*.log", "**", "agent..*", "a b", "agent.*x"]
    )
    func refuses(text: String) {
        #expect(Pattern(text) == nil)
    }

    @Test("patterns match whole namespaces or exact names")
    func patternMatches() throws {
        let agents = try #require(Pattern("agent.*"))
        #expect(agents.matches("agent.log"))
        #expect(agents.matches("agent.x.y"))
        #expect(!agents.matches("agent"))
        #expect(!agents.matches("agents.log"))
        #expect(!agents.matches("run.started"))
        #expect(try #require(Pattern("*")).matches("anything.at.all"))
        #expect(try #require(Pattern("agent.log")).matches("agent.log"))
        #expect(!(try #require(Pattern("agent.log")).matches("agent.logs")))
    }

    @Test("an empty filter lets everything through")
    func empty() {
        #expect(EventFilter().isEmpty)
        #expect(EventFilter().matches(Self.event(agent: nil, turn: nil)))
        #expect(!EventFilter(agents: ["a"]).isEmpty)
    }

    @Test("types: any pattern may match")
    func types() {
        let filter = EventFilter(types: [.prefix("run."), .exact("agent.log")])
        #expect(filter.matches(Self.event(type: "run.started")))
        #expect(filter.matches(Self.event(type: "agent.log")))
        #expect(!filter.matches(Self.event(type: "agent.started")))
    }

    @Test("agents: the event's agent must be listed")
    func agents() {
        let filter = EventFilter(agents: ["a1", "a2"])
        #expect(filter.matches(Self.event(agent: "a2")))
        #expect(!filter.matches(Self.event(agent: "a3")))
        #expect(!filter.matches(Self.event(agent: nil)))
    }

    @Test("level: that level, every coarser one, and system", arguments: [Level.milestone, .decision, .action, .state, .detail])
    func level(verbosity: Level) {
        let filter = EventFilter(level: verbosity)
        for level in Level.allCases {
            let expected = level == .system || level.rawValue <= verbosity.rawValue
            #expect(filter.matches(Self.event(level: level)) == expected, "\(level) at \(verbosity)")
        }
    }

    @Test("turns: inclusive range; events without a turn are excluded")
    func turns() {
        let filter = EventFilter(turnFrom: 2, turnTo: 4)
        #expect([1, 2, 3, 4, 5].map { filter.matches(Self.event(turn: $0)) } == [false, true, true, true, false])
        #expect(!filter.matches(Self.event(turn: nil)))
        #expect(EventFilter(turnFrom: 2).matches(Self.event(turn: 100)))
        #expect(!EventFilter(turnTo: 2).matches(Self.event(turn: nil)))
        #expect(EventFilter(turnTo: 2).matches(Self.event(turn: 0)))
    }

    @Test("time: since is inclusive, until exclusive")
    func time() {
        let filter = EventFilter(since: Timestamp(microseconds: 10), until: Timestamp(microseconds: 20))
        #expect([9, 10, 19, 20].map { filter.matches(Self.event(micros: $0)) } == [false, true, true, false])
    }

    @Test("every condition must hold")
    func combined() {
        let filter = EventFilter(types: [.prefix("agent.")], agents: ["a1"], level: .detail, turnFrom: 1, since: Timestamp(microseconds: 0))
        #expect(filter.matches(Self.event()))
        #expect(!filter.matches(Self.event(type: "run.started")))
        #expect(!filter.matches(Self.event(agent: "a2")))
        #expect(!filter.matches(Self.event(turn: 0)))
        #expect(!filter.matches(Self.event(micros: -1)))
        #expect(!EventFilter(types: [.prefix("agent.")], level: .state).matches(Self.event(level: .detail)))
    }
}
