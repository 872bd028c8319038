import Client
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitReportTests {
    static func latestReport(_ messages: [UnitMessage]) -> UnitReport? {
        messages.reversed().lazy.compactMap { if case .report(let report) = $0 { report } else { nil } }.first
    }

    @Test func theUnitAnnouncesReportsObeysAndRefusesStaleEpochs() async throws {
        let csm = try await FakeCSM()
        let harness = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.port)"] }
        #expect(await csm.wait { $0.contains { if case .announce(let announcement) = $0 { announcement.groupsPerUnit == 50 && announcement.address == harness.unit.address } else { false } } })
        // The hello comes first, passed on only once the unit proved the cluster key.
        guard case .hello(let hello)? = csm.messages.first else { Issue.record("no hello first: \(csm.messages)"); return }
        #expect(hello.peer == .unit && hello.name == "unit 1" && hello.proof == nil && hello.nonce != nil)

        try await csm.send(.command(id: 1, epoch: 2, action: .assignGroup(3, channel: 9, parent: nil)))
        #expect(await csm.wait { $0.contains(.commandResult(id: 1, error: nil)) })
        #expect(await csm.wait { Self.latestReport($0)?.groups.contains { $0.group == 3 && $0.channel == 9 } == true })

        let viewer = try await harness.connect(.viewer, channel: 9, group: 3)
        #expect(await csm.wait { $0.contains { if case .event(let event) = $0 { event.kind == .sessionOpened && event.group == 3 } else { false } } })
        #expect(await csm.wait { Self.latestReport($0)?.groups.first { $0.group == 3 }?.udpViewers == 1 })
        #expect(await csm.wait { Self.latestReport($0)?.epoch == 2 })

        try await csm.send(.command(id: 2, epoch: 1, action: .freeGroup(3)))
        #expect(await csm.wait { $0.contains { if case .commandResult(2, let error?) = $0 { error.code == .staleEpoch } else { false } } })
        #expect(await csm.wait { $0.contains { if case .event(let event) = $0 { event.kind == .staleCommandRefused } else { false } } })

        try await csm.send(.command(id: 3, epoch: 2, action: .freeGroup(99)))
        #expect(await csm.wait { $0.contains { if case .commandResult(3, let error?) = $0 { error.code == .unknownGroup } else { false } } })

        // Freeing the group closes its sessions and the report no longer lists it.
        let recorder = EventRecorder(viewer)
        try await csm.send(.command(id: 4, epoch: 2, action: .freeGroup(3)))
        #expect(await recorder.wait { $0.closed })
        #expect(await csm.wait { Self.latestReport($0)?.groups.isEmpty == true })
        csm.close()
        try await harness.shutdown()
    }

    @Test func absurdNumbersFromACSMChangeNothingAtTheUnit() async throws {
        let csm = try await FakeCSM()
        let harness = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.port)"] }
        #expect(await csm.wait { $0.contains { if case .announce = $0 { true } else { false } } })
        for text in [
            #"{"command":{"id":1,"epoch":18446744073709551615,"action":{"drain":{"_0":true}}}}"#,
            #"{"command":{"id":2,"epoch":3,"action":{"assignGroup":{"_0":65535,"channel":9}}}}"#,
            #"{"command":{"id":3,"epoch":3,"action":{"assignGroup":{"_0":1,"channel":0}}}}"#,
            #"{"command":{"id":4,"epoch":3,"action":{"openRelayLink":{"group":1,"channel":9,"parent":{"unit":2,"host":"h","sessionPort":70000,"mediaPort":-1},"parentGroup":1,"ticket":"t"}}}}"#,
            #"{"heartbeat":{"epoch":18446744073709551615,"primary":true}}"#,
            #"{"command":{"id":-1,"epoch":3,"action":{"freeGroup":{"_0":1}}}}"#,
            #"{"leaseRequest":{"id":1,"epoch":18446744073709551615,"milliseconds":1000}}"#,
            #"{"leaseRequest":{"id":2,"epoch":3,"milliseconds":864000000}}"#,
        ] {
            try await csm.sendRaw(text)
        }
        // Nothing above took effect (no epoch near 2^64, no draining, no group); a sane command still works.
        try await csm.send(.command(id: 7, epoch: 3, action: .assignGroup(2, channel: 9, parent: nil)))
        #expect(await csm.wait { $0.contains(.commandResult(id: 7, error: nil)) })
        #expect(await csm.wait { Self.latestReport($0).map { $0.epoch == 3 && !$0.draining && $0.groups.map(\.group) == [2] } == true })
        #expect(try await harness.unit.inspect { $0.counters.droppedMalformed } >= 8)
        csm.close()
        try await harness.shutdown()
    }

    @Test func aUnitTellsACSMWithoutTheKeyNothing() async throws {
        let impostor = try await FakeCSM(secret: "not the cluster key")
        let harness = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(impostor.port)"] }
        // The unit reconnects every second; in three seconds not one message of it gets through.
        try await Task.sleep(for: .seconds(3))
        #expect(impostor.messages.isEmpty)
        impostor.close()
        try await harness.shutdown()
    }
}
