import ClusterLogic
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
import Wire

@testable import Server

/// The CSM's manager alone: a manual clock, units on in-memory channels, no sockets, no timers.
/// Every step is an input (an announcement, a heartbeat from the peer, a lease answer, a tick at
/// a time the test chooses) and what it did is read back from the units' channels.
@Suite struct ClusterManagerTests {
    /// A clock that moves only when told.
    final class ManualClock: Sendable {
        private let instant = NIOLockedValueBox(ContinuousClock.now)
        private let wall = NIOLockedValueBox<UInt64>(1_800_000_000_000)
        var csmClock: CSMClock {
            CSMClock(now: { self.instant.withLockedValue { $0 } }, wallMilliseconds: { self.wall.withLockedValue { $0 } })
        }
        var now: ContinuousClock.Instant { instant.withLockedValue { $0 } }
        func advance(_ duration: Duration) {
            instant.withLockedValue { $0 += duration }
            wall.withLockedValue { $0 += UInt64(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000) }
        }
    }

    static let lease = Duration.seconds(2)
    static let beat = Duration.milliseconds(250)

    static func backup(clock: ManualClock, members: Set<UnitID>, epoch: UInt64) -> ClusterManager {
        let failover = FailoverStateMachine(
            name: "csm-b", highestEpoch: epoch, members: members, preferred: false, alone: false, leaseDuration: lease,
            heartbeatInterval: beat, now: clock.now)
        return ClusterManager(
            settings: ClusterSettings(), secret: "a cluster key for the manager's tests", name: "csm-b", failover: failover,
            stateFile: CSMStateFile(path: nil), peer: nil, hook: nil, store: nil, logger: Logger(label: "csm-b"),
            clock: clock.csmClock)
    }

    /// A unit's side of its control link: what the CSM wrote to it, decoded.
    struct UnitEnd {
        let id: UnitID
        let channel: NIOAsyncTestingChannel

        func announcement(epoch: UInt64) -> UnitAnnouncement {
            UnitAnnouncement(
                address: UnitAddress(unit: id, host: "10.0.0.\(id.rawValue)", sessionPort: 7100, mediaPort: 7101),
                adminPort: nil, groupsPerUnit: 4, groupCapacity: 10, epoch: epoch)
        }

        /// Every message written to the unit so far.
        func received() async throws -> [CSMMessage] {
            var messages: [CSMMessage] = []
            while var frame = try await channel.readOutbound(as: ByteBuffer.self) {
                while let body = try LengthPrefixedFramer.control.nextFrame(from: &frame) {
                    messages.append(try ControlCoder.decode(CSMMessage.self, from: body))
                }
            }
            return messages
        }
    }

    static func leaseRequests(_ messages: [CSMMessage]) -> [(id: UInt64, epoch: UInt64)] {
        messages.compactMap { if case .leaseRequest(let id, let epoch, _) = $0 { (id, epoch) } else { nil } }
    }

    @Test func aBackupTakesOverOnlyOnceThePrimaryFallsSilentThenCommandsAtItsNewEpoch() async throws {
        let clock = ManualClock()
        let members: Set<UnitID> = [1, 2, 3]
        let manager = Self.backup(clock: clock, members: members, epoch: 3)
        await manager.started()
        let units = members.sorted().map { UnitEnd(id: $0, channel: NIOAsyncTestingChannel()) }
        for (index, unit) in units.enumerated() {
            #expect(await manager.unitAnnounced(unit.announcement(epoch: 3), link: UInt64(index + 1), channel: unit.channel) == nil)
        }

        // The primary is heard every beat: the backup asks for no lease and refuses clients.
        for _ in 0..<16 {
            await manager.peerHeartbeat(Heartbeat(csm: "csm-a", role: .primary, epoch: 3, sentAtMilliseconds: 0, units: members.sorted()))
            clock.advance(Self.beat)
            await manager.tick()
        }
        for unit in units { #expect(Self.leaseRequests(try await unit.received()).isEmpty) }
        #expect(await !manager.isPrimary)
        guard case .failure(let refused) = await manager.openChannel(OpenChannelRequest(title: "t", broadcasterName: "b"), client: nil) else {
            Issue.record("a backup opened a channel")
            return
        }
        #expect(refused.code == .notPrimary)

        // Silence for longer than a lease: it campaigns one epoch above, and a majority's grant makes it primary.
        var asked: [UnitID: (id: UInt64, epoch: UInt64)] = [:]
        for _ in 0..<40 where asked.count < units.count {
            clock.advance(Self.beat)
            await manager.tick()
            for unit in units { if let request = Self.leaseRequests(try await unit.received()).last { asked[unit.id] = request } }
        }
        #expect(asked.count == 3 && asked.values.allSatisfy { $0.epoch == 4 }, "\(asked)")
        for unit in units.prefix(2) {
            let request = try #require(asked[unit.id])
            await manager.leaseAnswered(by: unit.id, id: request.id, epoch: 4, grantedMilliseconds: 3_000, holder: "csm-b")
        }
        #expect(await manager.isPrimary)
        #expect(await manager.role.epoch == 4)

        // Its first channel goes to a unit that granted it a lease, commanded at epoch 4.
        guard case .success(let opened) = await manager.openChannel(OpenChannelRequest(title: "talk", broadcasterName: "ann"), client: nil) else {
            Issue.record("the new primary could not open a channel")
            return
        }
        #expect(opened.unit.unit != 3, "unit 3 never granted a lease")
        var commands: [(UnitID, UInt64, UnitAction)] = []
        for unit in units {
            commands += try await unit.received().compactMap { message -> (UnitID, UInt64, UnitAction)? in
                if case .command(_, let epoch, let action) = message { (unit.id, epoch, action) } else { nil }
            }
        }
        #expect(commands.contains { unit, epoch, action in
            if case .assignGroup(_, let channel, nil, _) = action { unit == opened.unit.unit && epoch == 4 && channel == opened.channel } else { false }
        }, "\(commands)")
    }

    @Test func aUnitsFloodOfEventsIsCutToItsBudgetAndSaidOnce() async throws {
        let clock = ManualClock()
        let failover = FailoverStateMachine(
            name: "csm-a", highestEpoch: 0, preferred: true, alone: true, leaseDuration: Self.lease, heartbeatInterval: Self.beat, now: clock.now)
        let store = try await SQLiteStore.open(path: ":memory:", logger: Logger(label: "log"))
        let manager = ClusterManager(
            settings: ClusterSettings(), secret: "a cluster key for the manager's tests", name: "csm-a", failover: failover,
            stateFile: CSMStateFile(path: nil), peer: nil, hook: nil, store: store, unitEventsPerSecond: 10,
            logger: Logger(label: "csm-a"), clock: clock.csmClock)
        for index in 0..<500 {
            await manager.unitEvent(UnitEvent(
                unit: 7, timeMilliseconds: 1, kind: .sessionOpened, channel: 1, group: 1, session: nil, details: "viewer \(index)"))
        }
        clock.advance(Self.beat)
        await manager.tick()
        var everything = LogFilter()
        everything.limit = 1_000
        let entries = try await manager.log(matching: everything)
        let opened = entries.filter { $0.kind == UnitEvent.Kind.sessionOpened.rawValue }
        #expect(opened.count == 100, "a burst of ten seconds' budget")
        #expect(entries.contains { $0.kind == "eventsDropped" && $0.details.contains("400 dropped") })
        try await store.close()
    }
}
