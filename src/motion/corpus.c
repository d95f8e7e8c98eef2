/* corpus.c: text-motion pairs from the procedural library or a HumanML3D directory (corpus.h).
 *
 * Procedural items: item i draws everything (single action or 2-3 action sequence, parameters,
 * clip length, caption seeds) from its own RNG seeded by hash(seed, split, i), so the corpus is
 * the same for any number of threads, and item i of a corpus of n is item i of any larger one.
 * Joints -> hml_features_from_joints (canonicalized) -> (T-1, 263) rows, at most 196 rows: a
 * draw whose motion comes out longer (sequences with inserted parts) is redrawn from the same
 * RNG. Captions come from captions.h's split phrasings (motion_caption_motion_split).
 * Not here: normalisation of features in models, batching, cropping (data/, train/). */
#include "corpus.h"

#include "../io/humanml3d.h"
#include "captions.h"
#include "features.h"
#include "library.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#define CORPUS_MAX_ROWS 196     /* HumanML3D's longest clip in feature rows (its loaders' limit) */
#define CORPUS_MIN_ROWS_HML 40  /* HumanML3D loaders skip motions shorter than this */
#define CORPUS_MAX_ITEMS 10000000
#define CORPUS_TRIES 16         /* redraws of a procedural item that came out too long */

motion_corpus_options motion_corpus_options_default(int n, uint64_t seed, int split) {
    motion_corpus_options o;
    memset(&o, 0, sizeof o);
    o.n = n;
    o.seed = seed;
    o.split = split;
    o.min_seconds = 2.0f;
    o.max_seconds = 9.8f;
    o.sequence_share = 0.3f;
    return o;
}

void motion_corpus_free(motion_corpus *c) {
    if (!c) return;
    for (int i = 0; i < c->n && c->items; i++) {
        mosa_free(c->items[i].feat);
        for (int k = 0; k < MOTION_CORPUS_CAPTIONS; k++) mosa_free(c->items[i].caption[k]);
    }
    mosa_free(c->items);
    c->items = NULL;
    c->n = 0;
}

/* ---- procedural ---- */

static uint64_t corpus__mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static float corpus__unif(mosa_rng *r, float lo, float hi) {
    float u;
    rng_uniform(r, &u, 1);
    return lo + (hi - lo) * u;
}

/* Random parameters for one action (k-th part of a sequence; k = 0 for a single action). */
static motion_params corpus__params(mosa_rng *r, int action, int k, float seconds, uint64_t style_seed) {
    motion_params p = motion_params_default();
    unsigned fl = motion_action_flags(action);
    p.seconds = seconds;
    p.speed = corpus__unif(r, 0.6f, 1.6f);
    p.amplitude = corpus__unif(r, 0.6f, 1.4f);
    p.height = corpus__unif(r, 1.5f, 1.95f);
    p.side = rng_below(r, 2) ? MOTION_RIGHT : MOTION_LEFT;
    p.seed = k == 0 ? style_seed : rng_u64(r);
    float sign = rng_below(r, 2) ? 1.0f : -1.0f;
    float u = corpus__unif(r, 0, 1);
    if (fl & MOTION_F_TURNS) {
        if (action == MOTION_TURN_AROUND) p.turn = u < 0.6f ? 0.0f : u < 0.85f ? sign * 1.5708f : sign * 6.2832f;
        else p.turn = u < 0.6f ? corpus__unif(r, -0.3f, 0.3f) : u < 0.9f ? sign * corpus__unif(r, 0.7f, 2.5f) : sign * 6.2832f;
    }
    /* the first part's facing is removed by canonicalization; later parts occasionally turn
     * (the sequence then inserts a turn_around, which the caption describes) */
    if (k == 0) p.heading = corpus__unif(r, -3.14159f, 3.14159f);
    /* (>= 1.1 rad: motion_sequence refuses an inserted turn_around under 1.5 s, i.e. headings
     * between 0.6 and pi/3) */
    else p.heading = corpus__unif(r, 0, 1) < 0.15f ? sign * corpus__unif(r, 1.1f, 2.5f) : 0.0f;
    return p;
}

typedef struct corpus_draw {
    int n;                   /* actions: 1 (single) or 2-3 (sequence) */
    int actions[3];
    motion_params ps[3];
    uint64_t cap_seed;
} corpus_draw;

/* Draws what item i is (no motion generated yet). */
static void corpus__draw(corpus_draw *d, mosa_rng *r, const motion_corpus_options *o) {
    int A = motion_action_count();
    int seq = corpus__unif(r, 0, 1) < o->sequence_share;
    d->n = seq ? 2 + (int)rng_below(r, 2) : 1;
    float total = corpus__unif(r, o->min_seconds, o->max_seconds);
    uint64_t style = rng_u64(r);
    /* a sequence spends 0.5 s per transition; the parts share the rest */
    float part = d->n == 1 ? total : (total - 0.5f * (float)(d->n - 1)) / (float)d->n;
    for (int k = 0; k < d->n; k++) {
        int a = (int)rng_below(r, (uint32_t)A);
        d->actions[k] = a;
        float s = part;
        float mn = motion_action_min_seconds(a);
        if (s < mn) s = mn;
        d->ps[k] = corpus__params(r, a, k, s, style);
    }
    d->cap_seed = rng_u64(r);
}

static mosa_status corpus__caption_set(motion_item *it, const corpus_draw *d, int split) {
    char buf[MOTION_CAPTION_SEQ_MAX];
    it->ncap = 0;
    for (int t = 0; t < 4 * MOTION_CORPUS_CAPTIONS && it->ncap < MOTION_CORPUS_CAPTIONS; t++) {
        uint64_t s = d->cap_seed + (uint64_t)t;
        if (d->n == 1) MOSA_TRY(motion_caption_motion_split(buf, sizeof buf, d->actions[0], &d->ps[0], s, split));
        else MOSA_TRY(motion_sequence_caption_motion_split(buf, sizeof buf, d->actions, d->ps, d->n, s, split));
        int dup = 0;
        for (int k = 0; k < it->ncap && !dup; k++) dup = strcmp(it->caption[k], buf) == 0;
        if (dup) continue;
        it->caption[it->ncap] = mosa_strdup(buf);
        if (!it->caption[it->ncap]) return MOSA_ERR_NOMEM;
        it->ncap++;
    }
    return MOSA_OK;
}

/* Builds item i; on failure the item holds nothing. */
static mosa_status corpus__item(motion_item *it, const motion_corpus_options *o, int i) {
    memset(it, 0, sizeof *it);
    it->action = -1;
    mosa_rng r;
    uint64_t h = corpus__mix(corpus__mix(o->seed) ^ corpus__mix(0xC0A9u + (uint64_t)o->split) ^ (uint64_t)i);
    /* all 64 bits of the hash in the state (rng_seed takes 32), so that no two items of any
     * two corpora share a stream by a 32-bit collision (~5% for 20,000 items otherwise) */
    rng_seed(&r, h & 0xffffffffu);
    r.state[1] ^= (uint32_t)(h >> 32);
    corpus_draw d;
    float *joints = NULL;
    int T = 0;
    mosa_status st = MOSA_OK;
    for (int tries = 0; tries < CORPUS_TRIES; tries++) {
        corpus__draw(&d, &r, o);
        if (tries >= CORPUS_TRIES / 2) d.n = 1; /* a single action always fits (max_seconds <= 9.8) */
        mosa_free(joints);
        joints = NULL;
        st = d.n == 1 ? motion_generate(&joints, &T, d.actions[0], &d.ps[0])
                      : motion_sequence(&joints, &T, d.actions, d.ps, d.n);
        if (st != MOSA_OK) break;
        if (T - 1 <= CORPUS_MAX_ROWS && T >= 2) break;
    }
    if (st == MOSA_OK && T - 1 > CORPUS_MAX_ROWS) T = CORPUS_MAX_ROWS + 1; /* never reached in practice */
    if (st == MOSA_OK && T < 2) st = mosa_fail(MOSA_ERR_INTERNAL, "corpus: item %d has %d frames", i, T);
    if (st == MOSA_OK) {
        it->feat = mosa_malloc((size_t)(T - 1) * MOTION_FEAT * sizeof(float));
        if (!it->feat) st = MOSA_ERR_NOMEM;
    }
    if (st == MOSA_OK) st = hml_features_from_joints(it->feat, joints, T, 1);
    mosa_free(joints);
    if (st == MOSA_OK) {
        it->T = T - 1;
        it->action = d.n == 1 ? d.actions[0] : -1;
        st = corpus__caption_set(it, &d, o->split);
    }
    if (st != MOSA_OK) {
        mosa_free(it->feat);
        for (int k = 0; k < MOTION_CORPUS_CAPTIONS; k++) mosa_free(it->caption[k]);
        memset(it, 0, sizeof *it);
    }
    return st;
}

mosa_status motion_corpus_procedural(motion_corpus *c, const motion_corpus_options *o) {
    if (!c || !o) return mosa_fail(MOSA_ERR_ARG, "motion_corpus_procedural: NULL corpus or options");
    c->items = NULL;
    c->n = 0;
    if (o->n < 1 || o->n > CORPUS_MAX_ITEMS)
        return mosa_fail(MOSA_ERR_ARG, "motion_corpus_procedural: %d items; ask for 1..%d", o->n, CORPUS_MAX_ITEMS);
    if (o->split != MOTION_SPLIT_TRAIN && o->split != MOTION_SPLIT_TEST)
        return mosa_fail(MOSA_ERR_ARG, "motion_corpus_procedural: split %d; use MOTION_SPLIT_TRAIN or MOTION_SPLIT_TEST",
                         o->split);
    if (!(o->min_seconds >= 1.0f && o->max_seconds >= o->min_seconds && o->max_seconds <= 9.8f))
        return mosa_fail(MOSA_ERR_ARG,
                         "motion_corpus_procedural: clip length %g..%g s; need 1 <= min <= max <= 9.8 (196 rows at 20 fps)",
                         (double)o->min_seconds, (double)o->max_seconds);
    if (!(o->sequence_share >= 0.0f && o->sequence_share <= 1.0f))
        return mosa_fail(MOSA_ERR_ARG, "motion_corpus_procedural: sequence_share %g; need 0..1", (double)o->sequence_share);
    motion_item *items = mosa_calloc((size_t)o->n, sizeof *items);
    if (!items) return MOSA_ERR_NOMEM;
    mosa_status *sts = mosa_calloc((size_t)o->n, sizeof *sts);
    if (!sts) {
        mosa_free(items);
        return MOSA_ERR_NOMEM;
    }
    int n = o->n;
    MOSA_PARALLEL_FOR(n > 1, schedule(dynamic, 8), for (int i = 0; i < n; i++) sts[i] = corpus__item(&items[i], o, i););
    mosa_status st = MOSA_OK;
    for (int i = 0; i < n && st == MOSA_OK; i++)
        if (sts[i] != MOSA_OK) {
            /* the error message lives in the worker thread: rebuild the item here to get it */
            motion_item tmp;
            st = corpus__item(&tmp, o, i);
            if (st == MOSA_OK) { /* cannot differ (deterministic), but keep the item if it does */
                items[i] = tmp;
                st = sts[i];
                mosa_fail(st, "motion_corpus_procedural: item %d failed in a worker thread", i);
            } else {
                mosa_fail_context(st, "motion_corpus_procedural: item %d", i);
            }
        }
    mosa_free(sts);
    c->items = items;
    c->n = n;
    if (st != MOSA_OK) motion_corpus_free(c);
    return st;
}

/* ---- HumanML3D ---- */

/* A caption as an item caption: lower case, surrounding space trimmed. NULL if empty. */
static char *corpus__clean_caption(const char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    if (n == 0) return NULL;
    char *o = mosa_malloc(n + 1);
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) o[i] = (char)tolower((unsigned char)s[i]);
    o[n] = 0;
    return o;
}

static mosa_status corpus__push(motion_corpus *c, int *cap) {
    if (c->n < *cap) return MOSA_OK;
    int nc = *cap ? *cap * 2 : 256;
    motion_item *ni = mosa_realloc(c->items, (size_t)nc * sizeof *ni);
    if (!ni) return MOSA_ERR_NOMEM;
    c->items = ni;
    *cap = nc;
    return MOSA_OK;
}

/* Adds the items of one motion: one per distinct (start, end) range of its captions (0, 0 = the
 * whole clip), as HumanML3D's loaders make sub-clips, when the range has 40..196 rows. */
static mosa_status corpus__add_motion(motion_corpus *c, int *cap, const hml_motion *m) {
    for (int t = 0; t < m->n_texts; t++) {
        float s0 = m->texts[t].start, e0 = m->texts[t].end;
        int first = 1;
        for (int u = 0; u < t && first; u++)
            if (m->texts[u].start == s0 && m->texts[u].end == e0) first = 0;
        if (!first) continue;
        int r0 = 0, r1 = m->T_vecs;
        if (!(s0 == 0 && e0 == 0)) {
            r0 = (int)floorf(s0 * MOTION_FPS);
            r1 = (int)floorf(e0 * MOTION_FPS);
            if (r0 < 0) r0 = 0;
            if (r1 > m->T_vecs) r1 = m->T_vecs;
        }
        int rows = r1 - r0;
        if (rows < CORPUS_MIN_ROWS_HML || rows > CORPUS_MAX_ROWS) continue;
        MOSA_TRY(corpus__push(c, cap));
        motion_item *it = &c->items[c->n];
        memset(it, 0, sizeof *it);
        it->action = -1;
        for (int u = t; u < m->n_texts && it->ncap < MOTION_CORPUS_CAPTIONS; u++) {
            if (m->texts[u].start != s0 || m->texts[u].end != e0) continue;
            char *cc = corpus__clean_caption(m->texts[u].caption);
            if (cc) it->caption[it->ncap++] = cc;
        }
        if (it->ncap == 0) continue;
        it->feat = mosa_malloc((size_t)rows * MOTION_FEAT * sizeof(float));
        if (!it->feat) {
            for (int k = 0; k < it->ncap; k++) mosa_free(it->caption[k]);
            return MOSA_ERR_NOMEM;
        }
        memcpy(it->feat, m->vecs + (size_t)r0 * MOTION_FEAT, (size_t)rows * MOTION_FEAT * sizeof(float));
        it->T = rows;
        c->n++;
    }
    return MOSA_OK;
}

mosa_status motion_corpus_humanml3d(motion_corpus *c, const char *root, const char *split) {
    if (!c || !root || !split) return mosa_fail(MOSA_ERR_ARG, "motion_corpus_humanml3d: NULL argument");
    c->items = NULL;
    c->n = 0;
    hml_dir d;
    mosa_status st = hml_dir_open(&d, root, split, HML_VECS | HML_TEXTS, HML_REFUSE);
    if (st != MOSA_OK) return mosa_fail_context(st, "HumanML3D corpus %s (split %s)", root, split);
    int cap = 0, cursor = 0, got = 1;
    while (st == MOSA_OK) {
        hml_motion m;
        memset(&m, 0, sizeof m);
        st = hml_dir_next(&d, &cursor, &m, &got);
        if (st != MOSA_OK || !got) break;
        st = corpus__add_motion(c, &cap, &m);
        hml_motion_free(&m);
    }
    hml_dir_close(&d);
    if (st == MOSA_OK && c->n == 0)
        st = mosa_fail(MOSA_ERR_ARG, "HumanML3D corpus %s (split %s): no motion of 40..196 rows with a caption", root,
                       split);
    if (st != MOSA_OK) {
        if (st == MOSA_ERR_NOMEM) mosa_fail(st, "HumanML3D corpus %s: out of memory", root);
        motion_corpus_free(c);
    }
    return st;
}

mosa_status motion_corpus_mean_std(const motion_corpus *c, float mean[MOTION_FEAT], float std[MOTION_FEAT]) {
    if (!c || !mean || !std || c->n < 1 || !c->items)
        return mosa_fail(MOSA_ERR_ARG, "motion_corpus_mean_std: need a corpus with at least one item");
    const float **feats = mosa_malloc((size_t)c->n * sizeof *feats);
    int *lens = mosa_malloc((size_t)c->n * sizeof *lens);
    mosa_status st = MOSA_OK;
    if (!feats || !lens) st = MOSA_ERR_NOMEM;
    for (int i = 0; st == MOSA_OK && i < c->n; i++) feats[i] = c->items[i].feat, lens[i] = c->items[i].T;
    if (st == MOSA_OK) st = hml_mean_std(mean, std, (const float *const *)feats, lens, c->n);
    mosa_free(feats);
    mosa_free(lens);
    MOSA_TRY(st);
    hml_std_apply_feat_bias(std, 5.0f);
    for (int k = 0; k < MOTION_FEAT; k++)
        if (!(std[k] > 1e-6f)) std[k] = 1.0f; /* a dimension with no spread: leave it unscaled */
    return MOSA_OK;
}
