import Foundation
@testable import HeraldServer
import Logging
import Synchronization
import Testing

/// `--log-format json`: every record one JSON object on one line.
@Suite("JSON logs")
struct JSONLogHandlerTests {
    @Test func eachRecordIsOneJSONObjectPerLine() throws {
        let lines = Mutex([[UInt8]]())
        var logger = Logger(label: "herald") { label in JSONLogHandler(label: label) { bytes in lines.withLock { $0.append(bytes) } } }
        logger[metadataKey: "hb.request.id"] = "abc123"
        logger.info("request", metadata: ["path": "/v1/runs", "status": "200", "quote": "a \"b\"\nc"])
        logger.debug("hidden at info")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.last == UInt8(ascii: "\n") && line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: String])
        #expect(object["level"] == "info" && object["message"] == "request" && object["label"] == "herald")
        #expect(object["hb.request.id"] == "abc123" && object["path"] == "/v1/runs" && object["quote"] == "a \"b\"\nc")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }
}

/// `--log-format text`: one line per record, whatever a caller put in the metadata.
@Suite("Text logs")
struct TextLogHandlerTests {
    @Test func aValueWithANewlineCannotForgeALine() throws {
        let lines = Mutex([String]())
        let logger = Logger(label: "herald") { label in TextLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        logger.info(
            "request",
            metadata: ["caller": "jwt:alice\n2026-12-06T00:00:00+0000 critical herald: forged", "status": "200", "reason": "a b=c \"d\""]
        )
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.hasSuffix("\n") && line.dropLast().allSatisfy { !$0.isNewline })
        #expect(line.contains(#"caller="jwt:alice\n2026-12-06T00:00:00+0000 critical herald: forged""#))
        #expect(line.contains(#"reason="a b=c \"d\"""#))
        #expect(line.contains(" status=200 "), "plain values stay as they were")
        #expect(line.hasSuffix("[HeraldServerTests] request\n"))
    }

    @Test func controlCharactersAreEscapedInMessagesAndKeys() {
        #expect(TextLogHandler.escaped("a\u{1b}[31mb\rc\td", quoting: false) == #"a\u{1b}[31mb\rc\td"#)
        #expect(TextLogHandler.escaped("line\u{2028}separator", quoting: false) == #"line\u{2028}separator"#)
        #expect(TextLogHandler.escaped("", quoting: true) == #""""#)
        #expect(TextLogHandler.escaped("plain", quoting: true) == "plain")
    }
}
