/* curate.c: MoVid-style curation filters and Table 8 statistics (see curate.h for the filters,
 * their defaults and the verb-phrase rule).
 *
 * It is not a scene-cut detector or a caption generator, and it makes no decision a threshold in
 * curate_opts does not state. */
#include "data/curate.h"
#include "base/skeleton.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

curate_opts curate_opts_default(void) {
    curate_opts o;
    o.sharpness_min = 2e-4f;
    o.contrast_min = 0.04f;
    o.clipped_max = 0.25f;
    o.dynamic_min = 0.3f;
    o.dynamic_top_frac = 0.05f;
    o.flow_max_side = 256;
    o.flow = flow_opts_default();
    o.conf_min = 0.3f;
    o.smooth_max = 0.8f;
    o.kp_offset_min = 0.5f;
    o.require_full_body = true;
    o.lower_visible_min = 0.5f;
    o.lower_upper_min = 0.15f;
    return o;
}

/* ------------------------------------------------------------------------------------------ */
/* Frame measures                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Sharpness (variance of the 4-neighbour Laplacian over the interior), contrast (std) and the
 * clipped fraction of one gray frame (H,W) in [0,1]. */
static void curate__quality(float *sharp, float *contrast, float *clipped, const float *g, int W, int H) {
    double s = 0, s2 = 0;
    size_t nclip = 0, n = (size_t)W * (size_t)H;
    for (size_t i = 0; i < n; i++) {
        s += g[i];
        s2 += (double)g[i] * g[i];
        nclip += g[i] <= 2.0f / 255 || g[i] >= 253.0f / 255;
    }
    double mean = s / (double)n;
    *contrast = (float)sqrt(fmax(0.0, s2 / (double)n - mean * mean));
    *clipped = (float)((double)nclip / (double)n);
    double l = 0, l2 = 0;
    size_t nl = 0;
    for (int y = 1; y < H - 1; y++)
        for (int x = 1; x < W - 1; x++) {
            size_t i = (size_t)y * W + x;
            double lap = (double)g[i - 1] + g[i + 1] + g[i - W] + g[i + W] - 4.0 * g[i];
            l += lap;
            l2 += lap * lap;
            nl++;
        }
    *sharp = nl ? (float)(l2 / (double)nl - (l / (double)nl) * (l / (double)nl)) : 0.0f;
}

/* Box-downsamples gray (H,W) by the integer factor f into out (H/f, W/f). */
static void curate__box_down(float *out, const float *g, int W, int H, int f) {
    int w = W / f, h = H / f;
    float inv = 1.0f / (float)(f * f);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float s = 0;
            for (int dy = 0; dy < f; dy++) {
                const float *row = g + (size_t)(y * f + dy) * W + (size_t)x * f;
                for (int dx = 0; dx < f; dx++) s += row[dx];
            }
            out[(size_t)y * w + x] = s * inv;
        }
}

/* Swaps two floats (quickselect helper). */
static inline void curate__swap(float *a, float *b) { float t = *a; *a = *b; *b = t; }

/* Mean of the k largest values of a[0..n), 1 <= k <= n (reorders a). Quickselect with a
 * three-way partition, so runs of equal values (a static clip's zero flow) stay linear. */
static double curate__top_mean(float *a, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1, target = k - 1; /* afterwards a[0..k) hold the k largest */
    while (lo < hi) {
        float p = a[lo + (hi - lo) / 2];
        size_t lt = lo, i = lo, gt = hi + 1; /* a[lo,lt) > p, a[lt,i) == p, a[gt,hi] < p */
        while (i < gt) {
            if (a[i] > p) curate__swap(&a[lt++], &a[i++]);
            else if (a[i] < p) curate__swap(&a[i], &a[--gt]);
            else i++;
        }
        if (target < lt) hi = lt - 1;
        else if (target >= gt) lo = gt;
        else break;
    }
    double s = 0;
    for (size_t i = 0; i < k; i++) s += a[i];
    return s / (double)k;
}

/* ------------------------------------------------------------------------------------------ */
/* Keypoint measures                                                                           */
/* ------------------------------------------------------------------------------------------ */

static bool curate__is_lower(int j) { return j >= OP_R_HIP && j <= OP_L_ANKLE; }

/* Fills the keypoint scores of r from (T,18,2) keypoints and (T,18) confidences. */
static void curate__keypoints(curate_result *r, const curate_input *in, const curate_opts *o) {
    const float *kp = in->kp, *cf = in->conf;
    int T = in->T;
    double vel = 0, acc = 0, vup = 0, vlo = 0;
    long nvel = 0, nacc = 0, nup = 0, nlo = 0, lower_frames = 0;
    for (int t = 0; t < T; t++) {
        int lower_ok = 0;
        for (int j = 0; j < OP18_J; j++) {
            size_t a = (size_t)t * OP18_J + j;
            if (curate__is_lower(j) && cf[a] >= o->conf_min) lower_ok++;
            if (t + 1 < T && cf[a] >= o->conf_min && cf[a + OP18_J] >= o->conf_min) {
                double d = hypot(kp[2 * (a + OP18_J)] - kp[2 * a], kp[2 * (a + OP18_J) + 1] - kp[2 * a + 1]);
                vel += d;
                nvel++;
                if (curate__is_lower(j)) { vlo += d; nlo++; }
                else { vup += d; nup++; }
            }
            if (t >= 1 && t + 1 < T && cf[a - OP18_J] >= o->conf_min && cf[a] >= o->conf_min &&
                cf[a + OP18_J] >= o->conf_min) {
                double ax = kp[2 * (a + OP18_J)] - 2.0 * kp[2 * a] + kp[2 * (a - OP18_J)];
                double ay = kp[2 * (a + OP18_J) + 1] - 2.0 * kp[2 * a + 1] + kp[2 * (a - OP18_J) + 1];
                acc += hypot(ax, ay);
                nacc++;
            }
        }
        lower_frames += lower_ok >= 4;
    }
    double mvel = nvel ? vel / (double)nvel : 0;
    r->kp_offset = nvel ? (float)mvel : NAN;
    /* the 1e-3 px floor keeps a perfectly still skeleton from dividing by zero */
    r->smooth_ratio = nacc ? (float)((acc / (double)nacc) / (mvel + 1e-3)) : NAN;
    r->lower_visible = T > 0 ? (float)((double)lower_frames / (double)T) : NAN;
    double mup = nup ? vup / (double)nup : 0, mlo = nlo ? vlo / (double)nlo : 0;
    r->lower_upper_ratio = nup ? (float)(mlo / (mup + 1e-3)) : NAN;
}

/* ------------------------------------------------------------------------------------------ */
/* The filters                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static mosa_status curate__check(const curate_input *in, const curate_opts *o) {
    if (!in || in->T < 1 || in->W < 2 || in->H < 2 || in->W > IMAGE_MAX_DIM || in->H > IMAGE_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "curate_clip: bad clip shape (T %d >= 1, %dx%d within 2..%d)", in ? in->T : 0,
                         in ? in->W : 0, in ? in->H : 0, IMAGE_MAX_DIM);
    if (in->kp && !in->conf)
        return mosa_fail(MOSA_ERR_ARG, "curate_clip: keypoints given without confidences; pass conf (T,18)");
    if (in->frames)
        for (int t = 0; t < in->T; t++) {
            MOSA_TRY(image_check(&in->frames[t], "curate frame"));
            if (in->frames[t].w != in->W || in->frames[t].h != in->H)
                return mosa_fail(MOSA_ERR_ARG, "curate_clip: frame %d is %dx%d, the clip says %dx%d", t,
                                 in->frames[t].w, in->frames[t].h, in->W, in->H);
        }
    if (o->flow_max_side < 8 || !(o->dynamic_top_frac > 0 && o->dynamic_top_frac <= 1))
        return mosa_fail(MOSA_ERR_ARG,
                         "curate_clip: bad options (flow_max_side %d >= 8, dynamic_top_frac %g in (0,1]); "
                         "start from curate_opts_default()",
                         o->flow_max_side, (double)o->dynamic_top_frac);
    return MOSA_OK;
}

/* Appends the reason of a failing filter when it is the first one. */
static void curate__fail(curate_result *r, unsigned bit, const char *fmt, double a, double b) {
    if (!r->failed) snprintf(r->reason, sizeof r->reason, fmt, a, b);
    r->failed |= bit;
}

/* Quality, dynamic degree and flow inside the masks, from the frames. */
static mosa_status curate__frames(curate_result *r, const curate_input *in, const curate_opts *o) {
    int W = in->W, H = in->H, T = in->T;
    int f = 1;
    while ((W > H ? W : H) / f > o->flow_max_side) f++;
    int w = W / f, h = H / f;
    if (w < 2 || h < 2) f = 1, w = W, h = H;
    size_t n = (size_t)W * (size_t)H, m = (size_t)w * (size_t)h;
    /* full gray, two small grays, flow, magnitudes, small mask */
    float *buf = mosa_malloc((n + 2 * m + 2 * m + m) * sizeof(float) + m);
    if (!buf) return mosa_fail_context(MOSA_ERR_NOMEM, "curate_clip %dx%d", W, H);
    float *gray = buf, *s0 = gray + n, *s1 = s0 + m, *flow = s1 + m, *mag = flow + 2 * m;
    uint8_t *msk = (uint8_t *)(mag + m);
    double sh = 0, co = 0, cl = 0, dyn = 0, inm = 0;
    long npair = 0, nmask = 0;
    mosa_status st = MOSA_OK;
    for (int t = 0; t < T; t++) {
        if ((st = flow_gray_from_rgb(gray, &in->frames[t])) != MOSA_OK) break;
        float a, b, c;
        curate__quality(&a, &b, &c, gray, W, H);
        sh += a;
        co += b;
        cl += c;
        if (f == 1) memcpy(s1, gray, m * sizeof(float));
        else curate__box_down(s1, gray, W, H, f);
        if (t > 0) {
            if ((st = flow_compute(flow, s0, s1, w, h, &o->flow)) != MOSA_OK) break;
            for (size_t i = 0; i < m; i++) mag[i] = hypotf(flow[2 * i], flow[2 * i + 1]);
            size_t k = (size_t)ceil((double)o->dynamic_top_frac * (double)m);
            dyn += curate__top_mean(mag, m, k < 1 ? 1 : (k > m ? m : k)) * f;
            npair++;
            if (in->masks) { /* mask of the source frame t-1, sampled at each block's centre */
                const uint8_t *mk = in->masks + (size_t)(t - 1) * n;
                size_t on = 0;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) {
                        msk[(size_t)y * w + x] = mk[(size_t)(y * f + f / 2) * W + (size_t)(x * f + f / 2)] != 0;
                        on += msk[(size_t)y * w + x];
                    }
                if (on) {
                    inm += flow_magnitude_mean(flow, msk, w, h) * f;
                    nmask++;
                }
            }
        }
        float *sw = s0; s0 = s1; s1 = sw;
    }
    mosa_free(buf);
    if (st != MOSA_OK) return mosa_fail_context(st, "curate_clip frames");
    r->sharpness = (float)(sh / T);
    r->contrast = (float)(co / T);
    r->clipped = (float)(cl / T);
    r->dynamic_degree = npair ? (float)(dyn / npair) : NAN;
    r->flow_in_mask = nmask ? (float)(inm / nmask) : NAN;
    return MOSA_OK;
}

mosa_status curate_clip(curate_result *r, const curate_input *in, const curate_opts *o) {
    curate_opts def = curate_opts_default();
    if (!o) o = &def;
    if (!r) return mosa_fail(MOSA_ERR_ARG, "curate_clip: result is NULL");
    MOSA_TRY(curate__check(in, o));
    memset(r, 0, sizeof *r);
    r->sharpness = r->contrast = r->clipped = r->dynamic_degree = r->flow_in_mask = NAN;
    r->smooth_ratio = r->kp_offset = r->lower_visible = r->lower_upper_ratio = NAN;
    if (in->frames) MOSA_TRY(curate__frames(r, in, o));
    if (in->kp) curate__keypoints(r, in, o);

    /* 1. imaging quality */
    if (!isnan(r->sharpness)) {
        if (r->sharpness < o->sharpness_min)
            curate__fail(r, CURATE_QUALITY, "imaging quality: sharpness (Laplacian variance) %.2e below %.2e",
                         r->sharpness, o->sharpness_min);
        if (r->contrast < o->contrast_min)
            curate__fail(r, CURATE_QUALITY, "imaging quality: contrast %.3f below %.3f", r->contrast, o->contrast_min);
        if (r->clipped > o->clipped_max)
            curate__fail(r, CURATE_QUALITY, "imaging quality: clipped pixel fraction %.2f above %.2f", r->clipped,
                         o->clipped_max);
    }
    /* 2. dynamic degree */
    if (!isnan(r->dynamic_degree) && r->dynamic_degree < o->dynamic_min)
        curate__fail(r, CURATE_DYNAMIC, "dynamic degree %.2f px/frame below %.2f", r->dynamic_degree, o->dynamic_min);
    /* 3. motion smoothness */
    if (!isnan(r->smooth_ratio) && r->smooth_ratio > o->smooth_max)
        curate__fail(r, CURATE_SMOOTH, "motion smoothness: keypoint acceleration/velocity %.2f above %.2f",
                     r->smooth_ratio, o->smooth_max);
    /* 4. keypoint offset */
    if (!isnan(r->kp_offset) && r->kp_offset < o->kp_offset_min)
        curate__fail(r, CURATE_KP_OFFSET, "mean keypoint offset %.2f px/frame below %.2f", r->kp_offset,
                     o->kp_offset_min);
    /* 5. whole-body motion */
    if (o->require_full_body && in->kp) {
        if (r->lower_visible < o->lower_visible_min)
            curate__fail(r, CURATE_WHOLE_BODY, "whole-body motion: legs visible in %.2f of frames, below %.2f",
                         r->lower_visible, o->lower_visible_min);
        else if (!isnan(r->kp_offset) && r->kp_offset >= o->kp_offset_min && !isnan(r->lower_upper_ratio) &&
                 r->lower_upper_ratio < o->lower_upper_min)
            curate__fail(r, CURATE_WHOLE_BODY,
                         "whole-body motion: only the upper body moves (leg/upper keypoint motion %.2f below %.2f)",
                         r->lower_upper_ratio, o->lower_upper_min);
    }
    r->keep = r->failed == 0;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Verb phrases                                                                                */
/* ------------------------------------------------------------------------------------------ */

static bool curate__in(const char *w, const char *const *list) {
    for (int i = 0; list[i]; i++)
        if (!strcmp(w, list[i])) return true;
    return false;
}

static const char *const curate__subjects[] = {
    "person", "man", "woman", "boy", "girl", "child", "kid", "people", "dancer", "athlete", "player",
    "he", "she", "they", "someone", "somebody", "individual", "figure", "lady", "guy", "human",
    "character", "men", "women", "children", "kids", "persons", "gentleman", NULL};
static const char *const curate__aux[] = {"is", "are", "was", "were", "be", "being", "been", NULL};
static const char *const curate__stops[] = {"and", "then", "while", NULL};
static const char *const curate__articles[] = {"a", "an", "the", NULL};

enum { CURATE_WORD = 32, CURATE_MAX_TOK = 96, CURATE_PHRASE_WORDS = 8 };

size_t curate_verb_phrase(char *out, size_t cap, const char *caption) {
    /* tokens: words (lower-cased, truncated to CURATE_WORD-1 chars) and "," for clause breaks */
    char tok[CURATE_MAX_TOK][CURATE_WORD];
    int nt = 0;
    if (cap) out[0] = 0;
    if (!caption || !cap) return 0;
    for (const char *p = caption; *p && nt < CURATE_MAX_TOK;) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c == '\'' || c == '-') {
            int k = 0;
            while (*p && (isalnum((unsigned char)*p) || *p == '\'' || *p == '-')) {
                if (k < CURATE_WORD - 1) tok[nt][k++] = (char)tolower((unsigned char)*p);
                p++;
            }
            tok[nt++][k] = 0;
        } else {
            if (strchr(",;.!?:", c)) strcpy(tok[nt++], ",");
            p++;
        }
    }
    int start = 0;
    for (int i = 0; i < nt && strcmp(tok[i], ","); i++)
        if (curate__in(tok[i], curate__subjects)) { start = i + 1; break; }
    while (start < nt && curate__in(tok[start], curate__aux)) start++;
    size_t len = 0;
    int words = 0;
    for (int i = start; i < nt && words < CURATE_PHRASE_WORDS; i++) {
        if (!strcmp(tok[i], ",") || curate__in(tok[i], curate__stops)) break;
        if (curate__in(tok[i], curate__articles)) continue;
        size_t wl = strlen(tok[i]);
        if (len + (len > 0) + wl + 1 > cap) break;
        if (len) out[len++] = ' ';
        memcpy(out + len, tok[i], wl);
        len += wl;
        out[len] = 0;
        words++;
    }
    return len;
}

/* ------------------------------------------------------------------------------------------ */
/* Statistics                                                                                  */
/* ------------------------------------------------------------------------------------------ */

void curate_stats_init(curate_stats *s) { memset(s, 0, sizeof *s); }

void curate_stats_free(curate_stats *s) {
    for (size_t i = 0; i < s->phrase_cap; i++) mosa_free(s->phrases[i]);
    mosa_free(s->phrases);
    memset(s, 0, sizeof *s);
}

static uint64_t curate__hash(const char *p) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* Slot of phrase p in table t (cap a power of two): its own slot or the empty one to fill. */
static size_t curate__slot(char **t, size_t cap, const char *p) {
    size_t i = (size_t)curate__hash(p) & (cap - 1);
    while (t[i] && strcmp(t[i], p)) i = (i + 1) & (cap - 1);
    return i;
}

/* Adds phrase p to the set (a copy); a phrase already present is a no-op. */
static mosa_status curate__set_add(curate_stats *s, const char *p) {
    if (2 * (s->phrase_n + 1) > s->phrase_cap) {
        size_t cap = s->phrase_cap ? 2 * s->phrase_cap : 64;
        char **t = mosa_calloc(cap, sizeof *t);
        if (!t) return mosa_fail_context(MOSA_ERR_NOMEM, "curate phrase set of %zu", cap);
        for (size_t i = 0; i < s->phrase_cap; i++)
            if (s->phrases[i]) t[curate__slot(t, cap, s->phrases[i])] = s->phrases[i];
        mosa_free(s->phrases);
        s->phrases = t;
        s->phrase_cap = cap;
    }
    size_t i = curate__slot(s->phrases, s->phrase_cap, p);
    if (s->phrases[i]) return MOSA_OK;
    char *d = mosa_strdup(p);
    if (!d) return mosa_fail_context(MOSA_ERR_NOMEM, "curate phrase");
    s->phrases[i] = d;
    s->phrase_n++;
    return MOSA_OK;
}

mosa_status curate_stats_add(curate_stats *s, const curate_clip_info *c) {
    if (!s || !c) return mosa_fail(MOSA_ERR_ARG, "curate_stats_add: NULL argument");
    if (c->W < 1 || c->H < 1 || c->W > IMAGE_MAX_DIM || c->H > IMAGE_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "curate_stats_add: resolution %dx%d outside 1..%d", c->W, c->H, IMAGE_MAX_DIM);
    bool has_caption = c->caption && c->caption[0];
    if (has_caption) {
        char phrase[256];
        if (curate_verb_phrase(phrase, sizeof phrase, c->caption)) MOSA_TRY(curate__set_add(s, phrase));
    }
    s->clips++;
    s->captioned += has_caption;
    if (!isnan(c->action_complexity) && c->action_complexity >= 0) {
        s->complexity_sum += c->action_complexity;
        s->complexity_n++;
    }
    int k = 0;
    while (k < s->n_res && !(s->res_w[k] == c->W && s->res_h[k] == c->H)) k++;
    if (k < s->n_res) s->res_count[k]++;
    else if (k < CURATE_MAX_RES) {
        s->res_w[k] = c->W;
        s->res_h[k] = c->H;
        s->res_count[k] = 1;
        s->n_res++;
    } else s->res_other++;
    return MOSA_OK;
}

void curate_stats_finish(curate_summary *out, const curate_stats *s) {
    memset(out, 0, sizeof *out);
    out->clips = s->clips;
    out->n_res = s->n_res;
    out->res_other = s->res_other;
    int order[CURATE_MAX_RES];
    for (int i = 0; i < s->n_res; i++) order[i] = i;
    for (int i = 1; i < s->n_res; i++) /* insertion sort, most frequent first, stable */
        for (int j = i; j > 0 && s->res_count[order[j]] > s->res_count[order[j - 1]]; j--) {
            int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    for (int i = 0; i < s->n_res; i++) {
        out->res_w[i] = s->res_w[order[i]];
        out->res_h[i] = s->res_h[order[i]];
        out->res_count[i] = s->res_count[order[i]];
    }
    out->action_types = (long)s->phrase_n;
    out->action_complexity = s->complexity_n ? (float)(s->complexity_sum / (double)s->complexity_n) : NAN;
    out->captions = s->captioned;
    out->caption_frac = s->clips ? (float)((double)s->captioned / (double)s->clips) : 0.0f;
}
