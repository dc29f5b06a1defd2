import Foundation
import HeraldClient
import Histogram
import NIOCore
import NIOHTTP1
import NIOPosix

/// What one live subscriber received, and whether it was the run exactly.
struct SubscriberResult: Sendable {
    var index: Int
    /// The stream's HTTP status, once answered.
    var status: Int?
    /// The answer's body when the status was not 200.
    var refusal = ""
    /// Events with an id (a seq) received.
    var received = 0
    var lastSeq: Int64 = 0
    /// Seqs skipped over (loss) and seqs received again (duplicates).
    var missing: Int64 = 0
    var duplicates = 0
    /// The first few irregularities, for the report.
    var anomalies: [String] = []
    /// Publish→receive latency of events carrying `sentNs`, in microseconds.
    var latency = LoadStats.makeHistogram()
    var sawTerminal = false
    /// The transport failure that ended the stream, if any.
    var failure: String?
    var lastDelivery: NIODeadline?

    mutating func note(_ anomaly: String) {
        if anomalies.count < 5 { anomalies.append(anomaly) }
    }
}

/// One raw-socket Server-Sent Events subscriber: sends the GET, parses `id:`, `event:` and
/// `data:` lines, checks that seqs arrive 1, 2, 3 … with nothing lost or repeated, and measures
/// publish→receive latency from the `sentNs` that the publisher puts in each event's data.
enum SSESubscriber {
    /// Connects and subscribes; `answered` completes with the HTTP status, `finished` when the
    /// stream ends (after the terminal event, on a failure, or when the channel is closed).
    static func start(index: Int, session: BenchSession, path: String, localAddress: SocketAddress?) async throws
        -> (channel: any Channel, answered: EventLoopFuture<Int>, finished: EventLoopFuture<SubscriberResult>)
    {
        let eventLoop = session.group.next()
        let answered = eventLoop.makePromise(of: Int.self)
        let finished = eventLoop.makePromise(of: SubscriberResult.self)
        let bootstrap = HTTPConnection.bootstrap(
            for: session.endpoint, on: eventLoop, settings: HTTPConnection.Settings(), localAddress: localAddress
        ) {
            SSEHandler(index: index, answered: answered, finished: finished)
        }
        let channel = try await bootstrap.connect(host: session.endpoint.host, port: session.endpoint.port).get()
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: session.endpoint.path(path))
        head.headers.add(name: "Host", value: session.endpoint.authority)
        head.headers.add(name: "Accept", value: "text/event-stream")
        session.endpoint.authorize(&head)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        return (channel, answered.futureResult, finished.futureResult)
    }
}

/// Tells a subscriber that it is being closed because the run did not end its stream in time.
struct DrainTimeout: Sendable {}

/// Parses the event stream as it arrives, on the channel's event loop.
final class SSEHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var result: SubscriberResult
    private let answered: EventLoopPromise<Int>
    private let finished: EventLoopPromise<SubscriberResult>
    private var pending: [UInt8] = []
    private var id: Int64?
    private var isTerminal = false
    private var isGap = false
    private var sentNanoseconds: UInt64?

    init(index: Int, answered: EventLoopPromise<Int>, finished: EventLoopPromise<SubscriberResult>) {
        self.result = SubscriberResult(index: index)
        self.answered = answered
        self.finished = finished
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            result.status = Int(head.status.code)
            answered.succeed(Int(head.status.code))
        case .body(let chunk):
            if result.status != 200 {
                result.refusal += String(buffer: chunk)
                return
            }
            let now = NIODeadline.now()
            pending.append(contentsOf: chunk.readableBytesView)
            var lineStart = 0
            while let newline = pending[lineStart...].firstIndex(of: 0x0A) {
                var lineEnd = newline
                if lineEnd > lineStart, pending[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                line(pending[lineStart..<lineEnd], now: now)
                lineStart = newline + 1
            }
            pending.removeFirst(lineStart)
        case .end:
            finish(context: context)
        }
    }

    /// One line of the stream: a field, a comment, or the blank line that ends an event.
    private func line(_ line: ArraySlice<UInt8>, now: NIODeadline) {
        guard let first = line.first else { return dispatch(now: now) }
        if first == UInt8(ascii: ":") { return }  // heartbeat or comment
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        var value = line[colon...].dropFirst()
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        // Bytes, not strings: at 100 subscribers × 1,000 events/s this parser must stay cheap.
        let name = line[..<colon]
        if name.elementsEqual(Self.idField) {
            id = Self.integer(value)
        } else if name.elementsEqual(Self.eventField) {
            isTerminal = value.elementsEqual(Self.runCompleted)
            isGap = value.elementsEqual(Self.heraldGap)
        } else if name.elementsEqual(Self.dataField) {
            sentNanoseconds = Self.sentNanoseconds(in: value)
        }
    }

    private static let idField = Array("id".utf8)
    private static let eventField = Array("event".utf8)
    private static let dataField = Array("data".utf8)
    private static let runCompleted = Array("run.completed".utf8)
    private static let heraldGap = Array("herald.gap".utf8)

    /// The decimal integer at the start of `digits`, if there is one.
    static func integer(_ digits: some Collection<UInt8>) -> Int64? {
        var value: Int64 = 0
        var any = false
        for byte in digits {
            guard (0x30...0x39).contains(byte) else { break }
            value = value &* 10 &+ Int64(byte - 0x30)
            any = true
        }
        return any ? value : nil
    }

    /// Checks the event just completed against the one expected next.
    private func dispatch(now: NIODeadline) {
        defer {
            id = nil
            isTerminal = false
            isGap = false
            sentNanoseconds = nil
        }
        guard let seq = id else { return }
        result.received += 1
        result.lastDelivery = now
        if isGap { result.note("herald.gap event at id \(seq)") }
        if seq == result.lastSeq + 1 {
            result.lastSeq = seq
        } else if seq <= result.lastSeq {
            result.duplicates += 1
            result.note("seq \(seq) again after \(result.lastSeq)")
        } else {
            result.missing += seq - result.lastSeq - 1
            result.note("seq \(seq) after \(result.lastSeq): \(seq - result.lastSeq - 1) missing")
            result.lastSeq = seq
        }
        if let sent = sentNanoseconds {
            let micros = now.uptimeNanoseconds > sent ? (now.uptimeNanoseconds - sent) / 1000 : 0
            _ = result.latency.record(micros)
        }
        if isTerminal { result.sawTerminal = true }
    }

    private static let sentKey = Array(#""sentNs":"#.utf8)

    /// The integer after `"sentNs":` in an event's JSON, if present.
    ///
    /// Anchored on the `N`, a byte that is rare in event JSON, rather than on the `"`, which is
    /// everywhere.
    static func sentNanoseconds(in data: ArraySlice<UInt8>) -> UInt64? {
        data.withUnsafeBufferPointer { bytes -> UInt64? in
            let anchor = 5  // the offset of `N` in `"sentNs":`
            var from = anchor
            while from < bytes.count, let n = bytes[from...].firstIndex(of: UInt8(ascii: "N")) {
                let start = n - anchor
                let end = start + sentKey.count
                if end <= bytes.count, bytes[start..<end].elementsEqual(sentKey) {
                    return integer(bytes[end...]).map { UInt64($0) }
                }
                from = n + 1
            }
            return nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !result.sawTerminal && result.failure == nil { result.failure = "stream closed before the terminal event" }
        finish(context: context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainTimeout, !result.sawTerminal {
            result.failure = "the stream was still open when the drain timeout passed; closed it"
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if result.failure == nil { result.failure = "\(error)" }
        context.close(promise: nil)
    }

    private func finish(context: ChannelHandlerContext) {
        answered.succeed(result.status ?? 0)
        finished.succeed(result)
    }
}
