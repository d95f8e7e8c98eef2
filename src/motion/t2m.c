/* t2m.c: the structure transformer (text -> motion tokens -> joints); see t2m.h.
 *
 * Sampling runs the GPT incrementally with a key/value cache: the prefix (words + cond) is run
 * once, then every new token is one position through every block, attending to the cached keys
 * and values. With classifier-free guidance the conditional and the unconditional sequence are
 * the two rows of one batch. t2m_sample_tokens(kv_cache = 0) recomputes everything instead (the
 * reference the test compares the cache against). */
#include "t2m.h"

#include "../tensor/safetensors.h"
#include "cleanup.h"
#include "features.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FEAT 263
#define ARENA_BYTES (8u << 20)

/* ------------------------------------------------------------------------------------------ */
/* GPT config                                                                                  */
/* ------------------------------------------------------------------------------------------ */

t2m_gpt_config t2m_gpt_config_default(int codes, int text_width) {
    t2m_gpt_config c = {codes, 192, 4, 4, 4, 50, text_width, 0.1f};
    return c;
}

void t2m_gpt_config_format(const t2m_gpt_config *c, char *buf, size_t cap) {
    snprintf(buf, cap, "codes=%d width=%d layers=%d heads=%d mlp_ratio=%d max_tokens=%d text_width=%d drop=%g", c->codes,
             c->width, c->layers, c->heads, c->mlp_ratio, c->max_tokens, c->text_width, (double)c->drop);
}

mosa_status t2m_gpt_config_parse(t2m_gpt_config *out, const char *s) {
    static const char *keys[8] = {"codes", "width", "layers", "heads", "mlp_ratio", "max_tokens", "text_width", "drop"};
    static const double lo[8] = {2, 8, 1, 1, 1, 1, 1, 0}, hi[8] = {65536, 8192, 64, 64, 16, 1024, 8192, 0.9};
    double v[8];
    int seen[8] = {0};
    if (!s) return mosa_fail(MOSA_ERR_FORMAT, "gpt config: missing");
    const char *p = s;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *eq = strchr(p, '=');
        if (!eq) return mosa_fail(MOSA_ERR_FORMAT, "gpt config '%s': expected key=value", s);
        int k = -1;
        for (int i = 0; i < 8; i++)
            if ((size_t)(eq - p) == strlen(keys[i]) && !strncmp(p, keys[i], (size_t)(eq - p))) k = i;
        if (k < 0) return mosa_fail(MOSA_ERR_FORMAT, "gpt config '%s': unknown key '%.*s'", s, (int)(eq - p), p);
        char *end;
        v[k] = strtod(eq + 1, &end);
        if (end == eq + 1 || (*end && *end != ' ') || !(v[k] >= lo[k] && v[k] <= hi[k]) ||
            (k < 7 && v[k] != floor(v[k])))
            return mosa_fail(MOSA_ERR_FORMAT, "gpt config: %s must be in [%g, %g]", keys[k], lo[k], hi[k]);
        if (seen[k]++) return mosa_fail(MOSA_ERR_FORMAT, "gpt config: %s given twice", keys[k]);
        p = end;
    }
    for (int i = 0; i < 8; i++)
        if (!seen[i]) return mosa_fail(MOSA_ERR_FORMAT, "gpt config '%s': %s missing", s, keys[i]);
    t2m_gpt_config c = {(int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5], (int)v[6], (float)v[7]};
    if (c.width % c.heads) return mosa_fail(MOSA_ERR_FORMAT, "gpt config: width %d is not a multiple of heads %d", c.width, c.heads);
    *out = c;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* GPT                                                                                         */
/* ------------------------------------------------------------------------------------------ */

mosa_status t2m_gpt_init(t2m_gpt *g, param_store *ps, const char *prefix, const t2m_gpt_config *cfg, mosa_rng *r) {
    memset(g, 0, sizeof *g);
    if (!cfg || cfg->codes < 2 || cfg->width < 1 || cfg->heads < 1 || cfg->width % cfg->heads || cfg->layers < 1 ||
        cfg->max_tokens < 1 || cfg->text_width < 1 || cfg->mlp_ratio < 1)
        return mosa_fail(MOSA_ERR_ARG, "t2m gpt: invalid config");
    g->cfg = *cfg;
    const int W = cfg->width;
    char key[256], sub[64];
    g->tok_emb = params_add(ps, nn_name(key, sizeof key, prefix, "tok_emb.weight"), T_SHAPE(cfg->codes + 2, W));
    g->pos_emb = params_add(ps, nn_name(key, sizeof key, prefix, "pos_emb"), T_SHAPE(cfg->max_tokens, W));
    g->null_cond = params_add(ps, nn_name(key, sizeof key, prefix, "null_cond"), T_SHAPE(W));
    if (!g->tok_emb || !g->pos_emb || !g->null_cond) return MOSA_ERR_NOMEM;
    /* GPT-2 style init: N(0, 0.02) for embeddings */
    rng_normal(r, g->tok_emb->data, (size_t)t_numel(g->tok_emb), 0.0f, 0.02f);
    rng_normal(r, g->pos_emb->data, (size_t)t_numel(g->pos_emb), 0.0f, 0.02f);
    rng_normal(r, g->null_cond->data, (size_t)W, 0.0f, 0.02f);
    MOSA_TRY(nn_linear_init(&g->word_proj, ps, nn_name(key, sizeof key, prefix, "word_proj"), cfg->text_width, W, 1, r));
    MOSA_TRY(nn_linear_init(&g->cond_proj, ps, nn_name(key, sizeof key, prefix, "cond_proj"), cfg->text_width, W, 1, r));
    g->blocks = mosa_calloc((size_t)cfg->layers, sizeof *g->blocks);
    if (!g->blocks) return MOSA_ERR_NOMEM;
    for (int l = 0; l < cfg->layers; l++) {
        snprintf(sub, sizeof sub, "blocks.%d", l);
        MOSA_TRY(nn_transformer_block_init(&g->blocks[l], ps, nn_name(key, sizeof key, prefix, sub), W, cfg->heads,
                                           cfg->mlp_ratio, r));
    }
    MOSA_TRY(nn_layernorm_init(&g->ln_f, ps, nn_name(key, sizeof key, prefix, "ln_f"), W, 1, 1e-5f));
    MOSA_TRY(nn_linear_init(&g->head, ps, nn_name(key, sizeof key, prefix, "head"), W, cfg->codes + 1, 0, r));
    return MOSA_OK;
}

void t2m_gpt_free(t2m_gpt *g) {
    if (!g) return;
    mosa_free(g->blocks);
    g->blocks = NULL;
}

/* The condition token (B,1,W): cond_proj(pooled), or the null condition for rows with null[b]. */
static tensor *cond_token(ctx *c, const t2m_gpt *g, tensor *pooled, const uint8_t *null_cond) {
    const int64_t B = pooled->shape[0], W = g->cfg.width;
    tensor *cp = nn_linear_forward(c, &g->cond_proj, pooled); /* (B,W) */
    int any = 0;
    for (int64_t b = 0; null_cond && b < B; b++) any |= null_cond[b] != 0;
    if (any) {
        tensor *keep = t_new(c, T_SHAPE(B, 1)), *drop = t_new(c, T_SHAPE(B, 1));
        if (!keep || !drop) return NULL;
        for (int64_t b = 0; b < B; b++) keep->data[b] = null_cond[b] ? 0.0f : 1.0f, drop->data[b] = 1.0f - keep->data[b];
        tensor *nul = op_reshape(c, g->null_cond, T_SHAPE(1, W));
        cp = op_add(c, op_mul(c, cp, keep), op_mul(c, nul, drop));
    }
    return op_reshape(c, cp, T_SHAPE(B, 1, W));
}

/* Token embeddings + positions pos0.. : (B,N,W). */
static tensor *token_embed(ctx *c, const t2m_gpt *g, const int32_t *tokens, int64_t B, int N, int pos0) {
    tensor *te = op_embedding(c, g->tok_emb, tokens, T_SHAPE(B, N));
    tensor *pe = op_slice(c, g->pos_emb, 0, pos0, N, 1); /* (N,W) broadcast over B */
    return op_add(c, te, pe);
}

tensor *t2m_gpt_forward(ctx *c, const t2m_gpt *g, tensor *words, tensor *pooled, const uint8_t *word_mask,
                        const uint8_t *null_cond, const int32_t *tokens, int N) {
    if (!words || !pooled) return NULL;
    const t2m_gpt_config *cf = &g->cfg;
    T_CHECK(c, words->nd == 3 && words->shape[2] == cf->text_width && pooled->nd == 2 &&
                   pooled->shape[0] == words->shape[0] && pooled->shape[1] == cf->text_width,
            "t2m gpt: words must be (B,L,%d) and pooled (B,%d)", cf->text_width, cf->text_width);
    T_CHECK(c, N >= 0 && N <= cf->max_tokens && (N == 0 || tokens), "t2m gpt: %d tokens (0..%d)", N, cf->max_tokens);
    const int64_t B = words->shape[0], L = words->shape[1];
    for (int64_t i = 0; i < B * N; i++)
        T_CHECK(c, tokens[i] >= 0 && tokens[i] < cf->codes + 2, "t2m gpt: token %d outside [0,%d)", tokens[i], cf->codes + 2);
    tensor *parts[3];
    int np = 0;
    parts[np++] = nn_linear_forward(c, &g->word_proj, words);
    parts[np++] = cond_token(c, g, pooled, null_cond);
    if (N > 0) parts[np++] = token_embed(c, g, tokens, B, N, 0);
    tensor *x = op_concat(c, parts, np, 1);
    if (!x) return NULL;
    x = op_dropout(c, x, cf->drop);
    const int64_t S = L + 1 + N;
    uint8_t *mask = arena_alloc(&c->mem, (size_t)(B * S));
    if (!mask) return ctx_fail(c, MOSA_ERR_NOMEM, "t2m gpt: out of arena memory");
    for (int64_t b = 0; b < B; b++)
        for (int64_t s = 0; s < S; s++)
            mask[b * S + s] = s < L ? (uint8_t)((!word_mask || word_mask[b * L + s]) && !(null_cond && null_cond[b])) : 1;
    for (int l = 0; l < cf->layers; l++) x = nn_transformer_block_forward(c, &g->blocks[l], x, 1, mask);
    x = nn_layernorm_forward(c, &g->ln_f, x);
    x = op_slice(c, x, 1, L, N + 1, 1);
    return nn_linear_forward(c, &g->head, x);
}

/* ------------------------------------------------------------------------------------------ */
/* Sampling one token                                                                          */
/* ------------------------------------------------------------------------------------------ */

int t2m_sample_logits(float *logits, int n, float temperature, int top_k, int forbid, mosa_rng *r) {
    if (forbid >= 0 && forbid < n) logits[forbid] = -INFINITY;
    float u;
    rng_uniform(r, &u, 1); /* always one draw, so the stream does not depend on the options */
    int best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    if (temperature <= 0.0f) return best;
    if (top_k > 0 && top_k < n) {
        /* the k-th largest value (ties: lower index first) by partial selection */
        float *tmp = mosa_malloc(sizeof(float) * (size_t)n);
        if (tmp) {
            memcpy(tmp, logits, sizeof(float) * (size_t)n);
            float kth = -INFINITY;
            for (int k = 0; k < top_k; k++) {
                int m = -1;
                for (int i = 0; i < n; i++)
                    if (tmp[i] > -INFINITY && (m < 0 || tmp[i] > tmp[m])) m = i;
                if (m < 0) break;
                kth = tmp[m];
                tmp[m] = -INFINITY;
            }
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if (logits[i] > kth) kept++;
                else if (logits[i] == kth && kept < top_k) kept++;
                else logits[i] = -INFINITY;
            }
            mosa_free(tmp);
        }
    }
    const float mx = logits[best];
    double sum = 0;
    for (int i = 0; i < n; i++) sum += logits[i] > -INFINITY ? exp((double)(logits[i] - mx) / temperature) : 0.0;
    const double target = (double)u * sum;
    double acc = 0;
    int last = best;
    for (int i = 0; i < n; i++) {
        if (!(logits[i] > -INFINITY)) continue;
        acc += exp((double)(logits[i] - mx) / temperature);
        last = i;
        if (acc > target) return i;
    }
    return last;
}

/* ------------------------------------------------------------------------------------------ */
/* The model                                                                                   */
/* ------------------------------------------------------------------------------------------ */

struct t2m_model {
    t2m_config cfg;
    param_store ps;
    vqvae *vq;
    text_encoder enc;
    int enc_ok;
    t2m_gpt gpt;
    text_vocab *vocab;
    tensor *mean, *std;
    ctx c;
};

t2m_config t2m_config_default(int vocab_size) {
    t2m_config c;
    c.vq = vqvae_config_default();
    c.text = text_encoder_config_default(vocab_size);
    c.text.width = 128;
    c.text.layers = 2;
    c.gpt = t2m_gpt_config_default(c.vq.codes, c.text.width);
    return c;
}

void t2m_free(t2m_model *m) {
    if (!m) return;
    if (m->vq) vqvae_free(m->vq);
    if (m->enc_ok) text_encoder_free(&m->enc);
    t2m_gpt_free(&m->gpt);
    text_vocab_free(m->vocab);
    params_free(&m->ps);
    ctx_free(&m->c);
    mosa_free(m);
}

mosa_status t2m_create(t2m_model **out, const t2m_config *cfg, const text_vocab *vocab, const float mean[263],
                       const float std[263], uint64_t seed) {
    *out = NULL;
    if (!cfg || !vocab || !mean || !std) return mosa_fail(MOSA_ERR_ARG, "t2m: create needs a config, vocabulary and mean/std");
    if (cfg->gpt.codes != cfg->vq.codes)
        return mosa_fail(MOSA_ERR_MISMATCH, "t2m: the GPT has %d codes but the VQ-VAE %d", cfg->gpt.codes, cfg->vq.codes);
    if (cfg->gpt.text_width != cfg->text.width)
        return mosa_fail(MOSA_ERR_MISMATCH, "t2m: the GPT reads %d-wide text features but the encoder makes %d",
                         cfg->gpt.text_width, cfg->text.width);
    if (cfg->text.vocab != text_vocab_size(vocab))
        return mosa_fail(MOSA_ERR_MISMATCH, "t2m: the text encoder has %d vocabulary rows but the vocabulary %d words",
                         cfg->text.vocab, text_vocab_size(vocab));
    if (cfg->vq.in_dim != FEAT) return mosa_fail(MOSA_ERR_MISMATCH, "t2m: the VQ-VAE reads %d-d features, not 263", cfg->vq.in_dim);
    if (cfg->vq.down_t < 0 || cfg->vq.down_t > 4) return mosa_fail(MOSA_ERR_MISMATCH, "t2m: VQ-VAE down_t %d (0..4)", cfg->vq.down_t);
    t2m_model *m = mosa_calloc(1, sizeof *m);
    if (!m) return MOSA_ERR_NOMEM;
    m->cfg = *cfg;
    params_init(&m->ps);
    ctx_init(&m->c, ARENA_BYTES);
    mosa_status s;
    char *ser = NULL;
    mosa_rng r;
    rng_seed(&r, seed);
    if ((s = text_vocab_serialize(vocab, &ser)) != MOSA_OK || (s = text_vocab_parse(&m->vocab, ser)) != MOSA_OK) goto fail;
    if ((s = vqvae_create(&m->vq, &m->ps, "vqvae", &cfg->vq, &r)) != MOSA_OK) goto fail;
    if ((s = text_encoder_init(&m->enc, &m->ps, "text", &cfg->text, &r)) != MOSA_OK) goto fail;
    m->enc_ok = 1;
    if (cfg->text.concepts > 0) { /* the concept table is a function of the vocabulary and WordNet */
        int32_t *tab = NULL;
        int nc = 0;
        if ((s = text_vocab_concept_table(m->vocab, cfg->text.concept_k, &tab, &nc)) != MOSA_OK) goto fail;
        if (nc != cfg->text.concepts)
            s = mosa_fail(MOSA_ERR_MISMATCH,
                          "t2m: the model has %d WordNet concepts but this machine's WordNet gives its vocabulary %d "
                          "(a different WordNet version?); install Debian's wordnet-base 3.0 (./setup.sh)",
                          cfg->text.concepts, nc);
        else s = text_encoder_set_concepts(&m->enc, tab);
        mosa_free(tab);
        if (s != MOSA_OK) goto fail;
    }
    if ((s = t2m_gpt_init(&m->gpt, &m->ps, "gpt", &cfg->gpt, &r)) != MOSA_OK) goto fail;
    m->mean = params_add(&m->ps, "norm.mean", T_SHAPE(FEAT));
    m->std = params_add(&m->ps, "norm.std", T_SHAPE(FEAT));
    if (!m->mean || !m->std) { s = MOSA_ERR_NOMEM; goto fail; }
    if ((s = params_finalize(&m->ps)) != MOSA_OK) goto fail;
    memcpy(m->mean->data, mean, sizeof(float) * FEAT);
    memcpy(m->std->data, std, sizeof(float) * FEAT);
    params_set_frozen(&m->ps, "vqvae.", 1);
    params_set_frozen(&m->ps, "norm.", 1);
    mosa_free(ser);
    *out = m;
    return MOSA_OK;
fail:
    mosa_free(ser);
    t2m_free(m);
    return s;
}

param_store *t2m_params(t2m_model *m) { return &m->ps; }
const t2m_config *t2m_get_config(const t2m_model *m) { return &m->cfg; }
vqvae *t2m_vqvae(t2m_model *m) { return m->vq; }
text_encoder *t2m_text_encoder(t2m_model *m) { return &m->enc; }
t2m_gpt *t2m_gpt_of(t2m_model *m) { return &m->gpt; }
const text_vocab *t2m_vocab(const t2m_model *m) { return m->vocab; }
const float *t2m_mean(const t2m_model *m) { return m->mean->data; }
const float *t2m_std(const t2m_model *m) { return m->std->data; }
int t2m_frames_per_token(const t2m_model *m) { return 1 << m->cfg.vq.down_t; }

float t2m_max_seconds(const t2m_model *m) {
    return m ? (float)(m->cfg.gpt.max_tokens * t2m_frames_per_token(m)) / 20.0f : 0.0f;
}

int t2m_frames_for_seconds(const t2m_model *m, float seconds) {
    int f = (int)lroundf(seconds * 20.0f);
    const int fpt = t2m_frames_per_token(m);
    if (f < 1) f = 1;
    const int mx = m->cfg.gpt.max_tokens * fpt;
    return f > mx ? mx : f;
}

t2m_sample_options t2m_sample_options_default(void) {
    t2m_sample_options o = {0.0f, 0.7f, 0, 3.0f, 0}; /* T 0.7: docs/structure.md, Sampling */
    return o;
}

/* ---- files ---- */

mosa_status t2m_save(const t2m_model *m, const char *path, const char *info) {
    char vq[512], tx[512], gp[512];
    vqvae_config_format(&m->cfg.vq, vq, sizeof vq);
    text_encoder_config_format(&m->cfg.text, tx, sizeof tx);
    t2m_gpt_config_format(&m->cfg.gpt, gp, sizeof gp);
    char *voc = NULL;
    MOSA_TRY(text_vocab_serialize(m->vocab, &voc));
    const st_meta meta[6] = {{"mosa.format", T2M_FORMAT}, {"t2m.vqvae", vq}, {"t2m.text", tx},
                             {"t2m.gpt", gp},             {"t2m.vocab", voc}, {"t2m.info", info ? info : ""}};
    mosa_status s = st_save_params(path, &m->ps, ST_F32, 6, meta);
    mosa_free(voc);
    return s;
}

mosa_status t2m_load(t2m_model **out, const char *path) {
    *out = NULL;
    if (!path || !*path) return mosa_fail(MOSA_ERR_ARG, "t2m: no model file given");
    st_file f;
    mosa_status s = st_open(&f, path);
    if (s != MOSA_OK)
        return mosa_fail_context(s, "cannot load the structure transformer (get models/motion/t2m.safetensors with "
                                    "./setup.sh, or train one with scripts/train_motion.sh)");
    const char *fmt = st_meta_get(&f, "mosa.format");
    if (!fmt || strcmp(fmt, T2M_FORMAT)) {
        s = mosa_fail(MOSA_ERR_MISMATCH,
                      "%s is not a structure-transformer model (mosa.format is '%s', want '%s'): pass the file that "
                      "`mosa motion train t2m` exports (models/motion/t2m.safetensors)",
                      path, fmt ? fmt : "(none)", T2M_FORMAT);
        st_close(&f);
        return s;
    }
    t2m_config cfg;
    const char *vq = st_meta_get(&f, "t2m.vqvae"), *tx = st_meta_get(&f, "t2m.text"), *gp = st_meta_get(&f, "t2m.gpt"),
               *voc = st_meta_get(&f, "t2m.vocab");
    text_vocab *vocab = NULL;
    if (!vq || !tx || !gp || !voc) {
        s = mosa_fail(MOSA_ERR_FORMAT, "%s: metadata t2m.%s is missing (the file is incomplete; re-export it)", path,
                      !vq ? "vqvae" : !tx ? "text" : !gp ? "gpt" : "vocab");
        st_close(&f);
        return s;
    }
    if ((s = vqvae_config_parse(&cfg.vq, vq)) != MOSA_OK || (s = text_encoder_config_parse(&cfg.text, tx)) != MOSA_OK ||
        (s = t2m_gpt_config_parse(&cfg.gpt, gp)) != MOSA_OK || (s = text_vocab_parse(&vocab, voc)) != MOSA_OK) {
        st_close(&f);
        return mosa_fail_context(s == MOSA_ERR_NOMEM ? s : MOSA_ERR_FORMAT, "%s", path);
    }
    st_close(&f);
    float zero[FEAT] = {0}, one[FEAT];
    for (int i = 0; i < FEAT; i++) one[i] = 1.0f;
    t2m_model *m = NULL;
    s = t2m_create(&m, &cfg, vocab, zero, one, 0);
    text_vocab_free(vocab);
    if (s != MOSA_OK) return mosa_fail_context(s, "%s", path);
    if ((s = st_load_params(&m->ps, path, 1)) != MOSA_OK) {
        t2m_free(m);
        return mosa_fail_context(s, "%s does not match its own configuration", path);
    }
    for (int i = 0; i < FEAT; i++)
        if (!isfinite(m->mean->data[i]) || !isfinite(m->std->data[i]) || m->std->data[i] < 0) {
            t2m_free(m);
            return mosa_fail(MOSA_ERR_FORMAT, "%s: norm.mean/norm.std entry %d is not a finite mean and std", path, i);
        }
    for (size_t i = 0; i < m->ps.numel; i++)
        if (!isfinite(m->ps.data[i])) {
            t2m_free(m);
            return mosa_fail(MOSA_ERR_FORMAT, "%s: holds NaN or infinite weights (a diverged run?)", path);
        }
    *out = m;
    return MOSA_OK;
}

mosa_status t2m_load_vqvae_weights(t2m_model *m, const char *path) {
    /* vqvae_load checks the config and every tensor before changing anything */
    return vqvae_load(m->vq, path, m->mean->data, m->std->data);
}

/* ------------------------------------------------------------------------------------------ */
/* Incremental GPT with a key/value cache                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct kv_cache {
    int B, Smax, NH, D, layers, len;
    float *k, *v;  /* (layers, B, NH, Smax, D) */
    uint8_t *mask; /* (B, Smax) */
} kv_cache;

static mosa_status kv_init(kv_cache *kv, const t2m_gpt *g, int B, int Smax) {
    memset(kv, 0, sizeof *kv);
    kv->B = B, kv->Smax = Smax, kv->NH = g->cfg.heads, kv->D = g->cfg.width / g->cfg.heads, kv->layers = g->cfg.layers;
    const size_t n = (size_t)kv->layers * B * kv->NH * Smax * kv->D;
    kv->k = mosa_malloc(n * sizeof(float));
    kv->v = mosa_malloc(n * sizeof(float));
    kv->mask = mosa_calloc((size_t)B * Smax, 1);
    if (!kv->k || !kv->v || !kv->mask) return mosa_fail(MOSA_ERR_NOMEM, "t2m: out of memory for the key/value cache");
    return MOSA_OK;
}

static void kv_free(kv_cache *kv) {
    mosa_free(kv->k);
    mosa_free(kv->v);
    mosa_free(kv->mask);
}

/* Runs x (B,T,W) at positions len..len+T-1 through every block (keys/values appended to the
 * cache; kv->mask[.., len..len+T) must be set by the caller) and returns the logits of the last
 * position, (B, codes+1). */
static tensor *kv_run(ctx *c, const t2m_gpt *g, kv_cache *kv, tensor *x) {
    if (!x) return NULL;
    const int64_t B = kv->B, T = x->shape[1], W = g->cfg.width, NH = kv->NH, D = kv->D, S = kv->len + T;
    T_CHECK(c, S <= kv->Smax, "t2m: key/value cache overflow");
    uint8_t *mask = arena_alloc(&c->mem, (size_t)(B * S));
    if (!mask) return ctx_fail(c, MOSA_ERR_NOMEM, "t2m: out of arena memory");
    for (int64_t b = 0; b < B; b++) memcpy(mask + b * S, kv->mask + b * kv->Smax, (size_t)S);
    for (int l = 0; l < g->cfg.layers; l++) {
        const nn_transformer_block *blk = &g->blocks[l];
        tensor *h = nn_layernorm_forward(c, &blk->ln1, x);
        tensor *qkv = nn_linear_forward(c, &blk->attn.qkv, h); /* (B,T,3W) contiguous */
        if (!qkv) return NULL;
        float *kc = kv->k + (size_t)l * B * NH * kv->Smax * D, *vc = kv->v + (size_t)l * B * NH * kv->Smax * D;
        for (int64_t b = 0; b < B; b++)
            for (int64_t t = 0; t < T; t++)
                for (int64_t hh = 0; hh < NH; hh++) {
                    const float *src = qkv->data + (b * T + t) * 3 * W + hh * D;
                    const size_t dst = (((size_t)b * NH + hh) * kv->Smax + (size_t)(kv->len + t)) * D;
                    memcpy(kc + dst, src + W, sizeof(float) * D);
                    memcpy(vc + dst, src + 2 * W, sizeof(float) * D);
                }
        tensor *q5 = op_reshape(c, qkv, T_SHAPE(B, T, 3, NH, D));
        static const int perm[5] = {2, 0, 3, 1, 4};
        q5 = op_permute(c, q5, perm);
        tensor *q = op_reshape(c, op_slice(c, q5, 0, 0, 1, 1), T_SHAPE(B, NH, T, D));
        tensor *K = op_slice(c, t_wrap(c, kc, T_SHAPE(B, NH, kv->Smax, D)), 2, 0, S, 1);
        tensor *V = op_slice(c, t_wrap(c, vc, T_SHAPE(B, NH, kv->Smax, D)), 2, 0, S, 1);
        tensor *o = op_attention(c, q, K, V, 1, mask, 0.0f); /* query i sees keys j <= i + len */
        o = op_reshape(c, op_transpose(c, o, 1, 2), T_SHAPE(B, T, W));
        x = op_add(c, x, nn_linear_forward(c, &blk->attn.proj, o));
        x = op_add(c, x, nn_mlp_forward(c, &blk->mlp, nn_layernorm_forward(c, &blk->ln2, x)));
    }
    kv->len = (int)S;
    x = nn_layernorm_forward(c, &g->ln_f, op_slice(c, x, 1, T - 1, 1, 1));
    return op_reshape(c, nn_linear_forward(c, &g->head, x), T_SHAPE(B, g->cfg.codes + 1));
}

/* ------------------------------------------------------------------------------------------ */
/* Sampling                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static mosa_status check_options(const t2m_model *m, const t2m_sample_options *o) {
    const float mx = t2m_max_seconds(m);
    if (!(o->seconds >= 0.0f) || o->seconds > mx + 1e-4f)
        return mosa_fail(MOSA_ERR_ARG, "seconds must be between 0 (until the model ends the motion) and %g (this "
                                       "model's longest motion), got %g", (double)mx, (double)o->seconds);
    if (o->seconds > 0 && o->seconds < 0.05f)
        return mosa_fail(MOSA_ERR_ARG, "seconds %g is shorter than one frame at 20 fps", (double)o->seconds);
    if (!(o->temperature >= 0.0f && o->temperature <= 10.0f))
        return mosa_fail(MOSA_ERR_ARG, "temperature must be in [0, 10] (0 = always the most likely token), got %g",
                         (double)o->temperature);
    if (o->top_k < 0) return mosa_fail(MOSA_ERR_ARG, "top-k must be >= 0 (0 = all tokens), got %d", o->top_k);
    if (!(o->cfg_scale >= 0.0f && o->cfg_scale <= 50.0f))
        return mosa_fail(MOSA_ERR_ARG, "cfg scale must be in [0, 50] (1 = no guidance), got %g", (double)o->cfg_scale);
    return MOSA_OK;
}

mosa_status t2m_sample_tokens(t2m_model *m, const char *prompt, const t2m_sample_options *o, int32_t *tokens, int *n,
                              int kv_cache_on, text_map_log log, void *user) {
    *n = 0;
    if (!prompt) return mosa_fail(MOSA_ERR_ARG, "t2m: no motion prompt");
    const char *p = prompt;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) return mosa_fail(MOSA_ERR_ARG, "t2m: the motion prompt is empty: describe a motion (\"a person walks forward\")");
    MOSA_TRY(check_options(m, o));
    const t2m_gpt *g = &m->gpt;
    const int codes = g->cfg.codes, END = codes, maxN = g->cfg.max_tokens;
    const int need = o->seconds > 0 ? (t2m_frames_for_seconds(m, o->seconds) + t2m_frames_per_token(m) - 1) /
                                          t2m_frames_per_token(m)
                                    : 0;
    const int Lmax = m->cfg.text.max_len;
    int32_t *ids = mosa_malloc(sizeof(int32_t) * (size_t)Lmax * 2);
    if (!ids) return MOSA_ERR_NOMEM;
    const int L = text_tokenize(m->vocab, prompt, ids, Lmax, log, user);
    if (L < 0) { mosa_free(ids); return mosa_fail_context(MOSA_ERR_ARG, "t2m: motion prompt"); }
    const int guided = o->cfg_scale != 1.0f;
    const int B = guided ? 2 : 1;
    memcpy(ids + L, ids, sizeof(int32_t) * (size_t)L); /* row 2 = the same words (masked) */
    const uint8_t null_rows[2] = {0, 1};
    ctx *c = &m->c;
    ctx_reset(c);
    const int g0 = ctx_no_grad(c);
    c->training = 0;
    mosa_rng r;
    rng_seed(&r, o->seed);
    mosa_status s = MOSA_OK;
    kv_cache kv = {0};
    float *lg = mosa_malloc(sizeof(float) * (size_t)(codes + 1));
    int32_t *seq = mosa_malloc(sizeof(int32_t) * (size_t)B * maxN);
    if (!lg || !seq) { s = MOSA_ERR_NOMEM; goto done; }
    /* the text is encoded once; its features are copied out of the arena */
    tensor *pooled = NULL;
    tensor *words = text_encoder_forward(c, &m->enc, ids, B, L, &pooled);
    if (!words || !pooled) { s = mosa_fail_context(c->status ? c->status : MOSA_ERR_INTERNAL, "t2m: text encoder"); goto done; }
    const int64_t TW = g->cfg.text_width;
    float *wbuf = mosa_malloc(sizeof(float) * (size_t)(B * L * TW + B * TW));
    if (!wbuf) { s = MOSA_ERR_NOMEM; goto done; }
    t_copy_to_contiguous(wbuf, words);
    t_copy_to_contiguous(wbuf + B * L * TW, pooled);
    if (kv_cache_on && (s = kv_init(&kv, g, B, L + 1 + maxN)) != MOSA_OK) { mosa_free(wbuf); goto done; }
    for (int step = 0;; step++) {
        ctx_reset(c);
        tensor *w = t_wrap(c, wbuf, T_SHAPE(B, L, TW)), *pl = t_wrap(c, wbuf + B * L * TW, T_SHAPE(B, TW));
        tensor *logits;
        if (kv_cache_on) {
            tensor *x;
            if (step == 0) {
                for (int b = 0; b < B; b++)
                    for (int i = 0; i < L + 1; i++) kv.mask[b * kv.Smax + i] = i < L ? !null_rows[b] : 1;
                tensor *parts[2] = {nn_linear_forward(c, &g->word_proj, w), cond_token(c, g, pl, null_rows)};
                x = op_concat(c, parts, 2, 1);
            } else {
                int32_t tk[2] = {seq[step - 1], seq[step - 1]};
                for (int b = 0; b < B; b++) kv.mask[b * kv.Smax + kv.len] = 1;
                x = token_embed(c, g, tk, B, 1, step - 1);
            }
            logits = kv_run(c, g, &kv, x);
        } else {
            int32_t *tk = arena_alloc(&c->mem, sizeof(int32_t) * (size_t)B * (step > 0 ? step : 1));
            for (int b = 0; tk && b < B; b++) memcpy(tk + b * step, seq, sizeof(int32_t) * (size_t)step);
            tensor *full = t2m_gpt_forward(c, g, w, pl, NULL, null_rows, tk, step); /* (B,step+1,C) */
            logits = full ? op_contiguous(c, op_reshape(c, op_slice(c, full, 1, step, 1, 1), T_SHAPE(B, codes + 1))) : NULL;
        }
        if (!logits) { s = c->status ? c->status : MOSA_ERR_INTERNAL; break; }
        const float *lc = logits->data;
        if (guided) {
            const float *lu = logits->data + codes + 1;
            for (int i = 0; i <= codes; i++) lg[i] = lu[i] + o->cfg_scale * (lc[i] - lu[i]);
        } else {
            memcpy(lg, lc, sizeof(float) * (size_t)(codes + 1));
        }
        if (need && step == need) break;
        const int forbid = (need && step < need) || step == 0 ? END : -1;
        const int tok = t2m_sample_logits(lg, codes + 1, o->temperature, o->top_k, forbid, &r);
        if (tok == END) break;
        seq[step] = tok;
        *n = step + 1;
        if (*n == maxN) break;
    }
    mosa_free(wbuf);
    if (s == MOSA_OK) memcpy(tokens, seq, sizeof(int32_t) * (size_t)*n);
done:
    if (s != MOSA_OK) *n = 0;
    kv_free(&kv);
    mosa_free(lg);
    mosa_free(seq);
    mosa_free(ids);
    ctx_reset(c);
    ctx_set_grad(c, g0);
    return s;
}

mosa_status t2m_decode_tokens(t2m_model *m, const int32_t *tokens, int n, int frames, int raw, float **joints, int *T) {
    *joints = NULL;
    *T = 0;
    if (n < 1 || n > m->cfg.gpt.max_tokens) return mosa_fail(MOSA_ERR_ARG, "t2m: %d tokens to decode (1..%d)", n, m->cfg.gpt.max_tokens);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->cfg.vq.codes)
            return mosa_fail(MOSA_ERR_ARG, "t2m: token %d is not a motion code (0..%d)", tokens[i], m->cfg.vq.codes - 1);
    const int F = n * t2m_frames_per_token(m);
    if (frames > F) return mosa_fail(MOSA_ERR_ARG, "t2m: %d frames asked from %d tokens (%d frames)", frames, n, F);
    ctx *c = &m->c;
    ctx_reset(c);
    const int g0 = ctx_no_grad(c);
    c->training = 0;
    mosa_status s = MOSA_OK;
    float *feat = mosa_malloc(sizeof(float) * (size_t)F * FEAT), *j = mosa_malloc(sizeof(float) * (size_t)F * 66);
    if (!feat || !j) { s = MOSA_ERR_NOMEM; goto fail; }
    tensor *x = vqvae_decode(c, m->vq, tokens, 1, n);
    if (!x || t_numel(x) != (int64_t)F * FEAT) {
        s = mosa_fail(c->status ? c->status : MOSA_ERR_INTERNAL, "t2m: VQ-VAE decoding failed: %s", mosa_last_error());
        goto fail;
    }
    t_copy_to_contiguous(feat, x);
    for (int t = 0; t < F; t++)
        for (int i = 0; i < FEAT; i++) feat[(size_t)t * FEAT + i] = feat[(size_t)t * FEAT + i] * m->std->data[i] + m->mean->data[i];
    if ((s = hml_joints_from_features(j, feat, F)) != MOSA_OK) goto fail;
    const int Tout = frames > 0 ? frames : F;
    if (!raw && (s = motion_cleanup(j, Tout, NULL, NULL)) != MOSA_OK) goto fail;
    mosa_free(feat);
    ctx_reset(c);
    ctx_set_grad(c, g0);
    *joints = j;
    *T = Tout;
    return MOSA_OK;
fail:
    mosa_free(feat);
    mosa_free(j);
    ctx_reset(c);
    ctx_set_grad(c, g0);
    return s;
}

mosa_status t2m_generate(t2m_model *m, const char *motion_prompt, const t2m_sample_options *o, float **joints, int *T,
                         text_map_log log, void *user) {
    *joints = NULL;
    *T = 0;
    if (!m) return mosa_fail(MOSA_ERR_ARG, "t2m: no model");
    const t2m_sample_options def = t2m_sample_options_default();
    if (!o) o = &def;
    int32_t *tok = mosa_malloc(sizeof(int32_t) * (size_t)m->cfg.gpt.max_tokens);
    if (!tok) return MOSA_ERR_NOMEM;
    int n = 0;
    mosa_status s = t2m_sample_tokens(m, motion_prompt, o, tok, &n, 1, log, user);
    if (s == MOSA_OK) s = t2m_decode_tokens(m, tok, n, o->seconds > 0 ? t2m_frames_for_seconds(m, o->seconds) : 0, 0, joints, T);
    mosa_free(tok);
    return s;
}
