import HeraldCore
import Hummingbird

/// The query parameters each `/v1` route takes: one table, checked in one place, so that a
/// misspelt or foreign parameter (`?offset=2`, `?event_types=`) is refused with 400
/// `invalid_parameter` instead of silently answering page 1 of everything.
enum QueryParameters {
    /// The longest query string a `/v1` route takes, in bytes: 8 KiB. Longer ones are refused
    /// before any parameter is read, so no list or filter is ever built from them.
    static let maxQueryBytes = 8192

    /// The filter every event query and stream takes (``EventFilter/init(parameters:)``).
    static let filter = ["types", "agents", "level", "turnFrom", "turnTo", "since", "until"]

    /// Route (as the router names it, with its method where one path has two) → the parameters
    /// it takes. `project` on a run route names the run's project (docs/notes/projects-and-runs.md).
    static let allowed: [String: Set<String>] = [
        "/v1/access": [],
        "/v1/events": ["partial"],
        "/v1/projects": [],
        "/v1/runs": ["status", "project", "limit", "cursor"],
        "/v1/runs/{run}": ["project"],
        "/v1/runs/{run}/events": Set(filter + ["after", "before", "limit", "project"]),
        "/v1/runs/{run}/events/{id}": ["project"],
        "/v1/runs/{run}/events/{id}/causality": ["maxDepth", "project"],
        "/v1/runs/{run}/stream": Set(filter + ["after", "wait", "from", "format", "frames", "project", "access_token", "ticket"]),
        "/v1/projects/{project}/stream": Set(filter + ["after", "from", "format", "frames", "logs", "access_token", "ticket"]),
        "/v1/stream-tickets": [],
        // A project's own events: GET pages them like a run's, POST publishes them.
        "GET /v1/projects/{project}/events": Set(filter + ["after", "before", "limit"]),
        "POST /v1/projects/{project}/events": ["partial"],
    ]

    /// The parameters `route` takes when called with `method`; nil for a route not in the table.
    static func takes(_ method: String, _ route: String) -> Set<String>? {
        allowed["\(method.uppercased()) \(route)"] ?? allowed[route]
    }

    /// The parameters of `request` that `route` does not take, in the order given.
    static func unknown(in request: Request, route: String) -> [String] {
        guard let allowed = takes(request.method.rawValue, route) else { return [] }
        var unknown: [String] = []
        for (name, _) in request.uri.queryParameters where !allowed.contains(String(name)) && !unknown.contains(String(name)) {
            unknown.append(String(name))
        }
        return unknown
    }
}

/// Refuses a request to a `/v1` route whose query string is longer than
/// ``QueryParameters/maxQueryBytes``, or that carries a query parameter the route does not take.
struct QueryParameterMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.query, query.utf8.count > QueryParameters.maxQueryBytes {
            throw HeraldError(
                .invalidParameter, "the query string is \(query.utf8.count) bytes long; at most \(QueryParameters.maxQueryBytes) are taken"
            )
        }
        let route = context.endpointPath ?? ""
        let unknown = QueryParameters.unknown(in: request, route: route)
        guard unknown.isEmpty else {
            let takes = (QueryParameters.takes(request.method.rawValue, route) ?? []).sorted()
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            throw HeraldError(
                .invalidParameter,
                "unknown query parameter\(unknown.count == 1 ? "" : "s") \(names): "
                    + (takes.isEmpty ? "this route takes none" : "this route takes \(takes.joined(separator: ", "))"),
                details: unknown.map { FieldError(index: nil, field: $0, code: "unknown_parameter", message: "not a parameter of \(route)") }
            )
        }
        return try await next(request, context)
    }
}
