/// The OpenAPI 3.1 document served at `GET /openapi.json`: the whole v1 surface as the server
/// implements it, written for people and for fuzzers (schemathesis) alike. It is
/// Sources/HeraldServer/openapi.json, compiled into the binary as it is.
///
/// `OpenAPITests` keeps it honest: every route the router registers must be documented there and
/// every documented operation must be routed; every `$ref` must resolve; the built-in event types'
/// branches under `EventInput` must match ``Vocabulary/rules``; and a live server's answers must
/// use the statuses, media types and shapes documented for them. When a route, parameter, status
/// or answer field changes, change the document in the same commit.
///
/// Written for fuzzers: query parameters are `allowEmptyValue` because the server reads an empty
/// value as absent; `EventInput` is a union of disjoint branches (one per built-in type) rather than
/// a chain of `if`/`then`, which generators cannot expand; a `text/event-stream` schema describes
/// one event (`event`, `data`, `id`, `retry`), as OpenAPI 3.2's `itemSchema` does.
enum OpenAPIDocument {
    /// The document as openapi.json holds it.
    static let bytes: [UInt8] = PackageResources.openapi_json
}
