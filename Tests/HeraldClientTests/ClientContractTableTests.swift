import Foundation
import HeraldCore
import Testing

/// `docs/clients.md` names, for every scenario of the client contract, the test that proves it in
/// each language: each must exist in that language's files, so the table cannot drift.
@Suite("The client contract's scenario table")
struct ClientContractTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The cells of a markdown table row, without the outer pipes; code spans unquoted.
    static func cells(_ line: Substring) -> [String] {
        line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map {
            var cell = $0.trimmingSpaces
            if cell.hasPrefix("`"), cell.hasSuffix("`"), cell.count >= 2 { cell = cell.dropFirst().dropLast() }
            return String(cell)
        }
    }

    @Test func everyNamedTestIsInItsLanguagesFiles() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/clients.md"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        let languages = ["Swift", "Python", "JavaScript", "Go"]
        // "| Swift | `a.swift`, `b.swift` | … |": the files of each language.
        var sources: [String: String] = [:]
        for line in lines {
            let row = Self.cells(line)
            guard row.count == 3, languages.contains(row[0]) else { continue }
            let paths = row[1].components(separatedBy: "`, `")
            sources[row[0]] = try paths.map { try String(contentsOf: Self.root.appendingPathComponent($0), encoding: .utf8) }.joined()
        }
        #expect(Set(sources.keys) == Set(languages), "the table of where the tests live names every language")

        let scenarios = lines.map(Self.cells).filter { $0.count == 6 && Int($0[0]) != nil }
        #expect(scenarios.count >= 10, "the scenario table: \(scenarios.count) rows")
        for row in scenarios {
            for (language, name) in zip(languages, row[2...]) {
                #expect(!name.isEmpty && sources[language]?.contains(name) == true, "scenario \(row[0]) in \(language): \(name) is not in its files")
            }
        }
    }
}
