import Foundation
@testable import HeraldCore
import Testing

/// `AGUIEventInput` carries the AG-UI mapping: one branch per AG-UI type with a Herald
/// equivalent, requiring (under their AG-UI names) the fields the Herald type's checks need, and
/// one branch for the types stored as they came.
@Suite("OpenAPI document: AG-UI input")
struct OpenAPIAGUITests {
    @Test func aguiEventInputCarriesTheMapping() throws {
        let input = try #require(try OpenAPISpec.document()["components"]?["schemas"]?["AGUIEventInput"])
        var branches: [String: OpenAPIJSON] = [:]
        for branch in input["anyOf"]?.array ?? [] {
            let title = try #require(branch["title"]?.string)
            branches[title] = branch
        }
        for mapping in AGUI.mappings {
            let rule = try #require(Vocabulary.rules[mapping.herald], "\(mapping.herald)")
            let branch = try #require(branches[mapping.agui], "AGUIEventInput has no branch for \(mapping.agui)")
            let names = Dictionary(uniqueKeysWithValues: mapping.fields.map { ($0.herald, $0.agui) })
            var expected = Set(rule.fields.filter(\.required).map { names[$0.name] ?? $0.name })
            expected.insert("type")
            if rule.needsAgent { expected.insert("agent") }
            if rule.needsTurn { expected.insert("turn") }
            if !mapping.agui.hasPrefix("RUN_") { expected.insert("run") }
            #expect(Set(branch["required"]?.array?.compactMap(\.string) ?? []) == expected, "\(mapping.agui)")
            #expect(branch["properties"]?["type"] == .object(["const": .string(mapping.agui)]), "\(mapping.agui)")
            for field in rule.fields {
                #expect(branch["properties"]?[names[field.name] ?? field.name] != nil, "\(mapping.agui).\(field.name)")
            }
        }
        let passthrough = Set(branches["passthrough"]?["properties"]?["type"]?["enum"]?.array?.compactMap(\.string) ?? [])
        #expect(passthrough == AGUI.knownTypes.subtracting(AGUI.mappings.map(\.agui)))
        #expect(branches.count == AGUI.mappings.count + 1)
    }
}
