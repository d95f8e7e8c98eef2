/* train_t2m.c: training the structure transformer; the recipe is in train_t2m.h. */
#include "train_t2m.h"

#include "../tensor/optim.h"
#include "../tensor/train_state.h"
#include "captions.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define FEAT 263

typedef struct tok_item {
    int32_t *tok[4]; /* per crop offset; NULL when the clip is too short for it */
    int n[4];
    int ncap;
    int32_t *ids[MOTION_CORPUS_CAPTIONS]; /* (max_len) each */
    int len[MOTION_CORPUS_CAPTIONS];
} tok_item;

struct t2m_trainer {
    t2m_train_options o;
    t2m_model *m;
    adamw opt;
    int opt_ok;
    mosa_rng data;
    ctx c;
    tok_item *train, *test;
    int n_train, n_test;
    long n_tokens;
    float last_loss;
    /* batch scratch */
    int32_t *ids, *inp, *tgt;
    uint8_t *wmask, *nul;
    /* para_aug / verb_aug: per vocabulary id, the ids that may replace it (para[para_off[id] ..
     * para_off[id+1]-1]), with probability para_p */
    int32_t *para, *para_off;
    float para_p;
};

t2m_train_options t2m_train_options_default(void) {
    t2m_train_options o;
    memset(&o, 0, sizeof o);
    o.vq = vqvae_config_default();
    o.corpus_size = 3000;
    o.test_size = 200;
    o.seed = 1;
    o.steps = 4000;
    o.batch = 32;
    o.lr = 3e-4f;
    o.lr_min = 1e-5f;
    o.warmup = 200;
    o.weight_decay = 0.01f;
    o.grad_clip = 1.0f;
    o.pkeep = 0.8f;
    o.cond_drop = 0.1f;
    o.offsets = 2;
    o.gpt_width = 192, o.gpt_layers = 4, o.gpt_heads = 4;
    o.text_width = 128, o.text_layers = 2;
    o.max_tokens = 50;
    o.drop = 0.1f;
    o.word_drop = 0.0f;
    o.para_aug = 0.0f;
    o.verb_aug = 0.0f;
    o.concepts = 0;
    return o;
}

void t2m_train_options_format(const t2m_train_options *o, char *buf, size_t cap) {
    char vq[256], wd[128] = "";
    vqvae_config_format(&o->vq, vq, sizeof vq);
    /* options off by default are written only when on, so older runs keep their line */
    int nw = 0;
    if (o->word_drop > 0) nw = snprintf(wd, sizeof wd, " word_drop=%g", (double)o->word_drop);
    if (o->para_aug > 0) nw += snprintf(wd + nw, sizeof wd - (size_t)nw, " para_aug=%g", (double)o->para_aug);
    if (o->verb_aug > 0) nw += snprintf(wd + nw, sizeof wd - (size_t)nw, " verb_aug=%g", (double)o->verb_aug);
    if (o->concepts > 0) snprintf(wd + nw, sizeof wd - (size_t)nw, " concepts=%d", o->concepts);
    snprintf(buf, cap,
             "vqvae=%s humanml3d=%s corpus_size=%d test_size=%d seed=%llu steps=%d batch=%d lr=%g lr_min=%g warmup=%d "
             "wd=%g clip=%g pkeep=%g cond_drop=%g offsets=%d gpt=%dx%dx%d text=%dx%d max_tokens=%d drop=%g%s%s%s",
             o->vqvae_path ? o->vqvae_path : "(random)", o->humanml3d ? o->humanml3d : "(procedural)", o->corpus_size,
             o->test_size, (unsigned long long)o->seed, o->steps, o->batch, (double)o->lr, (double)o->lr_min, o->warmup,
             (double)o->weight_decay, (double)o->grad_clip, (double)o->pkeep, (double)o->cond_drop, o->offsets,
             o->gpt_width, o->gpt_layers, o->gpt_heads, o->text_width, o->text_layers, o->max_tokens, (double)o->drop,
             o->vqvae_path ? "" : " vq=", o->vqvae_path ? "" : vq, wd);
}

static void say(void (*log)(void *, const char *), void *user, const char *fmt, ...) {
    if (!log) return;
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    log(user, b);
}

static void free_items(tok_item *it, int n) {
    for (int i = 0; it && i < n; i++) {
        for (int k = 0; k < 4; k++) mosa_free(it[i].tok[k]);
        for (int k = 0; k < MOTION_CORPUS_CAPTIONS; k++) mosa_free(it[i].ids[k]);
    }
    mosa_free(it);
}

void t2m_trainer_free(t2m_trainer *t) {
    if (!t) return;
    if (t->opt_ok) adamw_free(&t->opt);
    t2m_free(t->m);
    free_items(t->train, t->n_train);
    free_items(t->test, t->n_test);
    ctx_free(&t->c);
    mosa_free(t->ids), mosa_free(t->inp), mosa_free(t->tgt), mosa_free(t->wmask), mosa_free(t->nul);
    mosa_free(t->para), mosa_free(t->para_off);
    mosa_free(t);
}

/* The readings of every vocabulary word's WordNet neighbours (text_vocab_paraphrase_ids), for
 * para_aug: a training caption word is replaced by one of them, so the model learns the words it
 * will be given when a user writes a synonym the vocabulary lacks. */
static mosa_status build_paraphrases(t2m_trainer *t, const text_vocab *v) {
    enum { PER_WORD = 32 };
    const int n = text_vocab_size(v);
    t->para_off = mosa_malloc(sizeof(int32_t) * (size_t)(n + 1));
    t->para = mosa_malloc(sizeof(int32_t) * (size_t)n * PER_WORD);
    if (!t->para_off || !t->para) return MOSA_ERR_NOMEM;
    int total = 0;
    for (int id = 0; id < n; id++) {
        t->para_off[id] = total;
        if (id < TEXT_SPECIALS) continue;
        int k = text_vocab_paraphrase_ids(v, text_vocab_word(v, id), t->para + total, PER_WORD);
        if (k < 0) return MOSA_ERR_IO; /* WordNet missing or out of memory; the message is set */
        total += k;
    }
    t->para_off[n] = total;
    return MOSA_OK;
}

/* verb_aug: the caption verbs (motion_caption_verbs) in the captions' vocabulary v and, for
 * each, its WordNet relatives that v lacks (text_verb_relatives). fn gets (verb, relative)
 * pairs; returns MOSA_OK or the first error. */
#define VERB_REL_MAX 128
static mosa_status each_verb_relative(const text_vocab *v, void (*fn)(void *, const char *, const char *), void *user) {
    enum { MAXV = 512 };
    char(*verbs)[MOTION_VERB_MAX] = mosa_malloc(sizeof(*verbs) * MAXV);
    char(*rel)[TEXT_WORD_MAX] = mosa_malloc(sizeof(*rel) * VERB_REL_MAX);
    mosa_status s = verbs && rel ? MOSA_OK : MOSA_ERR_NOMEM;
    const int nv = s == MOSA_OK ? motion_caption_verbs(verbs, MAXV) : 0;
    for (int i = 0; i < nv && s == MOSA_OK; i++) {
        if (text_vocab_find(v, verbs[i]) < TEXT_SPECIALS) continue;
        const int nr = text_verb_relatives(verbs[i], rel, VERB_REL_MAX);
        if (nr < 0) s = MOSA_ERR_IO; /* WordNet missing; the message is set */
        for (int k = 0; k < nr; k++)
            if (text_vocab_find(v, rel[k]) < 0) fn(user, verbs[i], rel[k]);
    }
    mosa_free(verbs);
    mosa_free(rel);
    return s;
}

typedef struct rel_text {
    char *buf;
    size_t len, cap;
    int nomem;
} rel_text;

static void rel_text_add(void *user, const char *verb, const char *w) {
    (void)verb;
    rel_text *r = user;
    const size_t n = strlen(w);
    if (r->nomem) return;
    if (r->len + n + 2 > r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 4096;
        while (cap < r->len + n + 2) cap *= 2;
        char *g = mosa_realloc(r->buf, cap);
        if (!g) { r->nomem = 1; return; }
        r->buf = g, r->cap = cap;
    }
    memcpy(r->buf + r->len, w, n);
    r->len += n;
    r->buf[r->len++] = ' ';
    r->buf[r->len] = 0;
}

/* The relatives of the caption verbs that vocabulary v lacks, space-separated (*out, mosa_free). */
static mosa_status verb_relatives_text(const text_vocab *v, char **out) {
    rel_text r = {0};
    mosa_status s = each_verb_relative(v, rel_text_add, &r);
    if (s == MOSA_OK && (r.nomem || !r.buf)) s = r.nomem ? MOSA_ERR_NOMEM : mosa_fail(MOSA_ERR_ARG, "verb_aug: no caption verb has a WordNet relative");
    if (s != MOSA_OK) mosa_free(r.buf), r.buf = NULL;
    *out = r.buf;
    return s;
}

typedef struct rel_pairs {
    const text_vocab *v; /* the expanded vocabulary */
    int32_t (*pair)[2];
    int n, cap, nomem;
} rel_pairs;

static void rel_pairs_add(void *user, const char *verb, const char *w) {
    rel_pairs *r = user;
    const int id = text_vocab_find(r->v, verb), to = text_vocab_find(r->v, w);
    if (id < TEXT_SPECIALS || to < TEXT_SPECIALS || r->nomem) return;
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 1024;
        int32_t(*g)[2] = mosa_realloc(r->pair, sizeof(*g) * (size_t)cap);
        if (!g) { r->nomem = 1; return; }
        r->pair = g, r->cap = cap;
    }
    r->pair[r->n][0] = id, r->pair[r->n][1] = to;
    r->n++;
}

/* verb_aug's replacement lists over the expanded vocabulary v: each caption verb -> the ids of
 * its relatives that the captions' vocabulary `captions` lacks (verb_relatives_text added them). */
static mosa_status build_verb_relatives(t2m_trainer *t, const text_vocab *captions, const text_vocab *v) {
    const int n = text_vocab_size(v);
    rel_pairs r = {v, NULL, 0, 0, 0};
    mosa_status s = each_verb_relative(captions, rel_pairs_add, &r);
    if (s == MOSA_OK && r.nomem) s = MOSA_ERR_NOMEM;
    t->para_off = mosa_calloc((size_t)n + 1, sizeof(int32_t));
    t->para = mosa_malloc(sizeof(int32_t) * (size_t)(r.n > 0 ? r.n : 1));
    if (s == MOSA_OK && (!t->para_off || !t->para)) s = MOSA_ERR_NOMEM;
    if (s == MOSA_OK) { /* counting sort by verb id, pairs in their order */
        for (int i = 0; i < r.n; i++) t->para_off[r.pair[i][0] + 1]++;
        for (int id = 0; id < n; id++) t->para_off[id + 1] += t->para_off[id];
        int32_t *fill = mosa_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
        if (!fill) s = MOSA_ERR_NOMEM;
        else {
            memcpy(fill, t->para_off, sizeof(int32_t) * (size_t)n);
            for (int i = 0; i < r.n; i++) t->para[fill[r.pair[i][0]]++] = r.pair[i][1];
            mosa_free(fill);
        }
    }
    mosa_free(r.pair);
    return s;
}

/* Tokens and caption ids of every item of a corpus. */
static mosa_status encode_corpus(t2m_trainer *t, const motion_corpus *cp, int offsets, int ncap_max, tok_item **out) {
    t2m_model *m = t->m;
    const float *mean = t2m_mean(m), *std = t2m_std(m);
    const int fpt = t2m_frames_per_token(m), maxN = t->o.max_tokens, Lmax = t2m_get_config(m)->text.max_len;
    tok_item *it = mosa_calloc((size_t)cp->n, sizeof *it);
    if (!it) return MOSA_ERR_NOMEM;
    *out = it;
    float *x = mosa_malloc(sizeof(float) * (size_t)maxN * fpt * FEAT);
    float *z = NULL;
    if (!x) return MOSA_ERR_NOMEM;
    ctx *c = &t->c;
    const int g0 = ctx_no_grad(c);
    c->training = 0;
    mosa_status s = MOSA_OK;
    for (int i = 0; i < cp->n && s == MOSA_OK; i++) {
        const motion_item *mi = &cp->items[i];
        for (int k = 0; k < offsets && s == MOSA_OK; k++) {
            const int fo = k * (fpt / offsets); /* frame offset: 0,2 for 2 offsets; 0,1,2,3 for 4 */
            int n = (mi->T - fo) / fpt;
            if (n > maxN) n = maxN;
            if (n < 1) continue;
            for (int r = 0; r < n * fpt; r++)
                for (int d = 0; d < FEAT; d++) {
                    const float sd = std[d];
                    x[(size_t)r * FEAT + d] = sd > 0 ? (mi->feat[(size_t)(r + fo) * FEAT + d] - mean[d]) / sd : 0.0f;
                }
            ctx_reset(c);
            tensor *zt = vqvae_encode(c, t2m_vqvae(m), t_wrap(c, x, T_SHAPE(1, n * fpt, FEAT)));
            if (!zt) { s = c->status ? c->status : MOSA_ERR_INTERNAL; break; }
            const int64_t D = zt->shape[2];
            mosa_free(z);
            z = mosa_malloc(sizeof(float) * (size_t)(n * D));
            it[i].tok[k] = mosa_malloc(sizeof(int32_t) * (size_t)n);
            if (!z || !it[i].tok[k]) { s = MOSA_ERR_NOMEM; break; }
            t_copy_to_contiguous(z, zt);
            vqvae_quantize(t2m_vqvae(m), z, n, it[i].tok[k]);
            it[i].n[k] = n;
            t->n_tokens += n;
        }
        it[i].ncap = mi->ncap < ncap_max ? mi->ncap : ncap_max;
        for (int k = 0; k < it[i].ncap && s == MOSA_OK; k++) {
            it[i].ids[k] = mosa_malloc(sizeof(int32_t) * (size_t)Lmax);
            if (!it[i].ids[k]) { s = MOSA_ERR_NOMEM; break; }
            it[i].len[k] = text_tokenize(t2m_vocab(m), mi->caption[k], it[i].ids[k], Lmax, NULL, NULL);
            if (it[i].len[k] < 2) s = mosa_fail_context(MOSA_ERR_ARG, "caption of item %d", i);
        }
        if (s == MOSA_OK && !it[i].tok[0]) it[i].ncap = 0; /* unusable (shorter than one token) */
    }
    ctx_reset(c);
    ctx_set_grad(c, g0);
    mosa_free(x);
    mosa_free(z);
    return s;
}

/* Without a trained VQ-VAE (tests): initialise the random VQ-VAE's codebook from encoder outputs
 * of the first motions (vqvae_train_forward does that on its first call), so that tokens vary. */
static mosa_status init_random_codebook(t2m_trainer *t, const motion_corpus *cp) {
    const int fpt = t2m_frames_per_token(t->m), B = cp->n < 8 ? cp->n : 8;
    int Tm = 1 << 30;
    for (int i = 0; i < B; i++) Tm = cp->items[i].T < Tm ? cp->items[i].T : Tm;
    Tm = Tm / fpt * fpt;
    if (Tm < fpt) return MOSA_OK;
    float *x = mosa_malloc(sizeof(float) * (size_t)B * Tm * FEAT);
    if (!x) return MOSA_ERR_NOMEM;
    const float *mean = t2m_mean(t->m), *std = t2m_std(t->m);
    for (int b = 0; b < B; b++)
        for (int r = 0; r < Tm; r++)
            for (int d = 0; d < FEAT; d++)
                x[((size_t)b * Tm + r) * FEAT + d] =
                    std[d] > 0 ? (cp->items[b].feat[(size_t)r * FEAT + d] - mean[d]) / std[d] : 0.0f;
    ctx *c = &t->c;
    const int g0 = ctx_no_grad(c);
    tensor *l = vqvae_train_forward(c, t2m_vqvae(t->m), t_wrap(c, x, T_SHAPE(B, Tm, FEAT)), 0.5f, 0.02f, NULL);
    mosa_status s = l ? MOSA_OK : (c->status ? c->status : MOSA_ERR_INTERNAL);
    ctx_reset(c);
    ctx_set_grad(c, g0);
    mosa_free(x);
    return s;
}

mosa_status t2m_trainer_create(t2m_trainer **out, const t2m_train_options *opts, void (*log)(void *, const char *),
                               void *user) {
    *out = NULL;
    const t2m_train_options o = opts ? *opts : t2m_train_options_default();
    if (o.batch < 1 || o.batch > 4096 || o.steps < 1 || o.offsets < 1 || o.offsets > 4 || !(o.pkeep > 0 && o.pkeep <= 1) ||
        !(o.cond_drop >= 0 && o.cond_drop < 1) || !(o.word_drop >= 0 && o.word_drop < 1) || !(o.para_aug >= 0 && o.para_aug < 1) || !(o.verb_aug >= 0 && o.verb_aug < 1) || o.concepts < 0 || o.concepts > 64 ||
        (o.para_aug > 0 && o.verb_aug > 0) || o.corpus_size < 1 || o.test_size < 0 || !(o.lr > 0))
        return mosa_fail(MOSA_ERR_ARG, "t2m training: invalid options (batch 1..4096, steps >= 1, offsets 1..4, pkeep "
                                       "in (0,1], cond_drop, word_drop, para_aug and verb_aug in [0,1), not both of the last two, "
                                       "concepts 0..64, corpus size >= 1, lr > 0)");
    t2m_trainer *t = mosa_calloc(1, sizeof *t);
    if (!t) return MOSA_ERR_NOMEM;
    t->o = o;
    ctx_init(&t->c, 16u << 20);
    motion_corpus tr = {0}, te = {0};
    text_vocab *vocab = NULL, *cap_vocab = NULL; /* cap_vocab: the captions' alone (verb_aug) */
    const char **texts = NULL;
    mosa_status s;
    t2m_config cfg;
    if (o.vqvae_path) {
        if ((s = vqvae_file_config(o.vqvae_path, &cfg.vq)) != MOSA_OK) goto fail;
    } else {
        cfg.vq = o.vq;
    }
    /* corpus */
    if (o.humanml3d) {
        if ((s = motion_corpus_humanml3d(&tr, o.humanml3d, "train")) != MOSA_OK) goto fail;
        if ((s = motion_corpus_humanml3d(&te, o.humanml3d, "test")) != MOSA_OK) goto fail;
    } else {
        motion_corpus_options co = motion_corpus_options_default(o.corpus_size, o.seed, MOTION_SPLIT_TRAIN);
        if ((s = motion_corpus_procedural(&tr, &co)) != MOSA_OK) goto fail;
        if (o.test_size > 0) {
            co = motion_corpus_options_default(o.test_size, o.seed + 1000003u, MOTION_SPLIT_TEST);
            if ((s = motion_corpus_procedural(&te, &co)) != MOSA_OK) goto fail;
        }
    }
    say(log, user, "corpus: %d training and %d test motions", tr.n, te.n);
    /* vocabulary from the training captions */
    int nt = 0;
    texts = mosa_malloc(sizeof(char *) * ((size_t)tr.n * MOTION_CORPUS_CAPTIONS + 1)); /* + verb_aug's text */
    if (!texts) { s = MOSA_ERR_NOMEM; goto fail; }
    for (int i = 0; i < tr.n; i++)
        for (int k = 0; k < tr.items[i].ncap; k++) texts[nt++] = tr.items[i].caption[k];
    if ((s = text_vocab_build(&vocab, texts, nt, 1, 0)) != MOSA_OK) goto fail;
    if (o.verb_aug > 0) { /* the captions' vocabulary and the verbs' relatives, as one more text */
        char *relatives = NULL;
        cap_vocab = vocab;
        vocab = NULL;
        if ((s = verb_relatives_text(cap_vocab, &relatives)) != MOSA_OK) goto fail;
        texts[nt] = relatives;
        s = text_vocab_build(&vocab, texts, nt + 1, 1, 0);
        texts[nt] = NULL;
        mosa_free(relatives);
        /* the relatives are read when a prompt has them, never as the reading of another word */
        for (int id = TEXT_SPECIALS; id < text_vocab_size(vocab) && s == MOSA_OK; id++)
            if (text_vocab_find(cap_vocab, text_vocab_word(vocab, id)) < 0) s = text_vocab_set_direct(vocab, id);
        if (s != MOSA_OK) goto fail;
    }
    /* the model */
    cfg.text = text_encoder_config_default(text_vocab_size(vocab));
    cfg.text.width = o.text_width;
    cfg.text.layers = o.text_layers;
    if (o.concepts > 0) { /* the number of concepts the vocabulary's words share */
        int32_t *tab = NULL;
        int nc = 0;
        if ((s = text_vocab_concept_table(vocab, o.concepts, &tab, &nc)) != MOSA_OK) goto fail;
        mosa_free(tab);
        if (nc > 0) cfg.text.concepts = nc, cfg.text.concept_k = o.concepts;
        say(log, user, "WordNet concepts: %d shared by the vocabulary's words, up to %d per word", nc, o.concepts);
    }
    cfg.gpt = t2m_gpt_config_default(cfg.vq.codes, cfg.text.width);
    cfg.gpt.width = o.gpt_width, cfg.gpt.layers = o.gpt_layers, cfg.gpt.heads = o.gpt_heads;
    cfg.gpt.max_tokens = o.max_tokens, cfg.gpt.drop = o.drop;
    float mean[FEAT], std[FEAT];
    if (o.vqvae_path) {
        for (int i = 0; i < FEAT; i++) mean[i] = 0, std[i] = 1;
    } else if ((s = motion_corpus_mean_std(&tr, mean, std)) != MOSA_OK) {
        goto fail;
    }
    if ((s = t2m_create(&t->m, &cfg, vocab, mean, std, o.seed)) != MOSA_OK) goto fail;
    if (o.vqvae_path && (s = t2m_load_vqvae_weights(t->m, o.vqvae_path)) != MOSA_OK) goto fail;
    say(log, user, "vocabulary: %d words; model: %zu trainable parameters (%zu in all)", text_vocab_size(vocab),
        params_count(t2m_params(t->m), 1), params_count(t2m_params(t->m), 0));
    if (!o.vqvae_path && (s = init_random_codebook(t, &tr)) != MOSA_OK) goto fail;
    /* tokens */
    t->n_train = tr.n;
    if ((s = encode_corpus(t, &tr, o.offsets, MOTION_CORPUS_CAPTIONS, &t->train)) != MOSA_OK) goto fail;
    const long train_tokens = t->n_tokens;
    t->n_test = te.n;
    if (te.n && (s = encode_corpus(t, &te, 1, 1, &t->test)) != MOSA_OK) goto fail;
    say(log, user, "tokens: %ld training (%d offsets), %ld test", train_tokens, o.offsets, t->n_tokens - train_tokens);
    int usable = 0;
    for (int i = 0; i < t->n_train; i++) usable += t->train[i].ncap > 0;
    if (!usable) { s = mosa_fail(MOSA_ERR_ARG, "t2m training: no training motion is long enough for one token"); goto fail; }
    if (o.para_aug > 0 && (s = build_paraphrases(t, vocab)) != MOSA_OK) goto fail;
    if (o.verb_aug > 0 && (s = build_verb_relatives(t, cap_vocab, vocab)) != MOSA_OK) goto fail;
    t->para_p = o.para_aug > 0 ? o.para_aug : o.verb_aug;
    /* optimizer and scratch */
    adamw_cfg ac = adamw_defaults(o.lr);
    ac.weight_decay = o.weight_decay;
    if ((s = adamw_init(&t->opt, t2m_params(t->m), ac)) != MOSA_OK) goto fail;
    t->opt_ok = 1;
    rng_seed(&t->data, o.seed * 7919u + 17u);
    rng_seed(&t->c.rng, o.seed * 104729u + 3u);
    const int B = o.batch > 32 ? o.batch : 32, Lmax = cfg.text.max_len, N = o.max_tokens + 1;
    t->ids = mosa_malloc(sizeof(int32_t) * (size_t)B * Lmax);
    t->inp = mosa_malloc(sizeof(int32_t) * (size_t)B * N);
    t->tgt = mosa_malloc(sizeof(int32_t) * (size_t)B * N);
    t->wmask = mosa_malloc((size_t)B * Lmax);
    t->nul = mosa_malloc((size_t)B);
    if (!t->ids || !t->inp || !t->tgt || !t->wmask || !t->nul) { s = MOSA_ERR_NOMEM; goto fail; }
    mosa_free(texts);
    text_vocab_free(vocab);
    text_vocab_free(cap_vocab);
    motion_corpus_free(&tr);
    motion_corpus_free(&te);
    *out = t;
    return MOSA_OK;
fail:
    mosa_free(texts);
    text_vocab_free(vocab);
    text_vocab_free(cap_vocab);
    motion_corpus_free(&tr);
    motion_corpus_free(&te);
    t2m_trainer_free(t);
    return s;
}

int64_t t2m_trainer_step_count(const t2m_trainer *t) { return t->opt.step; }
t2m_model *t2m_trainer_model(t2m_trainer *t) { return t->m; }

float t2m_trainer_lr(const t2m_trainer *t) {
    return lr_warmup_cosine(t->opt.step, t->o.warmup, t->o.steps, t->o.lr, t->o.lr_min);
}

void t2m_trainer_sizes(const t2m_trainer *t, int *items, int *test_items, int *vocab, long *tokens, long *params) {
    if (items) *items = t->n_train;
    if (test_items) *test_items = t->n_test;
    if (vocab) *vocab = text_vocab_size(t2m_vocab(t->m));
    if (tokens) *tokens = t->n_tokens;
    if (params) *params = (long)params_count(t2m_params(t->m), 1);
}

/* Fills the batch scratch for rows (item, caption, offset, corrupt, null); returns L and N
 * (GPT input tokens; targets are N+1 per row). */
static void build_batch(t2m_trainer *t, const tok_item *const *items, const int *cap, const int *off, int B,
                        int corrupt, int *Lout, int *Nout) {
    const int codes = t2m_get_config(t->m)->vq.codes, END = codes, PAD = codes + 1;
    int L = 2, N = 0;
    for (int b = 0; b < B; b++) {
        if (items[b]->len[cap[b]] > L) L = items[b]->len[cap[b]];
        if (items[b]->n[off[b]] > N) N = items[b]->n[off[b]];
    }
    for (int b = 0; b < B; b++) {
        const tok_item *it = items[b];
        for (int i = 0; i < L; i++) {
            int32_t id = i < it->len[cap[b]] ? it->ids[cap[b]][i] : TEXT_PAD;
            if (corrupt && t->o.word_drop > 0 && id >= TEXT_SPECIALS) { /* RNG drawn only when enabled */
                float u;
                rng_uniform(&t->data, &u, 1);
                if (u < t->o.word_drop) id = TEXT_UNK;
            }
            if (corrupt && t->para && id >= TEXT_SPECIALS && t->para_off[id + 1] > t->para_off[id]) {
                float u;
                rng_uniform(&t->data, &u, 1);
                const int32_t k = (int32_t)rng_below(&t->data, (uint32_t)(t->para_off[id + 1] - t->para_off[id]));
                if (u < t->para_p) id = t->para[t->para_off[id] + k];
            }
            t->ids[b * L + i] = id;
            t->wmask[b * L + i] = id != TEXT_PAD;
        }
        const int n = it->n[off[b]];
        const int32_t *tk = it->tok[off[b]];
        for (int i = 0; i <= N; i++) t->tgt[b * (N + 1) + i] = i < n ? tk[i] : (i == n ? END : PAD);
        for (int i = 0; i < N; i++) {
            int32_t v = t->tgt[b * (N + 1) + i];
            if (corrupt && i < n) {
                float u;
                rng_uniform(&t->data, &u, 1);
                const uint32_t rnd = rng_below(&t->data, (uint32_t)codes);
                if (u >= t->o.pkeep) v = (int32_t)rnd;
            }
            t->inp[b * N + i] = v;
        }
    }
    *Lout = L;
    *Nout = N;
}

/* Forward of a built batch; returns the loss tensor (and logits when wanted). */
static tensor *batch_forward(t2m_trainer *t, int B, int L, int N, tensor **logits_out) {
    ctx *c = &t->c;
    const int codes = t2m_get_config(t->m)->vq.codes;
    tensor *pooled = NULL;
    tensor *words = text_encoder_forward(c, t2m_text_encoder(t->m), t->ids, B, L, &pooled);
    tensor *logits = t2m_gpt_forward(c, t2m_gpt_of(t->m), words, pooled, t->wmask, t->nul, t->inp, N);
    if (logits_out) *logits_out = logits;
    return op_cross_entropy(c, logits, t->tgt, codes + 1);
}

mosa_status t2m_trainer_step(t2m_trainer *t, float *loss) {
    const int B = t->o.batch;
    const tok_item *items[4096];
    int cap[4096], off[4096];
    for (int b = 0; b < B; b++) {
        int i;
        do i = (int)rng_below(&t->data, (uint32_t)t->n_train);
        while (t->train[i].ncap == 0);
        items[b] = &t->train[i];
        cap[b] = (int)rng_below(&t->data, (uint32_t)t->train[i].ncap);
        int k = (int)rng_below(&t->data, (uint32_t)t->o.offsets);
        off[b] = t->train[i].tok[k] ? k : 0;
        float u;
        rng_uniform(&t->data, &u, 1);
        t->nul[b] = u < t->o.cond_drop;
    }
    int L, N;
    build_batch(t, items, cap, off, B, 1, &L, &N);
    ctx *c = &t->c;
    c->training = 1;
    ctx_set_grad(c, 1);
    tensor *l = batch_forward(t, B, L, N, NULL);
    mosa_status s = l ? ctx_backward(c, l) : (c->status ? c->status : MOSA_ERR_INTERNAL);
    if (s != MOSA_OK) {
        ctx_reset(c);
        params_zero_grad(t2m_params(t->m));
        return mosa_fail_context(s, "t2m training step %lld", (long long)t->opt.step);
    }
    const float lv = l->data[0];
    if (!isfinite(lv)) {
        ctx_reset(c);
        params_zero_grad(t2m_params(t->m));
        return mosa_fail(MOSA_ERR_INTERNAL, "t2m training: the loss became %g at step %lld (lower --lr?)", (double)lv,
                         (long long)t->opt.step);
    }
    const float lr = t2m_trainer_lr(t);
    grad_clip_global_norm(t2m_params(t->m), t->o.grad_clip);
    adamw_step(&t->opt, t2m_params(t->m), lr);
    params_zero_grad(t2m_params(t->m));
    ctx_reset(c);
    t->last_loss = lv;
    if (loss) *loss = lv;
    return MOSA_OK;
}

mosa_status t2m_trainer_eval(t2m_trainer *t, float *loss, float *acc) {
    *loss = NAN;
    *acc = NAN;
    if (!t->n_test) return MOSA_OK;
    ctx *c = &t->c;
    const int g0 = ctx_no_grad(c);
    c->training = 0;
    const int codes = t2m_get_config(t->m)->vq.codes, PAD = codes + 1;
    double lsum = 0;
    long n = 0, right = 0;
    mosa_status s = MOSA_OK;
    for (int i0 = 0; i0 < t->n_test && s == MOSA_OK; i0 += 32) {
        const tok_item *items[32];
        int cap[32] = {0}, off[32] = {0}, B = 0;
        for (int i = i0; i < t->n_test && i < i0 + 32; i++)
            if (t->test[i].ncap) items[B++] = &t->test[i];
        if (!B) continue;
        memset(t->nul, 0, (size_t)B);
        int L, N;
        build_batch(t, items, cap, off, B, 0, &L, &N);
        tensor *logits = NULL;
        tensor *l = batch_forward(t, B, L, N, &logits);
        if (!l) { s = c->status ? c->status : MOSA_ERR_INTERNAL; break; }
        long cnt = 0;
        for (int r = 0; r < B * (N + 1); r++) {
            if (t->tgt[r] == PAD) continue;
            cnt++;
            const float *row = logits->data + (size_t)r * (codes + 1);
            int best = 0;
            for (int k = 1; k <= codes; k++)
                if (row[k] > row[best]) best = k;
            right += best == t->tgt[r];
        }
        lsum += (double)l->data[0] * cnt;
        n += cnt;
        ctx_reset(c);
    }
    ctx_reset(c);
    ctx_set_grad(c, g0);
    if (s != MOSA_OK) return s;
    if (n) *loss = (float)(lsum / n), *acc = (float)right / (float)n;
    return MOSA_OK;
}

mosa_status t2m_trainer_save_state(t2m_trainer *t, const char *path) {
    train_state_rng r[2] = {{"data", &t->data}, {"dropout", &t->c.rng}};
    return train_state_save(path, t2m_params(t->m), &t->opt, NULL, r, 2, t->opt.step);
}

mosa_status t2m_trainer_load_state(t2m_trainer *t, const char *path) {
    train_state_rng r[2] = {{"data", &t->data}, {"dropout", &t->c.rng}};
    int64_t pos = 0;
    MOSA_TRY(train_state_load(path, t2m_params(t->m), &t->opt, NULL, r, 2, &pos));
    if (pos != t->opt.step)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: data position %lld differs from the optimizer step %lld", path,
                         (long long)pos, (long long)t->opt.step);
    return MOSA_OK;
}

mosa_status t2m_trainer_export(t2m_trainer *t, const char *path) {
    char info[1536], opts[1024];
    t2m_train_options_format(&t->o, opts, sizeof opts);
    snprintf(info, sizeof info, "steps=%lld last_loss=%g %s", (long long)t->opt.step, (double)t->last_loss, opts);
    return t2m_save(t->m, path, info);
}
