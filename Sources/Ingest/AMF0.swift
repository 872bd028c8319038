import NIOCore

/// Action Message Format 0, the encoding of RTMP's commands (`connect`, `publish`, ...) and of
/// `onMetaData`. Decoded with a cap on nesting and on every length, so a message can only
/// describe what it holds.
public enum AMF0: Equatable, Sendable {
    case number(Double)
    case boolean(Bool)
    case string(String)
    /// An anonymous object, or an ECMA array (which carries a count hint and the same pairs).
    case object([(String, AMF0)])
    case null
    case undefined
    case array([AMF0])
    /// Milliseconds since 1970; the time zone is ignored, as the spec says it should be.
    case date(Double)

    /// Nested objects and arrays past this refuse the message.
    public static let maxDepth = 16
    /// Object keys and array elements past this refuse the message.
    public static let maxEntries = 1024

    public static func == (a: AMF0, b: AMF0) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)), (.date(let x), .date(let y)): x == y || (x.isNaN && y.isNaN)
        case (.boolean(let x), .boolean(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.null, .null), (.undefined, .undefined): true
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// A field of an object, nil for anything else or a missing key.
    public subscript(key: String) -> AMF0? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }
    public var numberValue: Double? { if case .number(let value) = self { value } else { nil } }
}

/// Why an RTMP message could not be read.
public struct RTMPError: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension AMF0 {
    private enum Marker: UInt8 {
        case number = 0, boolean, string, object, movieClip, null, undefined, reference, ecmaArray, objectEnd
        case strictArray, date, longString, unsupported
    }

    /// Every value in `buffer`, in order (a command's name, transaction id and arguments).
    public static func decodeAll(_ buffer: ByteBuffer) throws -> [AMF0] {
        var buffer = buffer
        var values: [AMF0] = []
        while buffer.readableBytes > 0 {
            guard values.count < maxEntries else { throw RTMPError("AMF0: more than \(maxEntries) values in one message") }
            values.append(try decode(from: &buffer, depth: 0))
        }
        return values
    }

    public static func decode(from buffer: inout ByteBuffer, depth: Int = 0) throws -> AMF0 {
        guard depth <= maxDepth else { throw RTMPError("AMF0: nested deeper than \(maxDepth)") }
        guard let byte = buffer.readInteger(as: UInt8.self) else { throw RTMPError("AMF0: a value is cut short") }
        guard let marker = Marker(rawValue: byte) else { throw RTMPError("AMF0: unknown type marker \(byte)") }
        switch marker {
        case .number:
            return .number(try readDouble(&buffer))
        case .boolean:
            guard let value = buffer.readInteger(as: UInt8.self) else { throw RTMPError("AMF0: a boolean is cut short") }
            return .boolean(value != 0)
        case .string:
            return .string(try readString(&buffer, long: false))
        case .longString:
            return .string(try readString(&buffer, long: true))
        case .object:
            return .object(try readPairs(&buffer, depth: depth))
        case .ecmaArray:
            guard buffer.readInteger(as: UInt32.self) != nil else { throw RTMPError("AMF0: an ECMA array is cut short") }
            return .object(try readPairs(&buffer, depth: depth))
        case .strictArray:
            guard let count = buffer.readInteger(as: UInt32.self) else { throw RTMPError("AMF0: an array is cut short") }
            guard count <= maxEntries, Int(count) <= buffer.readableBytes else {
                throw RTMPError("AMF0: an array of \(count) elements in \(buffer.readableBytes) bytes")
            }
            return .array(try (0..<Int(count)).map { _ in try decode(from: &buffer, depth: depth + 1) })
        case .date:
            let milliseconds = try readDouble(&buffer)
            guard buffer.readInteger(as: Int16.self) != nil else { throw RTMPError("AMF0: a date is cut short") }
            return .date(milliseconds)
        case .null: return .null
        case .undefined, .unsupported: return .undefined
        case .movieClip, .reference, .objectEnd:
            throw RTMPError("AMF0: type marker \(byte) is not taken")
        }
    }

    private static func readDouble(_ buffer: inout ByteBuffer) throws -> Double {
        guard let bits = buffer.readInteger(as: UInt64.self) else { throw RTMPError("AMF0: a number is cut short") }
        return Double(bitPattern: bits)
    }

    private static func readString(_ buffer: inout ByteBuffer, long: Bool) throws -> String {
        let length: Int
        if long {
            guard let value = buffer.readInteger(as: UInt32.self) else { throw RTMPError("AMF0: a long string is cut short") }
            length = Int(value)
        } else {
            guard let value = buffer.readInteger(as: UInt16.self) else { throw RTMPError("AMF0: a string is cut short") }
            length = Int(value)
        }
        guard length <= buffer.readableBytes, let bytes = buffer.readBytes(length: length) else {
            throw RTMPError("AMF0: a string of \(length) bytes in \(buffer.readableBytes)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func readPairs(_ buffer: inout ByteBuffer, depth: Int) throws -> [(String, AMF0)] {
        var pairs: [(String, AMF0)] = []
        while true {
            let key = try readString(&buffer, long: false)
            if key.isEmpty, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == Marker.objectEnd.rawValue {
                buffer.moveReaderIndex(forwardBy: 1)
                return pairs
            }
            guard pairs.count < maxEntries else { throw RTMPError("AMF0: an object of more than \(maxEntries) fields") }
            pairs.append((key, try decode(from: &buffer, depth: depth + 1)))
        }
    }

    /// Appends the value's encoding.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .number(let value):
            buffer.writeInteger(Marker.number.rawValue)
            buffer.writeInteger(value.bitPattern)
        case .boolean(let value):
            buffer.writeInteger(Marker.boolean.rawValue)
            buffer.writeInteger(UInt8(value ? 1 : 0))
        case .string(let text):
            let bytes = Array(text.utf8)
            if bytes.count > Int(UInt16.max) {
                buffer.writeInteger(Marker.longString.rawValue)
                buffer.writeInteger(UInt32(bytes.count))
            } else {
                buffer.writeInteger(Marker.string.rawValue)
                buffer.writeInteger(UInt16(bytes.count))
            }
            buffer.writeBytes(bytes)
        case .object(let pairs):
            buffer.writeInteger(Marker.object.rawValue)
            for (key, value) in pairs {
                let bytes = Array(key.utf8.prefix(Int(UInt16.max)))
                buffer.writeInteger(UInt16(bytes.count))
                buffer.writeBytes(bytes)
                value.encode(into: &buffer)
            }
            buffer.writeInteger(UInt16(0))
            buffer.writeInteger(Marker.objectEnd.rawValue)
        case .null:
            buffer.writeInteger(Marker.null.rawValue)
        case .undefined:
            buffer.writeInteger(Marker.undefined.rawValue)
        case .array(let values):
            buffer.writeInteger(Marker.strictArray.rawValue)
            buffer.writeInteger(UInt32(values.count))
            for value in values { value.encode(into: &buffer) }
        case .date(let milliseconds):
            buffer.writeInteger(Marker.date.rawValue)
            buffer.writeInteger(milliseconds.bitPattern)
            buffer.writeInteger(Int16(0))
        }
    }

    public static func encode(_ values: [AMF0]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 128)
        for value in values { value.encode(into: &buffer) }
        return buffer
    }
}
