import HeraldCore
import Hummingbird

/// Settles the caller's ``Access`` on the routes it is attached to: the API (`/v1/…`) and
/// `/metrics`. (Health checks, the OpenAPI document and the dashboard's files stay public.)
///
/// The credential is `Authorization: Bearer <key or JWT>`. EventSource cannot set headers, so
/// the GET stream endpoints also take `?access_token=`; nowhere else, so keys do not end up in
/// the URLs (and logs) of ordinary requests. Herald never logs query strings.
struct AuthMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.access = try await access(for: request, peer: context.peer)
        context.callerRecord.value = context.access.identity
        return try await next(request, context)
    }

    private func access(for request: Request, peer: String) async throws(HeraldError) -> Access {
        guard authenticator.isRequired else { return .unrestricted(identity: peer) }
        guard let token = try Self.credential(in: request) else {
            throw HeraldError(.unauthorized, "this server requires an API key: send Authorization: Bearer <key>")
        }
        return try await authenticator.access(for: token)
    }

    /// The bearer credential of a request, if it carries one.
    static func credential(in request: Request) throws(HeraldError) -> Substring? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw HeraldError(.unauthorized, "the Authorization header must be Bearer <key>")
            }
            return parts[1].trimmingSpaces
        }
        guard let token = request.uri.queryParameters.get("access_token") else { return nil }
        guard request.method == .get, request.uri.path.hasSuffix("/stream") else {
            throw HeraldError(.unauthorized, "access_token is accepted on stream endpoints only; send Authorization: Bearer <key>")
        }
        return token.isEmpty ? nil : Substring(token)
    }
}
