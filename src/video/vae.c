/* vae.c: the causal 3D video VAE of vae.h (CogVideoX's AutoencoderKLCogVideoX, resized for a
 * CPU and made strictly causal by per-frame group norms).
 *
 * What this is: the config, the encoder and decoder (whole-clip differentiable passes), the
 * training loss (reconstruction + KL of the diagonal Gaussian), the chunked inference passes
 * with their causal-conv frame caches, and the model file. What this is not: the training loop
 * (train_vae.c) nor anything that reads or writes video files (tools/cmd_vae.c).
 *
 * One network serves both kinds of pass: every forward helper takes a vae_pass that is NULL for
 * the whole-clip pass, and otherwise holds the per-conv caches of the chunked passes (one slot
 * per causal conv, in the order the forward visits them) and whether the current chunk holds
 * the video's first frame. */
#include "vae.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VAE_MAX_LAYERS 4
#define VAE_MAX_CH 4096
#define VAE_NORM_EPS 1e-6f
#define VAE_MAX_DIM 4096
#define VAE_MAX_FRAMES 100000

/* ------------------------------------------------------------------------------------------ */
/* Config                                                                                      */
/* ------------------------------------------------------------------------------------------ */

vae_config vae_config_default(void) {
    vae_config c;
    memset(&c, 0, sizeof c);
    c.in_ch = 3;
    c.latent_ch = 8;
    c.levels = 4;
    c.ch[0] = 32, c.ch[1] = 64, c.ch[2] = 128, c.ch[3] = 128;
    c.layers = 1;
    c.time_levels = 2;
    c.groups = 8;
    c.scaling_factor = 1.0f;
    c.spatial_norm = 1;
    c.linear_path = 1;
    return c;
}

void vae_config_format(const vae_config *c, char *buf, size_t cap) {
    char chs[96];
    size_t o = 0;
    chs[0] = 0;
    for (int i = 0; i < c->levels && i < VAE_MAX_LEVELS; i++)
        o += (size_t)snprintf(chs + o, sizeof chs - o, "%s%d", i ? "," : "", c->ch[i]);
    snprintf(buf, cap, "in_ch=%d latent_ch=%d levels=%d ch=%s layers=%d time_levels=%d groups=%d scaling_factor=%.9g "
             "spatial_norm=%d linear_path=%d",
             c->in_ch, c->latent_ch, c->levels, chs, c->layers, c->time_levels, c->groups,
             (double)c->scaling_factor, c->spatial_norm, c->linear_path);
}

static mosa_status config_check(const vae_config *c) {
    if (c->in_ch < 1 || c->in_ch > 64)
        return mosa_fail(MOSA_ERR_ARG, "vae config: in_ch %d must be in 1..64", c->in_ch);
    if (c->latent_ch < 1 || c->latent_ch > VAE_MAX_LATENT)
        return mosa_fail(MOSA_ERR_ARG, "vae config: latent_ch %d must be in 1..%d", c->latent_ch, VAE_MAX_LATENT);
    if (c->levels < 1 || c->levels > VAE_MAX_LEVELS)
        return mosa_fail(MOSA_ERR_ARG, "vae config: levels %d must be in 1..%d", c->levels, VAE_MAX_LEVELS);
    if (c->layers < 1 || c->layers > VAE_MAX_LAYERS)
        return mosa_fail(MOSA_ERR_ARG, "vae config: layers %d must be in 1..%d", c->layers, VAE_MAX_LAYERS);
    if (c->time_levels < 0 || c->time_levels > c->levels - 1)
        return mosa_fail(MOSA_ERR_ARG, "vae config: time_levels %d must be in 0..levels-1 = %d (only levels with a "
                         "downsampler can halve time)", c->time_levels, c->levels - 1);
    if (c->groups < 1 || c->groups > VAE_MAX_CH)
        return mosa_fail(MOSA_ERR_ARG, "vae config: groups %d must be >= 1", c->groups);
    for (int i = 0; i < c->levels; i++) {
        if (c->ch[i] < 1 || c->ch[i] > VAE_MAX_CH)
            return mosa_fail(MOSA_ERR_ARG, "vae config: ch[%d] = %d must be in 1..%d", i, c->ch[i], VAE_MAX_CH);
        if (c->ch[i] % c->groups)
            return mosa_fail(MOSA_ERR_ARG, "vae config: groups %d must divide every channel count (ch[%d] = %d)",
                             c->groups, i, c->ch[i]);
    }
    if (c->spatial_norm != 0 && c->spatial_norm != 1)
        return mosa_fail(MOSA_ERR_ARG, "vae config: spatial_norm %d must be 0 or 1", c->spatial_norm);
    if (c->linear_path != 0 && c->linear_path != 1)
        return mosa_fail(MOSA_ERR_ARG, "vae config: linear_path %d must be 0 or 1", c->linear_path);
    if (!(c->scaling_factor > 0.0f && c->scaling_factor < 1e6f))
        return mosa_fail(MOSA_ERR_ARG, "vae config: scaling_factor %g must be positive and finite",
                         (double)c->scaling_factor);
    return MOSA_OK;
}

mosa_status vae_config_parse(vae_config *cfg, const char *s) {
    if (!cfg || !s) return mosa_fail(MOSA_ERR_ARG, "vae_config_parse: NULL argument");
    vae_config c = vae_config_default();
    static const char *const keys[] = {"in_ch",       "latent_ch", "levels", "ch", "layers",
                                       "time_levels", "groups",    "scaling_factor", "spatial_norm", "linear_path"};
    enum { NKEYS = 10, OPTIONAL = 1 << 8 | 1 << 9 };
    c.spatial_norm = 0, c.linear_path = 0; /* absent: the layout of older files */
    int seen = 0, nch = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ' ') eq++;
        if (*eq != '=') return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': expected key=value at '%.20s'", s, p);
        const size_t klen = (size_t)(eq - p);
        int k = -1;
        for (int i = 0; i < NKEYS; i++)
            if (strlen(keys[i]) == klen && !strncmp(keys[i], p, klen)) k = i;
        if (k < 0) return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': unknown key '%.*s'", s, (int)klen, p);
        if (seen & (1 << k)) return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': '%s' given twice", s, keys[k]);
        const char *v = eq + 1;
        char *end;
        if (k == 3) { /* ch=a,b,c */
            nch = 0;
            for (;;) {
                double val = strtod(v, &end);
                if (end == v || val != floor(val) || fabs(val) > 1e6)
                    return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': ch wants comma-separated integers", s);
                if (nch >= VAE_MAX_LEVELS)
                    return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': more than %d channel counts", s,
                                     VAE_MAX_LEVELS);
                c.ch[nch++] = (int)val;
                if (*end != ',') break;
                v = end + 1;
            }
        } else {
            double val = strtod(v, &end);
            if (end == v) return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': bad number for '%s'", s, keys[k]);
            if (k != 7 && (val != floor(val) || fabs(val) > 1e6))
                return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': '%s' must be an integer", s, keys[k]);
            const int iv = (int)val;
            switch (k) {
            case 0: c.in_ch = iv; break;
            case 1: c.latent_ch = iv; break;
            case 2: c.levels = iv; break;
            case 4: c.layers = iv; break;
            case 5: c.time_levels = iv; break;
            case 6: c.groups = iv; break;
            case 8: c.spatial_norm = iv; break;
            case 9: c.linear_path = iv; break;
            default: c.scaling_factor = (float)val; break;
            }
        }
        if (*end && *end != ' ' && *end != '\t' && *end != '\n')
            return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': trailing text after '%s'", s, keys[k]);
        seen |= 1 << k;
        p = end;
    }
    if ((seen | OPTIONAL) != (1 << NKEYS) - 1)
        return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': every key (in_ch latent_ch levels ch layers time_levels "
                         "groups scaling_factor) must be given", s);
    if (nch != c.levels)
        return mosa_fail(MOSA_ERR_FORMAT, "vae config '%s': %d channel counts for %d levels", s, nch, c.levels);
    for (int i = nch; i < VAE_MAX_LEVELS; i++) c.ch[i] = 0;
    MOSA_TRY(config_check(&c));
    *cfg = c;
    return MOSA_OK;
}

int vae_spatial_factor(const vae_config *cfg) { return 1 << (cfg->levels - 1); }
int vae_temporal_factor(const vae_config *cfg) { return 1 << cfg->time_levels; }
int vae_latent_frames(const vae_config *cfg, int T) {
    const int tf = vae_temporal_factor(cfg);
    if (T < 1 || (T - 1) % tf) return 0;
    return 1 + (T - 1) / tf;
}

/* ------------------------------------------------------------------------------------------ */
/* Layers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* GroupNorm with statistics per frame: (N,C,T,H,W) is normalised over each (n, group, t). With
 * Z > 0 it is a SpatialNorm3D: the GroupNorm (w, b: "norm_layer") times conv_y(zq) plus
 * conv_b(zq), 1x1x1 convs of the Z-channel latent zq at the feature's size. */
typedef struct fnorm {
    tensor *w, *b;
    tensor *yw, *yb, *bw, *bb; /* conv_y, conv_b: (C,Z,1,1,1), (C); NULL when Z == 0 */
    int C, G, Z;
} fnorm;

/* A per-frame 3x3 conv (diffusers' Conv2d in the up/downsamplers): weight (F,C,3,3). */
typedef struct pconv {
    tensor *w, *b;
    int C, F;
} pconv;

typedef struct resblock {
    fnorm n1, n2;
    nn_causal_conv3d c1, c2;
    tensor *sw, *sb; /* conv_shortcut (F,C,1,1,1), (F) when C != F */
    int C, F;
} resblock;

struct video_vae {
    vae_config cfg;
    char prefix[128];
    param_store *ps;
    param_store *own_ps; /* vae_open's store, freed by vae_free */
    int p_first, p_end;
    nn_causal_conv3d enc_in, enc_out, dec_in, dec_out;
    resblock enc_res[VAE_MAX_LEVELS][VAE_MAX_LAYERS], enc_mid[2];
    resblock dec_res[VAE_MAX_LEVELS][VAE_MAX_LAYERS + 1], dec_mid[2];
    pconv down[VAE_MAX_LEVELS], up[VAE_MAX_LEVELS];
    fnorm enc_norm, dec_norm;
    tensor *lin_ew, *lin_eb, *lin_dw, *lin_db; /* the linear path (NULL without) */
};

/* State of a chunked pass (NULL = whole clip). */
typedef struct vae_pass {
    int first;      /* this chunk holds the video's first frame */
    int idx;        /* next causal conv slot */
    int n_slots;
    float **cache;  /* [n_slots] the last 2 input frames of each causal conv, (1,C,2,H,W) */
    int64_t *cache_numel;
    float *keep;    /* scratch for keep_block */
    size_t keep_cap;
} vae_pass;

static tensor *uparam(param_store *ps, const char *name, int nd, const int64_t *shape, float bound, mosa_rng *r) {
    tensor *t = params_add(ps, name, nd, shape);
    if (!t) return NULL;
    const int64_t n = t_numel(t);
    rng_uniform(r, t->data, (size_t)n);
    for (int64_t i = 0; i < n; i++) t->data[i] = (2.0f * t->data[i] - 1.0f) * bound;
    return t;
}

/* Z == 0: a plain norm with its parameters at prefix.weight/bias; Z > 0: a spatial norm with
 * prefix.norm_layer.*, prefix.conv_y.conv.* and prefix.conv_b.conv.*, the convs zero with
 * biases 1 and 0 so the block starts as the plain norm. */
static mosa_status fnorm_init(fnorm *n, param_store *ps, const char *prefix, int C, int G, int Z) {
    char key[256], sub[256], conv[300];
    memset(n, 0, sizeof *n);
    n->C = C, n->G = G, n->Z = Z;
    const char *np = Z ? nn_name(sub, sizeof sub, prefix, "norm_layer") : prefix;
    n->w = params_add(ps, nn_name(key, sizeof key, np, "weight"), T_SHAPE(C));
    n->b = params_add(ps, nn_name(key, sizeof key, np, "bias"), T_SHAPE(C));
    if (!n->w || !n->b) return MOSA_ERR_NOMEM;
    for (int i = 0; i < C; i++) n->w->data[i] = 1.0f;
    if (!Z) return MOSA_OK;
    nn_name(conv, sizeof conv, nn_name(sub, sizeof sub, prefix, "conv_y"), "conv");
    n->yw = params_add(ps, nn_name(key, sizeof key, conv, "weight"), T_SHAPE(C, Z, 1, 1, 1));
    n->yb = params_add(ps, nn_name(key, sizeof key, conv, "bias"), T_SHAPE(C));
    nn_name(conv, sizeof conv, nn_name(sub, sizeof sub, prefix, "conv_b"), "conv");
    n->bw = params_add(ps, nn_name(key, sizeof key, conv, "weight"), T_SHAPE(C, Z, 1, 1, 1));
    n->bb = params_add(ps, nn_name(key, sizeof key, conv, "bias"), T_SHAPE(C));
    if (!n->yw || !n->yb || !n->bw || !n->bb) return MOSA_ERR_NOMEM;
    for (int i = 0; i < C; i++) n->yb->data[i] = 1.0f;
    return MOSA_OK;
}

/* x (N,C,T,H,W) -> the same, each frame's groups normalised on their own; a spatial norm also
 * takes zq (N,Z,T,H,W), the latent at x's size. */
static tensor *fnorm_forward(ctx *c, const fnorm *n, tensor *x, tensor *zq) {
    if (!x) return NULL;
    const int64_t N = x->shape[0], C = x->shape[1], T = x->shape[2], H = x->shape[3], W = x->shape[4];
    static const int perm[5] = {0, 2, 1, 3, 4};
    tensor *y = op_reshape(c, op_permute(c, x, perm), T_SHAPE(N * T, C, H * W));
    y = op_groupnorm(c, y, n->G, n->w, n->b, VAE_NORM_EPS);
    y = op_permute(c, op_reshape(c, y, T_SHAPE(N, T, C, H, W)), perm);
    if (!n->Z) return y;
    if (!zq) return ctx_fail(c, MOSA_ERR_INTERNAL, "vae: a spatial norm got no latent");
    T_CHECK(c, zq->nd == 5 && zq->shape[0] == N && zq->shape[1] == n->Z && zq->shape[2] == T && zq->shape[3] == H &&
                   zq->shape[4] == W,
            "vae: spatial norm latent does not match the features (%lld frames of %lldx%lld)", (long long)T,
            (long long)W, (long long)H);
    const int one[3] = {1, 1, 1}, zero[3] = {0, 0, 0};
    tensor *scale = op_conv3d(c, zq, n->yw, n->yb, one, zero, one);
    tensor *shift = op_conv3d(c, zq, n->bw, n->bb, one, zero, one);
    return op_add(c, op_mul(c, y, scale), shift);
}

static mosa_status pconv_init(pconv *l, param_store *ps, const char *prefix, int C, int F, mosa_rng *r) {
    char key[256];
    l->C = C, l->F = F;
    const float bound = 1.0f / sqrtf((float)(C * 9));
    l->w = uparam(ps, nn_name(key, sizeof key, prefix, "weight"), T_SHAPE(F, C, 3, 3), bound, r);
    l->b = uparam(ps, nn_name(key, sizeof key, prefix, "bias"), T_SHAPE(F), bound, r);
    return l->w && l->b ? MOSA_OK : MOSA_ERR_NOMEM;
}

/* x (N,C,T,H,W) -> per-frame conv2d(k3, stride s, padding p) -> (N,F,T,H',W'). */
static tensor *pconv_forward(ctx *c, const pconv *l, tensor *x, int stride, int pad) {
    tensor *w = op_reshape(c, l->w, T_SHAPE(l->F, l->C, 1, 3, 3));
    const int st[3] = {1, stride, stride}, pd[3] = {0, pad, pad}, dl[3] = {1, 1, 1};
    return op_conv3d(c, x, w, l->b, st, pd, dl);
}

/* A causal conv of the network: whole-clip (replicate padding) or chunked with its cache slot. */
static tensor *cconv(ctx *c, vae_pass *p, const nn_causal_conv3d *l, tensor *x) {
    if (!x) return NULL;
    if (!p) return nn_causal_conv3d_forward(c, l, x, NULL);
    if (p->idx >= p->n_slots) return ctx_fail(c, MOSA_ERR_INTERNAL, "vae: more causal convs than cache slots");
    const int i = p->idx++;
    tensor *cache = NULL;
    if (!p->first) {
        if (!p->cache[i]) return ctx_fail(c, MOSA_ERR_INTERNAL, "vae: a later chunk found no cache");
        cache = t_wrap(c, p->cache[i], T_SHAPE(x->shape[0], x->shape[1], 2, x->shape[3], x->shape[4]));
        if (!cache || p->cache_numel[i] != t_numel(cache))
            return ctx_fail(c, MOSA_ERR_INTERNAL, "vae: cache size changed between chunks");
    }
    tensor *y = nn_causal_conv3d_forward(c, l, x, cache);
    tensor *next = conv3d_causal_next_cache(c, x, cache, 3, 1);
    if (!y || !next) return NULL;
    const int64_t n = t_numel(next);
    if (!p->cache[i]) {
        p->cache[i] = mosa_malloc(sizeof(float) * (size_t)n);
        if (!p->cache[i]) return ctx_fail(c, MOSA_ERR_NOMEM, "vae: cannot allocate a frame cache");
        p->cache_numel[i] = n;
    }
    memcpy(p->cache[i], next->data, sizeof(float) * (size_t)n);
    return y;
}

/* Chunked passes only: moves y down to `mark` in the arena, freeing what the block used. */
static tensor *keep_block(ctx *c, vae_pass *p, arena_mark mark, tensor *y) {
    if (!p || !y) return y;
    const int64_t n = t_numel(y);
    if ((size_t)n > p->keep_cap) {
        float *k = mosa_realloc(p->keep, sizeof(float) * (size_t)n);
        if (!k) return ctx_fail(c, MOSA_ERR_NOMEM, "vae: cannot allocate block scratch");
        p->keep = k, p->keep_cap = (size_t)n;
    }
    t_copy_to_contiguous(p->keep, y);
    int64_t shape[T_MAX_DIMS];
    const int nd = y->nd;
    memcpy(shape, y->shape, sizeof shape);
    arena_release(&c->mem, mark);
    tensor *o = t_new(c, nd, shape);
    if (!o) return NULL;
    memcpy(o->data, p->keep, sizeof(float) * (size_t)n);
    return o;
}

/* Z: the latent channels of the spatial norms (decoder with spatial_norm), else 0. */
static mosa_status res_init(resblock *b, param_store *ps, const char *prefix, int C, int F, int G, int Z,
                            mosa_rng *r) {
    char key[256];
    b->C = C, b->F = F;
    MOSA_TRY(fnorm_init(&b->n1, ps, nn_name(key, sizeof key, prefix, "norm1"), C, G, Z));
    MOSA_TRY(nn_causal_conv3d_init(&b->c1, ps, nn_name(key, sizeof key, prefix, "conv1"), C, F, 3, r));
    MOSA_TRY(fnorm_init(&b->n2, ps, nn_name(key, sizeof key, prefix, "norm2"), F, G, Z));
    MOSA_TRY(nn_causal_conv3d_init(&b->c2, ps, nn_name(key, sizeof key, prefix, "conv2"), F, F, 3, r));
    if (C != F) {
        char a[256];
        nn_name(a, sizeof a, prefix, "conv_shortcut");
        const float bound = 1.0f / sqrtf((float)C);
        b->sw = uparam(ps, nn_name(key, sizeof key, a, "weight"), T_SHAPE(F, C, 1, 1, 1), bound, r);
        b->sb = uparam(ps, nn_name(key, sizeof key, a, "bias"), T_SHAPE(F), bound, r);
        if (!b->sw || !b->sb) return MOSA_ERR_NOMEM;
    }
    return MOSA_OK;
}

/* CogVideoXResnetBlock3D without temb/dropout: norm1 -> SiLU -> conv1 -> norm2 -> SiLU -> conv2,
 * plus the input (through a 1x1x1 conv when the channel count changes); zq: the latent at this
 * size for spatial norms (NULL in the encoder). */
static tensor *res_forward(ctx *c, vae_pass *p, const resblock *b, tensor *x, tensor *zq) {
    const arena_mark mark = arena_get_mark(&c->mem);
    tensor *h = op_silu(c, fnorm_forward(c, &b->n1, x, zq));
    h = cconv(c, p, &b->c1, h);
    h = op_silu(c, fnorm_forward(c, &b->n2, h, zq));
    h = cconv(c, p, &b->c2, h);
    if (b->sw) {
        const int one[3] = {1, 1, 1}, zero[3] = {0, 0, 0};
        x = op_conv3d(c, x, b->sw, b->sb, one, zero, one);
    }
    return keep_block(c, p, mark, op_add(c, x, h));
}

/* CogVideoXDownsample3D: with compress_time, frame pairs are averaged, the video's first frame
 * kept alone (1+2k -> 1+k; a later chunk 2k -> k); then zero padding of one column on the right
 * and one row at the bottom and a per-frame 3x3 conv with stride 2. */
static tensor *down_forward(ctx *c, vae_pass *p, const pconv *l, tensor *x, int compress_time) {
    if (!x) return NULL;
    const arena_mark mark = arena_get_mark(&c->mem);
    if (compress_time) {
        const int first = p ? p->first : 1;
        const int64_t T = x->shape[2];
        const int k2[3] = {2, 1, 1};
        if (first) {
            if (T > 1) {
                T_CHECK(c, (T - 1) % 2 == 0, "vae downsample: %lld frames; want 1 + an even number", (long long)T);
                tensor *parts[2] = {op_slice(c, x, 2, 0, 1, 1), op_avgpool(c, op_slice(c, x, 2, 1, T - 1, 1), k2, NULL)};
                x = op_concat(c, parts, 2, 2);
            }
        } else {
            T_CHECK(c, T % 2 == 0, "vae downsample: a later chunk of %lld frames; want an even number", (long long)T);
            x = op_avgpool(c, x, k2, NULL);
        }
    }
    const int64_t before[5] = {0, 0, 0, 0, 0}, after[5] = {0, 0, 0, 1, 1};
    x = op_pad(c, x, before, after, 0.0f);
    return keep_block(c, p, mark, pconv_forward(c, l, x, 2, 0));
}

/* Nearest x2 in space; with compress_time also x2 in time except for the video's first frame
 * (1+k -> 1+2k; a later chunk k -> 2k). */
static tensor *up_nearest(ctx *c, vae_pass *p, tensor *x, int compress_time) {
    if (!x) return NULL;
    const int fs[3] = {1, 2, 2}, ft[3] = {2, 2, 2};
    if (compress_time) {
        const int first = p ? p->first : 1;
        const int64_t T = x->shape[2];
        if (first) {
            tensor *x0 = op_upsample_nearest(c, op_slice(c, x, 2, 0, 1, 1), fs);
            if (T > 1) {
                tensor *parts[2] = {x0, op_upsample_nearest(c, op_slice(c, x, 2, 1, T - 1, 1), ft)};
                x = op_concat(c, parts, 2, 2);
            } else {
                x = x0;
            }
        } else {
            x = op_upsample_nearest(c, x, ft);
        }
    } else {
        x = op_upsample_nearest(c, x, fs);
    }
    return x;
}

/* CogVideoXUpsample3D: up_nearest, then a per-frame 3x3 conv. */
static tensor *up_forward(ctx *c, vae_pass *p, const pconv *l, tensor *x, int compress_time) {
    if (!x) return NULL;
    const arena_mark mark = arena_get_mark(&c->mem);
    x = up_nearest(c, p, x, compress_time);
    return keep_block(c, p, mark, pconv_forward(c, l, x, 1, 1));
}

/* ------------------------------------------------------------------------------------------ */
/* Build                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Number of causal convs the encoder / decoder visit per pass (the cache slots). */
static int enc_convs(const vae_config *g) { return 2 + 2 * (g->levels * g->layers + 2); }
static int dec_convs(const vae_config *g) { return 2 + 2 * (g->levels * (g->layers + 1) + 2); }

mosa_status vae_create(video_vae **out, param_store *ps, const char *prefix, const vae_config *cfg, mosa_rng *r) {
    if (out) *out = NULL;
    if (!out || !ps || !cfg || !r) return mosa_fail(MOSA_ERR_ARG, "vae_create: NULL argument");
    MOSA_TRY(config_check(cfg));
    if (ps->finalized)
        return mosa_fail(MOSA_ERR_ARG, "vae_create: the param store is already finalized; create the model first");
    video_vae *m = mosa_calloc(1, sizeof *m);
    if (!m) return MOSA_ERR_NOMEM;
    m->cfg = *cfg;
    m->ps = ps;
    snprintf(m->prefix, sizeof m->prefix, "%s", prefix ? prefix : "");
    m->p_first = ps->n;
    const vae_config *g = cfg;
    const int L = g->levels, G = g->groups, last = g->ch[L - 1], Z = g->spatial_norm ? g->latent_ch : 0;
    char enc[160], dec[160], a[256], b[300];
    nn_name(enc, sizeof enc, m->prefix, "encoder");
    nn_name(dec, sizeof dec, m->prefix, "decoder");
    mosa_status s = MOSA_OK;
#define TRY(x) do { if ((s = (x)) != MOSA_OK) goto fail; } while (0)
    TRY(nn_causal_conv3d_init(&m->enc_in, ps, nn_name(a, sizeof a, enc, "conv_in"), g->in_ch, g->ch[0], 3, r));
    for (int i = 0; i < L; i++) {
        for (int j = 0; j < g->layers; j++) {
            const int C = j == 0 ? (i == 0 ? g->ch[0] : g->ch[i - 1]) : g->ch[i];
            snprintf(a, sizeof a, "%s.down_blocks.%d.resnets.%d", enc, i, j);
            TRY(res_init(&m->enc_res[i][j], ps, a, C, g->ch[i], G, 0, r));
        }
        if (i < L - 1) {
            snprintf(a, sizeof a, "%s.down_blocks.%d.downsamplers.0.conv", enc, i);
            TRY(pconv_init(&m->down[i], ps, a, g->ch[i], g->ch[i], r));
        }
    }
    for (int j = 0; j < 2; j++) {
        snprintf(a, sizeof a, "%s.mid_block.resnets.%d", enc, j);
        TRY(res_init(&m->enc_mid[j], ps, a, last, last, G, 0, r));
    }
    TRY(fnorm_init(&m->enc_norm, ps, nn_name(a, sizeof a, enc, "norm_out"), last, G, 0));
    TRY(nn_causal_conv3d_init(&m->enc_out, ps, nn_name(a, sizeof a, enc, "conv_out"), last, 2 * g->latent_ch, 3, r));

    TRY(nn_causal_conv3d_init(&m->dec_in, ps, nn_name(a, sizeof a, dec, "conv_in"), g->latent_ch, last, 3, r));
    for (int j = 0; j < 2; j++) {
        snprintf(a, sizeof a, "%s.mid_block.resnets.%d", dec, j);
        TRY(res_init(&m->dec_mid[j], ps, a, last, last, G, Z, r));
    }
    for (int j = 0; j < L; j++) { /* up_blocks.j works at level L-1-j */
        const int F = g->ch[L - 1 - j], Cin = j == 0 ? last : g->ch[L - j];
        for (int k = 0; k <= g->layers; k++) {
            snprintf(a, sizeof a, "%s.up_blocks.%d.resnets.%d", dec, j, k);
            TRY(res_init(&m->dec_res[j][k], ps, a, k == 0 ? Cin : F, F, G, Z, r));
        }
        if (j < L - 1) {
            snprintf(a, sizeof a, "%s.up_blocks.%d.upsamplers.0.conv", dec, j);
            TRY(pconv_init(&m->up[j], ps, a, F, F, r));
        }
    }
    TRY(fnorm_init(&m->dec_norm, ps, nn_name(b, sizeof b, dec, "norm_out"), g->ch[0], G, Z));
    TRY(nn_causal_conv3d_init(&m->dec_out, ps, nn_name(a, sizeof a, dec, "conv_out"), g->ch[0], g->in_ch, 3, r));
    if (g->linear_path) {
        const int tf = vae_temporal_factor(g), sf = vae_spatial_factor(g), P = g->in_ch * tf * sf * sf;
        const float be = 1.0f / sqrtf((float)P), bd = 1.0f / sqrtf((float)g->latent_ch);
        m->lin_ew = uparam(ps, nn_name(b, sizeof b, enc, "linear_path.weight"),
                           T_SHAPE(g->latent_ch, g->in_ch, tf, sf, sf), be, r);
        m->lin_eb = uparam(ps, nn_name(b, sizeof b, enc, "linear_path.bias"), T_SHAPE(g->latent_ch), be, r);
        m->lin_dw = uparam(ps, nn_name(b, sizeof b, dec, "linear_path.weight"), T_SHAPE(P, g->latent_ch, 1, 1, 1), bd, r);
        m->lin_db = uparam(ps, nn_name(b, sizeof b, dec, "linear_path.bias"), T_SHAPE(P), bd, r);
        if (!m->lin_ew || !m->lin_eb || !m->lin_dw || !m->lin_db) TRY(MOSA_ERR_NOMEM);
    }
#undef TRY
    m->p_end = ps->n;
    *out = m;
    return MOSA_OK;
fail:
    mosa_free(m);
    return s;
}

void vae_free(video_vae *m) {
    if (!m) return;
    if (m->own_ps) {
        params_free(m->own_ps);
        mosa_free(m->own_ps);
    }
    mosa_free(m);
}

const vae_config *vae_get_config(const video_vae *m) { return &m->cfg; }

/* ------------------------------------------------------------------------------------------ */
/* Forward                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* The linear path of the encoder: x (N,in_ch,T,H,W) -> (N,latent_ch,T',h,w); the chunk holding
 * the video's first frame gets tf-1 copies of it in front. */
static tensor *lin_encode(ctx *c, const video_vae *m, tensor *x, const vae_pass *p) {
    const vae_config *g = &m->cfg;
    const int tf = vae_temporal_factor(g), sf = vae_spatial_factor(g);
    if ((p ? p->first : 1) && tf > 1) {
        tensor *parts[1 << (VAE_MAX_LEVELS - 1)];
        tensor *f0 = op_slice(c, x, 2, 0, 1, 1);
        for (int i = 0; i < tf - 1; i++) parts[i] = f0;
        parts[tf - 1] = x;
        x = op_concat(c, parts, tf, 2);
    }
    const int st[3] = {tf, sf, sf}, pd[3] = {0, 0, 0}, dl[3] = {1, 1, 1};
    return op_conv3d(c, x, m->lin_ew, m->lin_eb, st, pd, dl);
}

/* The linear path of the decoder: z (N,latent_ch,T',h,w) -> patches -> (N,in_ch,T'*tf,H,W),
 * without the first tf-1 frames in the chunk holding the video's first frame. The patch of a
 * latent pixel is channel ((c*tf + dt)*sf + dy)*sf + dx; it is spread over space and time in
 * three reshape/permute steps (tensors have at most 5 dimensions). */
static tensor *lin_decode(ctx *c, const video_vae *m, tensor *z, const vae_pass *p) {
    if (!z) return NULL;
    const vae_config *g = &m->cfg;
    const int64_t tf = vae_temporal_factor(g), sf = vae_spatial_factor(g), C = g->in_ch;
    const int64_t N = z->shape[0], Tl = z->shape[2], h = z->shape[3], w = z->shape[4];
    const int one[3] = {1, 1, 1}, zero[3] = {0, 0, 0};
    tensor *y = op_conv3d(c, z, m->lin_dw, m->lin_db, one, zero, one); /* (N, C*tf*sf*sf, Tl, h, w) */
    static const int p0231[4] = {0, 2, 3, 1}, p0213[4] = {0, 2, 1, 3};
    /* dx next to x: (N*C*tf*sf, sf, Tl*h, w) -> (N*C*tf*sf, Tl*h, w, sf) */
    y = op_reshape(c, op_permute(c, op_reshape(c, y, T_SHAPE(N * C * tf * sf, sf, Tl * h, w)), p0231),
                   T_SHAPE(N * C * tf, sf, Tl * h, w * sf));
    /* dy next to y: (N*C*tf, sf, Tl*h, W) -> (N*C*tf, Tl*h, sf, W) */
    y = op_reshape(c, op_permute(c, y, p0213), T_SHAPE(N * C, tf, Tl, h * sf * w * sf));
    /* dt after t: (N*C, tf, Tl, H*W) -> (N*C, Tl, tf, H*W) */
    y = op_reshape(c, op_permute(c, y, p0213), T_SHAPE(N, C, Tl * tf, h * sf, w * sf));
    if ((p ? p->first : 1) && tf > 1) y = op_slice(c, y, 2, tf - 1, Tl * tf - (tf - 1), 1);
    return y;
}

static tensor *encode_pass(ctx *c, const video_vae *m, tensor *x, vae_pass *p) {
    const vae_config *g = &m->cfg;
    tensor *h = cconv(c, p, &m->enc_in, x);
    for (int i = 0; i < g->levels; i++) {
        for (int j = 0; j < g->layers; j++) h = res_forward(c, p, &m->enc_res[i][j], h, NULL);
        if (i < g->levels - 1) h = down_forward(c, p, &m->down[i], h, i < g->time_levels);
    }
    for (int j = 0; j < 2; j++) h = res_forward(c, p, &m->enc_mid[j], h, NULL);
    h = op_silu(c, fnorm_forward(c, &m->enc_norm, h, NULL));
    h = cconv(c, p, &m->enc_out, h);
    if (!m->lin_ew || !h) return h;
    const int64_t L = g->latent_ch;
    tensor *parts[2] = {op_add(c, op_slice(c, h, 1, 0, L, 1), lin_encode(c, m, x, p)), op_slice(c, h, 1, L, L, 1)};
    return op_concat(c, parts, 2, 1);
}

static tensor *decode_pass(ctx *c, const video_vae *m, tensor *z, vae_pass *p) {
    const vae_config *g = &m->cfg;
    const int L = g->levels;
    /* the spatial norms' latent at each level's size, made before any block so that keep_block
     * (which frees what a block allocated) leaves them alone; nearest interpolation of z is the
     * upsamplers' repeat pattern applied j times */
    tensor *zq[VAE_MAX_LEVELS] = {0};
    if (g->spatial_norm) {
        zq[0] = z;
        for (int j = 1; j < L; j++) zq[j] = up_nearest(c, p, zq[j - 1], j - 1 < g->time_levels);
    }
    tensor *h = cconv(c, p, &m->dec_in, z);
    for (int j = 0; j < 2; j++) h = res_forward(c, p, &m->dec_mid[j], h, zq[0]);
    for (int j = 0; j < L; j++) {
        for (int k = 0; k <= g->layers; k++) h = res_forward(c, p, &m->dec_res[j][k], h, zq[j]);
        if (j < L - 1) h = up_forward(c, p, &m->up[j], h, j < g->time_levels);
    }
    h = op_silu(c, fnorm_forward(c, &m->dec_norm, h, zq[L - 1]));
    h = cconv(c, p, &m->dec_out, h);
    return m->lin_dw && h ? op_add(c, h, lin_decode(c, m, z, p)) : h;
}

tensor *vae_encode_moments(ctx *c, const video_vae *m, tensor *x) {
    if (!x) return NULL;
    const vae_config *g = &m->cfg;
    char sx[80];
    t_shape_str(x, sx, sizeof sx);
    const int sf = vae_spatial_factor(g);
    T_CHECK(c, x->nd == 5 && x->shape[1] == g->in_ch, "vae_encode: x %s must be (N,%d,T,H,W)", sx, g->in_ch);
    T_CHECK(c, vae_latent_frames(g, (int)x->shape[2]) > 0 && x->shape[2] <= VAE_MAX_FRAMES,
            "vae_encode: x %s has %lld frames; want 1 + %d*k", sx, (long long)x->shape[2], vae_temporal_factor(g));
    T_CHECK(c, x->shape[3] % sf == 0 && x->shape[4] % sf == 0 && x->shape[3] > 0 && x->shape[4] > 0,
            "vae_encode: x %s: height and width must be positive multiples of %d", sx, sf);
    return encode_pass(c, m, x, NULL);
}

tensor *vae_decode(ctx *c, const video_vae *m, tensor *z) {
    if (!z) return NULL;
    const vae_config *g = &m->cfg;
    char sz[80];
    t_shape_str(z, sz, sizeof sz);
    T_CHECK(c, z->nd == 5 && z->shape[1] == g->latent_ch && z->shape[2] >= 1 && z->shape[3] >= 1 && z->shape[4] >= 1,
            "vae_decode: z %s must be (N,%d,T',h,w)", sz, g->latent_ch);
    return decode_pass(c, m, z, NULL);
}

/* clamp(x, lo, hi) = lo + relu(x - lo) - relu(x - hi), differentiable almost everywhere. */
static tensor *clamp_op(ctx *c, tensor *x, float lo, float hi) {
    tensor *a = op_relu(c, op_add_scalar(c, x, -lo)), *b = op_relu(c, op_add_scalar(c, x, -hi));
    return op_add_scalar(c, op_sub(c, a, b), lo);
}

tensor *vae_train_forward(ctx *c, const video_vae *m, tensor *x, float kl_weight, mosa_rng *r, vae_loss_stats *stats) {
    const int L = m->cfg.latent_ch;
    tensor *mom = vae_encode_moments(c, m, x);
    if (!mom) return NULL;
    tensor *mean = op_slice(c, mom, 1, 0, L, 1);
    tensor *logvar = clamp_op(c, op_slice(c, mom, 1, L, L, 1), -30.0f, 20.0f);
    tensor *std = op_exp(c, op_scale(c, logvar, 0.5f));
    if (!std) return NULL;
    tensor *eps = t_randn(c, r, 1.0f, mean->nd, mean->shape);
    tensor *z = op_add(c, mean, op_mul(c, std, eps));
    tensor *xr = vae_decode(c, m, z);
    if (!xr) return NULL;
    T_CHECK(c, t_same_shape(xr, x), "vae_train_forward: decoder output does not match the input shape");
    tensor *mse = op_mse_loss(c, xr, x);
    tensor *recon = op_add(c, op_l1_loss(c, xr, x), mse);
    /* KL(N(mu, sigma^2) || N(0, 1)) = 0.5 (mu^2 + sigma^2 - 1 - log sigma^2), mean per element */
    tensor *kl = op_scale(c, op_mean(c, op_sub(c, op_add(c, op_square(c, mean), op_exp(c, logvar)),
                                               op_add_scalar(c, logvar, 1.0f)), T_ALL_AXES, 0), 0.5f);
    tensor *loss = op_add(c, recon, op_scale(c, kl, kl_weight));
    if (!loss) return NULL;
    if (stats) {
        stats->recon = recon->data[0];
        stats->kl = kl->data[0];
        const double m01 = (double)mse->data[0] / 4.0; /* [-1,1] -> [0,1] */
        stats->psnr = m01 > 0 ? (float)(-10.0 * log10(m01)) : 99.0f;
    }
    return loss;
}

/* ------------------------------------------------------------------------------------------ */
/* Chunked inference                                                                           */
/* ------------------------------------------------------------------------------------------ */

static void pass_free(vae_pass *p) {
    for (int i = 0; i < p->n_slots; i++) mosa_free(p->cache[i]);
    mosa_free(p->cache);
    mosa_free(p->cache_numel);
    mosa_free(p->keep);
    memset(p, 0, sizeof *p);
}

static mosa_status pass_init(vae_pass *p, int n_slots) {
    memset(p, 0, sizeof *p);
    p->n_slots = n_slots;
    p->cache = mosa_calloc((size_t)n_slots, sizeof *p->cache);
    p->cache_numel = mosa_calloc((size_t)n_slots, sizeof *p->cache_numel);
    if (!p->cache || !p->cache_numel) {
        pass_free(p);
        return MOSA_ERR_NOMEM;
    }
    return MOSA_OK;
}

static mosa_status check_video_size(const vae_config *g, int T, int H, int W, const char *what) {
    const int sf = vae_spatial_factor(g), tf = vae_temporal_factor(g);
    if (T < 1 || T > VAE_MAX_FRAMES || (T - 1) % tf)
        return mosa_fail(MOSA_ERR_ARG, "%s: %d frames; the VAE takes 1 + %d*k frames (k >= 0, at most %d)", what, T,
                         tf, VAE_MAX_FRAMES);
    if (H < sf || W < sf || H > VAE_MAX_DIM || W > VAE_MAX_DIM || H % sf || W % sf)
        return mosa_fail(MOSA_ERR_ARG, "%s: %dx%d frames; width and height must be multiples of %d in %d..%d", what, W,
                         H, sf, sf, VAE_MAX_DIM);
    return MOSA_OK;
}

size_t vae_video_bytes(const vae_config *g, int T, int H, int W, int chunk_frames) {
    if (config_check(g) != MOSA_OK) {
        mosa_clear_error();
        return SIZE_MAX;
    }
    if (T < 1 || H < 1 || W < 1) return SIZE_MAX;
    if (chunk_frames <= 0) chunk_frames = 8;
    const double Tc = 1.0 + (chunk_frames < T - 1 ? chunk_frames : T - 1);
    /* an upper bound of the largest activation of a chunk: at level i, Tc frames of H/2^i x W/2^i
     * with the wider of ch[i] and ch[i+1]; a block holds about 12 of them at once (the norm's
     * copies, SiLU, two convs, the shortcut and the sum) before keep_block frees them */
    double act = 0;
    int cmax = 0;
    for (int i = 0; i < g->levels; i++) {
        const int ci = i + 1 < g->levels && g->ch[i + 1] > g->ch[i] ? g->ch[i + 1] : g->ch[i];
        const double a = 4.0 * ci * Tc * ((double)H / (1 << i)) * ((double)W / (1 << i));
        act = a > act ? a : act;
        cmax = g->ch[i] > cmax ? g->ch[i] : cmax;
    }
    /* caches: two frames per causal conv of its input (4*layers+2 convs at level i, the 8 of the
     * mid blocks and conv_in/out), plus the caller's video and latent */
    double caches = 0;
    for (int i = 0; i < g->levels; i++)
        caches += (4.0 * g->layers + 2.0) * 2.0 * 4.0 * cmax * ((double)H / (1 << i)) * ((double)W / (1 << i));
    caches += 12.0 * 2.0 * 4.0 * cmax * (double)H * W;
    /* the spatial norms' latent pyramid: latent_ch channels at every level's size */
    double pyramid = 0;
    if (g->spatial_norm)
        for (int i = 0; i < g->levels; i++)
            pyramid += 4.0 * g->latent_ch * Tc * ((double)H / (1 << i)) * ((double)W / (1 << i));
    const double total = 12.0 * act + caches + pyramid + 4.0 * 3.0 * (double)T * H * W * 2.0;
    return total > 1e18 ? SIZE_MAX : (size_t)total;
}

/* Chunk sizes: the first chunk is the first frame plus `chunk` more (or fewer at the end). */
mosa_status vae_encode_video(const video_vae *m, const float *video, int T, int H, int W, int chunk_frames,
                             mosa_rng *sample_rng, float *latent) {
    if (!m || !video || !latent) return mosa_fail(MOSA_ERR_ARG, "vae_encode_video: NULL argument");
    const vae_config *g = &m->cfg;
    MOSA_TRY(check_video_size(g, T, H, W, "vae encode"));
    if (g->in_ch != 3) return mosa_fail(MOSA_ERR_ARG, "vae encode: the model takes %d channels, videos have 3", g->in_ch);
    const int tf = vae_temporal_factor(g), sf = vae_spatial_factor(g), L = g->latent_ch;
    if (chunk_frames == 0) chunk_frames = 8;
    if (chunk_frames < tf || chunk_frames % tf || chunk_frames > VAE_MAX_FRAMES)
        return mosa_fail(MOSA_ERR_ARG, "vae encode: chunk of %d frames; use a positive multiple of %d", chunk_frames,
                         tf);
    const int h = H / sf, w = W / sf;
    vae_pass p;
    MOSA_TRY(pass_init(&p, enc_convs(g)));
    ctx c;
    ctx_init(&c, (size_t)1 << 24);
    ctx_no_grad(&c);
    float *xin = mosa_malloc(sizeof(float) * 3 * (size_t)(1 + (chunk_frames < T - 1 ? chunk_frames : T - 1)) * H * W);
    mosa_status s = xin ? MOSA_OK : MOSA_ERR_NOMEM;
    const size_t plane = (size_t)h * w;
    const int Tl = vae_latent_frames(g, T);
    int t0 = 0, l0 = 0;
    while (s == MOSA_OK && t0 < T) {
        p.first = t0 == 0;
        p.idx = 0;
        const int n = p.first ? 1 + (chunk_frames < T - 1 ? chunk_frames : T - 1)
                              : (chunk_frames < T - t0 ? chunk_frames : T - t0);
        /* (n,H,W,3) -> (1,3,n,H,W) */
        for (int t = 0; t < n; t++)
            for (size_t i = 0; i < (size_t)H * W; i++)
                for (int k = 0; k < 3; k++)
                    xin[((size_t)k * n + t) * H * W + i] = video[(((size_t)t0 + t) * H * W + i) * 3 + k];
        tensor *x = t_wrap(&c, xin, T_SHAPE(1, 3, n, H, W));
        tensor *mom = encode_pass(&c, m, x, &p);
        if (!mom) {
            s = c.status != MOSA_OK ? c.status : MOSA_ERR_INTERNAL;
            break;
        }
        const int nl = p.first ? 1 + (n - 1) / tf : n / tf;
        if (mom->shape[2] != nl || l0 + nl > Tl) {
            s = mosa_fail(MOSA_ERR_INTERNAL, "vae encode: chunk gave %lld latent frames, expected %d",
                          (long long)mom->shape[2], nl);
            break;
        }
        for (int l = 0; l < L; l++)
            for (int t = 0; t < nl; t++) {
                const float *mu = mom->data + ((size_t)l * nl + t) * plane;
                const float *lv = mom->data + ((size_t)(L + l) * nl + t) * plane;
                float *dst = latent + ((size_t)l * Tl + l0 + t) * plane;
                for (size_t i = 0; i < plane; i++) dst[i] = mu[i];
                if (sample_rng) {
                    for (size_t i = 0; i < plane; i++) {
                        float e;
                        rng_normal(sample_rng, &e, 1, 0.0f, 1.0f);
                        const float v = lv[i] < -30.0f ? -30.0f : lv[i] > 20.0f ? 20.0f : lv[i];
                        dst[i] += expf(0.5f * v) * e;
                    }
                }
                for (size_t i = 0; i < plane; i++) dst[i] *= g->scaling_factor;
            }
        l0 += nl;
        t0 += n;
        ctx_reset(&c);
    }
    ctx_free(&c);
    mosa_free(xin);
    pass_free(&p);
    return s;
}

mosa_status vae_decode_video(const video_vae *m, const float *latent, int Tl, int h, int w, int chunk_latents,
                             float *video) {
    if (!m || !latent || !video) return mosa_fail(MOSA_ERR_ARG, "vae_decode_video: NULL argument");
    const vae_config *g = &m->cfg;
    const int tf = vae_temporal_factor(g), sf = vae_spatial_factor(g), L = g->latent_ch;
    if (Tl < 1 || Tl > VAE_MAX_FRAMES / tf || h < 1 || w < 1 || h > VAE_MAX_DIM / sf || w > VAE_MAX_DIM / sf)
        return mosa_fail(MOSA_ERR_ARG, "vae decode: latent of %d frames of %dx%d; want 1..%d frames of at most %dx%d",
                         Tl, w, h, VAE_MAX_FRAMES / tf, VAE_MAX_DIM / sf, VAE_MAX_DIM / sf);
    if (g->in_ch != 3) return mosa_fail(MOSA_ERR_ARG, "vae decode: the model gives %d channels, videos have 3", g->in_ch);
    if (chunk_latents == 0) chunk_latents = 2;
    if (chunk_latents < 1 || chunk_latents > VAE_MAX_FRAMES)
        return mosa_fail(MOSA_ERR_ARG, "vae decode: chunk of %d latent frames; use a positive number", chunk_latents);
    const int H = h * sf, W = w * sf;
    const size_t plane = (size_t)h * w, px = (size_t)H * W;
    vae_pass p;
    MOSA_TRY(pass_init(&p, dec_convs(g)));
    ctx c;
    ctx_init(&c, (size_t)1 << 24);
    ctx_no_grad(&c);
    float *zin = mosa_malloc(sizeof(float) * (size_t)L * (1 + (chunk_latents < Tl - 1 ? chunk_latents : Tl - 1)) * plane);
    mosa_status s = zin ? MOSA_OK : MOSA_ERR_NOMEM;
    const float inv = 1.0f / g->scaling_factor;
    int l0 = 0, t0 = 0;
    while (s == MOSA_OK && l0 < Tl) {
        p.first = l0 == 0;
        p.idx = 0;
        const int n = p.first ? 1 + (chunk_latents < Tl - 1 ? chunk_latents : Tl - 1)
                              : (chunk_latents < Tl - l0 ? chunk_latents : Tl - l0);
        for (int l = 0; l < L; l++)
            for (int t = 0; t < n; t++) {
                const float *src = latent + ((size_t)l * Tl + l0 + t) * plane;
                float *dst = zin + ((size_t)l * n + t) * plane;
                for (size_t i = 0; i < plane; i++) dst[i] = src[i] * inv;
            }
        tensor *z = t_wrap(&c, zin, T_SHAPE(1, L, n, h, w));
        tensor *y = decode_pass(&c, m, z, &p);
        if (!y) {
            s = c.status != MOSA_OK ? c.status : MOSA_ERR_INTERNAL;
            break;
        }
        const int nf = p.first ? 1 + tf * (n - 1) : tf * n;
        if (y->shape[2] != nf) {
            s = mosa_fail(MOSA_ERR_INTERNAL, "vae decode: chunk gave %lld frames, expected %d", (long long)y->shape[2],
                          nf);
            break;
        }
        for (int t = 0; t < nf; t++)
            for (size_t i = 0; i < px; i++)
                for (int k = 0; k < 3; k++) {
                    float v = y->data[((size_t)k * nf + t) * px + i];
                    v = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
                    if (v != v) v = 0.0f;
                    video[(((size_t)t0 + t) * px + i) * 3 + k] = v;
                }
        l0 += n;
        t0 += nf;
        ctx_reset(&c);
    }
    ctx_free(&c);
    mosa_free(zin);
    pass_free(&p);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Model file                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static const char *strip_prefix(const video_vae *m, const char *name) {
    const size_t n = strlen(m->prefix);
    if (n && !strncmp(name, m->prefix, n) && name[n] == '.') return name + n + 1;
    return name;
}

mosa_status vae_export(const video_vae *m, const char *path, int n_meta, const st_meta *meta) {
    if (!m || !path || n_meta < 0 || (n_meta && !meta)) return mosa_fail(MOSA_ERR_ARG, "vae_export: bad arguments");
    const int np = m->p_end - m->p_first;
    const char **names = mosa_calloc((size_t)np, sizeof *names);
    const tensor **ts = mosa_calloc((size_t)np, sizeof *ts);
    st_meta *md = mosa_calloc((size_t)n_meta + 2, sizeof *md);
    if (!names || !ts || !md) {
        mosa_free(names), mosa_free(ts), mosa_free(md);
        return MOSA_ERR_NOMEM;
    }
    for (int i = 0; i < np; i++) {
        names[i] = strip_prefix(m, m->ps->t[m->p_first + i]->name);
        ts[i] = m->ps->t[m->p_first + i];
    }
    char cfgs[256];
    vae_config_format(&m->cfg, cfgs, sizeof cfgs);
    md[0] = (st_meta){"mosa.format", "video_vae/1"};
    md[1] = (st_meta){"vae.config", cfgs};
    for (int i = 0; i < n_meta; i++) md[2 + i] = meta[i];
    mosa_status s = st_write(path, np, names, ts, ST_F32, n_meta + 2, md);
    mosa_free(names), mosa_free(ts), mosa_free(md);
    return s;
}

mosa_status vae_file_config(const char *path, vae_config *cfg) {
    st_file f;
    MOSA_TRY(st_open(&f, path));
    const char *fmt = st_meta_get(&f, "mosa.format"), *cs = st_meta_get(&f, "vae.config");
    mosa_status s = MOSA_OK;
    if (!fmt || strcmp(fmt, "video_vae/1") || !cs)
        s = mosa_fail(MOSA_ERR_FORMAT, "%s: not a mosa video VAE file (metadata mosa.format=video_vae/1 and vae.config "
                      "expected; write one with mosa train vae)", path);
    else if ((s = vae_config_parse(cfg, cs)) != MOSA_OK)
        mosa_fail_context(s, "%s", path);
    st_close(&f);
    return s;
}

static int same_arch(const vae_config *a, const vae_config *b) {
    if (a->in_ch != b->in_ch || a->latent_ch != b->latent_ch || a->levels != b->levels || a->layers != b->layers ||
        a->time_levels != b->time_levels || a->groups != b->groups || a->spatial_norm != b->spatial_norm ||
        a->linear_path != b->linear_path)
        return 0;
    for (int i = 0; i < a->levels; i++)
        if (a->ch[i] != b->ch[i]) return 0;
    return 1;
}

mosa_status vae_load(video_vae *m, const char *path) {
    if (!m || !path) return mosa_fail(MOSA_ERR_ARG, "vae_load: NULL argument");
    vae_config fc;
    MOSA_TRY(vae_file_config(path, &fc));
    if (!same_arch(&fc, &m->cfg)) {
        char a[256], b[256];
        vae_config_format(&fc, a, sizeof a);
        vae_config_format(&m->cfg, b, sizeof b);
        return mosa_fail(MOSA_ERR_MISMATCH, "%s: the file's VAE config (%s) differs from the model's (%s); build the "
                         "model from the file's config (vae_file_config)", path, a, b);
    }
    st_file f;
    MOSA_TRY(st_open(&f, path));
    mosa_status s = MOSA_OK;
    const int np = m->p_end - m->p_first;
    /* check every tensor first, then read them all into a scratch slab, then copy: nothing in
     * the model changes unless the whole file is good */
    size_t total = 0;
    for (int i = 0; i < np && s == MOSA_OK; i++) {
        const tensor *t = m->ps->t[m->p_first + i];
        const char *nm = strip_prefix(m, t->name);
        const st_tensor *st = st_find(&f, nm);
        int ok = st && st->nd == t->nd && (int64_t)st->nelements == t_numel(t);
        for (int d = 0; ok && d < t->nd; d++) ok = (int64_t)st->shape[d] == t->shape[d];
        if (!ok) s = mosa_fail(MOSA_ERR_MISMATCH, "%s: tensor '%s' is missing or has the wrong shape", path, nm);
        total += (size_t)t_numel(t);
    }
    float *tmp = s == MOSA_OK ? mosa_malloc(sizeof(float) * (total ? total : 1)) : NULL;
    if (s == MOSA_OK && !tmp) s = MOSA_ERR_NOMEM;
    size_t off = 0;
    for (int i = 0; i < np && s == MOSA_OK; i++) {
        const tensor *t = m->ps->t[m->p_first + i];
        s = st_read_f32(st_find(&f, strip_prefix(m, t->name)), tmp + off);
        if (s != MOSA_OK) mosa_fail_context(s, "%s", path);
        off += (size_t)t_numel(t);
    }
    if (s == MOSA_OK) {
        off = 0;
        for (int i = 0; i < np; i++) {
            tensor *t = m->ps->t[m->p_first + i];
            memcpy(t->data, tmp + off, sizeof(float) * (size_t)t_numel(t));
            off += (size_t)t_numel(t);
        }
        m->cfg.scaling_factor = fc.scaling_factor;
    }
    mosa_free(tmp);
    st_close(&f);
    return s;
}

mosa_status vae_open(video_vae **out, const char *path) {
    if (!out || !path) return mosa_fail(MOSA_ERR_ARG, "vae_open: NULL argument");
    *out = NULL;
    vae_config cfg;
    MOSA_TRY(vae_file_config(path, &cfg));
    param_store *ps = mosa_calloc(1, sizeof *ps);
    if (!ps) return MOSA_ERR_NOMEM;
    params_init(ps);
    mosa_rng r;
    rng_seed(&r, 0);
    video_vae *m = NULL;
    mosa_status s = vae_create(&m, ps, "", &cfg, &r);
    if (s == MOSA_OK) s = params_finalize(ps);
    if (s == MOSA_OK) s = vae_load(m, path);
    if (s != MOSA_OK) {
        vae_free(m);
        params_free(ps);
        mosa_free(ps);
        return s;
    }
    m->own_ps = ps;
    *out = m;
    return MOSA_OK;
}

/* Exposed for the trainer: sets the stored latent scale (after measuring the latent std). */
void vae_set_scaling_factor(video_vae *m, float s) { m->cfg.scaling_factor = s; }

/* ------------------------------------------------------------------------------------------ */
/* Linear path: PCA of the patches                                                             */
/* ------------------------------------------------------------------------------------------ */

/* Eigen-decomposition of the symmetric k x k matrix a (row-major, destroyed) by cyclic Jacobi
 * rotations: eigenvalues in ev, eigenvectors in the columns of v. */
static void jacobi_eigen(double *a, int k, double *ev, double *v) {
    for (int i = 0; i < k * k; i++) v[i] = 0;
    for (int i = 0; i < k; i++) v[i * k + i] = 1;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                if (i == j) diag += a[i * k + j] * a[i * k + j];
                else off += a[i * k + j] * a[i * k + j];
            }
        if (off <= 1e-24 * (diag > 1e-300 ? diag : 1e-300)) break;
        for (int p = 0; p < k; p++)
            for (int q = p + 1; q < k; q++) {
                const double apq = a[p * k + q];
                if (fabs(apq) < 1e-300) continue;
                const double theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
                const double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                const double cs = 1 / sqrt(t * t + 1), sn = t * cs;
                for (int r = 0; r < k; r++) { /* columns p, q */
                    const double x = a[r * k + p], y = a[r * k + q];
                    a[r * k + p] = cs * x - sn * y, a[r * k + q] = sn * x + cs * y;
                }
                for (int r = 0; r < k; r++) { /* rows p, q */
                    const double x = a[p * k + r], y = a[q * k + r];
                    a[p * k + r] = cs * x - sn * y, a[q * k + r] = sn * x + cs * y;
                }
                for (int r = 0; r < k; r++) {
                    const double x = v[r * k + p], y = v[r * k + q];
                    v[r * k + p] = cs * x - sn * y, v[r * k + q] = sn * x + cs * y;
                }
            }
    }
    for (int i = 0; i < k; i++) ev[i] = a[i * k + i];
}

/* Orthonormalises the k columns of q (P x k, row-major) in place (modified Gram-Schmidt, twice). */
static void orthonormalise(double *q, int P, int k) {
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < j; i++) {
                double d = 0;
                for (int r = 0; r < P; r++) d += q[r * k + i] * q[r * k + j];
                for (int r = 0; r < P; r++) q[r * k + j] -= d * q[r * k + i];
            }
            double nrm = 0;
            for (int r = 0; r < P; r++) nrm += q[r * k + j] * q[r * k + j];
            nrm = sqrt(nrm);
            for (int r = 0; r < P; r++) q[r * k + j] = nrm > 1e-300 ? q[r * k + j] / nrm : (r == j);
        }
}

/* y = cov q: cov (P x P, float), q and y (P x k, double, row-major). */
static void cov_times(const float *cov, const double *q, double *y, int P, int k) {
    for (int a = 0; a < P; a++)
        for (int j = 0; j < k; j++) {
            double d = 0;
            for (int b = 0; b < P; b++) d += (double)cov[(size_t)a * P + b] * q[b * k + j];
            y[a * k + j] = d;
        }
}

mosa_status vae_fit_linear_path(video_vae *m, const float *x, int n, int T, int H, int W) {
    if (!m || !x || n < 1) return mosa_fail(MOSA_ERR_ARG, "vae_fit_linear_path: bad arguments");
    const vae_config *g = &m->cfg;
    if (!m->lin_ew) return mosa_fail(MOSA_ERR_ARG, "vae_fit_linear_path: the model has no linear path (linear_path=0)");
    MOSA_TRY(check_video_size(g, T, H, W, "vae_fit_linear_path"));
    const int C = g->in_ch, tf = vae_temporal_factor(g), sf = vae_spatial_factor(g), k = g->latent_ch;
    const int P = C * tf * sf * sf, Tl = vae_latent_frames(g, T), h = H / sf, w = W / sf;
    const size_t R = (size_t)n * Tl * h * w;
    if (R < (size_t)k)
        return mosa_fail(MOSA_ERR_ARG, "vae_fit_linear_path: %zu patches for %d latent channels; give more video", R, k);
    float *X = mosa_malloc(sizeof(float) * R * P), *cov = mosa_malloc(sizeof(float) * (size_t)P * P);
    double *mu = mosa_calloc((size_t)P, sizeof *mu), *q = mosa_malloc(sizeof(double) * (size_t)P * k),
           *y = mosa_malloc(sizeof(double) * (size_t)P * k), *s = mosa_malloc(sizeof(double) * (size_t)k * k),
           *ev = mosa_malloc(sizeof(double) * k), *v = mosa_malloc(sizeof(double) * (size_t)k * k);
    mosa_status st = X && cov && mu && q && y && s && ev && v ? MOSA_OK : MOSA_ERR_NOMEM;
    if (st == MOSA_OK) {
        /* rows: patches; the padded video's frame f is the input frame max(f - (tf-1), 0) */
        size_t r = 0;
        for (int i = 0; i < n; i++)
            for (int t = 0; t < Tl; t++)
                for (int by = 0; by < h; by++)
                    for (int bx = 0; bx < w; bx++, r++) {
                        float *row = X + r * P;
                        for (int ch = 0; ch < C; ch++)
                            for (int dt = 0; dt < tf; dt++) {
                                const int f = t * tf + dt - (tf - 1) > 0 ? t * tf + dt - (tf - 1) : 0;
                                const float *src = x + (((size_t)i * C + ch) * T + f) * H * W;
                                for (int dy = 0; dy < sf; dy++)
                                    for (int dx = 0; dx < sf; dx++)
                                        row[((ch * tf + dt) * sf + dy) * sf + dx] =
                                            src[(size_t)(by * sf + dy) * W + bx * sf + dx];
                            }
                        for (int j = 0; j < P; j++) mu[j] += row[j];
                    }
        for (int j = 0; j < P; j++) mu[j] /= (double)R;
        for (size_t i = 0; i < R; i++)
            for (int j = 0; j < P; j++) X[i * P + j] -= (float)mu[j];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, P, P, (int)R, 1.0f / (float)R, X, P, X, P, 0.0f, cov, P);
        /* subspace iteration from a fixed start, then Rayleigh-Ritz for the order */
        mosa_rng r0;
        rng_seed(&r0, 12345);
        for (size_t i = 0; i < (size_t)P * k; i++) {
            float u;
            rng_normal(&r0, &u, 1, 0.0f, 1.0f);
            q[i] = u;
        }
        orthonormalise(q, P, k);
        for (int it = 0; it < 200; it++) {
            cov_times(cov, q, y, P, k);
            memcpy(q, y, sizeof(double) * (size_t)P * k);
            orthonormalise(q, P, k);
        }
        cov_times(cov, q, y, P, k);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                double d = 0;
                for (int a = 0; a < P; a++) d += q[a * k + i] * y[a * k + j];
                s[i * k + j] = d;
            }
        for (int i = 0; i < k; i++) /* symmetrise */
            for (int j = 0; j < i; j++) s[i * k + j] = s[j * k + i] = 0.5 * (s[i * k + j] + s[j * k + i]);
        jacobi_eigen(s, k, ev, v);
        int *order = (int *)s; /* s is free now; k ints fit in k*k doubles */
        for (int i = 0; i < k; i++) order[i] = i;
        for (int i = 0; i < k; i++) /* largest eigenvalue first */
            for (int j = i + 1; j < k; j++)
                if (ev[order[j]] > ev[order[i]]) {
                    const int t = order[i];
                    order[i] = order[j], order[j] = t;
                }
        for (int l = 0; l < k; l++) {
            double b = 0;
            for (int a = 0; a < P; a++) {
                double e = 0; /* component l: column order[l] of q v */
                for (int j = 0; j < k; j++) e += q[a * k + j] * v[j * k + order[l]];
                /* a deterministic sign: the largest entry positive */
                y[a * k + l] = e;
            }
            int amax = 0;
            for (int a = 1; a < P; a++)
                if (fabs(y[a * k + l]) > fabs(y[amax * k + l])) amax = a;
            const double sgn = y[amax * k + l] < 0 ? -1.0 : 1.0;
            for (int a = 0; a < P; a++) {
                const double e = sgn * y[a * k + l];
                m->lin_ew->data[(size_t)l * P + a] = (float)e;
                m->lin_dw->data[(size_t)a * k + l] = (float)e;
                b += e * mu[a];
            }
            m->lin_eb->data[l] = (float)-b;
        }
        for (int a = 0; a < P; a++) m->lin_db->data[a] = (float)mu[a];
        /* the network starts silent: the fitted model is the PCA alone, with a near-deterministic
         * posterior (log-variance -10) */
        nn_causal_conv3d *outs[2] = {&m->enc_out, &m->dec_out};
        for (int i = 0; i < 2; i++) {
            memset(outs[i]->w->data, 0, sizeof(float) * (size_t)t_numel(outs[i]->w));
            memset(outs[i]->b->data, 0, sizeof(float) * (size_t)t_numel(outs[i]->b));
        }
        for (int i = 0; i < k; i++) m->enc_out.b->data[k + i] = -10.0f;
    }
    mosa_free(X), mosa_free(cov), mosa_free(mu), mosa_free(q), mosa_free(y), mosa_free(s), mosa_free(ev),
        mosa_free(v);
    return st;
}
