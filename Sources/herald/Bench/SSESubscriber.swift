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
        var bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(SSEHandler(index: index, answered: answered, finished: finished))
                }
            }
        if let localAddress { bootstrap = bootstrap.bind(to: localAddress) }
        let channel = try await bootstrap.connect(host: session.endpoint.host, port: session.endpoint.port).get()
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: session.endpoint.path(path))
        head.headers.add(name: "Host", value: session.endpoint.authority)
        head.headers.add(name: "Accept", value: "text/event-stream")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        return (channel, answered.futureResult, finished.futureResult)
    }
}

/// Parses the event stream as it arrives, on the channel's event loop.
final class SSEHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var result: SubscriberResult
    private let answered: EventLoopPromise<Int>
    private let finished: EventLoopPromise<SubscriberResult>
    private var pending: [UInt8] = []
    private var id: Int64?
    private var type = ""
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
        switch String(decoding: line[..<colon], as: UTF8.self) {
        case "id": id = Int64(String(decoding: value, as: UTF8.self))
        case "event": type = String(decoding: value, as: UTF8.self)
        case "data": sentNanoseconds = Self.sentNanoseconds(in: value)
        default: break
        }
    }

    /// Checks the event just completed against the one expected next.
    private func dispatch(now: NIODeadline) {
        defer {
            id = nil
            type = ""
            sentNanoseconds = nil
        }
        guard let seq = id else { return }
        result.received += 1
        result.lastDelivery = now
        if type == "herald.gap" { result.note("herald.gap event at id \(seq)") }
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
        if type == "run.completed" { result.sawTerminal = true }
    }

    private static let sentKey = Array(#""sentNs":"#.utf8)

    /// The integer after `"sentNs":` in an event's JSON, if present.
    static func sentNanoseconds(in data: ArraySlice<UInt8>) -> UInt64? {
        guard data.count > sentKey.count else { return nil }
        var start = data.startIndex
        let last = data.endIndex - sentKey.count
        while start <= last {
            guard let candidate = data[start...last].firstIndex(of: sentKey[0]) else { return nil }
            if data[candidate..<(candidate + sentKey.count)].elementsEqual(sentKey) {
                var value: UInt64 = 0
                var index = candidate + sentKey.count
                while index < data.endIndex, (0x30...0x39).contains(data[index]) {
                    value = value * 10 + UInt64(data[index] - 0x30)
                    index += 1
                }
                return value
            }
            start = candidate + 1
        }
        return nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !result.sawTerminal && result.failure == nil { result.failure = "stream closed before the terminal event" }
        finish(context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        result.failure = "\(error)"
        context.close(promise: nil)
    }

    private func finish(context: ChannelHandlerContext) {
        answered.succeed(result.status ?? 0)
        finished.succeed(result)
    }
}
