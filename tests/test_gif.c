/* test_gif.c: the GIF89a writer (src/io/gif.c).
 *
 * Every GIF written here is decoded twice: by a strict minimal decoder in this file (it checks
 * the header, the palette, the NETSCAPE2.0 loop count, each frame's delay and disposal, the
 * LZW code widths, clear codes, the end code and the sub-block terminators) and by FFmpeg's GIF
 * decoder through video_reader; ffprobe counts the frames too when it is installed. Skeleton-
 * like frames (black plus the 18 OpenPose colours) must come back exactly; random 256-colour
 * noise (many LZW table resets) too; more than 256 colours must come back close (quantized palette).
 * Also: delays from fps (cumulative rounding, 2 cs minimum), loop settings, bad arguments, and
 * no file or temporary file left by a failed write. */
#define _GNU_SOURCE
#include "io/gif.h"
#include "io/video.h"
#include "test.h"
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

static const char *tmp(const char *name) { return test_path(g_dir, name); }

static uint32_t g_seed = 777;
static uint32_t rnd(void) {
    g_seed = g_seed * 1664525u + 1013904223u;
    return g_seed >> 8;
}

static const uint8_t k_openpose[18][3] = {
    {255, 0, 0},   {255, 85, 0},  {255, 170, 0}, {255, 255, 0}, {170, 255, 0}, {85, 255, 0},
    {0, 255, 0},   {0, 255, 85},  {0, 255, 170}, {0, 255, 255}, {0, 170, 255}, {0, 85, 255},
    {0, 0, 255},   {85, 0, 255},  {170, 0, 255}, {255, 0, 255}, {255, 0, 170}, {255, 0, 85}};

/* ------------------------------------------------------------------------------------------ */
/* A strict minimal GIF decoder                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct gif_decoded {
    int w, h, n;
    image frames[64];
    int delays[64];
    int loop; /* -1 when there is no NETSCAPE2.0 extension */
    int gct_size;
    char err[128];
} gif_decoded;

typedef struct reader {
    const uint8_t *p;
    size_t n, pos;
    bool bad;
} reader;

static int rd8(reader *r) {
    if (r->pos >= r->n) {
        r->bad = true;
        return 0;
    }
    return r->p[r->pos++];
}
static int rd16(reader *r) {
    int a = rd8(r);
    return a | rd8(r) << 8;
}

/* Reads the sub-blocks of one image's data into a contiguous buffer. */
static uint8_t *read_subblocks(reader *r, size_t *len) {
    uint8_t *buf = NULL;
    *len = 0;
    for (;;) {
        int n = rd8(r);
        if (r->bad) break;
        if (n == 0) break;
        buf = realloc(buf, *len + (size_t)n);
        for (int i = 0; i < n; i++) buf[*len + i] = (uint8_t)rd8(r);
        *len += (size_t)n;
        if (r->bad) break;
    }
    return buf;
}

/* Decodes LZW data into out[0..npx); returns false with a message on any irregularity. */
static bool lzw_decode(const uint8_t *d, size_t len, int min_size, uint8_t *out, size_t npx, char *err) {
    uint16_t prefix[4096];
    uint8_t suffix[4096], stack[4097];
    const int clear = 1 << min_size, eoi = clear + 1;
    int width = min_size + 1, next = eoi + 1, prev = -1;
    size_t bitpos = 0, o = 0;
    bool first = true;
    for (;;) {
        if (bitpos + (size_t)width > len * 8) {
            snprintf(err, 128, "LZW data ends without an end code");
            return false;
        }
        int code = 0;
        for (int b = 0; b < width; b++, bitpos++) code |= ((d[bitpos / 8] >> (bitpos % 8)) & 1) << b;
        if (first && code != clear) {
            snprintf(err, 128, "LZW data does not start with a clear code");
            return false;
        }
        first = false;
        if (code == clear) {
            width = min_size + 1;
            next = eoi + 1;
            prev = -1;
            continue;
        }
        if (code == eoi) {
            if (o != npx) {
                snprintf(err, 128, "end code after %zu of %zu pixels", o, npx);
                return false;
            }
            if ((bitpos + 7) / 8 != len) {
                snprintf(err, 128, "%zu bytes after the end code", len - (bitpos + 7) / 8);
                return false;
            }
            return true;
        }
        int sp = 0, c;
        if (prev < 0) {
            if (code >= clear) {
                snprintf(err, 128, "first code %d after a clear is not a literal", code);
                return false;
            }
            stack[sp++] = (uint8_t)code;
        } else {
            if (code > next || (code == next && next >= 4096)) {
                snprintf(err, 128, "code %d beyond the table (next %d)", code, next);
                return false;
            }
            c = code == next ? prev : code;
            while (c >= clear) {
                stack[sp++] = suffix[c];
                c = prefix[c];
            }
            stack[sp++] = (uint8_t)c; /* first byte of the string */
            uint8_t firstbyte = (uint8_t)c;
            if (code == next) {
                /* KwKwK: string(prev) + first(prev); the stack holds string(prev) reversed */
                memmove(stack + 1, stack, (size_t)sp);
                stack[0] = firstbyte;
                sp++;
            }
            if (next < 4096) {
                prefix[next] = (uint16_t)prev;
                suffix[next] = firstbyte;
                next++;
                if (next == (1 << width) && width < 12) width++;
            }
        }
        while (sp > 0) {
            if (o >= npx) {
                snprintf(err, 128, "more pixels than the frame holds");
                return false;
            }
            out[o++] = stack[--sp];
        }
        prev = code;
    }
}

static bool gif_decode(const uint8_t *p, size_t n, gif_decoded *g) {
    memset(g, 0, sizeof *g);
    g->loop = -1;
    reader r = {p, n, 0, false};
    if (n < 13 || memcmp(p, "GIF89a", 6)) {
        snprintf(g->err, sizeof g->err, "no GIF89a header");
        return false;
    }
    r.pos = 6;
    g->w = rd16(&r);
    g->h = rd16(&r);
    int packed = rd8(&r);
    rd8(&r);
    rd8(&r);
    if (!(packed & 0x80)) {
        snprintf(g->err, sizeof g->err, "no global colour table");
        return false;
    }
    g->gct_size = 1 << ((packed & 7) + 1);
    uint8_t gct[256][3];
    for (int i = 0; i < g->gct_size; i++)
        for (int c = 0; c < 3; c++) gct[i][c] = (uint8_t)rd8(&r);
    uint8_t *canvas = calloc((size_t)g->w * g->h, 1);
    int delay = -1, disposal = -1;
    for (;;) {
        int b = rd8(&r);
        if (r.bad) {
            snprintf(g->err, sizeof g->err, "file ends before the trailer");
            break;
        }
        if (b == 0x3b) {
            if (r.pos != n) snprintf(g->err, sizeof g->err, "bytes after the trailer");
            break;
        }
        if (b == 0x21) {
            int label = rd8(&r);
            if (label == 0xff) {
                int bl = rd8(&r);
                char app[12] = {0};
                for (int i = 0; i < bl && i < 11; i++) app[i] = (char)rd8(&r);
                if (bl == 11 && !memcmp(app, "NETSCAPE2.0", 11)) {
                    if (rd8(&r) != 3 || rd8(&r) != 1) snprintf(g->err, sizeof g->err, "bad NETSCAPE block");
                    g->loop = rd16(&r);
                    if (rd8(&r) != 0) snprintf(g->err, sizeof g->err, "NETSCAPE block not terminated");
                } else {
                    size_t l;
                    free(read_subblocks(&r, &l));
                }
            } else if (label == 0xf9) {
                if (rd8(&r) != 4) snprintf(g->err, sizeof g->err, "bad GCE size");
                int pk = rd8(&r);
                disposal = (pk >> 2) & 7;
                delay = rd16(&r);
                rd8(&r);
                if (rd8(&r) != 0) snprintf(g->err, sizeof g->err, "GCE not terminated");
            } else {
                size_t l;
                free(read_subblocks(&r, &l));
            }
            continue;
        }
        if (b != 0x2c) {
            snprintf(g->err, sizeof g->err, "unexpected block 0x%02x at %zu", b, r.pos - 1);
            break;
        }
        int x = rd16(&r), y = rd16(&r), w = rd16(&r), h = rd16(&r), pk = rd8(&r);
        if (pk != 0 || x + w > g->w || y + h > g->h || w < 1 || h < 1) {
            snprintf(g->err, sizeof g->err, "bad image descriptor %d,%d %dx%d flags %d", x, y, w, h, pk);
            break;
        }
        if (delay < 0 || disposal != 1) {
            snprintf(g->err, sizeof g->err, "frame %d without a GCE of disposal 1", g->n);
            break;
        }
        int min_size = rd8(&r);
        size_t len;
        uint8_t *data = read_subblocks(&r, &len);
        uint8_t *idx = malloc((size_t)w * h);
        bool ok = min_size >= 2 && min_size <= 8 && lzw_decode(data, len, min_size, idx, (size_t)w * h, g->err);
        free(data);
        if (!ok) {
            if (!g->err[0]) snprintf(g->err, sizeof g->err, "bad min code size %d", min_size);
            free(idx);
            break;
        }
        if (g->n == 0 && (x || y || w != g->w || h != g->h)) {
            snprintf(g->err, sizeof g->err, "frame 0 does not cover the canvas");
            free(idx);
            break;
        }
        for (int yy = 0; yy < h; yy++) memcpy(canvas + (size_t)(y + yy) * g->w + x, idx + (size_t)yy * w, (size_t)w);
        free(idx);
        if (g->n < 64) {
            image *f = &g->frames[g->n];
            image_alloc(f, g->w, g->h);
            for (size_t i = 0; i < (size_t)g->w * g->h; i++) memcpy(f->rgb + 3 * i, gct[canvas[i]], 3);
            g->delays[g->n] = delay;
        }
        g->n++;
        delay = disposal = -1;
    }
    free(canvas);
    return g->err[0] == 0;
}

static void gif_decoded_free(gif_decoded *g) {
    for (int i = 0; i < g->n && i < 64; i++) image_free(&g->frames[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static double psnr(const image *a, const image *b) {
    double se = 0;
    size_t n = image_bytes(a);
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->rgb[i] - b->rgb[i];
        se += d * d;
    }
    return se == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / (se / (double)n));
}

/* Skeleton-like frames: black, a moving limb per OpenPose colour. */
static void make_skeleton_frames(image *f, int n, int w, int h) {
    for (int i = 0; i < n; i++) {
        image_alloc(&f[i], w, h);
        for (int k = 0; k < 18; k++) {
            int x0 = (k * 7 + i * 3) % (w - 6), y0 = (k * 5 + i) % (h - 3);
            for (int t = 0; t < 6; t++)
                for (int dy = 0; dy < 2; dy++) memcpy(image_px(&f[i], x0 + t, y0 + dy), k_openpose[k], 3);
        }
    }
}

/* Encodes, decodes with both decoders and compares; returns the min PSNR (99 = exact). */
static double round_trip(const char *descr, const image *frames, int n, double fps, int loop, gif_stats *st,
                         gif_decoded *g) {
    const char *path = tmp("rt.gif");
    TEST_COND(descr, gif_write(path, frames, n, fps, loop) == MOSA_OK);
    uint8_t *data;
    size_t len;
    TEST_COND("read back", file_read_all(path, 1 << 28, &data, &len) == MOSA_OK);
    uint8_t *enc;
    size_t enc_n;
    TEST_COND("gif_encode", gif_encode(frames, n, fps, loop, &enc, &enc_n, st) == MOSA_OK);
    TEST_COND("gif_encode gives the bytes gif_write writes", enc_n == len && memcmp(enc, data, len) == 0);
    mosa_free(enc);
    bool ok = gif_decode(data, len, g);
    if (!ok) printf("  %s: own decoder: %s\n", descr, g->err);
    TEST_COND("strict decoder accepts the file", ok);
    TEST_COND("frame count (own decoder)", g->n == n);
    TEST_COND("size (own decoder)", g->w == frames[0].w && g->h == frames[0].h);
    double worst = 99;
    for (int i = 0; i < n && i < g->n && i < 64; i++) {
        double p = psnr(&g->frames[i], &frames[i]);
        if (p < worst) worst = p;
    }
    /* FFmpeg's GIF decoder through the video reader */
    video_reader r;
    mosa_status s = video_reader_open(&r, path);
    if (s) printf("  %s: %s\n", descr, mosa_last_error());
    TEST_COND("FFmpeg opens the GIF", s == MOSA_OK);
    if (s == MOSA_OK) {
        TEST_COND("FFmpeg sees the size", r.width == frames[0].w && r.height == frames[0].h);
        image im = {0};
        bool got;
        int k = 0;
        double worst_ff = 99;
        while (video_reader_next(&r, &im, &got) == MOSA_OK && got) {
            if (k < n) {
                double p = psnr(&im, &frames[k]);
                if (p < worst_ff) worst_ff = p;
                if (k < g->n && k < 64 && memcmp(im.rgb, g->frames[k].rgb, image_bytes(&im)) != 0) worst_ff = -1;
            }
            k++;
        }
        TEST_COND("FFmpeg decodes every frame", k == n);
        TEST_COND("FFmpeg's frames equal the strict decoder's", worst_ff >= 0);
        image_free(&im);
        video_reader_close(&r);
    }
    /* ffprobe, when installed */
    if (access("/usr/bin/ffprobe", X_OK) == 0) {
        char cmd[1024], line[256] = {0};
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                 "stream=codec_name,width,height,nb_read_frames -of csv=p=0 '%s'", path);
        FILE *p = popen(cmd, "r");
        if (p && fgets(line, sizeof line, p)) {
            char want[128];
            snprintf(want, sizeof want, "gif,%d,%d,%d", frames[0].w, frames[0].h, n);
            line[strcspn(line, "\r\n")] = 0;
            if (strcmp(line, want)) printf("  ffprobe: '%s', want '%s'\n", line, want);
            TEST_COND("ffprobe: codec, size and frame count", !strcmp(line, want));
        }
        if (p) pclose(p);
    }
    mosa_free(data);
    unlink(path);
    return worst;
}

static void test_skeleton_exact(void) {
    image f[12];
    make_skeleton_frames(f, 12, 64, 48);
    gif_stats st;
    gif_decoded g;
    double p = round_trip("skeleton frames", f, 12, 20, 0, &st, &g);
    TEST_COND("19 colours: an exact palette", st.exact && st.palette_colors == 19);
    TEST_COND("global table of 32 entries", g.gct_size == 32);
    TEST_COND("skeleton frames come back exactly", p == 99);
    TEST_COND("loop forever", g.loop == 0);
    bool delays_ok = true;
    for (int i = 0; i < g.n; i++) delays_ok &= g.delays[i] == 5;
    TEST_COND("20 fps = 5 cs per frame", delays_ok);
    gif_decoded_free(&g);
    /* identical frames (an unchanged frame is stored as one pixel) and 2 colours */
    image same[3];
    for (int i = 0; i < 3; i++) {
        image_alloc(&same[i], 10, 10);
        memset(same[i].rgb, 0, image_bytes(&same[i]));
        same[i].rgb[3 * 55] = 255;
    }
    p = round_trip("identical frames", same, 3, 10, 3, &st, &g);
    TEST_COND("identical frames exact", p == 99 && st.palette_colors == 2 && g.gct_size == 2);
    TEST_COND("loop count 3", g.loop == 3);
    TEST_COND("10 fps = 10 cs", g.delays[0] == 10 && g.delays[2] == 10);
    gif_decoded_free(&g);
    for (int i = 0; i < 3; i++) image_free(&same[i]);
    /* one pixel, one colour, no loop extension */
    image one;
    image_alloc(&one, 1, 1);
    memset(one.rgb, 200, 3);
    p = round_trip("1x1", &one, 1, 25, -1, &st, &g);
    TEST_COND("1x1 exact, no loop extension", p == 99 && g.loop == -1 && st.palette_colors == 1);
    gif_decoded_free(&g);
    image_free(&one);
    for (int i = 0; i < 12; i++) image_free(&f[i]);
}

static void test_lzw_stress(void) {
    /* 256 colours in random noise: the LZW table fills and is cleared many times */
    uint8_t pal[256][3];
    for (int i = 0; i < 256; i++) pal[i][0] = (uint8_t)i, pal[i][1] = (uint8_t)(i * 7), pal[i][2] = (uint8_t)(255 - i);
    image f[2];
    for (int k = 0; k < 2; k++) {
        image_alloc(&f[k], 300, 200);
        for (int i = 0; i < 300 * 200; i++) memcpy(f[k].rgb + 3 * i, pal[k == 0 ? rnd() & 255 : (i / 7) & 255], 3);
    }
    gif_stats st;
    gif_decoded g;
    double p = round_trip("256-colour noise", f, 2, 12.5, 0, &st, &g);
    TEST_COND("256 colours exact", st.exact && st.palette_colors == 256 && p == 99);
    TEST_COND("12.5 fps = 8 cs", g.delays[0] == 8 && g.delays[1] == 8);
    gif_decoded_free(&g);
    image_free(&f[0]);
    image_free(&f[1]);
    /* one colour over a large frame: codes grow to 12 bits in a few rows */
    image big;
    image_alloc(&big, 700, 500);
    memset(big.rgb, 0, image_bytes(&big));
    p = round_trip("700x500 of one colour", &big, 1, 20, 0, &st, &g);
    TEST_COND("long runs exact", p == 99);
    gif_decoded_free(&g);
    image_free(&big);
}

static void test_quantized(void) {
    image f[4];
    for (int k = 0; k < 4; k++) {
        image_alloc(&f[k], 96, 64);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 96; x++) {
                uint8_t *px = image_px(&f[k], x, y);
                px[0] = (uint8_t)(x * 255 / 95);
                px[1] = (uint8_t)(y * 255 / 63);
                px[2] = (uint8_t)(128 + 100 * sin((x + y + 10 * k) * 0.05));
            }
    }
    gif_stats st;
    gif_decoded g;
    double p = round_trip("smooth gradients (thousands of colours)", f, 4, 24, 0, &st, &g);
    printf("  quantized palette: %d colours, worst PSNR %.1f dB\n", st.palette_colors, p);
    TEST_COND("quantized: not exact, a full palette", !st.exact && st.palette_colors > 200);
    /* 256 colours for a 3-D spread of colours: steps of about 256/6.3 per axis, so about 27 dB
     * is the most any palette can give here without dithering */
    TEST_COND("quantized: PSNR above 28 dB", p > 28);
    int sum = 0;
    for (int i = 0; i < g.n; i++) sum += g.delays[i];
    TEST_COND("24 fps: delays 4 or 5 cs adding up to round(100*4/24)", sum == 17 && g.delays[0] == 4);
    gif_decoded_free(&g);
    for (int k = 0; k < 4; k++) image_free(&f[k]);
    /* 24 fps over 24 frames is exactly one second; 100 fps is capped at 2 cs */
    image s[24];
    for (int i = 0; i < 24; i++) {
        image_alloc(&s[i], 4, 4);
        s[i].rgb[0] = (uint8_t)(i * 10);
    }
    p = round_trip("24 frames at 24 fps", s, 24, 24, 0, &st, &g);
    sum = 0;
    for (int i = 0; i < g.n; i++) sum += g.delays[i];
    TEST_COND("24 frames at 24 fps last 100 cs", sum == 100 && p == 99);
    gif_decoded_free(&g);
    p = round_trip("100 fps", s, 5, 100, 0, &st, &g);
    TEST_COND("100 fps: 2 cs per frame (browser minimum)", g.delays[0] == 2 && g.delays[4] == 2);
    gif_decoded_free(&g);
    for (int i = 0; i < 24; i++) image_free(&s[i]);
}

static void test_errors(void) {
    image f[2];
    image_alloc(&f[0], 8, 8);
    image_alloc(&f[1], 8, 9);
    TEST_COND("frames of different sizes", gif_write(tmp("e.gif"), f, 2, 10, 0) == MOSA_ERR_ARG &&
                                               strstr(mosa_last_error(), "frame 1 is 8x9"));
    TEST_COND("no frames", gif_write(tmp("e.gif"), f, 0, 10, 0) == MOSA_ERR_ARG);
    TEST_COND("fps 0", gif_write(tmp("e.gif"), f, 1, 0, 0) == MOSA_ERR_ARG);
    TEST_COND("fps nan", gif_write(tmp("e.gif"), f, 1, NAN, 0) == MOSA_ERR_ARG);
    TEST_COND("loop 70000", gif_write(tmp("e.gif"), f, 1, 10, 70000) == MOSA_ERR_ARG);
    TEST_COND("missing directory", gif_write("/nonexistent-mosa-dir/e.gif", f, 1, 10, 0) == MOSA_ERR_IO);
    image nopix = {.w = 8, .h = 8, .rgb = NULL};
    TEST_COND("NULL pixels", gif_write(tmp("e.gif"), &nopix, 1, 10, 0) == MOSA_ERR_ARG);
    TEST_COND("failed writes leave nothing", test_dir_entries(g_dir) == 0);
    image_free(&f[0]);
    image_free(&f[1]);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/mosa_test_gif_%ld", (long)getpid());
    mkdir(g_dir, 0755);
    test_skeleton_exact();
    test_lzw_stress();
    test_quantized();
    test_errors();
    TEST_COND("nothing left in the test directory", test_dir_entries(g_dir) == 0);
    rmdir(g_dir);
    return test_report();
}
