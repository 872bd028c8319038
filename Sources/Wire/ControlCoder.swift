#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// Turns control messages into frame bodies and back: compact JSON, so they can be read in a
/// capture and by tools in any language.
public enum ControlCoder {
    public static func encode(_ message: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(message))
    }

    public static func decode<Message: Decodable>(_ type: Message.Type, from frame: ByteBuffer) throws -> Message {
        let message: Message
        do {
            message = try JSONDecoder().decode(type, from: Data(frame.readableBytesView))
        } catch let error as DecodingError {
            throw WireError.malformedControlMessage("not a \(type) message: \(Self.summary(of: error))")
        }
        try (message as? any RangeChecked)?.checkRanges()
        return message
    }

    /// Decodes the first frame of a connection, which must be a hello of our protocol version.
    /// Reading just the hello first means a peer of another version gets told so, whatever else
    /// changed in its messages.
    public static func decodeHello(from frame: ByteBuffer) throws -> Hello {
        struct Envelope: Decodable { var hello: Wrapped }
        struct Wrapped: Decodable { var _0: Hello }
        let hello: Hello
        do {
            hello = try JSONDecoder().decode(Envelope.self, from: Data(frame.readableBytesView)).hello._0
        } catch {
            throw WireError.expectedHello
        }
        try hello.checkVersion()
        try hello.checkRanges()
        return hello
    }

    private static func summary(of error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
            .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

extension ControlCoder {
    /// A control message as its frame on a link: JSON after a 4-byte length
    /// (`LengthPrefixedFramer.control`). Every control link writes its messages through this.
    public static func frame(_ message: some Encodable) throws -> ByteBuffer {
        let body = try encode(message)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(body.count + 4)
        try LengthPrefixedFramer.control.write(bytes: body, to: &buffer)
        return buffer
    }
}
