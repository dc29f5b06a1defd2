import Testing

@testable import HeraldCore

@Suite("JSONReader")
struct JSONReaderTests {
    // MARK: Valid documents

    @Test(
        "accepts every kind of value",
        arguments: [
            ("{}", JSONReader.Kind.object),
            (#"{"a":1,"b":[true,false,null],"c":{"d":"e"},"":""}"#, .object),
            (" \t\r\n{ \"a\" : [ 1 , 2 ] }\n", .object),
            ("[]", .array),
            (#"[1,-2,3.5,-0.0,1e10,1E+2,2e-3,0,"x",[],{}]"#, .array),
            (#""""#, .string),
            (#""h\u00e9llo \"w\" \\ \/ \b\f\n\r\t""#, .string),
            ("\"caf\u{E9} \u{10348} \u{20AC}\"", .string),
            ("0", .number),
            ("-0", .number),
            ("123456789012345678901234567890", .number),
            ("-1.25e-7", .number),
            ("true", .bool),
            ("false", .bool),
            ("null", .null),
        ]
    )
    func acceptsValidDocuments(json: String, kind: JSONReader.Kind) throws {
        #expect(try validateDocument(json) == kind)
    }

    @Test("peekKind answers the kind without consuming")
    func peekKind() throws {
        try withReader("  [1]") { reader in
            let kind = try reader.peekKind()
            #expect(kind == .array)
            #expect(reader.offset == 2)
        }
    }

    // MARK: Strict rejections

    @Test(
        "rejects malformed documents",
        arguments: [
            ("", "unexpected end of input"),
            ("   ", "unexpected end of input"),
            ("[1,]", "unexpected character ']'"),
            (#"{"a":1,}"#, "expected a string key"),
            ("[,1]", "unexpected character ','"),
            ("[1 2]", "expected ',' or ']'"),
            (#"{"a" 1}"#, "expected ':'"),
            (#"{"a":1 "b":2}"#, "expected ',' or '}'"),
            ("{a:1}", "expected a string key"),
            ("{'a':1}", "expected a string key"),
            ("[1", "unexpected end of input in array"),
            (#"{"a":1"#, "unexpected end of input in object"),
            ("01", "leading zero in number"),
            ("-01", "leading zero in number"),
            ("00", "leading zero in number"),
            ("1.", "invalid number"),
            (".5", "unexpected character '.'"),
            ("-", "invalid number"),
            ("1e", "invalid number"),
            ("1e+", "invalid number"),
            ("+1", "unexpected character '+'"),
            ("NaN", "unexpected character 'N'"),
            ("tru", "invalid literal"),
            ("nul", "invalid literal"),
            ("True", "unexpected character 'T'"),
            (#""\x""#, "invalid escape sequence"),
            (#""\'""#, "invalid escape sequence"),
            (#"["\u12"]"#, #"invalid \u escape"#),
            (#""\u12G4""#, #"invalid \u escape"#),
            (#""\u12"#, #"truncated \u escape"#),
            (#""abc"#, "unterminated string"),
            (#""abc\"#, "unterminated escape"),
            ("\"a\tb\"", "control character in string"),
            ("\"a\nb\"", "control character in string"),
            ("\"\u{0}\"", "control character in string"),
            ("\"\u{1F}\"", "control character in string"),
        ] as [(String, String)]
    )
    func rejectsMalformedDocuments(json: String, reason: String) throws {
        let error = #expect(throws: JSONSyntaxError.self) { try validateDocument(json) }
        #expect(error?.reason.contains(reason) == true, "reason was \(error?.reason ?? "nil")")
    }

    @Test("trailing data after a value is left for the caller")
    func trailingData() throws {
        try withReader("1 2") { reader in
            try reader.skipValue()
            let atEnd = reader.isAtEnd
            #expect(!atEnd)
            #expect(reader.offset == 2)
        }
        #expect(throws: JSONSyntaxError.self) { try validateDocument("{}x") }
        #expect(throws: JSONSyntaxError.self) { try validateDocument("truex") }
    }

    @Test("errors carry the byte offset of the problem")
    func errorOffsets() throws {
        #expect(#expect(throws: JSONSyntaxError.self) { try validateDocument("[1,2 3]") }?.offset == 5)
        #expect(#expect(throws: JSONSyntaxError.self) { try validateDocument(#"["ab"#) }?.offset == 1)
        #expect(#expect(throws: JSONSyntaxError.self) { try validateDocument("[\"a\u{1}\"]") }?.offset == 3)
        #expect(#expect(throws: JSONSyntaxError.self) { try validateDocument("[0,012]") }?.offset == 3)
    }

    @Test("located(in:) gives 1-based line and column")
    func located() throws {
        let document = Array("{\n  \"a\": 1,\n  \"b\" 2\n}".utf8)
        let error = try #require(#expect(throws: JSONSyntaxError.self) { try validateDocument(document) })
        let located = document.withUnsafeBufferPointer { error.located(in: $0) }
        #expect(located.line == 3)
        #expect(located.column == 7)
        #expect(located.description == "expected ':' at line 3, column 7 (byte 18)")
        #expect(error.description == "expected ':' at byte 18")
    }

    // MARK: UTF-8

    @Test(
        "accepts well-formed multi-byte UTF-8 at the edges of each range",
        arguments: [
            [0xC2, 0x80], [0xDF, 0xBF],  // U+0080, U+07FF
            [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],  // U+0800, U+D7FF, U+E000, U+FFFF
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],  // U+10000, U+10FFFF
        ] as [[UInt8]]
    )
    func acceptsUTF8(sequence: [UInt8]) throws {
        let document: [UInt8] = [0x22] + sequence + [0x22]
        #expect(try validateDocument(document) == .string)
        let decoded = try withReader(bytes: document) { try $0.readString() }
        #expect(Array(decoded.utf8) == sequence)
    }

    @Test(
        "rejects invalid UTF-8 in strings",
        arguments: [
            ("lone continuation byte", [0x80]),
            ("lone continuation byte 0xBF", [0xBF]),
            ("overlong 2-byte NUL (C0 80)", [0xC0, 0x80]),
            ("overlong 2-byte '/' (C1 AF)", [0xC1, 0xAF]),
            ("overlong 3-byte (E0 80 AF)", [0xE0, 0x80, 0xAF]),
            ("overlong 3-byte U+07FF (E0 9F BF)", [0xE0, 0x9F, 0xBF]),
            ("overlong 4-byte (F0 8F BF BF)", [0xF0, 0x8F, 0xBF, 0xBF]),
            ("high surrogate U+D800 (ED A0 80)", [0xED, 0xA0, 0x80]),
            ("low surrogate U+DFFF (ED BF BF)", [0xED, 0xBF, 0xBF]),
            ("CESU-8 surrogate pair", [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]),
            ("above U+10FFFF (F4 90 80 80)", [0xF4, 0x90, 0x80, 0x80]),
            ("lead byte F5", [0xF5, 0x80, 0x80, 0x80]),
            ("lead byte FF", [0xFF]),
            ("lead byte FE", [0xFE]),
            ("truncated 2-byte", [0xC3]),
            ("truncated 3-byte", [0xE2, 0x82]),
            ("truncated 4-byte", [0xF0, 0x9F, 0x98]),
            ("bad third byte", [0xE2, 0x82, 0x41]),
            ("bad fourth byte", [0xF0, 0x9F, 0x98, 0xC0]),
        ] as [(String, [UInt8])]
    )
    func rejectsInvalidUTF8(label: String, sequence: [UInt8]) throws {
        let document: [UInt8] = [0x22, 0x61] + sequence + [0x62, 0x22]
        let error = #expect(throws: JSONSyntaxError.self, "\(label)") { try validateDocument(document) }
        #expect(error?.reason == "invalid UTF-8", "\(label)")
        #expect(error?.offset == 2, "\(label)")
    }

    @Test("rejects a multi-byte sequence cut off by the end of input")
    func rejectsUTF8AtEnd() {
        #expect(throws: JSONSyntaxError.self) { try validateDocument([0x22, 0xE2, 0x82]) }
        #expect(throws: JSONSyntaxError.self) { try validateDocument([0x22, 0xF0]) }
    }

    // MARK: Limits

    @Test("nesting up to maxDepth is accepted, one more is refused")
    func depthLimit() throws {
        for open in ["[", "{\"a\":"] {
            let close = open == "[" ? "]" : "}"
            let atLimit = String(repeating: open, count: 5) + "1" + String(repeating: close, count: 5)
            let overLimit = String(repeating: open, count: 6) + "1" + String(repeating: close, count: 6)
            #expect(try validateDocument(atLimit, maxDepth: 5) == (open == "[" ? .array : .object))
            let error = #expect(throws: JSONSyntaxError.self) { try validateDocument(overLimit, maxDepth: 5) }
            #expect(error?.reason == "nesting deeper than 5 levels")
        }
    }

    @Test("deep nesting is refused by default without exhausting the stack")
    func deepNesting() {
        let hostile = String(repeating: "[", count: 100_000)
        let error = #expect(throws: JSONSyntaxError.self) { try validateDocument(hostile) }
        #expect(error?.reason == "nesting deeper than 64 levels")
    }

    @Test("readObject and readArray count the depth they are given")
    func memberReadersDepth() throws {
        try withReader("{}", maxDepth: 1) { reader in try reader.readObject { _, _ in } }
        try withReader("[]", maxDepth: 1) { reader in try reader.readArray { _ in } }
        #expect(throws: JSONSyntaxError.self) {
            try withReader("{}", maxDepth: 1) { reader in try reader.readObject(depth: 1) { _, _ in } }
        }
        #expect(throws: JSONSyntaxError.self) {
            try withReader("[]", maxDepth: 1) { reader in try reader.readArray(depth: 1) { _ in } }
        }
    }

    @Test("strings up to maxStringBytes (escaped form) are accepted, longer ones refused")
    func stringLengthLimit() throws {
        #expect(try validateDocument(#""abcd""#, maxStringBytes: 4) == .string)
        #expect(try validateDocument(#""a\nb""#, maxStringBytes: 4) == .string)
        #expect(try validateDocument(#""\u0041""#, maxStringBytes: 6) == .string)
        let error = #expect(throws: JSONSyntaxError.self) { try validateDocument(#"["abcde"]"#, maxStringBytes: 4) }
        #expect(error?.reason == "string longer than 4 bytes")
        #expect(error?.offset == 1)
        #expect(throws: JSONSyntaxError.self) { try validateDocument(#""\u0041""#, maxStringBytes: 5) }
        #expect(throws: JSONSyntaxError.self) { try validateDocument(#"{"abcde":1}"#, maxStringBytes: 4) }
    }
}
