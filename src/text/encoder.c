/* encoder.c: the small transformer text encoder (see encoder.h).
 *
 * x = tok_emb[ids] + pos_emb[0:L]; x = block_i(x) for each pre-LN block (bidirectional, keys
 * with id TEXT_PAD masked); y = ln_f(x); pooled = y[:, 0] (the BOS position). The PyTorch
 * module it matches is ref/ref_text_encoder.py (TextEncoder). Initialisation: embeddings
 * N(0, 0.02) (GPT-2 style), blocks as nn_transformer_block_init (PyTorch defaults), ln_f ones
 * and zeros. Not here: tokenizing (tokenizer.c) and training (the models that use it). */
#include "encoder.h"

#include "tokenizer.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum {
    ENC_MAX_VOCAB = 10000000,
    ENC_MAX_WIDTH = 8192,
    ENC_MAX_LAYERS = 64,
    ENC_MAX_HEADS = 256,
    ENC_MAX_LEN = 4096,
};

text_encoder_config text_encoder_config_default(int vocab) {
    text_encoder_config c = {vocab, 128, 2, 4, 32, 0, 0};
    return c;
}

void text_encoder_config_format(const text_encoder_config *cfg, char *buf, size_t cap) {
    if (!buf || cap == 0) return;
    if (!cfg) {
        buf[0] = 0;
        return;
    }
    int n = snprintf(buf, cap, "vocab=%d width=%d layers=%d heads=%d max_len=%d", cfg->vocab, cfg->width, cfg->layers,
                     cfg->heads, cfg->max_len);
    if (cfg->concepts > 0 && n >= 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, " concepts=%d concept_k=%d", cfg->concepts, cfg->concept_k);
}

static mosa_status enc__check(const text_encoder_config *c) {
    if (c->vocab < TEXT_SPECIALS || c->vocab > ENC_MAX_VOCAB)
        return mosa_fail(MOSA_ERR_ARG, "text encoder: vocab %d; need %d..%d (text_vocab_size)", c->vocab, TEXT_SPECIALS,
                         ENC_MAX_VOCAB);
    if (c->heads < 1 || c->heads > ENC_MAX_HEADS)
        return mosa_fail(MOSA_ERR_ARG, "text encoder: heads %d; need 1..%d", c->heads, ENC_MAX_HEADS);
    if (c->width < 1 || c->width > ENC_MAX_WIDTH || c->width % c->heads != 0)
        return mosa_fail(MOSA_ERR_ARG, "text encoder: width %d; need 1..%d and a multiple of heads (%d)", c->width,
                         ENC_MAX_WIDTH, c->heads);
    if (c->layers < 1 || c->layers > ENC_MAX_LAYERS)
        return mosa_fail(MOSA_ERR_ARG, "text encoder: layers %d; need 1..%d", c->layers, ENC_MAX_LAYERS);
    if (c->concepts < 0 || c->concepts > ENC_MAX_VOCAB || (c->concepts > 0 && (c->concept_k < 1 || c->concept_k > 64)) ||
        (c->concepts == 0 && c->concept_k != 0))
        return mosa_fail(MOSA_ERR_ARG, "text encoder: concepts %d, concept_k %d; need 0 and 0, or 1..%d and 1..64",
                         c->concepts, c->concept_k, ENC_MAX_VOCAB);
    if (c->max_len < 2 || c->max_len > ENC_MAX_LEN)
        return mosa_fail(MOSA_ERR_ARG, "text encoder: max_len %d; need 2..%d (BOS and EOS included)", c->max_len,
                         ENC_MAX_LEN);
    return MOSA_OK;
}

mosa_status text_encoder_config_parse(text_encoder_config *cfg, const char *s) {
    if (!cfg || !s) return mosa_fail(MOSA_ERR_ARG, "text_encoder_config_parse: NULL argument");
    static const char *const keys[7] = {"vocab", "width", "layers", "heads", "max_len", "concepts", "concept_k"};
    int vals[7] = {0}, seen[7] = {0};
    const char *p = s;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ' ');
        if (!end) end = p + strlen(p);
        if (!eq || eq > end)
            return mosa_fail(MOSA_ERR_ARG, "text encoder config: expected key=value, got \"%.*s\"", (int)(end - p), p);
        int k = -1;
        for (int i = 0; i < 7; i++)
            if ((size_t)(eq - p) == strlen(keys[i]) && strncmp(p, keys[i], (size_t)(eq - p)) == 0) k = i;
        if (k < 0)
            return mosa_fail(MOSA_ERR_ARG,
                             "text encoder config: unknown key \"%.*s\" (keys: vocab width layers heads max_len "
                             "[concepts concept_k])",
                             (int)(eq - p), p);
        if (seen[k]) return mosa_fail(MOSA_ERR_ARG, "text encoder config: %s given twice", keys[k]);
        const char *v = eq + 1;
        if (v == end || (end - v) > 9)
            return mosa_fail(MOSA_ERR_ARG, "text encoder config: %s needs a number of at most 9 digits", keys[k]);
        long x = 0;
        for (const char *q = v; q < end; q++) {
            if (!isdigit((unsigned char)*q))
                return mosa_fail(MOSA_ERR_ARG, "text encoder config: %s=\"%.*s\" is not a non-negative integer", keys[k],
                                 (int)(end - v), v);
            x = x * 10 + (*q - '0');
        }
        vals[k] = (int)x;
        seen[k] = 1;
        p = end;
    }
    for (int i = 0; i < 5; i++) /* the concept keys are optional (0: off) */
        if (!seen[i]) return mosa_fail(MOSA_ERR_ARG, "text encoder config: %s missing (\"%s\")", keys[i], s);
    text_encoder_config c = {vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]};
    MOSA_TRY(enc__check(&c));
    *cfg = c;
    return MOSA_OK;
}

/* prefix.name, accepting a prefix that already ends with '.' */
static const char *enc__name(char *buf, size_t n, const char *prefix, const char *name) {
    size_t l = prefix ? strlen(prefix) : 0;
    if (l > 0 && prefix[l - 1] == '.') snprintf(buf, n, "%s%s", prefix, name);
    else nn_name(buf, n, prefix, name);
    return buf;
}

mosa_status text_encoder_init(text_encoder *e, param_store *ps, const char *prefix, const text_encoder_config *cfg,
                              mosa_rng *r) {
    if (!e || !ps || !cfg || !r) return mosa_fail(MOSA_ERR_ARG, "text_encoder_init: NULL argument");
    memset(e, 0, sizeof *e);
    MOSA_TRY(enc__check(cfg));
    e->cfg = *cfg;
    char key[512], sub[512];
    const int C = cfg->width;
    e->tok_emb = params_add(ps, enc__name(key, sizeof key, prefix, "tok_emb.weight"), 2, (int64_t[]){cfg->vocab, C});
    e->pos_emb = params_add(ps, enc__name(key, sizeof key, prefix, "pos_emb"), 2, (int64_t[]){cfg->max_len, C});
    if (!e->tok_emb || !e->pos_emb) return MOSA_ERR_NOMEM;
    rng_normal(r, e->tok_emb->data, (size_t)t_numel(e->tok_emb), 0.0f, 0.02f);
    rng_normal(r, e->pos_emb->data, (size_t)t_numel(e->pos_emb), 0.0f, 0.02f);
    if (cfg->concepts > 0) { /* row 0 (no concept) starts at zero */
        e->concept_emb =
            params_add(ps, enc__name(key, sizeof key, prefix, "concept_emb.weight"), 2, (int64_t[]){cfg->concepts + 1, C});
        if (!e->concept_emb) return MOSA_ERR_NOMEM;
        memset(e->concept_emb->data, 0, sizeof(float) * (size_t)C);
        rng_normal(r, e->concept_emb->data + C, (size_t)cfg->concepts * (size_t)C, 0.0f, 0.02f);
    }
    e->blocks = mosa_calloc((size_t)cfg->layers, sizeof *e->blocks);
    if (!e->blocks) return MOSA_ERR_NOMEM;
    for (int i = 0; i < cfg->layers; i++) {
        snprintf(sub, sizeof sub, "blocks.%d", i);
        mosa_status st = nn_transformer_block_init(&e->blocks[i], ps, enc__name(key, sizeof key, prefix, sub), C,
                                                   cfg->heads, 4, r);
        if (st != MOSA_OK) {
            text_encoder_free(e);
            return st;
        }
    }
    mosa_status st = nn_layernorm_init(&e->ln_f, ps, enc__name(key, sizeof key, prefix, "ln_f"), C, 1, 1e-5f);
    if (st != MOSA_OK) text_encoder_free(e);
    return st;
}

void text_encoder_free(text_encoder *e) {
    if (!e) return;
    mosa_free(e->blocks);
    e->blocks = NULL;
    mosa_free(e->concept_tab);
    e->concept_tab = NULL;
}

mosa_status text_encoder_set_concepts(text_encoder *e, const int32_t *table) {
    if (!e || !table) return mosa_fail(MOSA_ERR_ARG, "text_encoder_set_concepts: NULL argument");
    if (e->cfg.concepts <= 0) return mosa_fail(MOSA_ERR_ARG, "text_encoder_set_concepts: the encoder has no concepts");
    const size_t n = (size_t)e->cfg.vocab * (size_t)e->cfg.concept_k;
    for (size_t i = 0; i < n; i++)
        if (table[i] < 0 || table[i] > e->cfg.concepts)
            return mosa_fail(MOSA_ERR_ARG, "text encoder: concept row %d of id %zu is outside 0..%d", (int)table[i],
                             i / (size_t)e->cfg.concept_k, e->cfg.concepts);
    int32_t *t = mosa_malloc(sizeof(int32_t) * n);
    if (!t) return MOSA_ERR_NOMEM;
    memcpy(t, table, sizeof(int32_t) * n);
    mosa_free(e->concept_tab);
    e->concept_tab = t;
    return MOSA_OK;
}

tensor *text_encoder_forward(ctx *c, const text_encoder *e, const int32_t *ids, int B, int L, tensor **pooled) {
    if (pooled) *pooled = NULL;
    if (!c) return NULL;
    if (!e || !e->blocks || !ids) return ctx_fail(c, MOSA_ERR_ARG, "text_encoder_forward: NULL encoder or ids");
    const text_encoder_config *cfg = &e->cfg;
    T_CHECK(c, B >= 1 && L >= 1 && L <= cfg->max_len, "text_encoder_forward: ids (%d,%d); need B >= 1, 1 <= L <= %d",
            B, L, cfg->max_len);
    uint8_t *mask = arena_alloc(&c->mem, (size_t)B * (size_t)L);
    if (!mask) return ctx_fail(c, MOSA_ERR_NOMEM, "text_encoder_forward: out of memory");
    for (int64_t i = 0; i < (int64_t)B * L; i++) {
        T_CHECK(c, ids[i] >= 0 && ids[i] < cfg->vocab,
                "text_encoder_forward: token id %d at %lld is outside the vocabulary (0..%d)", (int)ids[i], (long long)i,
                cfg->vocab - 1);
        mask[i] = ids[i] != TEXT_PAD;
    }
    tensor *x = op_embedding(c, e->tok_emb, ids, 2, (int64_t[]){B, L});       /* (B,L,C) */
    if (cfg->concepts > 0) { /* + the sum of the word's concept rows */
        if (!e->concept_tab) return ctx_fail(c, MOSA_ERR_ARG, "text_encoder_forward: the concept table is not set");
        const int K = cfg->concept_k;
        int32_t *cid = arena_alloc(&c->mem, sizeof(int32_t) * (size_t)B * (size_t)L * (size_t)K);
        if (!cid) return ctx_fail(c, MOSA_ERR_NOMEM, "text_encoder_forward: out of memory");
        for (int64_t i = 0; i < (int64_t)B * L; i++)
            memcpy(cid + i * K, e->concept_tab + (size_t)ids[i] * (size_t)K, sizeof(int32_t) * (size_t)K);
        tensor *g = op_embedding(c, e->concept_emb, cid, 3, (int64_t[]){B, L, K}); /* (B,L,K,C) */
        x = op_add(c, x, op_sum(c, g, 2, 0));
    }
    x = op_add(c, x, op_slice(c, e->pos_emb, 0, 0, L, 1));                   /* + (L,C) */
    for (int i = 0; i < cfg->layers; i++) x = nn_transformer_block_forward(c, &e->blocks[i], x, 0, mask);
    x = nn_layernorm_forward(c, &e->ln_f, x);
    if (x && pooled) {
        tensor *p = op_slice(c, x, 1, 0, 1, 1);                              /* (B,1,C) */
        *pooled = op_reshape(c, p, 2, (int64_t[]){B, cfg->width});
        if (!*pooled) return NULL;
    }
    return x;
}
