import Foundation
import HeraldServer
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
