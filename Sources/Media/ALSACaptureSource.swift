/// Sound from an ALSA capture device (`--audio default`, `--audio hw:1`, a plugin device).
public final class ALSACaptureSource: AudioSource {
    public let device: ALSADevice
    public var channels: Int { device.channels }
    public var isRealTime: Bool { true }

    public init(name: String, channels: Int) throws {
        device = try ALSADevice(name: name, channels: channels, capture: true)
    }

    public func read(frames: Int) throws -> [Int16] { try device.read(frames: frames) }
}
