import Foundation
import HeraldCore
import Hummingbird
import HTTPTypes

/// `GET /` and `GET /ui/{file}`: the live dashboard, plain HTML, CSS and JavaScript modules
/// that ship with the package (Sources/HeraldServer/Dashboard). No build step, no external URL.
struct DashboardController: Sendable {
    /// The dashboard's files by name, read once at start.
    let files: [String: (bytes: ByteBuffer, contentType: String)]

    /// Where the files were found, or nil (the dashboard then answers 404, saying why).
    let folder: URL?

    init() {
        var files: [String: (bytes: ByteBuffer, contentType: String)] = [:]
        let folder = Self.locate()
        for (name, type) in Self.contentTypes {
            guard let folder, let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { continue }
            files[name] = (ByteBuffer(bytes: data), type)
        }
        self.files = files
        self.folder = files.isEmpty ? nil : folder
    }

    /// The dashboard's folder: `HERALD_DASHBOARD_DIR` (to work on the files without rebuilding),
    /// else the resource bundle SwiftPM puts next to the `herald` binary. Looked up by hand, not
    /// with `Bundle.module`, which stops the process when the bundle is missing (a binary copied
    /// without it): a server without its dashboard must still serve its API.
    static func locate() -> URL? {
        let manager = FileManager.default
        if let override = ProcessInfo.processInfo.environment["HERALD_DASHBOARD_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for base in [Bundle.main.bundleURL, executable] {
            for bundle in ["herald_HeraldServer.resources", "herald_HeraldServer.bundle/Contents/Resources", "herald_HeraldServer.bundle"] {
                let candidate = base.appendingPathComponent(bundle).appendingPathComponent("Dashboard")
                if manager.fileExists(atPath: candidate.appendingPathComponent("index.html").path) { return candidate }
            }
        }
        return nil
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
        guard folder != nil else {
            throw HeraldError(
                .notFound,
                "the dashboard's files were not found: keep herald_HeraldServer.resources next to the herald binary, or set HERALD_DASHBOARD_DIR"
            )
        }
        guard let file = files[name] else { throw HeraldError(.notFound, "no dashboard file \(name)") }
        return Response(
            status: .ok,
            headers: [.contentType: file.contentType, .cacheControl: "no-cache", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: file.bytes)
        )
    }
}
