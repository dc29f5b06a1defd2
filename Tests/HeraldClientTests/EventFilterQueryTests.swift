import HeraldCore
import Testing

@testable import HeraldClient

@Suite("EventFilter as query parameters")
struct EventFilterQueryTests {
    @Test func everyFieldRoundTripsThroughTheServersParser() throws {
        let filter = EventFilter(
            types: [.exact("agent.log"), .prefix("step."), .prefix("")],
            agents: ["w1", "planner"],
            level: .state,
            turnFrom: 2,
            turnTo: 9,
            since: Timestamp(rfc3339: "2026-01-02T03:04:05.000006Z"),
            until: Timestamp(rfc3339: "2026-01-03T00:00:00Z")
        )
        let items = Dictionary(uniqueKeysWithValues: filter.queryItems)
        #expect(items["types"] == "agent.log,step.*,*")
        #expect(try EventFilter { items[$0] } == filter)
    }

    @Test func anEmptyFilterSendsNothing() {
        #expect(EventFilter().queryItems.isEmpty)
    }

    @Test func queryValuesArePercentEncoded() {
        #expect(
            HeraldClient.queryString([("types", "agent.*,x"), ("since", "2026-01-02T03:04:05+01:00")])
                == "?types=agent.%2A%2Cx&since=2026-01-02T03%3A04%3A05%2B01%3A00"
        )
    }
}
