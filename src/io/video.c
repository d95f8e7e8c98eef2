/* video.c: the FFmpeg-backed video writer and reader of video.h, the output dispatcher and the
 * parameters sidecar.
 *
 * What this is: thin, checked glue over libavformat/libavcodec/libswscale. The writer encodes
 * through a temporary file that is renamed into place only when complete; the reader feeds
 * libavformat through our own read/seek callbacks (a file descriptor or a memory buffer), with
 * whitelists of demuxers and decoders, and refuses any attempt of a demuxer to open another
 * file or URL.
 *
 * What this is not: a general transcoder (one video stream out, the best video stream in, no
 * audio), a frame-accurate seeker, or an owner of FFmpeg's global state beyond its log level. */
#define _GNU_SOURCE
#include "io/video.h"

#include "io/gif.h"
#include "io/png.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* Shared helpers                                                                              */
/* ------------------------------------------------------------------------------------------ */

static pthread_once_t video__once = PTHREAD_ONCE_INIT;
static void video__init_once(void) { av_log_set_level(getenv("MOSA_FFMPEG_LOG") ? AV_LOG_INFO : AV_LOG_QUIET); }
static void video__init(void) { pthread_once(&video__once, video__init_once); }

/* FFmpeg's text for an error code (a fresh buffer per call site, as av_err2str). */
#define VIDEO__ERR(e) av_make_error_string((char[AV_ERROR_MAX_STRING_SIZE]){0}, AV_ERROR_MAX_STRING_SIZE, (e))

/* Demuxers and decoders the reader accepts (FFmpeg names; a demuxer matches if any of its
 * comma-separated names is listed). */
static const char k_demuxers[] =
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,gif,apng,ivf,h264,hevc,m4v,mpeg,mpegts,yuv4mpegpipe,flv,ogg";
static const char k_decoders[] =
    "h264,hevc,mpeg4,msmpeg4,msmpeg4v2,mpeg1video,mpeg2video,vp8,libvpx,vp9,libvpx-vp9,av1,libdav1d,libaom-av1,"
    "mjpeg,gif,png,apng,ffv1,rawvideo,theora";

/* The extension of path without the dot, lower-cased into ext[cap] ("" if none). */
static void video__ext(const char *path, char *ext, size_t cap) {
    ext[0] = 0;
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1)) return;
    size_t i = 0;
    for (const char *p = dot + 1; *p && i + 1 < cap; p++) ext[i++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    ext[i] = 0;
}

static mosa_status video__fsync_dir(const char *path) {
    char *copy = mosa_strdup(path);
    if (!copy) return mosa_fail_context(MOSA_ERR_NOMEM, "syncing the directory of '%s'", path);
    const char *dir = dirname(copy);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    mosa_status s = MOSA_OK;
    if (dfd < 0) {
        s = mosa_fail(MOSA_ERR_IO, "cannot open directory '%s' to sync it: %s", dir, strerror(errno));
    } else {
        if (fsync(dfd) != 0 && errno != EINVAL)
            s = mosa_fail(MOSA_ERR_IO, "cannot sync directory '%s': %s", dir, strerror(errno));
        close(dfd);
    }
    mosa_free(copy);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Containers and encoders                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct video__container {
    const char *ext, *muxer;
    const char *encoders[3];
} video__container;

static const video__container k_containers[] = {
    {"mp4", "mp4", {"libx264", "mpeg4", NULL}},
    {"mov", "mov", {"libx264", "mpeg4", NULL}},
    {"mkv", "matroska", {"libx264", "mpeg4", NULL}},
    {"webm", "webm", {"libvpx-vp9", "libvpx", NULL}},
    {"avi", "avi", {"mpeg4", "mjpeg", NULL}},
};

static const video__container *video__container_of(const char *path) {
    char ext[16];
    video__ext(path, ext, sizeof ext);
    for (size_t i = 0; i < sizeof k_containers / sizeof k_containers[0]; i++)
        if (!strcmp(ext, k_containers[i].ext)) return &k_containers[i];
    return NULL;
}

/* The first encoder of c that this libavcodec has, or NULL. */
static const AVCodec *video__encoder_of(const video__container *c) {
    for (int i = 0; i < 3 && c->encoders[i]; i++) {
        const AVCodec *codec = avcodec_find_encoder_by_name(c->encoders[i]);
        if (codec) return codec;
    }
    return NULL;
}

/* Quality settings for skeleton videos (crisp lines): near-transparent quality. */
static void video__configure(AVCodecContext *enc, const char *name, AVDictionary **opts) {
    if (!strcmp(name, "libx264")) {
        av_dict_set(opts, "crf", "18", 0);
        av_dict_set(opts, "preset", "medium", 0);
    } else if (!strcmp(name, "libvpx-vp9")) {
        enc->bit_rate = 0;
        av_dict_set(opts, "crf", "18", 0);
        av_dict_set(opts, "deadline", "good", 0);
        av_dict_set(opts, "cpu-used", "4", 0);
    } else if (!strcmp(name, "libvpx")) {
        enc->bit_rate = 8000000;
        av_dict_set(opts, "crf", "6", 0);
        av_dict_set(opts, "deadline", "good", 0);
    } else { /* mpeg4, mjpeg: fixed quantiser 2 (ffmpeg -q:v 2) */
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = FF_QP2LAMBDA * 2;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Writer                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void video__writer_free(video_writer *w, bool remove_tmp) {
    if (w->fmt) {
        if (w->fmt->pb) avio_closep(&w->fmt->pb);
        avformat_free_context(w->fmt);
    }
    if (w->enc) avcodec_free_context(&w->enc);
    if (w->frame) av_frame_free(&w->frame);
    if (w->rgb) av_frame_free(&w->rgb);
    if (w->pkt) av_packet_free(&w->pkt);
    if (w->sws) sws_freeContext(w->sws);
    if (remove_tmp && w->tmp_path) unlink(w->tmp_path);
    mosa_free(w->path);
    mosa_free(w->tmp_path);
    memset(w, 0, sizeof *w);
}

void video_writer_abort(video_writer *w) {
    if (w) video__writer_free(w, true);
}

mosa_status video_writer_open(video_writer *w, const char *path, int width, int height, double fps,
                              const char *parameters) {
    memset(w, 0, sizeof *w);
    video__init();
    if (!path || !*path) return mosa_fail(MOSA_ERR_ARG, "video writer: empty output path");
    if (width < 1 || height < 1 || width > IMAGE_MAX_DIM || height > IMAGE_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "%s: frame size %dx%d is out of range 1..%d", path, width, height, IMAGE_MAX_DIM);
    if (!(fps > 0 && fps <= VIDEO_MAX_FPS))
        return mosa_fail(MOSA_ERR_ARG, "%s: fps %g is out of range (0, %g]", path, fps, VIDEO_MAX_FPS);
    const video__container *c = video__container_of(path);
    if (!c)
        return mosa_fail(MOSA_ERR_ARG, "%s: not a video container extension; use .mp4, .mov, .mkv, .webm or .avi "
                         "(or video_write_auto for .gif and PNG outputs)", path);
    const AVCodec *codec = video__encoder_of(c);
    if (!codec)
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: this FFmpeg has none of the encoders for .%s (%s%s%s); use .mp4 or .gif",
                         path, c->ext, c->encoders[0], c->encoders[1] ? ", " : "", c->encoders[1] ? c->encoders[1] : "");
    if (!av_guess_format(c->muxer, NULL, NULL))
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: this FFmpeg has no '%s' muxer", path, c->muxer);

    mosa_status s = MOSA_OK;
    int ret = 0;
    AVDictionary *opts = NULL, *hopts = NULL;
    char *url = NULL;
    w->encoder = codec->name;
    w->width = width;
    w->height = height;
    w->enc_width = width + (width & 1);
    w->enc_height = height + (height & 1);
    w->fps = fps;
    w->path = mosa_strdup(path);
    size_t tlen = strlen(path) + 32;
    w->tmp_path = mosa_malloc(tlen);
    url = mosa_malloc(tlen + 8);
    if (!w->path || !w->tmp_path || !url) {
        s = mosa_fail_context(MOSA_ERR_NOMEM, "opening video writer for '%s'", path);
        goto fail;
    }
    snprintf(w->tmp_path, tlen, "%s.tmp.%ld", path, (long)getpid());
    snprintf(url, tlen + 8, "file:%s", w->tmp_path); /* "file:" so no other protocol is ever parsed */

    ret = avformat_alloc_output_context2(&w->fmt, NULL, c->muxer, url);
    if (ret < 0 || !w->fmt) {
        s = mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: cannot set up the %s muxer: %s", path, c->muxer, VIDEO__ERR(ret));
        goto fail;
    }
    w->st = avformat_new_stream(w->fmt, NULL);
    w->enc = avcodec_alloc_context3(codec);
    w->frame = av_frame_alloc();
    w->rgb = av_frame_alloc();
    w->pkt = av_packet_alloc();
    if (!w->st || !w->enc || !w->frame || !w->rgb || !w->pkt) {
        s = mosa_fail(MOSA_ERR_NOMEM, "%s: FFmpeg could not allocate the encoder state", path);
        goto fail;
    }
    AVRational fr = av_d2q(fps, 100000);
    bool jpeg = !strcmp(codec->name, "mjpeg");
    w->enc->width = w->enc_width;
    w->enc->height = w->enc_height;
    w->enc->pix_fmt = jpeg ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    w->enc->time_base = av_inv_q(fr);
    w->enc->framerate = fr;
    w->enc->sample_aspect_ratio = (AVRational){1, 1};
    w->enc->colorspace = AVCOL_SPC_BT709;
    w->enc->color_primaries = AVCOL_PRI_BT709;
    w->enc->color_trc = AVCOL_TRC_BT709;
    w->enc->color_range = jpeg ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    if (w->fmt->oformat->flags & AVFMT_GLOBALHEADER) w->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    video__configure(w->enc, codec->name, &opts);
    ret = avcodec_open2(w->enc, codec, &opts);
    if (ret < 0) {
        s = mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: cannot open the %s encoder for %dx%d at %g fps: %s", path, codec->name,
                      w->enc_width, w->enc_height, fps, VIDEO__ERR(ret));
        goto fail;
    }
    ret = avcodec_parameters_from_context(w->st->codecpar, w->enc);
    if (ret < 0) {
        s = mosa_fail(MOSA_ERR_INTERNAL, "%s: cannot copy encoder parameters: %s", path, VIDEO__ERR(ret));
        goto fail;
    }
    w->st->time_base = w->enc->time_base;
    w->st->avg_frame_rate = fr;
    w->st->sample_aspect_ratio = w->enc->sample_aspect_ratio;
    if (parameters && av_dict_set(&w->fmt->metadata, "comment", parameters, 0) < 0) {
        s = mosa_fail(MOSA_ERR_NOMEM, "%s: cannot store the parameters metadata", path);
        goto fail;
    }

    w->frame->format = w->enc->pix_fmt;
    w->frame->width = w->enc_width;
    w->frame->height = w->enc_height;
    w->rgb->format = AV_PIX_FMT_RGB24;
    w->rgb->width = w->enc_width;
    w->rgb->height = w->enc_height;
    ret = av_frame_get_buffer(w->frame, 0);
    if (ret >= 0) ret = av_frame_get_buffer(w->rgb, 0);
    if (ret < 0) {
        s = mosa_fail(MOSA_ERR_NOMEM, "%s: cannot allocate a frame: %s", path, VIDEO__ERR(ret));
        goto fail;
    }
    w->sws = sws_getContext(w->enc_width, w->enc_height, AV_PIX_FMT_RGB24, w->enc_width, w->enc_height,
                            w->enc->pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND, NULL, NULL, NULL);
    if (!w->sws) {
        s = mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: libswscale cannot convert RGB24 to %s", path,
                      av_get_pix_fmt_name(w->enc->pix_fmt));
        goto fail;
    }
    const int *bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(w->sws, bt709, 1, bt709, jpeg ? 1 : 0, 0, 1 << 16, 1 << 16);

    ret = avio_open(&w->fmt->pb, url, AVIO_FLAG_WRITE);
    if (ret < 0) {
        s = mosa_fail(MOSA_ERR_IO, "cannot create '%s': %s", w->tmp_path, VIDEO__ERR(ret));
        goto fail;
    }
    if (!strcmp(c->muxer, "mp4") || !strcmp(c->muxer, "mov")) av_dict_set(&hopts, "movflags", "+faststart", 0);
    ret = avformat_write_header(w->fmt, &hopts);
    if (ret < 0) {
        s = mosa_fail(MOSA_ERR_IO, "%s: cannot write the %s header: %s", path, c->muxer, VIDEO__ERR(ret));
        goto fail;
    }
    w->header_written = true;
    av_dict_free(&opts);
    av_dict_free(&hopts);
    mosa_free(url);
    return MOSA_OK;
fail:
    av_dict_free(&opts);
    av_dict_free(&hopts);
    mosa_free(url);
    video__writer_free(w, true);
    return s;
}

/* Sends frame (NULL to flush) to the encoder and writes every packet it returns. */
static mosa_status video__encode(video_writer *w, AVFrame *frame) {
    int ret = avcodec_send_frame(w->enc, frame);
    if (ret < 0)
        return mosa_fail(MOSA_ERR_IO, "%s: the %s encoder refused frame %lld: %s", w->path, w->encoder,
                         (long long)w->n_frames, VIDEO__ERR(ret));
    for (;;) {
        ret = avcodec_receive_packet(w->enc, w->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return MOSA_OK;
        if (ret < 0) return mosa_fail(MOSA_ERR_IO, "%s: encoding failed: %s", w->path, VIDEO__ERR(ret));
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->st->time_base);
        w->pkt->stream_index = w->st->index;
        ret = av_interleaved_write_frame(w->fmt, w->pkt);
        if (ret < 0) return mosa_fail(MOSA_ERR_IO, "cannot write '%s': %s", w->tmp_path, VIDEO__ERR(ret));
    }
}

mosa_status video_writer_add(video_writer *w, const image *im) {
    if (!w || !w->header_written) return mosa_fail(MOSA_ERR_ARG, "video writer is not open");
    char what[64];
    snprintf(what, sizeof what, "frame %lld for '%s'", (long long)w->n_frames, w->path);
    MOSA_TRY(image_check(im, what));
    if (im->w != w->width || im->h != w->height)
        return mosa_fail(MOSA_ERR_ARG, "%s: frame %lld is %dx%d but the video is %dx%d", w->path, (long long)w->n_frames,
                         im->w, im->h, w->width, w->height);
    /* into the aligned staging frame; an odd size repeats the last column and row */
    for (int y = 0; y < w->enc_height; y++) {
        const uint8_t *row = image_px(im, 0, y < im->h ? y : im->h - 1);
        uint8_t *dst = w->rgb->data[0] + (size_t)y * w->rgb->linesize[0];
        memcpy(dst, row, (size_t)im->w * 3);
        if (w->enc_width > im->w) memcpy(dst + (size_t)im->w * 3, row + (size_t)(im->w - 1) * 3, 3);
    }
    int ret = av_frame_make_writable(w->frame);
    if (ret < 0) return mosa_fail(MOSA_ERR_NOMEM, "%s: cannot make the frame writable: %s", w->path, VIDEO__ERR(ret));
    ret = sws_scale(w->sws, (const uint8_t *const *)w->rgb->data, w->rgb->linesize, 0, w->enc_height, w->frame->data,
                    w->frame->linesize);
    if (ret < 0) return mosa_fail(MOSA_ERR_INTERNAL, "%s: colour conversion failed: %s", w->path, VIDEO__ERR(ret));
    w->frame->pts = w->n_frames;
    if (w->enc->flags & AV_CODEC_FLAG_QSCALE) w->frame->quality = w->enc->global_quality;
    MOSA_TRY(video__encode(w, w->frame));
    w->n_frames++;
    return MOSA_OK;
}

mosa_status video_writer_close(video_writer *w) {
    if (!w || !w->header_written) {
        if (w) video__writer_free(w, true);
        return mosa_fail(MOSA_ERR_ARG, "video writer is not open");
    }
    mosa_status s = MOSA_OK;
    if (w->n_frames == 0) {
        s = mosa_fail(MOSA_ERR_ARG, "%s: no frames were added; nothing written", w->path);
        video__writer_free(w, true);
        return s;
    }
    s = video__encode(w, NULL);
    int ret = 0;
    if (s == MOSA_OK && (ret = av_write_trailer(w->fmt)) < 0)
        s = mosa_fail(MOSA_ERR_IO, "cannot finish '%s': %s", w->tmp_path, VIDEO__ERR(ret));
    if (s == MOSA_OK && (ret = avio_closep(&w->fmt->pb)) < 0)
        s = mosa_fail(MOSA_ERR_IO, "cannot write '%s': %s", w->tmp_path, VIDEO__ERR(ret));
    if (s == MOSA_OK) {
        int fd = open(w->tmp_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0)
            s = mosa_fail(MOSA_ERR_IO, "cannot sync '%s': %s", w->tmp_path, strerror(errno));
        if (fd >= 0) close(fd);
    }
    if (s == MOSA_OK && rename(w->tmp_path, w->path) != 0)
        s = mosa_fail(MOSA_ERR_IO, "cannot rename '%s' to '%s': %s", w->tmp_path, w->path, strerror(errno));
    if (s == MOSA_OK) s = video__fsync_dir(w->path);
    video__writer_free(w, s != MOSA_OK);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Reader: input through our own callbacks                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct video__source {
    int fd;                /* -1 for memory */
    const uint8_t *mem;
    size_t len;
    int64_t pos;
    AVIOContext *avio;
} video__source;

static int video__read_cb(void *opaque, uint8_t *buf, int size) {
    video__source *src = opaque;
    if (src->fd < 0) {
        if ((uint64_t)src->pos >= src->len) return AVERROR_EOF;
        size_t n = src->len - (size_t)src->pos;
        if (n > (size_t)size) n = (size_t)size;
        memcpy(buf, src->mem + src->pos, n);
        src->pos += (int64_t)n;
        return (int)n;
    }
    for (;;) {
        ssize_t n = read(src->fd, buf, (size_t)size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return AVERROR(errno);
        if (n == 0) return AVERROR_EOF;
        return (int)n;
    }
}

static int64_t video__seek_cb(void *opaque, int64_t offset, int whence) {
    video__source *src = opaque;
    int64_t size;
    if (src->fd < 0) {
        size = (int64_t)src->len;
    } else {
        struct stat st;
        if (fstat(src->fd, &st) != 0) return AVERROR(errno);
        size = st.st_size;
    }
    if (whence & AVSEEK_SIZE) return size;
    whence &= ~AVSEEK_FORCE;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? src->pos : whence == SEEK_END ? size : -1;
    if (base < 0) return AVERROR(EINVAL);
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) return AVERROR(EINVAL);
    int64_t to = base + offset;
    if (src->fd >= 0) {
        off_t r = lseek(src->fd, (off_t)to, SEEK_SET);
        if (r < 0) return AVERROR(errno);
    } else if (to > size) {
        return AVERROR(EINVAL);
    }
    src->pos = to;
    return to;
}

/* Demuxers may try to open other files (playlists, references); nothing is opened. */
static int video__io_refuse(AVFormatContext *s, AVIOContext **pb, const char *url, int flags, AVDictionary **options) {
    (void)s, (void)pb, (void)url, (void)flags, (void)options;
    return AVERROR(EPERM);
}

void video_reader_close(video_reader *r) {
    if (!r) return;
    if (r->fmt) avformat_close_input(&r->fmt);
    if (r->dec) avcodec_free_context(&r->dec);
    if (r->frame) av_frame_free(&r->frame);
    if (r->rgb) av_frame_free(&r->rgb);
    if (r->pkt) av_packet_free(&r->pkt);
    if (r->sws) sws_freeContext(r->sws);
    if (r->src) {
        if (r->src->avio) {
            av_freep(&r->src->avio->buffer);
            avio_context_free(&r->src->avio);
        }
        if (r->src->fd >= 0) close(r->src->fd);
        mosa_free(r->src);
    }
    mosa_free(r->name);
    memset(r, 0, sizeof *r);
}

/* Opens the container over r->src and validates the video stream; r->name is set. */
static mosa_status video__reader_start(video_reader *r) {
    const char *name = r->name;
    int ret;
    uint8_t *buf = av_malloc(65536);
    if (!buf) return mosa_fail(MOSA_ERR_NOMEM, "%s: cannot allocate an I/O buffer", name);
    r->src->avio = avio_alloc_context(buf, 65536, 0, r->src, video__read_cb, NULL, video__seek_cb);
    if (!r->src->avio) {
        av_free(buf);
        return mosa_fail(MOSA_ERR_NOMEM, "%s: cannot allocate an I/O context", name);
    }
    AVFormatContext *fmt = avformat_alloc_context();
    if (!fmt) return mosa_fail(MOSA_ERR_NOMEM, "%s: cannot allocate a format context", name);
    fmt->pb = r->src->avio;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    fmt->io_open = video__io_refuse;
    fmt->max_streams = 64;
    fmt->format_whitelist = av_strdup(k_demuxers);
    fmt->codec_whitelist = av_strdup(k_decoders);
    fmt->protocol_whitelist = av_strdup("none");
    if (!fmt->format_whitelist || !fmt->codec_whitelist || !fmt->protocol_whitelist) {
        avformat_free_context(fmt);
        return mosa_fail(MOSA_ERR_NOMEM, "%s: out of memory", name);
    }
    ret = avformat_open_input(&fmt, name, NULL, NULL); /* frees fmt on failure */
    if (ret < 0)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: not a readable video (supported containers: MP4/MOV, MKV/WebM, AVI, "
                         "GIF, ...): %s", name, VIDEO__ERR(ret));
    r->fmt = fmt;
    const int64_t max_px = (int64_t)r->lim.max_dim * r->lim.max_dim;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVCodecParameters *par = fmt->streams[i]->codecpar;
        if (par->codec_type == AVMEDIA_TYPE_VIDEO && (par->width > r->lim.max_dim || par->height > r->lim.max_dim))
            return mosa_fail(MOSA_ERR_FORMAT, "%s: stream %u declares %dx%d pixels, larger than the %dx%d limit", name, i,
                             par->width, par->height, r->lim.max_dim, r->lim.max_dim);
    }
    /* one options dictionary per stream known now (finding the stream info may add streams:
     * only these first n are read, and only these are freed) */
    const unsigned n_opts = fmt->nb_streams;
    AVDictionary **sopts = av_calloc(n_opts ? n_opts : 1, sizeof *sopts);
    if (!sopts) return mosa_fail(MOSA_ERR_NOMEM, "%s: out of memory", name);
    for (unsigned i = 0; i < n_opts; i++) {
        av_dict_set_int(&sopts[i], "max_pixels", max_px, 0);
        av_dict_set(&sopts[i], "threads", "1", 0);
    }
    ret = avformat_find_stream_info(fmt, sopts);
    for (unsigned i = 0; i < n_opts; i++) av_dict_free(&sopts[i]);
    av_free(sopts);
    if (ret < 0) return mosa_fail(MOSA_ERR_FORMAT, "%s: cannot read the stream information: %s", name, VIDEO__ERR(ret));

    const AVCodec *codec = NULL;
    ret = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (ret == AVERROR_DECODER_NOT_FOUND) {
        int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
        enum AVCodecID id = si >= 0 ? fmt->streams[si]->codecpar->codec_id : AV_CODEC_ID_NONE;
        if (id == AV_CODEC_ID_NONE)
            return mosa_fail(MOSA_ERR_FORMAT, "%s: the video stream's codec is not identified (damaged or truncated file?)",
                             name);
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: video codec '%s' has no decoder in this FFmpeg", name,
                         avcodec_get_name(id));
    }
    if (ret < 0) return mosa_fail(MOSA_ERR_FORMAT, "%s: no video stream", name);
    r->stream = ret;
    AVStream *st = fmt->streams[r->stream];
    if (!codec || av_match_list(codec->name, k_decoders, ',') <= 0)
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: video codec '%s' is not among the accepted ones (%s)", name,
                         codec ? codec->name : avcodec_get_name(st->codecpar->codec_id), k_decoders);
    r->codec = codec->name;
    r->width = st->codecpar->width;
    r->height = st->codecpar->height;
    if (r->width < 1 || r->height < 1 || r->width > r->lim.max_dim || r->height > r->lim.max_dim)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: video stream size %dx%d is out of range 1..%d", name, r->width, r->height,
                         r->lim.max_dim);
    r->n_frames = st->nb_frames > 0 ? st->nb_frames : -1;
    if (r->n_frames > r->lim.max_frames)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: the container declares %lld frames, more than the limit of %lld", name,
                         (long long)r->n_frames, (long long)r->lim.max_frames);
    AVRational fr = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate : st->r_frame_rate;
    r->fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
    if (!(r->fps > 0 && r->fps <= VIDEO_MAX_FPS)) r->fps = 0;

    r->dec = avcodec_alloc_context3(codec);
    r->frame = av_frame_alloc();
    r->rgb = av_frame_alloc();
    r->pkt = av_packet_alloc();
    if (!r->dec || !r->frame || !r->rgb || !r->pkt) return mosa_fail(MOSA_ERR_NOMEM, "%s: cannot allocate decoder state", name);
    ret = avcodec_parameters_to_context(r->dec, st->codecpar);
    if (ret < 0) return mosa_fail(MOSA_ERR_FORMAT, "%s: bad codec parameters: %s", name, VIDEO__ERR(ret));
    r->dec->max_pixels = max_px;
    r->dec->thread_count = 1;
    r->dec->pkt_timebase = st->time_base;
    ret = avcodec_open2(r->dec, codec, NULL);
    if (ret < 0)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: cannot open the %s decoder: %s", name, codec->name, VIDEO__ERR(ret));
    return MOSA_OK;
}

static mosa_status video__reader_open_src(video_reader *r, video__source *src, const char *name,
                                          const video_reader_limits *lim) {
    r->src = src;
    r->name = mosa_strdup(name);
    r->lim.max_dim = lim && lim->max_dim > 0 && lim->max_dim < IMAGE_MAX_DIM ? lim->max_dim : IMAGE_MAX_DIM;
    r->lim.max_frames = lim && lim->max_frames > 0 && lim->max_frames < VIDEO_MAX_FRAMES ? lim->max_frames : VIDEO_MAX_FRAMES;
    mosa_status s = r->name ? video__reader_start(r) : mosa_fail_context(MOSA_ERR_NOMEM, "opening '%s'", name);
    if (s != MOSA_OK) video_reader_close(r);
    return s;
}

mosa_status video_reader_open(video_reader *r, const char *path) {
    memset(r, 0, sizeof *r);
    video__init();
    if (!path || !*path) return mosa_fail(MOSA_ERR_ARG, "video reader: empty path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mosa_fail(MOSA_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mosa_fail(MOSA_ERR_IO, "'%s' is not a regular file", path);
    }
    video__source *src = mosa_calloc(1, sizeof *src);
    if (!src) {
        close(fd);
        return mosa_fail_context(MOSA_ERR_NOMEM, "opening '%s'", path);
    }
    src->fd = fd;
    return video__reader_open_src(r, src, path, NULL);
}

mosa_status video_reader_open_mem(video_reader *r, const uint8_t *data, size_t n, const char *name,
                                  const video_reader_limits *lim) {
    memset(r, 0, sizeof *r);
    video__init();
    if (!name) name = "video data";
    if (!data && n) return mosa_fail(MOSA_ERR_ARG, "%s: data is NULL", name);
    video__source *src = mosa_calloc(1, sizeof *src);
    if (!src) return mosa_fail_context(MOSA_ERR_NOMEM, "opening '%s'", name);
    src->fd = -1;
    src->mem = data;
    src->len = n;
    return video__reader_open_src(r, src, name, lim);
}

/* Converts r->frame into *out as RGB8. */
static mosa_status video__convert(video_reader *r, image *out) {
    AVFrame *f = r->frame;
    if (f->width < 1 || f->height < 1 || f->width > r->lim.max_dim || f->height > r->lim.max_dim)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: decoded frame %lld has size %dx%d, out of range 1..%d", r->name,
                         (long long)r->frames_read, f->width, f->height, r->lim.max_dim);
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get((enum AVPixelFormat)f->format);
    if (!desc) return mosa_fail(MOSA_ERR_FORMAT, "%s: decoded frame has an unknown pixel format", r->name);
    r->sws = sws_getCachedContext(r->sws, f->width, f->height, (enum AVPixelFormat)f->format, f->width, f->height,
                                  AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL,
                                  NULL);
    if (!r->sws)
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "%s: cannot convert pixel format %s to RGB", r->name, desc->name);
    if (!(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && desc->nb_components >= 3) {
        bool full = f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P ||
                    f->format == AV_PIX_FMT_YUVJ422P || f->format == AV_PIX_FMT_YUVJ444P;
        int cs = f->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
        const int *coef = sws_getCoefficients(cs);
        sws_setColorspaceDetails(r->sws, coef, full ? 1 : 0, coef, 1, 0, 1 << 16, 1 << 16);
    }
    if (r->rgb->width != f->width || r->rgb->height != f->height) {
        av_frame_unref(r->rgb);
        r->rgb->format = AV_PIX_FMT_RGB24;
        r->rgb->width = f->width;
        r->rgb->height = f->height;
        int ret = av_frame_get_buffer(r->rgb, 0);
        if (ret < 0) {
            r->rgb->width = r->rgb->height = 0;
            return mosa_fail(MOSA_ERR_NOMEM, "%s: cannot allocate a %dx%d RGB frame: %s", r->name, f->width, f->height,
                             VIDEO__ERR(ret));
        }
    }
    int ret = sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, r->rgb->data,
                        r->rgb->linesize);
    if (ret < 0) return mosa_fail(MOSA_ERR_INTERNAL, "%s: colour conversion failed: %s", r->name, VIDEO__ERR(ret));
    if (!out->rgb || out->w != f->width || out->h != f->height) {
        image_free(out);
        MOSA_TRY(image_alloc(out, f->width, f->height));
    }
    for (int y = 0; y < out->h; y++)
        memcpy(image_px(out, 0, y), r->rgb->data[0] + (size_t)y * r->rgb->linesize[0], (size_t)out->w * 3);
    return MOSA_OK;
}

mosa_status video_reader_next(video_reader *r, image *out, bool *got) {
    *got = false;
    if (!r || !r->dec) return mosa_fail(MOSA_ERR_ARG, "video reader is not open");
    if (r->eof) return MOSA_OK;
    for (;;) {
        int ret = avcodec_receive_frame(r->dec, r->frame);
        if (ret == 0) {
            if (r->frames_read >= r->lim.max_frames) {
                av_frame_unref(r->frame);
                return mosa_fail(MOSA_ERR_FORMAT, "%s: more than %lld frames; refusing to read further", r->name,
                                 (long long)r->lim.max_frames);
            }
            mosa_status s = video__convert(r, out);
            av_frame_unref(r->frame);
            if (s != MOSA_OK) return s;
            r->frames_read++;
            *got = true;
            return MOSA_OK;
        }
        if (ret == AVERROR_EOF) {
            r->eof = true;
            return MOSA_OK;
        }
        if (ret != AVERROR(EAGAIN))
            return mosa_fail(MOSA_ERR_FORMAT, "%s: decoding frame %lld failed: %s", r->name, (long long)r->frames_read,
                             VIDEO__ERR(ret));
        if (r->draining) { /* a drained decoder should report EOF, not EAGAIN */
            r->eof = true;
            return MOSA_OK;
        }
        ret = av_read_frame(r->fmt, r->pkt);
        if (ret == AVERROR_EOF || (ret < 0 && avio_feof(r->fmt->pb))) {
            r->draining = true;
            avcodec_send_packet(r->dec, NULL);
            continue;
        }
        if (ret < 0)
            return mosa_fail(MOSA_ERR_FORMAT, "%s: cannot read the next packet after %lld frames: %s", r->name,
                             (long long)r->frames_read, VIDEO__ERR(ret));
        if (r->pkt->stream_index != r->stream) {
            av_packet_unref(r->pkt);
            continue;
        }
        ret = avcodec_send_packet(r->dec, r->pkt);
        av_packet_unref(r->pkt);
        if (ret == AVERROR_INVALIDDATA) {
            if (++r->corrupt_packets > 1000)
                return mosa_fail(MOSA_ERR_FORMAT, "%s: more than 1000 corrupt packets; giving up", r->name);
            continue;
        }
        if (ret < 0 && ret != AVERROR(EAGAIN))
            return mosa_fail(MOSA_ERR_FORMAT, "%s: the decoder refused a packet: %s", r->name, VIDEO__ERR(ret));
    }
}

const char *video_reader_metadata(const video_reader *r, const char *key) {
    if (!r || !r->fmt || !key) return NULL;
    AVDictionaryEntry *e = av_dict_get(r->fmt->metadata, key, NULL, 0);
    if (!e && r->stream >= 0 && (unsigned)r->stream < r->fmt->nb_streams)
        e = av_dict_get(r->fmt->streams[r->stream]->metadata, key, NULL, 0);
    return e ? e->value : NULL;
}

void video_frames_free(image *frames, int n) {
    if (!frames) return;
    for (int i = 0; i < n; i++) image_free(&frames[i]);
    mosa_free(frames);
}

mosa_status video_read_all(const char *path, int max_frames, image **frames, int *n, double *fps) {
    *frames = NULL;
    *n = 0;
    if (max_frames <= 0 || max_frames > VIDEO_MAX_FRAMES) max_frames = VIDEO_MAX_FRAMES;
    video_reader r;
    MOSA_TRY(video_reader_open(&r, path));
    if (fps) *fps = r.fps;
    image *arr = NULL;
    int count = 0, cap = 0;
    mosa_status s = MOSA_OK;
    for (;;) {
        if (count == cap) {
            int ncap = cap ? cap * 2 : 16;
            image *na = mosa_realloc(arr, (size_t)ncap * sizeof *na);
            if (!na) {
                s = mosa_fail_context(MOSA_ERR_NOMEM, "reading '%s'", path);
                break;
            }
            memset(na + cap, 0, (size_t)(ncap - cap) * sizeof *na);
            arr = na;
            cap = ncap;
        }
        bool got;
        s = video_reader_next(&r, &arr[count], &got);
        if (s != MOSA_OK || !got) break;
        if (++count > max_frames) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: more than %d frames", path, max_frames);
            break;
        }
    }
    video_reader_close(&r);
    if (s != MOSA_OK) {
        video_frames_free(arr, cap);
        return s;
    }
    for (int i = count; i < cap; i++) image_free(&arr[i]);
    *frames = arr;
    *n = count;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Dispatch and sidecar                                                                        */
/* ------------------------------------------------------------------------------------------ */

static bool video__is_dir(const char *path) {
    struct stat st;
    size_t n = strlen(path);
    return (n > 0 && path[n - 1] == '/') || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

mosa_status video_output_kind_of(const char *path, video_output_kind *kind, const char **encoder) {
    video__init();
    if (kind) *kind = VIDEO_OUT_CONTAINER;
    if (encoder) *encoder = NULL;
    if (!path || !*path) return mosa_fail(MOSA_ERR_ARG, "empty output path");
    char ext[16];
    video__ext(path, ext, sizeof ext);
    video_output_kind k;
    if (video__is_dir(path)) {
        k = VIDEO_OUT_PNG_DIR;
    } else if (png_is_sequence_pattern(path)) {
        if (strcmp(ext, "png"))
            return mosa_fail(MOSA_ERR_ARG, "'%s': a %%d pattern is only supported for PNG sequences (e.g. out_%%03d.png)",
                             path);
        char tmp[4096];
        MOSA_TRY(png_sequence_path(path, 0, tmp, sizeof tmp));
        k = VIDEO_OUT_PNG_SEQUENCE;
    } else if (!strcmp(ext, "png")) {
        k = VIDEO_OUT_PNG;
    } else if (!strcmp(ext, "gif")) {
        k = VIDEO_OUT_GIF;
    } else {
        const video__container *c = video__container_of(path);
        if (!c)
            return mosa_fail(MOSA_ERR_ARG,
                             "'%s': unknown output type '%s%s'; use .mp4, .mov, .mkv, .webm, .avi, .gif, .png, a PNG "
                             "pattern such as frames_%%03d.png, or a directory ending in '/'",
                             path, ext[0] ? "." : "", ext[0] ? ext : "(no extension)");
        const AVCodec *codec = video__encoder_of(c);
        if (!codec)
            return mosa_fail(MOSA_ERR_UNSUPPORTED, "'%s': this FFmpeg has no encoder for .%s; use .mp4 or .gif", path,
                             c->ext);
        if (encoder) *encoder = codec->name;
        k = VIDEO_OUT_CONTAINER;
    }
    if (kind) *kind = k;
    return MOSA_OK;
}

/* Copies s into out[cap] doubling every '%' (so it is literal in a sequence pattern). */
static mosa_status video__escape_percent(const char *s, size_t n, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = s[i] == '%' ? 2 : 1;
        if (o + need >= cap) return mosa_fail(MOSA_ERR_ARG, "output path '%s' is too long", s);
        out[o++] = s[i];
        if (s[i] == '%') out[o++] = '%';
    }
    out[o] = 0;
    return MOSA_OK;
}

/* Appends s to out (JSON string contents, escaped). Returns false when out is too small. */
static bool video__json_escape(const char *s, char *out, size_t cap, size_t *o) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        const char *piece = tmp;
        if (*p == '"') piece = "\\\"";
        else if (*p == '\\') piece = "\\\\";
        else if (*p == '\n') piece = "\\n";
        else if (*p == '\r') piece = "\\r";
        else if (*p == '\t') piece = "\\t";
        else if (*p < 0x20) snprintf(tmp, sizeof tmp, "\\u%04x", *p);
        else {
            tmp[0] = (char)*p;
            tmp[1] = 0;
        }
        size_t len = strlen(piece);
        if (*o + len >= cap) return false;
        memcpy(out + *o, piece, len);
        *o += len;
    }
    out[*o] = 0;
    return true;
}

/* First and last non-space characters of s; false if s is blank. */
static bool video__json_ends(const char *s, char *first, char *last) {
    const char *a = s;
    while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r') a++;
    if (!*a) return false;
    const char *b = s + strlen(s) - 1;
    while (b > a && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')) b--;
    *first = *a;
    *last = *b;
    return true;
}

mosa_status sidecar_write_json(const char *media_path, const char *json) {
    if (!media_path || !*media_path) return mosa_fail(MOSA_ERR_ARG, "sidecar: empty media path");
    char first, last;
    if (!json || !video__json_ends(json, &first, &last) || !((first == '{' && last == '}') || (first == '[' && last == ']')))
        return mosa_fail(MOSA_ERR_ARG, "sidecar for '%s': the text is not a JSON object or array", media_path);
    size_t n = strlen(media_path) + 6;
    char *path = mosa_malloc(n);
    if (!path) return mosa_fail_context(MOSA_ERR_NOMEM, "sidecar for '%s'", media_path);
    snprintf(path, n, "%s.json", media_path);
    size_t len = strlen(json);
    mosa_status s;
    if (json[len - 1] == '\n') {
        s = file_write_atomic(path, json, len);
    } else {
        atomic_file f;
        s = atomic_file_open(&f, path);
        if (s == MOSA_OK) {
            atomic_file_write(&f, json, len);
            atomic_file_write(&f, "\n", 1);
            s = atomic_file_commit(&f);
        }
    }
    mosa_free(path);
    return s;
}

/* The sidecar for parameters: as is when it is a JSON object, else {"parameters": "<text>"}. */
static mosa_status video__sidecar_params(const char *media_path, const char *parameters) {
    char first, last;
    if (video__json_ends(parameters, &first, &last) && first == '{' && last == '}')
        return sidecar_write_json(media_path, parameters);
    size_t cap = strlen(parameters) * 6 + 32;
    char *json = mosa_malloc(cap);
    if (!json) return mosa_fail_context(MOSA_ERR_NOMEM, "sidecar for '%s'", media_path);
    size_t o = 0;
    memcpy(json, "{\"parameters\": \"", 16);
    o = 16;
    bool ok = video__json_escape(parameters, json, cap, &o);
    if (ok && o + 3 < cap) {
        memcpy(json + o, "\"}", 3);
    } else {
        ok = false;
    }
    mosa_status s = ok ? sidecar_write_json(media_path, json) : mosa_fail(MOSA_ERR_INTERNAL, "sidecar escape overflow");
    mosa_free(json);
    return s;
}

mosa_status video_write_auto(const char *path, const image *frames, int n, double fps, const char *parameters) {
    video_output_kind kind;
    MOSA_TRY(video_output_kind_of(path, &kind, NULL));
    if (!frames || n < 1) return mosa_fail(MOSA_ERR_ARG, "'%s': no frames to write", path);
    char pattern[4200];
    switch (kind) {
    case VIDEO_OUT_PNG_DIR: {
        size_t len = strlen(path);
        struct stat st;
        if (stat(path, &st) != 0) {
            if (mkdir(path, 0755) != 0 && errno != EEXIST)
                return mosa_fail(MOSA_ERR_IO, "cannot create directory '%s': %s (create its parent first)", path,
                                 strerror(errno));
        } else if (!S_ISDIR(st.st_mode)) {
            return mosa_fail(MOSA_ERR_IO, "'%s' exists and is not a directory", path);
        }
        MOSA_TRY(video__escape_percent(path, len, pattern, sizeof pattern - 24));
        strcat(pattern, path[len - 1] == '/' ? "frame_%05d.png" : "/frame_%05d.png");
        return png_write_sequence(pattern, frames, n, parameters);
    }
    case VIDEO_OUT_PNG_SEQUENCE:
        return png_write_sequence(path, frames, n, parameters);
    case VIDEO_OUT_PNG:
        if (n == 1) return png_write(path, &frames[0], parameters);
        MOSA_TRY(video__escape_percent(path, strlen(path) - 4, pattern, sizeof pattern - 16));
        strcat(pattern, "_%03d.png");
        return png_write_sequence(pattern, frames, n, parameters);
    case VIDEO_OUT_GIF:
        MOSA_TRY(gif_write(path, frames, n, fps, 0));
        if (parameters) {
            mosa_status s = video__sidecar_params(path, parameters);
            if (s != MOSA_OK) {
                unlink(path);
                return s;
            }
        }
        return MOSA_OK;
    case VIDEO_OUT_CONTAINER:
        break;
    }
    MOSA_TRY(image_check(&frames[0], "frame 0"));
    video_writer w;
    MOSA_TRY(video_writer_open(&w, path, frames[0].w, frames[0].h, fps, parameters));
    for (int i = 0; i < n; i++) {
        mosa_status s = video_writer_add(&w, &frames[i]);
        if (s != MOSA_OK) {
            video_writer_abort(&w);
            return s;
        }
    }
    return video_writer_close(&w);
}
