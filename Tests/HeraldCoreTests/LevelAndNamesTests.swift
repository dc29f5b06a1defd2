import Foundation
import Testing

@testable import HeraldCore

@Suite("Level and Names")
struct LevelAndNamesTests {
    @Test("levels order milestone < decision < action < state < detail, and round-trip their names")
    func levels() throws {
        #expect(Level.allCases == [.milestone, .decision, .action, .state, .detail, .system])
        #expect(Level.allCases.map { Level(name: $0.name) } == Level.allCases)
        #expect(Level(name: "Detail") == nil)
        #expect(Level.milestone < .decision && Level.state < .detail)
        #expect(Level.system.isVisible(at: .milestone))
        #expect(Level.decision.isVisible(at: .decision))
        #expect(!Level.detail.isVisible(at: .state))
        let encoded = try JSONEncoder().encode([Level.state])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["state"]"#)
        #expect(try JSONDecoder().decode([Level].self, from: encoded) == [.state])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Level].self, from: Data(#"["loud"]"#.utf8)) }
    }

    @Test(
        "run and project names",
        arguments: [
            ("r1", true), ("A-z_0.9:x", true), (String(repeating: "r", count: 128), true),
            ("", false), (String(repeating: "r", count: 129), false), ("a b", false), ("a/b", false), ("caf\u{E9}", false),
        ] as [(String, Bool)]
    )
    func runNames(name: String, valid: Bool) {
        #expect(Names.isValidRun(name) == valid)
    }

    @Test(
        "type names",
        arguments: [
            ("a", true), ("agent.log", true), ("my.custom_thing.v2", true), ("a.1", true), ("x_", true),
            ("", false), ("1a", false), ("_a", false), ("Agent", false), ("a..b", false), (".a", false), ("a.", false), ("a-b", false),
            ("a" + String(repeating: "b", count: 127), true), ("a" + String(repeating: "b", count: 128), false),
        ] as [(String, Bool)]
    )
    func typeNames(name: String, valid: Bool) {
        #expect(Names.isValidType(name) == valid)
    }

    @Test(
        "agent names",
        arguments: [
            ("planner", true), ("worker 1", true), ("caf\u{E9}", true), (String(repeating: "a", count: 128), true),
            ("", false), ("a,b", false), ("a\tb", false), ("a\u{7F}", false), (String(repeating: "a", count: 129), false),
        ] as [(String, Bool)]
    )
    func agentNames(name: String, valid: Bool) {
        #expect(Names.isValidAgent(name) == valid)
    }
}
