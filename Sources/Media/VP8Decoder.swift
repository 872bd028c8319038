import CVPX

/// libvpx VP8 decoding into `I420Frame`s (the viewer and the codec tests).
public final class VP8Decoder {
    private var context = vpx_codec_ctx_t()

    public init() throws {
        var config = vpx_codec_dec_cfg_t(threads: 1, w: 0, h: 0)
        try VP8Encoder.check(avc_vpx_codec_dec_init(&context, vpx_codec_vp8_dx(), &config, 0), "decoder start")
    }

    deinit { vpx_codec_destroy(&context) }

    /// Decodes one whole frame; nil when the frame shows nothing new.
    public func decode(_ frame: [UInt8]) throws -> I420Frame? {
        let status = frame.withUnsafeBufferPointer { vpx_codec_decode(&context, $0.baseAddress, UInt32($0.count), nil, 0) }
        try VP8Encoder.check(status, "decoding")
        var iterator: vpx_codec_iter_t? = nil
        var last: I420Frame?
        while let image = vpx_codec_get_frame(&context, &iterator) {
            last = Self.copy(image.pointee)
        }
        return last
    }

    /// Copies the three planes of a decoded image, dropping the row padding.
    static func copy(_ image: vpx_image_t) -> I420Frame {
        let width = Int(image.d_w), height = Int(image.d_h)
        var frame = I420Frame(width: width, height: height)
        let planes = [(image.planes.0, image.stride.0, width, height, 0),
                      (image.planes.1, image.stride.1, frame.chromaWidth, frame.chromaHeight, frame.uOffset),
                      (image.planes.2, image.stride.2, frame.chromaWidth, frame.chromaHeight, frame.vOffset)]
        frame.bytes.withUnsafeMutableBufferPointer { out in
            for (source, stride, planeWidth, planeHeight, offset) in planes {
                guard let source else { continue }
                for row in 0..<planeHeight {
                    (out.baseAddress! + offset + row * planeWidth).update(from: source + row * Int(stride), count: planeWidth)
                }
            }
        }
        return frame
    }
}
