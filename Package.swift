// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "herald",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "herald", targets: ["herald"]),
        .library(name: "HeraldCore", targets: ["HeraldCore"]),
        .library(name: "HeraldClient", targets: ["HeraldClient"]),
        .library(name: "HeraldServer", targets: ["HeraldServer"]),
    ],
    // The optional parts, on by default. `swift build --disable-default-traits` builds a herald
    // without them, faster, which answers an operator who asks for one that it was built without.
    traits: [
        .trait(name: "PostgreSQL", description: "The shared store for several replicas (--store postgres://…), through postgres-nio."),
        .trait(name: "JWT", description: "Access with tokens minted elsewhere (--jwt-secret-file, --jwt-public-key-file), through jwt-kit."),
        .default(enabledTraits: ["PostgreSQL", "JWT"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Test-only: the server tests' HTTP client. What `herald` builds talks HTTP through
        // HeraldClient's own small HTTP/1.1 client on SwiftNIO.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Access control and metrics: swift-crypto hashes the API keys.
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The shared store for several replicas. Its TLS is swift-nio-ssl, which HeraldClient
        // also uses for https:// servers.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.25.0"),
    ],
    targets: [
        // Pure core: event model, JSON scanning, validation, filters, SSE framing. No I/O.
        .target(name: "HeraldCore", swiftSettings: swiftSettings),
        // The embedded store: SQLite through GRDB.
        .target(
            name: "HeraldSQLite",
            dependencies: [
                "HeraldCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The shared store for replicas: PostgreSQL through postgres-nio, with LISTEN/NOTIFY fan-out.
        // Its sources are all `#if PostgreSQL`: `swift build` builds every target, used or not.
        .target(
            name: "HeraldPostgres",
            dependencies: [
                "HeraldCore",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The system's zlib, for gzip request bodies (OTLP exporters send them).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // The HTTP server as a library, so tests build the real application.
        .target(
            name: "HeraldServer",
            dependencies: [
                "HeraldCore",
                "HeraldSQLite",
                .target(name: "HeraldPostgres", condition: .when(traits: ["PostgreSQL"])),
                "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit", condition: .when(traits: ["JWT"])),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // Everything the server serves, compiled into the binary (as `PackageResources.<file_name>`)
            // so that the binary alone is the whole server. SDK/package.json is for npm, not served.
            exclude: ["SDK/package.json"],
            resources: [.embedInCode("Dashboard"), .embedInCode("SDK/herald.js"), .embedInCode("SDK/herald.d.ts"), .embedInCode("openapi.json")],
            swiftSettings: swiftSettings
        ),
        // Producers' and subscribers' library: depends on the core, never on the server.
        .target(
            name: "HeraldClient",
            dependencies: [
                "HeraldCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The simulated run behind `herald demo`. Its source is the example orchestrator's, in
        // Examples/, so the example and the demo cannot drift apart.
        .target(
            name: "HeraldDemo",
            dependencies: ["HeraldClient", "HeraldCore"],
            path: "Examples/Orchestrator/Sources/DemoOrchestrator",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "herald",
            dependencies: [
                "HeraldCore",
                "HeraldServer",
                "HeraldClient",
                "HeraldDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "HeraldCoreTests", dependencies: ["HeraldCore", "HeraldTestSupport"], swiftSettings: swiftSettings),
        // Chooses the store the store, API and stream tests run on (HERALD_TEST_STORE).
        .target(
            name: "HeraldTestSupport",
            dependencies: [
                "HeraldCore", "HeraldSQLite",
                .target(name: "HeraldPostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/HeraldTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldStoreTests",
            dependencies: [
                "HeraldSQLite", "HeraldPostgres", "HeraldTestSupport",
                // The upgrade tests read the fixtures as the old release left them.
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldClientTests",
            dependencies: [
                "HeraldClient", "HeraldServer", "HeraldCore", "HeraldSQLite", "HeraldDemo", "HeraldTestSupport",
                .product(name: "Logging", package: "swift-log"),
                // The transport tests' scripted server.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldServerTests",
            dependencies: [
                "HeraldServer",
                "HeraldCore",
                "HeraldSQLite",
                "HeraldPostgres",
                "HeraldTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
