import NIOCore

/// Reads RTMP chunks (RTMP 1.0, 5.3) and puts messages back together. Bounded: a chunk size,
/// a message length and a number of chunk streams past the caps refuse the connection, so a
/// peer can make the server hold only what the caps allow. Applies Set Chunk Size and Abort
/// itself, since they change how the chunks that follow are read.
public struct RTMPChunkReader: Sendable {
    public struct Limits: Sendable {
        /// The largest chunk size a peer may set (the spec allows 2^31 - 1; nobody needs it).
        public var maxChunkSize: Int
        /// The longest message (a keyframe of a 1080p stream is a few hundred kilobytes).
        public var maxMessageBytes: Int
        /// Chunk streams with a message under way, or a header to build on.
        public var maxChunkStreams: Int

        public init(maxChunkSize: Int = 65_536, maxMessageBytes: Int = 4 << 20, maxChunkStreams: Int = 64) {
            self.maxChunkSize = maxChunkSize
            self.maxMessageBytes = maxMessageBytes
            self.maxChunkStreams = maxChunkStreams
        }
    }

    /// What a chunk stream remembers of its last header, and the message it is putting together.
    private struct ChunkStream: Sendable {
        var timestamp: UInt32 = 0
        var delta: UInt32 = 0
        var length = 0
        var typeID: UInt8 = 0
        var streamID: UInt32 = 0
        var extended = false
        var partial: ByteBuffer?
    }

    public let limits: Limits
    public private(set) var chunkSize = 128
    private var streams: [UInt32: ChunkStream] = [:]

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Every message the chunks whole in `buffer` complete; a chunk not yet whole stays there.
    public mutating func read(_ buffer: inout ByteBuffer) throws -> [RTMPMessage] {
        var messages: [RTMPMessage] = []
        while let message = try readChunk(&buffer) {
            if let message { messages.append(message) }
        }
        return messages
    }

    /// One chunk: nil when it is not whole yet (nothing read), `.some(nil)` when it did not end
    /// a message.
    private mutating func readChunk(_ buffer: inout ByteBuffer) throws -> RTMPMessage?? {
        var view = buffer
        guard let first = view.readInteger(as: UInt8.self) else { return nil }
        let format = first >> 6
        var id = UInt32(first & 0x3F)
        if id == 0 {
            guard let byte = view.readInteger(as: UInt8.self) else { return nil }
            id = 64 + UInt32(byte)
        } else if id == 1 {
            guard let low = view.readInteger(as: UInt8.self), let high = view.readInteger(as: UInt8.self) else { return nil }
            id = 64 + UInt32(low) + UInt32(high) * 256
        }
        if streams[id] == nil {
            guard format == 0 else { throw RTMPError("chunk stream \(id) starts without a full header (format \(format))") }
            guard streams.count < limits.maxChunkStreams else { throw RTMPError("more than \(limits.maxChunkStreams) chunk streams") }
        }
        var stream = streams[id] ?? ChunkStream()
        let starting = stream.partial == nil
        var stamp: UInt32 = 0
        if format <= 2 {
            guard let high = view.readInteger(as: UInt16.self), let low = view.readInteger(as: UInt8.self) else { return nil }
            stamp = UInt32(high) << 8 | UInt32(low)
        }
        if format <= 1 {
            guard let high = view.readInteger(as: UInt16.self), let low = view.readInteger(as: UInt8.self),
                let type = view.readInteger(as: UInt8.self)
            else { return nil }
            stream.length = Int(UInt32(high) << 8 | UInt32(low))
            stream.typeID = type
        }
        if format == 0 {
            guard let streamID = view.readInteger(endianness: .little, as: UInt32.self) else { return nil }
            stream.streamID = streamID
        }
        if format <= 2 { stream.extended = stamp == 0xFF_FFFF }
        if stream.extended {
            // Also after a format 3 header, as ffmpeg, librtmp and OBS write it.
            guard let value = view.readInteger(as: UInt32.self) else { return nil }
            if format <= 2 { stamp = value }
        }
        guard format == 3 || starting else { throw RTMPError("chunk stream \(id): a new header before its message of \(stream.length) bytes ended") }
        guard stream.length <= limits.maxMessageBytes else {
            throw RTMPError("a message of \(stream.length) bytes, past the \(limits.maxMessageBytes) taken")
        }
        if starting {
            switch format {
            case 0: stream.timestamp = stamp; stream.delta = stamp  // RTMP 1.0, 5.3.1.2.4: a type 3 after a type 0 repeats it
            case 1, 2: stream.delta = stamp; stream.timestamp &+= stamp
            default: stream.timestamp &+= stream.delta  // a new message with the last one's header
            }
        }
        // Grown as the bytes come, not reserved from the header: a header alone may claim 4 MiB
        // on each of 64 chunk streams.
        var partial = stream.partial ?? ByteBufferAllocator().buffer(capacity: min(stream.length, chunkSize))
        let take = min(chunkSize, stream.length - partial.readableBytes)
        guard let bytes = view.readSlice(length: take) else { return nil }
        partial.writeImmutableBuffer(bytes)
        buffer = view
        guard partial.readableBytes == stream.length else {
            stream.partial = partial
            streams[id] = stream
            return .some(nil)
        }
        stream.partial = nil
        streams[id] = stream
        let message = RTMPMessage(typeID: stream.typeID, timestamp: stream.timestamp, streamID: stream.streamID, payload: partial)
        try apply(message)
        return .some(message)
    }

    /// Set Chunk Size and Abort change how the next chunks are read.
    private mutating func apply(_ message: RTMPMessage) throws {
        switch message.kind {
        case .setChunkSize:
            guard let value = message.controlValue else { throw RTMPError("a Set Chunk Size without its size") }
            let size = Int(value & 0x7FFF_FFFF)
            guard (1...limits.maxChunkSize).contains(size) else { throw RTMPError("a chunk size of \(size), past the \(limits.maxChunkSize) taken") }
            chunkSize = size
        case .abort:
            if let id = message.controlValue { streams[id]?.partial = nil }
        default: break
        }
    }
}

/// Writes RTMP messages as chunks of `chunkSize`: a full header, then continuation headers.
public struct RTMPChunkWriter: Sendable {
    public private(set) var chunkSize = 128

    public init() {}

    /// Appends `message` on chunk stream `id` (2 for protocol control, 3 for commands, as peers use).
    public mutating func write(_ message: RTMPMessage, chunkStream id: UInt8, into buffer: inout ByteBuffer) {
        precondition((2...63).contains(id), "one-byte chunk stream ids only")
        let length = message.payload.readableBytes
        let extended = message.timestamp >= 0xFF_FFFF
        buffer.writeInteger(id)
        let stamp = extended ? 0xFF_FFFF : message.timestamp
        buffer.writeInteger(UInt16(stamp >> 8))
        buffer.writeInteger(UInt8(stamp & 0xFF))
        buffer.writeInteger(UInt16(length >> 8))
        buffer.writeInteger(UInt8(length & 0xFF))
        buffer.writeInteger(message.typeID)
        buffer.writeInteger(message.streamID, endianness: .little)
        if extended { buffer.writeInteger(message.timestamp) }
        var payload = message.payload
        while true {
            let slice = payload.readSlice(length: min(chunkSize, payload.readableBytes))!
            buffer.writeImmutableBuffer(slice)
            guard payload.readableBytes > 0 else { break }
            buffer.writeInteger(0xC0 | id)
            if extended { buffer.writeInteger(message.timestamp) }
        }
        if message.kind == .setChunkSize, let size = message.controlValue { chunkSize = Int(size & 0x7FFF_FFFF) }
    }
}
