/// The OpenAPI document served at `/openapi.json`. A test keeps it in sync with the routes.
enum OpenAPIDocument {
    static let json = #"{"openapi":"3.1.0","info":{"title":"Herald","version":"1"},"paths":{}}"#
}
