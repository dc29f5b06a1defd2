import HeraldCore
import Hummingbird
import HTTPTypes

/// Cross-origin access for browser pages served from elsewhere, from an allow-list of origins
/// (`--cors-origin`; none by default, so no page of another origin can read Herald's answers).
/// `*` allows every origin. Credentials travel in the Authorization header, or in a stream
/// ticket; with `--auth-cookie`, the origins listed by name (never `*`) are also told
/// `Access-Control-Allow-Credentials: true`, so their pages may stream with the cookie.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>
    /// Whether listed origins may send cookies (`--auth-cookie`).
    var allowCredentials = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !allowedOrigins.isEmpty else { return try await next(request, context) }
        guard let origin = request.headers[.origin] else {
            // Answers differ by Origin: caches must keep them apart.
            var response = try await next(request, context)
            response.headers[.vary] = "Origin"
            return response
        }
        let allowed = allowedOrigins.contains("*") || allowedOrigins.contains(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else {
                throw HeraldError(.forbidden, "origin \(origin) is not in this server's CORS allow-list (--cors-origin)")
            }
            var response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Last-Event-ID"
            response.headers[.accessControlMaxAge] = "600"
            return decorate(response, origin: origin)
        }
        guard allowed else {
            var response = try await next(request, context)
            response.headers[.vary] = "Origin"
            return response
        }
        do {
            return decorate(try await next(request, context), origin: origin)
        } catch let error as any HTTPResponseError {
            // Errors too: a page must be able to read a 401 or a 429 to act on it.
            return decorate(try error.response(from: request, context: context), origin: origin)
        }
    }

    private func decorate(_ response: Response, origin: String) -> Response {
        var response = response
        response.headers[.accessControlAllowOrigin] = allowedOrigins.contains("*") ? "*" : origin
        response.headers[.accessControlExposeHeaders] = "Retry-After, WWW-Authenticate, X-Request-Id"
        response.headers[.vary] = "Origin"
        if allowCredentials, allowedOrigins.contains(origin) {
            response.headers[.accessControlAllowCredentials] = "true"
        }
        return response
    }
}
