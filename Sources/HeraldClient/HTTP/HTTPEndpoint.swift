import Foundation
import NIOCore
import NIOHTTP1

/// Where a server listens, read from a base URL such as `http://127.0.0.1:7373` or
/// `https://proxy.example/herald` (whose path, `/herald`, prefixes every request).
///
/// ```swift
/// let endpoint = try HTTPEndpoint(url: "https://proxy.example/herald")
/// endpoint.path("/v1/runs")  // "/herald/v1/runs"
/// ```
package struct HTTPEndpoint: Sendable, Equatable {
    /// `https://`: the connection speaks TLS.
    package var usesTLS: Bool
    /// A name or an IP address (an IPv6 address without its brackets).
    package var host: String
    package var port: Int
    /// Path prefix before `/v1/…`, empty unless the server sits behind a proxy path; no trailing slash.
    package var basePath: String
    /// Sent as `Authorization: Bearer` by ``authorize(_:)`` when set.
    package var token: String?

    /// Reads an `http://` or `https://` URL; its path becomes ``basePath``, its query is ignored.
    package init(url: String) throws(InvalidURL) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = components.host, !host.isEmpty
        else { throw InvalidURL(url: url) }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.usesTLS = scheme == "https"
        self.host = host
        self.port = components.port ?? (usesTLS ? 443 : 80)
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    package init(host: String, port: Int, usesTLS: Bool = false) {
        self.usesTLS = usesTLS
        self.host = host
        self.port = port
        self.basePath = ""
    }

    /// Splits a full URL into the server and the request target (path and query) to ask it for.
    package static func split(url: String) throws(InvalidURL) -> (endpoint: HTTPEndpoint, target: String) {
        var endpoint = try HTTPEndpoint(url: url)
        guard let components = URLComponents(string: url) else { throw InvalidURL(url: url) }
        let path = endpoint.basePath.isEmpty ? "/" : endpoint.basePath
        endpoint.basePath = ""
        return (endpoint, path + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
    }

    /// The `Host` header value: the port only when it is not the scheme's own.
    package var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (usesTLS ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// A request path under the server's base path.
    package func path(_ path: String) -> String { basePath + path }

    /// Adds the bearer credential, if any.
    package func authorize(_ head: inout HTTPRequestHead) {
        if let token { head.headers.add(name: "Authorization", value: "Bearer \(token)") }
    }

    /// A text that is not an `http://` or `https://` URL with a host.
    package struct InvalidURL: Error, CustomStringConvertible {
        package var url: String
        package var description: String { "not an http:// or https:// URL: \(url)" }
    }
}
