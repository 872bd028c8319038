import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Wire

/// Runs one streaming unit under ServiceLifecycle: its own event loop, its ports, and an admin
/// port with /metrics and /health. Stops cleanly on SIGTERM/SIGINT.
struct UnitService: Service {
    let configuration: UnitConfiguration
    let adminPort: Int?
    let logger: Logger
    /// Called once the unit serves (the demo and tests learn its address here).
    var onStarted: @Sendable (RunningUnit, _ adminPort: Int?) async -> Void = { _, _ in }

    func run() async throws {
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let unit = try await RunningUnit.start(configuration, on: loop.next(), logger: logger)
        if let adminPort {
            let app = AdminApplication.make(
                host: configuration.bindHost, port: adminPort, logger: logger,
                routes: { router in
                    router.get("/health") { _, _ in try await unit.inspect { $0.makeReport() } }
                },
                onRunning: { port in await onStarted(unit, port) })
            try await app.runService()
        } else {
            await onStarted(unit, nil)
            try? await gracefulShutdown()
        }
        try await unit.shutdown()
        try await loop.shutdownGracefully()
    }
}

extension UnitReport: ResponseEncodable {}
