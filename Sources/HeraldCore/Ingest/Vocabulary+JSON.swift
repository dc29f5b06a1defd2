/// The vocabulary as JSON, for programs (`herald vocabulary --json`): a client library's test
/// that every built-in type has a helper reads it.
extension Vocabulary {
    /// `herald vocabulary --json`:
    /// `{"levels": […], "reservedPrefixes": […], "types": [{"type", "level", "needsAgent", "needsTurn",
    /// "terminal", "fields": [{"name", "kind", "required", …}], "atLeastOneOf": […], "dashboard"}],
    /// "openTypes": [{"pattern": "system.*", …}], "fieldRenames": {…}, "dataRenames": {…},
    /// "categoryHints": {…}, "migrations": [{"source", "from", "to", "note"}]}`
    public static var json: [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"levels\":")
        writer.stringArray(Level.allCases.map(\.name))
        writer.raw(",\"reservedPrefixes\":")
        writer.stringArray(reservedPrefixes)
        writer.raw(",\"types\":[")
        var first = true
        for (type, rule) in rules.sorted(by: { $0.key < $1.key }) {
            if !first { writer.raw(",") }
            first = false
            writeType(type, level: rule.level, agent: rule.needsAgent, turn: rule.needsTurn, fields: rule.fields, oneOf: rule.atLeastOneOf, to: &writer)
        }
        writer.raw(",")
        writeType("system.error", level: .system, agent: false, turn: false, fields: systemErrorFields, oneOf: [], to: &writer)
        writer.raw("],\"openTypes\":[")
        writeType("system.*", level: .system, agent: false, turn: false, fields: systemFields, oneOf: [], to: &writer, key: "pattern")
        writer.raw("],\"fieldRenames\":")
        writeMap(fieldRenames.mapValues { [$0] }, single: true, to: &writer)
        writer.raw(",\"dataRenames\":")
        writeMap(dataRenames, single: false, to: &writer)
        writer.raw(",\"categoryHints\":")
        writeMap(categoryHints.mapValues { [$0] }, single: true, to: &writer)
        writer.raw(",\"migrations\":[")
        for (index, migration) in migrations.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"source\":")
            writer.string(migration.source)
            writer.raw(",\"from\":")
            writer.string(migration.from)
            writer.raw(",\"to\":")
            writer.string(migration.to)
            writer.raw(",\"note\":")
            writer.string(migration.note)
            writer.raw("}")
        }
        writer.raw("]}")
        return writer.bytes
    }

    private static func writeType(
        _ type: String, level: Level, agent: Bool, turn: Bool, fields: [Field], oneOf: [String], to writer: inout JSONWriter,
        key: String = "type"
    ) {
        writer.raw("{")
        writer.string(key)
        writer.raw(":")
        writer.string(type)
        writer.raw(",\"level\":")
        writer.string(level.name)
        writer.raw(",\"needsAgent\":")
        writer.bool(agent)
        writer.raw(",\"needsTurn\":")
        writer.bool(turn)
        writer.raw(",\"terminal\":")
        writer.bool(isTerminal(type))
        writer.raw(",\"fields\":[")
        for (index, field) in fields.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"name\":")
            writer.string(field.name)
            writer.raw(",\"kind\":")
            writer.string(field.kind.jsonName)
            writer.raw(",\"required\":")
            writer.bool(field.required)
            switch field.kind {
            case .integer(let range):
                writer.raw(",\"minimum\":")
                writer.integer(range.lowerBound)
                if range.upperBound != .max {
                    writer.raw(",\"maximum\":")
                    writer.integer(range.upperBound)
                }
            case .number(let range):
                writer.raw(",\"minimum\":")
                writer.raw(Array(range.lowerBound.jsonText.utf8))
                writer.raw(",\"maximum\":")
                writer.raw(Array(range.upperBound.jsonText.utf8))
            case .oneOf(let values):
                writer.raw(",\"values\":")
                writer.stringArray(values)
            default:
                break
            }
            writer.raw("}")
        }
        writer.raw("],\"atLeastOneOf\":")
        writer.stringArray(oneOf)
        writer.raw(",\"dashboard\":")
        if let shown = dashboard[type] { writer.string(shown) } else { writer.raw("null") }
        writer.raw("}")
    }

    private static func writeMap(_ map: [String: [String]], single: Bool, to writer: inout JSONWriter) {
        writer.raw("{")
        for (index, (key, values)) in map.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { writer.raw(",") }
            writer.string(key)
            writer.raw(":")
            if single { writer.string(values[0]) } else { writer.stringArray(values) }
        }
        writer.raw("}")
    }
}

extension Vocabulary.FieldKind {
    /// The kind as the JSON reference names it.
    var jsonName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .bool: "bool"
        case .any: "any"
        case .oneOf: "oneOf"
        case .jsonPatch: "jsonPatch"
        case .stringOrArray: "stringOrArray"
        }
    }
}
