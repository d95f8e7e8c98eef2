/* test_png.c: the PNG reader and writer (src/io/png.c).
 *
 * Round trips of RGB8 (exact) with the "parameters" text (tEXt for ASCII, iTXt for UTF-8);
 * every colour type and bit depth libpng can write (gray 1/2/4/8/16, gray+alpha, RGB 16,
 * RGBA 8/16, palette with tRNS, gray with tRNS, interlaced) read back as RGB8 with the
 * documented conversions (16-bit rounded, alpha composited on black), a zTXt parameters chunk
 * after the image data; hand-built hostile files (truncations, bad CRCs, huge or zero IHDR
 * sizes, a deflate bomb that declares 16384x16384 in a few bytes, bad zlib data, missing
 * chunks, unknown critical chunks) that must each fail with a clear message and nothing
 * allocated; failed writes that leave nothing; numbered sequences and their patterns.
 * TEST_VERBOSE=1 prints every error message. */
#define _GNU_SOURCE
#include "io/png.h"
#include "test.h"
#include "testutil.h"

#include <png.h>

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

static const char *tmp(const char *name) { return test_path(g_dir, name); }

static uint32_t g_seed = 12345;
static uint8_t rnd8(void) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return (uint8_t)(g_seed >> 24);
}

/* ------------------------------------------------------------------------------------------ */
/* Building PNGs: with libpng (valid files of every kind) and by hand (hostile files)         */
/* ------------------------------------------------------------------------------------------ */

typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
} membuf;

static void mb_put(membuf *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void lp_write(png_structp png, png_bytep d, size_t n) { mb_put(png_get_io_ptr(png), d, n); }
static void lp_flush(png_structp png) { (void)png; }

/* Encodes rows (each `rowbytes` long, packed as libpng expects for the type) with libpng. */
static membuf lp_encode(int w, int h, int depth, int ctype, int interlace, const uint8_t *rows, size_t rowbytes,
                        const png_color *pal, int npal, const uint8_t *trns, int ntrns, const png_color_16 *trns_color,
                        const char *ztxt_after) {
    membuf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        printf("libpng failed building a test file\n");
        exit(1);
    }
    png_set_write_fn(png, &b, lp_write, lp_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype, interlace, 0, 0);
    if (pal) png_set_PLTE(png, info, pal, npal);
    if (trns || trns_color) png_set_tRNS(png, info, trns, ntrns, (png_color_16p)trns_color);
    png_write_info(png, info);
    if (ztxt_after) {
        png_text t = {0};
        t.compression = PNG_TEXT_COMPRESSION_zTXt;
        t.key = "parameters";
        t.text = (char *)ztxt_after;
        t.text_length = strlen(ztxt_after);
        png_set_text(png, info, &t, 1);
    }
    int passes = png_set_interlace_handling(png);
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < h; y++) png_write_row(png, rows + (size_t)y * rowbytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return b;
}

static uint32_t crc_table[256];
static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}
static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void put_chunk(membuf *b, const char *type, const uint8_t *d, uint32_t n) {
    uint8_t hdr[8];
    be32(hdr, n);
    memcpy(hdr + 4, type, 4);
    mb_put(b, hdr, 8);
    if (n) mb_put(b, d, n);
    uint8_t *tmpb = malloc(n + 4);
    memcpy(tmpb, type, 4);
    if (n) memcpy(tmpb + 4, d, n);
    uint8_t crc[4];
    be32(crc, crc32_of(tmpb, n + 4));
    free(tmpb);
    mb_put(b, crc, 4);
}

static void put_sig(membuf *b) { mb_put(b, "\x89PNG\r\n\x1a\n", 8); }

static void put_ihdr(membuf *b, uint32_t w, uint32_t h, int depth, int ctype, int interlace) {
    uint8_t d[13];
    be32(d, w);
    be32(d + 4, h);
    d[8] = (uint8_t)depth, d[9] = (uint8_t)ctype, d[10] = 0, d[11] = 0, d[12] = (uint8_t)interlace;
    put_chunk(b, "IHDR", d, 13);
}

/* zlib stream of raw bytes in stored (uncompressed) deflate blocks. */
static membuf zlib_stored(const uint8_t *raw, size_t n) {
    membuf z = {0};
    mb_put(&z, "\x78\x01", 2);
    size_t off = 0;
    do {
        size_t len = n - off > 65535 ? 65535 : n - off;
        uint8_t h[5] = {(uint8_t)(off + len == n), (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)~len, (uint8_t)(~len >> 8)};
        mb_put(&z, h, 5);
        mb_put(&z, raw + off, len);
        off += len;
    } while (off < n);
    uint32_t a = 1, bsum = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + raw[i]) % 65521;
        bsum = (bsum + a) % 65521;
    }
    uint8_t ad[4];
    be32(ad, bsum << 16 | a);
    mb_put(&z, ad, 4);
    return z;
}

/* A valid w x h 8-bit RGB PNG built by hand (filter 0 rows of a gradient). */
static membuf hand_rgb(int w, int h) {
    size_t rb = (size_t)w * 3 + 1;
    uint8_t *raw = calloc(rb * h, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * 3; x++) raw[y * rb + 1 + x] = (uint8_t)(x * 7 + y * 3);
    membuf z = zlib_stored(raw, rb * h);
    membuf b = {0};
    put_sig(&b);
    put_ihdr(&b, (uint32_t)w, (uint32_t)h, 8, 2, 0);
    put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
    put_chunk(&b, "IEND", NULL, 0);
    free(raw);
    free(z.p);
    return b;
}

/* ------------------------------------------------------------------------------------------ */
/* Checks                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void check_bad(const char *descr, const uint8_t *p, size_t n, const char *want) {
    /* exact-size copy so ASan sees any read past the end */
    uint8_t *copy = malloc(n ? n : 1);
    if (n) memcpy(copy, p, n);
    image im = {.w = 7, .h = 7, .rgb = (uint8_t *)1};
    char *params = (char *)1;
    mosa_status s = png_decode(copy, n, "bad.png", &im, &params);
    int ok = s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), want) != NULL && strstr(mosa_last_error(), "bad.png");
    if (!ok || getenv("TEST_VERBOSE"))
        printf("  %s: status %d, message: %s\n", descr, (int)s, s ? mosa_last_error() : "(accepted)");
    TEST_COND(descr, ok);
    TEST_COND("a failed decode leaves an empty image and no parameters", im.rgb == NULL && im.w == 0 && params == NULL);
    if (s == MOSA_OK) {
        image_free(&im);
        mosa_free(params);
    }
    free(copy);
}

/* Decodes a libpng-built file and compares with the expected RGB8 pixels. */
static void check_decode(const char *descr, membuf b, int w, int h, const uint8_t *want) {
    image im;
    mosa_status s = png_decode(b.p, b.n, descr, &im, NULL);
    if (s) printf("  %s: %s\n", descr, mosa_last_error());
    TEST_COND(descr, s == MOSA_OK && im.w == w && im.h == h && memcmp(im.rgb, want, (size_t)w * h * 3) == 0);
    if (s == MOSA_OK && memcmp(im.rgb, want, (size_t)w * h * 3)) {
        for (size_t i = 0; i < (size_t)w * h * 3; i++)
            if (im.rgb[i] != want[i]) {
                printf("  first difference at byte %zu: %d vs %d\n", i, im.rgb[i], want[i]);
                break;
            }
    }
    image_free(&im);
    free(b.p);
}

static void test_round_trip(void) {
    image im;
    TEST_COND("alloc 37x23", image_alloc(&im, 37, 23) == MOSA_OK);
    for (size_t i = 0; i < image_bytes(&im); i++) im.rgb[i] = rnd8();
    const char *params = "a person walks forward\nNegative prompt: blurry\nSteps: 20, CFG scale: 7.0, Seed: 42, Size: 37x23";
    const char *path = tmp("rt.png");
    TEST_COND("png_write", png_write(path, &im, params) == MOSA_OK);
    image back;
    TEST_COND("png_read", png_read(path, &back) == MOSA_OK);
    TEST_COND("round trip is exact", back.w == 37 && back.h == 23 && memcmp(back.rgb, im.rgb, image_bytes(&im)) == 0);
    char *p = NULL;
    TEST_COND("png_read_parameters", png_read_parameters(path, &p) == MOSA_OK && p && strcmp(p, params) == 0);
    mosa_free(p);
    uint8_t *data;
    size_t n;
    TEST_COND("read file", file_read_all(path, 1 << 20, &data, &n) == MOSA_OK);
    TEST_COND("ASCII parameters go to a tEXt chunk keyed 'parameters'",
              memmem(data, n, "tEXtparameters\0a person", 23) != NULL);
    TEST_COND("the text comes before the image data",
              (uint8_t *)memmem(data, n, "tEXt", 4) < (uint8_t *)memmem(data, n, "IDAT", 4));
    mosa_free(data);
    image_free(&back);
    TEST_COND("no temporary file is left", test_dir_entries(g_dir) == 1);

    /* UTF-8 parameters: iTXt */
    const char *utf8 = "une personne qui danse \xc3\xa9l\xc3\xa9gamment \xe2\x80\x94 \xe8\xb7\xb3\xe8\x88\x9e";
    TEST_COND("png_write UTF-8", png_write(path, &im, utf8) == MOSA_OK);
    TEST_COND("read UTF-8 parameters", png_read_parameters(path, &p) == MOSA_OK && p && strcmp(p, utf8) == 0);
    mosa_free(p);
    TEST_COND("read file", file_read_all(path, 1 << 20, &data, &n) == MOSA_OK);
    TEST_COND("UTF-8 parameters go to an iTXt chunk", memmem(data, n, "iTXtparameters", 14) != NULL);
    mosa_free(data);

    /* no parameters */
    TEST_COND("png_write without parameters", png_write(path, &im, NULL) == MOSA_OK);
    p = (char *)1;
    TEST_COND("no parameters reads as NULL", png_read_parameters(path, &p) == MOSA_OK && p == NULL);

    /* encode to memory equals the file */
    uint8_t *enc;
    size_t enc_n;
    TEST_COND("png_encode", png_encode(&im, NULL, &enc, &enc_n) == MOSA_OK);
    TEST_COND("read file", file_read_all(path, 1 << 20, &data, &n) == MOSA_OK);
    TEST_COND("png_encode gives the bytes png_write writes", n == enc_n && memcmp(data, enc, n) == 0);
    mosa_free(data);
    mosa_free(enc);

    /* 1x1 and a wide strip */
    image one;
    image_alloc(&one, 1, 1);
    one.rgb[0] = 255, one.rgb[1] = 0, one.rgb[2] = 85;
    TEST_COND("1x1 write", png_write(path, &one, "") == MOSA_OK);
    TEST_COND("1x1 read", png_read(path, &back) == MOSA_OK && back.w == 1 && back.rgb[0] == 255 && back.rgb[2] == 85);
    TEST_COND("empty parameters round trip", png_read_parameters(path, &p) == MOSA_OK && p && p[0] == 0);
    mosa_free(p);
    image_free(&back);
    image_free(&one);
    unlink(path);
    image_free(&im);
}

static void test_color_types(void) {
    enum { W = 9, H = 5 };
    uint8_t want[W * H * 3];
    /* 16-bit RGB: rounded to 8 bits */
    {
        uint8_t rows[H][W * 6];
        uint16_t vals[] = {0, 1, 128, 129, 255, 256, 32767, 32768, 65407, 65408, 65534, 65535, 12345, 40000, 257, 514};
        for (int y = 0; y < H; y++)
            for (int i = 0; i < W * 3; i++) {
                uint16_t v = vals[(y * W * 3 + i) % 16];
                rows[y][2 * i] = (uint8_t)(v >> 8), rows[y][2 * i + 1] = (uint8_t)v;
                want[y * W * 3 + i] = (uint8_t)((v * 255u + 32767u) / 65535u);
            }
        check_decode("16-bit RGB (rounded to nearest)", lp_encode(W, H, 16, PNG_COLOR_TYPE_RGB, 0, &rows[0][0], W * 6, NULL,
                                                               0, NULL, 0, NULL, NULL), W, H, want);
    }
    /* 16-bit gray */
    {
        uint8_t rows[H][W * 2];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint16_t v = (uint16_t)(x * 7000 + y * 1111);
                rows[y][2 * x] = (uint8_t)(v >> 8), rows[y][2 * x + 1] = (uint8_t)v;
                uint8_t g = (uint8_t)((v * 255u + 32767u) / 65535u);
                for (int c = 0; c < 3; c++) want[(y * W + x) * 3 + c] = g;
            }
        check_decode("16-bit gray", lp_encode(W, H, 16, PNG_COLOR_TYPE_GRAY, 0, &rows[0][0], W * 2, NULL, 0, NULL, 0, NULL,
                                              NULL), W, H, want);
    }
    /* gray 1, 2, 4, 8 bits */
    for (int depth = 1; depth <= 8; depth *= 2) {
        uint8_t rows[H][W];
        memset(rows, 0, sizeof rows);
        int maxv = (1 << depth) - 1;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int v = (x + 3 * y) % (maxv + 1);
                int bit = x * depth;
                rows[y][bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
                uint8_t g = (uint8_t)(v * 255 / maxv);
                for (int c = 0; c < 3; c++) want[(y * W + x) * 3 + c] = g;
            }
        char d[64];
        snprintf(d, sizeof d, "gray %d-bit (scaled to 0..255)", depth);
        check_decode(d, lp_encode(W, H, depth, PNG_COLOR_TYPE_GRAY, 0, &rows[0][0], W, NULL, 0, NULL, 0, NULL, NULL), W,
                     H, want);
    }
    /* gray + alpha 8: composited on black */
    {
        uint8_t rows[H][W * 2];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint8_t g = (uint8_t)(x * 30 + 5), a = (uint8_t)(y * 60 + x);
                if (x == 0) a = 0;
                if (x == 1) a = 255;
                rows[y][2 * x] = g, rows[y][2 * x + 1] = a;
                for (int c = 0; c < 3; c++) want[(y * W + x) * 3 + c] = (uint8_t)((g * a + 127) / 255);
            }
        check_decode("gray+alpha composited on black", lp_encode(W, H, 8, PNG_COLOR_TYPE_GRAY_ALPHA, 0, &rows[0][0], W * 2,
                                                                 NULL, 0, NULL, 0, NULL, NULL), W, H, want);
    }
    /* RGBA 8 and 16 */
    {
        uint8_t rows[H][W * 4];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint8_t *p = &rows[y][4 * x];
                p[0] = rnd8(), p[1] = rnd8(), p[2] = rnd8(), p[3] = x == 0 ? 0 : x == 1 ? 255 : rnd8();
                for (int c = 0; c < 3; c++) want[(y * W + x) * 3 + c] = (uint8_t)((p[c] * p[3] + 127) / 255);
            }
        check_decode("RGBA 8 composited on black", lp_encode(W, H, 8, PNG_COLOR_TYPE_RGBA, 0, &rows[0][0], W * 4, NULL, 0,
                                                             NULL, 0, NULL, NULL), W, H, want);
        uint8_t rows16[H][W * 8];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < 4; c++) { /* v = 257*b maps exactly to b */
                    rows16[y][8 * x + 2 * c] = rows[y][4 * x + c];
                    rows16[y][8 * x + 2 * c + 1] = rows[y][4 * x + c];
                }
        check_decode("RGBA 16 composited on black", lp_encode(W, H, 16, PNG_COLOR_TYPE_RGBA, 0, &rows16[0][0], W * 8, NULL,
                                                              0, NULL, 0, NULL, NULL), W, H, want);
    }
    /* palette 4-bit and 8-bit with tRNS */
    {
        png_color pal[16];
        uint8_t trns[16];
        for (int i = 0; i < 16; i++) {
            pal[i].red = (uint8_t)(i * 16), pal[i].green = (uint8_t)(255 - i * 10), pal[i].blue = (uint8_t)(i * i);
            trns[i] = i < 3 ? (uint8_t)(i * 100) : 255;
        }
        uint8_t rows8[H][W], rows4[H][(W + 1) / 2];
        memset(rows4, 0, sizeof rows4);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int idx = (x + 5 * y) % 16;
                rows8[y][x] = (uint8_t)idx;
                rows4[y][x / 2] |= (uint8_t)(idx << (x % 2 ? 0 : 4));
                want[(y * W + x) * 3 + 0] = pal[idx].red;
                want[(y * W + x) * 3 + 1] = pal[idx].green;
                want[(y * W + x) * 3 + 2] = pal[idx].blue;
            }
        check_decode("palette 4-bit", lp_encode(W, H, 4, PNG_COLOR_TYPE_PALETTE, 0, &rows4[0][0], (W + 1) / 2, pal, 16,
                                                NULL, 0, NULL, NULL), W, H, want);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int idx = rows8[y][x];
                for (int c = 0; c < 3; c++) want[(y * W + x) * 3 + c] = (uint8_t)((want[(y * W + x) * 3 + c] * trns[idx] + 127) / 255);
            }
        check_decode("palette 8-bit with tRNS (composited on black)",
                     lp_encode(W, H, 8, PNG_COLOR_TYPE_PALETTE, 0, &rows8[0][0], W, pal, 16, trns, 16, NULL, NULL), W, H,
                     want);
    }
    /* gray with a transparent colour */
    {
        uint8_t rows[H][W];
        png_color_16 tc = {0};
        tc.gray = 77;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint8_t g = (uint8_t)((x + y) % 2 ? 77 : 200);
                rows[y][x] = g;
                for (int c = 0; c < 3; c++) want[(y * W + x) * 3 + c] = g == 77 ? 0 : g;
            }
        check_decode("gray with tRNS colour (transparent pixels read black)",
                     lp_encode(W, H, 8, PNG_COLOR_TYPE_GRAY, 0, &rows[0][0], W, NULL, 0, NULL, 0, &tc, NULL), W, H, want);
    }
    /* interlaced RGB, and interlaced RGBA */
    {
        uint8_t rows[H][W * 3];
        for (int y = 0; y < H; y++)
            for (int i = 0; i < W * 3; i++) rows[y][i] = want[y * W * 3 + i] = rnd8();
        check_decode("interlaced RGB (Adam7)", lp_encode(W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, &rows[0][0],
                                                         W * 3, NULL, 0, NULL, 0, NULL, NULL), W, H, want);
        uint8_t rowsa[H][W * 4];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint8_t *p = &rowsa[y][4 * x];
                p[0] = rnd8(), p[1] = rnd8(), p[2] = rnd8(), p[3] = rnd8();
                for (int c = 0; c < 3; c++) want[(y * W + x) * 3 + c] = (uint8_t)((p[c] * p[3] + 127) / 255);
            }
        check_decode("interlaced RGBA", lp_encode(W, H, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_ADAM7, &rowsa[0][0], W * 4,
                                                  NULL, 0, NULL, 0, NULL, NULL), W, H, want);
    }
    /* zTXt parameters after the image data */
    {
        uint8_t rows[H][W * 3];
        memset(rows, 9, sizeof rows);
        const char *txt = "Steps: 30, Sampler: ddim, Seed: 7 (compressed, after IDAT)";
        membuf b = lp_encode(W, H, 8, PNG_COLOR_TYPE_RGB, 0, &rows[0][0], W * 3, NULL, 0, NULL, 0, NULL, txt);
        TEST_COND("the test file has zTXt after IDAT",
                  (uint8_t *)memmem(b.p, b.n, "zTXt", 4) > (uint8_t *)memmem(b.p, b.n, "IDAT", 4));
        char *p = NULL;
        TEST_COND("zTXt parameters after IDAT are found", png_decode(b.p, b.n, "z.png", NULL, &p) == MOSA_OK && p &&
                                                              strcmp(p, txt) == 0);
        mosa_free(p);
        image im;
        p = NULL;
        TEST_COND("image and parameters together", png_decode(b.p, b.n, "z.png", &im, &p) == MOSA_OK && im.w == W &&
                                                       im.rgb[0] == 9 && p && strcmp(p, txt) == 0);
        mosa_free(p);
        image_free(&im);
        free(b.p);
    }
}

static void test_hostile(void) {
    membuf good = hand_rgb(5, 4);
    image im;
    TEST_COND("the hand-built PNG is valid", png_decode(good.p, good.n, "hand.png", &im, NULL) == MOSA_OK && im.w == 5 &&
                                                 im.rgb[1] == 7);
    image_free(&im);

    check_bad("empty file", good.p, 0, "not a PNG");
    check_bad("bad signature", (const uint8_t *)"\x89PNX\r\n\x1a\nxxxxxxxxxxxxxxxxxxxx", 28, "not a PNG");
    size_t cuts[] = {8, 12, 20, 33, 40, good.n / 2, good.n - 12, good.n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char d[64];
        snprintf(d, sizeof d, "truncated at %zu of %zu bytes", cuts[i], good.n);
        check_bad(d, good.p, cuts[i], cuts[i] < 33 ? (cuts[i] < 20 ? "truncated" : "truncated") : "truncated");
    }
    /* bad CRCs: IHDR's CRC and IDAT's CRC (critical chunks: errors) */
    {
        uint8_t *c = malloc(good.n);
        memcpy(c, good.p, good.n);
        c[29] ^= 0x55; /* IHDR CRC is bytes 29..32 */
        check_bad("bad IHDR CRC", c, good.n, "CRC");
        memcpy(c, good.p, good.n);
        c[good.n - 12 - 1] ^= 1; /* last byte of the IDAT CRC */
        check_bad("bad IDAT CRC", c, good.n, "CRC");
        memcpy(c, good.p, good.n);
        c[50] ^= 0x40; /* a pixel byte inside IDAT (CRC no longer matches) */
        check_bad("IDAT data changed (zlib check fails before the CRC)", c, good.n, "corrupt PNG");
        free(c);
    }
    /* IHDR sizes */
    struct {
        uint32_t w, h;
        const char *want;
    } dims[] = {{16385, 4, "limit"}, {4, 16385, "limit"}, {100000, 100000, "limit"}, {0x7fffffff, 1, "limit"},
                {0xffffffffu, 0xffffffffu, "limit"}, {0, 5, "empty image"}, {5, 0, "empty image"},
                {16384, 16384, "cannot expand"}, {4000, 4000, "cannot expand"}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        membuf z = zlib_stored((const uint8_t *)"\0\0\0\0\0\0\0", 7);
        membuf b = {0};
        put_sig(&b);
        put_ihdr(&b, dims[i].w, dims[i].h, 8, 2, 0);
        put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
        put_chunk(&b, "IEND", NULL, 0);
        char d[96];
        snprintf(d, sizeof d, "IHDR %ux%u", dims[i].w, dims[i].h);
        check_bad(d, b.p, b.n, dims[i].want);
        free(b.p);
        free(z.p);
    }
    /* a deflate bomb within the compression limit but with too little data to fill the image */
    {
        size_t raw = 200 * (1 + 200 * 3);
        uint8_t *zeros = calloc(raw, 1);
        membuf z = zlib_stored(zeros, raw / 2); /* half the rows */
        membuf b = {0};
        put_sig(&b);
        put_ihdr(&b, 200, 200, 8, 2, 0);
        put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
        put_chunk(&b, "IEND", NULL, 0);
        check_bad("image data ends before the last row", b.p, b.n, "corrupt PNG");
        free(b.p);
        free(z.p);
        free(zeros);
    }
    /* invalid zlib data, invalid filter byte */
    {
        membuf b = {0};
        put_sig(&b);
        put_ihdr(&b, 5, 4, 8, 2, 0);
        put_chunk(&b, "IDAT", (const uint8_t *)"\x78\x01garbage garbage garbage garbage garbage garbage", 48);
        put_chunk(&b, "IEND", NULL, 0);
        check_bad("IDAT is not zlib data", b.p, b.n, "corrupt PNG");
        free(b.p);
        uint8_t raw[4 * 16];
        memset(raw, 0, sizeof raw);
        raw[16] = 9; /* filter type 9 does not exist */
        membuf z = zlib_stored(raw, sizeof raw);
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 5, 4, 8, 2, 0);
        put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
        put_chunk(&b, "IEND", NULL, 0);
        check_bad("unknown row filter", b.p, b.n, "corrupt PNG");
        free(b.p);
        free(z.p);
    }
    /* structure */
    {
        membuf z = zlib_stored((const uint8_t *)"\0\0\0\0", 4);
        membuf b = {0};
        put_sig(&b);
        put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
        put_chunk(&b, "IEND", NULL, 0);
        check_bad("no IHDR first", b.p, b.n, "first chunk must be a 13-byte IHDR");
        free(b.p);
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 2, 0);
        put_chunk(&b, "IEND", NULL, 0);
        check_bad("no IDAT", b.p, b.n, "no image data");
        free(b.p);
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 2, 0);
        put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
        check_bad("no IEND", b.p, b.n, "truncated");
        free(b.p);
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 2, 0);
        put_chunk(&b, "ABCD", (const uint8_t *)"x", 1);
        put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
        put_chunk(&b, "IEND", NULL, 0);
        check_bad("unknown critical chunk", b.p, b.n, "unknown critical chunk");
        free(b.p);
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 2, 0);
        put_chunk(&b, "ab\x01" "d", (const uint8_t *)"x", 1);
        check_bad("chunk type with a control byte", b.p, b.n, "invalid type");
        free(b.p);
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 2, 0);
        put_ihdr(&b, 1, 1, 8, 2, 0);
        check_bad("two IHDRs", b.p, b.n, "second IHDR");
        free(b.p);
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 3, 0);
        put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
        put_chunk(&b, "IEND", NULL, 0);
        check_bad("palette image without PLTE", b.p, b.n, "without a PLTE");
        free(b.p);
        int bad_depth[][2] = {{2, 4}, {3, 16}, {0, 3}, {6, 1}, {4, 4}, {2, 0}, {5, 8}, {1, 8}, {7, 8}};
        for (size_t i = 0; i < sizeof bad_depth / sizeof bad_depth[0]; i++) {
            b = (membuf){0};
            put_sig(&b);
            put_ihdr(&b, 1, 1, bad_depth[i][1], bad_depth[i][0], 0);
            put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
            put_chunk(&b, "IEND", NULL, 0);
            char d[64];
            snprintf(d, sizeof d, "colour type %d with depth %d", bad_depth[i][0], bad_depth[i][1]);
            check_bad(d, b.p, b.n, "does not define");
            free(b.p);
        }
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 2, 2);
        put_chunk(&b, "IDAT", z.p, (uint32_t)z.n);
        put_chunk(&b, "IEND", NULL, 0);
        check_bad("interlace method 2", b.p, b.n, "unknown compression/filter/interlace");
        free(b.p);
        /* a chunk length of 2^31 */
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 2, 0);
        mb_put(&b, "\x80\x00\x00\x00IDAT", 8);
        mb_put(&b, "\0\0\0\0\0\0\0\0", 8);
        check_bad("chunk length 2^31", b.p, b.n, "more than PNG allows");
        free(b.p);
        b = (membuf){0};
        put_sig(&b);
        put_ihdr(&b, 1, 1, 8, 2, 0);
        mb_put(&b, "\x7f\xff\xff\xf0IDAT", 8);
        mb_put(&b, "\0\0\0\0\0\0\0\0", 8);
        check_bad("chunk length past the end", b.p, b.n, "truncated");
        free(b.p);
        free(z.p);
    }
    /* an oversized parameters text is refused by libpng's chunk limit, not allocated */
    {
        size_t big = PNG_MAX_TEXT_BYTES + 100000;
        uint8_t *t = malloc(big);
        memcpy(t, "parameters", 11);
        memset(t + 11, 'x', big - 11);
        membuf b = hand_rgb(2, 2);
        membuf c = {0};
        mb_put(&c, b.p, 33); /* signature + IHDR */
        put_chunk(&c, "tEXt", t, (uint32_t)big);
        mb_put(&c, b.p + 33, b.n - 33);
        char *p = (char *)1;
        image im2;
        check_bad("a text chunk above the metadata limit", c.p, c.n, "limit for metadata chunks");
        /* a zTXt that inflates past the limit: libpng drops the text (a warning), the image still reads */
        uint8_t rows[2][6] = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}};
        t[big - 1] = 0;
        membuf z = lp_encode(2, 2, 8, PNG_COLOR_TYPE_RGB, 0, &rows[0][0], 6, NULL, 0, NULL, 0, NULL, (char *)t + 11);
        TEST_COND("the zTXt bomb is small", z.n < big / 100);
        mosa_status s = png_decode(z.p, z.n, "bomb.png", &im2, &p);
        if (s) printf("  zTXt bomb: %s\n", mosa_last_error());
        TEST_COND("a zTXt bomb: the image reads, the text is dropped", s == MOSA_OK && p == NULL && im2.w == 2 &&
                                                                          im2.rgb[11] == 12);
        if (s == MOSA_OK) image_free(&im2);
        free(z.p);
        free(t);
        free(b.p);
        free(c.p);
    }
    free(good.p);
}

static void test_write_failures(void) {
    image im;
    image_alloc(&im, 4, 4);
    mosa_status s = png_write("/nonexistent-dir-mosa/x.png", &im, NULL);
    TEST_COND("writing into a missing directory fails with an I/O error", s == MOSA_ERR_IO);
    image bad = {.w = 4, .h = 4, .rgb = NULL};
    TEST_COND("NULL pixels refused", png_write(tmp("bad.png"), &bad, NULL) == MOSA_ERR_ARG);
    bad = (image){.w = 0, .h = 4, .rgb = im.rgb};
    TEST_COND("zero width refused", png_write(tmp("bad.png"), &bad, NULL) == MOSA_ERR_ARG);
    mkdir(tmp("isdir.png"), 0755);
    s = png_write(tmp("isdir.png"), &im, NULL);
    TEST_COND("target is a directory: error", s == MOSA_ERR_IO);
    rmdir(tmp("isdir.png"));
    TEST_COND("failed writes leave nothing behind", test_dir_entries(g_dir) == 0);
    image out;
    TEST_COND("reading a missing file is an I/O error", png_read(tmp("missing.png"), &out) == MOSA_ERR_IO &&
                                                            strstr(mosa_last_error(), "missing.png"));
    TEST_COND("image_alloc refuses 16385", image_alloc(&out, 16385, 1) == MOSA_ERR_ARG && out.rgb == NULL);
    image_free(&im);
}

static void test_sequences(void) {
    char path[256];
    TEST_COND("%03d", png_sequence_path("out_%03d.png", 7, path, sizeof path) == MOSA_OK && !strcmp(path, "out_007.png"));
    TEST_COND("%d", png_sequence_path("f%d.png", 1234, path, sizeof path) == MOSA_OK && !strcmp(path, "f1234.png"));
    TEST_COND("%5d", png_sequence_path("f%5d.png", 12, path, sizeof path) == MOSA_OK && !strcmp(path, "f   12.png"));
    TEST_COND("%% literal", png_sequence_path("100%%_%02d.png", 3, path, sizeof path) == MOSA_OK &&
                                !strcmp(path, "100%_03.png"));
    const char *bad[] = {"out.png", "%d_%d.png", "%s.png", "%5.2f.png", "%x.png", "%", "%ld.png", "%099d.png", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mosa_status s = png_sequence_path(bad[i], 0, path, sizeof path);
        if (s != MOSA_ERR_ARG || getenv("TEST_VERBOSE")) printf("  pattern '%s': %s\n", bad[i], mosa_last_error());
        TEST_COND("bad pattern refused", s == MOSA_ERR_ARG);
    }
    TEST_COND("too long for the buffer", png_sequence_path("abcdefgh_%03d.png", 1, path, 8) == MOSA_ERR_ARG);
    TEST_COND("is pattern", png_is_sequence_pattern("a_%03d.png") && !png_is_sequence_pattern("a%%.png") &&
                                !png_is_sequence_pattern("a.png"));

    image frames[3];
    for (int i = 0; i < 3; i++) {
        image_alloc(&frames[i], 6, 5);
        memset(frames[i].rgb, 40 * i + 1, image_bytes(&frames[i]));
    }
    char pat[512];
    snprintf(pat, sizeof pat, "%s/seq_%%03d.png", g_dir);
    TEST_COND("png_write_sequence", png_write_sequence(pat, frames, 3, "{\"seed\": 1}") == MOSA_OK);
    for (int i = 0; i < 3; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/seq_%03d.png", g_dir, i);
        image im;
        char *params = NULL;
        TEST_COND("sequence frame reads back", png_read(p, &im) == MOSA_OK && im.rgb[0] == 40 * i + 1);
        TEST_COND("sequence frame has the parameters",
                  png_read_parameters(p, &params) == MOSA_OK && params && !strcmp(params, "{\"seed\": 1}"));
        mosa_free(params);
        image_free(&im);
        unlink(p);
    }
    /* frame 1's target is a directory: frame 0 is removed again, the error names the frame */
    char blocker[512];
    snprintf(blocker, sizeof blocker, "%s/seq_001.png", g_dir);
    mkdir(blocker, 0755);
    mosa_status s = png_write_sequence(pat, frames, 3, NULL);
    TEST_COND("a failing frame fails the sequence", s == MOSA_ERR_IO && strstr(mosa_last_error(), "frame 1 of 3"));
    rmdir(blocker);
    TEST_COND("a failed sequence leaves no frames", test_dir_entries(g_dir) == 0);
    TEST_COND("no frames", png_write_sequence(pat, frames, 0, NULL) == MOSA_ERR_ARG);
    for (int i = 0; i < 3; i++) image_free(&frames[i]);
}

int main(void) {
    crc_init();
    snprintf(g_dir, sizeof g_dir, "/tmp/mosa_test_png_%ld", (long)getpid());
    mkdir(g_dir, 0755);
    test_round_trip();
    test_color_types();
    test_hostile();
    test_write_failures();
    test_sequences();
    rmdir(g_dir);
    return test_report();
}
