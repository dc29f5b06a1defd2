import HeraldCore
import HTTPTypes
import Hummingbird
import Logging

/// One log record per request, with Hummingbird's request id (also returned as `X-Request-Id`),
/// the caller's identity (a key id, never a key), its address (the client a trusted proxy names,
/// else the TCP peer's) and the path without its query string, which
/// may hold an `access_token`. Successes log at debug, refusals at info, failures at error;
/// requests whose client went away (499) at debug: anyone could fill the log with those.
struct RequestLogMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.id
            log(request, context: context, status: response.status.code, start: start)
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[.requestID] = context.id
            log(request, context: context, status: response.status.code, start: start)
            return response
        }
    }

    private func log(_ request: Request, context: Context, status: Int, start: ContinuousClock.Instant) {
        let level: Logger.Level =
            status >= 500 ? .error : status == HeraldError.Code.clientClosed.status ? .debug : status >= 400 ? .info : .debug
        guard context.logger.logLevel <= level else { return }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.log(
            level: level, "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(status)",
                "ms": "\((milliseconds * 100).rounded() / 100)", "caller": "\(context.callerRecord.value)", "client": "\(context.peer)",
            ]
        )
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
