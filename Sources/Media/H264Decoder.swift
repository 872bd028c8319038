import CAVCodec

/// H.264 for the viewer, through FFmpeg's decoder (libavcodec): Annex B access units in, I420
/// pictures out, one for each access unit that has one.
public final class H264Decoder {
    private let decoder: UnsafeMutablePointer<avc_h264_decoder>
    /// Room for a 4K picture; a larger one is refused.
    private var picture = [UInt8](repeating: 0, count: I420Frame.byteCount(width: 3840, height: 2160))

    public init() throws {
        guard let decoder = avc_h264_open() else { throw MediaError.codec("FFmpeg's H.264 decoder did not open (is libavcodec installed?)") }
        self.decoder = decoder
    }

    deinit { avc_h264_close(decoder) }

    /// The picture the access unit completes, if any; throws for one FFmpeg cannot decode.
    public func decode(_ accessUnit: [UInt8]) throws -> I420Frame? {
        var width: Int32 = 0
        var height: Int32 = 0
        let capacity = Int32(picture.count)
        let status = accessUnit.withUnsafeBufferPointer { input in
            picture.withUnsafeMutableBufferPointer { output in
                avc_h264_decode(decoder, input.baseAddress, Int32(input.count), output.baseAddress, capacity, &width, &height)
            }
        }
        guard status >= 0 else { throw MediaError.codec("H.264: an access unit FFmpeg cannot decode (error \(status))") }
        guard status == 1 else { return nil }
        return I420Frame(width: Int(width), height: Int(height), bytes: Array(picture.prefix(I420Frame.byteCount(width: Int(width), height: Int(height)))))
    }
}
