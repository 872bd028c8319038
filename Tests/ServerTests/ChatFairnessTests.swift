import Client
import Testing
import Wire

@testable import Server

/// Attack 8 of the second round: one address with many sessions must not silence a channel's
/// chat; the broadcaster is exempt and marked, and nobody chats under its name.
@Suite struct ChatFairnessTests {
    static func chatLines(_ recorder: EventRecorder) -> [ChatLine] { chatLines(recorder.recorded) }

    static func chatLines(_ recorded: EventRecorder.Recorded) -> [ChatLine] {
        recorded.messages.compactMap { if case .chat(let line) = $0 { line } else { nil } }
    }

    @Test func fortySessionsOfOneAddressLeaveRoomForAnHonestViewerAndTheBroadcaster() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster, udp: false, name: "host")
        // The attack: 40 sessions from one address (groups 1-4 of ten), each talking every 2 s.
        var flood: [SessionClient] = []
        for index in 0..<40 {
            flood.append(try await harness.connect(.viewer, group: GroupID(UInt16(1 + index / 10)), udp: false, name: "loud\(index)", from: "127.0.0.1"))
        }
        let honest = try await harness.connect(.viewer, group: 5, udp: false, name: "ann", from: "127.0.0.2")
        let observer = EventRecorder(try await harness.connect(.viewer, group: 5, udp: false, name: "watcher", from: "127.0.0.3"))
        for round in 0..<5 {
            for client in flood { client.send(.chat(ChatLine(from: "x", text: "flood \(round)", sentAtMilliseconds: 0))) }
            try await Task.sleep(for: .milliseconds(100))
            honest.send(.chat(ChatLine(from: "ann", text: "honest \(round)", sentAtMilliseconds: 0)))
            broadcaster.send(.chat(ChatLine(from: "host", text: "host \(round)", sentAtMilliseconds: 0)))
            try await Task.sleep(for: .milliseconds(1900))
        }
        #expect(await observer.wait { Self.chatLines($0).count { $0.text.hasPrefix("honest") } == 5 })
        try await Task.sleep(for: .milliseconds(300))
        let lines = Self.chatLines(observer)
        let flooded = lines.count { $0.text.hasPrefix("flood") }
        let honestLines = lines.filter { $0.text.hasPrefix("honest") }
        let hostLines = lines.filter { $0.text.hasPrefix("host") }
        print("chat under a flood of 40 sessions from one address (200 lines in 10 s): \(flooded) flood lines, \(honestLines.count) of 5 honest, \(hostLines.count) of 5 broadcaster's")
        #expect(flooded <= 10 + 10 + 1, "one network: its burst of 10 and 1 a second")
        #expect(honestLines.count == 5 && honestLines.allSatisfy { !$0.isFromBroadcaster })
        #expect(hostLines.count == 5 && hostLines.allSatisfy(\.isFromBroadcaster))
        for client in flood { await client.close() }
        try await harness.shutdown()
    }

    @Test func aViewerCannotChatAsTheBroadcasterNorMarkItsOwnLines() async throws {
        let harness = try await UnitHarness()
        let broadcaster = try await harness.connect(.broadcaster, udp: false, name: "Host")
        let observer = EventRecorder(try await harness.connect(.viewer, udp: false, name: "watcher"))
        broadcaster.send(.chat(ChatLine(from: "Host", text: "welcome", sentAtMilliseconds: 0)))
        #expect(await observer.wait { Self.chatLines($0).contains { $0.text == "welcome" && $0.isFromBroadcaster } })
        for name in ["host", "H0ST", "h o s t", "Hôst", "ho\u{200B}st"] {
            let impostorClient = try await harness.connect(.viewer, udp: false, name: name)
            let impostor = EventRecorder(impostorClient)
            impostorClient.send(.chat(ChatLine(from: name, text: "send me your password", sentAtMilliseconds: 0)))
            #expect(await impostor.wait { $0.messages.contains { if case .error(let error) = $0 { error.code == .notAllowed && error.message.contains("broadcaster") } else { false } } }, "\(name)")
            await impostorClient.close()
        }
        let other = try await harness.connect(.viewer, udp: false, name: "hostess")
        other.send(.chat(ChatLine(from: "hostess", text: "hello", sentAtMilliseconds: 0, broadcaster: true)))
        #expect(await observer.wait { Self.chatLines($0).contains { $0.text == "hello" } })
        #expect(Self.chatLines(observer).allSatisfy { !$0.text.contains("password") })
        #expect(Self.chatLines(observer).first { $0.text == "hello" }?.isFromBroadcaster == false, "a client cannot mark its own line")
        try await harness.shutdown()
    }
}
