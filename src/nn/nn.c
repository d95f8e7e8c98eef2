/* nn.c: layers over tensor ops; see nn.h. */
#include "nn.h"

#include <math.h>
#include <string.h>

const char *nn_name(char *buf, size_t n, const char *prefix, const char *name) {
    if (prefix && prefix[0]) snprintf(buf, n, "%s.%s", prefix, name);
    else snprintf(buf, n, "%s", name);
    return buf;
}

/* Adds "<prefix>.<name>" with the given shape, filled with U(-bound, bound) (bound 0: zeros,
 * bound < 0: ones). */
static tensor *add_param(param_store *ps, const char *prefix, const char *name, int nd, const int64_t *shape,
                         float bound, mosa_rng *r) {
    char key[256];
    tensor *t = params_add(ps, nn_name(key, sizeof key, prefix, name), nd, shape);
    if (!t) return NULL;
    const int64_t n = t_numel(t);
    if (bound > 0) {
        rng_uniform(r, t->data, (size_t)n);
        for (int64_t i = 0; i < n; i++) t->data[i] = (2.0f * t->data[i] - 1.0f) * bound;
    } else if (bound < 0) {
        for (int64_t i = 0; i < n; i++) t->data[i] = 1.0f;
    }
    return t;
}

/* ---- Linear ---- */

mosa_status nn_linear_init(nn_linear *l, param_store *ps, const char *prefix, int in, int out, int bias, mosa_rng *r) {
    memset(l, 0, sizeof *l);
    l->in = in;
    l->out = out;
    const float bound = 1.0f / sqrtf((float)in);
    l->w = add_param(ps, prefix, "weight", T_SHAPE(out, in), bound, r);
    if (!l->w) return MOSA_ERR_NOMEM;
    if (bias) {
        l->b = add_param(ps, prefix, "bias", T_SHAPE(out), bound, r);
        if (!l->b) return MOSA_ERR_NOMEM;
    }
    return MOSA_OK;
}

tensor *nn_linear_forward(ctx *c, const nn_linear *l, tensor *x) { return op_linear(c, x, l->w, l->b); }

/* ---- norms ---- */

mosa_status nn_layernorm_init(nn_layernorm *l, param_store *ps, const char *prefix, int C, int affine, float eps) {
    memset(l, 0, sizeof *l);
    l->eps = eps;
    if (affine) {
        l->w = add_param(ps, prefix, "weight", T_SHAPE(C), -1.0f, NULL);
        l->b = add_param(ps, prefix, "bias", T_SHAPE(C), 0.0f, NULL);
        if (!l->w || !l->b) return MOSA_ERR_NOMEM;
    }
    return MOSA_OK;
}

tensor *nn_layernorm_forward(ctx *c, const nn_layernorm *l, tensor *x) { return op_layernorm(c, x, l->w, l->b, l->eps); }

mosa_status nn_groupnorm_init(nn_groupnorm *l, param_store *ps, const char *prefix, int G, int C, float eps) {
    memset(l, 0, sizeof *l);
    l->G = G;
    l->eps = eps;
    l->w = add_param(ps, prefix, "weight", T_SHAPE(C), -1.0f, NULL);
    l->b = add_param(ps, prefix, "bias", T_SHAPE(C), 0.0f, NULL);
    return l->w && l->b ? MOSA_OK : MOSA_ERR_NOMEM;
}

tensor *nn_groupnorm_forward(ctx *c, const nn_groupnorm *l, tensor *x) {
    return op_groupnorm(c, x, l->G, l->w, l->b, l->eps);
}

/* ---- attention ---- */

mosa_status nn_attention_init(nn_attention *a, param_store *ps, const char *prefix, int C, int NH, mosa_rng *r) {
    memset(a, 0, sizeof *a);
    if (NH <= 0 || C % NH != 0) return mosa_fail(MOSA_ERR_ARG, "attention '%s': width %d is not a multiple of %d heads", prefix, C, NH);
    a->C = C;
    a->NH = NH;
    char key[256];
    MOSA_TRY(nn_linear_init(&a->qkv, ps, nn_name(key, sizeof key, prefix, "qkv"), C, 3 * C, 1, r));
    MOSA_TRY(nn_linear_init(&a->proj, ps, nn_name(key, sizeof key, prefix, "proj"), C, C, 1, r));
    return MOSA_OK;
}

tensor *nn_attention_forward(ctx *c, const nn_attention *a, tensor *x, int causal, const uint8_t *key_mask,
                             const float *rope_cos, const float *rope_sin) {
    if (!x) return NULL;
    T_CHECK(c, x->nd == 3 && x->shape[2] == a->C, "attention: input must be (B,T,%d)", a->C);
    const int64_t B = x->shape[0], T = x->shape[1], NH = a->NH, D = a->C / a->NH;
    tensor *qkv = nn_linear_forward(c, &a->qkv, x);               /* (B,T,3C) */
    qkv = op_reshape(c, qkv, T_SHAPE(B, T, 3, NH, D));
    static const int perm[5] = {2, 0, 3, 1, 4};                    /* -> (3,B,NH,T,D) */
    qkv = op_permute(c, qkv, perm);
    tensor *q = op_reshape(c, op_slice(c, qkv, 0, 0, 1, 1), T_SHAPE(B, NH, T, D));
    tensor *k = op_reshape(c, op_slice(c, qkv, 0, 1, 1, 1), T_SHAPE(B, NH, T, D));
    tensor *v = op_reshape(c, op_slice(c, qkv, 0, 2, 1, 1), T_SHAPE(B, NH, T, D));
    if (rope_cos && rope_sin) {
        q = op_rope(c, q, rope_cos, rope_sin);
        k = op_rope(c, k, rope_cos, rope_sin);
    }
    tensor *o = op_attention(c, q, k, v, causal, key_mask, 0.0f); /* (B,NH,T,D) */
    o = op_reshape(c, op_transpose(c, o, 1, 2), T_SHAPE(B, T, a->C));
    return nn_linear_forward(c, &a->proj, o);
}

/* ---- MLP ---- */

mosa_status nn_mlp_init(nn_mlp *m, param_store *ps, const char *prefix, int C, int hidden, int gelu_tanh, mosa_rng *r) {
    memset(m, 0, sizeof *m);
    m->gelu_tanh = gelu_tanh;
    char key[256];
    MOSA_TRY(nn_linear_init(&m->fc1, ps, nn_name(key, sizeof key, prefix, "fc1"), C, hidden, 1, r));
    MOSA_TRY(nn_linear_init(&m->fc2, ps, nn_name(key, sizeof key, prefix, "fc2"), hidden, C, 1, r));
    return MOSA_OK;
}

tensor *nn_mlp_forward(ctx *c, const nn_mlp *m, tensor *x) {
    return nn_linear_forward(c, &m->fc2, op_gelu(c, nn_linear_forward(c, &m->fc1, x), m->gelu_tanh));
}

/* ---- transformer block ---- */

mosa_status nn_transformer_block_init(nn_transformer_block *b, param_store *ps, const char *prefix, int C, int NH,
                                      int mlp_ratio, mosa_rng *r) {
    char key[256];
    MOSA_TRY(nn_layernorm_init(&b->ln1, ps, nn_name(key, sizeof key, prefix, "ln1"), C, 1, 1e-5f));
    MOSA_TRY(nn_attention_init(&b->attn, ps, nn_name(key, sizeof key, prefix, "attn"), C, NH, r));
    MOSA_TRY(nn_layernorm_init(&b->ln2, ps, nn_name(key, sizeof key, prefix, "ln2"), C, 1, 1e-5f));
    MOSA_TRY(nn_mlp_init(&b->mlp, ps, nn_name(key, sizeof key, prefix, "mlp"), C, C * mlp_ratio, 0, r));
    return MOSA_OK;
}

tensor *nn_transformer_block_forward(ctx *c, const nn_transformer_block *b, tensor *x, int causal,
                                     const uint8_t *key_mask) {
    x = op_add(c, x, nn_attention_forward(c, &b->attn, nn_layernorm_forward(c, &b->ln1, x), causal, key_mask, NULL, NULL));
    x = op_add(c, x, nn_mlp_forward(c, &b->mlp, nn_layernorm_forward(c, &b->ln2, x)));
    return x;
}

/* ---- DiT block ---- */

mosa_status nn_dit_block_init(nn_dit_block *b, param_store *ps, const char *prefix, int C, int NH, int mlp_ratio,
                              mosa_rng *r) {
    memset(b, 0, sizeof *b);
    b->C = C;
    char key[256];
    MOSA_TRY(nn_layernorm_init(&b->norm1, ps, nn_name(key, sizeof key, prefix, "norm1"), C, 0, 1e-6f));
    MOSA_TRY(nn_attention_init(&b->attn, ps, nn_name(key, sizeof key, prefix, "attn"), C, NH, r));
    MOSA_TRY(nn_layernorm_init(&b->norm2, ps, nn_name(key, sizeof key, prefix, "norm2"), C, 0, 1e-6f));
    MOSA_TRY(nn_mlp_init(&b->mlp, ps, nn_name(key, sizeof key, prefix, "mlp"), C, C * mlp_ratio, 1, r));
    MOSA_TRY(nn_linear_init(&b->ada, ps, nn_name(key, sizeof key, prefix, "adaLN_modulation.1"), C, 6 * C, 1, r));
    /* adaLN-Zero: the modulation starts at zero so every gate is closed. */
    memset(b->ada.w->data, 0, (size_t)t_numel(b->ada.w) * sizeof(float));
    memset(b->ada.b->data, 0, (size_t)t_numel(b->ada.b) * sizeof(float));
    return MOSA_OK;
}

tensor *nn_dit_block_forward(ctx *c, const nn_dit_block *b, tensor *x, tensor *cond, const float *rope_cos,
                             const float *rope_sin) {
    if (!x || !cond) return NULL;
    const int64_t B = x->shape[0], C = b->C;
    T_CHECK(c, x->nd == 3 && x->shape[2] == C && cond->nd == 2 && cond->shape[0] == B && cond->shape[1] == C,
            "dit block: x must be (B,T,%lld) and cond (B,%lld)", (long long)C, (long long)C);
    tensor *mod = nn_linear_forward(c, &b->ada, op_silu(c, cond)); /* (B,6C) */
    tensor *m[6];
    for (int i = 0; i < 6; i++) m[i] = op_slice(c, mod, 1, i * C, C, 1);
    /* chunk order as DiT: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp */
    tensor *h = op_modulate(c, nn_layernorm_forward(c, &b->norm1, x), m[0], m[1]);
    h = nn_attention_forward(c, &b->attn, h, 0, NULL, rope_cos, rope_sin);
    x = op_add(c, x, op_mul(c, h, op_reshape(c, m[2], T_SHAPE(B, 1, C))));
    h = op_modulate(c, nn_layernorm_forward(c, &b->norm2, x), m[3], m[4]);
    h = nn_mlp_forward(c, &b->mlp, h);
    x = op_add(c, x, op_mul(c, h, op_reshape(c, m[5], T_SHAPE(B, 1, C))));
    return x;
}

/* ---- causal conv3d and the ResNet block ---- */

mosa_status nn_causal_conv3d_init(nn_causal_conv3d *l, param_store *ps, const char *prefix, int C, int F, int k,
                                  mosa_rng *r) {
    memset(l, 0, sizeof *l);
    l->C = C;
    l->F = F;
    l->k = k;
    char key[256];
    const float bound = 1.0f / sqrtf((float)(C * k * k * k));
    l->w = add_param(ps, nn_name(key, sizeof key, prefix, "conv"), "weight", T_SHAPE(F, C, k, k, k), bound, r);
    l->b = add_param(ps, nn_name(key, sizeof key, prefix, "conv"), "bias", T_SHAPE(F), bound, r);
    return l->w && l->b ? MOSA_OK : MOSA_ERR_NOMEM;
}

tensor *nn_causal_conv3d_forward(ctx *c, const nn_causal_conv3d *l, tensor *x, tensor *cache) {
    const int stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1}, pad_hw[2] = {l->k / 2, l->k / 2};
    return op_conv3d_causal(c, x, l->w, l->b, stride, pad_hw, dil, cache);
}

mosa_status nn_resnet3d_init(nn_resnet3d *b, param_store *ps, const char *prefix, int C, int F, int groups,
                             mosa_rng *r) {
    memset(b, 0, sizeof *b);
    b->C = C;
    b->F = F;
    char key[256];
    MOSA_TRY(nn_groupnorm_init(&b->norm1, ps, nn_name(key, sizeof key, prefix, "norm1"), groups, C, 1e-6f));
    MOSA_TRY(nn_causal_conv3d_init(&b->conv1, ps, nn_name(key, sizeof key, prefix, "conv1"), C, F, 3, r));
    MOSA_TRY(nn_groupnorm_init(&b->norm2, ps, nn_name(key, sizeof key, prefix, "norm2"), groups, F, 1e-6f));
    MOSA_TRY(nn_causal_conv3d_init(&b->conv2, ps, nn_name(key, sizeof key, prefix, "conv2"), F, F, 3, r));
    if (C != F) {
        const float bound = 1.0f / sqrtf((float)C);
        b->short_w = add_param(ps, nn_name(key, sizeof key, prefix, "conv_shortcut"), "weight", T_SHAPE(F, C, 1, 1, 1), bound, r);
        b->short_b = add_param(ps, nn_name(key, sizeof key, prefix, "conv_shortcut"), "bias", T_SHAPE(F), bound, r);
        if (!b->short_w || !b->short_b) return MOSA_ERR_NOMEM;
    }
    return MOSA_OK;
}

tensor *nn_resnet3d_forward(ctx *c, const nn_resnet3d *b, tensor *x) {
    tensor *h = op_silu(c, nn_groupnorm_forward(c, &b->norm1, x));
    h = nn_causal_conv3d_forward(c, &b->conv1, h, NULL);
    h = op_silu(c, nn_groupnorm_forward(c, &b->norm2, h));
    h = nn_causal_conv3d_forward(c, &b->conv2, h, NULL);
    if (b->short_w) {
        const int one[3] = {1, 1, 1}, zero[3] = {0, 0, 0};
        x = op_conv3d(c, x, b->short_w, b->short_b, one, zero, one);
    }
    return op_add(c, x, h);
}
