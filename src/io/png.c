/* png.c: PNG read/write through libpng, with a chunk walk that validates a file before libpng
 * or this code allocates anything for it, and numbered PNG sequences.
 *
 * What this is: the implementation of png.h. libpng reports errors by calling an error
 * function that must not return; ours records the message and longjmps back into the one
 * function per direction that called setjmp (png__decode_run, png__encode_run). All state those
 * functions change lives in a context struct owned by their caller, so nothing depends on the
 * value of a local variable after longjmp, and the caller frees whatever was allocated.
 *
 * What this is not: a general PNG library (no APNG, no colour management, no 16-bit output). */
#define _GNU_SOURCE
#include "io/png.h"

#include <png.h>

#include <errno.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* The chunk walk: structural validation before libpng runs                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct png__info {
    uint32_t w, h;
    int bit_depth, color_type, interlace;
    uint64_t idat_bytes;
} png__info;

static uint32_t png__be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int png__channels(int color_type) {
    switch (color_type) {
    case 0: return 1; /* gray */
    case 2: return 3; /* RGB */
    case 3: return 1; /* palette index */
    case 4: return 2; /* gray + alpha */
    case 6: return 4; /* RGBA */
    default: return 0;
    }
}

/* Checks the signature and the chunk layout of a whole PNG held in memory and fills *info from
 * its IHDR; returns MOSA_ERR_FORMAT with a message naming the file for anything malformed,
 * before any allocation. CRCs are left to libpng. */
static mosa_status png__scan(const uint8_t *d, size_t n, const char *name, png__info *info) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(info, 0, sizeof *info);
    if (n < 8 || memcmp(d, sig, 8) != 0)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: not a PNG file (the 8-byte PNG signature is missing)", name);
    size_t pos = 8;
    bool seen_ihdr = false, seen_iend = false, seen_plte = false;
    while (!seen_iend) {
        if (n - pos < 12)
            return mosa_fail(MOSA_ERR_FORMAT,
                             "%s: truncated PNG: the file ends at byte %zu inside a chunk header, before the "
                             "IEND chunk; re-create or re-download the file", name, n);
        uint32_t len = png__be32(d + pos);
        const uint8_t *type = d + pos + 4;
        if (len > 0x7fffffffu)
            return mosa_fail(MOSA_ERR_FORMAT, "%s: chunk at byte %zu has length %u, more than PNG allows (2^31-1)",
                             name, pos, len);
        for (int i = 0; i < 4; i++) {
            uint8_t c = type[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                return mosa_fail(MOSA_ERR_FORMAT, "%s: chunk at byte %zu has an invalid type (bytes %02x %02x %02x %02x)",
                                 name, pos, type[0], type[1], type[2], type[3]);
        }
        if ((uint64_t)len + 12 > (uint64_t)(n - pos))
            return mosa_fail(MOSA_ERR_FORMAT,
                             "%s: truncated PNG: chunk '%.4s' at byte %zu needs %u bytes but the file ends at byte %zu",
                             name, (const char *)type, pos, len + 12u, n);
        const uint8_t *body = d + pos + 8;
        if (!seen_ihdr) {
            if (memcmp(type, "IHDR", 4) != 0 || len != 13)
                return mosa_fail(MOSA_ERR_FORMAT, "%s: the first chunk must be a 13-byte IHDR, found '%.4s' of %u bytes",
                                 name, (const char *)type, len);
            seen_ihdr = true;
            info->w = png__be32(body);
            info->h = png__be32(body + 4);
            info->bit_depth = body[8];
            info->color_type = body[9];
            info->interlace = body[12];
            if (info->w == 0 || info->h == 0)
                return mosa_fail(MOSA_ERR_FORMAT, "%s: IHDR declares an empty image (%ux%u)", name, info->w, info->h);
            if (info->w > IMAGE_MAX_DIM || info->h > IMAGE_MAX_DIM)
                return mosa_fail(MOSA_ERR_FORMAT,
                                 "%s: IHDR declares %ux%u pixels, larger than the %dx%d limit; refusing to allocate it",
                                 name, info->w, info->h, IMAGE_MAX_DIM, IMAGE_MAX_DIM);
            int ch = png__channels(info->color_type), bd = info->bit_depth;
            bool depth_ok = (info->color_type == 0 && (bd == 1 || bd == 2 || bd == 4 || bd == 8 || bd == 16)) ||
                            (info->color_type == 3 && (bd == 1 || bd == 2 || bd == 4 || bd == 8)) ||
                            (ch > 0 && info->color_type != 0 && info->color_type != 3 && (bd == 8 || bd == 16));
            if (!depth_ok)
                return mosa_fail(MOSA_ERR_FORMAT, "%s: IHDR has colour type %d with bit depth %d, which PNG does not define",
                                 name, info->color_type, bd);
            if (body[10] != 0 || body[11] != 0 || info->interlace > 1)
                return mosa_fail(MOSA_ERR_FORMAT, "%s: IHDR has unknown compression/filter/interlace methods (%d/%d/%d)",
                                 name, body[10], body[11], info->interlace);
        } else if (memcmp(type, "IHDR", 4) == 0) {
            return mosa_fail(MOSA_ERR_FORMAT, "%s: a second IHDR chunk at byte %zu", name, pos);
        } else if (memcmp(type, "PLTE", 4) == 0) {
            seen_plte = true;
        } else if (memcmp(type, "IDAT", 4) == 0) {
            info->idat_bytes += len;
        } else if (memcmp(type, "IEND", 4) == 0) {
            seen_iend = true;
        } else if (len > PNG_MAX_TEXT_BYTES) {
            return mosa_fail(MOSA_ERR_FORMAT, "%s: chunk '%.4s' at byte %zu holds %u bytes, more than the %zu-byte limit "
                             "for metadata chunks", name, (const char *)type, pos, len, PNG_MAX_TEXT_BYTES);
        } else if (!(type[0] & 0x20)) {
            return mosa_fail(MOSA_ERR_FORMAT, "%s: unknown critical chunk '%.4s' at byte %zu", name, (const char *)type, pos);
        }
        pos += (size_t)len + 12;
    }
    if (info->idat_bytes == 0) return mosa_fail(MOSA_ERR_FORMAT, "%s: the PNG has no image data (no IDAT chunk)", name);
    if (info->color_type == 3 && !seen_plte)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: palette PNG without a PLTE chunk", name);
    /* deflate expands at most ~1032:1, so the compressed data bounds the pixel data */
    uint64_t bits = (uint64_t)png__channels(info->color_type) * (uint64_t)info->bit_depth;
    uint64_t min_raw = ((uint64_t)info->w * info->h * bits + 7) / 8;
    if (info->idat_bytes * 1040 + 1024 < min_raw)
        return mosa_fail(MOSA_ERR_FORMAT,
                         "%s: IHDR declares %ux%u pixels (%llu bytes) but the file holds only %llu bytes of compressed "
                         "image data, which cannot expand that much: the file is truncated or hostile",
                         name, info->w, info->h, (unsigned long long)min_raw, (unsigned long long)info->idat_bytes);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* libpng callbacks                                                                            */
/* ------------------------------------------------------------------------------------------ */

typedef struct png__err {
    char msg[200];
} png__err;

static void png__on_error(png_structp png, png_const_charp msg) {
    png__err *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

static void png__on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* warnings (bad ancillary CRCs, odd profiles) are not errors; the library never prints */
}

/* ------------------------------------------------------------------------------------------ */
/* Reading                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct png__reader {
    png__err err; /* first: libpng's error pointer */
    const uint8_t *data;
    size_t n, pos;
    png_structp png;
    png_infop info, end_info;
    bool want_image, want_params;
    image img;       /* the result, owned here until success */
    uint8_t *rgba;   /* scratch: one row, or the whole image when interlaced */
    png_bytep *rows; /* row pointers into rgba (interlaced only) */
    char *params;
} png__reader;

static void png__read_cb(png_structp png, png_bytep out, size_t len) {
    png__reader *r = png_get_io_ptr(png);
    if (len > r->n - r->pos) png_error(png, "unexpected end of data");
    memcpy(out, r->data + r->pos, len);
    r->pos += len;
}

/* Copies the first text chunk keyed "parameters" of info into r->params, if any. */
static void png__take_params(png__reader *r, png_infop info) {
    if (r->params || !info) return;
    png_textp text = NULL;
    int num = 0;
    png_get_text(r->png, info, &text, &num);
    for (int i = 0; i < num; i++) {
        if (!text[i].key || strcmp(text[i].key, "parameters") != 0) continue;
        const char *t = text[i].text ? text[i].text : "";
        size_t len = strlen(t);
        r->params = mosa_malloc(len + 1);
        if (!r->params) png_error(r->png, "out of memory copying the parameters text");
        memcpy(r->params, t, len + 1);
        return;
    }
}

/* Composites one RGBA8 row on black into RGB8. */
static void png__row_to_rgb(uint8_t *dst, const uint8_t *src, int w) {
    for (int x = 0; x < w; x++) {
        unsigned a = src[4 * x + 3];
        if (a == 255) {
            dst[3 * x] = src[4 * x];
            dst[3 * x + 1] = src[4 * x + 1];
            dst[3 * x + 2] = src[4 * x + 2];
        } else {
            for (int c = 0; c < 3; c++) dst[3 * x + c] = (uint8_t)((src[4 * x + c] * a + 127) / 255);
        }
    }
}

/* Runs libpng over r->data; the only function of the reader that calls setjmp. Returns
 * MOSA_ERR_FORMAT with the libpng message in r->err on a libpng error. */
static mosa_status png__decode_run(png__reader *r) {
    if (setjmp(png_jmpbuf(r->png))) return MOSA_ERR_FORMAT;
    png_set_read_fn(r->png, r, png__read_cb);
    png_set_user_limits(r->png, IMAGE_MAX_DIM, IMAGE_MAX_DIM);
    png_set_chunk_malloc_max(r->png, PNG_MAX_TEXT_BYTES + 4096);
    png_set_chunk_cache_max(r->png, 10000);
    png_read_info(r->png, r->info);
    png__take_params(r, r->info);
    if (!r->want_image && (r->params || !r->want_params)) return MOSA_OK;

    png_uint_32 w, h;
    int bit_depth, color_type, interlace;
    png_get_IHDR(r->png, r->info, &w, &h, &bit_depth, &color_type, &interlace, NULL, NULL);
    /* everything to RGBA8: expand palette/low-bit gray/tRNS, scale 16 bits, gray to RGB, opaque filler */
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
    if (png_get_valid(r->png, r->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r->png);
    if (bit_depth == 16) png_set_scale_16(r->png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(r->png);
    png_set_filler(r->png, 0xff, PNG_FILLER_AFTER); /* no-op when there is alpha already */
    int passes = png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);
    if (png_get_rowbytes(r->png, r->info) != (size_t)w * 4 || png_get_channels(r->png, r->info) != 4 ||
        png_get_bit_depth(r->png, r->info) != 8)
        png_error(r->png, "unexpected row layout after conversion to RGBA8");

    if (r->want_image) {
        if (image_alloc(&r->img, (int)w, (int)h) != MOSA_OK) png_error(r->png, "out of memory for the image");
        if (passes > 1) {
            size_t bytes = (size_t)w * h * 4;
            r->rgba = mosa_malloc(bytes);
            r->rows = mosa_malloc((size_t)h * sizeof *r->rows);
            if (!r->rgba || !r->rows) png_error(r->png, "out of memory for the interlaced image");
            for (png_uint_32 y = 0; y < h; y++) r->rows[y] = r->rgba + (size_t)y * w * 4;
            png_read_image(r->png, r->rows);
            for (png_uint_32 y = 0; y < h; y++) png__row_to_rgb(image_px(&r->img, 0, (int)y), r->rows[y], (int)w);
        } else {
            r->rgba = mosa_malloc((size_t)w * 4);
            if (!r->rgba) png_error(r->png, "out of memory for a row");
            for (png_uint_32 y = 0; y < h; y++) {
                png_read_row(r->png, r->rgba, NULL);
                png__row_to_rgb(image_px(&r->img, 0, (int)y), r->rgba, (int)w);
            }
        }
    } else {
        /* only the parameters, which may follow the image data: decode rows into one scratch row */
        r->rgba = mosa_malloc((size_t)w * 4);
        if (!r->rgba) png_error(r->png, "out of memory for a row");
        for (int p = 0; p < passes; p++)
            for (png_uint_32 y = 0; y < h; y++) png_read_row(r->png, r->rgba, NULL);
    }
    png_read_end(r->png, r->end_info);
    png__take_params(r, r->end_info);
    return MOSA_OK;
}

mosa_status png_decode(const uint8_t *data, size_t n, const char *name, image *out, char **parameters) {
    if (out) *out = (image){0};
    if (parameters) *parameters = NULL;
    if (!name) name = "PNG data";
    if (!data && n) return mosa_fail(MOSA_ERR_ARG, "%s: data is NULL", name);
    png__info info;
    MOSA_TRY(png__scan(data, n, name, &info));

    png__reader *r = mosa_calloc(1, sizeof *r);
    if (!r) return mosa_fail_context(MOSA_ERR_NOMEM, "reading %s", name);
    r->data = data;
    r->n = n;
    r->want_image = out != NULL;
    r->want_params = parameters != NULL;
    mosa_status s = MOSA_OK;
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r->err, png__on_error, png__on_warning);
    if (r->png) r->info = png_create_info_struct(r->png);
    if (r->png) r->end_info = png_create_info_struct(r->png);
    if (!r->png || !r->info || !r->end_info) {
        s = mosa_fail(MOSA_ERR_NOMEM, "%s: libpng could not allocate its read state", name);
    } else {
        s = png__decode_run(r);
        if (s != MOSA_OK)
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: corrupt PNG: %s", name, r->err.msg);
    }
    if (r->png) png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, r->end_info ? &r->end_info : NULL);
    mosa_free(r->rgba);
    mosa_free(r->rows);
    if (s == MOSA_OK) {
        if (out) *out = r->img;
        else image_free(&r->img);
        if (parameters) *parameters = r->params;
        else mosa_free(r->params);
    } else {
        image_free(&r->img);
        mosa_free(r->params);
    }
    mosa_free(r);
    return s;
}

mosa_status png_read(const char *path, image *out) {
    *out = (image){0};
    uint8_t *data;
    size_t n;
    MOSA_TRY(file_read_all(path, PNG_MAX_FILE_BYTES, &data, &n));
    mosa_status s = png_decode(data, n, path, out, NULL);
    mosa_free(data);
    return s;
}

mosa_status png_read_parameters(const char *path, char **parameters) {
    *parameters = NULL;
    uint8_t *data;
    size_t n;
    MOSA_TRY(file_read_all(path, PNG_MAX_FILE_BYTES, &data, &n));
    mosa_status s = png_decode(data, n, path, NULL, parameters);
    mosa_free(data);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct png__writer {
    png__err err; /* first: libpng's error pointer */
    png_structp png;
    png_infop info;
    const image *im;
    const char *params;
    atomic_file *af; /* sink: a file ... */
    uint8_t *buf;    /* ... or a growing buffer */
    size_t len, cap;
} png__writer;

static void png__write_cb(png_structp png, png_bytep data, size_t len) {
    png__writer *w = png_get_io_ptr(png);
    if (w->af) {
        if (atomic_file_write(w->af, data, len) != MOSA_OK) png_error(png, mosa_last_error());
        return;
    }
    if (len > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap - w->len < len) {
            if (cap > SIZE_MAX / 2) png_error(png, "PNG too large for memory");
            cap *= 2;
        }
        uint8_t *nb = mosa_realloc(w->buf, cap);
        if (!nb) png_error(png, "out of memory for the PNG buffer");
        w->buf = nb;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, data, len);
    w->len += len;
}

static void png__flush_cb(png_structp png) { (void)png; }

/* True if s is valid UTF-8 with at least one non-ASCII character. */
static bool png__is_utf8_nonascii(const char *s) {
    const uint8_t *p = (const uint8_t *)s;
    bool non_ascii = false;
    while (*p) {
        if (*p < 0x80) { p++; continue; }
        non_ascii = true;
        int extra;
        uint32_t cp;
        if ((*p & 0xe0) == 0xc0) { extra = 1; cp = *p & 0x1f; }
        else if ((*p & 0xf0) == 0xe0) { extra = 2; cp = *p & 0x0f; }
        else if ((*p & 0xf8) == 0xf0) { extra = 3; cp = *p & 0x07; }
        else return false;
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80) return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        p += extra + 1;
    }
    return non_ascii;
}

/* Runs libpng's writer; the only function of the writer that calls setjmp. */
static mosa_status png__encode_run(png__writer *w) {
    if (setjmp(png_jmpbuf(w->png))) return MOSA_ERR_IO;
    png_set_write_fn(w->png, w, png__write_cb, png__flush_cb);
    png_set_IHDR(w->png, w->info, (png_uint_32)w->im->w, (png_uint_32)w->im->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (w->params) {
        png_text t;
        memset(&t, 0, sizeof t);
        t.key = (png_charp) "parameters";
        t.text = (png_charp)w->params;
        if (png__is_utf8_nonascii(w->params)) {
            t.compression = PNG_ITXT_COMPRESSION_NONE;
            t.itxt_length = strlen(w->params);
            t.lang = (png_charp) "";
            t.lang_key = (png_charp) "";
        } else {
            t.compression = PNG_TEXT_COMPRESSION_NONE;
            t.text_length = strlen(w->params);
        }
        png_set_text(w->png, w->info, &t, 1);
    }
    png_write_info(w->png, w->info);
    for (int y = 0; y < w->im->h; y++) png_write_row(w->png, image_px(w->im, 0, y));
    png_write_end(w->png, NULL);
    return MOSA_OK;
}

/* Validates the arguments and encodes into the sink already set in *w. */
static mosa_status png__encode(png__writer *w, const char *name) {
    if (w->params && strlen(w->params) > PNG_MAX_TEXT_BYTES)
        return mosa_fail(MOSA_ERR_ARG, "%s: the parameters text is %zu bytes, more than the %zu-byte limit", name,
                         strlen(w->params), PNG_MAX_TEXT_BYTES);
    w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w->err, png__on_error, png__on_warning);
    if (w->png) w->info = png_create_info_struct(w->png);
    mosa_status s;
    if (!w->png || !w->info) {
        s = mosa_fail(MOSA_ERR_NOMEM, "%s: libpng could not allocate its write state", name);
    } else {
        s = png__encode_run(w);
        if (s != MOSA_OK) {
            bool from_sink = w->af && w->af->status != MOSA_OK;
            s = from_sink ? w->af->status : mosa_fail(MOSA_ERR_IO, "%s: libpng failed to write: %s", name, w->err.msg);
        }
    }
    if (w->png) png_destroy_write_struct(&w->png, w->info ? &w->info : NULL);
    return s;
}

mosa_status png_write(const char *path, const image *im, const char *parameters) {
    MOSA_TRY(image_check(im, "the image to write"));
    atomic_file af;
    MOSA_TRY(atomic_file_open(&af, path));
    png__writer w;
    memset(&w, 0, sizeof w);
    w.im = im;
    w.params = parameters;
    w.af = &af;
    mosa_status s = png__encode(&w, path);
    if (s != MOSA_OK) {
        atomic_file_abort(&af);
        return s;
    }
    return atomic_file_commit(&af);
}

mosa_status png_encode(const image *im, const char *parameters, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    MOSA_TRY(image_check(im, "the image to encode"));
    png__writer w;
    memset(&w, 0, sizeof w);
    w.im = im;
    w.params = parameters;
    mosa_status s = png__encode(&w, "PNG buffer");
    if (s != MOSA_OK) {
        mosa_free(w.buf);
        return s;
    }
    *out = w.buf;
    *out_len = w.len;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Sequences                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Parses pattern: exactly one conversion %[0][width]d (or i/u), %% elsewhere. Sets *conv_at,
 * *conv_len, *zero, *width. */
static mosa_status png__parse_pattern(const char *pattern, size_t *conv_at, size_t *conv_len, bool *zero, int *width) {
    if (!pattern || !*pattern) return mosa_fail(MOSA_ERR_ARG, "empty PNG sequence pattern");
    int found = 0;
    for (size_t i = 0; pattern[i]; i++) {
        if (pattern[i] != '%') continue;
        if (pattern[i + 1] == '%') {
            i++;
            continue;
        }
        size_t j = i + 1;
        bool z = false;
        if (pattern[j] == '0') {
            z = true;
            j++;
        }
        int wd = 0;
        while (pattern[j] >= '0' && pattern[j] <= '9') {
            wd = wd * 10 + (pattern[j] - '0');
            if (wd > 20)
                return mosa_fail(MOSA_ERR_ARG, "pattern '%s': field width above 20 in the frame-number conversion", pattern);
            j++;
        }
        if (pattern[j] != 'd' && pattern[j] != 'i' && pattern[j] != 'u')
            return mosa_fail(MOSA_ERR_ARG,
                             "pattern '%s': unsupported conversion at position %zu; use one %%d or %%0Nd (e.g. "
                             "out_%%03d.png) and write %%%% for a literal percent sign", pattern, i);
        if (++found > 1)
            return mosa_fail(MOSA_ERR_ARG, "pattern '%s' has more than one frame-number conversion; use exactly one %%d",
                             pattern);
        *conv_at = i;
        *conv_len = j + 1 - i;
        *zero = z;
        *width = wd;
        i = j;
    }
    if (!found)
        return mosa_fail(MOSA_ERR_ARG, "pattern '%s' has no frame-number conversion; use e.g. out_%%03d.png", pattern);
    return MOSA_OK;
}

bool png_is_sequence_pattern(const char *s) {
    for (size_t i = 0; s && s[i]; i++) {
        if (s[i] != '%') continue;
        if (s[i + 1] == '%') {
            i++;
            continue;
        }
        return true;
    }
    return false;
}

mosa_status png_sequence_path(const char *pattern, int index, char *out, size_t cap) {
    size_t at = 0, clen = 0;
    bool zero = false;
    int width = 0;
    MOSA_TRY(png__parse_pattern(pattern, &at, &clen, &zero, &width));
    if (index < 0) return mosa_fail(MOSA_ERR_ARG, "negative frame index %d", index);
    size_t o = 0;
    for (size_t i = 0; pattern[i]; i++) {
        char num[48];
        const char *piece;
        size_t plen;
        if (i == at) {
            snprintf(num, sizeof num, zero ? "%0*d" : "%*d", width, index);
            piece = num;
            plen = strlen(num);
            i += clen - 1;
        } else if (pattern[i] == '%') { /* "%%" */
            piece = "%";
            plen = 1;
            i++;
        } else {
            piece = pattern + i;
            plen = 1;
        }
        if (plen >= cap - o)
            return mosa_fail(MOSA_ERR_ARG, "pattern '%s': the file name for frame %d is longer than %zu bytes", pattern,
                             index, cap - 1);
        memcpy(out + o, piece, plen);
        o += plen;
    }
    out[o] = 0;
    return MOSA_OK;
}

mosa_status png_write_sequence(const char *pattern, const image *frames, int n, const char *parameters) {
    if (n < 1) return mosa_fail(MOSA_ERR_ARG, "PNG sequence '%s': no frames to write (n = %d)", pattern ? pattern : "", n);
    if (!frames) return mosa_fail(MOSA_ERR_ARG, "PNG sequence: frames is NULL");
    char path[4096];
    MOSA_TRY(png_sequence_path(pattern, 0, path, sizeof path)); /* validates the pattern */
    for (int i = 0; i < n; i++) {
        char what[48];
        snprintf(what, sizeof what, "frame %d", i);
        MOSA_TRY(image_check(&frames[i], what));
    }
    for (int i = 0; i < n; i++) {
        mosa_status s = png_sequence_path(pattern, i, path, sizeof path);
        if (s == MOSA_OK) s = png_write(path, &frames[i], parameters);
        if (s != MOSA_OK) {
            mosa_fail_context(s, "PNG sequence '%s', frame %d of %d (frames 0..%d removed again)", pattern, i, n, i - 1);
            for (int k = 0; k < i; k++)
                if (png_sequence_path(pattern, k, path, sizeof path) == MOSA_OK) unlink(path);
            return s;
        }
    }
    return MOSA_OK;
}
