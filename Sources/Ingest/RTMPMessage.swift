import NIOCore

/// One RTMP message, whole (its chunks put back together).
public struct RTMPMessage: Equatable, Sendable {
    /// The message types this server reads or writes (RTMP 1.0, 5.4 and 7.1).
    public enum Kind: UInt8, Sendable {
        case setChunkSize = 1, abort = 2, acknowledgement = 3, userControl = 4, windowAcknowledgementSize = 5
        case setPeerBandwidth = 6, audio = 8, video = 9, dataAMF3 = 15, commandAMF3 = 17, dataAMF0 = 18, commandAMF0 = 20
        case aggregate = 22
    }

    public var typeID: UInt8
    /// Milliseconds, as the publisher counts them (from 0 at its start, wrapping at 2^32).
    public var timestamp: UInt32
    public var streamID: UInt32
    public var payload: ByteBuffer

    public init(typeID: UInt8, timestamp: UInt32 = 0, streamID: UInt32 = 0, payload: ByteBuffer) {
        self.typeID = typeID
        self.timestamp = timestamp
        self.streamID = streamID
        self.payload = payload
    }

    public init(_ kind: Kind, timestamp: UInt32 = 0, streamID: UInt32 = 0, payload: ByteBuffer) {
        self.init(typeID: kind.rawValue, timestamp: timestamp, streamID: streamID, payload: payload)
    }

    public var kind: Kind? { Kind(rawValue: typeID) }

    /// A protocol control message carrying one 32-bit value (set chunk size, acknowledgement, window size).
    public static func control(_ kind: Kind, _ value: UInt32) -> RTMPMessage {
        var payload = ByteBufferAllocator().buffer(capacity: 4)
        payload.writeInteger(value)
        return RTMPMessage(kind, payload: payload)
    }

    /// Set Peer Bandwidth: the window, and limit type 2 (dynamic).
    public static func peerBandwidth(_ window: UInt32) -> RTMPMessage {
        var payload = ByteBufferAllocator().buffer(capacity: 5)
        payload.writeInteger(window)
        payload.writeInteger(UInt8(2))
        return RTMPMessage(.setPeerBandwidth, payload: payload)
    }

    /// User Control "Stream Begin" for `stream`.
    public static func streamBegin(_ stream: UInt32) -> RTMPMessage {
        var payload = ByteBufferAllocator().buffer(capacity: 6)
        payload.writeInteger(UInt16(0))
        payload.writeInteger(stream)
        return RTMPMessage(.userControl, payload: payload)
    }

    /// A command (AMF0): its name, transaction id, and arguments.
    public static func command(_ name: String, transaction: Double, _ arguments: [AMF0], streamID: UInt32 = 0) -> RTMPMessage {
        RTMPMessage(.commandAMF0, streamID: streamID, payload: AMF0.encode([.string(name), .number(transaction)] + arguments))
    }

    /// The 32-bit value of a control message; nil when it is shorter.
    public var controlValue: UInt32? { payload.getInteger(at: payload.readerIndex, as: UInt32.self) }
}
