import Client
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TestSupport
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitFailureTests {
    /// Every packet a viewer got (audio and video), with arrival times, across its sessions.
    final class PacketLog: Sendable {
        let arrivals = NIOLockedValueBox<[(packet: ReceivedPacket, at: ContinuousClock.Instant)]>([])

        /// Logs what `client` receives until its session ends, and keeps its UDP address alive
        /// with a bind a second as `viewer` does (a unit forgets an address silent for 10 s, and a
        /// starved run of this test takes longer than that).
        func follow(_ client: SessionClient) -> Task<Void, Never> {
            let arrivals = self.arrivals
            return Task {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .seconds(1))
                            client.sendBind()
                        }
                    }
                    for await event in client.events {
                        if case .media(let buffer, _) = event, let packet = ReceivedPacket(buffer) {
                            arrivals.withLockedValue { $0.append((packet, .now)) }
                        }
                    }
                    group.cancelAll()
                }
            }
        }

        var audioCount: Int { arrivals.withLockedValue { $0.count { !$0.packet.isVideo } } }

        /// The newest packet of each stream: where a re-join resumes.
        var resumePoint: ResumePoint {
            var meter = LossMeter()
            for arrival in arrivals.withLockedValue({ $0 }) { meter.record(ssrc: arrival.packet.ssrc, sequence: arrival.packet.sequence, second: 0) }
            return meter.resumePoint!
        }

        /// Sequence numbers missing in each stream, and those that came twice, among packets that
        /// arrived after `since` (the first of each stream after it is where the count starts).
        func missing(since: ContinuousClock.Instant) -> [String] {
            let window = arrivals.withLockedValue { $0 }.filter { $0.at > since }.map(\.packet)
            var gaps: [String] = []
            for (name, video) in [("audio", false), ("video", true)] {
                let stream = window.filter { $0.isVideo == video }.map(\.sequence)
                let sequences = Set(stream)
                if sequences.count < stream.count { gaps.append("\(stream.count - sequences.count) \(name) packets twice") }
                guard let first = window.first(where: { $0.isVideo == video })?.sequence,
                    let last = window.last(where: { $0.isVideo == video })?.sequence
                else { gaps.append("no \(name)"); continue }
                var sequence = first
                while sequence != last {
                    if !sequences.contains(sequence) { gaps.append("\(name) \(sequence)") }
                    sequence &+= 1
                }
            }
            return gaps
        }

        /// The longest time without any packet after `since`.
        func longestGap(since: ContinuousClock.Instant) -> Duration {
            let window = arrivals.withLockedValue { $0 }.filter { $0.at > since }
            return zip(window, window.dropFirst()).map { $1.at - $0.at }.max() ?? .zero
        }
    }

    /// kill -9 of a unit while it serves UDP and TCP viewers: its viewers re-join elsewhere with
    /// where they left off and the new unit fills the gap from its feed; units fed through the
    /// dead one are re-parented and their links resume the same way; nobody misses a packet.
    @Test func killingAUnitUnderLoadReHomesItsViewersAndNobodyLosesAPacket() async throws {
        let csm = try await RunningCSM.start { $0.settings.expansionThreshold = 1 }
        let processes = try (1...4).map { try UnitProcess(id: $0, csm: csm.unitAddress, secret: UnitHarness.secret, arguments: ["--groups", "2", "--capacity", "3"]) }
        #expect(try await eventually { try await csm.activeUnits() == 4 })

        let opened = try await csm.http.openChannel()
        let broadcaster = try await SessionClient.connect(to: opened.unit, ticket: opened.ticket, peer: .broadcaster, name: "host")
        try await broadcaster.bindUDP()
        let streaming = Task {
            var stream = TestStream()
            var step = 0
            while !Task.isCancelled {
                broadcaster.sendMedia(stream.next(step: step), via: .udp)
                step += 1
                if step % 25 == 0 { broadcaster.sendBind() }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        // Every third viewer receives over TCP.
        var viewers: [(client: SessionClient, unit: UnitID, tcp: Bool, log: PacketLog)] = []
        var following: [Task<Void, Never>] = []
        for index in 0..<14 {
            let tcp = index % 3 == 2
            let (client, place) = try await csm.http.watch(opened.channel, udp: !tcp, name: "v\(index)")
            if tcp { client.send(.setMode(.tcp, reason: "a TCP viewer")) }
            let log = PacketLog()
            following.append(log.follow(client))
            viewers.append((client, place.unit.unit, tcp, log))
        }
        // The unit with the most viewers after the broadcaster's own.
        let doomed = try #require(Set(viewers.map(\.unit)).subtracting([opened.unit.unit]).max { a, b in
            viewers.count { $0.unit == a } < viewers.count { $0.unit == b }
        })
        #expect(viewers.contains { $0.unit == doomed && !$0.tcp })
        // Units fed (directly or further down) by the doomed unit lose media until the CSM
        // re-parents their groups, and then get what they missed from their new parent.
        let tree = try #require(try await csm.view().channels.first?.tree)
        var downstream: Set<UnitID> = []
        var frontier: Set<UnitID> = [doomed]
        while !frontier.isEmpty {
            let next = Set(tree.compactMap { child, parent -> UnitID? in
                guard frontier.contains(parent.unit), let unit = UInt16(child.split(separator: "-")[0]) else { return nil }
                return UnitID(unit)
            }).subtracting(downstream).subtracting([doomed])
            downstream.formUnion(next)
            frontier = next
        }
        #expect(await eventually { viewers.allSatisfy { $0.log.audioCount > 20 } })

        // kill -9 the unit; its viewers notice the session end and join again at once, each
        // saying where it left off.
        let killedAt = ContinuousClock.now
        processes[Int(doomed.rawValue) - 1].kill()
        let rehomed = NIOLockedValueBox<[Duration]>([])
        let rejoined = NIOLockedValueBox<[(SessionClient, Task<Void, Never>)]>([])
        await withTaskGroup(of: Void.self) { group in
            for (index, viewer) in viewers.enumerated() where viewer.unit == doomed {
                let old = following[index]
                group.addTask {
                    // As a real client does: what the dead session still had unread is dropped with
                    // it, and where it left off is what it read (else those packets come twice).
                    old.cancel()
                    await old.value
                    await viewer.client.close()
                    for _ in 0..<50 {
                        if let (client, place) = try? await csm.http.watch(opened.channel, udp: !viewer.tcp, resume: viewer.log.resumePoint),
                            client.opened.group.rawValue > 0
                        {
                            if viewer.tcp { client.send(.setMode(.tcp, reason: "a TCP viewer")) }
                            print("a viewer of unit \(doomed) re-joined at unit \(place.unit.unit)")
                            let count = viewer.log.arrivals.withLockedValue { $0.count }
                            rejoined.withLockedValue { $0.append((client, viewer.log.follow(client))) }
                            while viewer.log.arrivals.withLockedValue({ $0.count }) == count { try? await Task.sleep(for: .milliseconds(5)) }
                            rehomed.withLockedValue { $0.append(.now - killedAt) }
                            return
                        }
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
        }
        let rehomeTimes = rehomed.withLockedValue { $0 }
        #expect(rehomeTimes.count == viewers.count { $0.unit == doomed })
        // The CSM noticed: the unit is gone and its groups live elsewhere; then a second of media
        // for everyone after the re-parenting.
        #expect(try await eventually { try await !csm.view().units.contains { $0.unit == doomed } })
        #expect(try await eventually { try await csm.view().channels.first?.tree.values.allSatisfy { $0.unit != doomed } == true })
        try await Task.sleep(for: .seconds(1))

        #expect(viewers.contains { $0.unit != doomed && !downstream.contains($0.unit) })
        for viewer in viewers {
            let role = viewer.unit == doomed ? "re-homed from unit \(doomed)" : downstream.contains(viewer.unit) ? "fed through unit \(doomed)" : "elsewhere"
            let missing = viewer.log.missing(since: killedAt - .seconds(1))
            #expect(missing.isEmpty, "\(viewer.tcp ? "TCP" : "UDP") viewer on unit \(viewer.unit), \(role), missed or doubled: \(missing.prefix(5)); tree \(tree)")
            print("\(viewer.tcp ? "TCP" : "UDP") viewer on unit \(viewer.unit) (\(role)): longest gap around the failure \(viewer.log.longestGap(since: killedAt - .seconds(1))), missed \(missing.count)")
        }
        print("re-homed viewers of unit \(doomed) got media again after \(rehomeTimes.sorted())")
        streaming.cancel()
        for task in following { task.cancel() }
        for (client, task) in rejoined.withLockedValue({ $0 }) {
            task.cancel()
            await client.close()
        }
        for process in processes { process.kill() }
        await csm.stop()
    }
}

/// A server a harness started ends with the harness, so a killed test run leaves none behind.
@Suite struct ExitWithParentTests {
    @Test func aUnitStartedWithExitWithParentEndsWhenItsParentIsKilled() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString).pid")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        // A shell starts the unit (it is the unit's parent), writes its pid, and waits.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = [
            "-c", "\"$0\" unit --id 1 --session-port 0 --media-port 0 --websocket-port 0 --admin-port 0 >/dev/null 2>&1 & echo $! > \"$1\"; exec sleep 60",
            UnitProcess.binary.path, pidFile.path,
        ]
        shell.environment = ProcessInfo.processInfo.environment.merging(["AVCLUSTER_SECRET": UnitHarness.secret, "AVCLUSTER_EXIT_WITH_PARENT": "1"]) { $1 }
        try shell.run()
        #expect(await eventually { ((try? String(contentsOf: pidFile, encoding: .utf8)) ?? "").hasSuffix("\n") })
        let unit = try #require(pid_t(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try await Task.sleep(for: .milliseconds(500))
        #expect(kill(unit, 0) == 0, "the unit is running")
        kill(shell.processIdentifier, SIGKILL)
        // Gone (or a zombie waiting for init to reap it) within a couple of seconds.
        func running() -> Bool {
            guard let status = try? String(contentsOfFile: "/proc/\(unit)/status", encoding: .utf8) else { return false }
            return !status.contains("zombie")
        }
        #expect(await eventually(timeout: .seconds(3)) { !running() })
        if running() { kill(unit, SIGKILL) }
    }
}
