import HTTPTypes
import Hummingbird

/// Names the caller by the client address a trusted proxy reports (``TrustedProxies``), for
/// every middleware and route after it: the per-caller limits when authentication is off, and
/// the request log. Outermost, and only when `--trusted-proxy` is given; it never refuses a
/// request (a header it cannot use leaves the TCP peer's address).
struct ForwardedClientMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    let proxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.peer = proxies.client(
            peer: context.peer, forwardedFor: request.headers[values: .xForwardedFor], forwarded: request.headers[values: .forwarded]
        )
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwarded = HTTPField.Name("Forwarded")!
}
