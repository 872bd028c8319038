import CVPX

/// libvpx VP8 in real-time mode: constant bitrate, no lag, error resilient, a keyframe every
/// `keyframeInterval` frames and at once when asked (a unit's keyframe request).
public final class VP8Encoder {
    public struct Settings: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var framesPerSecond: Int
        public var kilobitsPerSecond: Int
        public var keyframeInterval: Int

        public init(width: Int, height: Int, framesPerSecond: Int = 25, kilobitsPerSecond: Int = 600, keyframeInterval: Int = 50) {
            self.width = width
            self.height = height
            self.framesPerSecond = framesPerSecond
            self.kilobitsPerSecond = kilobitsPerSecond
            self.keyframeInterval = keyframeInterval
        }
    }

    /// One compressed frame.
    public struct Frame: Sendable {
        public var bytes: [UInt8]
        public var isKeyframe: Bool
    }

    public let settings: Settings
    private var context = vpx_codec_ctx_t()
    private var framesSinceKeyframe = 0
    private var frameIndex: Int64 = 0

    public init(_ settings: Settings) throws {
        guard settings.width > 0, settings.height > 0, settings.width % 2 == 0, settings.height % 2 == 0,
            settings.width <= 4096, settings.height <= 4096
        else { throw MediaError.unsupportedFormat("video size \(settings.width)x\(settings.height); use even sizes up to 4096x4096") }
        self.settings = settings
        var config = vpx_codec_enc_cfg_t()
        try Self.check(vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &config, 0), "default configuration")
        config.g_w = UInt32(settings.width)
        config.g_h = UInt32(settings.height)
        config.g_timebase = vpx_rational(num: 1, den: Int32(settings.framesPerSecond))
        config.rc_target_bitrate = UInt32(settings.kilobitsPerSecond)
        config.rc_end_usage = VPX_CBR
        config.g_lag_in_frames = 0
        config.g_error_resilient = UInt32(VPX_ERROR_RESILIENT_DEFAULT)
        config.g_threads = 2
        config.rc_min_quantizer = 4
        config.rc_max_quantizer = 56
        config.rc_buf_sz = 1000
        config.rc_buf_initial_sz = 500
        config.rc_buf_optimal_sz = 600
        config.kf_mode = VPX_KF_AUTO
        config.kf_min_dist = 0
        config.kf_max_dist = UInt32(max(1, settings.keyframeInterval))
        try Self.check(avc_vpx_codec_enc_init(&context, vpx_codec_vp8_cx(), &config, 0), "encoder start")
        _ = avc_vpx_set_cpuused(&context, 8)
        _ = avc_vpx_set_static_threshold(&context, 1)
    }

    deinit { vpx_codec_destroy(&context) }

    /// Encodes one picture; `keyframe` forces an intra frame. Usually one frame comes back; none
    /// when the rate control drops the picture.
    public func encode(_ picture: I420Frame, keyframe forced: Bool = false) throws -> [Frame] {
        guard picture.width == settings.width, picture.height == settings.height else {
            throw MediaError.unsupportedFormat("picture \(picture.width)x\(picture.height) given to a \(settings.width)x\(settings.height) encoder")
        }
        let forceKeyframe = forced || framesSinceKeyframe + 1 >= settings.keyframeInterval
        var bytes = picture.bytes
        let status = bytes.withUnsafeMutableBufferPointer { pointer -> vpx_codec_err_t in
            var image = vpx_image_t()
            vpx_img_wrap(&image, VPX_IMG_FMT_I420, UInt32(settings.width), UInt32(settings.height), 1, pointer.baseAddress)
            let flags = forceKeyframe ? vpx_enc_frame_flags_t(avc_vpx_efl_force_kf) : 0
            return vpx_codec_encode(&context, &image, frameIndex, 1, flags, UInt(avc_vpx_dl_realtime))
        }
        try Self.check(status, "encoding")
        frameIndex += 1
        var frames: [Frame] = []
        var iterator: vpx_codec_iter_t? = nil
        while let packet = vpx_codec_get_cx_data(&context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let frame = packet.pointee.data.frame
            let data = UnsafeRawBufferPointer(start: frame.buf, count: frame.sz)
            let isKeyframe = frame.flags & vpx_codec_frame_flags_t(avc_vpx_frame_is_key) != 0
            frames.append(Frame(bytes: [UInt8](data), isKeyframe: isKeyframe))
        }
        if frames.contains(where: \.isKeyframe) { framesSinceKeyframe = 0 } else { framesSinceKeyframe += 1 }
        return frames
    }

    static func check(_ status: vpx_codec_err_t, _ what: String) throws {
        guard status == VPX_CODEC_OK else { throw MediaError.codec("VP8 \(what): \(String(cString: vpx_codec_err_to_string(status)))") }
    }
}
