// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "avcluster",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "Media", targets: ["Media"]),
        .library(name: "Client", targets: ["Client"]),
        .executable(name: "avserver", targets: ["avserver"]),
        .executable(name: "broadcaster", targets: ["Broadcaster"]),
        .executable(name: "viewer", targets: ["Viewer"]),
        .executable(name: "avbench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Bytes and messages: RTP, framing, control messages, tickets. No sockets, no C libraries.
        .target(
            name: "Wire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // System libraries found by pkg-config; each shim re-exports what Swift cannot import.
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CVPX", pkgConfig: "vpx", providers: [.apt(["libvpx-dev"])]),
        .systemLibrary(name: "CV4L2", pkgConfig: "libv4lconvert", providers: [.apt(["libv4l-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        // deflate and CRC-32 for PNG snapshots.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CAVCodec", pkgConfig: "libavcodec", providers: [.apt(["libavcodec-dev", "libswresample-dev"])]),
        // recvmmsg(2) and kernel receive times for the load clients' reading threads (Client's
        // ReceiveLoop, avbench), sendmmsg(2) and direct sends for the unit's fan-out (DataPlane).
        .systemLibrary(name: "CDatagram"),

        // A client's session with a unit over real sockets, and the cluster's HTTP APIs: used by
        // both CLIs, the portal, relay tests and benchmarks.
        .target(
            name: "Client",
            dependencies: [
                "Wire", "CDatagram",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),

        // Codecs and capture devices, used by the clients only (the server's one codec is the
        // ingest's AAC to Opus).
        .target(name: "Media", dependencies: ["Wire", "COpus", "CVPX", "CV4L2", "CALSA", "CZlib", "CAVCodec"]),

        // The CSM's decisions without sockets or clocks: the cluster state (units, channels, group
        // trees, placement and its index, failures) and the failover state machine. Time comes in
        // as arguments, so the server, the tests and `avbench cluster` run the same logic.
        .target(name: "ClusterLogic", dependencies: ["Wire"]),

        // The unit's data plane without its sessions' sockets: the channel feed, cursors and lag
        // policy, fan-out membership, and the UDP send plan over sendmmsg(2). Time comes in as
        // arguments, so the unit, the tests and `avbench fanout --in-process` run the same code.
        .target(
            name: "DataPlane",
            dependencies: ["Wire", "CDatagram", .product(name: "NIOCore", package: "swift-nio")]
        ),

        // What publishers the streamers already use speak (RTMP; its AMF0 commands): pure, bytes
        // in and out, for the unit's ingest and its tests.
        .target(name: "Ingest", dependencies: ["Wire", "CAVCodec", "COpus", .product(name: "NIOCore", package: "swift-nio")]),

        // The server roles as a library, so tests and the fuzz target link them; `avserver` is its main.
        .target(
            name: "Server",
            dependencies: [
                "Wire", "Client", "ClusterLogic", "DataPlane", "Ingest",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            // The browser's pages and scripts, plain files served as they are.
            resources: [.copy("Web/Static")]
        ),
        .executableTarget(name: "avserver", dependencies: ["Server"]),
        .executableTarget(
            name: "Broadcaster",
            dependencies: [
                "Wire", "Media", "Client",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "Viewer",
            dependencies: [
                "Wire", "Media", "Client",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Benchmarks that print figures (docs/PERFORMANCE.md); never run as tests.
        .executableTarget(
            name: "Bench",
            dependencies: [
                "Wire", "Client", "ClusterLogic", "DataPlane", "CDatagram",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "WireTests", dependencies: ["Wire", "TestSupport"]),
        // What several test targets share: the tests' stream, how they compare packets, a seeded random source.
        .target(
            name: "TestSupport", dependencies: ["Wire", .product(name: "NIOCore", package: "swift-nio")], path: "Tests/TestSupport"),
        // The pure cores alone: each links only what it tests.
        .testTarget(name: "ClusterLogicTests", dependencies: ["ClusterLogic", "Wire", "TestSupport"]),
        .testTarget(
            name: "DataPlaneTests",
            dependencies: ["DataPlane", "Wire", "TestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(name: "MediaTests", dependencies: ["Media"]),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest", "Wire", "COpus", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ClientTests", dependencies: ["Client", "Wire"]),
        .testTarget(
            name: "ViewerTests",
            dependencies: [
                "Viewer", "Media", "Wire", "Client",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "ClusterLogic", "DataPlane", "Wire", "Client", "Media", "Ingest", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer targets, built only by scripts/fuzz.sh (they need -sanitize=fuzzer, which
// supplies the entry point): every Wire decoder, and the real state machines fed decoded messages.
if Context.environment["AVCLUSTER_FUZZ"] != nil {
    package.targets += [
        .executableTarget(
            name: "WireFuzz",
            dependencies: ["Wire", "DataPlane", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/WireFuzz",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "StateFuzz",
            dependencies: [
                "Server", "ClusterLogic", "DataPlane", "Wire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Fuzz/StateFuzz",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
}
