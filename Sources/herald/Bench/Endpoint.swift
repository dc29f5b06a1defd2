import ArgumentParser
import Foundation
import NIOHTTP1

/// Where the server listens, from a `--server` URL such as `http://127.0.0.1:7373`.
struct Endpoint: Sendable {
    var host: String
    var port: Int
    /// Path prefix before `/v1/…`, empty unless the server sits behind a proxy path.
    var basePath: String
    /// Sent as `Authorization: Bearer` on every request when set.
    var token: String?

    init(_ url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host, !host.isEmpty else {
            throw ValidationError("--server must be an http:// URL such as http://127.0.0.1:7373 (https is not supported by the bench client)")
        }
        self.host = host
        self.port = components.port ?? 80
        self.basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
    }

    init(host: String, port: Int) {
        self.host = host
        self.port = port
        self.basePath = ""
    }

    /// The `Host` header value.
    var authority: String { port == 80 ? host : "\(host):\(port)" }

    /// A request path under the server's base path.
    func path(_ path: String) -> String { basePath + path }
}

extension Endpoint {
    /// Adds the bearer credential, if any.
    func authorize(_ head: inout HTTPRequestHead) {
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
    }
}
