import Client
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitLimitsTests {
    @Test func aChannelsChatHasABudgetBesidesEachSessions() async throws {
        // The channel's whole budget, none of it kept for newcomers (ChatFairnessTests has that).
        let harness = try await UnitHarness { $0.chatBurst = 5; $0.channelChatBurst = 8; $0.channelChatReserve = 0 }
        let broadcaster = try await harness.connect(.broadcaster)
        var talkers: [(SessionClient, EventRecorder)] = []
        for index in 0..<3 {
            let client = try await harness.connect(.viewer, name: "talker\(index)")
            talkers.append((client, EventRecorder(client)))
        }
        // Three sessions, each within its own five lines, together past the channel's eight. Each
        // talker waits for its own last line to come back (the unit confirms a line to its sender):
        // lines from several connections in one read of a loaded unit may go in any order.
        for (index, talker) in talkers.enumerated() {
            for line in 0..<4 { talker.0.send(.chat(ChatLine(from: "x", text: "line \(index).\(line)", sentAtMilliseconds: 0))) }
            if index < 2 {
                #expect(await talker.1.wait { $0.messages.contains { if case .chat(let line) = $0 { line.text == "line \(index).3" } else { false } } })
            }
        }
        let last = talkers[2].1
        #expect(await last.wait { $0.messages.contains { if case .error(let error) = $0 { error.message.contains("channel's chat is busy") } else { false } } })
        #expect(try await harness.unit.inspect { $0.counters.chatLinesRateLimited } == 4)
        _ = broadcaster  // its session holds the channel open until here
        try await harness.shutdown()
    }

    @Test func aUnitAtItsSessionLimitSaysSo() async throws {
        let harness = try await UnitHarness { $0.maxSessions = 3 }
        var held: [SessionClient] = []
        for index in 0..<3 { held.append(try await harness.connect(.viewer, udp: false, name: "v\(index)")) }
        do {
            _ = try await harness.connect(.viewer, udp: false, name: "one too many")
            Issue.record("the fourth session was let in")
        } catch {
            #expect("\(error)".contains("at its limit of 3 sessions"))
        }
        await held[0].close()
        #expect(try await eventually { try await harness.unit.inspect { $0.sessions.count } == 2 })
        held.append(try await harness.connect(.viewer, udp: false, name: "after"))
        try await harness.shutdown()
    }

    @Test func modeSwitchesAreRateLimitedPerSession() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster)
        let client = try await harness.connect(.viewer)
        let recorder = EventRecorder(client)
        for index in 0..<8 { client.send(.setMode(index % 2 == 0 ? .tcp : .udp, reason: "flapping")) }
        #expect(await recorder.wait { $0.messages.contains { if case .error(let error) = $0 { error.code == .rateLimited } else { false } } })
        #expect(recorder.recorded.messages.count { if case .modeChanged = $0 { true } else { false } } == 5)
        _ = broadcaster
        try await harness.shutdown()
    }
}

/// A unit that cannot keep up says so before its viewers find out.
@Suite struct UnitOverloadTests {
    @Test func aUnitWhoseLoopRunsLateRefusesNewViewersAndSaysSoInItsReport() async throws {
        // Any lateness at all counts: the unit is overloaded from its first heartbeat.
        let harness = try await UnitHarness { $0.maxLoopDelay = .zero }
        try await Task.sleep(for: .milliseconds(700))
        let report = try await harness.unit.inspect { $0.makeReport() }
        #expect((report.load.loopDelayMilliseconds ?? 0) >= 0 && report.load.blockedReceivers == 0)
        #expect(try await harness.unit.inspect { $0.load.overloaded })
        await #expect { _ = try await harness.connect(.viewer, udp: false) } throws: { "\($0)".contains("noRoom") && "\($0)".contains("overloaded") }
        // A broadcaster (not a new viewer) is still let in.
        let broadcaster = EventRecorder(try await harness.connect(.broadcaster, udp: false))
        try await Task.sleep(for: .milliseconds(100))
        #expect(!broadcaster.recorded.closed)
        try await harness.shutdown()
    }
}
