import Testing

@testable import HeraldClient

@Suite("Preparing export lines for ingest")
struct ImportLineTests {
    let stored =
        #"{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","project":"default","run":"r1","seq":7,"type":"x.y","level":"action","time":"2026-01-02T03:04:05.000006Z","data":{"seq":1,"a":[1, 2]}}"#

    @Test func seqIsRemovedAndEverythingElseKeptByteForByte() throws {
        let line = try ImportLine.prepare(stored.bytes, keepSeq: false).get()
        #expect(String(decoding: line, as: UTF8.self) == stored.replacingOccurrences(of: #""seq":7,"#, with: ""))
    }

    @Test func keepSeqBecomesExpectedSeq() throws {
        let line = try ImportLine.prepare(stored.bytes, keepSeq: true).get()
        #expect(String(decoding: line, as: UTF8.self).hasSuffix(#""data":{"seq":1,"a":[1, 2]},"expectedSeq":6}"#))
    }

    @Test func linesThatAreNotEventObjectsAreRefused() {
        for bad in ["[1]", "{\"run\":", "{} {}", "42"] {
            #expect(throws: ImportLine.Problem.self) { try ImportLine.prepare(bad.bytes, keepSeq: false).get() }
        }
        #expect(throws: ImportLine.Problem.self, "nothing to keep") { try ImportLine.prepare(#"{"run":"r"}"#.bytes, keepSeq: true).get() }
    }
}
