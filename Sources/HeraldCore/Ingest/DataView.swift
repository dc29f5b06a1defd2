/// A shallow look at the top-level members of an event's `data`, for validating built-in types.
/// Nested values are validated but not kept.
public struct DataView: Sendable {
    public struct Member: Sendable {
        public var kind: JSONReader.Kind
        public var string: String?
        public var number: Double?
        public var integer: Int64?
        public var bool: Bool?
        /// The JSON text of an array member, for types that check what is inside (a JSON Patch).
        public var array: [UInt8]?
    }

    public private(set) var members: [String: Member] = [:]
    /// Keys that appeared more than once.
    public private(set) var duplicateKeys: [String] = []

    public init() {}

    init(reading reader: inout JSONReader) throws(JSONSyntaxError) {
        var members: [String: Member] = [:]
        var duplicates: [String] = []
        try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
            var member = Member(kind: try value.peekKind())
            switch member.kind {
            case .string: member.string = try value.readString()
            case .number:
                let start = value.offset
                member.integer = try value.readInteger()
                if member.integer == nil {
                    value.offset = start
                    member.number = try value.readDouble()
                } else {
                    member.number = member.integer.map(Double.init)
                }
            case .bool: member.bool = try value.readBool()
            case .array:
                let start = value.offset
                try value.skipValue(depth: 1)
                member.array = Array(value.bytes[start..<value.offset])
            case .null, .object: try value.skipValue(depth: 1)
            }
            if members.updateValue(member, forKey: key) != nil { duplicates.append(key) }
        }
        self.members = members
        self.duplicateKeys = duplicates
    }

    public subscript(key: String) -> Member? { members[key] }
}

extension DataView.Member {
    init(kind: JSONReader.Kind) { self.kind = kind }
}
