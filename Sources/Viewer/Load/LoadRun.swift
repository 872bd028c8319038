import Client
import Foundation
import Wire

/// A `viewer load` run: viewers join at the ramp rate, everyone watches for the duration, a
/// sample is taken every second (keepalives and stall checks ride on it), then the report.
final class LoadRun: Sendable {
    let settings: LoadReport.Settings
    let api: ClusterAPIClient
    let bindTimeout: Duration
    private let viewers: [LoadViewer]
    private let receiveLoop = ReceiveLoop()
    private let progress: @Sendable (String) -> Void

    init(settings: LoadReport.Settings, api: ClusterAPIClient, bindTimeout: Duration, progress: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.api = api
        self.bindTimeout = bindTimeout
        self.progress = progress
        // Spread TCP viewers evenly, whatever the count: viewer i is on TCP when the share's
        // running total passes a whole viewer at i.
        viewers = (0..<settings.viewers).map { [receiveLoop] index in
            let share = settings.tcpSharePercent / 100
            return LoadViewer(index: index, wantsTCP: (Double(index + 1) * share).rounded(.down) > (Double(index) * share).rounded(.down), receiveLoop: receiveLoop)
        }
    }

    func run() async -> LoadReport {
        let startedAt = Date()
        let start = LoadClientHealth.Reading.now
        let sampler = Sampler(viewers: viewers, start: start)
        let channel = ChannelID(settings.channel)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [progress] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    progress(sampler.sample())
                }
            }
            let beginning = ContinuousClock.now
            for (index, viewer) in viewers.enumerated() {
                try? await Task.sleep(until: beginning + .seconds(Double(index) / settings.rampPerSecond), clock: .continuous)
                group.addTask { [api, bindTimeout] in await viewer.run(channel: channel, api: api, bindTimeout: bindTimeout) }
            }
            try? await Task.sleep(for: .seconds(settings.durationSeconds))
            group.cancelAll()
        }
        let end = LoadClientHealth.Reading.now
        for viewer in viewers { await viewer.close() }
        receiveLoop.stop()
        let health = LoadClientHealth(from: start, to: end, droppedAtViewerSockets: receiveLoop.dropped)
        return report(startedAt: startedAt, timeline: sampler.timeline, health: health)
    }

    private func report(startedAt: Date, timeline: [LoadSample], health: LoadClientHealth) -> LoadReport {
        let records = viewers.map { $0.record.withLockedValue { $0 } }
        let joined = records.filter { $0.joined != nil }
        let receiving = joined.filter { $0.delivered.expected > 0 }
        var all = LatencyHistogram()
        for record in joined { all.add(record.latency) }
        let received = joined.reduce(0) { $0 + $1.delivered.received }
        let expected = joined.reduce(0) { $0 + $1.delivered.expected }
        func percent(_ record: ViewerRecord) -> Double {
            record.delivered.expected == 0 ? 0 : 100 * Double(record.delivered.received) / Double(record.delivered.expected)
        }
        var perViewer: [String: Distribution] = [:]
        perViewer["deliveredPercent"] = Distribution(receiving.map(percent))
        perViewer["lossPercent"] = Distribution(receiving.map { 100 - percent($0) })
        perViewer["medianLatencyMilliseconds"] = Distribution(joined.compactMap { $0.latency.percentile(0.5) })
        perViewer["maxLatencyMilliseconds"] = Distribution(joined.map { Double($0.latencyMaxMicroseconds) / 1000 })
        perViewer["startupMilliseconds"] = Distribution(joined.compactMap(\.startupMilliseconds))
        perViewer["stalls"] = Distribution(joined.map { Double($0.stalls) })
        perViewer["modeSwitches"] = Distribution(joined.map { Double($0.modeSwitches) })
        perViewer["rejoins"] = Distribution(joined.map { Double($0.rejoins) })
        let failures = records.compactMap(\.failure)
        let rejoining = joined.filter { $0.rejoins > 0 }
        let rejoined = LoadReport.Rejoined(
            viewers: rejoining.count, udpViewers: rejoining.count { $0.mode == .udp }, tcpViewers: rejoining.count { $0.mode == .tcp },
            packetsExpected: rejoining.reduce(0) { $0 + $1.delivered.expected },
            packetsLost: rejoining.reduce(0) { $0 + $1.delivered.expected - $1.delivered.received })
        return LoadReport(
            settings: settings, startedAt: startedAt, joined: joined.count, failedToJoin: records.count - joined.count,
            silentViewers: joined.count - receiving.count,
            packetsDelivered: received, packetsExpected: expected,
            deliveredPercent: expected == 0 ? 0 : 100 * Double(received) / Double(expected),
            latencyP50Milliseconds: all.percentile(0.5), latencyP95Milliseconds: all.percentile(0.95),
            latencyP99Milliseconds: all.percentile(0.99),
            latencyMaxMilliseconds: joined.map { Double($0.latencyMaxMicroseconds) / 1000 }.max(),
            perViewer: perViewer, stalls: joined.reduce(0) { $0 + $1.stalls },
            modeSwitches: joined.reduce(0) { $0 + $1.modeSwitches }, rejoins: joined.reduce(0) { $0 + $1.rejoins },
            rejoined: rejoined,
            joinFailures: Array(Set(failures)).sorted().prefix(10).map { $0 }, timeline: timeline, health: health)
    }
}
