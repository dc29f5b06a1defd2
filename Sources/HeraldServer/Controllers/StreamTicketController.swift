import HeraldCore
import Hummingbird

/// `POST /v1/stream-tickets`: a short-lived, read-only ticket to one stream, for a page that
/// opens an `EventSource` without a key in its URL. Any credential that may read the stream
/// gets one; the body names the stream:
///
/// ```json
/// {"run": "r1", "project": "acme"}              // run r1's stream (project: as run routes resolve it when left out)
/// {"project": "acme", "logs": ["r1"]}           // the project's stream
/// ```
/// and may bind filters (`types`, `agents`, `level`, and `logs` for a project stream): the
/// stream must then be asked with exactly those. The answer is `{"ticket", "expiresAt",
/// "streamURL", "project", "run"?}`; `streamURL` is the stream's path and query with the ticket.
struct StreamTicketController<Context: AccessRequestContext>: Sendable {
    let store: any EventStore
    let tickets: StreamTicketSigner

    /// The largest body taken: a ticket request is a few names.
    static var maxBodyBytes: Int { 64 << 10 }

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("stream-tickets", use: issue)
    }

    @Sendable func issue(request: Request, context: Context) async throws -> Response {
        let access = context.access
        try access.require(.read)
        let body = try await StreamTicketRequest.read(request, maxBytes: Self.maxBodyBytes)
        let stream: StreamTicket.Stream = body.run == nil ? .project : .run
        let project: String
        if let run = body.run {
            project = try await projectOfRun(run, named: body.project, access: access)
        } else {
            guard let named = body.project else {
                throw HeraldError(.invalidRequest, "name the stream: {\"run\": …, \"project\": …} for a run, {\"project\": …} for a project")
            }
            guard Names.isValidRun(named), access.canRead(named) else { throw HeraldError(.notFound, "project \(named) not found") }
            project = named
        }
        let ticket = StreamTicket(
            for: access, stream: stream, project: project, run: body.run, filters: body.filters, now: .now(), lifetime: tickets.lifetime
        )
        let text = tickets.sign(ticket)

        var writer = JSONWriter()
        writer.raw("{\"ticket\":")
        writer.string(text)
        writer.raw(",\"expiresAt\":")
        writer.string(Timestamp(microseconds: ticket.expiresAt).rfc3339)
        writer.raw(",\"streamURL\":")
        writer.string(ticket.streamURL(text))
        writer.raw(",\"project\":")
        writer.string(project)
        if let run = body.run {
            writer.raw(",\"run\":")
            writer.string(run)
        }
        writer.raw("}")
        return Response.json(writer.bytes)
    }

    /// The project of the run a ticket names: the one given, or the one the run routes would
    /// take (the caller's only project, the one readable project holding the name); a run not
    /// there yet is waited for in the caller's default project.
    private func projectOfRun(_ run: String, named project: String?, access: Access) async throws(HeraldError) -> String {
        if let ref = try await RunLookup(store: store).ref(run, project: project, access: access) { return ref.project }
        guard let toCome = RunLookup.toCome(run, access: access) else {
            throw HeraldError(.invalidRequest, "name the project of run \(run) (\"project\"): this credential reads \(access.projects.description)")
        }
        return toCome.project
    }
}
