// swift-tools-version:6.2
import PackageDescription

// An orchestrator that publishes its run to Herald with the client library. Build and run it
// against a server started with `swift run herald serve` in the repository's root:
//
//     cd Examples/Orchestrator && swift run orchestrator --run my-first-run
//
// In your own package, depend on Herald by URL instead of by path.
let package = Package(
    name: "Orchestrator",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "herald", path: "../..")
    ],
    targets: [
        // The story itself; `herald demo` compiles and runs this same code.
        .target(
            name: "DemoOrchestrator",
            dependencies: [
                .product(name: "HeraldClient", package: "herald"),
                .product(name: "HeraldCore", package: "herald"),
            ]
        ),
        .executableTarget(
            name: "orchestrator",
            dependencies: [
                "DemoOrchestrator",
                .product(name: "HeraldClient", package: "herald"),
            ]
        ),
    ]
)
