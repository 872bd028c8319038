import NIOCore
import Testing

@testable import Wire

@Suite struct BindDatagramTests {
    @Test func roundTripsAndNeverAmplifies() throws {
        let token = BindToken.random()
        let request = BindDatagram.request(session: 0x0102_0304_0506_0708, token: token, cookie: BindCookie(bytes: [1, 2, 3, 4, 5, 6, 7, 8]))
        let bytes = request.encoded()
        #expect(bytes.readableBytes == BindDatagram.requestSize)
        #expect(try BindDatagram(parsing: bytes) == request)
        for bound in [false, true] {
            let reply = BindDatagram.reply(session: 9, cookie: BindCookie(bytes: [9, 9]), bound: bound)
            #expect(try BindDatagram(parsing: reply.encoded()) == reply)
            #expect(reply.encoded().readableBytes == BindDatagram.replySize)
        }
        #expect(BindDatagram.replySize < BindDatagram.requestSize)
    }

    @Test func isDistinguishableFromRTPAtTheFirstByte() {
        let request = BindDatagram.request(session: 1, token: .random(), cookie: .none).encoded()
        #expect(BindDatagram.isBindDatagram(firstByte: request.getInteger(at: 0)!))
        for rtpFirstByte in UInt8(0x80)...0xBF { #expect(!BindDatagram.isBindDatagram(firstByte: rtpFirstByte)) }
    }

    @Test func rejectsMalformedDatagrams() {
        let valid = Array(BindDatagram.request(session: 1, token: .random(), cookie: .none).encoded().readableBytesView)
        for length in 0..<valid.count {
            #expect(throws: WireError.self) { try BindDatagram(parsing: ByteBuffer(bytes: valid.prefix(length))) }
        }
        #expect(throws: WireError.self) { try BindDatagram(parsing: ByteBuffer(bytes: valid + [0])) }
        #expect(throws: WireError.versionMismatch(ours: 2, theirs: 9)) { try BindDatagram(parsing: ByteBuffer(bytes: [1, 9])) }
        #expect(throws: WireError.self) { try BindDatagram(parsing: ByteBuffer(bytes: [7, 1])) }
    }

    @Test func cookiesHoldForOneAddressAndTwoWindows() throws {
        let signer = BindCookieSigner()
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 4000)
        let other = try SocketAddress(ipAddress: "127.0.0.2", port: 4000)
        let cookie = signer.cookie(session: 5, address: address, nowMilliseconds: 100_000)
        #expect(signer.check(cookie, session: 5, address: address, nowMilliseconds: 100_000))
        #expect(signer.check(cookie, session: 5, address: address, nowMilliseconds: 100_000 + BindCookieSigner.window))
        #expect(!signer.check(cookie, session: 5, address: address, nowMilliseconds: 100_000 + 2 * BindCookieSigner.window))
        #expect(!signer.check(cookie, session: 5, address: other, nowMilliseconds: 100_000))
        #expect(!signer.check(cookie, session: 6, address: address, nowMilliseconds: 100_000))
        #expect(!signer.check(.none, session: 5, address: address, nowMilliseconds: 100_000))
        #expect(!BindCookieSigner().check(cookie, session: 5, address: address, nowMilliseconds: 100_000))
    }

    @Test func theClientEchoesTheChallengeAndKnowsWhenItIsBound() throws {
        let opened = SessionOpened(session: 4, channel: 1, group: 1, role: .viewer, bindToken: .random(), mediaPort: 9, mode: .udp)
        var client = BindClient(opened)
        #expect(try BindDatagram(parsing: client.request) == .request(session: 4, token: opened.bindToken, cookie: .none))
        let cookie = BindCookie(bytes: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(client.received(BindDatagram.reply(session: 3, cookie: cookie, bound: true).encoded()) == .ignore)
        #expect(client.received(BindDatagram.reply(session: 4, cookie: cookie, bound: false).encoded()) == .sendAgain)
        #expect(!client.isBound)
        #expect(try BindDatagram(parsing: client.request) == .request(session: 4, token: opened.bindToken, cookie: cookie))
        #expect(client.received(BindDatagram.reply(session: 4, cookie: cookie, bound: true).encoded()) == .bound)
        #expect(client.isBound)
    }

    @Test func tokensCompareByContent() {
        let token = BindToken.random()
        #expect(token.matches(BindToken(bytes: token.bytes)))
        #expect(!token.matches(BindToken(bytes: token.bytes.map { $0 ^ 1 })))
        #expect(token != BindToken.random())
    }
}
