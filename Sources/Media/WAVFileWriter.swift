import Foundation

/// A WAV file written as the sound comes (the viewer's `--audio-out`, the preview's `--record`):
/// the header first, the samples appended, the sizes filled in on `close`.
public final class WAVFileWriter {
    public let path: String
    public let channels: Int
    private let handle: FileHandle
    public private(set) var samplesWritten = 0

    public init(path: String, channels: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw MediaError.badFile("cannot write \(path)")
        }
        self.path = path
        self.channels = channels
        self.handle = handle
        handle.write(Data(WAVFormat.header(sampleRate: OpusAudioEncoder.sampleRate, channels: channels, dataBytes: 0)))
    }

    public func append(_ samples: [Int16]) {
        handle.write(Data(WAVFormat.littleEndian(samples)))
        samplesWritten += samples.count
    }

    /// Seconds of sound written.
    public var seconds: Double { Double(samplesWritten / channels) / Double(OpusAudioEncoder.sampleRate) }

    public func close() {
        handle.seek(toFileOffset: 0)
        handle.write(Data(WAVFormat.header(sampleRate: OpusAudioEncoder.sampleRate, channels: channels, dataBytes: samplesWritten * 2)))
        try? handle.close()
    }
}
