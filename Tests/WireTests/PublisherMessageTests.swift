import NIOCore
import Testing

@testable import Wire

/// What a unit and a CSM say about publishers, as a stranger or a compromised peer might send
/// it: absurd sizes and numbers are refused as they are decoded, naming the field.
@Suite struct PublisherMessageTests {
    static func decode<Message: Decodable>(_ type: Message.Type, _ message: some Encodable) throws -> Message {
        try ControlCoder.decode(type, from: ByteBuffer(bytes: try ControlCoder.encode(message)))
    }

    @Test func aPublishRequestTakesAKeyOfAKeysLengthAndAShortName() throws {
        let fair = UnitMessage.publish(id: 1, streamKey: "avk_abc", publisher: "RTMP publisher")
        #expect(try Self.decode(UnitMessage.self, fair) == fair)
        #expect(throws: WireError.self) {
            try Self.decode(UnitMessage.self, UnitMessage.publish(id: 1, streamKey: String(repeating: "k", count: StreamKey.maxTextBytes + 1), publisher: "p"))
        }
        #expect(throws: WireError.self) {
            try Self.decode(UnitMessage.self, UnitMessage.publish(id: 1, streamKey: "avk_abc", publisher: String(repeating: "p", count: 10_000)))
        }
    }

    @Test func anAnswerNamesARealChannelAndGroup() throws {
        #expect(try Self.decode(CSMMessage.self, CSMMessage.publishPlaced(id: 7, channel: 3, group: 2)) == .publishPlaced(id: 7, channel: 3, group: 2))
        #expect(throws: WireError.self) { try Self.decode(CSMMessage.self, CSMMessage.publishPlaced(id: 7, channel: 0, group: 2)) }
        #expect(throws: WireError.self) { try Self.decode(CSMMessage.self, CSMMessage.publishPlaced(id: 7, channel: 3, group: 0)) }
        #expect(throws: WireError.self) { try Self.decode(CSMMessage.self, CSMMessage.publishPlaced(id: 7, channel: 3, group: 60_000)) }
    }

    @Test func aPublishersReportWithAbsurdFiguresIsRefused() throws {
        func report(_ publisher: PublisherReport) -> GroupReport {
            GroupReport(group: 1, channel: 1, parent: nil, broadcasterHere: true, udpViewers: 0, tcpViewers: 0, bytesSent: 0, publisher: publisher)
        }
        let fair = PublisherReport(ingest: "rtmp", videoCodec: .h264, audioCodec: "aac", kilobitsPerSecond: 4000, framesPerSecond: 25, dropped: 0)
        #expect(try Self.decode(GroupReport.self, report(fair)).publisher == fair)
        var absurd = [fair, fair, fair, fair]
        absurd[0].kilobitsPerSecond = -1
        absurd[1].framesPerSecond = 1e9
        absurd[2].dropped = Int.max
        absurd[3].ingest = String(repeating: "x", count: 100)
        for publisher in absurd {
            #expect(throws: WireError.self, "\(publisher)") { try Self.decode(GroupReport.self, report(publisher)) }
        }
    }

    @Test func aHeartbeatCarriesAtMostTheRevokedKeysACSMKeeps() throws {
        let many = Heartbeat(csm: "a", role: .primary, epoch: 1, sentAtMilliseconds: 1, revokedStreamKeys: Array(0...UInt64(Heartbeat.maxRevokedStreamKeys)))
        #expect(throws: WireError.self) { try Self.decode(Heartbeat.self, many) }
        let few = Heartbeat(csm: "a", role: .primary, epoch: 1, sentAtMilliseconds: 1, revokedStreamKeys: [5, 9])
        #expect(try Self.decode(Heartbeat.self, few).revokedStreamKeys == [5, 9])
    }
}
