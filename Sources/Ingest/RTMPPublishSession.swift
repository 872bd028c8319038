import NIOCore

/// The server's side of one RTMP publisher's connection (RTMP 1.0 and what OBS, ffmpeg and
/// GStreamer's rtmp2sink send): the handshake, `connect`, `releaseStream` / `FCPublish` /
/// `createStream`, `publish` with the stream key, then FLV audio and video tags until
/// `FCUnpublish` / `deleteStream` or the close. Pure: bytes in, bytes to send and events out;
/// the handler applies them and owns the timeouts.
public struct RTMPPublishSession: Sendable {
    public enum Event: Equatable, Sendable {
        /// `connect` to this application (the path of rtmp://host/APP).
        case connected(app: String)
        /// `publish` with this name: the stream key the publisher was given.
        case publishing(key: String)
        /// `@setDataFrame onMetaData`: what the publisher says it sends.
        case metadata(AMF0)
        /// An FLV audio or video tag's body and its timestamp (milliseconds).
        case audio(ByteBuffer, timestamp: UInt32)
        case video(ByteBuffer, timestamp: UInt32)
        /// `FCUnpublish` or `deleteStream`: the publisher stops (it may close next).
        case unpublished
    }

    public struct Output: Sendable {
        public var send: ByteBuffer
        public var events: [Event] = []
    }

    private enum Phase: Sendable { case awaitingC0C1, awaitingC2, awaitingConnect, connected, publishing(stream: UInt32), ended }

    /// The window this server asks the publisher to acknowledge, and the chunk size it writes.
    public static let window: UInt32 = 5_000_000
    public static let outgoingChunkSize: UInt32 = 4096
    static let handshakeBytes = 1536

    private var phase = Phase.awaitingC0C1
    private var reader: RTMPChunkReader
    private var writer = RTMPChunkWriter()
    private var received: UInt64 = 0
    private var acknowledged: UInt64 = 0
    /// The publisher's window: an acknowledgement goes back each time this much has come.
    private var peerWindow: UInt64?
    private let random: [UInt8]

    /// `random`: the 1,528 bytes of S1 (a test gives fixed ones).
    public init(limits: RTMPChunkReader.Limits = .init(), random: [UInt8] = (0..<1528).map { _ in .random(in: 0...255) }) {
        reader = RTMPChunkReader(limits: limits)
        self.random = random
    }

    public var isPublishing: Bool { if case .publishing = phase { true } else { false } }

    /// Bytes from the publisher; consumes what it can of `buffer` (the rest waits for more).
    public mutating func received(_ buffer: inout ByteBuffer) throws -> Output {
        var output = Output(send: ByteBufferAllocator().buffer(capacity: 0))
        let before = buffer.readableBytes
        defer { received += UInt64(before - buffer.readableBytes) }
        if case .awaitingC0C1 = phase {
            guard let version = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return output }
            guard version == 3 else {
                throw RTMPError(version == 6 ? "an RTMPE (encrypted) handshake, which is not taken: use rtmp:// or rtmps://" : "not an RTMP handshake (version byte \(version))")
            }
            guard buffer.readableBytes >= 1 + Self.handshakeBytes else { return output }
            buffer.moveReaderIndex(forwardBy: 1)
            let c1 = buffer.readSlice(length: Self.handshakeBytes)!
            output.send.writeInteger(UInt8(3))
            output.send.writeInteger(UInt32(0))  // S1: time
            output.send.writeInteger(UInt32(0))  // zero: the simple handshake, no digest
            output.send.writeBytes(random)
            output.send.writeImmutableBuffer(c1)  // S2 echoes C1
            phase = .awaitingC2
        }
        if case .awaitingC2 = phase {
            guard buffer.readableBytes >= Self.handshakeBytes else { return output }
            buffer.moveReaderIndex(forwardBy: Self.handshakeBytes)
            phase = .awaitingConnect
        }
        for message in try reader.read(&buffer) {
            try handle(message, into: &output)
        }
        if let window = peerWindow, received + UInt64(before - buffer.readableBytes) - acknowledged >= window {
            acknowledged = received + UInt64(before - buffer.readableBytes)
            send(.control(.acknowledgement, UInt32(truncatingIfNeeded: acknowledged)), on: 2, into: &output.send)
        }
        return output
    }

    private mutating func send(_ message: RTMPMessage, on chunkStream: UInt8, into buffer: inout ByteBuffer) {
        writer.write(message, chunkStream: chunkStream, into: &buffer)
    }

    private mutating func handle(_ message: RTMPMessage, into output: inout Output) throws {
        switch message.kind {
        case .windowAcknowledgementSize:
            peerWindow = message.controlValue.map { UInt64(max($0, 1)) }
        case .setChunkSize, .abort, .acknowledgement, .userControl, .setPeerBandwidth:
            break
        case .commandAMF0, .commandAMF3:
            var payload = message.payload
            // An AMF3 command is AMF0 after one format byte (RTMP 1.0, 7.1.1).
            if message.kind == .commandAMF3 { payload.moveReaderIndex(forwardBy: min(1, payload.readableBytes)) }
            try command(AMF0.decodeAll(payload), streamID: message.streamID, into: &output)
        case .dataAMF0:
            guard case .publishing = phase else { return }
            var values = try AMF0.decodeAll(message.payload)
            if values.first?.stringValue == "@setDataFrame" { values.removeFirst() }
            if values.first?.stringValue == "onMetaData", values.count > 1 { output.events.append(.metadata(values[1])) }
        case .audio, .video:
            guard case .publishing(let stream) = phase, message.streamID == stream else {
                throw RTMPError("media before publish, or on a stream not created")
            }
            output.events.append(message.kind == .audio ? .audio(message.payload, timestamp: message.timestamp) : .video(message.payload, timestamp: message.timestamp))
        case .dataAMF3, .aggregate, nil:
            throw RTMPError("message type \(message.typeID) is not taken")
        }
    }

    private mutating func command(_ values: [AMF0], streamID: UInt32, into output: inout Output) throws {
        guard let name = values.first?.stringValue else { throw RTMPError("a command without a name") }
        let transaction = values.count > 1 ? values[1].numberValue ?? 0 : 0
        switch (phase, name) {
        case (.awaitingConnect, "connect"):
            let app = values.count > 2 ? values[2]["app"]?.stringValue ?? "" : ""
            send(.control(.windowAcknowledgementSize, Self.window), on: 2, into: &output.send)
            send(.peerBandwidth(Self.window), on: 2, into: &output.send)
            send(.control(.setChunkSize, Self.outgoingChunkSize), on: 2, into: &output.send)
            send(.command("_result", transaction: transaction, [
                .object([("fmsVer", .string("FMS/3,0,1,123")), ("capabilities", .number(31))]),
                .object([
                    ("level", .string("status")), ("code", .string("NetConnection.Connect.Success")),
                    ("description", .string("Connection succeeded.")), ("objectEncoding", .number(0)),
                ]),
            ]), on: 3, into: &output.send)
            phase = .connected
            output.events.append(.connected(app: app))
        case (.connected, "releaseStream"), (.connected, "FCPublish"):
            send(.command("_result", transaction: transaction, [.null, .undefined]), on: 3, into: &output.send)
        case (.connected, "createStream"):
            send(.command("_result", transaction: transaction, [.null, .number(1)]), on: 3, into: &output.send)
        case (.connected, "publish"):
            guard values.count > 3, let key = values[3].stringValue, !key.isEmpty else { throw RTMPError("publish without a stream key") }
            let stream = streamID == 0 ? 1 : streamID
            send(.streamBegin(stream), on: 2, into: &output.send)
            send(.command("onStatus", transaction: 0, [
                .null,
                .object([
                    ("level", .string("status")), ("code", .string("NetStream.Publish.Start")),
                    ("description", .string("Publishing \(key).")), ("details", .string(key)),
                ]),
            ], streamID: stream), on: 5, into: &output.send)
            phase = .publishing(stream: stream)
            output.events.append(.publishing(key: key))
        case (.publishing, "FCUnpublish"), (.publishing, "deleteStream"), (.publishing, "closeStream"):
            phase = .ended
            output.events.append(.unpublished)
        case (_, "_checkbw"), (_, "getStreamLength"), (.publishing, "releaseStream"), (.publishing, "FCPublish"):
            break
        case (.ended, _):
            break
        default:
            throw RTMPError("unexpected command '\(name)' in this state of the connection (this server takes publishers only)")
        }
    }
}
