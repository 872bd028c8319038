import Ingest
import NIOCore
import Testing

@Suite struct H264IngestTests {
    static let configuration: [UInt8] = [0x17, 0, 0, 0, 0, 1, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0, 4, 0x67, 0x42, 0xC0, 0x1E, 1, 0, 2, 0x68, 0xCE]

    func tag(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    func nalTag(keyframe: Bool, composition: [UInt8] = [0, 0, 0], _ nals: [[UInt8]]) -> ByteBuffer {
        var bytes: [UInt8] = [keyframe ? 0x17 : 0x27, 1] + composition
        for nal in nals { bytes += [0, 0, UInt8(nal.count >> 8), UInt8(nal.count & 0xFF)] + nal }
        return tag(bytes)
    }

    @Test func parameterSetsGoBeforeEveryIDRAndTimestampsAre90kHz() throws {
        var ingest = H264Ingest()
        #expect(try ingest.take(nalTag(keyframe: true, [[0x65, 1]]), milliseconds: 0) == nil, "nothing decodes before the configuration")
        #expect(try ingest.take(tag(Self.configuration), milliseconds: 0) == nil)
        #expect(ingest.configuration?.sps == [[0x67, 0x42, 0xC0, 0x1E]] && ingest.configuration?.pps == [[0x68, 0xCE]])
        let idr = try #require(try ingest.take(nalTag(keyframe: true, [[0x06, 9], [0x65, 1, 2]]), milliseconds: 40))
        #expect(idr.keyframe && idr.timestamp == 3600)
        #expect(idr.nalUnits == [[0x67, 0x42, 0xC0, 0x1E], [0x68, 0xCE], [0x06, 9], [0x65, 1, 2]])
        let p = try #require(try ingest.take(nalTag(keyframe: false, [[0x41, 7]]), milliseconds: 80))
        #expect(!p.keyframe && p.nalUnits == [[0x41, 7]] && p.timestamp == 7200)
    }

    @Test func bFramesOtherCodecsAndLiesAreRefusedWithWhatToDo() throws {
        var ingest = H264Ingest()
        _ = try ingest.take(tag(Self.configuration), milliseconds: 0)
        do {
            _ = try ingest.take(nalTag(keyframe: false, composition: [0, 0, 40], [[0x41, 7]]), milliseconds: 80)
            Issue.record("a B-frame stream was taken")
        } catch let error as RTMPError {
            #expect(error.description.contains("B-frames to 0"))
        }
        for bytes: [UInt8] in [[0x12, 1, 0, 0, 0], [0x9C, 1, 0, 0, 0], [0x17, 1, 0, 0, 0, 0, 0, 0, 99, 0x65], [0x17, 0, 0, 0, 0, 2]] {
            #expect(throws: RTMPError.self) { try ingest.take(tag(bytes), milliseconds: 0) }
        }
    }
}
