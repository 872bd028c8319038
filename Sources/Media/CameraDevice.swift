/// The kernel side of a camera: the only part of the capture path that needs a real device.
/// `V4L2Device` talks to /dev/videoN; `EmulatedCamera` stands in for one where there is none.
public protocol CameraDevice: AnyObject {
    /// The device path or a name, for messages.
    var name: String { get }
    /// A converter from this device's formats to I420 (libv4lconvert knows what the device offers).
    func makeConverter() throws -> FrameConverter
    /// Sets the capture format; returns the one the device agreed to.
    func setFormat(_ format: CameraFormat) throws -> CameraFormat
    /// Starts streaming at about `framesPerSecond`.
    func start(framesPerSecond: Int) throws
    /// The next frame as the device gives it.
    func readFrame() throws -> [UInt8]
    /// True when `readFrame` waits for the device's clock.
    var isRealTime: Bool { get }
}
