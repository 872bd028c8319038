import Testing

@testable import Media

/// The capture path with the emulated camera: everything but the kernel calls.
@Suite struct CameraPathTests {
    @Test(arguments: [CameraFormat.yuyv, CameraFormat.rgb24])
    func libv4lconvertChoosesASizeTheCameraHasAndConvertsItsFrames(format: UInt32) throws {
        let camera = EmulatedCamera(pixelFormats: [format])
        let source = try CameraSource(device: camera, width: 600, height: 460, framesPerSecond: 25)
        #expect(source.source.pixelFormat == format)
        #expect(source.width == 640 && source.height == 480)
        let picture = try source.next()
        let pattern = TestPattern(width: 640, height: 480)
        for (index, colour) in TestPattern.bars.enumerated() {
            let centre = pattern.barCentre(index)
            #expect(picture.rgb(x: centre.x, y: centre.y).distance(to: colour) < 12)
        }
    }

    @Test func aMissingCameraSaysWhatToDo() {
        #expect {
            try V4L2Device(path: "/dev/video-none")
        } throws: { error in
            "\(error)".contains("--video test")
        }
    }
}
