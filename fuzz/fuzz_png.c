/* fuzz_png.c: libFuzzer target for the PNG reader (src/io/png.c).
 *
 * Feeds each input to png_decode as a whole file, asking for the image and the "parameters"
 * text. A rejection must come with a message and leave nothing allocated. An accepted file
 * must give an image within IMAGE_MAX_DIM whose every pixel ASan can read; small accepted
 * images are then encoded with png_encode and decoded again, which must give the same pixels
 * and text (the writer round-trips whatever the reader returns). A broken promise traps.
 * Mutated files almost always fail libpng's chunk CRC check, which would keep the fuzzer out
 * of the decoding and conversion code; so each input is also decoded once more with every
 * chunk's CRC recomputed. Not a test of libpng itself. Build and run: docs/reliability.md. */
#include "io/png.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t crc_table[256];

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    if (!crc_table[1])
        for (uint32_t k = 0; k < 256; k++) {
            uint32_t c = k;
            for (int j = 0; j < 8; j++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            crc_table[k] = c;
        }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* A copy of data with the CRC of every complete chunk recomputed; NULL if nothing changed. */
static uint8_t *fix_crcs(const uint8_t *data, size_t size) {
    uint8_t *c = malloc(size ? size : 1);
    CHECK(c != NULL);
    memcpy(c, data, size);
    bool changed = false;
    for (size_t pos = 8; size >= 12 && pos <= size - 12;) {
        uint32_t len = (uint32_t)c[pos] << 24 | (uint32_t)c[pos + 1] << 16 | (uint32_t)c[pos + 2] << 8 | c[pos + 3];
        if ((uint64_t)len + 12 > size - pos) break;
        uint32_t crc = crc32_of(c + pos + 4, (size_t)len + 4);
        uint8_t *q = c + pos + 8 + len;
        uint8_t want[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
        if (memcmp(q, want, 4)) {
            memcpy(q, want, 4);
            changed = true;
        }
        pos += (size_t)len + 12;
    }
    if (!changed) {
        free(c);
        return NULL;
    }
    return c;
}

static void check_one(const uint8_t *data, size_t size) {
    image im = {.w = -1, .h = -1, .rgb = (uint8_t *)1};
    char *params = (char *)1;
    if (png_decode(data, size, "fuzz.png", &im, &params) != MOSA_OK) {
        CHECK(mosa_last_error()[0] != 0);
        CHECK(im.rgb == NULL && im.w == 0 && im.h == 0 && params == NULL);
        return;
    }
    CHECK(im.w >= 1 && im.h >= 1 && im.w <= IMAGE_MAX_DIM && im.h <= IMAGE_MAX_DIM && im.rgb != NULL);
    unsigned sum = 0;
    for (size_t i = 0; i < image_bytes(&im); i++) sum += im.rgb[i]; /* every byte readable */
    (void)sum;
    if (params) CHECK(strlen(params) <= PNG_MAX_TEXT_BYTES);
    if ((size_t)im.w * im.h <= 65536) {
        uint8_t *enc;
        size_t n;
        CHECK(png_encode(&im, params, &enc, &n) == MOSA_OK);
        image back;
        char *p2 = NULL;
        CHECK(png_decode(enc, n, "re-encoded", &back, &p2) == MOSA_OK);
        CHECK(back.w == im.w && back.h == im.h && memcmp(back.rgb, im.rgb, image_bytes(&im)) == 0);
        CHECK((params == NULL) == (p2 == NULL) && (!params || strcmp(params, p2) == 0));
        image_free(&back);
        mosa_free(p2);
        mosa_free(enc);
    }
    image_free(&im);
    mosa_free(params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_one(data, size);
    uint8_t *fixed = fix_crcs(data, size);
    if (fixed) {
        check_one(fixed, size);
        free(fixed);
    }
    return 0;
}
