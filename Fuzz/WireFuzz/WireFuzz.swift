import DataPlane
import NIOCore
import Wire

/// libFuzzer entry: the first byte picks a decoder, the rest is its input. Every decoder must
/// either decode or throw a `WireError`; what decodes must encode back to something that decodes
/// to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let selector = bytes.first else { return 0 }
    let input = ByteBuffer(bytes: bytes.dropFirst())
    switch selector % 12 {
    case 0: fuzzRTP(input)
    case 1: fuzzFramer(input, framer: .rfc4571)
    case 2: fuzzFramer(input, framer: LengthPrefixedFramer(lengthField: .fourBytes, maxFrameSize: 4096))
    case 3: fuzzSessionFrame(input)
    case 4: fuzzControlMessages(input)
    case 5: fuzzTicket(input)
    case 6: fuzzBind(input)
    case 7: fuzzVP8(input)
    case 8: fuzzLinkHandshake(input)
    case 9: fuzzFramerBeforeAuthentication(input)
    case 10: fuzzUplink(input)
    default: _ = try? OpusTOC(payload: input.readableBytesView)
    }
    return 0
}

private func check(_ condition: Bool, _ message: String) {
    if !condition { fatalError("fuzz invariant broken: \(message)") }
}

private func fuzzRTP(_ input: ByteBuffer) {
    guard let packet = try? RTPPacket(parsing: input) else { return }
    _ = try? packet.headerExtension?.elements()
    _ = packet.captureTime
    let again = try? RTPPacket(parsing: packet.encoded())
    check(again == packet, "RTP packet does not survive a round trip")
}

private func fuzzFramer(_ input: ByteBuffer, framer: LengthPrefixedFramer) {
    // Feed in two pieces to exercise partial frames.
    var buffer = ByteBuffer()
    var rest = input
    let half = rest.readSlice(length: rest.readableBytes / 2) ?? ByteBuffer()
    for var piece in [half, rest] {
        buffer.writeBuffer(&piece)
        do {
            while let frame = try framer.nextFrame(from: &buffer) {
                check(frame.readableBytes <= framer.maxFrameSize, "frame over the cap")
            }
        } catch {
            return
        }
    }
}

/// The control framer as a CSM runs it before a link has proved its key: no frame over a hello's
/// size, however the bytes arrive, then the full size once lifted.
private func fuzzFramerBeforeAuthentication(_ input: ByteBuffer) {
    let limit = FrameSizeLimit()
    var buffer = input
    var frames = 0
    do {
        while let frame = try LengthPrefixedFramer.control.nextFrame(from: &buffer, limit: limit.current) {
            check(frame.readableBytes <= FrameSizeLimit.beforeAuthentication || frames > 0, "a frame over the hello's size before authentication")
            frames += 1
            if frames == 1 { limit.lift() }
        }
    } catch {
        return
    }
}

/// Datagrams cut from the input, as a broadcaster's uplink: without the session's key nothing is
/// verified, and a packet the guard takes is refused when it comes again at once.
private func fuzzUplink(_ input: ByteBuffer) {
    let tag = UplinkTag(key: [UInt8](repeating: 7, count: UplinkTag.keySize))!
    var guardian = UplinkGuard()
    var rest = input
    while let length = rest.readInteger(as: UInt8.self), let datagram = rest.readSlice(length: min(Int(length), rest.readableBytes)) {
        check(tag.verified(datagram) == nil, "a datagram without the key's tag was verified")
        let verified = tag.verified(tag.tagged(datagram))
        check(verified == datagram, "a tagged datagram does not verify as itself")
        // A relay parent's seal: nothing unsealed without it, a sealed RTP packet back as it was.
        check(tag.unsealed(datagram) == nil, "a datagram without the key's seal was unsealed")
        var sealed = datagram
        if datagram.readableBytes >= 12, tag.seal(&sealed, packetAt: sealed.readerIndex) {
            check(tag.unsealed(sealed) == datagram, "a sealed packet does not unseal as itself")
        }
        guard let header = RTPHeaderView(datagram) else { continue }
        if guardian.check(ssrc: header.ssrc, payloadType: header.payloadType, sequence: header.sequenceNumber) == .accept {
            let again = guardian.check(ssrc: header.ssrc, payloadType: header.payloadType, sequence: header.sequenceNumber)
            check(again == .replay, "the uplink guard took the same packet twice")
        }
    }
}

private func fuzzSessionFrame(_ input: ByteBuffer) {
    guard let frame = try? SessionFrame(frame: input) else { return }
    var out = ByteBuffer()
    if (try? frame.write(to: &out)) != nil, let body = try? LengthPrefixedFramer.rfc4571.nextFrame(from: &out) {
        check((try? SessionFrame(frame: body)) == frame, "session frame does not survive a round trip")
    }
}

private func fuzzControlMessages(_ input: ByteBuffer) {
    _ = try? ControlCoder.decodeHello(from: input)
    roundTrip(SessionMessage.self, input)
    roundTrip(UnitMessage.self, input)
    roundTrip(CSMMessage.self, input)
    roundTrip(PeerMessage.self, input)
}

/// Frames cut from the input, as hellos, into both sides of a link handshake: whatever arrives,
/// a side without the key never authenticates the other.
private func fuzzLinkHandshake(_ input: ByteBuffer) {
    var rest = input
    var responder = LinkHandshake.responder(accepting: [.unit, .csm], name: "csm", key: LinkKey(secret: "fuzz"), nonce: [UInt8](repeating: 1, count: 32))
    var initiator = LinkHandshake.initiator(role: .unit, name: "unit", key: LinkKey(secret: "fuzz"), nonce: [UInt8](repeating: 2, count: 32))
    _ = initiator.start()
    while let length = rest.readInteger(as: UInt8.self), let frame = rest.readSlice(length: min(Int(length), rest.readableBytes)) {
        guard let hello = try? ControlCoder.decodeHello(from: frame) else { continue }
        for action in responder.receive(hello) + initiator.receive(hello) {
            if case .authenticated = action { check(false, "a fuzzed hello opened a link without the key's proof") }
        }
    }
}

private func roundTrip<Message: Codable & Equatable>(_ type: Message.Type, _ input: ByteBuffer) {
    guard let message = try? ControlCoder.decode(type, from: input) else { return }
    guard let encoded = try? ControlCoder.encode(message) else { return }
    check((try? ControlCoder.decode(type, from: ByteBuffer(bytes: encoded))) == message, "\(type) does not survive a round trip")
}

private func fuzzTicket(_ input: ByteBuffer) {
    let signer = TicketSigner(secret: "fuzz")
    let text = String(decoding: input.readableBytesView, as: UTF8.self)
    _ = try? signer.verify(text, at: 1, nowMilliseconds: 0)
}

private func fuzzBind(_ input: ByteBuffer) {
    guard let datagram = try? BindDatagram(parsing: input) else { return }
    check((try? BindDatagram(parsing: datagram.encoded())) == datagram, "bind datagram does not survive a round trip")
}

private func fuzzVP8(_ input: ByteBuffer) {
    // Cut the input into packets: [length, seq low, flags] headers then payload bytes.
    var rest = input
    var assembler = VP8FrameAssembler(maxPendingFrames: 3, maxPacketsPerFrame: 16)
    var sequence: UInt16 = 0
    while let length = rest.readInteger(as: UInt8.self), let flags = rest.readInteger(as: UInt8.self),
        let payload = rest.readSlice(length: min(Int(length), rest.readableBytes))
    {
        sequence &+= UInt16(flags & 0x07)
        let packet = RTPPacket(
            payloadType: 96, marker: flags & 0x80 != 0, sequenceNumber: sequence,
            timestamp: UInt32(flags >> 4 & 0x07) &* 3000, ssrc: 1, payload: payload)
        _ = VP8PayloadDescriptor.startsKeyframe(payload.readableBytesView)
        guard let outputs = try? assembler.append(packet) else { continue }
        for case .frame(let frame) in outputs { check(frame.data.count <= 16 * 255, "frame larger than its packets") }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point under this name; hand control to libFuzzer's driver.
@_cdecl("WireFuzz_main")
public func wireFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in fuzzWire(data, size) }
}
