import HeraldCore
import Hummingbird
import NIOCore
import NIOHTTP1

/// The one place where Herald's errors become HTTP responses:
/// `{"error": {"code", "message", "details"}}` with the code's status.
extension HeraldError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: code.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        switch code {
        case .unauthorized, .invalidTicket: headers[.wwwAuthenticate] = #"Bearer realm="herald""#
        case .invalidToken: headers[.wwwAuthenticate] = #"Bearer realm="herald", error="invalid_token""#
        default: break
        }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// Gives errors raised outside Herald's handlers (unknown route, body too large, …) the same
/// JSON shape, and never leaks an internal error as anything but a clean 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedMethods: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HeraldError {
            throw error
        } catch let error as HTTPError {
            let allowed = error.status == .notFound ? allowedMethods.methods(for: request.uri.path) : []
            guard allowed.isEmpty else {
                var response = try HeraldError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))")
                    .response(from: request, context: context)
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            throw Self.translate(error, request: request)
        } catch let error as HTTPParserError where error != .invalidEOFState {
            // Malformed framing inside the body (chunk sizes, …): the client's fault, not ours.
            throw HeraldError(.invalidRequest, "malformed HTTP request body (\(error)); the connection is closed")
        } catch where Self.isClientGone(error) {
            // Disconnected mid-body or cut off (slowloris): nobody is left to answer, nothing to fix.
            throw HeraldError(.clientClosed, "the client went away before the request was read (\(error))")
        } catch {
            context.logger.error("request.failed", metadata: ["error": "\(error)"])
            throw HeraldError(.internalError, "internal error")
        }
    }

    /// Whether `error` says the connection went away under the request, not that Herald failed.
    static func isClientGone(_ error: any Error) -> Bool {
        error is ChannelError || error is IOError || error is CancellationError || (error as? HTTPParserError) == .invalidEOFState
    }

    static func translate(_ error: HTTPError, request: Request) -> HeraldError {
        switch error.status {
        case .notFound: HeraldError(.notFound, "no route for \(request.method) \(request.uri.path)")
        case .methodNotAllowed: HeraldError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)")
        case .contentTooLarge: HeraldError(.payloadTooLarge, error.body ?? "request body too large")
        case .badRequest: HeraldError(.invalidRequest, error.body ?? "bad request")
        default: HeraldError(HeraldError.Code("http_\(error.status.code)", status: error.status.code), error.body ?? "\(error.status)")
        }
    }
}

extension Response {
    /// A JSON response from bytes already encoded.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
