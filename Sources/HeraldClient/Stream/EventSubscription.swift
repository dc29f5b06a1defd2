import HeraldCore
import NIOCore
import NIOHTTP1

/// A Herald stream (`/v1/runs/{run}/stream` or `/v1/projects/{project}/stream`) as an
/// `AsyncSequence` of SSE messages that survives disconnects.
///
/// Like a browser's EventSource it reconnects whenever the connection ends, sending the last
/// event id it saw as `Last-Event-ID`, so nothing is missed or repeated; it finishes when the
/// server answers 204 (a run stream past its run's end). Failed connections are retried with
/// exponential backoff (1 s, 2 s, 4 s … capped at 30 s, with jitter).
///
/// ```swift
/// let stream = EventSubscription(url: "http://127.0.0.1:7373/v1/runs/r1/stream")
/// for try await message in stream where message.event != "herald.connected" {
///     print(message.id ?? "-", message.event, message.data)
/// }
/// ```
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = SSEParser.Message

    let url: String
    let headers: [(String, String)]
    let lastEventID: String?
    let maxBackoff: Duration
    let settings: HTTPConnection.Settings

    /// - Parameters:
    ///   - url: the stream's full URL (`http://` or `https://`), query included.
    ///   - headers: extra request headers (e.g. `Authorization`).
    ///   - lastEventID: resume after this id instead of where the URL says.
    ///   - maxBackoff: the longest wait between two failed connections.
    ///   - connectTimeout: longest wait for a connection to open.
    ///   - readTimeout: longest silence before the connection is dropped and resumed: three of
    ///     the server's heartbeats (15 s), so a connection that died without a word is noticed.
    public init(
        url: String, headers: [(String, String)] = [], lastEventID: String? = nil, maxBackoff: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(45)
    ) {
        let settings = HTTPConnection.Settings(connectTimeout: TimeAmount(connectTimeout), readTimeout: TimeAmount(readTimeout))
        self.init(url: url, headers: headers, lastEventID: lastEventID, maxBackoff: maxBackoff, settings: settings)
    }

    init(url: String, headers: [(String, String)], lastEventID: String?, maxBackoff: Duration = .seconds(30), settings: HTTPConnection.Settings) {
        self.url = url
        self.headers = headers
        self.lastEventID = lastEventID
        self.maxBackoff = maxBackoff
        self.settings = settings
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self, lastEventID: lastEventID) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: EventSubscription
        var lastEventID: String?
        var body: StreamingResponse.Body.AsyncIterator?
        var parser = SSEParser()
        var pending: [SSEParser.Message] = []
        var failures = 0
        var finished = false

        init(subscription: EventSubscription, lastEventID: String?) {
            self.subscription = subscription
            self.lastEventID = lastEventID
        }

        public mutating func next() async throws -> SSEParser.Message? {
            while true {
                if !pending.isEmpty {
                    let message = pending.removeFirst()
                    if let id = message.id { lastEventID = id }
                    return message
                }
                if finished { return nil }
                if body == nil {
                    try await connect()
                    continue
                }
                do {
                    if let chunk = try await body?.next() {
                        for item in parser.feed(chunk.readableBytesView) {
                            if case .message(let message) = item { pending.append(message) }
                        }
                        failures = 0
                    } else {
                        body = nil  // the server ended the stream: reconnect and resume
                    }
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    body = nil
                    try await backOff()
                }
            }
        }

        private mutating func connect() async throws {
            let (endpoint, target): (HTTPEndpoint, String)
            do {
                (endpoint, target) = try HTTPEndpoint.split(url: subscription.url)
            } catch {
                throw HeraldError(.unreachable, "cannot subscribe: \(error)")
            }
            var request = PreparedRequest(.GET, endpoint, target)
            request.head.headers.add(name: "Accept", value: "text/event-stream")
            for (name, value) in subscription.headers { request.head.headers.add(name: name, value: value) }
            if let lastEventID { request.head.headers.add(name: "Last-Event-ID", value: lastEventID) }
            let response: StreamingResponse
            do {
                response = try await StreamingResponse.open(request, at: endpoint, settings: subscription.settings)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try await backOff()
                return
            }
            switch response.head.status.code {
            case 200:
                parser = SSEParser()
                body = response.body.makeAsyncIterator()
            case 204:
                finished = true
            case 400..<500 where response.head.status != .tooManyRequests:
                let bytes = try await response.collect(upTo: 1 << 20)
                throw HeraldError(answer: bytes, status: Int(response.head.status.code))
            default:
                try await backOff()
            }
        }

        /// Sleeps 1 s, 2 s, 4 s … (capped), with up to 25 % jitter, before the next attempt.
        private mutating func backOff() async throws {
            failures += 1
            let base = Swift.min(Double(1 << Swift.min(failures - 1, 16)), subscription.maxBackoff / .seconds(1))
            try await Task.sleep(for: .seconds(base * Double.random(in: 0.75...1.0)))
        }
    }
}
