import CoreMetrics
import Metrics
import HeraldCore
import Hummingbird
import NIOCore

/// One live stream: replays from the store after its cursor, then follows the hub, and goes
/// back to the store whenever it falls behind.
///
/// The subscription is registered *before* the first store read, so an event committed during
/// catch-up is either in what the store returned or in the subscription's buffer (or both:
/// the cursor drops the duplicate). That closes the classic gap at the catch-up/live seam.
struct StreamSession: Sendable {
    /// What the stream follows and how its resume token is read from an event.
    enum Kind: Sendable {
        /// A run stream: the cursor is the run seq.
        case run(RunRef)
        /// A project stream: the cursor is the project position.
        case project(String, logs: LogSelection)
    }

    /// Which runs' `agent.log` lines a project stream carries (R-logs).
    enum LogSelection: Sendable, Equatable {
        case none
        case all
        case runs(Set<String>)

        func allows(_ run: String) -> Bool {
            switch self {
            case .none: false
            case .all: true
            case .runs(let runs): runs.contains(run)
            }
        }
    }

    /// How events are written: Herald's own frames, or AG-UI events (`?format=ag-ui`).
    enum Format: Sendable, Equatable {
        case herald
        case agUI

        init(_ parameter: String?) throws(HeraldError) {
            switch parameter ?? "" {
            case "", "herald": self = .herald
            case "ag-ui", "agui": self = .agUI
            default: throw HeraldError(.invalidParameter, "format must be herald (the default) or ag-ui")
            }
        }
    }

    /// Whether each frame names its event (`event: <type>`), or every frame is a plain `message`
    /// (`?frames=message`), for a browser `EventSource` read with `onmessage` alone, which hears
    /// no named event. The JSON carries the type either way.
    enum Frames: Sendable, Equatable {
        case named
        case message

        init(_ parameter: String?) throws(HeraldError) {
            switch parameter ?? "" {
            case "", "named": self = .named
            case "message": self = .message
            default:
                throw HeraldError(
                    .invalidParameter,
                    "frames must be named (the default: each frame's event: line names its type) or message (no event: line, for EventSource.onmessage)"
                )
            }
        }

        /// The `event:` line's type, or nil for a plain `message` frame.
        func name(_ type: String) -> String? { self == .named ? type : nil }
    }

    let kind: Kind
    let filter: EventFilter
    let store: any EventStore
    let subscription: Subscription
    let configuration: StreamConfiguration
    /// Frames to send before anything else (retry hint, gap notices, the connected event).
    let preamble: ByteBuffer
    var cursor: Int64
    let format: Format
    let frames: Frames
    /// How events are written as AG-UI events (with `format` `.agUI`).
    let agUI: AGUIStream
    let fanoutLag: CoreMetrics.Timer

    static let pageSize = 1000

    /// Streams until the run ends, the client leaves, the lifetime passes or the server stops.
    func run(writer: inout any ResponseBodyWriter) async throws {
        var cursor = self.cursor
        var agUI = self.agUI
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.maxLifetime
        var lastWrite = clock.now
        try await writer.write(preamble)

        while true {
            // Catch up from the store.
            subscription.resetOverflow()
            subscription.isCatchingUp = true
            while true {
                let (events, hasMore) = try await readStore(after: cursor)
                if events.isEmpty { break }
                var batch = ByteBuffer()
                var finished = false
                for event in events where !finished {
                    finished = take(event, into: &batch, cursor: &cursor) { batch in
                        if format == .agUI { batch.writeBytes(agUI.frames(for: event)) } else { batch.writeBytes(frame(of: event)) }
                    }
                }
                if batch.readableBytes > 0 {
                    try await writer.write(batch)
                    lastWrite = clock.now
                }
                if finished { return }
                if !hasMore { break }
            }
            // Follow live until the end, or until we fall behind.
            subscription.isCatchingUp = false
            live: while true {
                switch await subscription.next() {
                case .closed:
                    return
                case .overflowed:
                    break live
                case .tick:
                    if clock.now >= deadline { return }
                    if clock.now - lastWrite >= configuration.heartbeat {
                        try await writer.write(ByteBuffer(bytes: SSEFrame.heartbeat))
                        lastWrite = clock.now
                    }
                case .events(let items):
                    var batch = ByteBuffer()
                    var finished = false
                    // The buffer may repeat what catch-up already sent: the cursor drops it.
                    for item in items where !finished && token(of: item.event) > cursor {
                        finished = take(item.event, into: &batch, cursor: &cursor) { batch in
                            if format == .agUI { batch.writeBytes(agUI.frames(for: item.event)) } else { batch.writeImmutableBuffer(liveFrame(of: item)) }
                        }
                    }
                    if batch.readableBytes > 0 {
                        try await writer.write(batch)
                        lastWrite = clock.now
                        if let first = items.first { fanoutLag.record(duration: lastWrite - first.publishedAt) }
                    }
                    if finished { return }
                    // Close at an event boundary once the lifetime is over; the client resumes.
                    if clock.now >= deadline { return }
                }
            }
        }
    }

    /// Moves the cursor past `event` and adds its frame when the reader wants it.
    /// Answers whether the stream ends with this event.
    private func take(
        _ event: Event, into batch: inout ByteBuffer, cursor: inout Int64, writeFrame: (inout ByteBuffer) -> Void
    ) -> Bool {
        cursor = token(of: event)
        if wants(event) { writeFrame(&batch) }
        return isEnd(event)
    }

    /// The next page after `cursor`, at most ``pageSize`` events and the configured bytes; a
    /// page cut by its bytes is short without being the end: `hasMore` tells.
    /// A catch-up page's bytes: at most what the live buffer holds, so a stream whose client
    /// stopped reading holds no more than that twice (the page being written, and the buffer).
    private var catchUpBytes: Int { min(configuration.maxPageBytes, configuration.bufferBytes) }

    private func readStore(after cursor: Int64) async throws(HeraldError) -> (events: [Event], hasMore: Bool) {
        switch kind {
        case .run(let run):
            do {
                let page = try await store.events(
                    run: run, filter: EventFilter(), afterSeq: cursor, limit: Self.pageSize, maxBytes: catchUpBytes
                )
                return (page.events, page.hasMore)
            } catch where error.code == .runNotFound {
                return ([], false)  // waiting (`?wait=1`) for the run's first event
            }
        case .project(let project, _):
            let page = try await store.events(
                project: project, filter: EventFilter(), afterPosition: cursor, limit: Self.pageSize, maxBytes: catchUpBytes
            )
            return (page.events, page.hasMore)
        }
    }

    private func token(of event: Event) -> Int64 {
        switch kind {
        case .run: event.seq
        case .project: event.projectPosition
        }
    }

    /// Whether the reader asked for this event. A run stream always carries the terminal event,
    /// so the client learns the run ended whatever its filter.
    private func wants(_ event: Event) -> Bool {
        switch kind {
        case .run:
            // An AG-UI stream always carries run.started too: it becomes the stream's RUN_STARTED.
            return event.isTerminal || (format == .agUI && event.type == "run.started") || filter.matches(event)
        case .project(_, let logs):
            if event.type == "agent.log" && !logs.allows(event.run) { return false }
            return filter.matches(event)
        }
    }

    /// A run stream ends after its run's terminal event; a project stream goes on.
    private func isEnd(_ event: Event) -> Bool {
        if case .run = kind { return event.isTerminal }
        return false
    }

    private func frame(of event: Event) -> [UInt8] {
        switch (kind, frames) {
        case (.run, .named): SSEFrame.run(event)
        case (.project, .named): SSEFrame.project(event)
        case (_, .message): SSEFrame.event(id: String(token(of: event)), type: nil, data: event.json)
        }
    }

    /// The hub's shared frame; a `message` stream writes its own (one copy per such reader).
    private func liveFrame(of item: Published) -> ByteBuffer {
        switch (kind, frames) {
        case (.run, .named): item.runFrame
        case (.project, .named): item.projectFrame ?? ByteBuffer(bytes: SSEFrame.project(item.event))
        case (_, .message): ByteBuffer(bytes: frame(of: item.event))
        }
    }
}
