import Foundation
import HeraldCore

/// Every run of a project, live: the sequence ``HeraldClient/subscribe(project:filter:logs:after:)``
/// answers. It never ends by itself (a project has no end): stop iterating, or cancel the task.
///
/// Like ``RunEvents`` it reconnects by itself with `Last-Event-ID` and backoff. Its resume point is
/// the project position (the project's own count of its events), so a resume across runs misses
/// nothing.
///
/// ```swift
/// for try await item in client.subscribe(project: "nightly", logs: ["run-7"]) {
///     switch item {
///     case .connected(let now): print("active:", now.runs.map(\.run))
///     case .event(let event, let position): print(position, event.run, event.type)
///     case .gap(let gap): print(gap.message)
///     }
/// }
/// ```
public struct ProjectEvents: AsyncSequence, Sendable {
    public enum Item: Sendable, Equatable {
        /// The stream's opening notice (on every connection): the project's active runs, and the
        /// position the stream stood at.
        case connected(Connected)
        /// The next event (that passes the filter), in commit order across the project's runs,
        /// with its project position: pass it back as `after` to resume there later.
        case event(EventRecord, position: Int64)
        /// The resume point asked for is past the end; the stream continues after `continuesAfter`.
        case gap(RunEvents.Gap)
    }

    /// The content of `herald.connected`.
    public struct Connected: Sendable, Equatable, Decodable {
        public var project: String
        /// The active runs (queued or running), with their name, status, agents and times.
        public var runs: [RunSummary]
        /// The project's last position when the stream opened.
        public var position: Int64
    }

    let subscription: EventSubscription

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(messages: subscription.makeAsyncIterator()) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var messages: EventSubscription.AsyncIterator

        public mutating func next() async throws -> Item? {
            while let message = try await messages.next() {
                switch message.event {
                case "herald.connected":
                    guard let connected = try? JSONDecoder().decode(Connected.self, from: Data(message.data.utf8)) else {
                        throw HeraldError(.invalidResponse, "malformed herald.connected event: \(message.data.prefix(200))")
                    }
                    // From now on (`fromNow`): "now" is this position, also for a reconnect that
                    // comes before the first event.
                    if messages.lastEventID == nil { messages.lastEventID = String(connected.position) }
                    return .connected(connected)
                case "herald.gap":
                    return .gap(try RunEvents.Gap(message))
                case let type where type.hasPrefix("herald."):
                    continue  // a control event this client does not know yet
                default:
                    guard let position = message.id.flatMap({ Int64($0) }) else {
                        throw HeraldError(.invalidResponse, "a project stream's event without a position id: \(message.data.prefix(200))")
                    }
                    return .event(try EventRecord(json: Array(message.data.utf8)), position: position)
                }
            }
            return nil
        }
    }
}

extension HeraldClient {
    /// Every run of `project`, live: from the start (or after the position `after`), or from
    /// now on (`fromNow`).
    ///
    /// - Parameters:
    ///   - filter: the same filter as queries; without types the server sends run, task and step
    ///     lifecycle, agent lifecycle and the log lines of `logs`.
    ///   - logs: the runs whose `agent.log` lines to carry (`["*"]` for all).
    ///   - after: resume after this position, as a `Last-Event-ID` would.
    public func subscribe(
        project: String, filter: EventFilter = EventFilter(), logs: [String] = [], after: Int64 = 0, fromNow: Bool = false
    ) -> ProjectEvents {
        var query = filter.queryItems
        if !logs.isEmpty { query.append(("logs", logs.joined(separator: ","))) }
        if fromNow && after == 0 { query.append(("from", "now")) }
        let url = baseURL + "/v1/projects/\(Self.percentEncoded(project))/stream" + Self.queryString(query)
        let subscription = EventSubscription(
            url: url, headers: credentialHeaders, lastEventID: after > 0 ? String(after) : nil, settings: configuration.connection
        )
        return ProjectEvents(subscription: subscription)
    }
}
