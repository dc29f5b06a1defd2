import NIOCore
import NIOHTTP1

/// A whole response.
package struct HTTPReply: Sendable {
    package var status: HTTPResponseStatus
    package var headers: HTTPHeaders
    package var body: ByteBuffer
    /// Whether the connection may carry another request (HTTP/1.1 without `Connection: close`).
    package var keepsAlive: Bool

    package init(head: HTTPResponseHead, body: ByteBuffer) {
        self.status = head.status
        self.headers = head.headers
        self.body = body
        self.keepsAlive = head.isKeepAlive
    }

    package var isSuccess: Bool { (200..<300).contains(status.code) }
    package var text: String { String(buffer: body) }
}
