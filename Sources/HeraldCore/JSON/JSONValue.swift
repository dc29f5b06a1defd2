/// A JSON value written with Swift literals, for event payloads:
/// `["taskId": "t1", "attempt": 2, "tags": ["a", "b"], "done": false]`.
///
/// Objects keep their members in the order written, so the bytes produced are deterministic.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in order, as `(key, value)` pairs (duplicates are the writer's business).
    case object([(String, JSONValue)])

    /// A number that JSON cannot carry (NaN or an infinity).
    public struct NonFiniteNumber: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "\(path) is not a finite number, which JSON cannot carry" }
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Compact JSON bytes.
    public func encoded() throws(NonFiniteNumber) -> [UInt8] {
        var writer = JSONWriter(capacity: 64)
        try write(to: &writer)
        return writer.bytes
    }

    /// Appends the value as compact JSON.
    public func write(to writer: inout JSONWriter, path: String = "data") throws(NonFiniteNumber) {
        switch self {
        case .null: writer.raw("null")
        case .bool(let value): writer.bool(value)
        case .integer(let value): writer.integer(value)
        case .number(let value):
            guard value.isFinite else { throw NonFiniteNumber(path: path) }
            // Integral doubles print as integers ("3", not "3.0"): the same number to any JSON reader.
            if value == value.rounded(), abs(value) < 1e15 { writer.integer(Int64(value)) } else { writer.raw(value.description.utf8) }
        case .string(let value): writer.string(value)
        case .array(let values):
            writer.raw("[")
            for (index, value) in values.enumerated() {
                if index > 0 { writer.raw(",") }
                try value.write(to: &writer, path: "\(path)[\(index)]")
            }
            writer.raw("]")
        case .object(let members):
            writer.raw("{")
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.string(key)
                writer.raw(":")
                try value.write(to: &writer, path: "\(path).\(key)")
            }
            writer.raw("}")
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}

extension JSONValue {
    /// The value of a JSON document, or nil when it is not well-formed JSON (or nests deeper
    /// than `maxDepth`).
    public init?(parsing bytes: [UInt8], maxDepth: Int = 32) {
        let value: JSONValue? = bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: maxDepth, maxStringBytes: buffer.count)
            guard let value = try? Self.read(&reader, depth: 0), reader.isAtEnd else { return nil }
            return value
        }
        guard let value else { return nil }
        self = value
    }

    private static func read(_ reader: inout JSONReader, depth: Int) throws(JSONSyntaxError) -> JSONValue {
        switch try reader.peekKind() {
        case .null:
            _ = reader.readNull()
            return .null
        case .bool: return .bool(try reader.readBool() ?? false)
        case .string: return .string(try reader.readString())
        case .number:
            let start = reader.offset
            if let integer = try reader.readInteger() { return .integer(integer) }
            reader.offset = start
            return .number(try reader.readDouble() ?? 0)
        case .array:
            var values: [JSONValue] = []
            try reader.readArray(depth: depth) { (element: inout JSONReader) throws(JSONSyntaxError) in
                values.append(try read(&element, depth: depth + 1))
            }
            return .array(values)
        case .object:
            var members: [(String, JSONValue)] = []
            try reader.readObject(depth: depth) { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
                members.append((key, try read(&value, depth: depth + 1)))
            }
            return .object(members)
        }
    }
}
