import Foundation
import HeraldCore

/// A run's events, live, as typed records: the sequence ``HeraldClient/subscribe(run:filter:after:)``
/// answers.
///
/// It reads the run's SSE stream through ``EventSubscription``, so it reconnects by itself with
/// `Last-Event-ID` and exponential backoff (a server restart costs a pause, never an event), and
/// it finishes right after the run's terminal event (`run.completed`, `run.failed`,
/// `run.cancelled`) — or when the server answers that the run is already over.
///
/// ```swift
/// for try await item in client.subscribe(run: "nightly-42", filter: EventFilter(level: .action)) {
///     switch item {
///     case .event(let event): print(event.seq, event.type)
///     case .gap(let gap): print("resumed after \(gap.continuesAfter): \(gap.message)")
///     }
/// }
/// ```
public struct RunEvents: AsyncSequence, Sendable {
    /// What the stream delivers.
    public enum Item: Sendable, Equatable {
        /// The next event of the run (that passes the filter), in seq order.
        case event(EventRecord)
        /// The resume point asked for could not be served as such (it is past the run's last
        /// event); the stream continues after `continuesAfter`.
        case gap(Gap)
    }

    /// The content of a `herald.gap` event.
    public struct Gap: Sendable, Equatable, Decodable {
        public var reason: String
        public var requested: Int64
        public var continuesAfter: Int64
        public var message: String

        /// The notice a `herald.gap` message carries.
        init(_ message: SSEParser.Message) throws(HeraldError) {
            guard let gap = try? JSONDecoder().decode(Gap.self, from: Data(message.data.utf8)) else {
                throw HeraldError(.invalidResponse, "malformed herald.gap event: \(message.data.prefix(200))")
            }
            self = gap
        }
    }

    let subscription: EventSubscription

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(messages: subscription.makeAsyncIterator()) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var messages: EventSubscription.AsyncIterator
        var ended = false

        public mutating func next() async throws -> Item? {
            guard !ended else { return nil }
            while let message = try await messages.next() {
                switch message.event {
                case "herald.gap":
                    return .gap(try Gap(message))
                case let type where type.hasPrefix("herald."):
                    continue  // other stream control events (herald.connected) carry nothing for a run reader
                default:
                    let event = try EventRecord(json: Array(message.data.utf8))
                    if Vocabulary.isTerminal(event.type) { ended = true }
                    return .event(event)
                }
            }
            return nil
        }
    }
}

extension HeraldClient {
    /// A run's events from `after` (a seq; 0 for the start), then live, until the run ends.
    ///
    /// - Parameters:
    ///   - filter: the same filter as queries; the terminal event still ends the sequence only
    ///     when the filter lets it through (otherwise the server's end of the stream does).
    ///   - after: resume after this seq, as a `Last-Event-ID` would.
    ///   - project: the run's project, as for ``run(_:project:)``.
    public func subscribe(run: String, filter: EventFilter = EventFilter(), after: Int64 = 0, project: String? = nil) -> RunEvents {
        let url = baseURL + "/v1/runs/\(Self.percentEncoded(run))/stream" + Self.queryString(filter.queryItems + projectQuery(project))
        let subscription = EventSubscription(
            url: url, headers: credentialHeaders, lastEventID: after > 0 ? String(after) : nil, settings: configuration.connection
        )
        return RunEvents(subscription: subscription)
    }
}
