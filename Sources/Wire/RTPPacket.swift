import NIOCore

/// An RTP packet (RFC 3550 section 5.1): every header field, the CSRC list, an optional header
/// extension, the payload and padding. The payload is a slice of the received buffer, not a copy.
public struct RTPPacket: Equatable, Sendable {
    /// The fixed header is 12 bytes.
    public static let fixedHeaderSize = 12

    public var payloadType: UInt8
    public var marker: Bool
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// At most 15 contributing sources.
    public var csrcs: [UInt32]
    public var headerExtension: RTPHeaderExtension?
    public var payload: ByteBuffer
    /// Padding bytes after the payload, including the final count byte; 0 means no padding.
    public var paddingCount: UInt8

    public init(
        payloadType: UInt8, marker: Bool = false, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
        csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil, payload: ByteBuffer, paddingCount: UInt8 = 0
    ) {
        self.payloadType = payloadType
        self.marker = marker
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
        self.payload = payload
        self.paddingCount = paddingCount
    }

    /// Parses one whole packet (a UDP datagram or one RFC 4571 frame).
    public init(parsing datagram: ByteBuffer) throws {
        var buffer = datagram
        guard let first = buffer.readInteger(as: UInt8.self), let second = buffer.readInteger(as: UInt8.self),
            let sequence = buffer.readInteger(as: UInt16.self), let timestamp = buffer.readInteger(as: UInt32.self),
            let ssrc = buffer.readInteger(as: UInt32.self)
        else {
            throw WireError.truncated(what: "RTP header", needed: Self.fixedHeaderSize, available: datagram.readableBytes)
        }
        guard first >> 6 == 2 else { throw WireError.unsupportedRTPVersion(first >> 6) }
        let hasPadding = first & 0x20 != 0
        let hasExtension = first & 0x10 != 0
        let csrcCount = Int(first & 0x0F)

        var csrcs: [UInt32] = []
        csrcs.reserveCapacity(csrcCount)
        for _ in 0..<csrcCount {
            guard let csrc = buffer.readInteger(as: UInt32.self) else {
                throw WireError.truncated(what: "RTP CSRC list", needed: Self.fixedHeaderSize + 4 * csrcCount, available: datagram.readableBytes)
            }
            csrcs.append(csrc)
        }

        var headerExtension: RTPHeaderExtension?
        if hasExtension {
            guard let profile = buffer.readInteger(as: UInt16.self), let words = buffer.readInteger(as: UInt16.self) else {
                throw WireError.truncated(what: "RTP header extension", needed: 4, available: buffer.readableBytes)
            }
            guard let data = buffer.readBytes(length: Int(words) * 4) else {
                throw WireError.truncated(what: "RTP header extension data", needed: Int(words) * 4, available: buffer.readableBytes)
            }
            headerExtension = RTPHeaderExtension(profile: profile, data: data)
        }

        var paddingCount: UInt8 = 0
        if hasPadding {
            let available = buffer.readableBytes
            let count = available > 0 ? (buffer.getInteger(at: buffer.writerIndex - 1, as: UInt8.self) ?? 0) : 0
            guard count > 0, Int(count) <= available else {
                throw WireError.invalidPadding(count: Int(count), available: available)
            }
            paddingCount = count
            buffer.moveWriterIndex(to: buffer.writerIndex - Int(count))
        }

        self.init(
            payloadType: second & 0x7F, marker: second & 0x80 != 0, sequenceNumber: sequence, timestamp: timestamp,
            ssrc: ssrc, csrcs: csrcs, headerExtension: headerExtension, payload: buffer, paddingCount: paddingCount)
    }

    /// Bytes the packet takes on the wire.
    public var encodedSize: Int {
        Self.fixedHeaderSize + 4 * csrcs.count + (headerExtension.map { 4 + $0.data.count } ?? 0)
            + payload.readableBytes + Int(paddingCount)
    }

    /// Appends the packet to `buffer`. The CSRC list is cut at 15 and extension data to whole words,
    /// as the header fields cannot say more.
    public func write(to buffer: inout ByteBuffer) {
        let csrcs = self.csrcs.prefix(15)
        var first: UInt8 = 2 << 6 | UInt8(csrcs.count)
        if paddingCount > 0 { first |= 0x20 }
        if headerExtension != nil { first |= 0x10 }
        buffer.writeInteger(first)
        buffer.writeInteger((marker ? 0x80 : 0) | payloadType & 0x7F)
        buffer.writeInteger(sequenceNumber)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(ssrc)
        for csrc in csrcs { buffer.writeInteger(csrc) }
        if let headerExtension {
            let words = min(headerExtension.data.count / 4, Int(UInt16.max))
            buffer.writeInteger(headerExtension.profile)
            buffer.writeInteger(UInt16(words))
            buffer.writeBytes(headerExtension.data.prefix(words * 4))
        }
        var payload = self.payload
        buffer.writeBuffer(&payload)
        if paddingCount > 0 {
            buffer.writeRepeatingByte(0, count: Int(paddingCount) - 1)
            buffer.writeInteger(paddingCount)
        }
    }

    /// The packet as a new buffer.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: encodedSize)
        write(to: &buffer)
        return buffer
    }

    /// The broadcaster's capture time, when the packet carries it.
    public var captureTime: CaptureTime? {
        guard let data = headerExtension?.element(id: CaptureTime.extensionID) else { return nil }
        return try? CaptureTime(elementData: data)
    }
}
