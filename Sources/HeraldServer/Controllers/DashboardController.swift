import Foundation
import HeraldCore
import Hummingbird
import HTTPTypes

/// `GET /` and `GET /ui/{file}`: the live dashboard, plain HTML, CSS and JavaScript modules
/// that ship with the package (Sources/HeraldServer/Dashboard). `GET /sdk/{file}`: the
/// JavaScript client (Sources/HeraldServer/SDK), which the dashboard itself imports. No build
/// step, no external URL.
struct DashboardController: Sendable {
    let dashboard: ShippedFiles
    let sdk: ShippedFiles

    init() {
        dashboard = ShippedFiles(
            folder: "Dashboard", override: "HERALD_DASHBOARD_DIR",
            contentTypes: [
                "index.html": "text/html; charset=utf-8",
                "app.js": "text/javascript; charset=utf-8",
                "board.js": "text/javascript; charset=utf-8",
                "run.js": "text/javascript; charset=utf-8",
                "util.js": "text/javascript; charset=utf-8",
                "style.css": "text/css; charset=utf-8",
            ]
        )
        sdk = ShippedFiles(
            folder: "SDK", override: "HERALD_SDK_DIR",
            contentTypes: [
                "herald.js": "text/javascript; charset=utf-8",
                // TypeScript declarations: text, for editors and `curl -O`.
                "herald.d.ts": "text/plain; charset=utf-8",
            ]
        )
    }

    func addRoutes(to router: Router<HeraldRequestContext>) {
        router.get("/") { _, _ in try dashboard.serve("index.html") }
        router.get("ui/{file}") { _, context in try dashboard.serve(context.parameters.get("file") ?? "") }
        router.get("sdk/{file}") { _, context in try sdk.serve(context.parameters.get("file") ?? "") }
    }
}

/// Files that ship next to the `herald` binary in its resource bundle, read once at start.
struct ShippedFiles: Sendable {
    /// The files by name.
    let files: [String: (bytes: ByteBuffer, contentType: String)]
    /// Where the files were found, or nil (requests then answer 404, saying why).
    let location: URL?
    let folder: String
    let override: String

    /// `folder` of the resource bundle, or the folder the environment variable `override` names
    /// (to work on the files without rebuilding). Only the files of `contentTypes` are served.
    init(folder: String, override: String, contentTypes: [String: String]) {
        self.folder = folder
        self.override = override
        var files: [String: (bytes: ByteBuffer, contentType: String)] = [:]
        let location = Self.locate(folder, override: override)
        for (name, type) in contentTypes {
            guard let location, let data = FileManager.default.contents(atPath: location.appendingPathComponent(name).path) else { continue }
            files[name] = (ByteBuffer(bytes: data), type)
        }
        self.files = files
        self.location = files.isEmpty ? nil : location
    }

    /// Looked up by hand, not with `Bundle.module`, which stops the process when the bundle is
    /// missing (a binary copied without it): a server without its dashboard must still serve
    /// its API.
    static func locate(_ folder: String, override: String) -> URL? {
        let manager = FileManager.default
        if let path = ProcessInfo.processInfo.environment[override], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for base in [Bundle.main.bundleURL, executable] {
            for bundle in ["herald_HeraldServer.resources", "herald_HeraldServer.bundle/Contents/Resources", "herald_HeraldServer.bundle"] {
                let candidate = base.appendingPathComponent(bundle).appendingPathComponent(folder)
                if manager.fileExists(atPath: candidate.path) { return candidate }
            }
        }
        return nil
    }

    func serve(_ name: String) throws -> Response {
        guard location != nil else {
            throw HeraldError(
                .notFound,
                "the \(folder) files were not found: keep herald_HeraldServer.resources next to the herald binary, or set \(override)"
            )
        }
        guard let file = files[name] else { throw HeraldError(.notFound, "no \(folder) file \(name)") }
        return Response(
            status: .ok,
            headers: [.contentType: file.contentType, .cacheControl: "no-cache", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: file.bytes)
        )
    }
}
