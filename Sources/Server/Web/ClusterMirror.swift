import Client
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ClusterLogic
import Wire

/// The web server's fresh copy of the cluster (paper 2.1.1): every second it asks the primary CSM
/// (found among the CSM addresses by their role, so it follows a failover) for its view and new
/// event-log entries, keeps the database in step (peaks, ended channels, the log) and hands each
/// new snapshot to the dashboard's live streams.
actor ClusterMirror {
    /// What the dashboard receives: the view and the tail of the log.
    struct Snapshot: Codable, Sendable {
        var view: ClusterView?
        var log: [ClusterLogEntry]
        var csm: String?
        var error: String?
    }

    private let endpoints: ClusterEndpoints
    private let store: PortalStore
    private let logger: Logger
    private(set) var view: ClusterView?
    private var primary: APIEndpoint?
    private var lastError: String?
    private var subscribers: [UUID: AsyncStream<Snapshot>.Continuation] = [:]
    private var wake: AsyncStream<Void>.Continuation?

    private var endings = ChannelEndings()

    private let retention: LogRetention
    private var lastPrune = ContinuousClock.now

    init(endpoints: ClusterEndpoints, store: PortalStore, retention: LogRetention = LogRetention(), logger: Logger) {
        self.endpoints = endpoints
        self.store = store
        self.retention = retention
        self.logger = logger
    }

    /// Refreshes once a second (or sooner when asked) until cancelled.
    func run() async {
        let (wakes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake = continuation
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                continuation.yield()
            }
        }
        defer { ticker.cancel() }
        await refresh()
        for await _ in wakes {
            if Task.isCancelled { break }
            await refresh()
        }
    }

    func refreshSoon() { wake?.yield() }

    /// A stream of snapshots for one dashboard, starting with the current one.
    func subscribe() async -> (UUID, AsyncStream<Snapshot>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Snapshot.self, bufferingPolicy: .bufferingNewest(2))
        let id = UUID()
        if view == nil { await refresh() }
        subscribers[id] = continuation
        continuation.yield(await snapshot())
        return (id, stream)
    }

    func unsubscribe(_ id: UUID) { subscribers.removeValue(forKey: id)?.finish() }

    /// Ends every dashboard stream (the server is shutting down).
    func finishAll() {
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }

    /// A call to the primary CSM's admin API (the dashboard's buttons).
    func admin(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> (status: Int, body: [UInt8]) {
        guard let primary = await findPrimary() else {
            throw APIEndpoint.Failure(status: 503, message: "no cluster manager answers; try again in a moment")
        }
        return try await primary.send(method, path, body: body)
    }

    private func findPrimary() async -> APIEndpoint? {
        primary = await endpoints.primary()
        return primary
    }

    private func refresh() async {
        guard let primary = await findPrimary() else {
            lastError = "no cluster manager answers as the primary at \(endpoints.servers.joined(separator: ", "))"
            await publish()
            return
        }
        do {
            let fresh = try await primary.json(.GET, "/admin/view", as: ClusterView.self)
            for channel in endings.ended(afterSnapshotAt: fresh.epoch, of: fresh.channels.map(\.channel)) {
                try await store.channelEnded(channel, atMilliseconds: PortalAPI.nowMilliseconds)
            }
            for channel in fresh.channels {
                try await store.channelOpened(ChannelHistory(
                    channel: channel.channel, title: channel.title, broadcasterName: channel.broadcasterName,
                    startedAtMilliseconds: channel.startedAtMilliseconds, endedAtMilliseconds: nil, peakViewers: channel.viewers, totalViewers: 0))
                try await store.viewersNow(channel.channel, channel.viewers)
            }
            view = fresh
            let since = (try await store.lastLogTime()).map { $0 + 1 } ?? 0
            let entries = try await primary.json(.GET, "/admin/log?since=\(since)&limit=500", as: [ClusterLogEntry].self)
            try await store.appendLog(entries.reversed())
            if ContinuousClock.now - lastPrune > LogRetention.interval {
                lastPrune = .now
                try await store.pruneLog(retention, nowMilliseconds: PortalAPI.nowMilliseconds)
            }
            lastError = nil
        } catch {
            lastError = "cannot refresh from the cluster manager: \(error)"
            logger.warning("\(lastError ?? "")")
        }
        await publish()
    }

    private func snapshot() async -> Snapshot {
        Snapshot(
            view: view, log: (try? await store.log(limit: 20)) ?? [], csm: primary?.authority, error: lastError)
    }

    private func publish() async {
        guard !subscribers.isEmpty else { return }
        let current = await snapshot()
        for continuation in subscribers.values { continuation.yield(current) }
    }
}
