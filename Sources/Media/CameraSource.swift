/// Pictures from a camera: negotiates a format through libv4lconvert (or takes the one named),
/// captures, converts to I420.
public final class CameraSource: VideoSource {
    public let device: CameraDevice
    public let framesPerSecond: Int
    public let source: CameraFormat
    public let output: CameraFormat
    private let converter: FrameConverter
    public var width: Int { output.width }
    public var height: Int { output.height }
    public var isRealTime: Bool { device.isRealTime }
    public var label: String { "\(device.name) \(source)" }

    /// `pixelFormat` captures in that format (a four-character code, as `--pixel-format YUYV`)
    /// instead of the one libv4lconvert finds best.
    public init(device: CameraDevice, width: Int, height: Int, framesPerSecond: Int, pixelFormat: UInt32? = nil) throws {
        self.device = device
        self.framesPerSecond = framesPerSecond
        converter = try device.makeConverter()
        let wanted = try pixelFormat.map { CameraFormat(pixelFormat: $0, width: width, height: height) }
            ?? converter.chooseSource(width: width, height: height).source
        let agreed = try device.setFormat(wanted)
        if let pixelFormat, agreed.pixelFormat != pixelFormat {
            throw MediaError.unsupportedFormat("\(device.name) does not capture in \(CameraFormat.name(of: pixelFormat)) (it offered \(agreed)); see broadcaster devices")
        }
        source = agreed
        // The device may still adjust the size; the picture follows what it agreed to, even.
        output = CameraFormat(pixelFormat: CameraFormat.i420, width: agreed.width & ~1, height: agreed.height & ~1)
        try device.start(framesPerSecond: framesPerSecond)
    }

    public func next() throws -> I420Frame {
        try converter.convert(try device.readFrame(), from: source, to: output)
    }
}
