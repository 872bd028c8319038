/// Where the broadcaster's pictures come from.
public protocol VideoSource: AnyObject {
    var width: Int { get }
    var height: Int { get }
    var framesPerSecond: Int { get }
    /// True when `next` waits for the camera's next frame; false when the caller paces it.
    var isRealTime: Bool { get }
    /// Names the source for the status line ("test pattern", "/dev/video0 YUYV 640x480").
    var label: String { get }
    func next() throws -> I420Frame
}
