import Foundation
import Hummingbird

/// `GET /` and `GET /ui/{file}`: the live dashboard, plain HTML, CSS and JavaScript modules
/// (Sources/HeraldServer/Dashboard). `GET /sdk/{file}`: the JavaScript client
/// (Sources/HeraldServer/SDK), which the dashboard itself imports. Both are compiled into the
/// binary; `HERALD_DASHBOARD_DIR` and `HERALD_SDK_DIR` serve them from a folder instead. No build
/// step, no external URL.
struct DashboardController: Sendable {
    let dashboard: ServedFiles
    let sdk: ServedFiles

    /// The files served under `/ui/` (and `/`), with their content types.
    static let dashboardFiles: [String: ServedFiles.Embedded] = [
        "index.html": (PackageResources.index_html, "text/html; charset=utf-8"),
        "app.js": (PackageResources.app_js, "text/javascript; charset=utf-8"),
        "board.js": (PackageResources.board_js, "text/javascript; charset=utf-8"),
        "sparkline.js": (PackageResources.sparkline_js, "text/javascript; charset=utf-8"),
        "run.js": (PackageResources.run_js, "text/javascript; charset=utf-8"),
        "cards.js": (PackageResources.cards_js, "text/javascript; charset=utf-8"),
        "tasks.js": (PackageResources.tasks_js, "text/javascript; charset=utf-8"),
        "timeline.js": (PackageResources.timeline_js, "text/javascript; charset=utf-8"),
        "spans.js": (PackageResources.spans_js, "text/javascript; charset=utf-8"),
        "conversation.js": (PackageResources.conversation_js, "text/javascript; charset=utf-8"),
        "util.js": (PackageResources.util_js, "text/javascript; charset=utf-8"),
        "style.css": (PackageResources.style_css, "text/css; charset=utf-8"),
        "favicon.svg": (PackageResources.favicon_svg, "image/svg+xml"),
    ]

    /// The files served under `/sdk/`, with their content types.
    static let sdkFiles: [String: ServedFiles.Embedded] = [
        "herald.js": (PackageResources.herald_js, "text/javascript; charset=utf-8"),
        // TypeScript declarations: text, for editors and `curl -O`.
        "herald.d.ts": (PackageResources.herald_d_ts, "text/plain; charset=utf-8"),
    ]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        dashboard = ServedFiles("dashboard", embedded: Self.dashboardFiles, folder: environment["HERALD_DASHBOARD_DIR"])
        sdk = ServedFiles("SDK", embedded: Self.sdkFiles, folder: environment["HERALD_SDK_DIR"])
    }

    func addRoutes(to router: Router<HeraldRequestContext>) {
        router.get("/") { _, _ in try dashboard.serve("index.html") }
        // Browsers ask for it on any page they show (the JSON answers too); the dashboard's own
        // pages name /ui/favicon.svg.
        router.get("favicon.ico") { _, _ in try dashboard.serve("favicon.svg") }
        router.get("ui/{file}") { _, context in try dashboard.serve(context.parameters.get("file") ?? "") }
        router.get("sdk/{file}") { _, context in try sdk.serve(context.parameters.get("file") ?? "") }
    }
}
