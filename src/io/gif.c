/* gif.c: the GIF89a encoder of gif.h: palette (exact, or variance cuts), LZW, frame rectangles.
 *
 * Layout written: "GIF89a", logical screen with a global colour table, the NETSCAPE2.0 loop
 * extension (unless loop < 0), then per frame a graphic control extension (delay, disposal 1 =
 * do not dispose, no transparency) and an image descriptor with LZW data in 255-byte
 * sub-blocks, then the trailer 0x3B.
 *
 * LZW follows the GIF variant: a clear code first, codes of min_code_size+1 bits growing to 12,
 * the width grows when the entry just added equals 1 << width (which is when a decoder, one
 * entry behind, grows too), and the table is cleared when entry 4095 has been added.
 *
 * Not a decoder; not an optimiser beyond the changed rectangle (no transparency tricks). */
#include "io/gif.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Output buffer                                                                               */
/* ------------------------------------------------------------------------------------------ */

typedef struct gif__buf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
} gif__buf;

static void gif__put(gif__buf *b, const void *data, size_t n) {
    if (b->failed) return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) {
                b->failed = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *np = mosa_realloc(b->p, cap);
        if (!np) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void gif__byte(gif__buf *b, uint8_t v) { gif__put(b, &v, 1); }
static void gif__u16(gif__buf *b, unsigned v) {
    gif__byte(b, (uint8_t)(v & 0xff));
    gif__byte(b, (uint8_t)(v >> 8));
}

/* ------------------------------------------------------------------------------------------ */
/* Palette                                                                                     */
/* ------------------------------------------------------------------------------------------ */

#define GIF__HASH 1024 /* open-addressing set of exact colours, at most 257 live entries */

typedef struct gif__palette {
    uint8_t rgb[256][3];
    int n;
    bool exact;
    uint32_t keys[GIF__HASH]; /* colour + 1 (0 = empty) */
    uint8_t vals[GIF__HASH];
    uint8_t *map15; /* quantized mode: 5-5-5 bin -> palette index (32768 entries) */
} gif__palette;

static uint32_t gif__hash(uint32_t c) { return (c * 2654435761u) >> 22; } /* 10 bits */

/* Looks colour c up in the exact set; inserts it (when there is room) if absent. Returns its
 * slot, or -1 when the set is full. */
static int gif__slot(gif__palette *pal, uint32_t c, bool insert) {
    uint32_t h = gif__hash(c);
    for (;;) {
        if (pal->keys[h] == c + 1) return (int)h;
        if (pal->keys[h] == 0) {
            if (!insert || pal->n >= 257) return -1;
            pal->keys[h] = c + 1;
            pal->n++;
            return (int)h;
        }
        h = (h + 1) & (GIF__HASH - 1);
    }
}

static uint32_t gif__rgb(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }

static int gif__cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Collects the distinct colours of all frames; true (with the sorted exact palette and the
 * lookup filled) when there are at most 256. */
static bool gif__exact_palette(gif__palette *pal, const image *frames, int n) {
    memset(pal->keys, 0, sizeof pal->keys);
    pal->n = 0;
    uint32_t last = 0xffffffffu;
    for (int f = 0; f < n; f++) {
        const uint8_t *p = frames[f].rgb;
        size_t npx = (size_t)frames[f].w * frames[f].h;
        for (size_t i = 0; i < npx; i++, p += 3) {
            uint32_t c = gif__rgb(p);
            if (c == last) continue;
            last = c;
            gif__slot(pal, c, true);
            if (pal->n > 256) return false;
        }
    }
    uint32_t colors[256];
    int k = 0;
    for (int h = 0; h < GIF__HASH; h++)
        if (pal->keys[h]) colors[k++] = pal->keys[h] - 1;
    qsort(colors, (size_t)k, sizeof colors[0], gif__cmp_u32); /* deterministic order */
    for (int i = 0; i < k; i++) {
        pal->rgb[i][0] = (uint8_t)(colors[i] >> 16);
        pal->rgb[i][1] = (uint8_t)(colors[i] >> 8);
        pal->rgb[i][2] = (uint8_t)colors[i];
        pal->vals[gif__slot(pal, colors[i], false)] = (uint8_t)i;
    }
    pal->exact = true;
    return true;
}

typedef struct gif__bin {
    uint64_t count, sum[3];
    double mean[3];
    uint16_t idx; /* 5-5-5 bin index */
} gif__bin;

static int gif__cmp_axis0(const void *a, const void *b) {
    double x = ((const gif__bin *)a)->mean[0], y = ((const gif__bin *)b)->mean[0];
    return (x > y) - (x < y);
}
static int gif__cmp_axis1(const void *a, const void *b) {
    double x = ((const gif__bin *)a)->mean[1], y = ((const gif__bin *)b)->mean[1];
    return (x > y) - (x < y);
}
static int gif__cmp_axis2(const void *a, const void *b) {
    double x = ((const gif__bin *)a)->mean[2], y = ((const gif__bin *)b)->mean[2];
    return (x > y) - (x < y);
}

typedef struct gif__box {
    int lo, hi; /* range of bins */
    uint64_t count;
    int axis;   /* axis of largest variance */
    double sse; /* sum over bins of count * squared distance to the box mean */
} gif__box;

static void gif__box_measure(gif__box *bx, const gif__bin *bins) {
    double s[3] = {0, 0, 0}, s2[3] = {0, 0, 0};
    bx->count = 0;
    for (int i = bx->lo; i < bx->hi; i++) {
        double c = (double)bins[i].count;
        bx->count += bins[i].count;
        for (int k = 0; k < 3; k++) {
            s[k] += c * bins[i].mean[k];
            s2[k] += c * bins[i].mean[k] * bins[i].mean[k];
        }
    }
    double n = (double)bx->count, best = -1;
    bx->sse = 0;
    bx->axis = 0;
    for (int k = 0; k < 3; k++) {
        double var = s2[k] - s[k] * s[k] / n;
        bx->sse += var;
        if (var > best) {
            best = var;
            bx->axis = k;
        }
    }
}

static int gif__nearest(const gif__palette *pal, const double *m) {
    int best = 0;
    double bd = 1e30;
    for (int i = 0; i < pal->n; i++) {
        double d = 0;
        for (int c = 0; c < 3; c++) {
            double t = m[c] - pal->rgb[i][c];
            d += t * t;
        }
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    return best;
}

/* Variance cuts (median-cut style) over the 5-5-5 histogram of all frames, three k-means refinements, and the bin ->
 * index map. */
static mosa_status gif__quantized_palette(gif__palette *pal, const image *frames, int n) {
    gif__bin *bins = mosa_calloc(32768, sizeof *bins);
    pal->map15 = mosa_malloc(32768);
    if (!bins || !pal->map15) {
        mosa_free(bins);
        return mosa_fail_context(MOSA_ERR_NOMEM, "GIF palette");
    }
    for (int f = 0; f < n; f++) {
        const uint8_t *p = frames[f].rgb;
        size_t npx = (size_t)frames[f].w * frames[f].h;
        for (size_t i = 0; i < npx; i++, p += 3) {
            gif__bin *b = &bins[(p[0] >> 3) << 10 | (p[1] >> 3) << 5 | (p[2] >> 3)];
            b->count++;
            b->sum[0] += p[0];
            b->sum[1] += p[1];
            b->sum[2] += p[2];
        }
    }
    int nb = 0;
    for (int i = 0; i < 32768; i++) {
        if (!bins[i].count) continue;
        gif__bin b = bins[i];
        b.idx = (uint16_t)i;
        for (int c = 0; c < 3; c++) b.mean[c] = (double)b.sum[c] / (double)b.count;
        bins[nb++] = b; /* compact in place: nb <= i */
    }
    gif__box boxes[256];
    int nbox = 1;
    boxes[0] = (gif__box){.lo = 0, .hi = nb};
    gif__box_measure(&boxes[0], bins);
    /* split the box with the largest squared error, along its axis of largest variance, where
     * the two halves' squared error along that axis is smallest */
    while (nbox < 256) {
        int pick = -1;
        double score = 0;
        for (int i = 0; i < nbox; i++)
            if (boxes[i].hi - boxes[i].lo >= 2 && boxes[i].sse > score) {
                score = boxes[i].sse;
                pick = i;
            }
        if (pick < 0) break;
        gif__box *bx = &boxes[pick];
        const int ax = bx->axis;
        int (*cmp)(const void *, const void *) = ax == 0 ? gif__cmp_axis0 : ax == 1 ? gif__cmp_axis1 : gif__cmp_axis2;
        qsort(bins + bx->lo, (size_t)(bx->hi - bx->lo), sizeof *bins, cmp);
        double tn = 0, ts = 0, ts2 = 0;
        for (int i = bx->lo; i < bx->hi; i++) {
            double c = (double)bins[i].count, m = bins[i].mean[ax];
            tn += c, ts += c * m, ts2 += c * m * m;
        }
        double ln = 0, ls = 0, ls2 = 0, best = 1e300;
        int cut = bx->lo + 1;
        for (int i = bx->lo; i < bx->hi - 1; i++) {
            double c = (double)bins[i].count, m = bins[i].mean[ax];
            ln += c, ls += c * m, ls2 += c * m * m;
            double rn = tn - ln, rs = ts - ls, rs2 = ts2 - ls2;
            double e = (ls2 - ls * ls / ln) + (rs2 - rs * rs / rn);
            if (e < best) {
                best = e;
                cut = i + 1;
            }
        }
        gif__box right = {.lo = cut, .hi = bx->hi};
        bx->hi = cut;
        gif__box_measure(bx, bins);
        gif__box_measure(&right, bins);
        boxes[nbox++] = right;
    }
    pal->n = nbox;
    for (int i = 0; i < nbox; i++) {
        uint64_t s[3] = {0, 0, 0}, cnt = 0;
        for (int k = boxes[i].lo; k < boxes[i].hi; k++) {
            cnt += bins[k].count;
            for (int c = 0; c < 3; c++) s[c] += bins[k].sum[c];
        }
        for (int c = 0; c < 3; c++) pal->rgb[i][c] = (uint8_t)((s[c] + cnt / 2) / cnt);
    }
    /* k-means refinement over the bins (weighted by pixel count) */
    for (int it = 0; it < 3; it++) {
        uint64_t s[256][3], cnt[256];
        memset(s, 0, sizeof s);
        memset(cnt, 0, sizeof cnt);
        for (int k = 0; k < nb; k++) {
            int j = gif__nearest(pal, bins[k].mean);
            cnt[j] += bins[k].count;
            for (int c = 0; c < 3; c++) s[j][c] += bins[k].sum[c];
        }
        for (int j = 0; j < pal->n; j++)
            if (cnt[j])
                for (int c = 0; c < 3; c++) pal->rgb[j][c] = (uint8_t)((s[j][c] + cnt[j] / 2) / cnt[j]);
    }
    memset(pal->map15, 0, 32768);
    for (int k = 0; k < nb; k++) pal->map15[bins[k].idx] = (uint8_t)gif__nearest(pal, bins[k].mean);
    pal->exact = false;
    mosa_free(bins);
    return MOSA_OK;
}

/* Maps one frame to palette indices. */
static void gif__index_frame(gif__palette *pal, const image *im, uint8_t *out) {
    const uint8_t *p = im->rgb;
    size_t npx = (size_t)im->w * im->h;
    uint32_t last = 0xffffffffu;
    uint8_t last_idx = 0;
    for (size_t i = 0; i < npx; i++, p += 3) {
        if (pal->exact) {
            uint32_t c = gif__rgb(p);
            if (c != last) {
                last = c;
                last_idx = pal->vals[gif__slot(pal, c, false)];
            }
            out[i] = last_idx;
        } else {
            out[i] = pal->map15[(p[0] >> 3) << 10 | (p[1] >> 3) << 5 | (p[2] >> 3)];
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* LZW                                                                                         */
/* ------------------------------------------------------------------------------------------ */

#define GIF__LZW_HASH 8192

typedef struct gif__lzw {
    gif__buf *out;
    uint32_t acc;
    int nbits;
    uint8_t block[255];
    int blen;
    int32_t keys[GIF__LZW_HASH]; /* (prefix << 8 | byte) + 1, 0 = empty */
    uint16_t codes[GIF__LZW_HASH];
} gif__lzw;

static void gif__lzw_byte(gif__lzw *z, uint8_t v) {
    z->block[z->blen++] = v;
    if (z->blen == 255) {
        gif__byte(z->out, 255);
        gif__put(z->out, z->block, 255);
        z->blen = 0;
    }
}

static void gif__lzw_code(gif__lzw *z, unsigned code, int width) {
    z->acc |= (uint32_t)code << z->nbits;
    z->nbits += width;
    while (z->nbits >= 8) {
        gif__lzw_byte(z, (uint8_t)(z->acc & 0xff));
        z->acc >>= 8;
        z->nbits -= 8;
    }
}

static uint32_t gif__lzw_hash(int32_t key) { return ((uint32_t)key * 2654435761u) >> 19; } /* 13 bits */

/* LZW-compresses idx[0..n) (values < 1 << min_size) as GIF image data: the min-code-size byte,
 * sub-blocks, and the zero-length terminator. */
static void gif__lzw_encode(gif__lzw *z, gif__buf *out, const uint8_t *idx, size_t n, int min_size) {
    z->out = out;
    z->acc = 0;
    z->nbits = 0;
    z->blen = 0;
    const unsigned clear = 1u << min_size, eoi = clear + 1;
    int width = min_size + 1;
    unsigned next = eoi + 1;
    memset(z->keys, 0, sizeof z->keys);
    gif__byte(out, (uint8_t)min_size);
    gif__lzw_code(z, clear, width);
    unsigned prefix = idx[0];
    for (size_t i = 1; i < n; i++) {
        int32_t key = (int32_t)(prefix << 8 | idx[i]) + 1;
        uint32_t h = gif__lzw_hash(key);
        while (z->keys[h] && z->keys[h] != key) h = (h + 1) & (GIF__LZW_HASH - 1);
        if (z->keys[h] == key) {
            prefix = z->codes[h];
            continue;
        }
        gif__lzw_code(z, prefix, width);
        /* add entry `next` = prefix + idx[i] */
        z->keys[h] = key;
        z->codes[h] = (uint16_t)next;
        if (next >= (1u << width)) width++;
        if (next == 4095) {
            gif__lzw_code(z, clear, width);
            memset(z->keys, 0, sizeof z->keys);
            width = min_size + 1;
            next = eoi + 1;
        } else {
            next++;
        }
        prefix = idx[i];
    }
    gif__lzw_code(z, prefix, width);
    /* the decoder adds one more entry when it reads the last code, and may grow the width */
    if (next >= (1u << width) && width < 12 && next != eoi + 1) width++;
    gif__lzw_code(z, eoi, width);
    if (z->nbits > 0) gif__lzw_byte(z, (uint8_t)(z->acc & 0xff));
    if (z->blen > 0) {
        gif__byte(out, (uint8_t)z->blen);
        gif__put(out, z->block, (size_t)z->blen);
    }
    gif__byte(out, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* The file                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static mosa_status gif__check(const image *frames, int n, double fps, int loop) {
    if (!frames || n < 1 || n > GIF_MAX_FRAMES)
        return mosa_fail(MOSA_ERR_ARG, "GIF: %d frames given; need 1..%d", frames ? n : 0, GIF_MAX_FRAMES);
    if (!(fps > 0 && fps <= 1000)) return mosa_fail(MOSA_ERR_ARG, "GIF: fps %g is out of range (0, 1000]", fps);
    if (loop > 65535) return mosa_fail(MOSA_ERR_ARG, "GIF: loop count %d is above 65535 (use 0 to loop forever)", loop);
    for (int i = 0; i < n; i++) {
        char what[48];
        snprintf(what, sizeof what, "GIF frame %d", i);
        MOSA_TRY(image_check(&frames[i], what));
        if (frames[i].w != frames[0].w || frames[i].h != frames[0].h)
            return mosa_fail(MOSA_ERR_ARG, "GIF: frame %d is %dx%d but frame 0 is %dx%d; all frames must have one size", i,
                             frames[i].w, frames[i].h, frames[0].w, frames[0].h);
    }
    return MOSA_OK;
}

mosa_status gif_encode(const image *frames, int n, double fps, int loop, uint8_t **out, size_t *out_len,
                       gif_stats *stats) {
    *out = NULL;
    *out_len = 0;
    MOSA_TRY(gif__check(frames, n, fps, loop));
    const int w = frames[0].w, h = frames[0].h;
    const size_t npx = (size_t)w * h;
    gif__palette *pal = mosa_calloc(1, sizeof *pal);
    gif__lzw *z = mosa_malloc(sizeof *z);
    uint8_t *cur = mosa_malloc(npx), *prev = mosa_malloc(npx), *rect = mosa_malloc(npx);
    gif__buf b = {0};
    mosa_status s = MOSA_OK;
    if (!pal || !z || !cur || !prev || !rect) {
        s = mosa_fail_context(MOSA_ERR_NOMEM, "GIF encoder for %d frames of %dx%d", n, w, h);
        goto done;
    }
    if (!gif__exact_palette(pal, frames, n)) {
        s = gif__quantized_palette(pal, frames, n);
        if (s != MOSA_OK) goto done;
    }
    int bits = 1;
    while ((1 << bits) < pal->n) bits++;
    int min_size = bits < 2 ? 2 : bits;
    if (stats) {
        stats->palette_colors = pal->n;
        stats->exact = pal->exact;
    }

    gif__put(&b, "GIF89a", 6);
    gif__u16(&b, (unsigned)w);
    gif__u16(&b, (unsigned)h);
    gif__byte(&b, (uint8_t)(0x80 | 0x70 | (bits - 1))); /* global table, 8-bit colour resolution */
    gif__byte(&b, 0);                                  /* background index */
    gif__byte(&b, 0);                                  /* no aspect ratio */
    for (int i = 0; i < (1 << bits); i++) {
        static const uint8_t black[3] = {0, 0, 0};
        gif__put(&b, i < pal->n ? pal->rgb[i] : black, 3);
    }
    if (loop >= 0) {
        gif__put(&b, "\x21\xff\x0bNETSCAPE2.0\x03\x01", 16);
        gif__u16(&b, (unsigned)loop);
        gif__byte(&b, 0);
    }
    for (int f = 0; f < n; f++) {
        gif__index_frame(pal, &frames[f], cur);
        int x0 = 0, y0 = 0, x1 = w - 1, y1 = h - 1; /* inclusive rectangle to store */
        if (f > 0) {
            x0 = w, y0 = h, x1 = -1, y1 = -1;
            for (int y = 0; y < h; y++) {
                const uint8_t *a = cur + (size_t)y * w, *c = prev + (size_t)y * w;
                if (!memcmp(a, c, (size_t)w)) continue;
                if (y < y0) y0 = y;
                y1 = y;
                int l = 0, r = w - 1;
                while (a[l] == c[l]) l++;
                while (a[r] == c[r]) r--;
                if (l < x0) x0 = l;
                if (r > x1) x1 = r;
            }
            if (x1 < 0) x0 = y0 = x1 = y1 = 0; /* unchanged frame: one pixel, same value */
        }
        int rw = x1 - x0 + 1, rh = y1 - y0 + 1;
        for (int y = 0; y < rh; y++) memcpy(rect + (size_t)y * rw, cur + (size_t)(y0 + y) * w + x0, (size_t)rw);
        /* cumulative timing: frame f starts at round(100 f / fps) centiseconds */
        long t0 = (long)(100.0 * f / fps + 0.5), t1 = (long)(100.0 * (f + 1) / fps + 0.5);
        long delay = t1 - t0;
        if (delay < 2) delay = 2;
        if (delay > 65535) delay = 65535;
        gif__put(&b, "\x21\xf9\x04", 3);
        gif__byte(&b, 1 << 2); /* disposal 1: do not dispose; no transparency */
        gif__u16(&b, (unsigned)delay);
        gif__byte(&b, 0);
        gif__byte(&b, 0);
        gif__byte(&b, 0x2c);
        gif__u16(&b, (unsigned)x0);
        gif__u16(&b, (unsigned)y0);
        gif__u16(&b, (unsigned)rw);
        gif__u16(&b, (unsigned)rh);
        gif__byte(&b, 0); /* no local table, not interlaced */
        gif__lzw_encode(z, &b, rect, (size_t)rw * rh, min_size);
        uint8_t *t = prev;
        prev = cur;
        cur = t;
        if (b.failed) break;
    }
    gif__byte(&b, 0x3b);
    if (b.failed) {
        s = mosa_fail(MOSA_ERR_NOMEM, "GIF: out of memory for the encoded file (%d frames of %dx%d)", n, w, h);
        goto done;
    }
    *out = b.p;
    *out_len = b.len;
    b.p = NULL;
done:
    mosa_free(b.p);
    if (pal) mosa_free(pal->map15);
    mosa_free(pal);
    mosa_free(z);
    mosa_free(cur);
    mosa_free(prev);
    mosa_free(rect);
    return s;
}

mosa_status gif_write(const char *path, const image *frames, int n, double fps, int loop) {
    uint8_t *data;
    size_t len;
    mosa_status s = gif_encode(frames, n, fps, loop, &data, &len, NULL);
    if (s != MOSA_OK) return mosa_fail_context(s, "writing '%s'", path);
    s = file_write_atomic(path, data, len);
    mosa_free(data);
    return s;
}
