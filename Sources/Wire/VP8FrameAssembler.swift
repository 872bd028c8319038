/// Rebuilds VP8 frames from RTP packets that may arrive out of order, duplicated or not at all.
/// A frame is delivered once its first packet (S=1, PID=0), its last (marker) and every sequence
/// number between have arrived. Live video wants the newest picture, so when a newer frame
/// completes, older unfinished frames are reported incomplete rather than waited for. Memory is
/// bounded by `maxPendingFrames` frames of at most `maxPacketsPerFrame` packets and `maxFrameBytes`
/// bytes: a bigger frame is dropped as `oversized`, never handed to a decoder.
public struct VP8FrameAssembler: Sendable {
    public let maxPendingFrames: Int
    public let maxPacketsPerFrame: Int
    public let maxFrameBytes: Int
    /// The default byte cap: more than any VP8 frame a camera makes at 1080p.
    public static let defaultMaxFrameBytes = 2 << 20

    private struct PendingFrame: Sendable {
        var chunks: [UInt16: [UInt8]] = [:]
        var bytes = 0
        var firstSequence: UInt16?
        var lastSequence: UInt16?
        var pictureID: UInt16?
    }

    private var pending: [UInt32: PendingFrame] = [:]
    private var lastDoneTimestamp: UInt32?

    public init(maxPendingFrames: Int = 4, maxPacketsPerFrame: Int = 1024, maxFrameBytes: Int = defaultMaxFrameBytes) {
        self.maxPendingFrames = max(1, maxPendingFrames)
        self.maxPacketsPerFrame = max(1, maxPacketsPerFrame)
        self.maxFrameBytes = max(1, maxFrameBytes)
    }

    /// Takes one packet; returns the frames (and lost frames) it finishes, oldest first.
    /// Throws when the payload has no valid VP8 descriptor.
    public mutating func append(_ packet: RTPPacket) throws -> [VP8AssemblerOutput] {
        let payload = packet.payload.readableBytesView
        let (descriptor, size) = try VP8PayloadDescriptor.parse(payload)
        let timestamp = packet.timestamp
        if let lastDoneTimestamp, !Self.isNewer(timestamp, than: lastDoneTimestamp) { return [] }  // late

        var frame = pending[timestamp] ?? PendingFrame()
        let chunk = Array(payload.dropFirst(size))
        frame.bytes += chunk.count - (frame.chunks[packet.sequenceNumber]?.count ?? 0)
        frame.chunks[packet.sequenceNumber] = chunk
        if frame.bytes > maxFrameBytes {
            pending[timestamp] = nil
            if lastDoneTimestamp.map({ Self.isNewer(timestamp, than: $0) }) ?? true { lastDoneTimestamp = timestamp }
            return finishOlder(than: timestamp) + [.oversized(timestamp: timestamp, bytes: frame.bytes)]
        }
        if descriptor.startsFrame {
            frame.firstSequence = packet.sequenceNumber
            frame.pictureID = descriptor.pictureID
        }
        if packet.marker { frame.lastSequence = packet.sequenceNumber }
        pending[timestamp] = frame

        var output: [VP8AssemblerOutput] = []
        if let data = Self.completedData(of: frame) {
            output += finishOlder(than: timestamp)
            pending[timestamp] = nil
            lastDoneTimestamp = timestamp
            output.append(.frame(VP8Frame(timestamp: timestamp, data: data, pictureID: frame.pictureID)))
        } else if frame.chunks.count > maxPacketsPerFrame || Self.span(of: frame).map({ $0 > maxPacketsPerFrame }) == true {
            output += finishOlder(than: timestamp) + [finish(timestamp)]
        }
        while pending.count > maxPendingFrames, let oldest = pending.keys.min(by: { Self.isNewer($1, than: $0) }) {
            output.append(finish(oldest))
        }
        return output
    }

    /// Reports and forgets every pending frame older than `timestamp`.
    private mutating func finishOlder(than timestamp: UInt32) -> [VP8AssemblerOutput] {
        pending.keys.filter { Self.isNewer(timestamp, than: $0) }
            .sorted { Self.isNewer($1, than: $0) }
            .map { finish($0) }
    }

    private mutating func finish(_ timestamp: UInt32) -> VP8AssemblerOutput {
        let received = pending.removeValue(forKey: timestamp)?.chunks.count ?? 0
        if lastDoneTimestamp.map({ Self.isNewer(timestamp, than: $0) }) ?? true { lastDoneTimestamp = timestamp }
        return .incomplete(timestamp: timestamp, receivedPackets: received)
    }

    private static func span(of frame: PendingFrame) -> Int? {
        guard let first = frame.firstSequence, let last = frame.lastSequence else { return nil }
        return Int(last &- first) + 1
    }

    private static func completedData(of frame: PendingFrame) -> [UInt8]? {
        guard let first = frame.firstSequence, let span = span(of: frame), frame.chunks.count == span else { return nil }
        var data: [UInt8] = []
        data.reserveCapacity(frame.chunks.values.reduce(0) { $0 + $1.count })
        for offset in 0..<span {
            guard let chunk = frame.chunks[first &+ UInt16(offset)] else { return nil }
            data += chunk
        }
        return data
    }

    /// RTP timestamps wrap: compare them as serial numbers (RFC 1982).
    static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        Int32(bitPattern: a &- b) > 0
    }
}
