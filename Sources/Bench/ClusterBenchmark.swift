import ArgumentParser
import ClusterLogic
import Foundation
import Wire

/// `avbench cluster`: the CSM's real decision logic (ClusterLogic) at internet scale, in
/// process, on simulated time: a thousand units, a flash crowd on one channel, thousands of small
/// channels, churn, unit reports every second and unit failures. Prints what each decision costs.
struct ClusterBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "The CSM's placement, reports and failures at scale, in process (figures, not a test).",
        discussion: """
            Simulates UNITS units of GROUPS groups of PLACES places announcing to one CSM state. In the first \
            simulated minute a flash crowd of FLASH viewers joins one channel and CHANNELS small channels open, \
            each with 1 to 50 viewers; every unit reports each simulated second; CHURN percent of the viewers \
            leave each minute and as many join; FAILURES units fail during the run and their viewers join \
            again. Decision times are measured with the process's own clock; the simulated clock only orders \
            events. Prints joins per second, the decision time per join (p50, p99, max), the deepest relay \
            chain, what each failure re-homes and how long computing it took, and the memory used.
            """
    )

    @Option var units = 1000
    @Option var groups = 50
    @Option var places = 10
    @Option(help: "Viewers of the flash-crowd channel.")
    var flash = 400_000
    @Option(help: "Small channels (1 to 50 viewers each).")
    var channels = 10_000
    @Option(help: "Percent of the viewers that leave (and are replaced) each simulated minute.")
    var churn = 5.0
    @Option(help: "Units that fail during the run.")
    var failures = 20
    @Option(help: "Simulated minutes.")
    var minutes = 3
    @Option(name: .customLong("relay-fan-out"), help: "The trees' fan-out across units.")
    var relayFanOut = 8
    @Option var seed: UInt64 = 1

    func validate() throws {
        guard (2...65_535).contains(units), (1...1000).contains(groups), (1...10_000).contains(places) else {
            throw ValidationError("--units 2...65535, --groups 1...1000, --places 1...10000")
        }
        guard minutes >= 1, failures < units / 2 else { throw ValidationError("--minutes at least 1; --failures below half the units") }
    }

    /// What the simulated units hold: viewers per group, and tickets opened since their last report.
    struct Truth {
        var viewers: [GroupLocation: Int] = [:]
        var opened: [UnitID: [GroupID: [UInt64]]] = [:]
        var total = 0
    }

    struct Timings {
        var samples: [Double] = []
        mutating func add(_ duration: Duration) { samples.append(Double(duration / .nanoseconds(1)) / 1000) }
        func percentile(_ fraction: Double) -> Double {
            guard !samples.isEmpty else { return 0 }
            let sorted = samples.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        }
        var max: Double { samples.max() ?? 0 }
        var summary: String { "p50 \(f(percentile(0.5))) µs, p99 \(f(percentile(0.99))) µs, max \(f(max)) µs (\(samples.count))" }
        func f(_ value: Double) -> String { FanOutBenchmark.format(value, value < 10 ? 2 : 1) }
    }

    func run() throws {
        var random = SplitMix(state: seed)
        let clock = ContinuousClock()
        let start = clock.now
        var settings = ClusterSettings()
        settings.relayFanOut = relayFanOut
        var state = ClusterState(settings: settings, signer: TicketSigner(secret: "avbench-cluster-secret"), wallClock: { 1_000_000 })
        for id in 1...units {
            _ = state.announce(UnitAnnouncement(
                address: UnitAddress(unit: UnitID(UInt16(id)), host: "10.0.\(id / 256).\(id % 256)", sessionPort: 7100, mediaPort: 7101),
                adminPort: nil, groupsPerUnit: groups, groupCapacity: places, epoch: 1), now: start)
        }
        _ = state.drainActions()
        var truth = Truth()
        var flashJoins = Timings(), smallJoins = Timings(), rehomeJoins = Timings(), reports = Timings(), ticks = Timings()
        var refused = 0
        var failuresDone: [String] = []
        let began = clock.now

        func join(_ channel: ChannelID, at now: ContinuousClock.Instant, into timings: inout Timings) {
            let nonce = random.next()
            let before = clock.now
            let result = state.join(channel, nonce: nonce, now: now)
            timings.add(clock.now - before)
            switch result {
            case .success(let location):
                truth.viewers[location, default: 0] += 1
                truth.opened[location.unit, default: [:]][location.group, default: []].append(nonce)
                truth.total += 1
            case .failure: refused += 1
            }
        }

        // The flash channel first, then the small ones as their broadcasters come.
        guard case .success(let (flashChannel, _)) = state.open(title: "flash", now: start) else { throw ValidationError("no unit took the flash channel") }
        var small: [(channel: ChannelID, target: Int)] = []
        let ticksPerSecond = 4
        let totalTicks = minutes * 60 * ticksPerSecond
        let firstMinute = 60 * ticksPerSecond
        let failureTicks = Set((1...max(1, failures)).map { firstMinute + $0 * (totalTicks - firstMinute) / (failures + 1) })
        var failedUnits: Set<UnitID> = []
        var leaveCredit = 0.0

        for tick in 0..<totalTicks {
            let now = start + .milliseconds(250 * (tick + 1))
            if tick < firstMinute {
                // Flash-crowd joins and small channels spread over the first minute.
                let due = flash * (tick + 1) / firstMinute - flash * tick / firstMinute
                for _ in 0..<due { join(flashChannel, at: now, into: &flashJoins) }
                let opening = channels * (tick + 1) / firstMinute - channels * tick / firstMinute
                for _ in 0..<opening {
                    if case .success(let (channel, _)) = state.open(title: "small", now: now) { small.append((channel, 1 + random.below(50))) } else { refused += 1 }
                }
                for index in small.indices where small[index].target > 0 {
                    join(small[index].channel, at: now, into: &smallJoins)
                    small[index].target -= 1
                }
            } else {
                // Churn: viewers leave (their unit reports them gone) and as many join the same channel.
                leaveCredit += Double(truth.total) * churn / 100 / Double(60 * ticksPerSecond)
                let leaving = Int(leaveCredit)
                leaveCredit -= Double(leaving)
                let occupied = Array(truth.viewers.filter { $0.value > 0 }.keys)
                for _ in 0..<min(leaving, occupied.count) {
                    let location = occupied[random.below(occupied.count)]
                    guard let record = state.units[location.unit]?.groups[location.group], truth.viewers[location, default: 0] > 0 else { continue }
                    truth.viewers[location]! -= 1
                    truth.total -= 1
                    if record.channel == flashChannel { join(record.channel, at: now, into: &flashJoins) } else { join(record.channel, at: now, into: &smallJoins) }
                }
            }
            if failureTicks.contains(tick) {
                let candidates = state.units.keys.filter { id in !failedUnits.contains(id) && id != state.channels[flashChannel]?.root.unit }.sorted()
                let victim = candidates[random.below(candidates.count)]
                let lost = truth.viewers.filter { $0.key.unit == victim }
                    .compactMap { location, count in state.units[victim]?.groups[location.group].map { (location, count, $0.channel) } }
                let viewersLost = lost.reduce(0) { $0 + $1.1 }
                let groupsLost = state.units[victim]?.groups.count ?? 0
                let before = clock.now
                state.fail(victim, now: now, reason: "benchmark")
                let took = clock.now - before
                let actions = state.drainActions()
                let recreated = actions.filter { if case .log(let entry) = $0 { entry.kind == "groupRecreated" } else { false } }.count
                let reparented = actions.filter { if case .log(let entry) = $0 { entry.kind == "groupReparented" } else { false } }.count
                failedUnits.insert(victim)
                for (location, _, _) in lost { truth.viewers[location] = nil }
                truth.opened[victim] = nil
                truth.total -= viewersLost
                // Its viewers come back through the API at once, each to its channel.
                let rehomeStart = clock.now
                for (_, count, channel) in lost where state.channels[channel] != nil {
                    for _ in 0..<count { join(channel, at: now, into: &rehomeJoins) }
                }
                failuresDone.append("unit \(victim): \(groupsLost) groups, \(viewersLost) viewers; \(recreated) groups re-created, \(reparented) re-parented in \(FanOutBenchmark.format(Double(took / .microseconds(1)) / 1000, 2)) ms; its viewers placed again in \(FanOutBenchmark.format(Double((clock.now - rehomeStart) / .microseconds(1)) / 1000, 1)) ms")
            }
            // Every unit reports once a simulated second (a quarter of them each tick).
            for id in state.units.keys where Int(id.rawValue) % ticksPerSecond == tick % ticksPerSecond {
                guard let record = state.units[id] else { continue }
                let opened = truth.opened.removeValue(forKey: id) ?? [:]
                let report = UnitReport(
                    unit: id, epoch: 1, sentAtMilliseconds: 1,
                    groups: record.groups.map { group, placed in
                        GroupReport(
                            group: group, channel: placed.channel, parent: placed.parent, broadcasterHere: placed.parent == nil,
                            udpViewers: truth.viewers[GroupLocation(unit: id, group: group), default: 0], tcpViewers: 0, bytesSent: 0,
                            info: nil, openedTickets: opened[group])
                    },
                    load: UnitLoad(viewers: 0, bytesPerSecond: 0, freeGroups: groups - record.groups.count), draining: false)
                let before = clock.now
                state.report(report, now: now)
                reports.add(clock.now - before)
            }
            let before = clock.now
            state.tick(now: now)
            ticks.add(clock.now - before)
            _ = state.drainActions()
        }
        let wall = Double((clock.now - began) / .milliseconds(1)) / 1000
        let flashGroups = state.groups(of: flashChannel)
        let unitsUsed = Set(flashGroups.map(\.location.unit)).count
        let bound = Int((log(Double(unitsUsed)) / log(Double(relayFanOut))).rounded(.up))
        let allJoins = flashJoins.samples.count + smallJoins.samples.count + rehomeJoins.samples.count

        print("avbench cluster: \(units) units x \(groups) groups x \(places) places, \(minutes) simulated minutes, fan-out \(relayFanOut)")
        print("  flash channel: \(state.viewers(of: flashChannel, at: start + .seconds(minutes * 60))) viewers in \(flashGroups.count) groups on \(unitsUsed) units")
        print("  small channels: \(small.count) opened; \(state.channels.count - 1) live at the end")
        print("  joins: \(allJoins) in \(FanOutBenchmark.format(wall, 1)) s of computing, \(Int(Double(allJoins) / wall)) a second with reports and ticks; \(refused) refused (no room)")
        print("  decision per join, flash crowd: \(flashJoins.summary)")
        print("  decision per join, small channels: \(smallJoins.summary)")
        print("  decision per join, re-homed viewers: \(rehomeJoins.summary)")
        print("  unit report (\(groups) groups): \(reports.summary)")
        print("  tick (every 250 ms): \(ticks.summary)")
        print("  deepest relay chain of the flash channel: \(state.deepestRelayChain(of: flashChannel)) hops (bound ⌈log_\(relayFanOut) \(unitsUsed)⌉ = \(bound))")
        for line in failuresDone { print("  failure: \(line)") }
        print("  memory: \(Self.peakResidentMegabytes().map { "\(FanOutBenchmark.format($0, 0)) MB peak resident" } ?? "unknown")")
    }

    static func peakResidentMegabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }
}

/// SplitMix64: the same run for the same seed.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
