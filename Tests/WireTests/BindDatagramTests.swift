import NIOCore
import Testing

@testable import Wire

@Suite struct BindDatagramTests {
    @Test func roundTripsAndNeverAmplifies() throws {
        let token = BindToken.random()
        let request = BindDatagram.request(session: 0x0102_0304_0506_0708, token: token)
        let bytes = request.encoded()
        #expect(bytes.readableBytes == BindDatagram.requestSize)
        #expect(try BindDatagram(parsing: bytes) == request)
        let reply = BindDatagram.reply(session: 9)
        #expect(try BindDatagram(parsing: reply.encoded()) == reply)
        #expect(BindDatagram.replySize < BindDatagram.requestSize)
    }

    @Test func isDistinguishableFromRTPAtTheFirstByte() {
        let request = BindDatagram.request(session: 1, token: .random()).encoded()
        #expect(BindDatagram.isBindDatagram(firstByte: request.getInteger(at: 0)!))
        for rtpFirstByte in UInt8(0x80)...0xBF { #expect(!BindDatagram.isBindDatagram(firstByte: rtpFirstByte)) }
    }

    @Test func rejectsMalformedDatagrams() {
        let valid = Array(BindDatagram.request(session: 1, token: .random()).encoded().readableBytesView)
        for length in 0..<valid.count {
            #expect(throws: WireError.self) { try BindDatagram(parsing: ByteBuffer(bytes: valid.prefix(length))) }
        }
        #expect(throws: WireError.self) { try BindDatagram(parsing: ByteBuffer(bytes: valid + [0])) }
        #expect(throws: WireError.versionMismatch(ours: 1, theirs: 9)) { try BindDatagram(parsing: ByteBuffer(bytes: [1, 9])) }
        #expect(throws: WireError.self) { try BindDatagram(parsing: ByteBuffer(bytes: [7, 1])) }
    }

    @Test func tokensCompareByContent() {
        let token = BindToken.random()
        #expect(token.matches(BindToken(bytes: token.bytes)))
        #expect(!token.matches(BindToken(bytes: token.bytes.map { $0 ^ 1 })))
        #expect(token != BindToken.random())
    }
}
