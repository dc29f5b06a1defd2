import Testing

@testable import HeraldCore

@Suite("JSONWriter")
struct JSONWriterTests {
    private func written(_ value: String) -> String {
        var writer = JSONWriter()
        writer.string(value)
        return text(writer.bytes)
    }

    private func compacted(_ json: String) -> String {
        var writer = JSONWriter()
        let bytes = Array(json.utf8)
        bytes.withUnsafeBufferPointer { writer.compacted($0) }
        return text(writer.bytes)
    }

    @Test(
        "string escapes what JSON and JavaScript embedding need",
        arguments: [
            ("", #""""#),
            ("plain text", #""plain text""#),
            ("say \"hi\"", #""say \"hi\"""#),
            (#"C:\dir\"#, #""C:\\dir\\""#),
            ("a\nb\rc\td", #""a\nb\rc\td""#),
            ("\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}", #""\u0000\u0001\u0008\u000b\u000c\u001f""#),
            ("x\u{2028}y\u{2029}z", #""x\u2028y\u2029z""#),
            ("\u{2028}", #""\u2028""#),
            ("caf\u{E9} \u{20AC} \u{2027} \u{202A} \u{1F600} /\u{7F}", "\"caf\u{E9} \u{20AC} \u{2027} \u{202A} \u{1F600} /\u{7F}\""),
        ] as [(String, String)]
    )
    func string(value: String, expected: String) {
        #expect(written(value) == expected)
    }

    @Test(
        "string round-trips through JSONReader",
        arguments: ["", "a\"b\\c", "\u{0}\u{1F}\n\t", "\u{2028}\u{2029}", "caf\u{E9}\u{1F600}", String(repeating: "\u{2028}x\"", count: 50)]
    )
    func stringRoundTrip(value: String) throws {
        let json = written(value)
        let decoded = try withReader(json) { try $0.readString() }
        #expect(decoded == value)
        #expect(try validateDocument(json) == .string)
    }

    @Test("scalars, keys and arrays")
    func scalars() {
        var writer = JSONWriter()
        writer.raw("{")
        writer.key("n")
        writer.integer(-42)
        writer.raw(",")
        writer.key("big")
        writer.integer(Int64.max)
        writer.raw(",")
        writer.key("ok")
        writer.bool(true)
        writer.raw(",")
        writer.key("no")
        writer.bool(false)
        writer.raw(",")
        writer.key("list")
        writer.stringArray(["a", "b\"", ""])
        writer.raw(",")
        writer.key("empty")
        writer.stringArray([])
        writer.raw(UInt8(ascii: "}"))
        #expect(text(writer.bytes) == #"{"n":-42,"big":9223372036854775807,"ok":true,"no":false,"list":["a","b\"",""],"empty":[]}"#)
    }

    @Test(
        "compacted removes whitespace outside strings only",
        arguments: [
            ("{}", "{}"),
            (" { \"a\" : 1 ,\n\t\"b\" :\r\n [ 1 , 2 ] } ", #"{"a":1,"b":[1,2]}"#),
            (#"{"s": "  spaced  out  "}"#, #"{"s":"  spaced  out  "}"#),
            (#"{"q": "a \" b", "c" : 1}"#, #"{"q":"a \" b","c":1}"#),
            (#"{"bs": "a\\", "c" : "d e"}"#, #"{"bs":"a\\","c":"d e"}"#),
            (#"{"bs": "\\\" x", "k y" : [ ]}"#, #"{"bs":"\\\" x","k y":[]}"#),
            ("[ true , false , null , -1.5e3 ]", "[true,false,null,-1.5e3]"),
        ] as [(String, String)]
    )
    func compact(json: String, expected: String) {
        #expect(compacted(json) == expected)
    }

    @Test("compacted appends to what is already written")
    func compactAppends() {
        var writer = JSONWriter()
        writer.raw("[")
        let bytes = Array("{ \"a\" : 1 }".utf8)
        bytes.withUnsafeBufferPointer { writer.compacted($0) }
        writer.raw("]")
        #expect(text(writer.bytes) == #"[{"a":1}]"#)
    }
}
