/* motion_eval.c: the motion-text evaluator model, its file, and the text-to-motion metrics
 * (see motion_eval.h; definitions in docs/motion_eval.md). */
#include "motion_eval.h"

#include "../base/skeleton.h"
#include "../motion/library.h"
#include "../tensor/safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Config                                                                                      */
/* ------------------------------------------------------------------------------------------ */

meval_config meval_config_default(int vocab) {
    meval_config c;
    memset(&c, 0, sizeof c);
    c.width = 128;
    c.mlayers = 1;
    c.heads = 4;
    c.dim = 128;
    c.max_frames = 200;
    c.n_actions = motion_action_count();
    c.temperature = 0.1f;
    c.text = text_encoder_config_default(vocab);
    return c;
}

void meval_config_format(const meval_config *cfg, char *buf, size_t cap) {
    snprintf(buf, cap, "width=%d mlayers=%d heads=%d dim=%d max_frames=%d n_actions=%d temperature=%.9g", cfg->width,
             cfg->mlayers, cfg->heads, cfg->dim, cfg->max_frames, cfg->n_actions, (double)cfg->temperature);
}

static mosa_status meval__check(const meval_config *c) {
    if (c->width < 8 || c->width > 4096 || c->heads < 1 || c->width % c->heads || c->mlayers < 0 || c->mlayers > 32 ||
        c->dim < 2 || c->dim > 4096 || c->max_frames < 4 || c->max_frames > 100000 || c->n_actions < 1 ||
        c->n_actions > 10000 || !(c->temperature > 1e-4f && c->temperature < 100.0f))
        return mosa_fail(MOSA_ERR_ARG,
                         "evaluator config out of range (width %d, mlayers %d, heads %d, dim %d, max_frames %d, "
                         "n_actions %d, temperature %g): width must be a multiple of heads, dims 8..4096",
                         c->width, c->mlayers, c->heads, c->dim, c->max_frames, c->n_actions, (double)c->temperature);
    return MOSA_OK;
}

mosa_status meval_config_parse(meval_config *cfg, const char *s) {
    if (!cfg || !s) return mosa_fail(MOSA_ERR_ARG, "meval_config_parse: NULL argument");
    meval_config c = *cfg;
    const char *p = s;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        char key[32];
        int klen = 0;
        while (p[klen] && p[klen] != '=' && p[klen] != ' ' && klen < 31) klen++;
        if (p[klen] != '=') return mosa_fail(MOSA_ERR_FORMAT, "evaluator config '%s': expected key=value", s);
        memcpy(key, p, (size_t)klen);
        key[klen] = 0;
        p += klen + 1;
        char *end;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ' '))
            return mosa_fail(MOSA_ERR_FORMAT, "evaluator config '%s': '%s' needs a number", s, key);
        p = end;
        if (!strcmp(key, "width")) c.width = (int)v;
        else if (!strcmp(key, "mlayers")) c.mlayers = (int)v;
        else if (!strcmp(key, "heads")) c.heads = (int)v;
        else if (!strcmp(key, "dim")) c.dim = (int)v;
        else if (!strcmp(key, "max_frames")) c.max_frames = (int)v;
        else if (!strcmp(key, "n_actions")) c.n_actions = (int)v;
        else if (!strcmp(key, "temperature")) c.temperature = (float)v;
        else return mosa_fail(MOSA_ERR_FORMAT, "evaluator config '%s': unknown key '%s'", s, key);
    }
    MOSA_TRY(meval__check(&c));
    *cfg = c;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Model                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static tensor *meval__param(param_store *ps, const char *name, int nd, const int64_t *shape, float bound,
                            mosa_rng *r) {
    tensor *t = params_add(ps, name, nd, shape);
    if (!t) return NULL;
    int64_t n = t_numel(t);
    if (bound > 0) {
        rng_uniform(r, t->data, (size_t)n);
        for (int64_t i = 0; i < n; i++) t->data[i] = (2.0f * t->data[i] - 1.0f) * bound;
    }
    return t;
}

mosa_status meval_init(meval_model *m, const meval_config *cfg, text_vocab *vocab, const float *mean,
                       const float *std, uint64_t seed) {
    memset(m, 0, sizeof *m);
    params_init(&m->ps);
    m->vocab = vocab;
    mosa_status s = meval__check(cfg);
    if (s == MOSA_OK && (!vocab || !mean || !std)) s = mosa_fail(MOSA_ERR_ARG, "meval_init: NULL vocabulary or mean/std");
    if (s == MOSA_OK && cfg->text.vocab != text_vocab_size(vocab))
        s = mosa_fail(MOSA_ERR_MISMATCH, "evaluator text config has vocab=%d but the vocabulary has %d words",
                      cfg->text.vocab, text_vocab_size(vocab));
    if (s != MOSA_OK) {
        meval_free(m);
        return s;
    }
    m->cfg = *cfg;
    mosa_rng r;
    rng_seed(&r, seed);
    const int W = cfg->width, F = MOTION_FEAT;
    char key[128];
    s = MOSA_ERR_NOMEM;
    m->feat_mean = meval__param(&m->ps, "feat.mean", T_SHAPE(F), 0, NULL);
    m->feat_std = meval__param(&m->ps, "feat.std", T_SHAPE(F), 0, NULL);
    const float b1 = 1.0f / sqrtf((float)(F * 4)), b2 = 1.0f / sqrtf((float)(W * 4));
    m->conv1_w = meval__param(&m->ps, "motion.conv1.weight", T_SHAPE(W, F, 4), b1, &r);
    m->conv1_b = meval__param(&m->ps, "motion.conv1.bias", T_SHAPE(W), b1, &r);
    m->conv2_w = meval__param(&m->ps, "motion.conv2.weight", T_SHAPE(W, W, 4), b2, &r);
    m->conv2_b = meval__param(&m->ps, "motion.conv2.bias", T_SHAPE(W), b2, &r);
    if (!m->feat_mean || !m->feat_std || !m->conv1_w || !m->conv1_b || !m->conv2_w || !m->conv2_b) goto fail;
    memcpy(m->feat_mean->data, mean, sizeof(float) * F);
    memcpy(m->feat_std->data, std, sizeof(float) * F);
    if (cfg->mlayers > 0) {
        m->mblocks = mosa_calloc((size_t)cfg->mlayers, sizeof *m->mblocks);
        if (!m->mblocks) goto fail;
    }
    for (int i = 0; i < cfg->mlayers; i++) {
        snprintf(key, sizeof key, "motion.blocks.%d", i);
        if ((s = nn_transformer_block_init(&m->mblocks[i], &m->ps, key, W, cfg->heads, 2, &r)) != MOSA_OK) goto fail;
    }
    if ((s = nn_layernorm_init(&m->mln, &m->ps, "motion.ln", W, 1, 1e-5f)) != MOSA_OK) goto fail;
    if ((s = nn_linear_init(&m->mproj, &m->ps, "motion.proj", W, cfg->dim, 1, &r)) != MOSA_OK) goto fail;
    if ((s = nn_linear_init(&m->cls, &m->ps, "cls", W, cfg->n_actions, 1, &r)) != MOSA_OK) goto fail;
    if ((s = text_encoder_init(&m->text, &m->ps, "text", &cfg->text, &r)) != MOSA_OK) goto fail;
    if ((s = nn_linear_init(&m->tproj, &m->ps, "text_proj", cfg->text.width, cfg->dim, 1, &r)) != MOSA_OK) goto fail;
    if ((s = params_finalize(&m->ps)) != MOSA_OK) goto fail;
    params_set_frozen(&m->ps, "feat.", 1);
    return MOSA_OK;
fail:
    if (s == MOSA_OK) s = MOSA_ERR_NOMEM;
    meval_free(m);
    return s;
}

void meval_free(meval_model *m) {
    if (!m) return;
    if (m->text.blocks) text_encoder_free(&m->text);
    mosa_free(m->mblocks);
    params_free(&m->ps);
    text_vocab_free(m->vocab);
    memset(m, 0, sizeof *m);
}

static char *meval__action_list(void) {
    size_t cap = 16;
    for (int a = 0; a < motion_action_count(); a++) cap += strlen(motion_action_name(a)) + 1;
    char *s = mosa_malloc(cap);
    if (!s) return NULL;
    s[0] = 0;
    for (int a = 0; a < motion_action_count(); a++) {
        if (a) strcat(s, ",");
        strcat(s, motion_action_name(a));
    }
    return s;
}

mosa_status meval_save(const meval_model *m, const char *path) {
    char cfg[256], tcfg[256];
    meval_config_format(&m->cfg, cfg, sizeof cfg);
    text_encoder_config_format(&m->cfg.text, tcfg, sizeof tcfg);
    char *vocab = NULL;
    MOSA_TRY(text_vocab_serialize(m->vocab, &vocab));
    char *actions = meval__action_list();
    if (!actions) {
        mosa_free(vocab);
        return MOSA_ERR_NOMEM;
    }
    st_meta meta[5] = {{"mosa.format", MEVAL_FORMAT}, {"config", cfg}, {"text_config", tcfg}, {"vocab", vocab},
                       {"actions", actions}};
    mosa_status s = st_save_params(path, &m->ps, ST_F32, 5, meta);
    mosa_free(vocab);
    mosa_free(actions);
    return s;
}

mosa_status meval_load(meval_model *m, const char *path) {
    memset(m, 0, sizeof *m);
    st_file f;
    mosa_status s = st_open(&f, path);
    if (s != MOSA_OK)
        return mosa_fail_context(s, "cannot read the evaluator (train one with `mosa motion train evaluator`, see "
                                    "models/motion/README.md)");
    const char *fmt = st_meta_get(&f, "mosa.format");
    if (!fmt || strcmp(fmt, MEVAL_FORMAT)) {
        char got[64];
        snprintf(got, sizeof got, "%s", fmt ? fmt : "(none)");
        st_close(&f);
        return mosa_fail(MOSA_ERR_MISMATCH,
                         "%s is not a motion evaluator (mosa.format is '%s', expected '%s'); pass the file written by "
                         "`mosa motion train evaluator` (models/motion/evaluator.safetensors)",
                         path, got, MEVAL_FORMAT);
    }
    const char *cfg_s = st_meta_get(&f, "config"), *tcfg_s = st_meta_get(&f, "text_config"),
               *vocab_s = st_meta_get(&f, "vocab"), *act_s = st_meta_get(&f, "actions");
    if (!cfg_s || !tcfg_s || !vocab_s || !act_s) {
        st_close(&f);
        return mosa_fail(MOSA_ERR_FORMAT, "%s: evaluator metadata incomplete (needs config, text_config, vocab, actions)",
                         path);
    }
    char *actions = meval__action_list();
    if (!actions) {
        st_close(&f);
        return MOSA_ERR_NOMEM;
    }
    int same = !strcmp(actions, act_s);
    mosa_free(actions);
    if (!same) {
        st_close(&f);
        return mosa_fail(MOSA_ERR_MISMATCH,
                         "%s was trained on another action list than this build's motion library (%d actions); "
                         "retrain it with `mosa motion train evaluator`",
                         path, motion_action_count());
    }
    text_vocab *v = NULL;
    if ((s = text_vocab_parse(&v, vocab_s)) != MOSA_OK) {
        st_close(&f);
        return mosa_fail_context(s, "%s: vocabulary", path);
    }
    meval_config cfg = meval_config_default(text_vocab_size(v));
    if ((s = meval_config_parse(&cfg, cfg_s)) != MOSA_OK || (s = text_encoder_config_parse(&cfg.text, tcfg_s)) != MOSA_OK) {
        text_vocab_free(v);
        st_close(&f);
        return mosa_fail_context(s, "%s: config", path);
    }
    st_close(&f);
    if (cfg.n_actions != motion_action_count()) {
        text_vocab_free(v);
        return mosa_fail(MOSA_ERR_MISMATCH, "%s: %d action classes, the library has %d; retrain the evaluator", path,
                         cfg.n_actions, motion_action_count());
    }
    float zeros[MOTION_FEAT] = {0}, ones[MOTION_FEAT];
    for (int i = 0; i < MOTION_FEAT; i++) ones[i] = 1.0f;
    MOSA_TRY(meval_init(m, &cfg, v, zeros, ones, 0));
    if ((s = st_load_params(&m->ps, path, 1)) != MOSA_OK) {
        meval_free(m);
        return mosa_fail_context(s, "%s: weights do not match the evaluator config", path);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Forward                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static inline int meval__half(int l) { return l / 2 > 1 ? l / 2 : 1; } /* valid outputs of Conv1d(k4,s2,p1) */

static tensor *meval__l2norm(ctx *c, tensor *x) {
    tensor *n = op_sqrt(c, op_add_scalar(c, op_sum(c, op_square(c, x), -1, 1), 1e-8f));
    return op_div(c, x, n);
}

tensor *meval_motion_forward(ctx *c, const meval_model *m, const float *x, const int *lens, int B, int L,
                             tensor **logits) {
    if (logits) *logits = NULL;
    if (B < 1 || L < 4 || L > m->cfg.max_frames + 4)
        return ctx_fail(c, MOSA_ERR_ARG, "meval_motion_forward: B %d, L %d (needs L in 4..max_frames)", B, L);
    const int W = m->cfg.width, L1 = L / 2, L2 = L1 / 2;
    /* masks (B,1,L1), (B,1,L2), key mask (B,L2), counts (B,1) */
    tensor *mk1 = t_zeros(c, T_SHAPE(B, 1, L1)), *mk2 = t_zeros(c, T_SHAPE(B, 1, L2));
    tensor *cnt = t_new(c, T_SHAPE(B, 1));
    tensor *pos = t_new(c, T_SHAPE(L2, W));
    uint8_t *km = arena_alloc(&c->mem, (size_t)B * L2);
    if (!mk1 || !mk2 || !cnt || !pos || !km) return ctx_fail(c, MOSA_ERR_NOMEM, "meval_motion_forward: arena");
    memset(km, 0, (size_t)B * L2);
    for (int b = 0; b < B; b++) {
        if (lens[b] < 1 || lens[b] > L) return ctx_fail(c, MOSA_ERR_ARG, "meval_motion_forward: length %d of %d", lens[b], L);
        int n1 = meval__half(lens[b]), n2 = meval__half(n1);
        if (n1 > L1) n1 = L1;
        if (n2 > L2) n2 = L2;
        for (int t = 0; t < n1; t++) mk1->data[(size_t)b * L1 + t] = 1.0f;
        for (int t = 0; t < n2; t++) {
            mk2->data[(size_t)b * L2 + t] = 1.0f;
            km[(size_t)b * L2 + t] = 1;
        }
        cnt->data[b] = (float)n2;
    }
    for (int t = 0; t < L2; t++)
        for (int i = 0; i < W / 2; i++) {
            double f = (double)t / pow(10000.0, 2.0 * i / W);
            pos->data[(size_t)t * W + 2 * i] = (float)sin(f);
            pos->data[(size_t)t * W + 2 * i + 1] = (float)cos(f);
        }
    tensor *xt = t_wrap(c, (float *)x, T_SHAPE(B, L, MOTION_FEAT));
    tensor *h = op_contiguous(c, op_transpose(c, xt, 1, 2)); /* (B,263,L) */
    h = op_mul(c, op_silu(c, op_conv1d(c, h, m->conv1_w, m->conv1_b, 2, 1, 1)), mk1);
    h = op_mul(c, op_silu(c, op_conv1d(c, h, m->conv2_w, m->conv2_b, 2, 1, 1)), mk2); /* (B,W,L2) */
    h = op_add(c, op_contiguous(c, op_transpose(c, h, 1, 2)), pos);                  /* (B,L2,W) */
    for (int i = 0; i < m->cfg.mlayers; i++) h = nn_transformer_block_forward(c, &m->mblocks[i], h, 0, km);
    h = nn_layernorm_forward(c, &m->mln, h);
    h = op_mul(c, h, op_reshape(c, mk2, T_SHAPE(B, L2, 1)));
    h = op_div(c, op_sum(c, h, 1, 0), cnt); /* (B,W) */
    if (logits) *logits = nn_linear_forward(c, &m->cls, h);
    return meval__l2norm(c, nn_linear_forward(c, &m->mproj, h));
}

tensor *meval_text_forward(ctx *c, const meval_model *m, const int32_t *ids, int B) {
    tensor *pooled = NULL;
    if (!text_encoder_forward(c, &m->text, ids, B, m->cfg.text.max_len, &pooled) || !pooled) return NULL;
    return meval__l2norm(c, nn_linear_forward(c, &m->tproj, pooled));
}

tensor *meval_infonce(ctx *c, tensor *me, tensor *te, float temperature) {
    if (!me || !te) return NULL;
    const int B = (int)me->shape[0];
    int32_t *tg = arena_alloc(&c->mem, sizeof(int32_t) * (size_t)B);
    if (!tg) return ctx_fail(c, MOSA_ERR_NOMEM, "meval_infonce: arena");
    for (int i = 0; i < B; i++) tg[i] = i;
    tensor *S = op_scale(c, op_matmul(c, me, te, 0, 1), 1.0f / temperature);
    tensor *l1 = op_cross_entropy(c, S, tg, -1000);
    tensor *l2 = op_cross_entropy(c, op_contiguous(c, op_transpose(c, S, 0, 1)), tg, -1000);
    return op_scale(c, op_add(c, l1, l2), 0.5f);
}

/* ------------------------------------------------------------------------------------------ */
/* Inference                                                                                   */
/* ------------------------------------------------------------------------------------------ */

enum { MEVAL_INFER_BATCH = 32 };

mosa_status meval_embed_motions(const meval_model *m, const float *const *feats, const int *lens, int n, float *emb,
                                float *logits) {
    if (n < 0 || (n > 0 && (!feats || !lens || !emb))) return mosa_fail(MOSA_ERR_ARG, "meval_embed_motions: bad arguments");
    for (int i = 0; i < n; i++)
        if (!feats[i] || lens[i] < 1) return mosa_fail(MOSA_ERR_ARG, "meval_embed_motions: motion %d is empty", i);
    const int D = m->cfg.dim, A = m->cfg.n_actions, F = MOTION_FEAT, maxT = m->cfg.max_frames;
    ctx c;
    ctx_init(&c, 32u << 20);
    ctx_no_grad(&c);
    float *x = mosa_malloc(sizeof(float) * (size_t)MEVAL_INFER_BATCH * (maxT + 4) * F);
    mosa_status s = x ? MOSA_OK : MOSA_ERR_NOMEM;
    const float *mu = m->feat_mean->data, *sd = m->feat_std->data;
    for (int i0 = 0; i0 < n && s == MOSA_OK; i0 += MEVAL_INFER_BATCH) {
        int B = n - i0 < MEVAL_INFER_BATCH ? n - i0 : MEVAL_INFER_BATCH, L = 4, bl[MEVAL_INFER_BATCH];
        for (int b = 0; b < B; b++) {
            bl[b] = lens[i0 + b] < maxT ? lens[i0 + b] : maxT;
            if (bl[b] > L) L = bl[b];
        }
        memset(x, 0, sizeof(float) * (size_t)B * L * F);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < bl[b]; t++) {
                const float *src = feats[i0 + b] + (size_t)t * F;
                float *dst = x + ((size_t)b * L + t) * F;
                for (int k = 0; k < F; k++) dst[k] = sd[k] > 0 ? (src[k] - mu[k]) / sd[k] : 0.0f;
            }
        tensor *lg = NULL;
        tensor *e = meval_motion_forward(&c, m, x, bl, B, L, logits ? &lg : NULL);
        if (!e || (logits && !lg)) {
            s = c.status != MOSA_OK ? c.status : MOSA_ERR_INTERNAL;
            break;
        }
        memcpy(emb + (size_t)i0 * D, e->data, sizeof(float) * (size_t)B * D);
        if (logits) memcpy(logits + (size_t)i0 * A, lg->data, sizeof(float) * (size_t)B * A);
        ctx_reset(&c);
    }
    mosa_free(x);
    ctx_free(&c);
    return s;
}

mosa_status meval_embed_texts(const meval_model *m, const char *const *texts, int n, float *emb, text_map_log log,
                              void *user) {
    if (n < 0 || (n > 0 && (!texts || !emb))) return mosa_fail(MOSA_ERR_ARG, "meval_embed_texts: bad arguments");
    const int D = m->cfg.dim, Lm = m->cfg.text.max_len;
    int32_t *ids = mosa_malloc(sizeof(int32_t) * (size_t)MEVAL_INFER_BATCH * Lm);
    if (!ids) return MOSA_ERR_NOMEM;
    ctx c;
    ctx_init(&c, 16u << 20);
    ctx_no_grad(&c);
    mosa_status s = MOSA_OK;
    for (int i0 = 0; i0 < n && s == MOSA_OK; i0 += MEVAL_INFER_BATCH) {
        int B = n - i0 < MEVAL_INFER_BATCH ? n - i0 : MEVAL_INFER_BATCH;
        for (int b = 0; b < B; b++)
            if (text_tokenize(m->vocab, texts[i0 + b], ids + (size_t)b * Lm, Lm, log, user) < 0) {
                s = mosa_fail_context(MOSA_ERR_ARG, "text %d", i0 + b);
                break;
            }
        if (s != MOSA_OK) break;
        tensor *e = meval_text_forward(&c, m, ids, B);
        if (!e) {
            s = c.status != MOSA_OK ? c.status : MOSA_ERR_INTERNAL;
            break;
        }
        memcpy(emb + (size_t)i0 * D, e->data, sizeof(float) * (size_t)B * D);
        ctx_reset(&c);
    }
    ctx_free(&c);
    mosa_free(ids);
    return s;
}

void meval_argmax(int *out, const float *logits, int n, int n_actions) {
    for (int i = 0; i < n; i++) {
        const float *l = logits + (size_t)i * n_actions;
        int best = 0;
        for (int a = 1; a < n_actions; a++)
            if (l[a] > l[best]) best = a;
        out[i] = best;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Metrics                                                                                     */
/* ------------------------------------------------------------------------------------------ */

mosa_status meval_sym_eig(const double *a, int d, double *w, double *v) {
    if (d < 1 || !a || !w) return mosa_fail(MOSA_ERR_ARG, "meval_sym_eig: bad arguments");
    double *A = mosa_malloc(sizeof(double) * (size_t)d * d);
    double *V = v ? v : mosa_malloc(sizeof(double) * (size_t)d * d);
    if (!A || !V) {
        mosa_free(A);
        if (!v) mosa_free(V);
        return MOSA_ERR_NOMEM;
    }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            A[(size_t)i * d + j] = 0.5 * (a[(size_t)i * d + j] + a[(size_t)j * d + i]);
            V[(size_t)i * d + j] = i == j;
        }
    double total = 0;
    for (size_t i = 0; i < (size_t)d * d; i++) total += A[i] * A[i];
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++) off += A[(size_t)i * d + j] * A[(size_t)i * d + j];
        if (off <= 1e-30 * (total > 0 ? total : 1) || off == 0) break;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++) {
                double apq = A[(size_t)p * d + q];
                if (fabs(apq) < 1e-300) continue;
                double app = A[(size_t)p * d + p], aqq = A[(size_t)q * d + q];
                double theta = (aqq - app) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double cs = 1 / sqrt(t * t + 1), sn = t * cs;
                for (int k = 0; k < d; k++) { /* A = A J (columns p, q) */
                    double akp = A[(size_t)k * d + p], akq = A[(size_t)k * d + q];
                    A[(size_t)k * d + p] = cs * akp - sn * akq;
                    A[(size_t)k * d + q] = sn * akp + cs * akq;
                }
                for (int k = 0; k < d; k++) { /* A = J^T A (rows p, q) */
                    double apk = A[(size_t)p * d + k], aqk = A[(size_t)q * d + k];
                    A[(size_t)p * d + k] = cs * apk - sn * aqk;
                    A[(size_t)q * d + k] = sn * apk + cs * aqk;
                }
                for (int k = 0; k < d; k++) {
                    double vkp = V[(size_t)k * d + p], vkq = V[(size_t)k * d + q];
                    V[(size_t)k * d + p] = cs * vkp - sn * vkq;
                    V[(size_t)k * d + q] = sn * vkp + cs * vkq;
                }
            }
    }
    for (int i = 0; i < d; i++) w[i] = A[(size_t)i * d + i];
    mosa_free(A);
    if (!v) mosa_free(V);
    return MOSA_OK;
}

double meval_frechet(const double *mu1, const double *s1, const double *mu2, const double *s2, int d) {
    size_t dd = (size_t)d * d;
    double *w = mosa_malloc(sizeof(double) * d), *V = mosa_malloc(sizeof(double) * dd),
           *R = mosa_malloc(sizeof(double) * dd), *T = mosa_malloc(sizeof(double) * dd),
           *M = mosa_malloc(sizeof(double) * dd);
    double out = -1;
    if (!w || !V || !R || !T || !M) goto done;
    /* R = sqrt(S1) = V diag(sqrt w) V^T */
    if (meval_sym_eig(s1, d, w, V) != MOSA_OK) goto done;
    for (int i = 0; i < d; i++) w[i] = w[i] > 0 ? sqrt(w[i]) : 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++) acc += V[(size_t)i * d + k] * w[k] * V[(size_t)j * d + k];
            R[(size_t)i * d + j] = acc;
        }
    /* M = R S2 R (symmetric PSD, same eigenvalues as S1 S2) */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++) acc += R[(size_t)i * d + k] * s2[(size_t)k * d + j];
            T[(size_t)i * d + j] = acc;
        }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++) acc += T[(size_t)i * d + k] * R[(size_t)k * d + j];
            M[(size_t)i * d + j] = acc;
        }
    if (meval_sym_eig(M, d, w, NULL) != MOSA_OK) goto done;
    double tr_sqrt = 0, tr = 0, diff = 0;
    for (int i = 0; i < d; i++) {
        tr_sqrt += w[i] > 0 ? sqrt(w[i]) : 0;
        tr += s1[(size_t)i * d + i] + s2[(size_t)i * d + i];
        diff += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
    }
    out = diff + tr - 2 * tr_sqrt;
    if (out < 0 && out > -1e-9) out = 0;
done:
    mosa_free(w);
    mosa_free(V);
    mosa_free(R);
    mosa_free(T);
    mosa_free(M);
    return out;
}

static int meval__stats(const float *x, int n, int d, double *mu, double *S) {
    for (int j = 0; j < d; j++) {
        double acc = 0;
        for (int i = 0; i < n; i++) acc += x[(size_t)i * d + j];
        mu[j] = acc / n;
    }
    memset(S, 0, sizeof(double) * (size_t)d * d);
    double *r = mosa_malloc(sizeof(double) * d);
    if (!r) return 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) r[j] = x[(size_t)i * d + j] - mu[j];
        for (int j = 0; j < d; j++)
            for (int k = j; k < d; k++) S[(size_t)j * d + k] += r[j] * r[k];
    }
    for (int j = 0; j < d; j++)
        for (int k = j; k < d; k++) {
            S[(size_t)j * d + k] /= (n - 1);
            S[(size_t)k * d + j] = S[(size_t)j * d + k];
        }
    mosa_free(r);
    return 1;
}

double meval_fid(const float *a, int na, const float *b, int nb, int d) {
    if (!a || !b || na < 2 || nb < 2 || d < 1) {
        mosa_fail(MOSA_ERR_ARG, "FID needs at least 2 embeddings on each side (got %d and %d)", na, nb);
        return -1;
    }
    double *mu1 = mosa_malloc(sizeof(double) * d), *mu2 = mosa_malloc(sizeof(double) * d);
    double *s1 = mosa_malloc(sizeof(double) * (size_t)d * d), *s2 = mosa_malloc(sizeof(double) * (size_t)d * d);
    double out = -1;
    if (mu1 && mu2 && s1 && s2 && meval__stats(a, na, d, mu1, s1) && meval__stats(b, nb, d, mu2, s2))
        out = meval_frechet(mu1, s1, mu2, s2, d);
    mosa_free(mu1);
    mosa_free(mu2);
    mosa_free(s1);
    mosa_free(s2);
    return out;
}

static double meval__dist(const float *a, const float *b, int d) {
    double acc = 0;
    for (int k = 0; k < d; k++) acc += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
    return sqrt(acc);
}

int meval_r_precision(const float *memb, const float *temb, int n, int d, double top[MEVAL_TOPK], double *mm_dist) {
    const int P = MEVAL_RPREC_BATCH;
    int used = (n / P) * P;
    long hits[MEVAL_TOPK] = {0};
    double mm = 0;
    for (int i0 = 0; i0 < used; i0 += P)
        for (int i = i0; i < i0 + P; i++) {
            double own = meval__dist(memb + (size_t)i * d, temb + (size_t)i * d, d);
            mm += own;
            int rank = 0; /* texts at least as near as its own, other than its own */
            for (int j = i0; j < i0 + P; j++)
                if (j != i && meval__dist(memb + (size_t)i * d, temb + (size_t)j * d, d) <= own) rank++;
            for (int k = 0; k < MEVAL_TOPK; k++)
                if (rank <= k) hits[k]++;
        }
    for (int k = 0; k < MEVAL_TOPK; k++) top[k] = used ? (double)hits[k] / used : 0;
    if (mm_dist) *mm_dist = used ? mm / used : 0;
    return used;
}

double meval_diversity(const float *emb, int n, int d, int pairs, uint64_t seed) {
    if (n < 2 || pairs < 1) return 0;
    if (pairs > n) pairs = n;
    uint32_t *a = mosa_malloc(sizeof(uint32_t) * n), *b = mosa_malloc(sizeof(uint32_t) * n);
    double acc = 0;
    if (a && b) {
        mosa_rng r;
        rng_seed(&r, seed);
        for (int i = 0; i < n; i++) a[i] = b[i] = (uint32_t)i;
        rng_shuffle_u32(&r, a, (size_t)n);
        rng_shuffle_u32(&r, b, (size_t)n);
        for (int i = 0; i < pairs; i++) acc += meval__dist(emb + (size_t)a[i] * d, emb + (size_t)b[i] * d, d);
        acc /= pairs;
    }
    mosa_free(a);
    mosa_free(b);
    return acc;
}

void meval_physics_compute(meval_physics *p, const float *J, int T) {
    memset(p, 0, sizeof *p);
    if (!J || T < 1) return;
    const int NJ = SMPL22_J;
    double bv = 0;
    for (int j = 1; j < NJ; j++) {
        int par = smpl22_parents[j];
        double s = 0, s2 = 0;
        for (int t = 0; t < T; t++) {
            const float *a = J + ((size_t)t * NJ + j) * 3, *b = J + ((size_t)t * NJ + par) * 3;
            double l = sqrt((double)(a[0] - b[0]) * (a[0] - b[0]) + (double)(a[1] - b[1]) * (a[1] - b[1]) +
                            (double)(a[2] - b[2]) * (a[2] - b[2]));
            s += l;
            s2 += l * l;
        }
        double mean = s / T, var = s2 / T - mean * mean;
        bv += var > 0 ? var : 0;
    }
    p->bone_var = bv / (NJ - 1);
    motion_metrics mm;
    motion_metrics_compute(&mm, J, T, 1.7f);
    p->skate = mm.skate;
    double pen = 0;
    for (int t = 0; t < T; t++) {
        float lo = 1e9f;
        for (int j = 0; j < NJ; j++) {
            float y = J[((size_t)t * NJ + j) * 3 + 1];
            if (y < lo) lo = y;
        }
        if (lo < 0) pen += -lo;
    }
    p->penetration = pen / T;
    if (T >= 4) {
        const double f3 = (double)MOTION_FPS * MOTION_FPS * MOTION_FPS;
        double jk = 0;
        for (int t = 0; t + 3 < T; t++)
            for (int j = 0; j < NJ; j++) {
                double acc = 0;
                for (int k = 0; k < 3; k++) {
                    double x0 = J[((size_t)t * NJ + j) * 3 + k], x1 = J[((size_t)(t + 1) * NJ + j) * 3 + k],
                           x2 = J[((size_t)(t + 2) * NJ + j) * 3 + k], x3 = J[((size_t)(t + 3) * NJ + j) * 3 + k];
                    double v = (x3 - 3 * x2 + 3 * x1 - x0) * f3;
                    acc += v * v;
                }
                jk += sqrt(acc);
            }
        p->jerk = jk / ((double)(T - 3) * NJ);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The whole evaluation                                                                        */
/* ------------------------------------------------------------------------------------------ */

#include "action_prompts.h"
#include "../motion/features.h"

meval_run_options meval_run_options_default(void) {
    meval_run_options o;
    memset(&o, 0, sizeof o);
    o.n = 256;
    o.seed = 1;
    o.actions = 1;
    o.action_samples = 1;
    return o;
}

#define MEVAL_SECOND_DRAW 0x9E3779B97F4A7C15ull
#define MEVAL_HELDOUT_DRAW 0xC2B2AE3D27D4EB4Full
#define MEVAL_TRAINING_DRAW 0x165667B19E3779F9ull
#define MEVAL_CAPTION_DRAW_PER_ACTION 12 /* single-action items drawn per action, to find 3 of most */

/* An action check's result into a report's score. */
static void meval__take_actions(meval_action_score *out, const meval_action_result *ar, int A) {
    out->n = ar->prompts;
    out->acc = ar->prompts ? (double)ar->correct / ar->prompts : 0;
    for (int a = 0; a < A && a < 256; a++) {
        out->per_action[a] = ar->per_action[a];
        out->confusion_top[a] = ar->confusion_top[a];
    }
}

/* The action check on MEVAL_CHECK_CAPTIONS captions per action of a corpus split (a draw of
 * single actions of its own), given to o->gen as written. */
static mosa_status meval__caption_check(meval_action_score *out, const meval_model *ev, const meval_run_options *o,
                                        int split, uint64_t draw, int samples) {
    const int A = ev->cfg.n_actions;
    action_prompt_set *set = mosa_calloc(1, sizeof *set);
    if (!set) return MOSA_ERR_NOMEM;
    motion_corpus c = {0};
    motion_corpus_options co = motion_corpus_options_default(MEVAL_CAPTION_DRAW_PER_ACTION * A, o->seed ^ draw, split);
    co.sequence_share = 0;
    mosa_status s = motion_corpus_procedural(&c, &co);
    if (s == MOSA_OK) {
        set->n_actions = A;
        for (int i = 0; i < c.n; i++) {
            int a = c.items[i].action;
            if (a >= 0 && a < A && a < 256 && set->count[a] < MEVAL_CHECK_CAPTIONS)
                set->prompt[a][set->count[a]++] = c.items[i].caption[0];
        }
        meval_action_result ar;
        const meval_prompt_hook hook = {o->prompt_report, o->prompt_report_user,
                                        split == MOTION_SPLIT_TEST ? MEVAL_CHECK_HELDOUT : MEVAL_CHECK_TRAINING};
        s = meval_action_accuracy(&ar, ev, set, o->gen, o->gen_user, samples, o->seed, o->progress, o->progress_user,
                                  &hook);
        if (s == MOSA_OK) meval__take_actions(out, &ar, A);
    }
    motion_corpus_free(&c);
    mosa_free(set);
    return s;
}

mosa_status meval_run(meval_report *r, const meval_model *ev, const meval_run_options *o) {
    memset(r, 0, sizeof *r);
    if (!ev || !o || o->n < 2 || o->n > 100000 || (!o->real && !o->gen))
        return mosa_fail(MOSA_ERR_ARG, "meval_run: n must be 2..100000 and a generator is needed unless real");
    const int n = o->n, D = ev->cfg.dim, A = ev->cfg.n_actions;
    r->n = n;
    r->real = o->real;
    motion_corpus ref = {0}, second = {0};
    float **feats = mosa_calloc((size_t)n, sizeof *feats);
    int *lens = mosa_calloc((size_t)n, sizeof *lens);
    const char **caps = mosa_calloc((size_t)n, sizeof *caps);
    const float **rfeats = mosa_calloc((size_t)n, sizeof *rfeats);
    int *rlens = mosa_calloc((size_t)n, sizeof *rlens);
    float *e_ref = mosa_malloc(sizeof(float) * (size_t)n * D), *e_gen = mosa_malloc(sizeof(float) * (size_t)n * D),
          *e_txt = mosa_malloc(sizeof(float) * (size_t)n * D);
    float *logits = o->real ? mosa_malloc(sizeof(float) * (size_t)n * A) : NULL;
    mosa_status s = MOSA_OK;
    if (!feats || !lens || !caps || !rfeats || !rlens || !e_ref || !e_gen || !e_txt || (o->real && !logits)) {
        s = MOSA_ERR_NOMEM;
        goto done;
    }
    motion_corpus_options co = motion_corpus_options_default(n, o->seed, MOTION_SPLIT_TEST);
    if ((s = motion_corpus_procedural(&ref, &co)) != MOSA_OK) goto done;
    if (ref.n < n) {
        s = mosa_fail(MOSA_ERR_INTERNAL, "the test split gave %d of %d items", ref.n, n);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        rfeats[i] = ref.items[i].feat;
        rlens[i] = ref.items[i].T;
    }
    mosa_rng rng;
    rng_seed(&rng, o->seed ^ 0x5851F42D4C957F2Dull);
    const motion_corpus *src = &ref;
    if (o->real) {
        co.seed = o->seed ^ MEVAL_SECOND_DRAW;
        if ((s = motion_corpus_procedural(&second, &co)) != MOSA_OK) goto done;
        if (second.n < n) {
            s = mosa_fail(MOSA_ERR_INTERNAL, "the test split gave %d of %d items", second.n, n);
            goto done;
        }
        src = &second;
    }
    meval_physics sum = {0};
    for (int i = 0; i < n; i++) {
        const motion_item *it = &src->items[i];
        caps[i] = it->caption[it->ncap > 1 ? rng_below(&rng, (uint32_t)it->ncap) : 0];
        float *J = NULL;
        int T = 0;
        if (o->real) {
            T = it->T;
            J = mosa_malloc(sizeof(float) * (size_t)T * SMPL22_J * 3);
            feats[i] = mosa_malloc(sizeof(float) * (size_t)T * MOTION_FEAT);
            if (!J || !feats[i]) s = MOSA_ERR_NOMEM;
            if (s == MOSA_OK) {
                memcpy(feats[i], it->feat, sizeof(float) * (size_t)T * MOTION_FEAT);
                lens[i] = T;
                s = hml_joints_from_features(J, it->feat, T);
            }
        } else {
            float sec = (float)(it->T + 1) / MOTION_FPS;
            s = o->gen(o->gen_user, caps[i], sec, o->seed + (uint64_t)i, &J, &T);
            if (s != MOSA_OK) {
                mosa_fail_context(s, "generating for '%s'", caps[i]);
            } else if (T < 2) {
                s = mosa_fail(MOSA_ERR_INTERNAL, "the generator made %d frames for '%s'", T, caps[i]);
            } else {
                feats[i] = mosa_malloc(sizeof(float) * (size_t)(T - 1) * MOTION_FEAT);
                if (!feats[i]) s = MOSA_ERR_NOMEM;
                else s = hml_features_from_joints(feats[i], J, T, 1);
                lens[i] = T - 1;
            }
        }
        if (s == MOSA_OK) {
            meval_physics p;
            meval_physics_compute(&p, J, T);
            sum.bone_var += p.bone_var;
            sum.skate += p.skate;
            sum.penetration += p.penetration;
            sum.jerk += p.jerk;
        }
        mosa_free(J);
        if (s != MOSA_OK) goto done;
        if (o->progress) o->progress(o->progress_user, o->real ? "real motions" : "generating", i + 1, n);
    }
    r->phys.bone_var = sum.bone_var / n;
    r->phys.skate = sum.skate / n;
    r->phys.penetration = sum.penetration / n;
    r->phys.jerk = sum.jerk / n;
    if ((s = meval_embed_motions(ev, rfeats, rlens, n, e_ref, NULL)) != MOSA_OK) goto done;
    if ((s = meval_embed_motions(ev, (const float *const *)feats, lens, n, e_gen, logits)) != MOSA_OK) goto done;
    if ((s = meval_embed_texts(ev, caps, n, e_txt, NULL, NULL)) != MOSA_OK) goto done;
    r->fid = meval_fid(e_gen, n, e_ref, n, D);
    r->rprec_used = meval_r_precision(e_gen, e_txt, n, D, r->top, &r->mm_dist);
    r->diversity = meval_diversity(e_gen, n, D, MEVAL_DIVERSITY_PAIRS, o->seed);
    r->diversity_real = meval_diversity(e_ref, n, D, MEVAL_DIVERSITY_PAIRS, o->seed);
    if (o->actions) {
        if (o->real) {
            int ok = 0, cnt = 0, per_ok[256] = {0}, per_n[256] = {0};
            for (int i = 0; i < n; i++) {
                int a = src->items[i].action, pred;
                if (a < 0 || a >= A || A > 256) continue;
                meval_argmax(&pred, logits + (size_t)i * A, 1, A);
                ok += pred == a;
                cnt++;
                per_ok[a] += pred == a;
                per_n[a]++;
            }
            meval_action_score *sc = &r->action[MEVAL_CHECK_PROMPTS];
            sc->n = cnt;
            sc->acc = cnt ? (double)ok / cnt : 0;
            for (int a = 0; a < A && a < 256; a++) {
                sc->per_action[a] = per_n[a] ? (double)per_ok[a] / per_n[a] : -1;
                sc->confusion_top[a] = -1;
            }
        } else {
            meval_action_result ar;
            const int samples = o->action_samples > 0 ? o->action_samples : 1;
            const meval_prompt_hook hook = {o->prompt_report, o->prompt_report_user, MEVAL_CHECK_PROMPTS};
            s = meval_action_accuracy(&ar, ev, NULL, o->action_gen ? o->action_gen : o->gen,
                                      o->action_gen ? o->action_gen_user : o->gen_user, samples, o->seed, o->progress,
                                      o->progress_user, &hook);
            if (s != MOSA_OK) goto done;
            meval__take_actions(&r->action[MEVAL_CHECK_PROMPTS], &ar, A);
            s = meval__caption_check(&r->action[MEVAL_CHECK_HELDOUT], ev, o, MOTION_SPLIT_TEST, MEVAL_HELDOUT_DRAW,
                                     samples);
            if (s != MOSA_OK) goto done;
            s = meval__caption_check(&r->action[MEVAL_CHECK_TRAINING], ev, o, MOTION_SPLIT_TRAIN, MEVAL_TRAINING_DRAW,
                                     samples);
            if (s != MOSA_OK) goto done;
        }
    }
done:
    if (feats)
        for (int i = 0; i < n; i++) mosa_free(feats[i]);
    mosa_free(feats);
    mosa_free(lens);
    mosa_free(caps);
    mosa_free(rfeats);
    mosa_free(rlens);
    mosa_free(e_ref);
    mosa_free(e_gen);
    mosa_free(e_txt);
    mosa_free(logits);
    motion_corpus_free(&ref);
    motion_corpus_free(&second);
    return s;
}
