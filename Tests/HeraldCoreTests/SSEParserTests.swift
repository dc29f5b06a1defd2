import HeraldCore
import Testing

@Suite("SSEParser")
struct SSEParserTests {
    @Test func parsesWhatTheEncoderWrites() {
        var parser = SSEParser()
        let frame = SSEFrame.event(id: "7", type: "agent.log", data: Array(#"{"a":1}"#.utf8))
        #expect(parser.feed(frame) == [.message(.init(id: "7", event: "agent.log", data: #"{"a":1}"#))])
        #expect(parser.lastEventID == "7")
    }

    @Test func messagesSplitAcrossChunksAndLineEndings() {
        var parser = SSEParser()
        let text = "retry: 1500\r\n:heartbeat\r\nid: 1\r\ndata: first\r\ndata: second\r\n\r\nevent: x\ndata:y\n\n"
        var items: [SSEParser.Item] = []
        for byte in Array(text.utf8) { items += parser.feed([byte]) }
        #expect(items == [
            .retry(1500), .comment("heartbeat"), .message(.init(id: "1", event: "message", data: "first\nsecond")),
            .message(.init(id: nil, event: "x", data: "y")),
        ])
        #expect(parser.lastEventID == "1", "the last id carries over messages without one")
    }

    @Test func aMessageWithoutDataIsNotDispatched() {
        var parser = SSEParser()
        #expect(parser.feed(Array("id: 3\nevent: nothing\n\n".utf8)).isEmpty)
        #expect(parser.lastEventID == "3")
        #expect(parser.feed(Array("data: incomplete\n".utf8)).isEmpty, "not dispatched before the blank line")
    }

    @Test func heartbeatFrameIsAComment() {
        var parser = SSEParser()
        #expect(parser.feed(SSEFrame.heartbeat) == [.comment("heartbeat")])
        #expect(parser.feed(SSEFrame.retry(milliseconds: 2000)) == [.retry(2000)])
    }
}
