import HeraldCore
import Hummingbird

/// Settles the caller's ``Access`` on the routes it is attached to: the API (`/v1/…`) and
/// `/metrics`. (Health checks, the OpenAPI document and the dashboard's files stay public.)
///
/// The credential is `Authorization: Bearer <key or JWT>`. EventSource cannot set headers, so
/// the GET stream endpoints also take a stream ticket (`?ticket=`, from `POST /v1/stream-tickets`),
/// a key in `?access_token=` (unless `--no-query-keys`), and, with `--auth-cookie`, a JWT in
/// that cookie; nowhere else, so keys do not end up in the URLs (and logs) of ordinary requests,
/// and a cookie cannot make a browser write. Herald never logs query strings.
struct AuthMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    let authenticator: Authenticator
    /// Whether streams take a key in `?access_token=` (`--no-query-keys` turns it off).
    var queryKeys = true
    /// The cookie whose JWT authenticates streams (`--auth-cookie`), if any.
    var cookie: AuthCookie? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.access = try await access(for: request, peer: context.peer)
        context.callerRecord.value = context.access.identity
        return try await next(request, context)
    }

    private func access(for request: Request, peer: String) async throws(HeraldError) -> Access {
        if let ticket = request.uri.queryParameters.get("ticket") {
            // A ticket is checked whether or not authentication is on, so a page behaves the same
            // against both; it names the caller that issued it.
            if !authenticator.isRequired { try Self.checkLoopbackHost(request, authenticator: authenticator) }
            guard request.headers[.authorization] == nil, request.uri.queryParameters.get("access_token") == nil else {
                throw StreamTicketSigner.refusal("send it alone: this request also carries a credential (Authorization or access_token)")
            }
            return try await authenticator.access(forTicket: ticket, request: request)
        }
        guard authenticator.isRequired else {
            try Self.checkLoopbackHost(request, authenticator: authenticator)
            // A key created a moment ago (not loaded yet) is honoured, so the caller is named by
            // it; any other credential is ignored while authentication is off.
            if authenticator.mode == .keys, let token = try? credential(in: request), APIKey.parse(token) != nil,
                let access = try? await authenticator.access(for: token)
            {
                return access
            }
            return .unrestricted(identity: peer)
        }
        if let token = try credential(in: request) {
            guard !StreamTicketSigner.looksLikeTicket(token) else {
                throw StreamTicketSigner.refusal("a ticket is not a bearer credential: it opens its stream as ?ticket=")
            }
            return try await authenticator.access(for: token)
        }
        if let cookie, let token = cookie.value(in: request) {
            guard request.method == .get, Self.isStreamPath(request.uri.path) else { throw cookie.streamsOnly }
            try cookie.checkOrigin(request)
            return try await authenticator.access(forCookie: token)
        }
        throw HeraldError(.unauthorized, "this server requires an API key: send Authorization: Bearer <key>")
    }

    /// Without authentication Herald serves loopback only, and only requests addressed to a
    /// loopback name: a web page whose own domain was rebound to 127.0.0.1 (DNS rebinding) sends
    /// its domain in `Host`, and is refused. `--insecure-no-auth` lifts this too.
    static func checkLoopbackHost(_ request: Request, authenticator: Authenticator) throws(HeraldError) {
        guard authenticator.mode == .keys else { return }
        let authority = request.head.authority ?? ""
        var host = Substring(authority)
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            host = host[host.index(after: host.startIndex)..<end]
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        guard HeraldConfiguration.isLoopback(String(host)) else {
            throw HeraldError(
                .forbidden,
                "this Herald has no API keys, so it answers only requests addressed to localhost or 127.0.0.1, not \(authority.isEmpty ? "a request without Host" : authority); create a key (herald keys create) to serve other names"
            )
        }
    }

    /// The bearer credential of a request, if it carries one: its Authorization header, or on a
    /// GET stream route its `?access_token=` (unless ``queryKeys`` is off).
    func credential(in request: Request) throws(HeraldError) -> Substring? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw HeraldError(.unauthorized, "the Authorization header must be Bearer <key>")
            }
            return parts[1].trimmingSpaces
        }
        guard let token = request.uri.queryParameters.get("access_token") else { return nil }
        guard request.method == .get, Self.isStreamPath(request.uri.path) else {
            throw HeraldError(.unauthorized, "access_token is accepted on stream endpoints only; send Authorization: Bearer <key>")
        }
        guard queryKeys else {
            throw HeraldError(
                .unauthorized,
                "this server takes no credential in a URL (--no-query-keys): proxies and browser history keep URLs. Open the stream with a stream ticket (POST /v1/stream-tickets, then ?ticket=) or send Authorization: Bearer <key>"
            )
        }
        return token.isEmpty ? nil : Substring(token)
    }

    /// `/v1/runs/{run}/stream` or `/v1/projects/{project}/stream` (not, say, the run named `stream`).
    static func isStreamPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        return parts.count == 4 && parts[0] == "v1" && (parts[1] == "runs" || parts[1] == "projects") && parts[3] == "stream"
    }
}
