import HeraldCore
import Hummingbird
import HTTPTypes
import NIOCore
import ServiceLifecycle

/// `GET /v1/runs/{run}/stream` and `GET /v1/projects/{project}/stream`: Server-Sent Events with
/// durable replay and resume.
struct StreamController<Context: AccessRequestContext>: Sendable {
    let store: any EventStore
    let hub: Hub

    /// Types a project stream carries when the reader names none: run lifecycle and status
    /// changes, plus log lines of the runs selected with `logs=`.
    static var projectDefaultTypes: [EventFilter.TypePattern] {
        [
            .prefix("run."), .prefix("task."), .prefix("step."), .exact("agent.started"), .exact("agent.completed"),
            .exact("agent.failed"), .exact("agent.log"),
        ]
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("runs/{run}/stream", use: runStream)
        group.get("projects/{project}/stream", use: projectStream)
    }

    @Sendable func runStream(request: Request, context: Context) async throws -> Response {
        let name = context.parameters.get("run") ?? ""
        let query = request.uri.queryParameters
        let filter = try EventFilter { query.get($0) }
        let resumeAfter = try Self.resumeToken(request)
        let wait = ["1", "true", "yes"].contains(query.get("wait") ?? "")
        let fromNow = try Self.startsNow(query.get("from"))
        let format = try StreamSession.Format(query.get("format"))
        let frames = try StreamSession.Frames(query.get("frames"))

        let ref = try await runToFollow(name, request: request, access: context.access, wait: wait)
        // Register live interest before reading anything, so nothing slips between the two.
        let subscription = try await subscribe(.run(ref), context: context)
        do {
            let run = try await store.run(ref)
            if run == nil && !wait {
                throw HeraldError(.runNotFound, "run \(name) not found (add ?wait=1 to wait for its first event)")
            }
            let lastSeq = run?.lastSeq ?? 0
            var cursor = resumeAfter ?? (fromNow ? lastSeq : 0)
            if let run, run.status.isFinished, cursor >= run.lastSeq {
                // Past the end of a finished run: 204 tells EventSource to stop reconnecting.
                hub.unsubscribe(subscription)
                return Response(status: .noContent)
            }
            var preamble = ByteBuffer(bytes: SSEFrame.retry(milliseconds: hub.configuration.retryMilliseconds))
            // A resume point past the end, or before what retention kept, is told in-band.
            let gap: (json: [UInt8], continuesAfter: Int64)? =
                if cursor > lastSeq {
                    (Gap.ahead(requested: cursor, continuesAfter: lastSeq, scope: "run"), lastSeq)
                } else if let run, cursor < run.firstSeq - 1 {
                    (Gap.pruned(requested: cursor, continuesAfter: run.firstSeq - 1), run.firstSeq - 1)
                } else {
                    nil
                }
            if let gap {
                preamble.writeBytes(
                    format == .agUI
                        ? AGUIStream.gap(gap.json, continuesAfter: gap.continuesAfter)
                        : Gap.frame(gap.json, continuesAfter: gap.continuesAfter, frames: frames)
                )
                cursor = gap.continuesAfter
            }
            // An AG-UI client that resumes has RUN_STARTED already; one starting elsewhere (from=now,
            // filters) gets one made up, with the thread its run.started names.
            let threadId = if format == .agUI, let run { try await Self.threadId(of: run, in: store) } else { String?.none }
            let agUI = AGUIStream(resuming: (resumeAfter ?? 0) > 0, threadId: threadId)
            let session = StreamSession(
                kind: .run(ref), filter: filter, store: store, subscription: subscription, configuration: hub.configuration,
                preamble: preamble, cursor: cursor, format: format, frames: frames, agUI: agUI, fanoutLag: hub.metrics.fanoutLag
            )
            return stream(session, request: request, context: context)
        } catch {
            hub.unsubscribe(subscription)
            throw error
        }
    }

    @Sendable func projectStream(request: Request, context: Context) async throws -> Response {
        guard let project = context.parameters.get("project"), Names.isValidRun(project), context.access.canRead(project) else {
            throw HeraldError(.notFound, "project \(context.parameters.get("project") ?? "") not found")
        }
        let query = request.uri.queryParameters
        var filter = try EventFilter { query.get($0) }
        if filter.types.isEmpty { filter.types = Self.projectDefaultTypes }
        let logs: StreamSession.LogSelection
        switch query.get("logs") ?? "" {
        case "": logs = .none
        case "all", "*": logs = .all
        case let names: logs = .runs(Set(names.split(separator: ",").map(String.init)))
        }
        let resumeAfter = try Self.resumeToken(request)
        let fromNow = try Self.startsNow(query.get("from"))
        let frames = try StreamSession.Frames(query.get("frames"))
        if try StreamSession.Format(query.get("format")) != .herald {
            throw HeraldError(.invalidParameter, "format=ag-ui applies to run streams (/v1/runs/{run}/stream): an AG-UI stream is one run")
        }

        let subscription = try await subscribe(.project(project), context: context)
        do {
            let lastPosition = try await store.lastPosition(project: project)
            var cursor = resumeAfter ?? (fromNow ? lastPosition : 0)
            var preamble = ByteBuffer(bytes: SSEFrame.retry(milliseconds: hub.configuration.retryMilliseconds))
            let active = try await store.runs(RunQuery(status: .active, project: project, limit: 1000)).runs
            preamble.writeBytes(SSEFrame.event(id: nil, type: frames.name("herald.connected"), data: connectedJSON(project, active, lastPosition)))
            if cursor > lastPosition {
                let gap = Gap.ahead(requested: cursor, continuesAfter: lastPosition, scope: "project")
                preamble.writeBytes(Gap.frame(gap, continuesAfter: lastPosition, frames: frames))
                cursor = lastPosition
            }
            let session = StreamSession(
                kind: .project(project, logs: logs), filter: filter, store: store, subscription: subscription,
                configuration: hub.configuration, preamble: preamble, cursor: cursor, format: .herald, frames: frames,
                agUI: AGUIStream(resuming: true), fanoutLag: hub.metrics.fanoutLag
            )
            return stream(session, request: request, context: context)
        } catch {
            hub.unsubscribe(subscription)
            throw error
        }
    }

    /// `herald.connected`: `{"type", "project", "activeRuns": [names], "runs": [active runs as
    /// GET /v1/runs lists them], "position"}`, so a board can label what is running without a
    /// query per run.
    private func connectedJSON(_ project: String, _ active: [Run], _ position: Int64) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"type\":\"herald.connected\",\"project\":")
        writer.string(project)
        writer.raw(",\"activeRuns\":")
        writer.stringArray(active.map(\.run))
        writer.raw(",\"runs\":[")
        for (index, run) in active.enumerated() {
            if index > 0 { writer.raw(",") }
            run.write(to: &writer, subscribers: hub.count(run.ref))
        }
        writer.raw("],\"position\":")
        writer.integer(position)
        writer.raw("}")
        return writer.bytes
    }

    /// A live subscription counted against the caller's connection limit.
    private func subscribe(_ scope: Subscription.Scope, context: Context) async throws(HeraldError) -> Subscription {
        do {
            return try await hub.subscribe(scope, access: context.access)
        } catch {
            if error.code == .tooManyConnections { hub.metrics.refusedByLimit("connections") }
            throw error
        }
    }

    /// The SSE response: runs the session until it ends or the client leaves, then releases it.
    private func stream(_ session: StreamSession, request: Request, context: Context) -> Response {
        // The body holds the lease: if the connection dies before the body ever runs, dropping
        // the response releases the subscription (and the caller's connection slot) all the same.
        let lease = SubscriptionLease(hub: hub, subscription: session.subscription)
        let logger = context.logger
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
                // The connection closes when the stream ends: tell clients not to reuse it.
                .connection: "close",
            ],
            body: ResponseBody { writer in
                defer { lease.release() }
                do {
                    // The server's graceful shutdown waits for its open responses: end this one at
                    // an event boundary (the client resumes elsewhere) instead of holding it up.
                    try await withGracefulShutdownHandler {
                        try await request.body.consumeWithCancellationOnInboundClose { _ in
                            try await session.run(writer: &writer)
                        }
                    } onGracefulShutdown: {
                        session.subscription.close()
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.debug("stream.ended", metadata: ["error": "\(error)"])
                    return
                }
                try await writer.finish(nil)
            }
        )
    }

    /// `data.threadId` of the run's first `run.started`, for an AG-UI stream's RUN_STARTED.
    static func threadId(of run: Run, in store: any EventStore) async throws(HeraldError) -> String? {
        let page = try await store.events(run: run.ref, filter: EventFilter(types: [.exact("run.started")]), afterSeq: 0, limit: 1)
        guard let event = page.events.first else { return nil }
        return AGUIStream.threadId(in: event)
    }

    /// The run a run stream follows. One that does not exist yet (`?wait=1`) is waited for in
    /// the `?project=` named, or else the caller's default project.
    private func runToFollow(_ name: String, request: Request, access: Access, wait: Bool) async throws(HeraldError) -> RunRef {
        let project = RunsController<Context>.project(request)
        if let ref = try await RunLookup(store: store).ref(name, project: project, access: access) { return ref }
        guard wait else { throw HeraldError(.runNotFound, "run \(name) not found (add ?wait=1 to wait for its first event)") }
        guard let toCome = RunLookup.toCome(name, access: access) else {
            throw HeraldError(.invalidParameter, "name the project of the run to wait for: ?project= (this key reads \(access.projects.description))")
        }
        return toCome
    }

    /// The resume point: `Last-Event-ID` (what EventSource sends) or `?after=`.
    /// `Last-Event-ID` wins over `?after=` (a reconnecting EventSource sends both); each is
    /// checked, so a malformed `after` is refused even beside a header.
    static func resumeToken(_ request: Request) throws(HeraldError) -> Int64? {
        func token(_ text: String?) throws(HeraldError) -> Int64? {
            guard let text, !text.trimmingSpaces.isEmpty else { return nil }
            guard let value = Int64(text.trimmingSpaces), value >= 0 else {
                throw HeraldError(.invalidParameter, "Last-Event-ID / after must be an event id this stream sent (an integer ≥ 0)")
            }
            return value
        }
        // An empty Last-Event-ID means "no id yet" (what EventSource sends before its first event).
        let after = try token(request.uri.queryParameters.get("after"))
        return try token(request.headers[.lastEventID]) ?? after
    }

    static func startsNow(_ text: String?) throws(HeraldError) -> Bool {
        switch text ?? "start" {
        case "start", "": return false
        case "now": return true
        default: throw HeraldError(.invalidParameter, "from must be start or now")
        }
    }
}

/// Gives a subscription back to the hub when released, or at the latest when the last
/// reference to it goes (a response dropped unsent).
final class SubscriptionLease: Sendable {
    let hub: Hub
    let subscription: Subscription

    init(hub: Hub, subscription: Subscription) {
        self.hub = hub
        self.subscription = subscription
    }

    func release() { hub.unsubscribe(subscription) }

    deinit { hub.unsubscribe(subscription) }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}


/// The in-band `herald.gap` event: a resume point that cannot be served is never silent.
enum Gap {
    /// The `herald.gap` frame for `json`.
    static func frame(_ json: [UInt8], continuesAfter: Int64, frames: StreamSession.Frames) -> [UInt8] {
        SSEFrame.event(id: String(continuesAfter), type: frames.name("herald.gap"), data: json)
    }

    /// The notice for a resume point whose events retention deleted.
    static func pruned(requested: Int64, continuesAfter: Int64) -> [UInt8] {
        notice(
            reason: "retention", requested: requested, continuesAfter: continuesAfter,
            message: "events \(requested + 1) to \(continuesAfter) were deleted by the retention policy; the stream continues after \(continuesAfter)"
        )
    }

    /// The notice for a resume point past the stream's end.
    static func ahead(requested: Int64, continuesAfter: Int64, scope: String) -> [UInt8] {
        notice(
            reason: "ahead", requested: requested, continuesAfter: continuesAfter,
            message: "the \(scope) stream has nothing after \(requested); it continues after \(continuesAfter)"
        )
    }

    /// `{"type": "herald.gap", "reason", "requested", "continuesAfter", "message"}`
    private static func notice(reason: String, requested: Int64, continuesAfter: Int64, message: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"type\":\"herald.gap\",\"reason\":")
        writer.string(reason)
        writer.raw(",\"requested\":")
        writer.integer(requested)
        writer.raw(",\"continuesAfter\":")
        writer.integer(continuesAfter)
        writer.raw(",\"message\":")
        writer.string(message)
        writer.raw("}")
        return writer.bytes
    }
}
