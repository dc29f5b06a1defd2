import Foundation
import Testing

@testable import HeraldCore

/// `docs/vocabulary.md` and `herald vocabulary --json` are generated from ``Vocabulary/rules``:
/// the reference cannot drift from what ingest checks.
@Suite("Vocabulary reference")
struct VocabularyReferenceTests {
    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("docs/vocabulary.md is what herald vocabulary --markdown generates")
    func markdownIsUpToDate() throws {
        let path = Self.root.appendingPathComponent("docs/vocabulary.md").path
        let stored = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            stored == Vocabulary.markdown,
            "docs/vocabulary.md is out of date: run `swift run herald vocabulary --markdown > docs/vocabulary.md`"
        )
    }

    @Test("the markdown names every built-in type with what it needs")
    func markdownCoversTheRules() {
        let markdown = Vocabulary.markdown
        for (type, rule) in Vocabulary.rules {
            let row = markdown.split(separator: "\n").first { $0.hasPrefix("| `\(type)` |") }
            #expect(row != nil, "\(type) has no row")
            for field in rule.fields { #expect(row?.contains(field.name) == true, "\(type).\(field.name)") }
        }
        #expect(markdown.contains("| `task_started {task_id, description}` | `task.started {taskId, title}` |"))
    }

    @Test("the JSON form lists every built-in type with its fields")
    func json() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(Vocabulary.json)) as? [String: Any])
        let types = try #require(object["types"] as? [[String: Any]])
        #expect(Set(types.compactMap { $0["type"] as? String }) == Set(Vocabulary.rules.keys).union(["system.error"]))
        let decision = try #require(types.first { $0["type"] as? String == "decision" })
        #expect(decision["needsAgent"] as? Bool == true)
        #expect(decision["level"] as? String == "decision")
        let fields = try #require(decision["fields"] as? [[String: Any]])
        #expect(fields.map { $0["name"] as? String } == ["decisionType", "oldValue", "newValue", "reason"])
        #expect(fields.map { $0["required"] as? Bool } == [true, false, true, false])
        let completed = try #require(types.first { $0["type"] as? String == "run.completed" })
        #expect(completed["terminal"] as? Bool == true)
        let thought = try #require(types.first { $0["type"] as? String == "thought" })
        #expect(thought["atLeastOneOf"] as? [String] == ["content", "text"])
        #expect((object["fieldRenames"] as? [String: String])?["event_id"] == "id")
        #expect((object["migrations"] as? [[String: Any]])?.isEmpty == false)
    }
}
