/* fuzz_openpose_json.c: libFuzzer target for the OpenPose JSON reader (src/io/openpose_json.c).
 *
 * Parses each input (with and without a caller-given image size). When accepted, checks the
 * promises (frame and people counts within the limits, canvas sizes valid, every value finite)
 * and writes the frames back with confidences; that text must parse again to the same frames,
 * bit for bit, except that points with confidence <= 0 come back as (0, 0, 0). A broken promise
 * aborts. Build and run: docs/reliability.md. */
#include "io/openpose_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const opj_read_opts sizes = {640, 480};
    for (int pass = 0; pass < 2; pass++) {
        opj_frame *fr;
        int n;
        if (opj_parse("fuzz", data, size, pass ? &sizes : NULL, &fr, &n) != MOSA_OK) {
            CHECK(mosa_last_error()[0] != 0 && fr == NULL && n == 0);
            continue;
        }
        CHECK(n >= 0 && n <= OPJ_MAX_FRAMES);
        for (int i = 0; i < n; i++) {
            CHECK(fr[i].width >= 1 && fr[i].width <= OPJ_MAX_CANVAS && fr[i].height >= 1 && fr[i].height <= OPJ_MAX_CANVAS);
            CHECK(fr[i].n_people >= 0 && fr[i].n_people <= OPJ_MAX_PEOPLE);
            for (size_t k = 0; k < (size_t)fr[i].n_people * 54; k++) CHECK(isfinite(fr[i].kp[k]));
        }
        opj_write_opts conf = {1, 0};
        char *text;
        size_t len;
        CHECK(opj_video_format(fr, n, &conf, &text, &len) == MOSA_OK);
        opj_frame *back;
        int m;
        CHECK(opj_parse("again", (const uint8_t *)text, len, NULL, &back, &m) == MOSA_OK && m == n);
        for (int i = 0; i < n; i++) {
            CHECK(back[i].width == fr[i].width && back[i].height == fr[i].height && back[i].n_people == fr[i].n_people);
            for (size_t k = 0; k < (size_t)fr[i].n_people * 18; k++) {
                const float *a = fr[i].kp + 3 * k, *b = back[i].kp + 3 * k;
                if (a[2] > 0) CHECK(!memcmp(a, b, 3 * sizeof(float)));
                else CHECK(b[0] == 0 && b[1] == 0 && b[2] == 0);
            }
        }
        opj_frames_free(back, m);
        mosa_free(text);
        opj_frames_free(fr, n);
    }
    return 0;
}
