import Testing
import Wire

@testable import ClusterLogic

/// The placement index and the channels' tree levels, kept up to date by joins, reports,
/// failures, drains, shrinking and time, agree at every step with ones built from scratch and
/// with a scan of every group.
@Suite struct PlacementIndexTests {
    /// SplitMix64: the same operations every run.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    static func check(_ state: ClusterState, at now: ContinuousClock.Instant, after step: String) {
        var kept = state
        let index = kept.units.placement(at: now)
        var rebuilt = kept
        rebuilt.units.rebuildPlacement(now: now)
        let fresh = rebuilt.units.placement(at: now)
        #expect(index.unitsWithFreeGroups.min == fresh.unitsWithFreeGroups.min, "\(step)")
        let scanned = kept.units.policy.choose(kept.activeUnits.filter { $0.freeGroupCount > 0 }, at: now)?.id
        #expect(index.unitsWithFreeGroups.min == scanned, "\(step)")
        for channel in kept.channels.keys {
            let a = index.places(of: channel), b = fresh.places(of: channel)
            #expect(a?.viewers == b?.viewers && a?.freePlaces == b?.freePlaces && a?.broadcasters == b?.broadcasters, "\(step): channel \(channel)")
            #expect(a?.emptyGroups == b?.emptyGroups && a?.children == b?.children && a?.groups == b?.groups && a?.openGroups == b?.openGroups, "\(step): channel \(channel)")
            #expect(a?.openUnits.min == b?.openUnits.min && a?.openUnits.count == b?.openUnits.count, "\(step): channel \(channel)")
            #expect(a?.viewers ?? 0 == kept.units.sum(over: channel) { $1.occupancy(at: now) }, "\(step): channel \(channel)")
            if let levels = kept.treeLevels[channel] {
                RelayTreeTests.expectAgree(levels, TreeLevels(kept, kept.groups(of: channel)), "\(step): channel \(channel)")
            }
        }
    }

    @Test func theKeptIndexAgreesWithOneBuiltFromScratchAfterEveryOperation() throws {
        var state = ClusterStateTests.state(units: Array(1...12), groups: 5, capacity: 4)
        var random = Random(state: 2026)
        var now = ClusterStateTests.start
        var open: [ChannelID] = []
        var joined = 0
        for step in 0..<1500 {
            let what: String
            switch random.next(100) {
            case 0..<8:
                what = "open"
                if case .success(let (channel, _)) = state.open(now: now) { open.append(channel) }
            case 8..<60:
                what = "join"
                if !open.isEmpty, case .success = state.join(open[random.next(open.count)], now: now) { joined += 1 }
            case 60..<75:
                what = "reports"
                for report in ClusterStateTests.reports(of: state, at: now) where random.next(3) > 0 { state.report(report, now: now) }
            case 75..<85:
                what = "time"
                // Most units report; one in ten stays silent and fails in time.
                now += .milliseconds(250 * (1 + random.next(4)))
                for report in ClusterStateTests.reports(of: state, at: now) where random.next(10) > 0 { state.report(report, now: now) }
                state.tick(now: now)
            case 85..<87:
                // Past the grace of every promised place, and nothing reported: they lapse by time alone.
                what = "quiet"
                now += GroupRecord.joinGrace + .milliseconds(1)
            case 87..<88:
                let unit = UnitID(UInt16(1 + random.next(12)))
                what = "drain \(unit)"
                _ = state.drain(unit, random.next(2) == 0)
            case 88..<90:
                let unit = UnitID(UInt16(1 + random.next(12)))
                what = "fail \(unit)"
                state.fail(unit, now: now, reason: "test")
                open.removeAll { state.channels[$0] == nil }
            case 90..<93:
                what = "close"
                if !open.isEmpty { _ = state.close(open.remove(at: random.next(open.count)), now: now) }
            case 93..<96:
                what = "shrink"
                for channel in open { state.shrink(channel, now: now, force: true) }
            default:
                let unit = UnitID(UInt16(1 + random.next(12)))
                what = "announce \(unit)"
                _ = state.announce(UnitAnnouncement(
                    address: UnitAddress(unit: unit, host: "10.0.0.\(unit)", sessionPort: 7100, mediaPort: 7101),
                    adminPort: nil, groupsPerUnit: 5, groupCapacity: 4, epoch: 0), now: now)
            }
            _ = state.drainActions()
            Self.check(state, at: now, after: "step \(step) (\(what))")
        }
        #expect(joined > 300, "\(joined) joins placed")
    }
}
