/* dit.c: the diffusion transformer of dit.h (CogVideoX's expert transformer, diffusers'
 * CogVideoXTransformer3DModel with use_rotary_positional_embeddings=True, patch_size_t=None).
 *
 * What this is: config parse/format, parameter creation under diffusers' state_dict names, and
 * the forward pass written as tensor ops (so the backward comes from the tape): patch and text
 * embedding, sinusoidal timestep embedding + MLP, `layers` CogVideoXBlocks over [text; video]
 * with one full attention (key mask for padded text, 3D RoPE on the video rows of q and k), the
 * final norms and projection, unpatchify. What this is not: the text encoder, the diffusion
 * schedule or the sampling loop (diffusion.c, t2v.c).
 *
 * Layout: latents are (B, C, F, h, w) at the API (vae.h's layout; diffusers takes (B, F, C, h,
 * w)); tokens are (B, L, width) rows; attention runs on (B, NH, L, D) views. The 3D RoPE is
 * applied to all L = Lt + Lv rows with identity rows (cos 1, sin 0) for the text tokens, which
 * is exactly "rotate the video rows only" and needs no slicing or concatenation of q and k. */
#include "dit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIT_MAX_LAYERS 128
#define DIT_MAX_TOKENS (1 << 22) /* Lt + Lv per sample */

/* One CogVideoXBlock (transformer_blocks.N). */
typedef struct dit_block {
    nn_linear norm1_linear;         /* norm1.linear: time_dim -> 6 width */
    nn_layernorm norm1;             /* norm1.norm, eps 1e-5, affine */
    nn_linear to_q, to_k, to_v, to_out; /* attn1.to_q/to_k/to_v/to_out.0 */
    nn_layernorm norm_q, norm_k;    /* attn1.norm_q/norm_k over D, eps 1e-6, affine */
    nn_linear norm2_linear;         /* norm2.linear */
    nn_layernorm norm2;             /* norm2.norm */
    nn_linear ff1, ff2;             /* ff.net.0.proj (tanh GELU), ff.net.2 */
} dit_block;

struct dit_model {
    dit_config cfg;
    tensor *patch_w, *patch_b;      /* patch_embed.proj: (width, latent_ch, p, p), (width) */
    nn_linear text_proj;            /* patch_embed.text_proj */
    nn_linear time_1, time_2;       /* time_embedding.linear_1, linear_2 */
    dit_block *blocks;
    nn_layernorm norm_final;        /* eps 1e-5, affine */
    nn_linear norm_out_linear;      /* norm_out.linear: time_dim -> 2 width (shift, scale) */
    nn_layernorm norm_out;          /* norm_out.norm, eps 1e-5, affine */
    nn_linear proj_out;             /* width -> p*p*latent_ch, zero-initialised */
};

/* ------------------------------------------------------------------------------------------ */
/* Config                                                                                      */
/* ------------------------------------------------------------------------------------------ */

dit_config dit_config_default(void) {
    dit_config c = {8, 2, 256, 8, 4, 4, 128, 256, 10000.0f};
    return c;
}

void dit_config_format(const dit_config *c, char *buf, size_t cap) {
    snprintf(buf, cap,
             "latent_ch=%d patch=%d width=%d layers=%d heads=%d mlp_ratio=%d text_dim=%d time_dim=%d rope_theta=%.9g",
             c->latent_ch, c->patch, c->width, c->layers, c->heads, c->mlp_ratio, c->text_dim, c->time_dim,
             (double)c->rope_theta);
}

static mosa_status config_check(const dit_config *c) {
    if (c->latent_ch < 1 || c->latent_ch > 1024)
        return mosa_fail(MOSA_ERR_ARG, "dit config: latent_ch %d must be in 1..1024", c->latent_ch);
    if (c->patch < 1 || c->patch > 16) return mosa_fail(MOSA_ERR_ARG, "dit config: patch %d must be in 1..16", c->patch);
    if (c->width < 16 || c->width > 16384)
        return mosa_fail(MOSA_ERR_ARG, "dit config: width %d must be in 16..16384", c->width);
    if (c->layers < 1 || c->layers > DIT_MAX_LAYERS)
        return mosa_fail(MOSA_ERR_ARG, "dit config: layers %d must be in 1..%d", c->layers, DIT_MAX_LAYERS);
    if (c->heads < 1 || c->heads > 256 || c->width % c->heads != 0)
        return mosa_fail(MOSA_ERR_ARG, "dit config: heads %d must be in 1..256 and divide width %d", c->heads,
                         c->width);
    if ((c->width / c->heads) % 16 != 0)
        return mosa_fail(MOSA_ERR_ARG,
                         "dit config: head dim %d (width %d / heads %d) must be a multiple of 16 for the 3D RoPE "
                         "split D/4 + 3D/8 + 3D/8 into even parts",
                         c->width / c->heads, c->width, c->heads);
    if (c->mlp_ratio < 1 || c->mlp_ratio > 16)
        return mosa_fail(MOSA_ERR_ARG, "dit config: mlp_ratio %d must be in 1..16", c->mlp_ratio);
    if (c->text_dim < 1 || c->text_dim > 16384 || c->time_dim < 1 || c->time_dim > 16384)
        return mosa_fail(MOSA_ERR_ARG, "dit config: text_dim %d and time_dim %d must be in 1..16384", c->text_dim,
                         c->time_dim);
    if (!(c->rope_theta > 1.0f && c->rope_theta < 1e9f))
        return mosa_fail(MOSA_ERR_ARG, "dit config: rope_theta %g must be in (1, 1e9)", (double)c->rope_theta);
    return MOSA_OK;
}

mosa_status dit_config_parse(dit_config *cfg, const char *s) {
    if (!cfg || !s) return mosa_fail(MOSA_ERR_ARG, "dit_config_parse: NULL argument");
    static const char *const keys[] = {"latent_ch", "patch",     "width",    "layers",    "heads",
                                       "mlp_ratio", "text_dim", "time_dim", "rope_theta"};
    enum { NKEYS = 9 };
    dit_config c = dit_config_default();
    int seen = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ' ') eq++;
        if (*eq != '=') return mosa_fail(MOSA_ERR_FORMAT, "dit config '%s': expected key=value at '%.20s'", s, p);
        const size_t klen = (size_t)(eq - p);
        const char *v = eq + 1;
        char *end;
        const double val = strtod(v, &end);
        if (end == v || (*end && *end != ' ' && *end != '\t' && *end != '\n'))
            return mosa_fail(MOSA_ERR_FORMAT, "dit config '%s': bad number for '%.*s'", s, (int)klen, p);
        int k = -1;
        for (int i = 0; i < NKEYS; i++)
            if (strlen(keys[i]) == klen && !strncmp(keys[i], p, klen)) k = i;
        if (k < 0) return mosa_fail(MOSA_ERR_FORMAT, "dit config '%s': unknown key '%.*s'", s, (int)klen, p);
        if (seen & (1 << k)) return mosa_fail(MOSA_ERR_FORMAT, "dit config '%s': '%s' given twice", s, keys[k]);
        if (k < NKEYS - 1 && (val != floor(val) || fabs(val) > 1e6))
            return mosa_fail(MOSA_ERR_FORMAT, "dit config '%s': '%s' must be an integer", s, keys[k]);
        const int iv = (int)val;
        switch (k) {
        case 0: c.latent_ch = iv; break;
        case 1: c.patch = iv; break;
        case 2: c.width = iv; break;
        case 3: c.layers = iv; break;
        case 4: c.heads = iv; break;
        case 5: c.mlp_ratio = iv; break;
        case 6: c.text_dim = iv; break;
        case 7: c.time_dim = iv; break;
        default: c.rope_theta = (float)val; break;
        }
        seen |= 1 << k;
        p = end;
    }
    if (seen != (1 << NKEYS) - 1)
        return mosa_fail(MOSA_ERR_FORMAT, "dit config '%s': every key (latent_ch patch width layers heads mlp_ratio "
                         "text_dim time_dim rope_theta) must be given", s);
    MOSA_TRY(config_check(&c));
    *cfg = c;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Build                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* "<a>.<b>" into buf. */
static const char *join(char *buf, size_t n, const char *a, const char *b) { return nn_name(buf, n, a, b); }

static mosa_status block_init(dit_block *b, param_store *ps, const char *prefix, const dit_config *c, mosa_rng *r) {
    char k[256];
    const int W = c->width, D = c->width / c->heads;
    MOSA_TRY(nn_linear_init(&b->norm1_linear, ps, join(k, sizeof k, prefix, "norm1.linear"), c->time_dim, 6 * W, 1, r));
    MOSA_TRY(nn_layernorm_init(&b->norm1, ps, join(k, sizeof k, prefix, "norm1.norm"), W, 1, 1e-5f));
    MOSA_TRY(nn_linear_init(&b->to_q, ps, join(k, sizeof k, prefix, "attn1.to_q"), W, W, 1, r));
    MOSA_TRY(nn_linear_init(&b->to_k, ps, join(k, sizeof k, prefix, "attn1.to_k"), W, W, 1, r));
    MOSA_TRY(nn_linear_init(&b->to_v, ps, join(k, sizeof k, prefix, "attn1.to_v"), W, W, 1, r));
    MOSA_TRY(nn_layernorm_init(&b->norm_q, ps, join(k, sizeof k, prefix, "attn1.norm_q"), D, 1, 1e-6f));
    MOSA_TRY(nn_layernorm_init(&b->norm_k, ps, join(k, sizeof k, prefix, "attn1.norm_k"), D, 1, 1e-6f));
    MOSA_TRY(nn_linear_init(&b->to_out, ps, join(k, sizeof k, prefix, "attn1.to_out.0"), W, W, 1, r));
    MOSA_TRY(nn_linear_init(&b->norm2_linear, ps, join(k, sizeof k, prefix, "norm2.linear"), c->time_dim, 6 * W, 1, r));
    MOSA_TRY(nn_layernorm_init(&b->norm2, ps, join(k, sizeof k, prefix, "norm2.norm"), W, 1, 1e-5f));
    MOSA_TRY(nn_linear_init(&b->ff1, ps, join(k, sizeof k, prefix, "ff.net.0.proj"), W, c->mlp_ratio * W, 1, r));
    MOSA_TRY(nn_linear_init(&b->ff2, ps, join(k, sizeof k, prefix, "ff.net.2"), c->mlp_ratio * W, W, 1, r));
    return MOSA_OK;
}

mosa_status dit_create(dit_model **out, param_store *ps, const char *prefix, const dit_config *cfg, mosa_rng *r) {
    if (!out) return mosa_fail(MOSA_ERR_ARG, "dit_create: NULL output");
    *out = NULL;
    if (!ps || !cfg || !r) return mosa_fail(MOSA_ERR_ARG, "dit_create: NULL argument");
    MOSA_TRY(config_check(cfg));
    if (ps->finalized)
        return mosa_fail(MOSA_ERR_ARG, "dit_create: the param store is already finalized; create the model first");
    dit_model *m = mosa_calloc(1, sizeof *m);
    if (!m) return MOSA_ERR_NOMEM;
    m->blocks = mosa_calloc((size_t)cfg->layers, sizeof *m->blocks);
    if (!m->blocks) {
        mosa_free(m);
        return MOSA_ERR_NOMEM;
    }
    m->cfg = *cfg;
    const dit_config *c = cfg;
    const char *pre = prefix ? prefix : "";
    char a[256], k[300];
    mosa_status s = MOSA_OK;
#define TRY(x) do { if ((s = (x)) != MOSA_OK) goto fail; } while (0)
    /* patch_embed.proj: PyTorch's Conv2d init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C p p */
    {
        const int p = c->patch, fan_in = c->latent_ch * p * p;
        const float bound = 1.0f / sqrtf((float)fan_in);
        m->patch_w = params_add(ps, join(k, sizeof k, pre, "patch_embed.proj.weight"),
                                T_SHAPE(c->width, c->latent_ch, p, p));
        m->patch_b = params_add(ps, join(k, sizeof k, pre, "patch_embed.proj.bias"), T_SHAPE(c->width));
        if (!m->patch_w || !m->patch_b) { s = MOSA_ERR_NOMEM; goto fail; }
        tensor *t[2] = {m->patch_w, m->patch_b};
        for (int i = 0; i < 2; i++) {
            const int64_t n = t_numel(t[i]);
            rng_uniform(r, t[i]->data, (size_t)n);
            for (int64_t j = 0; j < n; j++) t[i]->data[j] = (2.0f * t[i]->data[j] - 1.0f) * bound;
        }
    }
    TRY(nn_linear_init(&m->text_proj, ps, join(k, sizeof k, pre, "patch_embed.text_proj"), c->text_dim, c->width, 1, r));
    TRY(nn_linear_init(&m->time_1, ps, join(k, sizeof k, pre, "time_embedding.linear_1"), c->width, c->time_dim, 1, r));
    TRY(nn_linear_init(&m->time_2, ps, join(k, sizeof k, pre, "time_embedding.linear_2"), c->time_dim, c->time_dim, 1, r));
    for (int i = 0; i < c->layers; i++) {
        char b[64];
        snprintf(b, sizeof b, "transformer_blocks.%d", i);
        TRY(block_init(&m->blocks[i], ps, join(a, sizeof a, pre, b), c, r));
    }
    TRY(nn_layernorm_init(&m->norm_final, ps, join(k, sizeof k, pre, "norm_final"), c->width, 1, 1e-5f));
    TRY(nn_linear_init(&m->norm_out_linear, ps, join(k, sizeof k, pre, "norm_out.linear"), c->time_dim, 2 * c->width,
                       1, r));
    TRY(nn_layernorm_init(&m->norm_out, ps, join(k, sizeof k, pre, "norm_out.norm"), c->width, 1, 1e-5f));
    TRY(nn_linear_init(&m->proj_out, ps, join(k, sizeof k, pre, "proj_out"), c->width,
                       c->patch * c->patch * c->latent_ch, 1, r));
    /* zero-initialised output projection: a fresh model predicts exactly 0 */
    memset(m->proj_out.w->data, 0, (size_t)t_numel(m->proj_out.w) * sizeof(float));
    memset(m->proj_out.b->data, 0, (size_t)t_numel(m->proj_out.b) * sizeof(float));
#undef TRY
    *out = m;
    return MOSA_OK;
fail:
    mosa_free(m->blocks);
    mosa_free(m);
    return s;
}

void dit_free(dit_model *m) {
    if (!m) return;
    mosa_free(m->blocks);
    mosa_free(m);
}

const dit_config *dit_get_config(const dit_model *m) { return &m->cfg; }

/* ------------------------------------------------------------------------------------------ */
/* Token setup: geometry, key mask, RoPE tables                                                */
/* ------------------------------------------------------------------------------------------ */

mosa_status dit_tokens_setup(ctx *c, const dit_model *m, dit_tokens *tk, int B, int F, int hp, int wp, int Lt,
                             const uint8_t *text_mask) {
    memset(tk, 0, sizeof *tk);
    if (c->status != MOSA_OK) return c->status;
    if (B < 1 || F < 1 || hp < 1 || wp < 1 || Lt < 1) {
        ctx_fail(c, MOSA_ERR_ARG, "dit: batch %d, frames %d, token grid %dx%d and text length %d must all be >= 1", B,
                 F, hp, wp, Lt);
        return c->status;
    }
    const int64_t Lv = (int64_t)F * hp * wp, L = Lv + Lt;
    if (L > DIT_MAX_TOKENS || (int64_t)B * L > INT32_MAX) {
        ctx_fail(c, MOSA_ERR_ARG,
                 "dit: %d frames x %dx%d tokens + %d text tokens = %lld tokens per sample (batch %d) is more than "
                 "the %d supported; use a smaller size or fewer frames",
                 F, hp, wp, Lt, (long long)L, B, DIT_MAX_TOKENS);
        return c->status;
    }
    const int D = m->cfg.width / m->cfg.heads, P = D / 2;
    tk->B = B, tk->F = F, tk->hp = hp, tk->wp = wp, tk->Lt = Lt, tk->Lv = (int)Lv;
    tk->key_mask = arena_alloc(&c->mem, (size_t)(B * L));
    tk->rope_cos = arena_alloc(&c->mem, (size_t)(L * P) * sizeof(float));
    tk->rope_sin = arena_alloc(&c->mem, (size_t)(L * P) * sizeof(float));
    if (!tk->key_mask || !tk->rope_cos || !tk->rope_sin) {
        ctx_fail(c, MOSA_ERR_NOMEM, "dit: token tables: %s", mosa_last_error());
        return c->status;
    }
    for (int b = 0; b < B; b++) {
        uint8_t *row = tk->key_mask + (int64_t)b * L;
        for (int i = 0; i < Lt; i++) row[i] = text_mask ? (text_mask[(int64_t)b * Lt + i] != 0) : 1;
        memset(row + Lt, 1, (size_t)Lv);
    }
    /* text rows: rotation by angle 0 (the identity, exactly); video rows: CogVideoX's 3D RoPE
     * (get_3d_rotary_pos_embed: dim_t = D/4, dim_h = dim_w = 3D/8, integer grid positions) */
    for (int64_t i = 0; i < (int64_t)Lt * P; i++) tk->rope_cos[i] = 1.0f, tk->rope_sin[i] = 0.0f;
    rope_table_3d(tk->rope_cos + (int64_t)Lt * P, tk->rope_sin + (int64_t)Lt * P, F, hp, wp, D / 4, D / 8 * 3,
                  D / 8 * 3, m->cfg.rope_theta);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Embedding                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* diffusers' get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0):
 * freq_j = exp(-ln(10000) j / half), row = [cos(t freq), sin(t freq)] (+ a zero for odd dim).
 * Computed in double. Returns (B, dim). */
static tensor *timestep_proj(ctx *c, const float *t, int B, int dim) {
    tensor *e = t_zeros(c, T_SHAPE(B, dim));
    if (!e) return NULL;
    const int half = dim / 2;
    for (int b = 0; b < B; b++) {
        for (int j = 0; j < half; j++) {
            const double f = exp(-log(10000.0) * (double)j / (double)half);
            const double arg = (double)t[b] * f;
            e->data[(int64_t)b * dim + j] = (float)cos(arg);
            e->data[(int64_t)b * dim + half + j] = (float)sin(arg);
        }
    }
    return e;
}

/* (B, C, F, h, w) -> (B, F*hp*wp, C*p*p) patch rows, each in Conv2d weight order (c, py, px). */
static tensor *patchify(ctx *c, tensor *x, int p) {
    const int64_t B = x->shape[0], C = x->shape[1], F = x->shape[2], hp = x->shape[3] / p, wp = x->shape[4] / p;
    static const int perm_a[5] = {0, 1, 3, 2, 4}; /* (BCF, hp, py, wp, px) -> (BCF, hp, wp, py, px) */
    static const int perm_b[4] = {0, 2, 1, 3};    /* (B, C, Lv, pp) -> (B, Lv, C, pp) */
    tensor *y = op_reshape(c, x, T_SHAPE(B * C * F, hp, p, wp, p));
    y = op_reshape(c, op_permute(c, y, perm_a), T_SHAPE(B, C, F * hp * wp, p * p));
    return op_reshape(c, op_permute(c, y, perm_b), T_SHAPE(B, F * hp * wp, C * p * p));
}

/* (B, Lv, C*p*p) rows in (c, py, px) order -> (B, C, F, h, w): diffusers' unpatchify
 * reshape(B, F, hp, wp, C, p, p).permute(0, 1, 4, 2, 5, 3, 6) with our channel-first layout. */
static tensor *unpatchify(ctx *c, tensor *y, int64_t C, int64_t F, int64_t hp, int64_t wp, int p) {
    const int64_t B = y->shape[0], Lv = y->shape[1];
    static const int perm_a[4] = {0, 2, 1, 3};    /* (B, Lv, C, pp) -> (B, C, Lv, pp) */
    static const int perm_b[5] = {0, 1, 3, 2, 4}; /* (BCF, hp, wp, py, px) -> (BCF, hp, py, wp, px) */
    tensor *z = op_reshape(c, y, T_SHAPE(B, Lv, C, p * p));
    z = op_reshape(c, op_permute(c, z, perm_a), T_SHAPE(B * C * F, hp, wp, p, p));
    return op_reshape(c, op_permute(c, z, perm_b), T_SHAPE(B, C, F, hp * p, wp * p));
}

mosa_status dit_embed(ctx *c, const dit_model *m, tensor *x, tensor *text, const uint8_t *text_mask, const float *t,
                      dit_tokens *tk) {
    memset(tk, 0, sizeof *tk);
    if (c->status != MOSA_OK) return c->status;
    const dit_config *cf = &m->cfg;
    char sx[64], st[64];
    if (!x || !text || !t) {
        ctx_fail(c, MOSA_ERR_ARG, "dit_forward: latents, text features and timesteps are required (one is NULL)");
        return c->status;
    }
    t_shape_str(x, sx, sizeof sx);
    t_shape_str(text, st, sizeof st);
    if (x->nd != 5 || x->shape[1] != cf->latent_ch) {
        ctx_fail(c, MOSA_ERR_ARG, "dit_forward: latents %s must be (B, %d, F, h, w) (latent_ch = %d channels)", sx,
                 cf->latent_ch, cf->latent_ch);
        return c->status;
    }
    if (x->shape[3] % cf->patch || x->shape[4] % cf->patch || x->shape[3] < cf->patch || x->shape[4] < cf->patch) {
        ctx_fail(c, MOSA_ERR_ARG,
                 "dit_forward: latent size %lldx%lld (latents %s) must be a positive multiple of the patch size %d; "
                 "pick a video size that is a multiple of the VAE factor times %d",
                 (long long)x->shape[3], (long long)x->shape[4], sx, cf->patch, cf->patch);
        return c->status;
    }
    if (text->nd != 3 || text->shape[0] != x->shape[0] || text->shape[2] != cf->text_dim) {
        ctx_fail(c, MOSA_ERR_ARG, "dit_forward: text features %s must be (B=%lld, Lt, %d) for latents %s", st,
                 (long long)x->shape[0], cf->text_dim, sx);
        return c->status;
    }
    if (x->shape[0] > 65536 || x->shape[2] > 65536 || x->shape[3] > 65536 || x->shape[4] > 65536 ||
        text->shape[1] > 65536) {
        ctx_fail(c, MOSA_ERR_ARG, "dit_forward: latents %s / text %s are absurdly large", sx, st);
        return c->status;
    }
    const int B = (int)x->shape[0], F = (int)x->shape[2], p = cf->patch;
    const int hp = (int)x->shape[3] / p, wp = (int)x->shape[4] / p, Lt = (int)text->shape[1];
    for (int b = 0; b < B; b++)
        if (!isfinite(t[b])) {
            ctx_fail(c, MOSA_ERR_ARG, "dit_forward: timestep %d of the batch is not finite", b);
            return c->status;
        }
    if (dit_tokens_setup(c, m, tk, B, F, hp, wp, Lt, text_mask) != MOSA_OK) return c->status;
    /* time_proj -> time_embedding (linear_1, SiLU, linear_2) */
    tensor *e = timestep_proj(c, t, B, cf->width);
    e = nn_linear_forward(c, &m->time_2, op_silu(c, nn_linear_forward(c, &m->time_1, e)));
    /* patch_embed: Conv2d(p, stride p) per frame as a linear over patch rows; text_proj */
    tensor *w = op_reshape(c, m->patch_w, T_SHAPE(cf->width, (int64_t)cf->latent_ch * p * p));
    tensor *v = op_linear(c, patchify(c, x, p), w, m->patch_b);
    tensor *tx = nn_linear_forward(c, &m->text_proj, text);
    tk->temb = e, tk->video = v, tk->text = tx;
    return c->status != MOSA_OK ? c->status : (e && v && tx ? MOSA_OK : MOSA_ERR_ARG);
}

/* ------------------------------------------------------------------------------------------ */
/* Blocks                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* CogVideoXLayerNormZero: LayerNorm (shared affine) then per-stream modulation from
 * mod (B, 6 width) = [shift, scale, gate, enc_shift, enc_scale, enc_gate]. The text and video
 * rows are modulated separately and concatenated [text; video]; the gates come back as
 * (B, 1, width) views. */
static tensor *norm_zero(ctx *c, const nn_layernorm *norm, tensor *mod, const dit_tokens *tk, int W, tensor **gate,
                         tensor **enc_gate) {
    const int64_t B = tk->B;
    tensor *mod3 = op_reshape(c, mod, T_SHAPE(B, 6, W));
    *gate = op_slice(c, mod3, 1, 2, 1, 1);
    *enc_gate = op_slice(c, mod3, 1, 5, 1, 1);
    tensor *nv = op_modulate(c, nn_layernorm_forward(c, norm, tk->video), op_slice(c, mod, 1, 0, W, 1),
                             op_slice(c, mod, 1, W, W, 1));
    tensor *nt = op_modulate(c, nn_layernorm_forward(c, norm, tk->text), op_slice(c, mod, 1, 3 * W, W, 1),
                             op_slice(c, mod, 1, 4 * W, W, 1));
    tensor *parts[2] = {nt, nv};
    return op_concat(c, parts, 2, 1);
}

/* text += enc_gate * y[:, :Lt]; video += gate * y[:, Lt:] */
static void gated_residual(ctx *c, dit_tokens *tk, tensor *y, tensor *gate, tensor *enc_gate) {
    tensor *yt = op_slice(c, y, 1, 0, tk->Lt, 1), *yv = op_slice(c, y, 1, tk->Lt, tk->Lv, 1);
    tk->video = op_add(c, tk->video, op_mul(c, gate, yv));
    tk->text = op_add(c, tk->text, op_mul(c, enc_gate, yt));
}

mosa_status dit_block_forward(ctx *c, const dit_model *m, int layer, dit_tokens *tk) {
    if (c->status != MOSA_OK) return c->status;
    if (layer < 0 || layer >= m->cfg.layers) {
        ctx_fail(c, MOSA_ERR_ARG, "dit_block_forward: layer %d is not in 0..%d", layer, m->cfg.layers - 1);
        return c->status;
    }
    if (!tk->video || !tk->text || !tk->temb || !tk->key_mask) {
        ctx_fail(c, MOSA_ERR_ARG, "dit_block_forward: tokens not set up (dit_embed or dit_tokens_setup first)");
        return c->status;
    }
    const dit_block *b = &m->blocks[layer];
    const int W = m->cfg.width, NH = m->cfg.heads, D = W / NH;
    const tensor *tv = tk->video, *tt = tk->text, *te = tk->temb;
    if (tv->nd != 3 || tv->shape[0] != tk->B || tv->shape[1] != tk->Lv || tv->shape[2] != W || tt->nd != 3 ||
        tt->shape[0] != tk->B || tt->shape[1] != tk->Lt || tt->shape[2] != W || te->nd != 2 || te->shape[0] != tk->B ||
        te->shape[1] != m->cfg.time_dim) {
        char s1[64], s2[64], s3[64];
        ctx_fail(c, MOSA_ERR_ARG, "dit_block_forward: video %s, text %s and temb %s must be (%d, %d, %d), (%d, %d, %d) "
                 "and (%d, %d)", t_shape_str(tv, s1, sizeof s1), t_shape_str(tt, s2, sizeof s2),
                 t_shape_str(te, s3, sizeof s3), tk->B, tk->Lv, W, tk->B, tk->Lt, W, tk->B, m->cfg.time_dim);
        return c->status;
    }
    const int64_t B = tk->B, L = (int64_t)tk->Lt + tk->Lv;
    static const int to_heads[4] = {0, 2, 1, 3}; /* (B, L, NH, D) -> (B, NH, L, D) */
    tensor *temb = op_silu(c, tk->temb);

    /* attention */
    tensor *gate, *enc_gate;
    tensor *h = norm_zero(c, &b->norm1, nn_linear_forward(c, &b->norm1_linear, temb), tk, W, &gate, &enc_gate);
    tensor *q = nn_layernorm_forward(c, &b->norm_q, op_reshape(c, nn_linear_forward(c, &b->to_q, h), T_SHAPE(B, L, NH, D)));
    tensor *k = nn_layernorm_forward(c, &b->norm_k, op_reshape(c, nn_linear_forward(c, &b->to_k, h), T_SHAPE(B, L, NH, D)));
    tensor *v = op_reshape(c, nn_linear_forward(c, &b->to_v, h), T_SHAPE(B, L, NH, D));
    q = op_rope(c, op_permute(c, q, to_heads), tk->rope_cos, tk->rope_sin);
    k = op_rope(c, op_permute(c, k, to_heads), tk->rope_cos, tk->rope_sin);
    tensor *o = op_attention(c, q, k, op_permute(c, v, to_heads), 0, tk->key_mask, 0.0f); /* (B, NH, L, D) */
    o = op_reshape(c, op_transpose(c, o, 1, 2), T_SHAPE(B, L, W));
    gated_residual(c, tk, nn_linear_forward(c, &b->to_out, o), gate, enc_gate);

    /* feed-forward */
    h = norm_zero(c, &b->norm2, nn_linear_forward(c, &b->norm2_linear, temb), tk, W, &gate, &enc_gate);
    h = nn_linear_forward(c, &b->ff2, op_gelu(c, nn_linear_forward(c, &b->ff1, h), 1));
    gated_residual(c, tk, h, gate, enc_gate);
    if (c->status == MOSA_OK && (!tk->video || !tk->text)) ctx_fail(c, MOSA_ERR_ARG, "dit_block_forward: failed");
    return c->status;
}

tensor *dit_unembed(ctx *c, const dit_model *m, const dit_tokens *tk) {
    if (c->status != MOSA_OK || !tk->video || !tk->temb) return NULL;
    const dit_config *cf = &m->cfg;
    const int W = cf->width;
    /* norm_final, then AdaLayerNorm(chunk_dim=1): [shift, scale] = linear(SiLU(temb)) */
    tensor *hv = nn_layernorm_forward(c, &m->norm_final, tk->video);
    tensor *mod = nn_linear_forward(c, &m->norm_out_linear, op_silu(c, tk->temb));
    hv = op_modulate(c, nn_layernorm_forward(c, &m->norm_out, hv), op_slice(c, mod, 1, 0, W, 1),
                     op_slice(c, mod, 1, W, W, 1));
    tensor *y = nn_linear_forward(c, &m->proj_out, hv); /* (B, Lv, C p p) */
    if (!y) return NULL;
    return unpatchify(c, y, cf->latent_ch, tk->F, tk->hp, tk->wp, cf->patch);
}

tensor *dit_forward(ctx *c, const dit_model *m, tensor *x, tensor *text, const uint8_t *text_mask, const float *t) {
    dit_tokens tk;
    if (dit_embed(c, m, x, text, text_mask, t, &tk) != MOSA_OK) return NULL;
    for (int i = 0; i < m->cfg.layers; i++)
        if (dit_block_forward(c, m, i, &tk) != MOSA_OK) return NULL;
    return dit_unembed(c, m, &tk);
}

/* ------------------------------------------------------------------------------------------ */
/* Memory estimate                                                                             */
/* ------------------------------------------------------------------------------------------ */

size_t dit_forward_bytes(const dit_config *cfg, int B, int F, int h, int w, int Lt) {
    if (!cfg || B < 1 || F < 1 || h < 1 || w < 1 || Lt < 0 || cfg->patch < 1 || cfg->heads < 1) return SIZE_MAX;
    const double p = cfg->patch, W = cfg->width, NH = cfg->heads, D = W / NH;
    const double Lv = (double)F * (h / cfg->patch) * (w / cfg->patch), L = Lv + Lt;
    const double X = (double)B * L * W;         /* one (B, L, width) activation */
    const double in = (double)B * cfg->latent_ch * F * h * w;
    /* floats per block, counted from dit_block_forward's op outputs (and the contiguous copies
     * ops make of strided inputs): norms, modulations, concat, q/k/v, q/k norms, rope, attention
     * output + transposed copy + projection, gated residuals (x2 each); the same for the MLP
     * with its two hidden (mlp_ratio * width) activations; the per-row attention statistics and
     * the copied rope tables. */
    const double per_block = (27.0 + 2.0 * cfg->mlp_ratio) * X + 4.0 * B * NH * L + 2.0 * L * D +
                             64.0 * (cfg->time_dim + W) * B;
    const double embed = 3.0 * in + (double)B * Lv * p * p * cfg->latent_ch + 2.0 * X + (double)B * Lt * cfg->text_dim +
                         L * D + 4.0 * B * (W + cfg->time_dim);
    const double out = 4.0 * (double)B * Lv * W + 3.0 * in + 8.0 * B * W;
    const double bytes = 4.0 * (per_block * cfg->layers + embed + out) + (double)B * L +
                         64.0 * 160.0 * (cfg->layers + 2); /* alignment slack per allocation */
    return bytes >= (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}
