/* annotate.c: real videos -> mosa-dataset/1 clips, and Pose Confidence (see annotate.h). */
#include "annotate.h"

#include "base/text.h"
#include "data/dataset.h"
#include "data/flow.h"
#include "data/track.h"
#include "io/npy.h"
#include "io/video.h"
#include "motion/mapping.h"
#include "render/draw.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* Captions file                                                                               */
/* ------------------------------------------------------------------------------------------ */

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void annotate_captions_free(annotate_captions *c) {
    for (int i = 0; i < c->n; i++) mosa_free(c->items[i].file), mosa_free(c->items[i].caption);
    mosa_free(c->items);
    c->items = NULL, c->n = 0;
}

static char *dup_range(const char *s, size_t n) {
    char *o = mosa_malloc(n + 1);
    if (o) memcpy(o, s, n), o[n] = 0;
    return o;
}

mosa_status annotate_captions_parse(annotate_captions *c, const char *text, size_t len, const char *name) {
    c->items = NULL, c->n = 0;
    int cap = 0, line = 0;
    size_t bad = text_utf8_invalid_at((const uint8_t *)text, len);
    if (bad < len) {
        int ln = 1;
        for (size_t i = 0; i < bad; i++) ln += text[i] == '\n';
        return mosa_fail(MOSA_ERR_FORMAT, "%s:%d: not valid UTF-8 (byte %zu); captions files are UTF-8 text", name, ln, bad);
    }
    size_t i = 0;
    mosa_status st = MOSA_OK;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n') e++;
        line++;
        size_t le = e;
        if (le > i && text[le - 1] == '\r') le--;
        const char *s = text + i;
        size_t n = le - i;
        i = e + 1;
        size_t k = 0;
        while (k < n && (s[k] == ' ' || s[k] == '\t')) k++;
        if (k == n || s[k] == '#') continue; /* empty or comment */
        const char *tab = memchr(s, '\t', n);
        if (!tab) {
            st = mosa_fail(MOSA_ERR_FORMAT, "%s:%d: no tab: each line is \"filename<TAB>caption\"", name, line);
            break;
        }
        size_t fn = (size_t)(tab - s);
        while (fn > 0 && s[fn - 1] == ' ') fn--;
        size_t f0 = 0;
        while (f0 < fn && s[f0] == ' ') f0++;
        const char *cs = tab + 1, *ce = s + n;
        while (cs < ce && (*cs == ' ' || *cs == '\t')) cs++;
        while (ce > cs && (ce[-1] == ' ' || ce[-1] == '\t')) ce--;
        if (fn == f0) {
            st = mosa_fail(MOSA_ERR_FORMAT, "%s:%d: empty file name before the tab", name, line);
            break;
        }
        if (memchr(s + f0, '/', fn - f0)) {
            st = mosa_fail(MOSA_ERR_FORMAT, "%s:%d: '%.*s': give the video's file name without a directory", name, line,
                           (int)(fn - f0), s + f0);
            break;
        }
        if (ce == cs) {
            st = mosa_fail(MOSA_ERR_FORMAT, "%s:%d: empty caption for '%.*s'", name, line, (int)(fn - f0), s + f0);
            break;
        }
        if ((size_t)(ce - cs) >= DATASET_MAX_CAPTION) {
            st = mosa_fail(MOSA_ERR_FORMAT, "%s:%d: caption of %zu bytes; at most %d", name, line, (size_t)(ce - cs),
                           DATASET_MAX_CAPTION - 1);
            break;
        }
        for (int j = 0; j < c->n; j++)
            if (strlen(c->items[j].file) == fn - f0 && !memcmp(c->items[j].file, s + f0, fn - f0)) {
                st = mosa_fail(MOSA_ERR_FORMAT, "%s:%d: '%s' already has a caption (line %d)", name, line, c->items[j].file,
                               c->items[j].line);
                break;
            }
        if (st != MOSA_OK) break;
        if (c->n == cap) {
            int nc = cap ? cap * 2 : 16;
            annotate_caption *ni = mosa_realloc(c->items, sizeof *ni * (size_t)nc);
            if (!ni) { st = MOSA_ERR_NOMEM; break; }
            c->items = ni, cap = nc;
        }
        annotate_caption *it = &c->items[c->n];
        it->file = dup_range(s + f0, fn - f0);
        it->caption = dup_range(cs, (size_t)(ce - cs));
        it->line = line;
        c->n++;
        if (!it->file || !it->caption) { st = MOSA_ERR_NOMEM; break; }
    }
    if (st != MOSA_OK) annotate_captions_free(c);
    return st;
}

mosa_status annotate_captions_load(annotate_captions *c, const char *path) {
    c->items = NULL, c->n = 0;
    uint8_t *buf = NULL;
    size_t n = 0;
    MOSA_TRY(file_read_all(path, (size_t)64 << 20, &buf, &n));
    mosa_status st = annotate_captions_parse(c, (const char *)buf, n, path);
    mosa_free(buf);
    return st;
}

const char *annotate_captions_find(const annotate_captions *c, const char *video_path) {
    const char *b = base_name(video_path);
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->items[i].file, b)) return c->items[i].caption;
    return NULL;
}

mosa_status annotate_captions_check(const annotate_captions *c, char *const *videos, int n) {
    char msg[1024];
    size_t len = 0;
    int unknown = 0;
    msg[0] = 0;
    for (int i = 0; i < c->n; i++) {
        int hit = 0;
        for (int k = 0; k < n && !hit; k++) hit = !strcmp(c->items[i].file, base_name(videos[k]));
        if (hit) continue;
        if (unknown < 5 && len < sizeof msg - 100)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s'%.80s' (line %d)", unknown ? ", " : "", c->items[i].file,
                                    c->items[i].line);
        unknown++;
    }
    if (!unknown) return MOSA_OK;
    if (unknown > 5) snprintf(msg + len, sizeof msg - len, " and %d more", unknown - 5);
    return mosa_fail(MOSA_ERR_ARG, "the captions file names %d video(s) that are not among the inputs: %s; fix the names "
                     "(the video's file name, without a directory) or remove those lines", unknown, msg);
}

/* ------------------------------------------------------------------------------------------ */
/* Inputs and ids                                                                              */
/* ------------------------------------------------------------------------------------------ */

int annotate_is_video_name(const char *name) {
    static const char *const ext[] = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".gif"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && !strcasecmp(name + n - k, ext[i])) return 1;
    }
    return 0;
}

void annotate_clip_id(char id[64], const char *video_path) {
    const char *b = base_name(video_path);
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    if (n > 63) n = 63;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)b[i];
        id[i] = (char)(isalnum(ch) || ch == '_' || ch == '-' ? ch : '_');
    }
    if (n == 0) id[n++] = '_';
    id[n] = 0;
}

void annotate_inputs_free(char **paths, int n) {
    for (int i = 0; i < n; i++) mosa_free(paths[i]);
    mosa_free(paths);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static mosa_status push_path(char ***v, int *n, int *cap, const char *p) {
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        char **nv = mosa_realloc(*v, sizeof *nv * (size_t)nc);
        if (!nv) return MOSA_ERR_NOMEM;
        *v = nv, *cap = nc;
    }
    char *d = mosa_strdup(p);
    if (!d) return MOSA_ERR_NOMEM;
    (*v)[(*n)++] = d;
    return MOSA_OK;
}

mosa_status annotate_inputs_list(char ***paths, int *n, char *const *args, int nargs, int unique_ids) {
    char **v = NULL;
    int cnt = 0, cap = 0;
    mosa_status st = MOSA_OK;
    for (int a = 0; a < nargs && st == MOSA_OK; a++) {
        struct stat sb;
        if (stat(args[a], &sb) != 0) {
            st = mosa_fail(MOSA_ERR_IO, "cannot open '%s': %s", args[a], strerror(errno));
            break;
        }
        if (!S_ISDIR(sb.st_mode)) {
            st = push_path(&v, &cnt, &cap, args[a]);
            continue;
        }
        DIR *d = opendir(args[a]);
        if (!d) {
            st = mosa_fail(MOSA_ERR_IO, "cannot read directory '%s': %s", args[a], strerror(errno));
            break;
        }
        int first = cnt;
        struct dirent *e;
        char p[4096];
        while ((e = readdir(d)) && st == MOSA_OK) {
            if (e->d_name[0] == '.' || !annotate_is_video_name(e->d_name)) continue;
            snprintf(p, sizeof p, "%s/%s", args[a], e->d_name);
            struct stat fb;
            if (stat(p, &fb) == 0 && S_ISREG(fb.st_mode)) st = push_path(&v, &cnt, &cap, p);
        }
        closedir(d);
        if (st != MOSA_OK) break;
        if (cnt == first) {
            st = mosa_fail(MOSA_ERR_ARG, "'%s' holds no video file (.mp4 .mov .mkv .webm .avi .m4v .mpg .mpeg .gif)", args[a]);
            break;
        }
        qsort(v + first, (size_t)(cnt - first), sizeof *v, cmp_str);
    }
    if (st == MOSA_OK && cnt == 0) st = mosa_fail(MOSA_ERR_ARG, "no input video given");
    for (int i = 0; unique_ids && i < cnt && st == MOSA_OK; i++)
        for (int k = 0; k < i && st == MOSA_OK; k++) {
            char a[64], b[64];
            annotate_clip_id(a, v[i]), annotate_clip_id(b, v[k]);
            if (!strcmp(a, b))
                st = mosa_fail(MOSA_ERR_ARG, "'%s' and '%s' would both become clip '%s': rename one of them", v[k], v[i], a);
        }
    if (st != MOSA_OK) {
        annotate_inputs_free(v, cnt);
        v = NULL, cnt = 0;
    }
    *paths = v, *n = cnt;
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Geometry and resampling                                                                     */
/* ------------------------------------------------------------------------------------------ */

mosa_status annotate_geom_make(annotate_geom *g, int src_w, int src_h, int W, int H) {
    if (src_w < 1 || src_h < 1) return mosa_fail(MOSA_ERR_ARG, "source frame %dx%d", src_w, src_h);
    if (W == 0 && H == 0) {
        W = src_w & ~1, H = src_h & ~1;
        if (W < 16 || H < 16 || W > 4096 || H > 4096)
            return mosa_fail(MOSA_ERR_ARG, "the video is %dx%d: the dataset holds 16..4096 pixels per side; pass --size WxH",
                             src_w, src_h);
        g->src_w = src_w, g->src_h = src_h, g->W = W, g->H = H, g->x0 = 0, g->y0 = 0, g->scale = 1;
        return MOSA_OK;
    }
    if (W < 16 || H < 16 || W > 4096 || H > 4096 || (W & 1) || (H & 1))
        return mosa_fail(MOSA_ERR_ARG, "size %dx%d: width and height must be even, 16..4096", W, H);
    /* the centred crop of the source with the output's aspect ratio */
    double s = (double)W / src_w > (double)H / src_h ? (double)W / src_w : (double)H / src_h;
    g->src_w = src_w, g->src_h = src_h, g->W = W, g->H = H;
    g->scale = (float)s;
    g->x0 = (float)((src_w - W / s) * 0.5);
    g->y0 = (float)((src_h - H / s) * 0.5);
    return MOSA_OK;
}

static int subsamples(const annotate_geom *g) {
    int n = (int)floorf(1.0f / g->scale + 1e-4f);
    return n < 1 ? 1 : n > 4 ? 4 : n;
}

/* Bilinear weights of source coordinate x (clamped to the frame). */
static inline void lin(float x, int n, int *i0, int *i1, float *f) {
    if (x <= 0) { *i0 = *i1 = 0, *f = 0; return; }
    if (x >= (float)(n - 1)) { *i0 = *i1 = n - 1, *f = 0; return; }
    int i = (int)x;
    *i0 = i, *i1 = i + 1, *f = x - (float)i;
}

void annotate_resample_rgb(image *dst, const image *src, const annotate_geom *g) {
    const int ss = subsamples(g);
    const float inv = 1.0f / g->scale;
    if (g->scale == 1.0f && g->x0 == 0 && g->y0 == 0) { /* keep: copy rows (even crop) */
        for (int y = 0; y < g->H; y++) memcpy(image_px(dst, 0, y), image_px(src, 0, y), (size_t)g->W * 3);
        return;
    }
    for (int v = 0; v < g->H; v++)
        for (int u = 0; u < g->W; u++) {
            float acc[3] = {0, 0, 0};
            for (int sy = 0; sy < ss; sy++)
                for (int sx = 0; sx < ss; sx++) {
                    float x = g->x0 + ((float)u + ((float)sx + 0.5f) / (float)ss) * inv - 0.5f;
                    float y = g->y0 + ((float)v + ((float)sy + 0.5f) / (float)ss) * inv - 0.5f;
                    int x0, x1, y0, y1;
                    float fx, fy;
                    lin(x, src->w, &x0, &x1, &fx), lin(y, src->h, &y0, &y1, &fy);
                    const uint8_t *a = image_px(src, x0, y0), *b = image_px(src, x1, y0), *c = image_px(src, x0, y1),
                                  *d = image_px(src, x1, y1);
                    for (int k = 0; k < 3; k++)
                        acc[k] += (1 - fy) * ((1 - fx) * a[k] + fx * b[k]) + fy * ((1 - fx) * c[k] + fx * d[k]);
                }
            uint8_t *o = image_px(dst, u, v);
            for (int k = 0; k < 3; k++) {
                float q = acc[k] / (float)(ss * ss) + 0.5f;
                o[k] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
}

void annotate_resample_f32(float *dst, const float *src, const annotate_geom *g) {
    const int ss = subsamples(g), sw = g->src_w;
    const float inv = 1.0f / g->scale;
    for (int v = 0; v < g->H; v++)
        for (int u = 0; u < g->W; u++) {
            float acc = 0;
            for (int sy = 0; sy < ss; sy++)
                for (int sx = 0; sx < ss; sx++) {
                    float x = g->x0 + ((float)u + ((float)sx + 0.5f) / (float)ss) * inv - 0.5f;
                    float y = g->y0 + ((float)v + ((float)sy + 0.5f) / (float)ss) * inv - 0.5f;
                    int x0, x1, y0, y1;
                    float fx, fy;
                    lin(x, g->src_w, &x0, &x1, &fx), lin(y, g->src_h, &y0, &y1, &fy);
                    acc += (1 - fy) * ((1 - fx) * src[(size_t)y0 * sw + x0] + fx * src[(size_t)y0 * sw + x1]) +
                           fy * ((1 - fx) * src[(size_t)y1 * sw + x0] + fx * src[(size_t)y1 * sw + x1]);
                }
            dst[(size_t)v * g->W + u] = acc / (float)(ss * ss);
        }
}

/* ------------------------------------------------------------------------------------------ */
/* Per-frame mapping                                                                           */
/* ------------------------------------------------------------------------------------------ */

void annotate_frame_keypoints(float kp[18 * 3], const pose_result *r, const annotate_geom *g) {
    if (!r->found) {
        memset(kp, 0, 18 * 3 * sizeof(float));
        return;
    }
    float bp[POSE_LANDMARKS * 3], vis[POSE_LANDMARKS], op[18 * 3], conf[18];
    for (int i = 0; i < POSE_LANDMARKS; i++) {
        bp[3 * i] = (r->lm[i].x - g->x0) * g->scale;
        bp[3 * i + 1] = (r->lm[i].y - g->y0) * g->scale;
        bp[3 * i + 2] = r->lm[i].z * g->scale;
        float v = r->lm[i].visibility;
        vis[i] = isfinite(v) ? (v < 0 ? 0 : v > 1 ? 1 : v) : 0;
    }
    map_bp33_to_op18(op, conf, bp, vis);
    for (int k = 0; k < 18; k++) { /* a non-finite point (never expected): (0, 0, 0) */
        const int ok = isfinite(op[3 * k]) && isfinite(op[3 * k + 1]);
        kp[3 * k] = ok ? op[3 * k] : 0;
        kp[3 * k + 1] = ok ? op[3 * k + 1] : 0;
        /* outside the output frame: confidence 0, as MoVid-syn's keypoints that leave the frame */
        const int in = ok && op[3 * k] >= -0.5f && op[3 * k] <= (float)g->W - 0.5f && op[3 * k + 1] >= -0.5f &&
                       op[3 * k + 1] <= (float)g->H - 0.5f;
        kp[3 * k + 2] = in ? conf[k] : 0;
    }
}

void annotate_frame_joints(float j[22 * 3], const pose_result *r) {
    if (!r->found) {
        memset(j, 0, 22 * 3 * sizeof(float));
        return;
    }
    float bp[POSE_LANDMARKS * 3];
    for (int i = 0; i < POSE_LANDMARKS; i++) {
        bp[3 * i] = r->world[i][0];
        bp[3 * i + 1] = -r->world[i][1];
        bp[3 * i + 2] = -r->world[i][2];
    }
    map_bp33_to_smpl22(j, bp);
    for (int k = 0; k < 66; k++)
        if (!isfinite(j[k])) j[k] = 0;
}

float annotate_frame_confidence(const float kp[18 * 3]) {
    float s = 0;
    for (int k = 0; k < 18; k++) s += kp[3 * k + 2];
    return s / 18.0f;
}

pose_roi annotate_tracker_roi(const annotate_tracker *tr, int w, int h) {
    return tr->have ? tr->roi : pose_roi_whole(w, h);
}

void annotate_tracker_update(annotate_tracker *tr, const pose_result *r, int w, int h) {
    tr->have = 0;
    if (!r->found) return;
    pose_roi n = pose_roi_from_result(r);
    /* a degenerate ROI (a person of a few pixels, or numbers gone wrong) starts over */
    float lim = 4.0f * (float)(w > h ? w : h);
    if (!(isfinite(n.cx) && isfinite(n.cy) && isfinite(n.size) && isfinite(n.rotation)) || n.size < 8 || n.size > lim)
        return;
    tr->roi = n, tr->have = 1;
}

mosa_status annotate_pose_step(pose_model *m, annotate_tracker *tr, const image *frame, pose_result *out, float *seg) {
    pose_roi roi = annotate_tracker_roi(tr, frame->w, frame->h);
    MOSA_TRY(pose_estimate(m, frame, &roi, out, seg));
    if (!out->found && tr->have) { /* lost: the whole frame again, same frame */
        roi = pose_roi_whole(frame->w, frame->h);
        MOSA_TRY(pose_estimate(m, frame, &roi, out, seg));
    }
    annotate_tracker_update(tr, out, frame->w, frame->h);
    return MOSA_OK;
}

void annotate_smoother_reset(annotate_smoother *s) { memset(s, 0, sizeof *s); }

/* One Euro filter step (Casiez et al. 2012, as MediaPipe's OneEuroFilter): x is the filtered
 * value, dx the filtered derivative, raw the previous raw value, all updated. */
static float one_euro(float *x, float *dx, float *raw, float value, double freq, double scale, double min_cutoff,
                      double beta, double dcutoff) {
    const double te = 1.0 / freq;
    double d = (value - *raw) * scale * freq;
    double ad = 1.0 / (1.0 + (1.0 / (2 * M_PI * dcutoff)) / te);
    double ed = ad * d + (1 - ad) * *dx;
    double cutoff = min_cutoff + beta * fabs(ed);
    double a = 1.0 / (1.0 + (1.0 / (2 * M_PI * cutoff)) / te);
    *dx = (float)ed;
    *raw = value;
    *x = (float)(a * value + (1 - a) * *x);
    return *x;
}

void annotate_smooth(annotate_smoother *s, pose_result *r, double t) {
    if (!r->found) {
        s->have = 0;
        return;
    }
    if (!s->have) { /* first frame of a track: the filters start from it */
        for (int i = 0; i < POSE_LANDMARKS; i++) {
            const float v[3] = {r->lm[i].x, r->lm[i].y, r->lm[i].z};
            for (int c = 0; c < 3; c++) {
                s->x[3 * i + c] = s->raw[3 * i + c] = v[c], s->dx[3 * i + c] = 0;
                s->w[3 * i + c] = s->wraw[3 * i + c] = r->world[i][c], s->dw[3 * i + c] = 0;
            }
            s->vis[i] = r->lm[i].visibility;
        }
        s->have = 1, s->last_t = t;
        return;
    }
    if (!(t > s->last_t)) return;
    const double freq = 1.0 / (t - s->last_t);
    s->last_t = t;
    float x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < POSE_LANDMARKS; i++) {
        x0 = fminf(x0, r->lm[i].x), x1 = fmaxf(x1, r->lm[i].x);
        y0 = fminf(y0, r->lm[i].y), y1 = fmaxf(y1, r->lm[i].y);
    }
    double obj = 0.5 * ((double)(x1 - x0) + (double)(y1 - y0));
    const double scale = 1.0 / (obj > 1e-6 ? obj : 1e-6);
    for (int i = 0; i < POSE_LANDMARKS; i++) {
        float *v[3] = {&r->lm[i].x, &r->lm[i].y, &r->lm[i].z};
        for (int c = 0; c < 3; c++) {
            const int k = 3 * i + c;
            *v[c] = one_euro(&s->x[k], &s->dx[k], &s->raw[k], *v[c], freq, scale, 0.05, 80.0, 1.0);
            r->world[i][c] = one_euro(&s->w[k], &s->dw[k], &s->wraw[k], r->world[i][c], freq, 1.0, 0.1, 40.0, 1.0);
        }
        s->vis[i] = 0.1f * r->lm[i].visibility + 0.9f * s->vis[i];
        r->lm[i].visibility = s->vis[i];
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Clip-level helpers                                                                          */
/* ------------------------------------------------------------------------------------------ */

int annotate_pick_points(float *pts, int n_want, const uint8_t *mask, int W, int H, int inside) {
    if (n_want <= 0) return 0;
    /* count candidates on a grid fine enough to hold about 4 n_want of them */
    long cnt_all = 0;
    for (size_t i = 0; i < (size_t)W * H; i++) cnt_all += (mask[i] != 0) == (inside != 0);
    if (cnt_all == 0) return 0;
    int step = (int)floor(sqrt((double)cnt_all / (4.0 * n_want)));
    if (step < 1) step = 1;
    const int off = step / 2;
    long cnt = 0;
    for (int y = off; y < H; y += step)
        for (int x = off; x < W; x += step) cnt += (mask[(size_t)y * W + x] != 0) == (inside != 0);
    if (cnt == 0) return 0;
    int n = cnt < n_want ? (int)cnt : n_want;
    /* candidate k (in raster order) is taken when it is the first at or after i * cnt / n */
    long k = 0;
    int got = 0;
    for (int y = off; y < H && got < n; y += step)
        for (int x = off; x < W && got < n; x += step) {
            if ((mask[(size_t)y * W + x] != 0) != (inside != 0)) continue;
            if (k == (long)((double)got * (double)cnt / n)) {
                pts[2 * got] = (float)x, pts[2 * got + 1] = (float)y;
                got++;
            }
            k++;
        }
    return got;
}

void annotate_template_caption(char *out, size_t cap, const float *kp, int T, float conf_min) {
    int with = 0, legs = 0;
    static const int leg[4] = {9, 10, 12, 13};
    for (int t = 0; t < T; t++) {
        const float *f = kp + (size_t)t * 54;
        if (annotate_frame_confidence(f) <= 0) continue;
        with++;
        int seen = 0;
        for (int k = 0; k < 4; k++) seen += f[3 * leg[k] + 2] >= conf_min;
        legs += seen >= 3;
    }
    if (T <= 0 || 4 * with < T) snprintf(out, cap, "no person is clearly visible.");
    else if (2 * legs >= with) snprintf(out, cap, "%s", ANNOTATE_TEMPLATE_CAPTION);
    else snprintf(out, cap, "a person moves, seen from the waist up.");
}

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static double r4(double x) { return round(x * 1e4) / 1e4; }

static mosa_status json_write(const char *path, cJSON *root) {
    char *s = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!s) return mosa_fail(MOSA_ERR_NOMEM, "%s: out of memory", path);
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return mosa_fail(MOSA_ERR_NOMEM, "%s: out of memory", path);
    }
    t[n] = '\n', t[n + 1] = 0;
    mosa_status st = file_write_atomic(path, t, n + 1);
    free(t);
    return st;
}

static mosa_status mkdir1(const char *path) {
    if (mkdir(path, 0755) == 0 || errno == EEXIST) {
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return MOSA_OK;
        return mosa_fail(MOSA_ERR_IO, "'%s' exists and is not a directory", path);
    }
    return mosa_fail(MOSA_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
}

/* Removes a directory tree (files and sub-directories; links are removed, not followed). */
static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[4096];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            struct stat sb;
            if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) remove_tree(p);
            else unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static mosa_status read_json(const char *path, cJSON **out) {
    uint8_t *buf = NULL;
    size_t n = 0;
    *out = NULL;
    MOSA_TRY(file_read_all(path, 1 << 20, &buf, &n));
    *out = cJSON_ParseWithLength((const char *)buf, n);
    mosa_free(buf);
    if (!*out || !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return mosa_fail(MOSA_ERR_FORMAT, "%s: not a JSON object", path);
    }
    return MOSA_OK;
}

static int count_clips(const char *root) {
    char p[4096];
    snprintf(p, sizeof p, "%s/clips", root);
    DIR *d = opendir(p);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strchr(e->d_name, '.')) continue;
        if (annotate_clip_done(root, e->d_name)) n++;
    }
    closedir(d);
    return n;
}

static mosa_status write_dataset_json(const char *root) {
    char p[4096];
    snprintf(p, sizeof p, "%s/dataset.json", root);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "format", DATASET_FORMAT);
    cJSON_AddNumberToObject(d, "clips", count_clips(root));
    cJSON_AddStringToObject(d, "generator", ANNOTATE_GENERATOR);
    cJSON_AddStringToObject(d, "name", "annotated real videos");
    return json_write(p, d);
}

mosa_status annotate_dataset_begin(const char *root) {
    char p[4096];
    MOSA_TRY(mkdir1(root));
    if (access(root, W_OK) != 0) return mosa_fail(MOSA_ERR_IO, "cannot write into '%s': %s", root, strerror(errno));
    snprintf(p, sizeof p, "%s/dataset.json", root);
    if (access(p, F_OK) == 0) {
        cJSON *j;
        MOSA_TRY(read_json(p, &j));
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "generator"), *f = cJSON_GetObjectItemCaseSensitive(j, "format");
        int ok = cJSON_IsString(f) && !strcmp(f->valuestring, DATASET_FORMAT) && cJSON_IsString(g) &&
                 !strcmp(g->valuestring, ANNOTATE_GENERATOR);
        char gen[128];
        snprintf(gen, sizeof gen, "%s", cJSON_IsString(g) ? g->valuestring : "?");
        cJSON_Delete(j);
        if (!ok)
            return mosa_fail(MOSA_ERR_MISMATCH, "%s was written by '%s', not by mosa annotate: annotate into another "
                             "directory (a trainer can read several datasets)", p, gen);
    }
    snprintf(p, sizeof p, "%s/clips", root);
    MOSA_TRY(mkdir1(p));
    return write_dataset_json(root);
}

mosa_status annotate_dataset_finish(const char *root) { return write_dataset_json(root); }

int annotate_clip_done(const char *root, const char *id) {
    char p[4096];
    snprintf(p, sizeof p, "%s/clips/%s/meta.json", root, id);
    return access(p, F_OK) == 0;
}

/* Removes root/clips/<id>.tmp.* and <id>.old.* leftovers of interrupted runs. */
static void remove_leftovers(const char *root, const char *id) {
    char p[4096];
    snprintf(p, sizeof p, "%s/clips", root);
    DIR *d = opendir(p);
    if (!d) return;
    size_t n = strlen(id);
    struct dirent *e;
    char q[4200];
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, id, n) && (!strncmp(e->d_name + n, ".tmp.", 5) || !strncmp(e->d_name + n, ".old.", 5))) {
            snprintf(q, sizeof q, "%s/%s", p, e->d_name);
            remove_tree(q);
        }
    closedir(d);
}

static cJSON *meta_json(const annotate_clip *c) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "caption", c->caption);
    if (c->motion_caption) cJSON_AddStringToObject(m, "motion_caption", c->motion_caption);
    cJSON_AddNumberToObject(m, "frames", c->T);
    cJSON_AddNumberToObject(m, "fps", r4(c->fps));
    cJSON_AddNumberToObject(m, "width", c->W);
    cJSON_AddNumberToObject(m, "height", c->H);
    cJSON_AddNumberToObject(m, "persons", 1);
    cJSON_AddStringToObject(m, "generator", ANNOTATE_GENERATOR);
    cJSON_AddStringToObject(m, "caption_source", c->caption_source ? c->caption_source : "file");
    if (c->source) {
        cJSON *s = cJSON_AddObjectToObject(m, "source");
        cJSON_AddStringToObject(s, "file", c->source);
        cJSON_AddNumberToObject(s, "width", c->src_w);
        cJSON_AddNumberToObject(s, "height", c->src_h);
        cJSON_AddNumberToObject(s, "fps", r4(c->src_fps));
    }
    if (c->pose_model) cJSON_AddStringToObject(m, "pose_model", c->pose_model);
    if (c->mask_source) cJSON_AddStringToObject(m, "mask", c->mask_source);
    cJSON_AddBoolToObject(m, "smoothed", c->smoothed != 0);
    cJSON_AddNumberToObject(m, "frames_with_person", c->frames_with_person);
    cJSON_AddNumberToObject(m, "pose_confidence", r4(c->pose_confidence));
    if (c->tracks) {
        cJSON_AddNumberToObject(m, "body_points", c->n_body);
        cJSON_AddNumberToObject(m, "background_points", c->n_bg);
    }
    if (c->curation) {
        const curate_result *r = c->curation;
        cJSON *q = cJSON_AddObjectToObject(m, "curation");
        cJSON_AddBoolToObject(q, "keep", r->keep);
        cJSON_AddStringToObject(q, "reason", r->reason);
#define NUM(name, v) \
    if (isfinite(v)) cJSON_AddNumberToObject(q, name, r4(v)); else cJSON_AddNullToObject(q, name)
        NUM("sharpness", r->sharpness);
        NUM("contrast", r->contrast);
        NUM("clipped", r->clipped);
        NUM("dynamic_degree", r->dynamic_degree);
        NUM("flow_in_mask", r->flow_in_mask);
        NUM("smooth_ratio", r->smooth_ratio);
        NUM("kp_offset", r->kp_offset);
        NUM("lower_visible", r->lower_visible);
        NUM("lower_upper_ratio", r->lower_upper_ratio);
#undef NUM
    }
    return m;
}

static mosa_status check_clip(const annotate_clip *c) {
    if (c->T < 1 || c->T > ANNOTATE_MAX_FRAMES || c->W < 16 || c->H < 16 || c->W > 4096 || c->H > 4096 || (c->W & 1) ||
        (c->H & 1) || !(c->fps >= 1 && c->fps <= 240))
        return mosa_fail(MOSA_ERR_ARG, "clip of %d frames %dx%d at %g fps: want 1..%d frames, even sizes 16..4096, fps 1..240",
                         c->T, c->W, c->H, c->fps, ANNOTATE_MAX_FRAMES);
    if (!c->frames || !c->kp || !c->masks || !c->caption || !c->caption[0] || strlen(c->caption) >= DATASET_MAX_CAPTION)
        return mosa_fail(MOSA_ERR_ARG, "clip: frames, keypoints, masks and a caption (< %d bytes) are required",
                         DATASET_MAX_CAPTION);
    for (int t = 0; t < c->T; t++)
        if (c->frames[t].w != c->W || c->frames[t].h != c->H)
            return mosa_fail(MOSA_ERR_ARG, "clip frame %d is %dx%d, not %dx%d", t, c->frames[t].w, c->frames[t].h, c->W, c->H);
    return MOSA_OK;
}

static mosa_status write_files(const char *dir, const annotate_clip *c) {
    char path[4200];
    const int64_t T = c->T, H = c->H, W = c->W;
    char params[256];
    snprintf(params, sizeof params, "mosa annotate %s", c->source ? c->source : "");
    video_writer vw;
    memset(&vw, 0, sizeof vw);
    mosa_status st;
    /* video.mp4 */
    snprintf(path, sizeof path, "%s/video.mp4", dir);
    st = video_writer_open(&vw, path, c->W, c->H, c->fps, params);
    for (int t = 0; t < c->T && st == MOSA_OK; t++) st = video_writer_add(&vw, &c->frames[t]);
    if (st == MOSA_OK) st = video_writer_close(&vw);
    video_writer_abort(&vw);
    if (st != MOSA_OK) return st;
    /* skeleton.mp4: draw.h's colours, limbs scaled with the frame as synth does */
    image sk = {0, 0, NULL};
    MOSA_TRY(image_alloc(&sk, c->W, c->H));
    draw_opts dopt = draw_opts_default();
    int stick = (int)lrintf(4.0f * (float)(c->W < c->H ? c->W : c->H) / 512.0f);
    dopt.stickwidth = dopt.radius = stick < 1 ? 1 : stick;
    memset(&vw, 0, sizeof vw);
    snprintf(path, sizeof path, "%s/skeleton.mp4", dir);
    st = video_writer_open(&vw, path, c->W, c->H, c->fps, params);
    for (int t = 0; t < c->T && st == MOSA_OK; t++) {
        float kp2[36], conf[18];
        for (int k = 0; k < 18; k++) {
            const float *q = c->kp + ((size_t)t * 18 + k) * 3;
            kp2[2 * k] = q[0], kp2[2 * k + 1] = q[1], conf[k] = q[2];
        }
        st = draw_skeleton(&sk, kp2, conf, 1, &dopt);
        if (st == MOSA_OK) st = video_writer_add(&vw, &sk);
    }
    if (st == MOSA_OK) st = video_writer_close(&vw);
    video_writer_abort(&vw);
    image_free(&sk);
    if (st != MOSA_OK) return st;
#define NPY(name, fn, data, ...)                                                      \
    do {                                                                              \
        const int64_t sh[] = {__VA_ARGS__};                                           \
        snprintf(path, sizeof path, "%s/" name, dir);                                 \
        MOSA_TRY(fn(path, data, sh, (int)(sizeof sh / sizeof sh[0])));                \
    } while (0)
    NPY("masks.npy", npy_write_u8, c->masks, T, H, W);
    NPY("keypoints2d.npy", npy_write_f32, c->kp, 1, T, 18, 3);
    if (c->joints) NPY("joints3d.npy", npy_write_f32, c->joints, 1, T, 22, 3);
    if (c->tracks && c->tracks_vis && c->n_body + c->n_bg > 0) {
        NPY("tracks.npy", npy_write_f32, c->tracks, (int64_t)(c->n_body + c->n_bg), T, 2);
        NPY("tracks_visible.npy", npy_write_u8, c->tracks_vis, (int64_t)(c->n_body + c->n_bg), T);
    }
    if (c->flow && c->T > 1) NPY("flow.npy", npy_write_f32, c->flow, T - 1, H, W, 2);
#undef NPY
    snprintf(path, sizeof path, "%s/meta.json", dir);
    return json_write(path, meta_json(c));
}

mosa_status annotate_clip_write(const char *root, const char *id, const annotate_clip *c, int overwrite) {
    MOSA_TRY(check_clip(c));
    size_t idn = strlen(id);
    if (idn < 1 || idn > 63) return mosa_fail(MOSA_ERR_ARG, "clip id '%s': 1..63 characters", id);
    for (size_t i = 0; i < idn; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '_' && id[i] != '-')
            return mosa_fail(MOSA_ERR_ARG, "clip id '%s': only A-Z a-z 0-9 _ -", id);
    char fin[4096], tmp[4200], old[4200];
    snprintf(fin, sizeof fin, "%s/clips/%s", root, id);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", fin, (long)getpid());
    snprintf(old, sizeof old, "%s.old.%ld", fin, (long)getpid());
    struct stat sb;
    int exists = stat(fin, &sb) == 0;
    if (exists && !overwrite)
        return mosa_fail(MOSA_ERR_ARG, "%s exists: remove it or overwrite it (--overwrite)", fin);
    remove_leftovers(root, id);
    MOSA_TRY(mkdir1(tmp));
    mosa_status st = write_files(tmp, c);
    if (st == MOSA_OK && exists && rename(fin, old) != 0)
        st = mosa_fail(MOSA_ERR_IO, "cannot move the old %s aside: %s", fin, strerror(errno));
    if (st == MOSA_OK && rename(tmp, fin) != 0) {
        st = mosa_fail(MOSA_ERR_IO, "cannot rename %s to %s: %s", tmp, fin, strerror(errno));
        if (exists) rename(old, fin); /* put the old clip back */
    }
    if (st != MOSA_OK) {
        remove_tree(tmp);
        return mosa_fail_context(st, "clip '%s'", id);
    }
    if (exists) remove_tree(old);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* The pipeline                                                                                */
/* ------------------------------------------------------------------------------------------ */

annotate_opts annotate_opts_default(void) {
    annotate_opts o;
    memset(&o, 0, sizeof o);
    o.curate = curate_opts_default();
    return o;
}

void annotate_models_free(annotate_models *m) {
    if (m->pose) pose_model_free(m->pose);
    if (m->seg) seg_model_free(m->seg);
    m->pose = NULL, m->seg = NULL;
}

mosa_status annotate_models_open(annotate_models *m, const annotate_opts *o) {
    memset(m, 0, sizeof *m);
    if (!o->pose_model_path) return mosa_fail(MOSA_ERR_ARG, "no pose model given");
    snprintf(m->pose_name, sizeof m->pose_name, "%s", base_name(o->pose_model_path));
    mosa_status st = pose_model_open(&m->pose, o->pose_model_path);
    if (st == MOSA_OK && !o->mask_from_pose) {
        if (!o->seg_model_path) st = mosa_fail(MOSA_ERR_ARG, "no segmentation model given");
        else st = seg_model_open(&m->seg, o->seg_model_path);
    }
    if (st != MOSA_OK) annotate_models_free(m);
    return st;
}

/* Frames of the source to output frame mapping for --fps: output frame k shows source frame
 * round(k * src_fps / out_fps). */
static long src_index(long k, double ratio) { return (long)floor((double)k * ratio + 0.5); }

typedef struct work {
    image *frames;
    float *kp, *joints, *gray, *tracks, *tr_tn, *flow, *prob_src, *prob;
    uint8_t *masks, *vis, *vis_tn;
    int T, cap;
} work;

static void work_free(work *w) {
    if (w->frames)
        for (int t = 0; t < w->T; t++) image_free(&w->frames[t]);
    mosa_free(w->frames);
    mosa_free(w->kp), mosa_free(w->joints), mosa_free(w->gray), mosa_free(w->tracks), mosa_free(w->tr_tn);
    mosa_free(w->flow), mosa_free(w->prob_src), mosa_free(w->prob), mosa_free(w->masks), mosa_free(w->vis);
    mosa_free(w->vis_tn);
    memset(w, 0, sizeof *w);
}

static mosa_status work_grow(work *w, int need, const annotate_geom *g) {
    if (need <= w->cap) return MOSA_OK;
    int nc = w->cap ? w->cap * 2 : 64;
    if (nc < need) nc = need;
    const size_t HW = (size_t)g->W * g->H;
    image *f = mosa_realloc(w->frames, sizeof *f * (size_t)nc);
    if (!f) return MOSA_ERR_NOMEM;
    w->frames = f;
    for (int t = w->cap; t < nc; t++) w->frames[t] = (image){0, 0, NULL};
    float *kp = mosa_realloc(w->kp, sizeof(float) * 54 * (size_t)nc);
    if (!kp) return MOSA_ERR_NOMEM;
    w->kp = kp;
    float *j = mosa_realloc(w->joints, sizeof(float) * 66 * (size_t)nc);
    if (!j) return MOSA_ERR_NOMEM;
    w->joints = j;
    uint8_t *m = mosa_realloc(w->masks, HW * (size_t)nc);
    if (!m) return MOSA_ERR_NOMEM;
    w->masks = m;
    w->cap = nc;
    return MOSA_OK;
}

mosa_status annotate_video(annotate_report *rep, annotate_models *mo, const char *video, const char *root,
                           const char *id, const char *caption, const annotate_opts *o, annotate_progress_fn fn,
                           void *user) {
    memset(rep, 0, sizeof *rep);
    const double t_start = time_now();
    video_reader rd;
    memset(&rd, 0, sizeof rd);
    MOSA_TRY(video_reader_open(&rd, video));
    work w;
    memset(&w, 0, sizeof w);
    image src = {0, 0, NULL};
    float *seg_pose = NULL;
    annotate_geom g;
    mosa_status st = annotate_geom_make(&g, rd.width, rd.height, o->width, o->height);
    /* a container without a frame rate: the one asked for is taken as the source's */
    double src_fps = rd.fps > 0 ? rd.fps : o->fps, out_fps = o->fps > 0 ? o->fps : src_fps;
    if (st == MOSA_OK && !(src_fps > 0))
        st = mosa_fail(MOSA_ERR_FORMAT, "the container does not give a frame rate: pass --fps (the rate to assume)");
    if (st == MOSA_OK && !(out_fps >= 1 && out_fps <= 240))
        st = mosa_fail(MOSA_ERR_ARG, "frame rate %g: the dataset holds 1..240 fps; pass --fps", out_fps);
    const double ratio = st == MOSA_OK ? src_fps / out_fps : 1.0;
    long total = -1;
    if (st == MOSA_OK && rd.n_frames > 0) {
        total = (long)floor((double)(rd.n_frames - 1) / ratio) + 1;
        if (o->max_frames > 0 && total > o->max_frames) total = o->max_frames;
    }
    const size_t HW = (size_t)g.W * g.H;
    if (st == MOSA_OK) {
        w.prob_src = mosa_malloc(sizeof(float) * (size_t)rd.width * rd.height);
        w.prob = mosa_malloc(sizeof(float) * HW);
        if (o->mask_from_pose) seg_pose = w.prob_src;
        if (!w.prob_src || !w.prob) st = MOSA_ERR_NOMEM;
    }
    annotate_tracker tr = {{0, 0, 0, 0}, 0};
    annotate_smoother sm;
    annotate_smoother_reset(&sm);
    long k = 0; /* next output frame */
    double conf_sum = 0;
    const long limit = o->max_frames > 0 ? o->max_frames : ANNOTATE_MAX_FRAMES;
    for (long i = 0; st == MOSA_OK && k < limit; i++) {
        bool got = false;
        st = video_reader_next(&rd, &src, &got);
        if (st != MOSA_OK || !got) break;
        if (src.w != rd.width || src.h != rd.height) {
            st = mosa_fail(MOSA_ERR_UNSUPPORTED, "frame %ld is %dx%d, the first %dx%d: videos that change size are not "
                           "supported", i, src.w, src.h, rd.width, rd.height);
            break;
        }
        if (src_index(k, ratio) > i) continue; /* dropped by --fps */
        /* the pose and the mask of this source frame, then as many output frames as map to it */
        pose_result pr;
        st = annotate_pose_step(mo->pose, &tr, &src, &pr, seg_pose);
        if (st == MOSA_OK && !o->mask_from_pose) st = seg_estimate(mo->seg, &src, w.prob_src);
        if (st == MOSA_OK && o->mask_from_pose && !pr.found) memset(w.prob_src, 0, sizeof(float) * (size_t)src.w * src.h);
        if (st != MOSA_OK) break;
        annotate_resample_f32(w.prob, w.prob_src, &g);
        /* Pose Confidence from the model's own output (before any smoothing) */
        float kp_raw[54];
        annotate_frame_keypoints(kp_raw, &pr, &g);
        if (o->smooth) annotate_smooth(&sm, &pr, (double)i / src_fps);
        while (st == MOSA_OK && src_index(k, ratio) <= i && k < limit) {
            if ((int64_t)(k + 1) * (int64_t)HW > ANNOTATE_MAX_PIXEL_FRAMES) {
                st = mosa_fail(MOSA_ERR_NOMEM, "%ld frames of %dx%d are more than one clip may hold (%lld pixel-frames): "
                               "pass --size (e.g. 256x256) or --max-frames", k + 1, g.W, g.H,
                               (long long)ANNOTATE_MAX_PIXEL_FRAMES);
                break;
            }
            if ((st = work_grow(&w, (int)k + 1, &g)) != MOSA_OK) break;
            if ((st = image_alloc(&w.frames[k], g.W, g.H)) != MOSA_OK) break;
            w.T = (int)k + 1;
            annotate_resample_rgb(&w.frames[k], &src, &g);
            annotate_frame_keypoints(w.kp + (size_t)k * 54, &pr, &g);
            annotate_frame_joints(w.joints + (size_t)k * 66, &pr);
            uint8_t *mk = w.masks + HW * (size_t)k;
            for (size_t p = 0; p < HW; p++) mk[p] = w.prob[p] >= ANNOTATE_MASK_THRESHOLD;
            rep->frames_with_person += pr.found;
            conf_sum += annotate_frame_confidence(kp_raw);
            k++;
            if (fn) fn(user, k, total);
        }
    }
    if (st == MOSA_OK && w.T == 0) st = mosa_fail(MOSA_ERR_FORMAT, "no frame could be decoded");
    if (st == MOSA_OK && rd.corrupt_packets > 0 && rd.corrupt_packets * 2 > (int)rd.frames_read)
        st = mosa_fail(MOSA_ERR_FORMAT, "%d packets were corrupt (%lld frames decoded): the file is damaged",
                       rd.corrupt_packets, (long long)rd.frames_read);
    const int T = w.T;
    /* point tracks: body points inside the first mask, background points outside */
    int n_body = 0, n_bg = 0;
    if (st == MOSA_OK) {
        w.gray = mosa_malloc(sizeof(float) * HW * (size_t)T);
        float pts[(ANNOTATE_BODY_POINTS + ANNOTATE_BG_POINTS) * 2];
        if (!w.gray) st = MOSA_ERR_NOMEM;
        for (int t = 0; t < T && st == MOSA_OK; t++) st = flow_gray_from_rgb(w.gray + HW * t, &w.frames[t]);
        if (st == MOSA_OK) {
            n_body = annotate_pick_points(pts, ANNOTATE_BODY_POINTS, w.masks, g.W, g.H, 1);
            n_bg = annotate_pick_points(pts + 2 * n_body, ANNOTATE_BG_POINTS, w.masks, g.W, g.H, 0);
        }
        const int N = n_body + n_bg;
        if (st == MOSA_OK && N > 0) {
            w.tr_tn = mosa_malloc(sizeof(float) * 2 * (size_t)N * T);
            w.vis_tn = mosa_malloc((size_t)N * T);
            w.tracks = mosa_malloc(sizeof(float) * 2 * (size_t)N * T);
            w.vis = mosa_malloc((size_t)N * T);
            if (!w.tr_tn || !w.vis_tn || !w.tracks || !w.vis) st = MOSA_ERR_NOMEM;
            if (st == MOSA_OK) st = track_sequence(w.tr_tn, w.vis_tn, w.gray, T, g.W, g.H, pts, N, NULL);
            for (int n = 0; n < N && st == MOSA_OK; n++) /* (T,N) -> (N,T) */
                for (int t = 0; t < T; t++) {
                    w.tracks[((size_t)n * T + t) * 2] = w.tr_tn[((size_t)t * N + n) * 2];
                    w.tracks[((size_t)n * T + t) * 2 + 1] = w.tr_tn[((size_t)t * N + n) * 2 + 1];
                    w.vis[(size_t)n * T + t] = w.vis_tn[(size_t)t * N + n];
                }
        }
    }
    if (st == MOSA_OK && o->flow && T > 1) {
        w.flow = mosa_malloc(sizeof(float) * 2 * HW * (size_t)(T - 1));
        if (!w.flow) st = MOSA_ERR_NOMEM;
        for (int t = 0; t + 1 < T && st == MOSA_OK; t++)
            st = flow_compute(w.flow + 2 * HW * t, w.gray + HW * t, w.gray + HW * (t + 1), g.W, g.H, NULL);
    }
    /* curation scores (recorded, the clip is written either way) */
    float *kp2 = NULL, *conf = NULL;
    if (st == MOSA_OK) {
        kp2 = mosa_malloc(sizeof(float) * 36 * (size_t)T);
        conf = mosa_malloc(sizeof(float) * 18 * (size_t)T);
        if (!kp2 || !conf) st = MOSA_ERR_NOMEM;
        for (int t = 0; t < T && st == MOSA_OK; t++)
            for (int j = 0; j < 18; j++) {
                const float *q = w.kp + ((size_t)t * 18 + j) * 3;
                kp2[(t * 18 + j) * 2] = q[0], kp2[(t * 18 + j) * 2 + 1] = q[1], conf[t * 18 + j] = q[2];
            }
        curate_input in = {T, g.W, g.H, w.frames, kp2, conf, w.masks};
        if (st == MOSA_OK) st = curate_clip(&rep->curation, &in, &o->curate);
    }
    if (st == MOSA_OK) {
        char tmpl[256];
        annotate_template_caption(tmpl, sizeof tmpl, w.kp, T, o->curate.conf_min);
        annotate_clip c;
        memset(&c, 0, sizeof c);
        c.T = T, c.W = g.W, c.H = g.H, c.fps = out_fps;
        c.frames = w.frames, c.kp = w.kp, c.joints = w.joints, c.masks = w.masks;
        c.tracks = w.tracks, c.tracks_vis = w.vis, c.n_body = n_body, c.n_bg = n_bg;
        c.flow = w.flow;
        c.caption = caption ? caption : tmpl;
        c.caption_source = caption ? "file" : "template";
        c.motion_caption = caption ? NULL : tmpl;
        c.source = base_name(video);
        c.src_w = rd.width, c.src_h = rd.height, c.src_fps = src_fps;
        c.pose_model = mo->pose_name;
        c.mask_source = o->mask_from_pose ? "pose" : "selfie";
        c.smoothed = o->smooth;
        c.frames_with_person = rep->frames_with_person;
        c.pose_confidence = (float)(conf_sum / T);
        c.curation = &rep->curation;
        st = annotate_clip_write(root, id, &c, o->overwrite);
        rep->frames = T, rep->W = g.W, rep->H = g.H, rep->pose_confidence = c.pose_confidence;
    }
    mosa_free(kp2), mosa_free(conf);
    image_free(&src);
    work_free(&w);
    video_reader_close(&rd);
    rep->seconds = time_now() - t_start;
    if (st != MOSA_OK) mosa_fail_context(st, "%s", video);
    return st;
}

mosa_status annotate_pose_confidence(float *score, int *frames, int *frames_with_person, pose_model *m,
                                     const char *video, int max_frames, annotate_progress_fn fn, void *user) {
    *score = 0, *frames = 0, *frames_with_person = 0;
    video_reader rd;
    memset(&rd, 0, sizeof rd);
    MOSA_TRY(video_reader_open(&rd, video));
    image src = {0, 0, NULL};
    annotate_tracker tr = {{0, 0, 0, 0}, 0};
    long total = rd.n_frames > 0 ? (long)rd.n_frames : -1;
    if (max_frames > 0 && total > max_frames) total = max_frames;
    double sum = 0;
    int n = 0, found = 0;
    mosa_status st = MOSA_OK;
    while (max_frames <= 0 || n < max_frames) {
        bool got = false;
        if ((st = video_reader_next(&rd, &src, &got)) != MOSA_OK || !got) break;
        pose_result pr;
        if ((st = annotate_pose_step(m, &tr, &src, &pr, NULL)) != MOSA_OK) break;
        annotate_geom id = {src.w, src.h, src.w, src.h, 0, 0, 1};
        float kp[54];
        annotate_frame_keypoints(kp, &pr, &id);
        sum += annotate_frame_confidence(kp);
        found += pr.found;
        n++;
        if (fn) fn(user, n, total);
    }
    if (st == MOSA_OK && n == 0) st = mosa_fail(MOSA_ERR_FORMAT, "no frame could be decoded");
    if (st == MOSA_OK && rd.corrupt_packets > 0 && rd.corrupt_packets * 2 > (int)rd.frames_read)
        st = mosa_fail(MOSA_ERR_FORMAT, "%d packets were corrupt (%lld frames decoded): the file is damaged",
                       rd.corrupt_packets, (long long)rd.frames_read);
    image_free(&src);
    video_reader_close(&rd);
    if (st != MOSA_OK) return mosa_fail_context(st, "%s", video);
    *score = (float)(sum / n), *frames = n, *frames_with_person = found;
    return MOSA_OK;
}
