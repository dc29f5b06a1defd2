import Hummingbird

/// `GET /openapi.json`: the OpenAPI 3.1 description of the v1 surface.
struct OpenAPIController<Context: RequestContext>: Sendable {
    func addRoutes(to router: Router<Context>) {
        router.get("openapi.json") { _, _ in Response.json(OpenAPIDocument.bytes) }
    }
}
