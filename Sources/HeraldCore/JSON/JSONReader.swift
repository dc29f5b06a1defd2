/// A validating, allocation-light JSON reader over raw bytes.
///
/// Herald never builds a tree for an event's `data`: it validates the bytes once and keeps
/// them, so the same bytes serve the store, query answers and every stream subscriber.
/// The reader enforces RFC 8259 strictly (UTF-8, escapes, number grammar, no control
/// characters in strings) plus nesting depth and string length limits.
public struct JSONReader {
    /// The kind of a JSON value, as read from its first byte.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    public let bytes: UnsafeBufferPointer<UInt8>
    /// The current read offset.
    public var offset: Int
    /// Deepest container nesting accepted.
    public var maxDepth: Int
    /// Longest string (in bytes, escaped form) accepted.
    public var maxStringBytes: Int

    public init(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int = 0, maxDepth: Int = 64, maxStringBytes: Int = 1 << 20) {
        self.bytes = bytes
        self.offset = offset
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
    }

    /// Whether only whitespace remains.
    public var isAtEnd: Bool {
        mutating get {
            skipWhitespace()
            return offset >= bytes.count
        }
    }

    public mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    func error(_ reason: String, at position: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: position ?? offset, reason: reason)
    }

    /// Consumes `byte` (after whitespace) or throws.
    public mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        guard peek() == byte else {
            throw offset < bytes.count ? error("expected \(what)") : error("unexpected end of input, expected \(what)")
        }
        offset += 1
    }

    /// The kind of the next value, not consumed.
    public mutating func peekKind() throws(JSONSyntaxError) -> Kind {
        guard let byte = peek() else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error("unexpected character '\(Self.printable(byte))'")
        }
    }

    // MARK: Whole values

    /// Validates and skips one value; answers its kind. `depth` is the nesting already entered.
    @discardableResult
    public mutating func skipValue(depth: Int = 0) throws(JSONSyntaxError) -> Kind {
        let kind = try peekKind()
        switch kind {
        case .object:
            try skipObject(depth: depth + 1)
        case .array:
            try skipArray(depth: depth + 1)
        case .string:
            _ = try scanString()
        case .number:
            _ = try scanNumber()
        case .bool:
            if !consumeLiteral("true") && !consumeLiteral("false") { throw error("invalid literal") }
        case .null:
            if !consumeLiteral("null") { throw error("invalid literal") }
        }
        return kind
    }

    private mutating func skipObject(depth: Int) throws(JSONSyntaxError) {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        try expect(UInt8(ascii: "{"), "'{'")
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            _ = try scanString()
            try expect(UInt8(ascii: ":"), "':'")
            try skipValue(depth: depth)
            guard let next = peek() else { throw error("unexpected end of input in object") }
            offset += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}'", at: offset - 1) }
        }
    }

    private mutating func skipArray(depth: Int) throws(JSONSyntaxError) {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        try expect(UInt8(ascii: "["), "'['")
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return
        }
        while true {
            try skipValue(depth: depth)
            guard let next = peek() else { throw error("unexpected end of input in array") }
            offset += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw error("expected ',' or ']'", at: offset - 1) }
        }
    }

    private mutating func consumeLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        let base = literal.utf8Start
        for index in 0..<count where bytes[offset + index] != base[index] { return false }
        offset += count
        return true
    }

    // MARK: Objects and arrays, member by member

    /// Iterates an object's members: `body` is called with each decoded key, positioned at its value,
    /// and must consume the value.
    public mutating func readObject(
        depth: Int = 0,
        _ body: (inout JSONReader, String) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        guard depth + 1 <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        try expect(UInt8(ascii: "{"), "'{'")
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':'")
            try body(&self, key)
            guard let next = peek() else { throw error("unexpected end of input in object") }
            offset += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}'", at: offset - 1) }
        }
    }

    /// Iterates an array's elements: `body` is called positioned at each element and must consume it.
    public mutating func readArray(
        depth: Int = 0,
        _ body: (inout JSONReader) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        guard depth + 1 <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        try expect(UInt8(ascii: "["), "'['")
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return
        }
        while true {
            try body(&self)
            guard let next = peek() else { throw error("unexpected end of input in array") }
            offset += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw error("expected ',' or ']'", at: offset - 1) }
        }
    }

    // MARK: Scalars

    /// Reads a string value and decodes its escapes.
    public mutating func readString() throws(JSONSyntaxError) -> String {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        let start = offset
        let hasEscapes = try scanString()
        let content = UnsafeBufferPointer(rebasing: bytes[(start + 1)..<(offset - 1)])
        if !hasEscapes { return String(decoding: content, as: UTF8.self) }
        return Self.unescape(content)
    }

    /// Reads an integer value that fits in `Int64`. As in JSON Schema, a number with a zero
    /// fraction (`2.0`, `2e3`) is an integer too.
    public mutating func readInteger() throws(JSONSyntaxError) -> Int64? {
        guard try peekKind() == .number else { return nil }
        let range = try scanNumber()
        if bytes[range].contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            guard let value = Double(text), value.rounded() == value, abs(value) < 9.2e18 else { return nil }
            return Int64(value)
        }
        // Accumulate towards the sign so that Int64.min is representable.
        var value: Int64 = 0
        let negative = bytes[range.lowerBound] == UInt8(ascii: "-")
        for index in range where index > range.lowerBound || !negative {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    /// Reads a number value as a `Double`.
    public mutating func readDouble() throws(JSONSyntaxError) -> Double? {
        guard try peekKind() == .number else { return nil }
        let range = try scanNumber()
        return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
    }

    /// Reads `true` or `false`.
    public mutating func readBool() throws(JSONSyntaxError) -> Bool? {
        guard try peekKind() == .bool else { return nil }
        if consumeLiteral("true") { return true }
        if consumeLiteral("false") { return false }
        throw error("invalid literal")
    }

    /// Consumes `null` if it is next.
    public mutating func readNull() -> Bool {
        skipWhitespace()
        return consumeLiteral("null")
    }

    /// Validates a string token starting at `offset` (at its opening quote) and moves past it.
    /// Answers whether it contains escapes.
    private mutating func scanString() throws(JSONSyntaxError) -> Bool {
        let start = offset
        offset += 1
        var hasEscapes = false
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                guard offset - start - 2 <= maxStringBytes else {
                    throw error("string longer than \(maxStringBytes) bytes", at: start)
                }
                return hasEscapes
            } else if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw error("control character in string (escape it)")
            } else if byte < 0x80 {
                offset += 1
            } else {
                try scanUTF8Sequence()
            }
        }
        throw error("unterminated string", at: start)
    }

    private mutating func scanEscape() throws(JSONSyntaxError) {
        guard offset + 1 < bytes.count else { throw error("unterminated escape") }
        switch bytes[offset + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            offset += 2
        case UInt8(ascii: "u"):
            for index in (offset + 2)..<(offset + 6) {
                guard index < bytes.count else { throw error("truncated \\u escape") }
                guard Self.hexValue(bytes[index]) != nil else { throw error("invalid \\u escape") }
            }
            offset += 6
        default:
            throw error("invalid escape sequence")
        }
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, ≤ U+10FFFF).
    private mutating func scanUTF8Sequence() throws(JSONSyntaxError) {
        let lead = bytes[offset]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw error("invalid UTF-8")
        }
        guard offset + length <= bytes.count else { throw error("invalid UTF-8") }
        let second = bytes[offset + 1]
        guard second >= lower, second <= upper else { throw error("invalid UTF-8") }
        for index in (offset + 2)..<(offset + length) where bytes[index] & 0xC0 != 0x80 {
            throw error("invalid UTF-8")
        }
        offset += length
    }

    /// Validates a number token per the JSON grammar; answers its byte range.
    private mutating func scanNumber() throws(JSONSyntaxError) -> Range<Int> {
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count, Self.isDigit(bytes[offset]) else { throw error("invalid number", at: start) }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
            if offset < bytes.count, Self.isDigit(bytes[offset]) { throw error("leading zero in number", at: start) }
        } else {
            while offset < bytes.count, Self.isDigit(bytes[offset]) { offset += 1 }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard offset < bytes.count, Self.isDigit(bytes[offset]) else { throw error("invalid number", at: start) }
            while offset < bytes.count, Self.isDigit(bytes[offset]) { offset += 1 }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard offset < bytes.count, Self.isDigit(bytes[offset]) else { throw error("invalid number", at: start) }
            while offset < bytes.count, Self.isDigit(bytes[offset]) { offset += 1 }
        }
        return start..<offset
    }

    // MARK: Helpers

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    static func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
    }

    /// Decodes the escapes of a validated string body. Lone surrogates become U+FFFD.
    static func unescape(_ content: UnsafeBufferPointer<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8 = [UInt8]()
        var index = 0
        func flushUTF8() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        func hex4(_ at: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 << 4 | (hexValue(content[at + $1]) ?? 0) }
        }
        while index < content.count {
            let byte = content[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            flushUTF8()
            let escaped = content[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = hex4(index)
                index += 4
                if (0xD800...0xDBFF).contains(code), index + 6 <= content.count,
                    content[index] == UInt8(ascii: "\\"), content[index + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(index + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                scalars.append(UnicodeScalar(code) ?? "\u{FFFD}")
            default: scalars.append(UnicodeScalar(escaped))
            }
        }
        flushUTF8()
        return String(scalars)
    }
}
