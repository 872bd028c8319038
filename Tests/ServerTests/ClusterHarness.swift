import Client
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Wire

@testable import ClusterLogic
@testable import Server

/// A CSM running in this process (ServiceLifecycle, real ports) that a test can stop and start
/// again on the same ports.
final class RunningCSM: Sendable {
    let ports: CSMPorts
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    static func start(_ configure: @Sendable (inout CSMConfiguration) -> Void = { _ in }) async throws -> RunningCSM {
        var configuration = CSMConfiguration()
        configuration.unitPort = 0
        configuration.httpPort = 0
        configuration.secret = UnitHarness.secret
        configuration.heartbeatInterval = .milliseconds(100)
        // Every test client comes from 127.0.0.1; the rate-limit test sets its own.
        configuration.rateLimits = .unlimited
        configuration.settings.liveChannelsPerClient = .max
        // Every test unit links from 127.0.0.1, a dozen at once; PreAuthenticationTests sets the defaults.
        configuration.unprovenLinksPerNetwork = configuration.unprovenLinks
        configure(&configuration)
        var logger = Logger(label: "test.csm")
        logger.logLevel = .warning
        let (started, continuation) = AsyncStream.makeStream(of: CSMPorts.self)
        let service = CSMService(configuration: configuration, logger: logger, onStarted: { continuation.yield($0) })
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        var iterator = started.makeAsyncIterator()
        guard let ports = await iterator.next() else { throw ClientError.closedBeforeOpen }
        return RunningCSM(ports: ports, task: task, group: group)
    }

    private init(ports: CSMPorts, task: Task<Void, any Error>, group: ServiceGroup) {
        self.ports = ports
        self.task = task
        self.group = group
    }

    var unitAddress: String { "127.0.0.1:\(ports.unit)" }
    var http: APIEndpoint { APIEndpoint(host: "127.0.0.1", port: ports.http, headers: [("Authorization", "Bearer \(CSMConfiguration().adminToken)")]) }

    func view() async throws -> ClusterView { try await http.json(.GET, "/admin/view", as: ClusterView.self) }

    /// Units that take work from this CSM: linked, obeying it (a unit just started grants no
    /// lease for a while), not draining.
    func activeUnits() async throws -> Int { try await view().units.count { $0.state == "active" } }

    /// Whether this CSM answers as the primary (with a CSM pair: once a majority granted it leases).
    func isPrimary() async -> Bool { (try? await http.send(.GET, "/role"))?.status == 200 }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Client-side helpers: what a broadcaster and a viewer do through the cluster API.
extension APIEndpoint {
    func openChannel(title: String = "test") async throws -> OpenChannelResponse {
        try await json(.POST, "/api/channels", body: OpenChannelRequest(title: title, broadcasterName: "host"), as: OpenChannelResponse.self)
    }

    func join(_ channel: ChannelID) async throws -> JoinChannelResponse {
        try await json(.POST, "/api/channels/\(channel)/join", as: JoinChannelResponse.self)
    }

    /// Joins and opens a session, asking again as a viewer would when a unit turns the ticket
    /// down (its group filled between the CSM's count and the viewer's arrival) or the CSM still
    /// counts places promised to viewers that went elsewhere.
    /// `udp` false leaves the session unbound (no media until it asks for TCP); `resume` is where
    /// a viewer joining again left off.
    func watch(_ channel: ChannelID, udp: Bool = true, name: String = "viewer", resume: ResumePoint? = nil) async throws -> (SessionClient, JoinChannelResponse) {
        var lastError: (any Error)?
        for _ in 0..<8 {
            do {
                let place = try await join(channel)
                let client = try await SessionClient.connect(to: place.unit, ticket: place.ticket, peer: .viewer, name: name, resume: resume)
                if udp { try await client.bindUDP() }
                return (client, place)
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        throw lastError ?? ClientError.closedBeforeOpen
    }
}

/// Waits until `condition` holds (polling), or the timeout passes. A condition that throws counts
/// as not yet (a request that met a server busy elsewhere); the last error is thrown at the end.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    return try await condition()
}

/// Waits until `condition` holds (polling), or the timeout passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    return await condition()
}
