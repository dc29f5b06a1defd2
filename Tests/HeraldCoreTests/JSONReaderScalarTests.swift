import Testing

@testable import HeraldCore

@Suite("JSONReader scalars and members")
struct JSONReaderScalarTests {
    @Test(
        "readString decodes escapes",
        arguments: [
            (#""plain""#, "plain"),
            (#""""#, ""),
            (#""a\"b\\c\/d""#, "a\"b\\c/d"),
            (#""\b\f\n\r\t""#, "\u{08}\u{0C}\n\r\t"),
            (#""\u0041\u00e9\u20AC\u0000""#, "A\u{E9}\u{20AC}\u{0}"),
            (#""x\uD83D\uDE00y""#, "x\u{1F600}y"),
            (#""\ud83d\ude00""#, "\u{1F600}"),
            (#""\uDBFF\uDFFF""#, "\u{10FFFF}"),
            (#""\uD800""#, "\u{FFFD}"),
            (#""\uDC00""#, "\u{FFFD}"),
            (#""\uDC00\uD800""#, "\u{FFFD}\u{FFFD}"),
            (#""\uD800\u0041""#, "\u{FFFD}A"),
            (#""\uD800\\u0041""#, "\u{FFFD}\\u0041"),
            (#""\uD83Dx""#, "\u{FFFD}x"),
            ("\"caf\u{E9}\\n\u{1F600}\"", "caf\u{E9}\n\u{1F600}"),
        ]
    )
    func readString(json: String, expected: String) throws {
        let value = try withReader(json) { reader in
            let value = try reader.readString()
            let atEnd = reader.isAtEnd
            #expect(atEnd)
            return value
        }
        #expect(value == expected)
        #expect(Array(value.unicodeScalars) == Array(expected.unicodeScalars))
    }

    @Test(
        "readInteger reads values that fit in Int64",
        arguments: [
            ("0", 0), ("-0", 0), ("7", 7), ("-42", -42),
            ("9223372036854775807", Int64.max), ("-9223372036854775807", -Int64.max),
        ] as [(String, Int64)]
    )
    func readInteger(json: String, expected: Int64) throws {
        #expect(try withReader(json) { try $0.readInteger() } == expected)
    }

    @Test(
        "readInteger answers nil on overflow, non-zero fractions and non-numbers",
        arguments: ["9223372036854775808", "-9223372036854775809", "99999999999999999999", "1.5", "1e-3", "1e30", "\"1\"", "true", "null"]
    )
    func readIntegerNil(json: String) throws {
        #expect(try withReader(json) { try $0.readInteger() } == nil)
    }

    @Test("readInteger reads Int64.min")
    func readIntegerMinimum() throws {
        #expect(try withReader("-9223372036854775808") { try $0.readInteger() } == Int64.min)
    }

    @Test("as in JSON Schema, a number with a zero fraction is an integer", arguments: [("1.0", 1), ("2e3", 2000), ("-4.00", -4)] as [(String, Int64)])
    func readIntegralFloat(json: String, expected: Int64) throws {
        #expect(try withReader(json) { try $0.readInteger() } == expected)
    }

    @Test("readInteger consumes the whole number token even when it answers nil")
    func readIntegerConsumes() throws {
        try withReader("[1.25e1,2]") { reader in
            var values: [Int64?] = []
            try reader.readArray { (element: inout JSONReader) throws(JSONSyntaxError) in values.append(try element.readInteger()) }
            #expect(values == [nil, 2])
        }
    }

    @Test("readInteger still refuses malformed numbers")
    func readIntegerMalformed() {
        #expect(throws: JSONSyntaxError.self) { try withReader("012") { try $0.readInteger() } }
    }

    @Test("readDouble, readBool and readNull")
    func otherScalars() throws {
        #expect(try withReader(" -1.5e2") { try $0.readDouble() } == -150)
        #expect(try withReader("3") { try $0.readDouble() } == 3)
        #expect(try withReader("\"3\"") { try $0.readDouble() } == nil)
        #expect(try withReader(" true") { try $0.readBool() } == true)
        #expect(try withReader("false") { try $0.readBool() } == false)
        #expect(try withReader("1") { try $0.readBool() } == nil)
        #expect(throws: JSONSyntaxError.self) { try withReader("fals") { try $0.readBool() } }
        try withReader(" null,") { reader in
            let consumed = reader.readNull()
            let next = reader.peek()
            #expect(consumed)
            #expect(next == UInt8(ascii: ","))
        }
        try withReader("nul") { reader in
            let consumed = reader.readNull()
            #expect(!consumed)
        }
    }

    @Test("readString skips leading whitespace like the other readers")
    func readStringLeadingWhitespace() throws {
        let direct = try withReader(#" "abc""#) { try $0.readString() }
        #expect(direct == "abc")
        var strings: [String] = []
        try withReader(#"["a", "b"]"#) { reader in
            try reader.readArray { (element: inout JSONReader) throws(JSONSyntaxError) in strings.append(try element.readString()) }
        }
        #expect(strings == ["a", "b"])
    }

    @Test("readObject hands over each decoded key positioned at its value")
    func readObject() throws {
        var pairs: [(String, Int64?)] = []
        try withReader(#" { "a" : 1 , "b\u0021" :2, "a":3 } "#) { reader in
            try reader.readObject { (value: inout JSONReader, key: String) throws(JSONSyntaxError) in
                pairs.append((key, try value.readInteger()))
            }
            let atEnd = reader.isAtEnd
            #expect(atEnd)
        }
        #expect(pairs.map(\.0) == ["a", "b!", "a"])
        #expect(pairs.map(\.1) == [1, 2, 3])
    }

    @Test("readArray hands over each element; empty containers call nothing")
    func readArray() throws {
        var strings: [String] = []
        try withReader(#"["x","y\n" ,"z" ]"#) { reader in
            try reader.readArray { (element: inout JSONReader) throws(JSONSyntaxError) in strings.append(try element.readString()) }
        }
        #expect(strings == ["x", "y\n", "z"])
        var calls = 0
        try withReader("[ ]") { reader in try reader.readArray { (_: inout JSONReader) throws(JSONSyntaxError) in calls += 1 } }
        try withReader("{ }") { reader in try reader.readObject { (_: inout JSONReader, _: String) throws(JSONSyntaxError) in calls += 1 } }
        #expect(calls == 0)
    }

    @Test("readObject and readArray refuse trailing commas and a wrong opening byte")
    func memberReadersRejections() {
        #expect(throws: JSONSyntaxError.self) {
            try withReader(#"{"a":1,}"#) { reader in
                try reader.readObject { (value: inout JSONReader, _: String) throws(JSONSyntaxError) in try value.skipValue() }
            }
        }
        #expect(throws: JSONSyntaxError.self) {
            try withReader("[1,]") { reader in try reader.readArray { (value: inout JSONReader) throws(JSONSyntaxError) in try value.skipValue() } }
        }
        #expect(throws: JSONSyntaxError.self) {
            try withReader("[1]") { reader in try reader.readObject { (_: inout JSONReader, _: String) throws(JSONSyntaxError) in } }
        }
    }
}
