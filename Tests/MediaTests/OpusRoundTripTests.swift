import Testing

@testable import Media

@Suite struct OpusRoundTripTests {
    @Test(arguments: [1, 2]) func aToneComesBackAtItsFrequency(channels: Int) throws {
        let tone = ToneSource(channels: channels, frequency: 440)
        let encoder = try OpusAudioEncoder(channels: channels, bitsPerSecond: 48_000)
        let decoder = try OpusAudioDecoder(channels: channels)
        var decoded: [Int16] = []
        var bytes = 0
        for _ in 0..<100 {
            let packet = try encoder.encode(try tone.read())
            bytes += packet.count
            decoded += try decoder.decode(packet)
        }
        // Skip the codec's start-up; the rest is 1.9 s of tone.
        let steady = Array(decoded.dropFirst(OpusAudioEncoder.frameSamples * channels * 5))
        #expect(abs(SoundAnalysis.frequency(of: steady, channels: channels) - 440) < 3)
        #expect(AudioLevel(samples: steady).peakDecibels > -15)
        // 100 frames of 20 ms at 48 kbit/s: about 12 kB.
        #expect((8_000...16_000).contains(bytes))
    }

    @Test func aLostPacketIsRecoveredFromTheNextOnesRedundancy() throws {
        let tone = ToneSource(channels: 1, frequency: 440)
        let encoder = try OpusAudioEncoder(channels: 1, bitsPerSecond: 32_000, expectedLossPercent: 20)
        let decoder = try OpusAudioDecoder(channels: 1)
        let packets = try (0..<20).map { _ in try encoder.encode(try tone.read()) }
        var decoded: [Int16] = []
        for (index, packet) in packets.enumerated() {
            if index == 10 { continue }
            if index == 11 { decoded += try decoder.decode(packet, fromFEC: true) }
            decoded += try decoder.decode(packet)
        }
        #expect(decoded.count == 20 * OpusAudioEncoder.frameSamples)
        #expect(abs(SoundAnalysis.frequency(of: Array(decoded.dropFirst(4800))) - 440) < 5)
    }

    @Test func sixtyMillisecondFramesCarryTheToneAndConcealALossAtTheirLength() throws {
        let tone = ToneSource(channels: 1, frequency: 440)
        let encoder = try OpusAudioEncoder(channels: 1, bitsPerSecond: 32_000, expectedLossPercent: 20, frameMilliseconds: 60)
        #expect(encoder.frameSamples == 2880)
        let decoder = try OpusAudioDecoder(channels: 1)
        let packets = try (0..<20).map { _ in try encoder.encode(try tone.read(frames: encoder.frameSamples)) }
        var decoded: [Int16] = []
        for (index, packet) in packets.enumerated() {
            if index == 10 {
                decoded += try decoder.decode(nil)  // lost: concealed, 60 ms like the others
                continue
            }
            let samples = try decoder.decode(packet)
            #expect(samples.count == 2880)
            decoded += samples
        }
        #expect(decoded.count == 20 * 2880)
        #expect(abs(SoundAnalysis.frequency(of: Array(decoded.dropFirst(4800))) - 440) < 5)
    }

    @Test func wrongFrameSizesAndChannelCountsAreRefused() throws {
        #expect(throws: MediaError.self) { try OpusAudioEncoder(channels: 3) }
        #expect(throws: MediaError.self) { try OpusAudioEncoder(channels: 1, frameMilliseconds: 30) }
        let encoder = try OpusAudioEncoder(channels: 1)
        #expect(throws: MediaError.self) { try encoder.encode([Int16](repeating: 0, count: 100)) }
    }
}
