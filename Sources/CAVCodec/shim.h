#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <string.h>

// An AAC decoder whose output is resampled to 48 kHz stereo 16-bit interleaved (what the Opus
// encoder takes). Written here rather than in Swift: FFmpeg's error codes and channel layouts
// are macros and nested structs Swift cannot reach cheaply.
typedef struct avc_aac_decoder {
    AVCodecContext *context;
    AVPacket *packet;
    AVFrame *frame;
    SwrContext *resampler;
} avc_aac_decoder;

static inline void avc_aac_close(avc_aac_decoder *d) {
    if (!d) return;
    swr_free(&d->resampler);
    av_frame_free(&d->frame);
    av_packet_free(&d->packet);
    avcodec_free_context(&d->context);
    av_free(d);
}

// `config`: the AudioSpecificConfig of the FLV AAC sequence header. NULL when FFmpeg refuses it.
static inline avc_aac_decoder *avc_aac_open(const uint8_t *config, int size) {
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_AAC);
    if (!codec || size <= 0 || size > 64) return NULL;
    avc_aac_decoder *d = av_mallocz(sizeof(avc_aac_decoder));
    if (!d) return NULL;
    d->context = avcodec_alloc_context3(codec);
    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->context || !d->packet || !d->frame) { avc_aac_close(d); return NULL; }
    d->context->extradata = av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!d->context->extradata) { avc_aac_close(d); return NULL; }
    memcpy(d->context->extradata, config, size);
    d->context->extradata_size = size;
    if (avcodec_open2(d->context, codec, NULL) < 0) { avc_aac_close(d); return NULL; }
    return d;
}

// Decodes one raw AAC frame into `out` (room for `capacity` stereo frames): the stereo frames
// written, or a negative FFmpeg error.
static inline int avc_aac_decode(avc_aac_decoder *d, const uint8_t *data, int size, int16_t *out, int capacity) {
    if (av_new_packet(d->packet, size) < 0) return AVERROR(ENOMEM);
    memcpy(d->packet->data, data, size);
    int status = avcodec_send_packet(d->context, d->packet);
    av_packet_unref(d->packet);
    if (status < 0) return status;
    int written = 0;
    while ((status = avcodec_receive_frame(d->context, d->frame)) >= 0) {
        if (!d->resampler) {
            AVChannelLayout stereo;
            av_channel_layout_default(&stereo, 2);
            if (swr_alloc_set_opts2(&d->resampler, &stereo, AV_SAMPLE_FMT_S16, 48000, &d->frame->ch_layout, d->frame->format,
                                    d->frame->sample_rate, 0, NULL) < 0 || swr_init(d->resampler) < 0) {
                av_frame_unref(d->frame);
                return AVERROR(EINVAL);
            }
        }
        uint8_t *target = (uint8_t *)(out + written * 2);
        int converted = swr_convert(d->resampler, &target, capacity - written, (const uint8_t **)d->frame->extended_data, d->frame->nb_samples);
        av_frame_unref(d->frame);
        if (converted < 0) return converted;
        written += converted;
    }
    return status == AVERROR(EAGAIN) || status == AVERROR_EOF ? written : status;
}

// An H.264 decoder for the viewer (Annex B access units in, I420 out), single-threaded with no
// frame delay: a live picture is shown as soon as its access unit is whole.
typedef struct avc_h264_decoder {
    AVCodecContext *context;
    AVPacket *packet;
    AVFrame *frame;
} avc_h264_decoder;

static inline void avc_h264_close(avc_h264_decoder *d) {
    if (!d) return;
    av_frame_free(&d->frame);
    av_packet_free(&d->packet);
    avcodec_free_context(&d->context);
    av_free(d);
}

static inline avc_h264_decoder *avc_h264_open(void) {
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    if (!codec) return NULL;
    avc_h264_decoder *d = av_mallocz(sizeof(avc_h264_decoder));
    if (!d) return NULL;
    d->context = avcodec_alloc_context3(codec);
    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->context || !d->packet || !d->frame) { avc_h264_close(d); return NULL; }
    d->context->thread_count = 1;
    d->context->flags |= AV_CODEC_FLAG_LOW_DELAY;
    if (avcodec_open2(d->context, codec, NULL) < 0) { avc_h264_close(d); return NULL; }
    return d;
}

// Decodes one access unit. A picture goes to `out` as I420 (room for `capacity` bytes) with its
// size in `width` and `height`: 1 when one came, 0 when none yet, negative on an error (a
// picture of another pixel format, or larger than `capacity`, is an error too).
static inline int avc_h264_decode(avc_h264_decoder *d, const uint8_t *data, int size, uint8_t *out, int capacity, int *width, int *height) {
    if (av_new_packet(d->packet, size) < 0) return AVERROR(ENOMEM);
    memcpy(d->packet->data, data, size);
    int status = avcodec_send_packet(d->context, d->packet);
    av_packet_unref(d->packet);
    if (status < 0) return status;
    int got = 0;
    while ((status = avcodec_receive_frame(d->context, d->frame)) >= 0) {
        AVFrame *f = d->frame;
        int w = f->width, h = f->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
        if ((f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) || w * h + 2 * cw * ch > capacity) {
            av_frame_unref(f);
            return AVERROR(EINVAL);
        }
        uint8_t *target = out;
        for (int y = 0; y < h; y++) memcpy(target + y * w, f->data[0] + y * f->linesize[0], w);
        target += w * h;
        for (int y = 0; y < ch; y++) memcpy(target + y * cw, f->data[1] + y * f->linesize[1], cw);
        target += cw * ch;
        for (int y = 0; y < ch; y++) memcpy(target + y * cw, f->data[2] + y * f->linesize[2], cw);
        *width = w;
        *height = h;
        got = 1;
        av_frame_unref(f);
    }
    return status == AVERROR(EAGAIN) || status == AVERROR_EOF ? got : status;
}
