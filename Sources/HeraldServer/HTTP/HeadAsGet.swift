import HTTPTypes
import Hummingbird

/// Answers `HEAD` on every `GET` route as RFC 9110 asks: the same status and headers as `GET`
/// (with the `Content-Length` the body would have, when known) and no body. A stream is not
/// started at all: its subscription is released with the unsent body. It wraps the router's
/// responder, because the router matches routes (and answers 405) before any middleware runs.
struct HeadAsGet<Inner: HTTPResponder>: HTTPResponder where Inner.Context: RequestContext {
    let inner: Inner

    func respond(to request: Request, context: Inner.Context) async throws -> Response {
        // Kept to one call on the GET path: a stream's task keeps the deepest stack its request
        // reached for as long as it streams, so every byte of this frame is paid per stream.
        if request.method == .head { return try await respondWithoutBody(to: request, context: context) }
        return try await inner.respond(to: request, context: context)
    }

    @inline(never)
    private func respondWithoutBody(to request: Request, context: Inner.Context) async throws -> Response {
        var head = request.head
        head.method = .get
        var response: Response
        do {
            response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        // The length GET's body would have, with nothing written.
        response.body = ResponseBody(contentLength: response.body.contentLength) { writer in try await writer.finish(nil) }
        return response
    }
}
