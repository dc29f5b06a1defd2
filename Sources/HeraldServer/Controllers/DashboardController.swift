import Foundation
import HeraldCore
import Hummingbird
import HTTPTypes

/// `GET /` and `GET /ui/{file}`: the live dashboard, plain HTML, CSS and JavaScript modules
/// that ship with the package (Sources/HeraldServer/Dashboard). No build step, no external URL.
struct DashboardController: Sendable {
    /// The dashboard's files by name, read once at start.
    let files: [String: (bytes: ByteBuffer, contentType: String)]

    init() {
        var files: [String: (bytes: ByteBuffer, contentType: String)] = [:]
        let folder = Bundle.module.resourceURL?.appendingPathComponent("Dashboard")
        for (name, type) in Self.contentTypes {
            guard let folder, let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { continue }
            files[name] = (ByteBuffer(bytes: data), type)
        }
        self.files = files
    }

    static let contentTypes = [
        "index.html": "text/html; charset=utf-8",
        "app.js": "text/javascript; charset=utf-8",
        "board.js": "text/javascript; charset=utf-8",
        "run.js": "text/javascript; charset=utf-8",
        "live.js": "text/javascript; charset=utf-8",
        "util.js": "text/javascript; charset=utf-8",
        "style.css": "text/css; charset=utf-8",
    ]

    func addRoutes(to router: Router<HeraldRequestContext>) {
        router.get("/") { _, _ in try serve("index.html") }
        router.get("ui/{file}") { _, context in try serve(context.parameters.get("file") ?? "") }
    }

    private func serve(_ name: String) throws -> Response {
        guard let file = files[name] else { throw HeraldError(.notFound, "no dashboard file \(name)") }
        return Response(
            status: .ok,
            headers: [.contentType: file.contentType, .cacheControl: "no-cache", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: file.bytes)
        )
    }
}
