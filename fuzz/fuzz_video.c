/* fuzz_video.c: libFuzzer target for the video reader (src/io/video.c).
 *
 * Feeds each input to video_reader_open_mem, which hands it to libavformat through our own
 * in-memory AVIOContext callbacks (read and seek over the buffer), with limits small enough
 * for fuzzing speed (frames up to 512x512, at most 32 frames). An accepted file is decoded
 * frame by frame: every frame must be within the limits, its pixels readable, and the reader
 * must stop by itself. A rejection must come with a message and leave nothing open. FFmpeg's
 * demuxers and decoders are not instrumented, so coverage guides only through our code; what
 * this checks is our side of the boundary (callbacks, limits, conversion, cleanup).
 * Build and run: docs/reliability.md. */
#include "io/video.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    video_reader r;
    video_reader_limits lim = {.max_dim = 512, .max_frames = 32};
    if (video_reader_open_mem(&r, data, size, "fuzz.mp4", &lim) != MOSA_OK) {
        CHECK(mosa_last_error()[0] != 0);
        CHECK(r.fmt == NULL && r.dec == NULL && r.src == NULL);
        return 0;
    }
    CHECK(r.width >= 1 && r.height >= 1 && r.width <= 512 && r.height <= 512);
    CHECK(r.n_frames == -1 || (r.n_frames >= 1 && r.n_frames <= 32));
    CHECK(r.fps == 0 || (r.fps > 0 && r.fps <= VIDEO_MAX_FPS));
    image im = {0};
    bool got = false;
    int frames = 0;
    while (video_reader_next(&r, &im, &got) == MOSA_OK && got) {
        CHECK(im.w >= 1 && im.h >= 1 && im.w <= 512 && im.h <= 512 && im.rgb != NULL);
        unsigned sum = 0;
        for (size_t i = 0; i < image_bytes(&im); i++) sum += im.rgb[i];
        (void)sum;
        CHECK(++frames <= 32);
    }
    (void)video_reader_metadata(&r, "comment");
    image_free(&im);
    video_reader_close(&r);
    return 0;
}
