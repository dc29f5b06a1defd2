import Testing

@testable import HeraldCore

@Suite("EventFilter(parameters:)")
struct EventFilterParametersTests {
    static func filter(_ parameters: [String: String]) throws(HeraldError) -> EventFilter {
        try EventFilter(parameters: { parameters[$0] })
    }

    @Test("reads every parameter")
    func reads() throws {
        let filter = try Self.filter([
            "types": "agent.*,,run.completed,", "agents": "planner,worker-1", "level": "state", "turnFrom": "2", "turnTo": "+7",
            "since": "2026-01-02T03:04:05Z", "until": "2026-01-02T04:04:05+01:00",
        ])
        #expect(
            filter
                == EventFilter(
                    types: [.prefix("agent."), .exact("run.completed")],
                    agents: ["planner", "worker-1"],
                    level: .state,
                    turnFrom: 2,
                    turnTo: 7,
                    since: Timestamp(microseconds: 1_767_323_045_000_000),
                    until: Timestamp(microseconds: 1_767_323_045_000_000)
                )
        )
    }

    @Test("absent and empty parameters mean no constraint")
    func empty() throws {
        #expect(try Self.filter([:]).isEmpty)
        #expect(try Self.filter(["types": "", "agents": "", "level": "", "turnFrom": "", "turnTo": "", "since": "", "until": ""]).isEmpty)
    }

    @Test(
        "bad values are invalid_parameter naming the parameter",
        arguments: [
            ("types", "agent.*,Bad", "'Bad'"), ("types", "*.log", "'*.log'"), ("level", "loud", "level"),
            ("turnFrom", "-1", "turnFrom"), ("turnFrom", "x", "turnFrom"), ("turnTo", "1.5", "turnTo"),
            ("turnTo", "99999999999999999999", "turnTo"), ("since", "yesterday", "since"), ("until", "2026-02-30T00:00:00Z", "until"),
        ] as [(String, String, String)]
    )
    func refuses(name: String, value: String, mention: String) throws {
        let error = #expect(throws: HeraldError.self) { try Self.filter([name: value]) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.code.status == 400)
        #expect(error?.message.contains(mention) == true, "\(error?.message ?? "")")
    }
}
