import Client
import Foundation
import Logging
import ServiceLifecycle

@testable import Server

/// A web portal running in this process on a free port, against the given CSMs.
final class RunningWeb: Sendable {
    let port: Int
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    /// The PostgreSQL server `make test` starts (scripts/test-postgres.sh); nil where none runs.
    static let postgresURL = ProcessInfo.processInfo.environment["AVCLUSTER_TEST_POSTGRES_URL"]

    static func start(
        csm: RunningCSM, postgres: String? = nil, _ configure: @Sendable (inout WebConfiguration) -> Void = { _ in }
    ) async throws -> RunningWeb {
        var configuration = WebConfiguration()
        configuration.port = 0
        configuration.csmURLs = ["http://127.0.0.1:\(csm.ports.http)"]
        configuration.postgresURL = postgres
        configure(&configuration)
        var logger = Logger(label: "test.web")
        logger.logLevel = .warning
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let service = WebService(configuration: configuration, logger: logger, onStarted: { continuation.yield($0) })
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        var iterator = started.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ClientError.closedBeforeOpen }
        return RunningWeb(port: port, task: task, group: group)
    }

    private init(port: Int, task: Task<Void, any Error>, group: ServiceGroup) {
        self.port = port
        self.task = task
        self.group = group
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var http: APIEndpoint { APIEndpoint(host: "127.0.0.1", port: port, headers: [("Authorization", "Bearer avcluster-admin")]) }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
