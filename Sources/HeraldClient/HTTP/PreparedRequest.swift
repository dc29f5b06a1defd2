import NIOCore
import NIOHTTP1

/// A request built once and sent as often as wanted: its head and body are copy-on-write values.
///
/// ```swift
/// let request = PreparedRequest.postJSON(endpoint, "/v1/events", body: ByteBuffer(string: #"[{"run":"r1","type":"run.started"}]"#))
/// ```
package struct PreparedRequest: Sendable {
    package var head: HTTPRequestHead
    package var body: ByteBuffer?

    /// A request to `endpoint` with its `Host` header, its credential and, with a body, its `Content-Type` and `Content-Length`.
    package init(_ method: HTTPMethod, _ endpoint: HTTPEndpoint, _ path: String, body: ByteBuffer? = nil, contentType: String? = nil) {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: endpoint.path(path))
        head.headers.add(name: "Host", value: endpoint.authority)
        if let body {
            head.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        }
        endpoint.authorize(&head)
        self.head = head
        self.body = body
    }

    package static func get(_ endpoint: HTTPEndpoint, _ path: String) -> PreparedRequest {
        PreparedRequest(.GET, endpoint, path)
    }

    package static func postJSON(_ endpoint: HTTPEndpoint, _ path: String, body: ByteBuffer) -> PreparedRequest {
        PreparedRequest(.POST, endpoint, path, body: body, contentType: "application/json")
    }

    package static func post(_ endpoint: HTTPEndpoint, _ path: String, body: ByteBuffer, contentType: String) -> PreparedRequest {
        PreparedRequest(.POST, endpoint, path, body: body, contentType: contentType)
    }
}
