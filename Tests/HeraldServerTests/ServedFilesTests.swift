import Foundation
import Testing

@testable import HeraldServer

/// The files the server serves are compiled into the binary (SwiftPM's `embedInCode`): each
/// compiled-in copy must be its source file as it is now, and every file of the served folders
/// must be served.
@Suite("Files compiled into the binary")
struct ServedFilesTests {
    /// Sources/HeraldServer, found from this file (Tests/HeraldServerTests/ServedFilesTests.swift).
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/HeraldServer")

    static func source(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: sources.appendingPathComponent(path)))
    }

    /// Fails when a binary built earlier is tested against sources edited since (`swift test
    /// --skip-build`), or when SwiftPM stops regenerating the embedded copies.
    @Test func everyEmbeddedCopyIsItsSourceFile() throws {
        for (name, file) in DashboardController.dashboardFiles {
            #expect(file.bytes == (try Self.source("Dashboard/\(name)")), "Dashboard/\(name): the compiled-in copy is stale")
        }
        for (name, file) in DashboardController.sdkFiles {
            #expect(file.bytes == (try Self.source("SDK/\(name)")), "SDK/\(name): the compiled-in copy is stale")
        }
        #expect(OpenAPIDocument.bytes == (try Self.source("openapi.json")), "openapi.json: the compiled-in copy is stale")
    }

    /// A file added to Dashboard/ is compiled in but answers 404 until it has a content type here.
    @Test func everyFileOfTheServedFoldersIsServed() throws {
        let dashboard = try FileManager.default.contentsOfDirectory(atPath: Self.sources.appendingPathComponent("Dashboard").path)
        #expect(Set(dashboard) == Set(DashboardController.dashboardFiles.keys))
        let sdk = try FileManager.default.contentsOfDirectory(atPath: Self.sources.appendingPathComponent("SDK").path)
        #expect(Set(sdk).subtracting(["package.json"]) == Set(DashboardController.sdkFiles.keys))
    }

    @Test func aFolderNamedInTheEnvironmentReplacesTheCompiledInFiles() throws {
        // Given a folder with its own index.html and no app.js
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("<p>edited</p>".utf8).write(to: folder.appendingPathComponent("index.html"))

        // When the dashboard is served from it
        let controller = DashboardController(environment: ["HERALD_DASHBOARD_DIR": folder.path])

        // Then its files are served, the files it lacks are not, and the SDK is still compiled in
        let index = try #require(controller.dashboard.files["index.html"])
        #expect(index.bytes.readableBytesView.elementsEqual("<p>edited</p>".utf8))
        #expect(index.contentType == "text/html; charset=utf-8")
        #expect(controller.dashboard.files["app.js"] == nil)
        #expect(controller.sdk.files["herald.js"]?.bytes.readableBytes == PackageResources.herald_js.count)
    }
}
