/// The VP8 payload descriptor at the start of every VP8 RTP payload (RFC 7741 section 4.2).
public struct VP8PayloadDescriptor: Equatable, Sendable {
    /// N: the frame can be discarded without hurting later frames.
    public var isNonReference: Bool
    /// S: this packet starts a VP8 partition.
    public var isStartOfPartition: Bool
    /// PID: the partition this packet belongs to (0...7).
    public var partitionIndex: UInt8
    /// A 7-bit or 15-bit picture id, when present.
    public var pictureID: UInt16?
    /// Whether `pictureID` is written in its 15-bit form.
    public var hasLongPictureID: Bool
    public var tl0PictureIndex: UInt8?
    /// TID (0...3) and the Y bit, present together.
    public var temporalLayer: (index: UInt8, isLayerSync: Bool)?
    public var keyIndex: UInt8?

    public init(
        isNonReference: Bool = false, isStartOfPartition: Bool, partitionIndex: UInt8 = 0, pictureID: UInt16? = nil,
        hasLongPictureID: Bool = true, tl0PictureIndex: UInt8? = nil, temporalLayer: (index: UInt8, isLayerSync: Bool)? = nil,
        keyIndex: UInt8? = nil
    ) {
        self.isNonReference = isNonReference
        self.isStartOfPartition = isStartOfPartition
        self.partitionIndex = partitionIndex
        self.pictureID = pictureID
        self.hasLongPictureID = hasLongPictureID
        self.tl0PictureIndex = tl0PictureIndex
        self.temporalLayer = temporalLayer
        self.keyIndex = keyIndex
    }

    /// Whether this packet starts a frame: S set in partition 0.
    public var startsFrame: Bool { isStartOfPartition && partitionIndex == 0 }

    /// Reads the descriptor and returns it with its size in bytes.
    public static func parse(_ payload: some Collection<UInt8>) throws -> (descriptor: VP8PayloadDescriptor, size: Int) {
        var bytes = payload.makeIterator()
        var size = 0
        func next(_ field: String) throws -> UInt8 {
            guard let byte = bytes.next() else {
                throw WireError.invalidVP8Payload("the payload ends inside the descriptor, before \(field)")
            }
            size += 1
            return byte
        }
        let first = try next("the first byte")
        var descriptor = VP8PayloadDescriptor(
            isNonReference: first & 0x20 != 0, isStartOfPartition: first & 0x10 != 0, partitionIndex: first & 0x07)
        guard first & 0x80 != 0 else { return (descriptor, size) }

        let extensions = try next("the extension byte")
        if extensions & 0x80 != 0 {
            let high = try next("the picture id")
            if high & 0x80 != 0 {
                descriptor.pictureID = UInt16(high & 0x7F) << 8 | UInt16(try next("the picture id's second byte"))
                descriptor.hasLongPictureID = true
            } else {
                descriptor.pictureID = UInt16(high)
                descriptor.hasLongPictureID = false
            }
        }
        if extensions & 0x40 != 0 { descriptor.tl0PictureIndex = try next("TL0PICIDX") }
        if extensions & 0x30 != 0 {
            let byte = try next("TID/KEYIDX")
            if extensions & 0x20 != 0 { descriptor.temporalLayer = (byte >> 6, byte & 0x20 != 0) }
            if extensions & 0x10 != 0 { descriptor.keyIndex = byte & 0x1F }
        }
        return (descriptor, size)
    }

    /// The descriptor's bytes.
    public var bytes: [UInt8] {
        var first: UInt8 = (isNonReference ? 0x20 : 0) | (isStartOfPartition ? 0x10 : 0) | partitionIndex & 0x07
        var extensions: UInt8 = 0
        if pictureID != nil { extensions |= 0x80 }
        if tl0PictureIndex != nil { extensions |= 0x40 }
        if temporalLayer != nil { extensions |= 0x20 }
        if keyIndex != nil { extensions |= 0x10 }
        guard extensions != 0 else { return [first] }
        first |= 0x80
        var result = [first, extensions]
        if let pictureID {
            if hasLongPictureID {
                result += [0x80 | UInt8(pictureID >> 8 & 0x7F), UInt8(pictureID & 0xFF)]
            } else {
                result.append(UInt8(pictureID & 0x7F))
            }
        }
        if let tl0PictureIndex { result.append(tl0PictureIndex) }
        if temporalLayer != nil || keyIndex != nil {
            let layer = temporalLayer.map { $0.index << 6 | ($0.isLayerSync ? 0x20 : 0) } ?? 0
            result.append(layer | (keyIndex ?? 0) & 0x1F)
        }
        return result
    }

    /// Whether an RTP payload starts a VP8 keyframe: it starts a frame and the P bit of the VP8
    /// payload header after the descriptor is 0 (RFC 7741 section 4.3).
    public static func startsKeyframe(_ payload: some Collection<UInt8>) -> Bool {
        guard let (descriptor, size) = try? parse(payload), descriptor.startsFrame,
            let header = payload.dropFirst(size).first
        else { return false }
        return header & 0x01 == 0
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.bytes == rhs.bytes
    }
}
