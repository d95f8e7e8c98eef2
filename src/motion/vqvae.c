/* vqvae.c: the motion VQ-VAE of vqvae.h (T2M-GPT's VQVAE_251 with its "ema_reset" quantizer).
 *
 * What this is: the 1D-conv encoder and decoder (models/encdec.py, models/resnet.py), the
 * nearest-code quantizer with straight-through gradient and commitment loss, the EMA codebook
 * update with dead-code reset (models/quantize_cnn.py, QuantizeEMAReset), the training loss of
 * train_vq.py (smooth-L1 reconstruction + loss_vel * smooth-L1 on the RIC joint positions +
 * commit * commitment) and the model file (export / load). What this is not: the training loop
 * (train_vqvae.c) nor the GPT over the codes (t2m.c).
 *
 * Layout: features are (B,T,C) at the API, (B,C,T) inside (PyTorch's Conv1d layout). */
#include "vqvae.h"

#include "../tensor/safetensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VQ_MAX_DOWN 6
#define VQ_MAX_DEPTH 8

typedef struct conv1 {
    tensor *w, *b; /* (F,C,K), (F) */
    int C, F, K, stride, pad, dil;
} conv1;

typedef struct resblock {
    conv1 c1, c2; /* act -> conv1 (k3, dilation d, pad d) -> act -> conv2 (k1); + residual */
} resblock;

struct vqvae {
    vqvae_config cfg;
    char prefix[128];
    param_store *ps;
    int p_first, p_end; /* this model's parameters are ps->t[p_first .. p_end) */
    conv1 enc_in, enc_down[VQ_MAX_DOWN], enc_out;
    resblock enc_res[VQ_MAX_DOWN][VQ_MAX_DEPTH];
    conv1 dec_in, dec_up[VQ_MAX_DOWN], dec_post, dec_out;
    resblock dec_res[VQ_MAX_DOWN][VQ_MAX_DEPTH];
    tensor *codebook, *code_sum, *code_count; /* (K,D), (K,D), (K): frozen parameters */
    /* the last training batch: encoder outputs and their codes, for vqvae_ema_update */
    float *z_last;
    int32_t *codes_last;
    int n_last, cap_last;
    float *work;
    size_t work_cap;
};

/* ------------------------------------------------------------------------------------------ */
/* Config                                                                                      */
/* ------------------------------------------------------------------------------------------ */

vqvae_config vqvae_config_default(void) {
    vqvae_config c = {263, 128, 3, 3, 2, 256, 128, 0.99f};
    return c;
}

void vqvae_config_format(const vqvae_config *c, char *buf, size_t cap) {
    snprintf(buf, cap, "in_dim=%d width=%d depth=%d dilation_growth=%d down_t=%d codes=%d code_dim=%d mu=%.9g",
             c->in_dim, c->width, c->depth, c->dilation_growth, c->down_t, c->codes, c->code_dim, (double)c->mu);
}

static mosa_status config_check(const vqvae_config *c) {
    if (c->in_dim < 1 || c->in_dim > 4096 || c->width < 1 || c->width > 4096 || c->code_dim < 1 || c->code_dim > 4096)
        return mosa_fail(MOSA_ERR_ARG, "vqvae config: in_dim %d, width %d and code_dim %d must be in 1..4096",
                         c->in_dim, c->width, c->code_dim);
    if (c->depth < 1 || c->depth > VQ_MAX_DEPTH)
        return mosa_fail(MOSA_ERR_ARG, "vqvae config: depth %d must be in 1..%d", c->depth, VQ_MAX_DEPTH);
    if (c->down_t < 0 || c->down_t > VQ_MAX_DOWN)
        return mosa_fail(MOSA_ERR_ARG, "vqvae config: down_t %d must be in 0..%d", c->down_t, VQ_MAX_DOWN);
    if (c->dilation_growth < 1 || c->dilation_growth > 16)
        return mosa_fail(MOSA_ERR_ARG, "vqvae config: dilation_growth %d must be in 1..16", c->dilation_growth);
    if (c->codes < 2 || c->codes > 65536)
        return mosa_fail(MOSA_ERR_ARG, "vqvae config: codes %d must be in 2..65536", c->codes);
    if (!(c->mu >= 0.0f && c->mu < 1.0f))
        return mosa_fail(MOSA_ERR_ARG, "vqvae config: mu %g must be in [0, 1)", (double)c->mu);
    return MOSA_OK;
}

mosa_status vqvae_config_parse(vqvae_config *cfg, const char *s) {
    if (!cfg || !s) return mosa_fail(MOSA_ERR_ARG, "vqvae_config_parse: NULL argument");
    vqvae_config c = vqvae_config_default();
    int seen = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ' ') eq++;
        if (*eq != '=') return mosa_fail(MOSA_ERR_FORMAT, "vqvae config '%s': expected key=value at '%.20s'", s, p);
        size_t klen = (size_t)(eq - p);
        const char *v = eq + 1;
        char *end;
        double val = strtod(v, &end);
        if (end == v || (*end && *end != ' ' && *end != '\t' && *end != '\n'))
            return mosa_fail(MOSA_ERR_FORMAT, "vqvae config '%s': bad number for '%.*s'", s, (int)klen, p);
        static const char *const keys[] = {"in_dim", "width", "depth", "dilation_growth", "down_t", "codes",
                                           "code_dim", "mu"};
        int k = -1;
        for (int i = 0; i < 8; i++)
            if (strlen(keys[i]) == klen && !strncmp(keys[i], p, klen)) k = i;
        if (k < 0) return mosa_fail(MOSA_ERR_FORMAT, "vqvae config '%s': unknown key '%.*s'", s, (int)klen, p);
        if (k < 7 && (val != floor(val) || fabs(val) > 1e6))
            return mosa_fail(MOSA_ERR_FORMAT, "vqvae config '%s': '%s' must be an integer", s, keys[k]);
        int iv = (int)val;
        switch (k) {
        case 0: c.in_dim = iv; break;
        case 1: c.width = iv; break;
        case 2: c.depth = iv; break;
        case 3: c.dilation_growth = iv; break;
        case 4: c.down_t = iv; break;
        case 5: c.codes = iv; break;
        case 6: c.code_dim = iv; break;
        default: c.mu = (float)val; break;
        }
        seen |= 1 << k;
        p = end;
    }
    if (seen != 0xff) return mosa_fail(MOSA_ERR_FORMAT, "vqvae config '%s': every key (in_dim width depth "
                                       "dilation_growth down_t codes code_dim mu) must be given", s);
    MOSA_TRY(config_check(&c));
    *cfg = c;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Build                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* PyTorch's Conv1d init: weight and bias ~ U(-1/sqrt(C*K), 1/sqrt(C*K)). */
static mosa_status conv_init(conv1 *l, param_store *ps, const char *prefix, const char *name, int C, int F, int K,
                             int stride, int pad, int dil, mosa_rng *r) {
    char a[256], key[300];
    if (name[0]) nn_name(a, sizeof a, prefix, name);
    else snprintf(a, sizeof a, "%s", prefix);
    l->C = C, l->F = F, l->K = K, l->stride = stride, l->pad = pad, l->dil = dil;
    const float bound = 1.0f / sqrtf((float)(C * K));
    l->w = params_add(ps, nn_name(key, sizeof key, a, "weight"), T_SHAPE(F, C, K));
    l->b = params_add(ps, nn_name(key, sizeof key, a, "bias"), T_SHAPE(F));
    if (!l->w || !l->b) return MOSA_ERR_NOMEM;
    tensor *t[2] = {l->w, l->b};
    for (int i = 0; i < 2; i++) {
        const int64_t n = t_numel(t[i]);
        rng_uniform(r, t[i]->data, (size_t)n);
        for (int64_t j = 0; j < n; j++) t[i]->data[j] = (2.0f * t[i]->data[j] - 1.0f) * bound;
    }
    return MOSA_OK;
}

/* Resnet1D(width, depth, growth, reverse_dilation=True) under "<prefix>": model.j has dilation
 * growth^(depth-1-j). */
static mosa_status resnet_init(resblock *blk, param_store *ps, const char *prefix, const vqvae_config *c, mosa_rng *r) {
    char a[256];
    for (int j = 0; j < c->depth; j++) {
        int d = 1;
        for (int e = 0; e < c->depth - 1 - j; e++) d *= c->dilation_growth;
        snprintf(a, sizeof a, "%s.model.%d", prefix, j);
        MOSA_TRY(conv_init(&blk[j].c1, ps, a, "conv1", c->width, c->width, 3, 1, d, d, r));
        MOSA_TRY(conv_init(&blk[j].c2, ps, a, "conv2", c->width, c->width, 1, 1, 0, 1, r));
    }
    return MOSA_OK;
}

mosa_status vqvae_create(vqvae **out, param_store *ps, const char *prefix, const vqvae_config *cfg, mosa_rng *r) {
    *out = NULL;
    if (!ps || !cfg || !r) return mosa_fail(MOSA_ERR_ARG, "vqvae_create: NULL argument");
    MOSA_TRY(config_check(cfg));
    if (ps->finalized)
        return mosa_fail(MOSA_ERR_ARG, "vqvae_create: the param store is already finalized; create the model first");
    vqvae *m = mosa_calloc(1, sizeof *m);
    if (!m) return MOSA_ERR_NOMEM;
    m->cfg = *cfg;
    m->ps = ps;
    snprintf(m->prefix, sizeof m->prefix, "%s", prefix ? prefix : "");
    m->p_first = ps->n;
    const vqvae_config *c = cfg;
    char enc[160], dec[160], a[256];
    nn_name(enc, sizeof enc, m->prefix, "encoder");
    nn_name(dec, sizeof dec, m->prefix, "decoder");
    mosa_status s = MOSA_OK;
#define TRY(x) do { if ((s = (x)) != MOSA_OK) goto fail; } while (0)
    /* encoder.model: 0 conv(in->W,k3), 1 ReLU, 2..2+down_t-1 [0 conv(k4,s2,p1), 1 Resnet1D], conv(W->D,k3) */
    snprintf(a, sizeof a, "%s.model.0", enc);
    TRY(conv_init(&m->enc_in, ps, a, "", c->in_dim, c->width, 3, 1, 1, 1, r));
    for (int i = 0; i < c->down_t; i++) {
        snprintf(a, sizeof a, "%s.model.%d.0", enc, 2 + i);
        TRY(conv_init(&m->enc_down[i], ps, a, "", c->width, c->width, 4, 2, 1, 1, r));
        snprintf(a, sizeof a, "%s.model.%d.1", enc, 2 + i);
        TRY(resnet_init(m->enc_res[i], ps, a, c, r));
    }
    snprintf(a, sizeof a, "%s.model.%d", enc, 2 + c->down_t);
    TRY(conv_init(&m->enc_out, ps, a, "", c->width, c->code_dim, 3, 1, 1, 1, r));
    /* decoder.model: 0 conv(D->W), 1 ReLU, 2.. [0 Resnet1D, 1 Upsample x2, 2 conv(k3)], conv, ReLU, conv(W->in) */
    snprintf(a, sizeof a, "%s.model.0", dec);
    TRY(conv_init(&m->dec_in, ps, a, "", c->code_dim, c->width, 3, 1, 1, 1, r));
    for (int i = 0; i < c->down_t; i++) {
        snprintf(a, sizeof a, "%s.model.%d.0", dec, 2 + i);
        TRY(resnet_init(m->dec_res[i], ps, a, c, r));
        snprintf(a, sizeof a, "%s.model.%d.2", dec, 2 + i);
        TRY(conv_init(&m->dec_up[i], ps, a, "", c->width, c->width, 3, 1, 1, 1, r));
    }
    snprintf(a, sizeof a, "%s.model.%d", dec, 2 + c->down_t);
    TRY(conv_init(&m->dec_post, ps, a, "", c->width, c->width, 3, 1, 1, 1, r));
    snprintf(a, sizeof a, "%s.model.%d", dec, 4 + c->down_t);
    TRY(conv_init(&m->dec_out, ps, a, "", c->width, c->in_dim, 3, 1, 1, 1, r));
    /* quantizer: codebook + EMA statistics, frozen; all zero = not initialised yet */
    char qp[160], key[300];
    nn_name(qp, sizeof qp, m->prefix, "quantizer");
    m->codebook = params_add(ps, nn_name(key, sizeof key, qp, "codebook"), T_SHAPE(c->codes, c->code_dim));
    m->code_sum = params_add(ps, nn_name(key, sizeof key, qp, "code_sum"), T_SHAPE(c->codes, c->code_dim));
    m->code_count = params_add(ps, nn_name(key, sizeof key, qp, "code_count"), T_SHAPE(c->codes));
    if (!m->codebook || !m->code_sum || !m->code_count) { s = MOSA_ERR_NOMEM; goto fail; }
    m->codebook->requires_grad = m->code_sum->requires_grad = m->code_count->requires_grad = 0;
    m->p_end = ps->n;
#undef TRY
    *out = m;
    return MOSA_OK;
fail:
    mosa_free(m);
    return s;
}

void vqvae_free(vqvae *m) {
    if (!m) return;
    mosa_free(m->z_last);
    mosa_free(m->codes_last);
    mosa_free(m->work);
    mosa_free(m);
}

const vqvae_config *vqvae_get_config(const vqvae *m) { return &m->cfg; }

/* ------------------------------------------------------------------------------------------ */
/* Forward                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static tensor *conv_fwd(ctx *c, const conv1 *l, tensor *x) {
    return op_conv1d(c, x, l->w, l->b, l->stride, l->pad, l->dil);
}

static tensor *resnet_fwd(ctx *c, const resblock *blk, int depth, tensor *x) {
    for (int j = 0; j < depth; j++) {
        tensor *h = conv_fwd(c, &blk[j].c1, op_relu(c, x));
        h = conv_fwd(c, &blk[j].c2, op_relu(c, h));
        x = op_add(c, h, x);
    }
    return x;
}

static const int perm_021[3] = {0, 2, 1};

tensor *vqvae_encode(ctx *c, const vqvae *m, tensor *x) {
    if (!x) return NULL;
    const vqvae_config *g = &m->cfg;
    char sx[64];
    T_CHECK(c, x->nd == 3 && x->shape[2] == g->in_dim && x->shape[1] >= 1 && x->shape[1] % (1 << g->down_t) == 0,
            "vqvae_encode: x %s must be (B,T,%d) with T a positive multiple of %d", t_shape_str(x, sx, sizeof sx),
            g->in_dim, 1 << g->down_t);
    tensor *h = op_contiguous(c, op_permute(c, x, perm_021)); /* (B,in,T) */
    h = op_relu(c, conv_fwd(c, &m->enc_in, h));
    for (int i = 0; i < g->down_t; i++) {
        h = conv_fwd(c, &m->enc_down[i], h);
        h = resnet_fwd(c, m->enc_res[i], g->depth, h);
    }
    h = conv_fwd(c, &m->enc_out, h);                     /* (B,D,N) */
    return op_contiguous(c, op_permute(c, h, perm_021)); /* (B,N,D) */
}

/* zq (B,N,D) -> (B,N*2^down_t,in_dim). */
tensor *vqvae_decode_latent(ctx *c, const vqvae *m, tensor *zq) {
    if (!zq) return NULL;
    const vqvae_config *g = &m->cfg;
    char sz[64];
    T_CHECK(c, zq->nd == 3 && zq->shape[2] == g->code_dim && zq->shape[1] >= 1,
            "vqvae_decode: latent %s must be (B,N,%d)", t_shape_str(zq, sz, sizeof sz), g->code_dim);
    tensor *h = op_contiguous(c, op_permute(c, zq, perm_021)); /* (B,D,N) */
    h = op_relu(c, conv_fwd(c, &m->dec_in, h));
    const int two = 2;
    for (int i = 0; i < g->down_t; i++) {
        h = resnet_fwd(c, m->dec_res[i], g->depth, h);
        h = op_upsample_nearest(c, h, &two);
        h = conv_fwd(c, &m->dec_up[i], h);
    }
    h = op_relu(c, conv_fwd(c, &m->dec_post, h));
    h = conv_fwd(c, &m->dec_out, h);                     /* (B,in,T) */
    return op_contiguous(c, op_permute(c, h, perm_021)); /* (B,T,in) */
}

tensor *vqvae_decode(ctx *c, const vqvae *m, const int32_t *codes, int B, int N) {
    T_CHECK(c, codes && B >= 1 && N >= 1, "vqvae_decode: need codes for B >= 1 motions of N >= 1 tokens (B %d, N %d)",
            B, N);
    for (int64_t i = 0; i < (int64_t)B * N; i++)
        T_CHECK(c, codes[i] >= 0 && codes[i] < m->cfg.codes, "vqvae_decode: code %d at %lld is outside [0, %d)",
                (int)codes[i], (long long)i, m->cfg.codes);
    tensor *zq = op_embedding(c, m->codebook, codes, T_SHAPE(B, N));
    return vqvae_decode_latent(c, m, zq);
}

static int ensure_work(vqvae *m, int n) {
    const size_t need = (size_t)vq_argmin_work_floats(n, m->cfg.codes);
    if (need > m->work_cap) {
        float *w = mosa_malloc(need * sizeof(float));
        if (!w) return 0;
        mosa_free(m->work);
        m->work = w;
        m->work_cap = need;
    }
    return 1;
}

void vqvae_quantize(const vqvae *m, const float *z, int n, int32_t *codes) {
    if (n <= 0) return;
    /* scratch per call, so that several threads may quantize with one model */
    float *work = mosa_malloc(sizeof(float) * (size_t)vq_argmin_work_floats(n, m->cfg.codes));
    if (work) vq_argmin(codes, work, z, m->codebook->data, n, m->cfg.codes, m->cfg.code_dim);
    else vq_argmin_ref(codes, z, m->codebook->data, n, m->cfg.codes, m->cfg.code_dim);
    mosa_free(work);
}

int vqvae_codebook_initialized(const vqvae *m) {
    for (int k = 0; k < m->cfg.codes; k++)
        if (m->code_count->data[k] != 0.0f) return 1;
    return 0;
}

/* QuantizeEMAReset._tile + init_codebook: the codebook from n encoder outputs. With n >= codes,
 * rows evenly spread over the batch (T2M-GPT takes the first `codes` rows, which all come from
 * the first few motions); with fewer, the rows repeated with N(0, (0.01/sqrt(D))^2) noise from a
 * fixed seed. Deterministic; code_sum = codebook, code_count = 1. */
static void codebook_init(vqvae *m, const float *z, int n) {
    const int K = m->cfg.codes, D = m->cfg.code_dim;
    float *cb = m->codebook->data;
    mosa_rng r;
    rng_seed(&r, 0x5eed);
    for (int k = 0; k < K; k++) {
        const int64_t row = n >= K ? (int64_t)k * n / K : k % n;
        memcpy(cb + (int64_t)k * D, z + row * D, sizeof(float) * (size_t)D);
    }
    if (n < K) {
        float *noise = mosa_malloc(sizeof(float) * (size_t)K * D);
        if (noise) {
            rng_normal(&r, noise, (size_t)K * D, 0.0f, 0.01f / sqrtf((float)D));
            for (int64_t i = 0; i < (int64_t)K * D; i++) cb[i] += noise[i];
            mosa_free(noise);
        }
    }
    memcpy(m->code_sum->data, cb, sizeof(float) * (size_t)K * D);
    for (int k = 0; k < K; k++) m->code_count->data[k] = 1.0f;
}

static float perplexity_of(const int32_t *codes, int n, int K, int *used) {
    int *cnt = mosa_calloc((size_t)K, sizeof(int));
    if (!cnt) return NAN;
    for (int i = 0; i < n; i++) cnt[codes[i]]++;
    double h = 0;
    int u = 0;
    for (int k = 0; k < K; k++) {
        const double p = (double)cnt[k] / n;
        h -= p * log(p + 1e-7);
        u += cnt[k] > 0;
    }
    mosa_free(cnt);
    if (used) *used = u;
    return (float)exp(h);
}

float vqvae_perplexity(const int32_t *codes, int n, int K, int *used) {
    if (n <= 0 || K <= 0) {
        if (used) *used = 0;
        return 0.0f;
    }
    return perplexity_of(codes, n, K, used);
}

tensor *vqvae_train_forward(ctx *c, vqvae *m, tensor *x, float vel_weight, float beta, vqvae_loss_stats *stats) {
    tensor *z = vqvae_encode(c, m, x); /* (B,N,D) */
    if (!z) return NULL;
    const int64_t B = z->shape[0], N = z->shape[1], D = z->shape[2], n = B * N;
    T_CHECK(c, n <= (1 << 30), "vqvae_train_forward: %lld tokens in one batch is too many", (long long)n);
    /* record the batch for the EMA update */
    if (n > m->cap_last) {
        float *zl = mosa_malloc(sizeof(float) * (size_t)(n * D));
        int32_t *cl = mosa_malloc(sizeof(int32_t) * (size_t)n);
        if (!zl || !cl) {
            mosa_free(zl);
            mosa_free(cl);
            return ctx_fail(c, MOSA_ERR_NOMEM, "vqvae_train_forward: no memory for %lld tokens", (long long)n);
        }
        mosa_free(m->z_last);
        mosa_free(m->codes_last);
        m->z_last = zl, m->codes_last = cl, m->cap_last = (int)n;
    }
    memcpy(m->z_last, z->data, sizeof(float) * (size_t)(n * D));
    m->n_last = (int)n;
    if (!vqvae_codebook_initialized(m)) codebook_init(m, z->data, (int)n);
    if (!ensure_work(m, (int)n)) return ctx_fail(c, MOSA_ERR_NOMEM, "vqvae_train_forward: no memory for the search");
    vq_argmin(m->codes_last, m->work, z->data, m->codebook->data, n, m->cfg.codes, D);
    /* q (constant) and the straight-through latent z + sg(q - z) */
    tensor *q = t_new(c, T_SHAPE(B, N, D)), *dq = t_new(c, T_SHAPE(B, N, D));
    if (!q || !dq) return NULL;
    const float *cb = m->codebook->data;
    for (int64_t i = 0; i < n; i++) {
        const float *row = cb + (int64_t)m->codes_last[i] * D;
        memcpy(q->data + i * D, row, sizeof(float) * (size_t)D);
        for (int64_t d = 0; d < D; d++) dq->data[i * D + d] = row[d] - z->data[i * D + d];
    }
    tensor *zq = op_add(c, z, dq);
    tensor *xr = vqvae_decode_latent(c, m, zq);
    if (!xr) return NULL;
    T_CHECK(c, t_same_shape(xr, x), "vqvae_train_forward: decoder output does not match the input shape");
    tensor *recon = op_smooth_l1_loss(c, xr, x, 1.0f);
    /* T2M-GPT's "vel" term (ReConsLoss.forward_vel) is on the RIC joint positions [4, 4+63). */
    tensor *vel = NULL;
    const int64_t v0 = 4, vn = m->cfg.in_dim >= 67 ? 63 : m->cfg.in_dim - 4;
    if (vn > 0) vel = op_smooth_l1_loss(c, op_slice(c, xr, 2, v0, vn, 1), op_slice(c, x, 2, v0, vn, 1), 1.0f);
    else vel = t_zeros(c, 0, NULL);
    tensor *commit = op_mse_loss(c, z, q);
    tensor *loss = op_add(c, op_add(c, recon, op_scale(c, vel, vel_weight)), op_scale(c, commit, beta));
    if (!loss) return NULL;
    if (stats) {
        stats->recon = recon->data[0];
        stats->vel = vel->data[0];
        stats->commit = commit->data[0];
        stats->perplexity = perplexity_of(m->codes_last, (int)n, m->cfg.codes, &stats->used_codes);
    }
    return loss;
}

void vqvae_ema_update_from(vqvae *m, const float *z, const int32_t *codes, int n, mosa_rng *r) {
    const int K = m->cfg.codes, D = m->cfg.code_dim;
    const float mu = m->cfg.mu;
    if (n <= 0) return;
    float *sum = mosa_calloc((size_t)K * D, sizeof(float));
    float *cnt = mosa_calloc((size_t)K, sizeof(float));
    if (!sum || !cnt) {
        mosa_free(sum);
        mosa_free(cnt);
        return;
    }
    for (int i = 0; i < n; i++) {
        const int k = codes[i];
        if (k < 0 || k >= K) continue;
        cnt[k] += 1.0f;
        for (int d = 0; d < D; d++) sum[(int64_t)k * D + d] += z[(int64_t)i * D + d];
    }
    float *cs = m->code_sum->data, *cc = m->code_count->data, *cb = m->codebook->data;
    for (int k = 0; k < K; k++) {
        cc[k] = mu * cc[k] + (1.0f - mu) * cnt[k];
        for (int d = 0; d < D; d++) cs[(int64_t)k * D + d] = mu * cs[(int64_t)k * D + d] + (1.0f - mu) * sum[(int64_t)k * D + d];
    }
    /* usage = count >= 1: centre = sum / count; otherwise reset to a random encoder output of the
     * batch (with the _tile noise when the batch has fewer outputs than codes). */
    const float noise_std = 0.01f / sqrtf((float)D);
    for (int k = 0; k < K; k++) {
        float *row = cb + (int64_t)k * D;
        if (cc[k] >= 1.0f) {
            for (int d = 0; d < D; d++) row[d] = cs[(int64_t)k * D + d] / cc[k];
        } else {
            const int64_t i = rng_below(r, (uint32_t)n);
            memcpy(row, z + i * D, sizeof(float) * (size_t)D);
            if (n < K) {
                float e[1];
                for (int d = 0; d < D; d++) {
                    rng_normal(r, e, 1, 0.0f, noise_std);
                    row[d] += e[0];
                }
            }
        }
    }
    mosa_free(sum);
    mosa_free(cnt);
}

void vqvae_ema_update(vqvae *m, mosa_rng *r) {
    if (m->n_last <= 0) return;
    vqvae_ema_update_from(m, m->z_last, m->codes_last, m->n_last, r);
    m->n_last = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Model file                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static const char *strip_prefix(const vqvae *m, const char *name) {
    size_t n = strlen(m->prefix);
    if (n && !strncmp(name, m->prefix, n) && name[n] == '.') return name + n + 1;
    return name;
}

mosa_status vqvae_export(const vqvae *m, const char *path, const float *mean, const float *std, int n_meta,
                         const st_meta *meta) {
    const int np = m->p_end - m->p_first;
    const int n = np + (mean ? 1 : 0) + (std ? 1 : 0);
    const char **names = mosa_calloc((size_t)n, sizeof *names);
    const tensor **ts = mosa_calloc((size_t)n, sizeof *ts);
    tensor *extra = mosa_calloc(2, sizeof(tensor));
    st_meta *md = mosa_calloc((size_t)n_meta + 2, sizeof *md);
    if (!names || !ts || !extra || !md) {
        mosa_free(names), mosa_free(ts), mosa_free(extra), mosa_free(md);
        return MOSA_ERR_NOMEM;
    }
    int k = 0;
    for (int i = m->p_first; i < m->p_end; i++, k++) {
        names[k] = strip_prefix(m, m->ps->t[i]->name);
        ts[k] = m->ps->t[i];
    }
    const float *ms[2] = {mean, std};
    static const char *const mn[2] = {"mean", "std"};
    for (int j = 0; j < 2; j++) {
        if (!ms[j]) continue;
        extra[j].nd = 1;
        extra[j].shape[0] = m->cfg.in_dim;
        extra[j].stride[0] = 1;
        extra[j].data = (float *)ms[j];
        names[k] = mn[j];
        ts[k++] = &extra[j];
    }
    char cfgs[256];
    vqvae_config_format(&m->cfg, cfgs, sizeof cfgs);
    md[0] = (st_meta){"mosa.format", "motion_vqvae/1"};
    md[1] = (st_meta){"vqvae.config", cfgs};
    for (int i = 0; i < n_meta; i++) md[2 + i] = meta[i];
    mosa_status s = st_write(path, n, names, ts, ST_F32, n_meta + 2, md);
    mosa_free(names), mosa_free(ts), mosa_free(extra), mosa_free(md);
    return s;
}

mosa_status vqvae_file_config(const char *path, vqvae_config *cfg) {
    st_file f;
    MOSA_TRY(st_open(&f, path));
    const char *fmt = st_meta_get(&f, "mosa.format"), *cs = st_meta_get(&f, "vqvae.config");
    mosa_status s = MOSA_OK;
    if (!fmt || strcmp(fmt, "motion_vqvae/1") || !cs)
        s = mosa_fail(MOSA_ERR_FORMAT, "%s: not a mosa motion VQ-VAE file (metadata mosa.format=motion_vqvae/1 and "
                      "vqvae.config expected; write one with mosa motion train vqvae)", path);
    else if ((s = vqvae_config_parse(cfg, cs)) != MOSA_OK)
        mosa_fail_context(s, "%s", path);
    st_close(&f);
    return s;
}

mosa_status vqvae_load(vqvae *m, const char *path, float *mean, float *std) {
    vqvae_config fc;
    MOSA_TRY(vqvae_file_config(path, &fc));
    const vqvae_config *g = &m->cfg;
    if (fc.in_dim != g->in_dim || fc.width != g->width || fc.depth != g->depth ||
        fc.dilation_growth != g->dilation_growth || fc.down_t != g->down_t || fc.codes != g->codes ||
        fc.code_dim != g->code_dim) {
        char a[256], b[256];
        vqvae_config_format(&fc, a, sizeof a);
        vqvae_config_format(g, b, sizeof b);
        return mosa_fail(MOSA_ERR_MISMATCH, "%s: the file's VQ-VAE config (%s) differs from the model's (%s); build "
                         "the model from the file's config (vqvae_file_config)", path, a, b);
    }
    st_file f;
    MOSA_TRY(st_open(&f, path));
    mosa_status s = MOSA_OK;
    /* check everything first, then copy: nothing changes unless all is well */
    for (int pass = 0; pass < 2 && s == MOSA_OK; pass++) {
        for (int i = m->p_first; i < m->p_end && s == MOSA_OK; i++) {
            tensor *t = m->ps->t[i];
            const char *nm = strip_prefix(m, t->name);
            const st_tensor *st = st_find(&f, nm);
            int ok = st && st->nd == t->nd && (int64_t)st->nelements == t_numel(t);
            for (int d = 0; ok && d < t->nd; d++) ok = (int64_t)st->shape[d] == t->shape[d];
            if (!ok) {
                s = mosa_fail(MOSA_ERR_MISMATCH, "%s: tensor '%s' is missing or has the wrong shape", path, nm);
                break;
            }
            if (pass == 1) s = st_read_f32(st, t->data);
        }
        if (pass == 0 && s == MOSA_OK) {
            float *dst[2] = {mean, std};
            static const char *const mn[2] = {"mean", "std"};
            for (int j = 0; j < 2; j++) {
                if (!dst[j]) continue;
                const st_tensor *st = st_find(&f, mn[j]);
                if (!st || (int64_t)st->nelements != g->in_dim) {
                    s = mosa_fail(MOSA_ERR_MISMATCH, "%s: no '%s' tensor of %d floats (feature normalisation)", path,
                                  mn[j], g->in_dim);
                    break;
                }
            }
        }
    }
    if (s == MOSA_OK) {
        float *dst[2] = {mean, std};
        static const char *const mn[2] = {"mean", "std"};
        for (int j = 0; j < 2 && s == MOSA_OK; j++)
            if (dst[j]) s = st_read_f32(st_find(&f, mn[j]), dst[j]);
    }
    st_close(&f);
    return s;
}
