/* dataset.c: see dataset.h and docs/dataset.md. */
#define _GNU_SOURCE
#include "dataset.h"

#include "io/npy.h"
#include "io/video.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define META_MAX_BYTES (64 * 1024)
#define SPLIT_MAX_BYTES ((size_t)256 << 20)
#define PROBLEMS_MAX_BYTES (64 * 1024)

static int id_valid(const char *s, size_t n) {
    if (n == 0 || n >= 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static void clip_path(char *buf, size_t n, const dataset *d, const char *id, const char *file) {
    snprintf(buf, n, "%s/clips/%s/%s", d->root, id, file);
}

/* Appends "id: what" to the problem list (bounded; the count is always exact). */
static void problem(dataset *d, const char *id, const char *fmt, ...) {
    d->n_problems++;
    size_t have = d->problems ? strlen(d->problems) : 0;
    if (have > PROBLEMS_MAX_BYTES) return;
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    int k = snprintf(line, sizeof line, "%s: ", id);
    vsnprintf(line + k, sizeof line - (size_t)k, fmt, ap);
    va_end(ap);
    size_t add = strlen(line) + 2;
    char *p = mosa_realloc(d->problems, have + add);
    if (!p) return;
    memcpy(p + have, line, add - 2);
    p[have + add - 2] = '\n';
    p[have + add - 1] = 0;
    d->problems = p;
}

static int json_int(const cJSON *o, const char *key, int lo, int hi, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) || v->valuedouble != floor(v->valuedouble))
        return 0;
    *out = (int)v->valuedouble;
    return 1;
}

static char *json_string(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring) return NULL;
    size_t n = strlen(v->valuestring);
    if (n == 0 || n > DATASET_MAX_CAPTION) return NULL;
    return mosa_strdup(v->valuestring);
}

/* Reads and validates clips/<id>/meta.json and checks the required files; 0 + problem if bad. */
static int clip_load(dataset *d, const char *id, dataset_clip *c) {
    char path[4096];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    clip_path(path, sizeof path, d, id, "meta.json");
    uint8_t *buf = NULL;
    size_t len = 0;
    if (file_read_all(path, META_MAX_BYTES, &buf, &len) != MOSA_OK) {
        problem(d, id, "meta.json: %s", mosa_last_error());
        return 0;
    }
    cJSON *o = cJSON_ParseWithLength((const char *)buf, len);
    mosa_free(buf);
    int ok = 0;
    if (!o || !cJSON_IsObject(o)) {
        problem(d, id, "meta.json: not a JSON object");
        goto out;
    }
    if (!(c->caption = json_string(o, "caption"))) {
        problem(d, id, "meta.json: \"caption\" missing, empty or longer than %d bytes", DATASET_MAX_CAPTION);
        goto out;
    }
    c->motion_caption = json_string(o, "motion_caption");
    const cJSON *fps = cJSON_GetObjectItemCaseSensitive(o, "fps");
    if (!json_int(o, "frames", 1, 100000, &c->frames) || !json_int(o, "width", 16, 4096, &c->width) ||
        !json_int(o, "height", 16, 4096, &c->height) || !cJSON_IsNumber(fps) || !(fps->valuedouble >= 1 && fps->valuedouble <= 240)) {
        problem(d, id, "meta.json: frames (1..100000), fps (1..240), width and height (16..4096) must be numbers in range");
        goto out;
    }
    c->fps = fps->valuedouble;
    c->persons = 1;
    if (cJSON_GetObjectItemCaseSensitive(o, "persons") && !json_int(o, "persons", 0, 16, &c->persons)) {
        problem(d, id, "meta.json: persons must be 0..16");
        goto out;
    }
    static const char *const required[] = {"video.mp4", "skeleton.mp4", "masks.npy"};
    for (int i = 0; i < 3; i++) {
        clip_path(path, sizeof path, d, id, required[i]);
        if (access(path, R_OK) != 0) {
            problem(d, id, "%s is missing", required[i]);
            goto out;
        }
    }
    ok = 1;
out:
    cJSON_Delete(o);
    if (!ok) {
        mosa_free(c->caption);
        mosa_free(c->motion_caption);
        c->caption = c->motion_caption = NULL;
    }
    return ok;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The clip ids: from the split file, or every clips/ sub-directory, sorted. */
static mosa_status list_ids(dataset *d, const char *split, char ***ids, int *n) {
    *ids = NULL;
    *n = 0;
    int cap = 0;
    char path[4096];
    if (split) {
        snprintf(path, sizeof path, "%s/%s", d->root, split);
        uint8_t *buf;
        size_t len;
        MOSA_TRY(file_read_all(path, SPLIT_MAX_BYTES, &buf, &len));
        size_t i = 0;
        int line = 0;
        while (i < len) {
            size_t j = i;
            while (j < len && buf[j] != '\n') j++;
            size_t k = j;
            while (k > i && (buf[k - 1] == '\r' || buf[k - 1] == ' ' || buf[k - 1] == '\t')) k--;
            line++;
            if (k > i) {
                if (!id_valid((const char *)buf + i, k - i)) {
                    mosa_free(buf);
                    for (int q = 0; q < *n; q++) mosa_free((*ids)[q]);
                    mosa_free(*ids);
                    *ids = NULL, *n = 0;
                    return mosa_fail(MOSA_ERR_FORMAT, "%s:%d: not a clip id (1-63 of A-Z a-z 0-9 _ -)", path, line);
                }
                if (*n == cap) {
                    cap = cap ? 2 * cap : 256;
                    char **t = mosa_realloc(*ids, sizeof(char *) * (size_t)cap);
                    if (!t) { mosa_free(buf); return MOSA_ERR_NOMEM; }
                    *ids = t;
                }
                char *s = mosa_malloc(k - i + 1);
                if (!s) { mosa_free(buf); return MOSA_ERR_NOMEM; }
                memcpy(s, buf + i, k - i);
                s[k - i] = 0;
                (*ids)[(*n)++] = s;
                if (*n > DATASET_MAX_CLIPS) { mosa_free(buf); return mosa_fail(MOSA_ERR_FORMAT, "%s: more than %d clips", path, DATASET_MAX_CLIPS); }
            }
            i = j + 1;
        }
        mosa_free(buf);
        return MOSA_OK;
    }
    snprintf(path, sizeof path, "%s/clips", d->root);
    DIR *dir = opendir(path);
    if (!dir) return mosa_fail(MOSA_ERR_IO, "%s: cannot open the clips directory (is this a mosa dataset?)", path);
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t k = strlen(e->d_name);
        if (e->d_name[0] == '.' || !id_valid(e->d_name, k)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            char **t = mosa_realloc(*ids, sizeof(char *) * (size_t)cap);
            if (!t) { closedir(dir); return MOSA_ERR_NOMEM; }
            *ids = t;
        }
        if (!((*ids)[*n] = mosa_strdup(e->d_name))) { closedir(dir); return MOSA_ERR_NOMEM; }
        (*n)++;
        if (*n > DATASET_MAX_CLIPS) { closedir(dir); return mosa_fail(MOSA_ERR_FORMAT, "%s: more than %d clips", path, DATASET_MAX_CLIPS); }
    }
    closedir(dir);
    if (*n > 1) qsort(*ids, (size_t)*n, sizeof(char *), cmp_str);
    return MOSA_OK;
}

static void shuffle(dataset *d) {
    for (int i = 0; i < d->n; i++) d->order[i] = (uint32_t)i;
    rng_shuffle_u32(&d->rng, d->order, (size_t)d->n);
}

mosa_status dataset_open(dataset *d, const char *root, const char *split, int strict, uint64_t seed) {
    memset(d, 0, sizeof *d);
    d->root = mosa_strdup(root);
    if (!d->root) return MOSA_ERR_NOMEM;
    char **ids = NULL;
    int n = 0;
    mosa_status s = list_ids(d, split, &ids, &n);
    if (s != MOSA_OK) goto fail;
    d->clips = mosa_calloc((size_t)(n ? n : 1), sizeof *d->clips);
    if (!d->clips) { s = MOSA_ERR_NOMEM; goto fail; }
    for (int i = 0; i < n; i++) {
        if (clip_load(d, ids[i], &d->clips[d->n])) {
            d->n++;
        } else if (strict) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: clip %s", root, d->problems ? d->problems : ids[i]);
            goto fail;
        }
    }
    if (d->n == 0) {
        s = mosa_fail(MOSA_ERR_FORMAT, "%s: no usable clip (%d listed, %d with problems)%s%s", root, n, d->n_problems,
                      d->problems ? "; first: " : "", d->problems ? d->problems : "");
        goto fail;
    }
    d->order = mosa_malloc(sizeof(uint32_t) * (size_t)d->n);
    if (!d->order) { s = MOSA_ERR_NOMEM; goto fail; }
    rng_seed(&d->rng, seed);
    shuffle(d);
    for (int i = 0; i < n; i++) mosa_free(ids[i]);
    mosa_free(ids);
    return MOSA_OK;
fail:
    for (int i = 0; i < n; i++) mosa_free(ids[i]);
    mosa_free(ids);
    dataset_close(d);
    return s;
}

void dataset_close(dataset *d) {
    for (int i = 0; d->clips && i < d->n; i++) {
        mosa_free(d->clips[i].caption);
        mosa_free(d->clips[i].motion_caption);
    }
    mosa_free(d->clips);
    mosa_free(d->order);
    mosa_free(d->problems);
    mosa_free(d->root);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------------------------------------ */
/* Batches                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Bilinear sample of an RGB8 image at (x, y) pixel coordinates (centres on integers); outside
 * is black. Writes 3 floats in [-1, 1]. */
static void sample_rgb(float *out, const image *im, float x, float y) {
    const int x0 = (int)floorf(x), y0 = (int)floorf(y);
    const float fx = x - (float)x0, fy = y - (float)y0;
    float acc[3] = {0, 0, 0};
    for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++) {
            const int xi = x0 + dx, yi = y0 + dy;
            if (xi < 0 || yi < 0 || xi >= im->w || yi >= im->h) continue;
            const float w = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
            const uint8_t *p = im->rgb + ((size_t)yi * im->w + xi) * 3;
            acc[0] += w * p[0], acc[1] += w * p[1], acc[2] += w * p[2];
        }
    for (int c = 0; c < 3; c++) out[c] = acc[c] / 127.5f - 1.0f;
}

/* dst (H,W,3) from src resized, then (for the skeleton) scaled by `scale` about the centre and
 * shifted by (sx, sy) output pixels. */
static void resize_frame(float *dst, int W, int H, const image *src, float scale, float sx, float sy) {
    const float kx = (float)src->w / (float)W, ky = (float)src->h / (float)H;
    const float cx = 0.5f * (float)(W - 1), cy = 0.5f * (float)(H - 1);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            /* inverse of: out = centre + scale * (in - centre) + shift */
            const float ux = cx + ((float)x - sx - cx) / scale, uy = cy + ((float)y - sy - cy) / scale;
            sample_rgb(dst + ((size_t)y * W + x) * 3, src, (ux + 0.5f) * kx - 0.5f, (uy + 0.5f) * ky - 0.5f);
        }
}

static mosa_status batch_alloc(dataset_batch *b, const dataset_batch_opts *o) {
    if (b->video && b->B == o->B && b->T == o->T && b->W == o->W && b->H == o->H) return MOSA_OK;
    dataset_batch_free(b);
    const size_t px = (size_t)o->B * o->T * o->H * o->W;
    b->video = mosa_malloc(px * 3 * sizeof(float));
    b->skeleton = mosa_malloc(px * 3 * sizeof(float));
    b->mask = mosa_malloc(px);
    b->caption = mosa_calloc((size_t)o->B, sizeof(char *));
    b->motion_caption = mosa_calloc((size_t)o->B, sizeof(char *));
    b->clip = mosa_calloc((size_t)o->B, sizeof(int));
    if (!b->video || !b->skeleton || !b->mask || !b->caption || !b->motion_caption || !b->clip) {
        dataset_batch_free(b);
        return MOSA_ERR_NOMEM;
    }
    b->B = o->B, b->T = o->T, b->W = o->W, b->H = o->H;
    return MOSA_OK;
}

void dataset_batch_free(dataset_batch *b) {
    mosa_free(b->video);
    mosa_free(b->skeleton);
    mosa_free(b->mask);
    mosa_free((void *)b->caption);
    mosa_free((void *)b->motion_caption);
    mosa_free(b->clip);
    memset(b, 0, sizeof *b);
}

/* Loads clip c's frames [start, start+T) into slot `slot` of the batch. */
static mosa_status load_clip(dataset *d, dataset_batch *b, int slot, const dataset_clip *c, const dataset_batch_opts *o) {
    char path[4096];
    image *vid = NULL, *skel = NULL;
    int nv = 0, ns = 0;
    double fps;
    npy_array m = {0};
    mosa_status s;
    clip_path(path, sizeof path, d, c->id, "video.mp4");
    if ((s = video_read_all(path, 100000, &vid, &nv, &fps)) != MOSA_OK) goto out;
    clip_path(path, sizeof path, d, c->id, "skeleton.mp4");
    if ((s = video_read_all(path, 100000, &skel, &ns, &fps)) != MOSA_OK) goto out;
    clip_path(path, sizeof path, d, c->id, "masks.npy");
    if ((s = npy_load(&m, path, (size_t)1 << 31)) != MOSA_OK) goto out;
    const int n = nv < ns ? nv : ns;
    if (m.dtype != NPY_U1 || m.nd != 3 || m.shape[0] < n || m.shape[1] < 1 || m.shape[2] < 1) {
        s = mosa_fail(MOSA_ERR_FORMAT, "%s: expected (T,H,W) uint8 masks with T >= %d", path, n);
        goto out;
    }
    if (n < o->T) {
        s = mosa_fail(MOSA_ERR_FORMAT, "%s/clips/%s: %d frames (video %d, skeleton %d), fewer than the %d asked for",
                      d->root, c->id, n, nv, ns, o->T);
        goto out;
    }
    const int start = (int)rng_below(&d->rng, (uint32_t)(n - o->T + 1));
    float scale = 1, sx = 0, sy = 0;
    if (o->augment) {
        float u[3];
        rng_uniform(&d->rng, u, 3);
        scale = o->scale_lo + (o->scale_hi - o->scale_lo) * u[0];
        sx = (2 * u[1] - 1) * o->max_shift * (float)o->W;
        sy = (2 * u[2] - 1) * o->max_shift * (float)o->H;
    }
    const int Hm = (int)m.shape[1], Wm = (int)m.shape[2];
    const size_t fpx = (size_t)o->H * o->W;
    for (int t = 0; t < o->T; t++) {
        const size_t off = ((size_t)slot * o->T + t) * fpx;
        resize_frame(b->video + off * 3, o->W, o->H, &vid[start + t], 1, 0, 0);
        resize_frame(b->skeleton + off * 3, o->W, o->H, &skel[start + t], scale, sx, sy);
        const uint8_t *mf = m.data + (size_t)(start + t) * Hm * Wm;
        for (int y = 0; y < o->H; y++)
            for (int x = 0; x < o->W; x++) { /* nearest */
                const int ym = (int)(((float)y + 0.5f) * Hm / o->H), xm = (int)(((float)x + 0.5f) * Wm / o->W);
                b->mask[off + (size_t)y * o->W + x] = mf[(size_t)ym * Wm + xm];
            }
    }
    s = MOSA_OK;
out:
    if (vid) video_frames_free(vid, nv);
    if (skel) video_frames_free(skel, ns);
    npy_array_free(&m);
    return s;
}

mosa_status dataset_next_batch(dataset *d, dataset_batch *b, const dataset_batch_opts *o) {
    if (o->B < 1 || o->B > 4096 || o->T < 1 || o->T > 100000 || o->W < 8 || o->H < 8 || o->W > 4096 || o->H > 4096)
        return mosa_fail(MOSA_ERR_ARG, "dataset batch: B 1..4096, T 1..100000, W and H 8..4096 (got %d, %d, %dx%d)", o->B,
                         o->T, o->W, o->H);
    if (o->augment && !(o->scale_lo > 0 && o->scale_hi >= o->scale_lo && o->max_shift >= 0 && o->max_shift < 1))
        return mosa_fail(MOSA_ERR_ARG, "dataset batch: augmentation wants 0 < scale_lo <= scale_hi and 0 <= max_shift < 1");
    MOSA_TRY(batch_alloc(b, o));
    for (int i = 0; i < o->B; i++) {
        if (d->pos >= d->n) {
            d->pos = 0;
            d->epoch++;
            shuffle(d);
        }
        const int ci = (int)d->order[d->pos++];
        const dataset_clip *c = &d->clips[ci];
        b->clip[i] = ci;
        b->caption[i] = c->caption;
        b->motion_caption[i] = c->motion_caption;
        mosa_status s = load_clip(d, b, i, c, o);
        if (s != MOSA_OK) return mosa_fail_context(s, "clip %s", c->id);
    }
    return MOSA_OK;
}
