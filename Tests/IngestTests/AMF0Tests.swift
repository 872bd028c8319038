import Ingest
import NIOCore
import Testing

@Suite struct AMF0Tests {
    @Test func aConnectCommandRoundTrips() throws {
        let values: [AMF0] = [
            .string("connect"), .number(1),
            .object([
                ("app", .string("live")), ("type", .string("nonprivate")), ("flashVer", .string("FMLE/3.0 (compatible; FMSc/1.0)")),
                ("tcUrl", .string("rtmp://127.0.0.1:1935/live")), ("audioCodecs", .number(3575)), ("fpad", .boolean(false)),
            ]),
            .null, .undefined, .array([.number(1), .string("x")]), .date(1_800_000_000_000),
        ]
        let decoded = try AMF0.decodeAll(AMF0.encode(values))
        #expect(decoded == values)
        #expect(decoded[2]["app"]?.stringValue == "live")
        #expect(decoded[2]["missing"] == nil)
    }

    @Test func anECMAArrayReadsAsAnObject() throws {
        // onMetaData as ffmpeg writes it: an ECMA array with a count hint.
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        buffer.writeInteger(UInt8(8))
        buffer.writeInteger(UInt32(2))
        for (key, value) in [("width", 1280.0), ("height", 720.0)] {
            buffer.writeInteger(UInt16(key.utf8.count))
            buffer.writeString(key)
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(value.bitPattern)
        }
        buffer.writeBytes([0, 0, 9])
        let decoded = try AMF0.decodeAll(buffer)
        #expect(decoded.first?["width"]?.numberValue == 1280 && decoded.first?["height"]?.numberValue == 720)
    }

    @Test func liesAboutLengthsAndDepthAreRefused() {
        // A string that says it is longer than the message.
        var long = ByteBufferAllocator().buffer(capacity: 8)
        long.writeBytes([2, 0xFF, 0xFF, 0x41])
        #expect(throws: RTMPError.self) { try AMF0.decodeAll(long) }
        // An array that says it holds four billion elements.
        var array = ByteBufferAllocator().buffer(capacity: 8)
        array.writeBytes([10, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: RTMPError.self) { try AMF0.decodeAll(array) }
        // Objects nested past the cap.
        var deep = ByteBufferAllocator().buffer(capacity: 256)
        for _ in 0..<40 { deep.writeBytes([3, 0, 1, 0x61]) }
        #expect(throws: RTMPError.self) { try AMF0.decodeAll(deep) }
        // An object that never ends, a marker nobody uses, a number cut short.
        for bytes: [UInt8] in [[3, 0, 1, 0x61, 5], [0x42], [0, 1, 2]] {
            var buffer = ByteBufferAllocator().buffer(capacity: 8)
            buffer.writeBytes(bytes)
            #expect(throws: RTMPError.self) { try AMF0.decodeAll(buffer) }
        }
    }
}
