import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Wire

/// Runs one streaming unit under ServiceLifecycle: its own event loops, its ports, and an admin
/// port with /metrics and /health. Stops cleanly on SIGTERM/SIGINT.
struct UnitService: Service {
    let configuration: UnitConfiguration
    let adminPort: Int?
    let logger: Logger
    /// Called once the unit serves (the demo and tests learn its address here).
    var onStarted: @Sendable (RunningUnit, _ adminPort: Int?) async -> Void = { _, _ in }

    func run() async throws {
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        let ports = [configuration.sessionPort, configuration.mediaPort, configuration.webSocketPort ?? 0, configuration.rtmpPort ?? 0]
        let unit: RunningUnit
        do {
            unit = try await PortUnavailable.naming("unit \(configuration.unit)", ports: ports) {
                try await RunningUnit.start(configuration, on: Array(loop.makeIterator()), logger: logger)
            }
        } catch {
            try? await loop.shutdownGracefully()
            throw error
        }
        do {
            try await serve(unit)
        } catch {
            // Cancelled or failed: the unit's ports (and the session port's accepting thread) close all the same.
            try? await unit.shutdown()
            try? await loop.shutdownGracefully()
            throw error
        }
        try await unit.shutdown()
        try await loop.shutdownGracefully()
    }

    /// The admin port (when there is one) until shutdown.
    private func serve(_ unit: RunningUnit) async throws {
        if let adminPort {
            let app = AdminApplication.make(
                host: configuration.adminBindHost, port: adminPort, logger: logger,
                routes: { router in
                    router.get("/health") { _, _ -> UnitHealth in
                        guard let health = unit.health.withLockedValue({ $0 }) else {
                            throw HTTPError(.serviceUnavailable, message: "unit \(configuration.unit) is starting: no heartbeat yet")
                        }
                        return health
                    }
                },
                onRunning: { port in await onStarted(unit, port) })
            try await PortUnavailable.naming("unit \(configuration.unit)'s /metrics and /health", ports: [adminPort]) { try await app.runService() }
        } else {
            await onStarted(unit, nil)
            try? await gracefulShutdown()
        }
    }
}

extension UnitHealth: ResponseEncodable {}
