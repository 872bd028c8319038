import Client
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitFailureTests {
    /// Audio sequence numbers a viewer got, with arrival times.
    final class AudioLog: Sendable {
        let arrivals = NIOLockedValueBox<[(sequence: UInt16, at: ContinuousClock.Instant)]>([])
        let task: Task<Void, Never>

        init(_ client: SessionClient) {
            let arrivals = self.arrivals
            task = Task {
                for await event in client.events {
                    if case .media(let buffer, _) = event, let packet = ReceivedPacket(buffer), !packet.isVideo {
                        arrivals.withLockedValue { $0.append((packet.sequence, .now)) }
                    }
                }
            }
        }

        var count: Int { arrivals.withLockedValue { $0.count } }
    }

    @Test func killingAUnitUnderLoadReHomesItsViewersAndNobodyElseLosesAPacket() async throws {
        let csm = try await RunningCSM.start { $0.settings.expansionThreshold = 1 }
        let processes = try (1...3).map { try UnitProcess(id: $0, csm: csm.unitAddress, secret: UnitHarness.secret, arguments: ["--groups", "2", "--capacity", "3"]) }
        #expect(try await eventually { try await csm.activeUnits() == 3 })

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
        var viewers: [(client: SessionClient, unit: UnitID, log: AudioLog)] = []
        for index in 0..<12 {
            let (client, place) = try await csm.http.watch(opened.channel, name: "v\(index)")
            viewers.append((client, place.unit.unit, AudioLog(client)))
        }
        let doomed = try #require(viewers.map(\.unit).filter { $0 != opened.unit.unit }.max())
        // Units fed (directly or further down) by the doomed unit lose media until the CSM
        // re-parents their groups; every other unit must not notice the failure.
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
        #expect(await eventually { viewers.allSatisfy { $0.log.count > 20 } })

        // kill -9 the unit; its viewers notice the session end and join again at once.
        let killedAt = ContinuousClock.now
        processes[Int(doomed.rawValue) - 1].kill()
        let rehomed = NIOLockedValueBox<[Duration]>([])
        await withTaskGroup(of: Void.self) { group in
            for viewer in viewers where viewer.unit == doomed {
                group.addTask {
                    for _ in 0..<50 {
                        if let (client, _) = try? await csm.http.watch(opened.channel), client.opened.group.rawValue > 0 {
                            for await event in client.events {
                                if case .media = event { rehomed.withLockedValue { $0.append(.now - killedAt) }; break }
                            }
                            return
                        }
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
        }
        let rehomeTimes = rehomed.withLockedValue { $0 }
        #expect(rehomeTimes.count == viewers.count { $0.unit == doomed })
        try await Task.sleep(for: .seconds(1))

        // Viewers on the surviving units missed no audio packet and never stalled.
        #expect(viewers.contains { $0.unit != doomed && !downstream.contains($0.unit) })
        for viewer in viewers where viewer.unit != doomed && !downstream.contains(viewer.unit) {
            let arrivals = viewer.log.arrivals.withLockedValue { $0 }
            let window = arrivals.filter { $0.at > killedAt - .seconds(1) }
            let sequences = window.map(\.sequence)
            let gaps = zip(sequences, sequences.dropFirst()).filter { $1 != $0 &+ 1 }
            #expect(gaps.isEmpty, "viewer on unit \(viewer.unit) lost audio: \(gaps.prefix(3)); doomed \(doomed), downstream \(downstream), tree \(tree)")
            let longestGap = zip(window, window.dropFirst()).map { $1.at - $0.at }.max() ?? .zero
            print("viewer on unit \(viewer.unit): longest gap around the failure \(longestGap)")
        }
        for viewer in viewers where downstream.contains(viewer.unit) {
            let window = viewer.log.arrivals.withLockedValue { $0 }.filter { $0.at > killedAt - .seconds(1) }
            let longestGap = zip(window, window.dropFirst()).map { $1.at - $0.at }.max() ?? .zero
            print("viewer on unit \(viewer.unit), fed through unit \(doomed): longest gap \(longestGap) until its group was re-parented")
        }
        print("re-homed viewers of unit \(doomed) got media again after \(rehomeTimes.sorted())")

        // The CSM noticed: the unit is gone and its groups live elsewhere.
        #expect(try await eventually { try await !csm.view().units.contains { $0.unit == doomed } })
        let view = try await csm.view()
        #expect(view.channels.first?.tree.values.allSatisfy { $0.unit != doomed } == true)
        streaming.cancel()
        for process in processes { process.kill() }
        await csm.stop()
    }
}
