import NIOCore
import Testing

@testable import Wire

@Suite struct ControlMessageTests {
    static let address = UnitAddress(unit: 5, host: "127.0.0.1", sessionPort: 7000, mediaPort: 7001)
    static let hello = Hello(peer: .unit, name: "unit 5")

    static let sessionMessages: [SessionMessage] = [
        .hello(Hello(peer: .viewer, name: "viewer/1")),
        .open(ticket: "abc", name: "ann"),
        .open(ticket: "abc", name: "ann", resume: ResumePoint(streams: [.init(ssrc: 0xA0D1, sequence: 65535), .init(ssrc: 7, sequence: 0)])),
        .opened(SessionOpened(session: 3, channel: 7, group: 2, role: .viewer, bindToken: .random(), mediaPort: 7001, mode: .udp)),
        .error(ControlError(.badTicket, "ticket signature is invalid")),
        .setMode(.tcp, reason: "no bind reply within 2 s"),
        .modeChanged(.udp, reason: "caught up"),
        .chat(ChatLine(from: "ann", text: "héllo 👋", sentAtMilliseconds: 12)),
        .videoSkipped(true, reason: "120 packets behind"),
        .keyframeRequest(reason: "new viewer"),
        .channelStatus(viewers: 12),
        .goodbye(reason: "channel closed"),
    ]

    static let unitMessages: [UnitMessage] = [
        .hello(hello),
        .announce(UnitAnnouncement(address: address, adminPort: 7002, groupsPerUnit: 50, groupCapacity: 10, epoch: 3)),
        .report(UnitReport(
            unit: 5, epoch: 3, sentAtMilliseconds: 99,
            groups: [GroupReport(group: 20, channel: 7, parent: GroupLocation(unit: 1, group: 5), broadcasterHere: false, udpViewers: 8, tcpViewers: 2, bytesSent: 1 << 40)],
            load: UnitLoad(viewers: 10, bytesPerSecond: 1_250_000, freeGroups: 49), draining: false)),
        .event(UnitEvent(unit: 5, timeMilliseconds: 1, kind: .modeSwitched, channel: 7, group: 20, session: 4, details: "lagging")),
        .commandResult(id: 8, error: nil),
        .commandResult(id: 9, error: ControlError(.unknownGroup, "group 51 does not exist")),
        .lease(id: 4, epoch: 3, grantedMilliseconds: 1000, holder: nil),
        .lease(id: 5, epoch: 3, grantedMilliseconds: nil, holder: "csm-a"),
    ]

    static let csmMessages: [CSMMessage] = [
        .hello(Hello(peer: .csm, name: "csm-a")),
        .command(id: 1, epoch: 2, action: .assignGroup(2, channel: 7, parent: nil)),
        .command(id: 11, epoch: 2, action: .assignGroup(3, channel: 7, parent: GroupLocation(unit: 5, group: 2))),
        .command(id: 2, epoch: 2, action: .freeGroup(2)),
        .command(id: 3, epoch: 2, action: .openRelayLink(group: 20, channel: 7, parent: address, parentGroup: 2, ticket: "t")),
        .command(id: 6, epoch: 2, action: .drain(true)),
        .leaseRequest(id: 7, epoch: 2, milliseconds: 1000),
        .error(ControlError(.staleEpoch, "epoch 1 is below 2")),
        .heartbeat(epoch: 3, primary: true),
    ]

    static let peerMessages: [PeerMessage] = [
        .hello(Hello(peer: .csm, name: "csm-b")),
        .heartbeat(Heartbeat(csm: "csm-a", role: .primary, epoch: 4, sentAtMilliseconds: 77)),
    ]

    /// Encodes, frames, unframes one byte at a time and decodes every message.
    static func roundTrip<Message: Codable & Equatable>(_ messages: [Message]) throws {
        var stream = ByteBuffer()
        for message in messages { try LengthPrefixedFramer.control.write(bytes: ControlCoder.encode(message), to: &stream) }
        let frames = try FramerTests.frames(of: Array(stream.readableBytesView), chunk: 1, framer: .control)
        let decoded = try frames.map { try ControlCoder.decode(Message.self, from: ByteBuffer(bytes: $0)) }
        #expect(decoded == messages)
    }

    @Test func everyMessageRoundTrips() throws {
        try Self.roundTrip(Self.sessionMessages)
        try Self.roundTrip(Self.unitMessages)
        try Self.roundTrip(Self.csmMessages)
        try Self.roundTrip(Self.peerMessages)
    }

    @Test func theFirstFrameMustBeAHelloOfOurVersion() throws {
        let ours = ByteBuffer(bytes: try ControlCoder.encode(UnitMessage.hello(Self.hello)))
        #expect(try ControlCoder.decodeHello(from: ours) == Self.hello)

        // A future peer: another version, and messages this release does not know.
        let future = ByteBuffer(string: #"{"hello":{"_0":{"protocolVersion":3,"peer":"viewer","name":"v3"}}}"#)
        #expect(throws: WireError.versionMismatch(ours: 2, theirs: 3)) { try ControlCoder.decodeHello(from: future) }
        #expect(WireError.versionMismatch(ours: 2, theirs: 3).description.contains("version 2"))
        #expect(WireError.versionMismatch(ours: 2, theirs: 3).description.contains("version 3"))

        let notHello = ByteBuffer(bytes: try ControlCoder.encode(SessionMessage.channelStatus(viewers: 1)))
        #expect(throws: WireError.expectedHello) { try ControlCoder.decodeHello(from: notHello) }
        #expect(throws: WireError.expectedHello) { try ControlCoder.decodeHello(from: ByteBuffer(string: "garbage")) }
    }

    @Test func malformedMessagesGetATypedError() {
        for text in ["", "{", "[]", #"{"chat":{"_0":{"from":1}}}"#, #"{"unknown":{}}"#, String(repeating: "[", count: 10_000)] {
            #expect(throws: WireError.self) { try ControlCoder.decode(SessionMessage.self, from: ByteBuffer(string: text)) }
        }
    }

    @Test func anOpenWithoutAResumePointIsTheOpenOfBefore() throws {
        let encoded = try ControlCoder.encode(SessionMessage.open(ticket: "abc", name: "ann"))
        #expect(!String(decoding: encoded, as: UTF8.self).contains("resume"))
        let old = ByteBuffer(string: #"{"open":{"ticket":"abc","name":"ann"}}"#)
        #expect(try ControlCoder.decode(SessionMessage.self, from: old) == .open(ticket: "abc", name: "ann", resume: nil))
    }

    @Test func aResumePointOfTooManyStreamsIsRefused() throws {
        let streams = (0...WireLimits.resumeStreams).map { ResumePoint.Stream(ssrc: UInt32($0), sequence: 1) }
        let buffer = ByteBuffer(bytes: try ControlCoder.encode(SessionMessage.open(ticket: "t", name: "n", resume: ResumePoint(streams: streams))))
        #expect(throws: WireError.outOfRange(field: "resume.streams", value: "9", allowed: "0...8")) {
            try ControlCoder.decode(SessionMessage.self, from: buffer)
        }
    }

    @Test func controlErrorsCarryWireErrorsForPeople() {
        let error = ControlError(WireError.ticketForAnotherUnit(ticketUnit: 1, thisUnit: 2))
        #expect(error.code == .wrongUnit)
        #expect(error.message.contains("connect to the unit the ticket names"))
    }
}

@Suite struct TypedIDTests {
    @Test func idsAreBareNumbersInJSON() throws {
        let bytes = try ControlCoder.encode(GroupLocation(unit: 5, group: 20))
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"group":20,"unit":5}"#)
    }
}
