/// Checks that a JSON value is an RFC 6902 JSON Patch: an array of operations, each an object
/// with `op` one of add, remove, replace, move, copy, test; `path` (and `from` for move and
/// copy) a JSON Pointer (RFC 6901); `value` present for add, replace and test. Other members
/// are allowed, as RFC 6902 says.
public enum JSONPatch {
    /// The first problem with `json`, or nil when it is a well-formed patch.
    public static func problem(in json: [UInt8]) -> String? {
        json.withUnsafeBufferPointer { buffer -> String? in
            var reader = JSONReader(buffer, maxDepth: .max, maxStringBytes: .max)
            guard reader.peek() == UInt8(ascii: "[") else { return "must be an array of JSON Patch operations" }
            var problem: String?
            var index = 0
            do throws(JSONSyntaxError) {
                try reader.readArray { (element: inout JSONReader) throws(JSONSyntaxError) in
                    defer { index += 1 }
                    guard problem == nil else {
                        try element.skipValue()
                        return
                    }
                    problem = try operationProblem(&element).map { "[\(index)]: \($0)" }
                }
            } catch {
                return "is not valid JSON: \(error)"
            }
            return problem
        }
    }

    static let operations: Set<String> = ["add", "remove", "replace", "move", "copy", "test"]

    private static func operationProblem(_ reader: inout JSONReader) throws(JSONSyntaxError) -> String? {
        guard try reader.peekKind() == .object else {
            try reader.skipValue()
            return "an operation must be an object"
        }
        var op: String?
        var path: String?
        var from: String?
        var hasValue = false
        var problem: String?
        try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
            switch key {
            case "op", "path", "from":
                guard try value.peekKind() == .string else {
                    try value.skipValue()
                    problem = problem ?? "\(key) must be a string"
                    return
                }
                let text = try value.readString()
                if key == "op" { op = text } else if key == "path" { path = text } else { from = text }
            case "value":
                hasValue = true
                try value.skipValue()
            default:
                try value.skipValue()
            }
        }
        if let problem { return problem }
        guard let op else { return "an operation needs an op" }
        guard operations.contains(op) else { return "op \(op) is not one of add, remove, replace, move, copy, test" }
        guard let path else { return "\(op) needs a path" }
        guard isPointer(path) else { return "path \(path) is not a JSON Pointer (empty, or /-separated with ~0 and ~1 escapes)" }
        if op == "move" || op == "copy" {
            guard let from else { return "\(op) needs a from" }
            guard isPointer(from) else { return "from \(from) is not a JSON Pointer" }
        }
        if (op == "add" || op == "replace" || op == "test") && !hasValue { return "\(op) needs a value" }
        return nil
    }

    /// RFC 6901: empty, or `/` segments where `~` is only followed by 0 or 1.
    public static func isPointer(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return true }
        guard first == UInt8(ascii: "/") else { return false }
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "~") {
            guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "0") || bytes[index + 1] == UInt8(ascii: "1") else { return false }
        }
        return true
    }
}
