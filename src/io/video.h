/* video.h: video files in and out through FFmpeg's libraries, the output dispatcher, and the
 * parameters sidecar.
 *
 * Writing: video_writer_* encodes RGB8 frames into a container chosen by the file extension:
 *   .mp4 .mov .mkv  H.264 (libx264, CRF 18, preset medium) when the build of libavcodec has
 *                   libx264, else MPEG-4 part 2 ("mpeg4", qscale 2);
 *   .webm           VP9 (libvpx-vp9, CRF 18), else VP8 (libvpx);
 *   .avi            MPEG-4 part 2 (qscale 2), else Motion JPEG.
 * Pixels are yuv420p, BT.709, limited range, tagged as such. yuv420p needs even sizes: an odd
 * width or height is PADDED by one pixel that repeats the last column/row, so the encoded video
 * (and what a reader returns) is one pixel wider/taller; video_writer.enc_width/enc_height
 * say so. The run parameters go into the container's "comment" metadata (MP4: the ©cmt atom;
 * ffprobe shows it as TAG:comment). MP4/MOV files get their index first (faststart) so they
 * stream in browsers. The file is written under "<path>.tmp.<pid>" in the same directory and
 * renamed to path only after the trailer is written and the file is fsynced: a killed process
 * never leaves a half-written video under the final name.
 *
 * Reading: video_reader_* demuxes and decodes the best video stream and converts each frame to
 * RGB8 with libswscale (BT.709 coefficients when the stream says so, else BT.601). A file is
 * read through our own I/O callbacks (FFmpeg opens nothing by name: no protocols, no playlists,
 * no external references), only common containers and video codecs are accepted, and the
 * stream's size and frame count are checked against limits before any frame is decoded.
 * Decoding uses one thread.
 *
 * Dispatch: video_write_auto picks the writer from the output path (sd-cli/diffusers
 * conventions): a container extension above, .gif (gif.h, parameters in a sidecar
 * "<path>.json"), .png (one frame; several frames become "<stem>_%03d.png"), a pattern with a
 * %d conversion ending in .png, or a directory (an existing one, or a path ending in '/'),
 * which receives frame_00000.png, frame_00001.png, ... Every PNG carries the parameters.
 *
 * FFmpeg's own log output is silenced (av_log_set_level(AV_LOG_QUIET)) the first time this
 * module is used unless the environment variable MOSA_FFMPEG_LOG is set; errors are reported
 * through mosa_fail with the file name and FFmpeg's error text. */
#ifndef MOSA_IO_VIDEO_H
#define MOSA_IO_VIDEO_H

#include "base/image.h"

#define VIDEO_MAX_FRAMES 1000000 /* a reader refuses containers that declare more frames */
#define VIDEO_MAX_FPS 1000.0

struct AVFormatContext;
struct AVCodecContext;
struct AVStream;
struct AVFrame;
struct AVPacket;
struct SwsContext;

/* ------------------------------------------------------------------------------------------ */
/* Writer                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct video_writer {
    struct AVFormatContext *fmt;
    struct AVCodecContext *enc;
    struct AVStream *st;
    struct SwsContext *sws;
    struct AVFrame *frame;
    struct AVPacket *pkt;
    char *path, *tmp_path;
    int width, height;         /* size of the frames the caller adds */
    int enc_width, enc_height; /* encoded size: width/height rounded up to even */
    struct AVFrame *rgb;       /* staging RGB24 frame (aligned, padded for libswscale's SIMD) */
    double fps;
    int64_t n_frames;       /* frames added so far */
    const char *encoder;    /* the libavcodec encoder in use: "libx264", "mpeg4", ... */
    bool header_written;
} video_writer;

/* Opens a writer for width x height RGB8 frames at fps (0 < fps <= 1000; fractional rates such
 * as 29.97 are kept as a rational). parameters (may be NULL) goes into the "comment" metadata.
 * Creates the temporary file. On failure nothing is left on disk and *w needs no cleanup
 * (video_writer_abort is still safe). */
mosa_status video_writer_open(video_writer *w, const char *path, int width, int height, double fps,
                              const char *parameters);

/* Encodes one frame (same size as given to open). On failure the writer stays open: call
 * video_writer_abort. */
mosa_status video_writer_add(video_writer *w, const image *frame);

/* Flushes the encoder, writes the trailer, fsyncs, renames the temporary file to the final
 * path and syncs the directory. Frees the writer whatever happens; on failure the temporary
 * file is removed and the final path is untouched. At least one frame must have been added. */
mosa_status video_writer_close(video_writer *w);

/* Frees the writer and removes the temporary file; the final path is never touched. Safe on a
 * writer that failed to open, was closed, or was zero-initialised. */
void video_writer_abort(video_writer *w);

/* ------------------------------------------------------------------------------------------ */
/* Reader                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct video_reader_limits {
    int max_dim;        /* largest width or height (<= IMAGE_MAX_DIM) */
    int64_t max_frames; /* frames a container may declare, and frames next() will return */
} video_reader_limits;

struct video__source;

typedef struct video_reader {
    struct AVFormatContext *fmt;
    struct AVCodecContext *dec;
    struct SwsContext *sws;
    struct AVFrame *frame;
    struct AVFrame *rgb; /* conversion target (aligned, padded), copied into the caller's image */
    struct AVPacket *pkt;
    struct video__source *src;
    char *name;
    int stream;           /* index of the video stream */
    int width, height;    /* the stream's size (every returned frame is checked against the limits) */
    double fps;           /* average frame rate; 0 when the container does not say */
    int64_t n_frames;     /* frame count the container declares; -1 when it does not */
    int64_t frames_read;  /* frames returned so far */
    int corrupt_packets;  /* packets the decoder rejected as invalid and skipped */
    const char *codec;    /* decoder name, e.g. "h264" */
    video_reader_limits lim;
    bool draining, eof;
} video_reader;

/* Opens path for reading and validates its video stream (size within IMAGE_MAX_DIM, declared
 * frame count within VIDEO_MAX_FRAMES) before decoding anything. On failure nothing needs
 * freeing. */
mosa_status video_reader_open(video_reader *r, const char *path);

/* The same over a buffer in memory (which must outlive the reader); name labels messages and
 * hints the container type by extension (may be NULL); lim NULL means the defaults. */
mosa_status video_reader_open_mem(video_reader *r, const uint8_t *data, size_t n, const char *name,
                                  const video_reader_limits *lim);

/* Decodes the next frame into *out as RGB8 (reusing out's pixels when the size matches, else
 * replacing them; free with image_free). *got is false at the end of the stream (status OK).
 * Packets the decoder rejects as invalid are skipped and counted (corrupt_packets); a read
 * error of the container is returned as an error. */
mosa_status video_reader_next(video_reader *r, image *out, bool *got);

/* Container (or else stream) metadata for key, e.g. "comment"; NULL if absent. */
const char *video_reader_metadata(const video_reader *r, const char *key);

static inline double video_reader_fps(const video_reader *r) { return r->fps; }
static inline int64_t video_reader_frame_count(const video_reader *r) { return r->n_frames; }

void video_reader_close(video_reader *r);

/* Reads every frame of path into a new array (*frames, *n; free with video_frames_free) with at
 * most max_frames frames (<= 0: VIDEO_MAX_FRAMES); *fps may be NULL. */
mosa_status video_read_all(const char *path, int max_frames, image **frames, int *n, double *fps);
void video_frames_free(image *frames, int n);

/* ------------------------------------------------------------------------------------------ */
/* Dispatch by output path, and the sidecar                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef enum video_output_kind {
    VIDEO_OUT_CONTAINER = 0, /* .mp4 .mov .mkv .webm .avi through libavformat */
    VIDEO_OUT_GIF,           /* .gif through gif.c */
    VIDEO_OUT_PNG,           /* .png: one file (a sequence "<stem>_%03d.png" for several frames) */
    VIDEO_OUT_PNG_SEQUENCE,  /* a pattern such as out_%03d.png */
    VIDEO_OUT_PNG_DIR,       /* a directory: frame_%05d.png inside */
} video_output_kind;

/* Says how video_write_auto would write path, and for containers which encoder it would use
 * (*encoder may be NULL otherwise; either out pointer may be NULL). Fails with a message
 * listing the supported outputs for an unknown extension, so a tool can check the output path
 * before spending time generating frames. */
mosa_status video_output_kind_of(const char *path, video_output_kind *kind, const char **encoder);

/* Writes frames[0..n) to path in the format its form asks for (see the top of this file), with
 * the parameters (may be NULL) embedded or in a sidecar. */
mosa_status video_write_auto(const char *path, const image *frames, int n, double fps, const char *parameters);

/* Writes json (a JSON object or array, checked only by its first and last non-space
 * characters) to "<media_path>.json" atomically. */
mosa_status sidecar_write_json(const char *media_path, const char *json);

#endif /* MOSA_IO_VIDEO_H */
