/* test_ops_conv.c: convolutions (1D/2D/3D, causal 3D with frame cache), nearest and trilinear
 * upsampling, average pooling: fast kernels against the naive references on odd shapes (forward
 * and backward, contiguous and strided inputs, tiled and parallel paths), finite-difference
 * gradient checks of every op, chunked causal decoding equal to whole-video decoding, PyTorch
 * reference values for trilinear/bilinear, error paths, and no heap allocation after step one. */
#include "gradcheck.h"
#include "test.h"

#include <string.h>

static mosa_rng R;

static void fill(float *p, int64_t n) {
    rng_uniform(&R, p, (size_t)n);
    for (int64_t i = 0; i < n; i++) p[i] = 2.0f * p[i] - 1.0f;
}

static float *vec(int64_t n) {
    float *p = mosa_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    fill(p, n);
    return p;
}

static float *zvec(int64_t n) { return mosa_calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }

/* ------------------------------------------------------------------------------------------ */
/* Convolutions: fast against reference                                                       */
/* ------------------------------------------------------------------------------------------ */

typedef struct conv_case {
    const char *name;
    int nsp, causal, cache, bias, noncontig;
    int N, C, F;
    int sz[3], k[3], st[3], pd[3], dl[3]; /* {t, h, w}; unused leading dims are 1 / 0 */
} conv_case;

/* Runs one conv through the op (forward + backward with a random seed) and compares the output
 * and every gradient with the reference kernels. */
static void run_conv_case(const conv_case *k) {
    conv_dims d = {.N = k->N, .C = k->C, .T = k->sz[0], .H = k->sz[1], .W = k->sz[2], .F = k->F,
                   .KT = k->k[0], .KH = k->k[1], .KW = k->k[2], .st = k->st[0], .sh = k->st[1], .sw = k->st[2],
                   .pt = k->pd[0], .ph = k->pd[1], .pw = k->pd[2], .dt = k->dl[0], .dh = k->dl[1], .dw = k->dl[2],
                   .causal = k->causal};
    if (k->causal) d.pt = (d.KT - 1) * d.dt;
    TEST_COND(k->name, conv_dims_output(&d));
    const int nd = k->nsp + 2;
    const int64_t nx = (int64_t)d.N * d.C * d.T * d.H * d.W, nw = (int64_t)d.F * d.C * d.KT * d.KH * d.KW;
    const int64_t ncache = k->cache ? (int64_t)d.N * d.C * d.pt * d.H * d.W : 0;
    const int64_t ny = (int64_t)d.N * d.F * d.To * d.Ho * d.Wo;
    float *x = vec(nx), *w = vec(nw), *b = vec(d.F), *cache = vec(ncache), *dy = vec(ny);
    float *y_ref = zvec(ny), *dx_ref = zvec(nx), *dw_ref = zvec(nw), *db_ref = zvec(d.F), *dc_ref = zvec(ncache);
    float *dx_got = zvec(nx);

    int64_t xs[5] = {d.N, d.C, d.T, d.H, d.W}, ws[5] = {d.F, d.C, d.KT, d.KH, d.KW};
    int64_t xshape[5], wshape[5];
    xshape[0] = xs[0], xshape[1] = xs[1], wshape[0] = ws[0], wshape[1] = ws[1];
    for (int i = 0; i < k->nsp; i++) {
        xshape[2 + i] = xs[5 - k->nsp + i];
        wshape[2 + i] = ws[5 - k->nsp + i];
    }

    ctx c;
    ctx_init(&c, 1 << 20);
    tensor *xt, *big = NULL;
    if (k->noncontig) {
        /* x is a view into a wider tensor: columns [1, W+1) of W+3 */
        int64_t bs[5];
        memcpy(bs, xshape, sizeof bs);
        bs[nd - 1] += 3;
        big = t_new(&c, nd, bs);
        fill(big->data, t_numel(big));
        big->requires_grad = 1;
        xt = op_slice(&c, big, nd - 1, 1, xshape[nd - 1], 1);
        t_copy_to_contiguous(x, xt);
    } else {
        xt = t_from(&c, x, nd, xshape);
        xt->requires_grad = 1;
    }
    tensor *wt = t_from(&c, w, nd, wshape);
    wt->requires_grad = 1;
    tensor *bt = NULL, *ct = NULL;
    if (k->bias) {
        bt = t_from(&c, b, T_SHAPE(d.F));
        bt->requires_grad = 1;
    }
    if (k->cache) {
        ct = t_from(&c, cache, T_SHAPE(d.N, d.C, d.pt, d.H, d.W));
        ct->requires_grad = 1;
    }
    tensor *out = NULL;
    const int s2[2] = {k->st[1], k->st[2]}, p2[2] = {k->pd[1], k->pd[2]}, d2[2] = {k->dl[1], k->dl[2]};
    if (k->nsp == 1) out = op_conv1d(&c, xt, wt, bt, k->st[2], k->pd[2], k->dl[2]);
    else if (k->nsp == 2) out = op_conv2d(&c, xt, wt, bt, s2, p2, d2);
    else if (k->causal) out = op_conv3d_causal(&c, xt, wt, bt, k->st, p2, k->dl, ct);
    else out = op_conv3d(&c, xt, wt, bt, k->st, k->pd, k->dl);
    TEST_COND(k->name, out != NULL);
    if (!out) {
        printf("  %s: %s\n", k->name, mosa_last_error());
        goto done;
    }
    int64_t os[5] = {d.N, d.F, d.To, d.Ho, d.Wo};
    int shape_ok = out->nd == nd && out->shape[0] == d.N && out->shape[1] == d.F;
    for (int i = 0; i < k->nsp; i++) shape_ok &= out->shape[2 + i] == os[5 - k->nsp + i];
    TEST_COND(k->name, shape_ok);

    const float *bp = k->bias ? b : NULL;
    if (k->nsp == 1) {
        conv1d_forward_ref(y_ref, x, w, bp, d.N, d.C, d.W, d.F, d.KW, d.sw, d.pw, d.dw);
        conv1d_backward_ref(dx_ref, dw_ref, db_ref, dy, x, w, d.N, d.C, d.W, d.F, d.KW, d.sw, d.pw, d.dw);
    } else if (k->nsp == 2) {
        conv2d_forward_ref(y_ref, x, w, bp, d.N, d.C, d.H, d.W, d.F, d.KH, d.KW, s2, p2, d2);
        conv2d_backward_ref(dx_ref, dw_ref, db_ref, dy, x, w, d.N, d.C, d.H, d.W, d.F, d.KH, d.KW, s2, p2, d2);
    } else {
        conv3d_forward_ref(y_ref, x, k->cache ? cache : NULL, w, bp, &d);
        conv3d_backward_ref(dx_ref, k->cache ? dc_ref : NULL, dw_ref, db_ref, dy, x, k->cache ? cache : NULL, w, &d);
    }
    char msg[160];
    snprintf(msg, sizeof msg, "%s: forward matches reference", k->name);
    TEST_CLOSE(msg, out->data, y_ref, ny, 2e-4, 1.0);

    TEST_COND(k->name, ctx_backward_seed(&c, out, dy) == MOSA_OK);
    if (k->noncontig) {
        tensor *gv = t_wrap(&c, big->grad, nd, big->shape); /* the slice's region of big's grad */
        gv = op_slice(&c, gv, nd - 1, 1, xshape[nd - 1], 1);
        t_copy_to_contiguous(dx_got, gv);
    } else if (xt->grad) {
        memcpy(dx_got, xt->grad, (size_t)nx * sizeof(float));
    }
    snprintf(msg, sizeof msg, "%s: dx matches reference", k->name);
    TEST_CLOSE(msg, dx_got, dx_ref, nx, 2e-4, 1.0);
    snprintf(msg, sizeof msg, "%s: dw matches reference", k->name);
    TEST_COND(msg, wt->grad != NULL);
    if (wt->grad) TEST_CLOSE(msg, wt->grad, dw_ref, nw, 2e-4, 1.0);
    if (k->bias) {
        snprintf(msg, sizeof msg, "%s: db matches reference", k->name);
        TEST_COND(msg, bt->grad != NULL);
        if (bt->grad) TEST_CLOSE(msg, bt->grad, db_ref, d.F, 2e-4, 1.0);
    }
    if (k->cache && ncache) {
        snprintf(msg, sizeof msg, "%s: dcache matches reference", k->name);
        TEST_COND(msg, ct->grad != NULL);
        if (ct->grad) TEST_CLOSE(msg, ct->grad, dc_ref, ncache, 2e-4, 1.0);
    }
done:
    ctx_free(&c);
    float *all[] = {x, w, b, cache, dy, y_ref, dx_ref, dw_ref, db_ref, dc_ref, dx_got};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mosa_free(all[i]);
}

/* ------------------------------------------------------------------------------------------ */
/* Gradient checks                                                                             */
/* ------------------------------------------------------------------------------------------ */

typedef struct gc_conv {
    int nsp, causal, bias, cache;
    int st[3], pd[3], dl[3];
} gc_conv;

static tensor *f_conv(ctx *c, tensor *const *in, void *u) {
    const gc_conv *g = u;
    tensor *b = g->bias ? in[2] : NULL;
    tensor *cache = g->cache ? in[3] : NULL;
    const int s2[2] = {g->st[1], g->st[2]}, p2[2] = {g->pd[1], g->pd[2]}, d2[2] = {g->dl[1], g->dl[2]};
    if (g->nsp == 1) return op_conv1d(c, in[0], in[1], b, g->st[2], g->pd[2], g->dl[2]);
    if (g->nsp == 2) return op_conv2d(c, in[0], in[1], b, s2, p2, d2);
    if (g->causal) return op_conv3d_causal(c, in[0], in[1], b, g->st, p2, g->dl, cache);
    return op_conv3d(c, in[0], in[1], b, g->st, g->pd, g->dl);
}

typedef struct gc_vol {
    int kind; /* 0 nearest, 1 trilinear, 2 avgpool */
    int f[3], size[3], align, k[3], s[3], default_stride;
} gc_vol;

static tensor *f_vol(ctx *c, tensor *const *in, void *u) {
    const gc_vol *g = u;
    if (g->kind == 0) return op_upsample_nearest(c, in[0], g->f);
    if (g->kind == 1) return op_upsample_trilinear(c, in[0], g->size[0], g->size[1], g->size[2], g->align);
    return op_avgpool(c, in[0], g->k, g->default_stride ? NULL : g->s);
}

static int gc_conv_run(const char *name, const gc_conv *g, int N, int C, int F, const int *sz, const int *kk) {
    /* sz and kk have nsp entries; cache frames = (KT-1)*dl_t */
    gc_input in[4];
    memset(in, 0, sizeof in);
    in[0].nd = in[1].nd = g->nsp + 2;
    in[0].shape[0] = N, in[0].shape[1] = C;
    in[1].shape[0] = F, in[1].shape[1] = C;
    for (int i = 0; i < g->nsp; i++) {
        in[0].shape[2 + i] = sz[i];
        in[1].shape[2 + i] = kk[i];
    }
    in[2].nd = 1;
    in[2].shape[0] = F;
    in[2].no_grad = !g->bias;
    in[3].nd = 5;
    in[3].shape[0] = N, in[3].shape[1] = C, in[3].shape[2] = g->nsp == 3 ? (kk[0] - 1) * g->dl[0] : 0;
    in[3].shape[3] = g->nsp == 3 ? sz[1] : 1, in[3].shape[4] = g->nsp == 3 ? sz[2] : 1;
    in[3].no_grad = !g->cache;
    gc_opts o = {.eps = 0.05, .max_checks = 40}; /* the conv is linear in each input: large eps is exact */
    return gradcheck(name, f_conv, 4, in, (void *)g, &o);
}

static int gc_vol_run(const char *name, const gc_vol *g, int nd, const int64_t *shape) {
    gc_input in[1];
    memset(in, 0, sizeof in);
    in[0].nd = nd;
    memcpy(in[0].shape, shape, (size_t)nd * sizeof(int64_t));
    gc_opts o = {.eps = 0.05, .max_checks = 48};
    return gradcheck(name, f_vol, 1, in, (void *)g, &o);
}

/* ------------------------------------------------------------------------------------------ */

static int has(const char *needle) { return strstr(mosa_last_error(), needle) != NULL; }

int main(void) {
    rng_seed(&R, 42);

    /* ---- fast vs reference, forward and backward, odd shapes ---- */
    static const conv_case cases[] = {
        {"conv1d k3 p1 bias", 1, 0, 0, 1, 0, 2, 3, 5, {1, 1, 17}, {1, 1, 3}, {1, 1, 1}, {0, 0, 1}, {1, 1, 1}},
        {"conv1d k5 s2 p3 d2 strided x", 1, 0, 0, 0, 1, 1, 4, 3, {1, 1, 23}, {1, 1, 5}, {1, 1, 2}, {0, 0, 3}, {1, 1, 2}},
        {"conv1d long sequence (tiles)", 1, 0, 0, 1, 0, 1, 9, 4, {1, 1, 1501}, {1, 1, 3}, {1, 1, 1}, {0, 0, 1}, {1, 1, 1}},
        {"conv2d 3x3 p1 bias", 2, 0, 0, 1, 0, 2, 3, 4, {1, 9, 7}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}},
        {"conv2d 3x5 s(2,1) p(0,2) d(1,2) strided x", 2, 0, 0, 0, 1, 1, 5, 6, {1, 11, 13}, {1, 3, 5}, {1, 2, 1}, {0, 0, 2}, {1, 1, 2}},
        {"conv2d 1x1 (plain GEMM)", 2, 0, 0, 1, 0, 2, 7, 3, {1, 5, 9}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}},
        {"conv2d 1x1 stride 2", 2, 0, 0, 1, 0, 2, 7, 3, {1, 5, 9}, {1, 1, 1}, {1, 2, 2}, {0, 0, 0}, {1, 1, 1}},
        {"conv2d 3x3 s2 N=1 C=32 (channel blocks)", 2, 0, 0, 1, 0, 1, 32, 8, {1, 31, 29}, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {1, 1, 1}},
        {"conv3d 3x3x3 p1 bias", 3, 0, 0, 1, 0, 2, 3, 4, {5, 7, 6}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}},
        {"conv3d (3,3,2) s(2,2,1) p(1,0,1) d(2,1,2)", 3, 0, 0, 0, 1, 1, 4, 3, {7, 9, 5}, {3, 3, 2}, {2, 2, 1}, {1, 0, 1}, {2, 1, 2}},
        {"conv3d 1x1x1 (plain GEMM)", 3, 0, 0, 1, 1, 2, 5, 6, {3, 5, 7}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}},
        {"conv3d (3,1,1) temporal only", 3, 0, 0, 1, 0, 1, 6, 4, {7, 4, 5}, {3, 1, 1}, {1, 1, 1}, {1, 0, 0}, {1, 1, 1}},
        {"conv3d 3x3x3 s(2,1,1) C=64 33x35 (tiles, ring)", 3, 0, 0, 1, 0, 1, 64, 5, {5, 33, 35}, {3, 3, 3}, {2, 1, 1}, {1, 1, 1}, {1, 1, 1}},
        {"causal 3x3x3 replicate", 3, 1, 0, 1, 0, 2, 3, 4, {5, 6, 7}, {3, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}},
        {"causal 3x3x3 cache d_t=2", 3, 1, 1, 1, 1, 1, 3, 2, {4, 5, 5}, {3, 3, 3}, {1, 1, 1}, {0, 1, 1}, {2, 1, 1}},
        {"causal s_t=2 replicate", 3, 1, 0, 0, 0, 1, 2, 3, {7, 5, 6}, {3, 3, 3}, {2, 1, 2}, {0, 1, 0}, {1, 1, 1}},
        {"causal (3,1,1) cache", 3, 1, 1, 1, 0, 2, 5, 3, {3, 4, 6}, {3, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}},
        {"causal (2,3,3) d_t=5 replicate (ring by tap)", 3, 1, 0, 1, 0, 1, 3, 2, {4, 5, 5}, {2, 3, 3}, {1, 1, 1}, {0, 1, 1}, {5, 1, 1}},
        {"causal C=64 33x33 cache (tiles, ring, cache frames)", 3, 1, 1, 1, 0, 1, 64, 4, {3, 33, 33}, {3, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_conv_case(&cases[i]);

    /* ---- gradient checks of every conv op ---- */
    {
        gc_conv g1 = {1, 0, 1, 0, {1, 1, 2}, {0, 0, 1}, {1, 1, 2}};
        TEST_COND("grad conv1d s2 p1 d2", gc_conv_run("conv1d", &g1, 2, 3, 2, (int[]){9}, (int[]){3}) == 0);
        gc_conv g2 = {2, 0, 1, 0, {1, 1, 2}, {0, 1, 1}, {1, 2, 1}};
        TEST_COND("grad conv2d s(1,2) p1 d(2,1)", gc_conv_run("conv2d", &g2, 2, 3, 2, (int[]){5, 4}, (int[]){3, 2}) == 0);
        gc_conv g3 = {3, 0, 1, 0, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
        TEST_COND("grad conv3d 3x3x3 p1", gc_conv_run("conv3d", &g3, 2, 3, 2, (int[]){4, 5, 3}, (int[]){3, 3, 3}) == 0);
        gc_conv g4 = {3, 0, 1, 0, {2, 1, 2}, {1, 0, 1}, {1, 2, 1}};
        TEST_COND("grad conv3d s(2,1,2) d(1,2,1)", gc_conv_run("conv3d_s2", &g4, 2, 3, 2, (int[]){4, 5, 3}, (int[]){3, 3, 3}) == 0);
        gc_conv g5 = {3, 0, 1, 0, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}};
        TEST_COND("grad conv3d 1x1x1", gc_conv_run("conv3d_1x1", &g5, 2, 3, 2, (int[]){4, 5, 3}, (int[]){1, 1, 1}) == 0);
        gc_conv g6 = {3, 1, 1, 0, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}};
        TEST_COND("grad causal replicate", gc_conv_run("causal", &g6, 2, 3, 2, (int[]){4, 5, 3}, (int[]){3, 3, 3}) == 0);
        gc_conv g7 = {3, 1, 1, 1, {1, 1, 1}, {0, 1, 1}, {2, 1, 1}};
        TEST_COND("grad causal with cache d_t=2", gc_conv_run("causal_cache", &g7, 2, 3, 2, (int[]){4, 5, 3}, (int[]){3, 3, 3}) == 0);
        gc_conv g8 = {3, 1, 0, 0, {2, 2, 1}, {0, 0, 1}, {1, 1, 1}};
        TEST_COND("grad causal s(2,2,1)", gc_conv_run("causal_s2", &g8, 2, 3, 2, (int[]){5, 5, 3}, (int[]){3, 3, 3}) == 0);
    }

    /* ---- causal conv in chunks (1 + 4 + 4 frames) equals the whole 9-frame video ---- */
    for (int dt = 1; dt <= 2; dt++) {
        ctx c;
        ctx_init(&c, 1 << 20);
        const int KT = 3, N = 1, C = 3, T = 9, H = 5, W = 4, F = 2;
        tensor *x = t_new(&c, T_SHAPE(N, C, T, H, W)), *w = t_new(&c, T_SHAPE(F, C, KT, 3, 3)), *b = t_new(&c, T_SHAPE(F));
        fill(x->data, t_numel(x));
        fill(w->data, t_numel(w));
        fill(b->data, F);
        const int st[3] = {1, 1, 1}, phw[2] = {1, 1}, dl[3] = {dt, 1, 1};
        tensor *whole = op_conv3d_causal(&c, x, w, b, st, phw, dl, NULL);
        const int starts[3] = {0, 1, 5}, lens[3] = {1, 4, 4};
        tensor *cache = NULL;
        int ok = whole != NULL, close = 1;
        for (int i = 0; i < 3 && ok; i++) {
            tensor *xc = op_slice(&c, x, 2, starts[i], lens[i], 1);
            tensor *y = op_conv3d_causal(&c, xc, w, b, st, phw, dl, cache);
            tensor *next = conv3d_causal_next_cache(&c, xc, cache, KT, dt);
            ok = y && next && next->shape[2] == (KT - 1) * dt;
            if (!ok) break;
            cache = next;
            for (int f = 0; f < F; f++)
                for (int t = 0; t < lens[i]; t++)
                    for (int j = 0; j < H * W; j++) {
                        float a = y->data[((int64_t)f * lens[i] + t) * H * W + j];
                        float e = whole->data[((int64_t)f * T + starts[i] + t) * H * W + j];
                        if (fabsf(a - e) > 1e-5f * (1.0f + fabsf(e))) close = 0;
                    }
        }
        TEST_COND("chunked causal conv runs", ok);
        TEST_COND(dt == 1 ? "chunked (1+4+4) == whole, d_t=1" : "chunked (1+4+4) == whole, d_t=2", ok && close);
        ctx_free(&c);
    }

    /* ---- next_cache: replicate and cache sources ---- */
    {
        ctx c;
        ctx_init(&c, 1 << 16);
        float xv[2 * 2], cv[2 * 3];
        for (int i = 0; i < 4; i++) xv[i] = (float)(10 + i);  /* x (1,1,2,2,1): frames {10,11}, {12,13} */
        for (int i = 0; i < 6; i++) cv[i] = (float)(100 + i); /* cache (1,1,3,2,1) */
        tensor *x = t_from(&c, xv, T_SHAPE(1, 1, 2, 2, 1)), *cache = t_from(&c, cv, T_SHAPE(1, 1, 3, 2, 1));
        tensor *r = conv3d_causal_next_cache(&c, x, NULL, 4, 1); /* P = 3: {x0, x0, x0, x0, x1} -> last 3 */
        const float want_r[6] = {10, 11, 10, 11, 12, 13};
        TEST_COND("next_cache replicate", r && r->shape[2] == 3 && memcmp(r->data, want_r, sizeof want_r) == 0);
        tensor *q = conv3d_causal_next_cache(&c, x, cache, 4, 1); /* {c0, c1, c2, x0, x1} -> c2, x0, x1 */
        const float want_q[6] = {104, 105, 10, 11, 12, 13};
        TEST_COND("next_cache from cache", q && memcmp(q->data, want_q, sizeof want_q) == 0);
        tensor *e = conv3d_causal_next_cache(&c, x, NULL, 1, 1);
        TEST_COND("next_cache KT=1 is empty", e && e->shape[2] == 0);
        ctx_free(&c);
    }

    /* ---- upsampling and pooling: fast vs reference on odd shapes ---- */
    {
        ctx c;
        ctx_init(&c, 1 << 20);
        /* nearest, 1D / 2D / 3D */
        const int64_t s1[3] = {2, 3, 7}, s2[4] = {2, 3, 5, 7}, s3[5] = {1, 3, 3, 5, 7};
        const int64_t *shapes[3] = {s1, s2, s3};
        const int fac[3][3] = {{3}, {2, 3}, {2, 1, 3}};
        for (int v = 0; v < 3; v++) {
            const int nd = v + 3;
            tensor *x = t_new(&c, nd, shapes[v]);
            fill(x->data, t_numel(x));
            x->requires_grad = 1;
            tensor *y = op_upsample_nearest(&c, x, fac[v]);
            int T = nd == 5 ? (int)shapes[v][2] : 1, H = nd >= 4 ? (int)shapes[v][nd - 2] : 1, W = (int)shapes[v][nd - 1];
            int ft = nd == 5 ? fac[v][0] : 1, fh = nd >= 4 ? fac[v][nd - 4] : 1, fw = fac[v][nd - 3];
            int64_t NC = shapes[v][0] * shapes[v][1], ny = NC * T * ft * H * fh * W * fw, nx = t_numel(x);
            float *ref = zvec(ny), *dref = zvec(nx), *dy = vec(ny);
            upsample_nearest_forward_ref(ref, x->data, (int)NC, T, H, W, ft, fh, fw);
            TEST_COND("nearest output", y && t_numel(y) == ny);
            if (y) {
                TEST_CLOSE("nearest forward vs ref", y->data, ref, ny, 0, 1.0);
                ctx_backward_seed(&c, y, dy);
                upsample_nearest_backward_ref(dref, dy, (int)NC, T, H, W, ft, fh, fw);
                TEST_CLOSE("nearest backward vs ref", x->grad, dref, nx, 1e-6, 1.0);
            }
            mosa_free(ref), mosa_free(dref), mosa_free(dy);
            ctx_reset(&c);
        }
        /* trilinear, both align_corners, up and down, and bilinear-in-5D */
        const int sizes[4][6] = {{3, 5, 7, 7, 11, 9}, {1, 6, 7, 1, 13, 5}, {4, 9, 8, 2, 4, 3}, {2, 3, 4, 5, 3, 10}};
        for (int v = 0; v < 4; v++)
            for (int ac = 0; ac < 2; ac++) {
                const int *s = sizes[v];
                tensor *x = t_new(&c, T_SHAPE(2, 3, s[0], s[1], s[2]));
                fill(x->data, t_numel(x));
                x->requires_grad = 1;
                tensor *y = op_upsample_trilinear(&c, x, s[3], s[4], s[5], ac);
                const int64_t ny = 6LL * s[3] * s[4] * s[5], nx = t_numel(x);
                float *ref = zvec(ny), *dref = zvec(nx), *dy = vec(ny);
                upsample_trilinear_forward_ref(ref, x->data, 6, s[0], s[1], s[2], s[3], s[4], s[5], ac);
                TEST_COND("trilinear output", y && t_numel(y) == ny);
                if (y) {
                    TEST_CLOSE("trilinear forward vs ref", y->data, ref, ny, 1e-5, 1.0);
                    ctx_backward_seed(&c, y, dy);
                    upsample_trilinear_backward_ref(dref, dy, 6, s[0], s[1], s[2], s[3], s[4], s[5], ac);
                    TEST_CLOSE("trilinear backward vs ref", x->grad, dref, nx, 1e-5, 1.0);
                }
                mosa_free(ref), mosa_free(dref), mosa_free(dy);
                ctx_reset(&c);
            }
        /* avgpool 1D / 2D / 3D, stride = kernel and stride != kernel */
        const int kk[3][3] = {{3}, {2, 3}, {2, 3, 2}}, ss[3][3] = {{2}, {3, 2}, {1, 2, 3}};
        for (int v = 0; v < 3; v++)
            for (int dflt = 0; dflt < 2; dflt++) {
                const int nd = v + 3;
                tensor *x = t_new(&c, nd, shapes[v]);
                fill(x->data, t_numel(x));
                x->requires_grad = 1;
                tensor *y = op_avgpool(&c, x, kk[v], dflt ? NULL : ss[v]);
                int k3[3] = {1, 1, 1}, st3[3] = {1, 1, 1};
                for (int i = 0; i < v + 1; i++) {
                    k3[3 - (v + 1) + i] = kk[v][i];
                    st3[3 - (v + 1) + i] = dflt ? kk[v][i] : ss[v][i];
                }
                int T = nd == 5 ? (int)shapes[v][2] : 1, H = nd >= 4 ? (int)shapes[v][nd - 2] : 1, W = (int)shapes[v][nd - 1];
                int To = (T - k3[0]) / st3[0] + 1, Ho = (H - k3[1]) / st3[1] + 1, Wo = (W - k3[2]) / st3[2] + 1;
                int64_t NC = shapes[v][0] * shapes[v][1], ny = NC * To * Ho * Wo, nx = t_numel(x);
                float *ref = zvec(ny), *dref = zvec(nx), *dy = vec(ny);
                avgpool_forward_ref(ref, x->data, (int)NC, T, H, W, k3, st3);
                TEST_COND("avgpool output", y && t_numel(y) == ny);
                if (y) {
                    TEST_CLOSE("avgpool forward vs ref", y->data, ref, ny, 1e-5, 1.0);
                    ctx_backward_seed(&c, y, dy);
                    avgpool_backward_ref(dref, dy, (int)NC, T, H, W, k3, st3);
                    TEST_CLOSE("avgpool backward vs ref", x->grad, dref, nx, 1e-5, 1.0);
                }
                mosa_free(ref), mosa_free(dref), mosa_free(dy);
                ctx_reset(&c);
            }
        /* a larger nearest + trilinear + avgpool through the parallel paths, on a strided view */
        {
            tensor *big = t_new(&c, T_SHAPE(2, 8, 5, 33, 40));
            fill(big->data, t_numel(big));
            tensor *x = op_slice(&c, big, 4, 3, 33, 1); /* (2,8,5,33,33), non-contiguous */
            float *xc = zvec(t_numel(x));
            t_copy_to_contiguous(xc, x);
            tensor *y = op_upsample_trilinear(&c, x, 9, 66, 66, 0);
            float *ref = zvec(16LL * 9 * 66 * 66);
            upsample_trilinear_forward_ref(ref, xc, 16, 5, 33, 33, 9, 66, 66, 0);
            TEST_COND("trilinear large", y != NULL);
            if (y) TEST_CLOSE("trilinear large strided vs ref", y->data, ref, 16LL * 9 * 66 * 66, 1e-5, 1.0);
            const int f3[3] = {2, 2, 2};
            tensor *u = op_upsample_nearest(&c, x, f3);
            float *uref = zvec(16LL * 10 * 66 * 66);
            upsample_nearest_forward_ref(uref, xc, 16, 5, 33, 33, 2, 2, 2);
            TEST_COND("nearest large", u != NULL);
            if (u) TEST_CLOSE("nearest large strided vs ref", u->data, uref, 16LL * 10 * 66 * 66, 0, 1.0);
            const int k3[3] = {1, 2, 2};
            tensor *a = op_avgpool(&c, x, k3, NULL);
            float *aref = zvec(16LL * 5 * 16 * 16);
            avgpool_forward_ref(aref, xc, 16, 5, 33, 33, k3, k3);
            TEST_COND("avgpool large", a != NULL);
            if (a) TEST_CLOSE("avgpool large strided vs ref", a->data, aref, 16LL * 5 * 16 * 16, 1e-5, 1.0);
            mosa_free(xc), mosa_free(ref), mosa_free(uref), mosa_free(aref);
        }
        ctx_free(&c);
    }

    /* ---- trilinear / bilinear against PyTorch 1.13 (F.interpolate, x[i] = sin(0.7 i)) ---- */
    {
        static const float tri_false[105] = {0.0000000f,0.2300778f,0.5982022f,0.8148338f,0.9767183f,0.9068666f,0.8632094f,0.1339953f,0.1740746f,0.2382014f,0.2444284f,0.2342327f,0.1669784f,0.1249445f,0.3349881f,0.0900697f,-0.3017996f,-0.6111795f,-0.8794955f,-0.9428536f,-0.9824525f,-0.2447648f,-0.2038577f,-0.1384063f,-0.0423316f,0.0565874f,0.1447921f,0.1999200f,-0.6312667f,-0.3998092f,-0.0294775f,0.3369003f,0.6806425f,0.8698891f,0.9881682f,0.4272994f,0.4467132f,0.4777752f,0.3955716f,0.2867904f,0.1052312f,-0.0082432f,0.1275417f,0.1159949f,0.0975201f,0.0566556f,0.0119847f,-0.0369428f,-0.0675225f,-0.3220947f,-0.3800824f,-0.4728626f,-0.4517182f,-0.4002238f,-0.2502038f,-0.1564414f,-0.0210357f,0.0096857f,0.0588400f,0.0927126f,0.1203561f,0.1196770f,0.1192525f,0.1796704f,0.2695311f,0.4133082f,0.4556664f,0.4674093f,0.3662641f,0.3030484f,0.8545989f,0.6633486f,0.3573484f,-0.0236905f,-0.4031375f,-0.6964042f,-0.8796958f,0.1210882f,0.0579153f,-0.0431613f,-0.1311171f,-0.2102633f,-0.2408640f,-0.2599895f,-0.9791775f,-0.8502344f,-0.6439256f,-0.2922569f,0.0790479f,0.4424460f,0.6695697f,0.2026935f,0.2232292f,0.2560862f,0.2277568f,0.1841248f,0.0945618f,0.0385850f,0.9906074f,0.9388714f,0.8560940f,0.5744325f,0.2541761f,-0.1373609f,-0.3820714f};
        static const float tri_true[105] = {0.0000000f,0.3221088f,0.6442177f,0.8148337f,0.9854497f,0.9243295f,0.8632094f,0.1674941f,0.1571057f,0.1467172f,0.1018271f,0.0569370f,-0.0013423f,-0.0596216f,0.3349881f,-0.0078975f,-0.3507832f,-0.6111795f,-0.8715758f,-0.9270142f,-0.9824526f,-0.1481393f,-0.1575620f,-0.1669847f,-0.1371396f,-0.1072946f,-0.0522184f,0.0028578f,-0.6312667f,-0.3072264f,0.0168139f,0.3369002f,0.6569866f,0.8225774f,0.9881682f,0.4272994f,0.4544787f,0.4816580f,0.3955716f,0.3094853f,0.1506211f,-0.0082432f,0.0526023f,0.0256006f,-0.0014011f,-0.0280733f,-0.0547455f,-0.0685439f,-0.0823423f,-0.3220948f,-0.4032775f,-0.4844602f,-0.4517183f,-0.4189764f,-0.2877089f,-0.1564414f,-0.0712122f,-0.0489011f,-0.0265899f,0.0019741f,0.0305381f,0.0519208f,0.0733035f,0.1796704f,0.3054754f,0.4312803f,0.4556664f,0.4800525f,0.3915505f,0.3030484f,0.8545989f,0.5868486f,0.3190984f,-0.0236904f,-0.3664791f,-0.6230875f,-0.8796958f,-0.0622894f,-0.1059044f,-0.1495194f,-0.1579737f,-0.1664280f,-0.1357455f,-0.1050630f,-0.9791777f,-0.7986574f,-0.6181371f,-0.2922570f,0.0336230f,0.3515964f,0.6695698f,0.0057148f,0.0597598f,0.1138048f,0.1410878f,0.1683707f,0.1560600f,0.1437492f,0.9906074f,0.9181771f,0.8457468f,0.5744326f,0.3031183f,-0.0394765f,-0.3820714f};
        static const float bi_false[45] = {0.0000000f,0.1073696f,0.3936886f,0.6631750f,0.8148337f,0.9664924f,0.9379118f,0.8835828f,0.8632094f,0.1339953f,0.1526989f,0.2025754f,0.2460185f,0.2444284f,0.2428382f,0.1968692f,0.1445603f,0.1249445f,0.3349881f,0.2206929f,-0.0840944f,-0.3797161f,-0.6111795f,-0.8426428f,-0.9146944f,-0.9639730f,-0.9824525f,-0.2447648f,-0.2256748f,-0.1747682f,-0.1204590f,-0.0423316f,0.0357959f,0.1055900f,0.1741937f,0.1999201f,-0.6312667f,-0.5232532f,-0.2352174f,0.0523791f,0.3369002f,0.6214215f,0.7857795f,0.9329713f,0.9881682f};
        static const float bi_true[45] = {0.0000000f,0.2415816f,0.4831632f,0.6868716f,0.8148337f,0.9427958f,0.9548897f,0.9090495f,0.8632094f,0.1674941f,0.1597027f,0.1519114f,0.1354947f,0.1018271f,0.0681595f,0.0277973f,-0.0159122f,-0.0596216f,0.3349881f,0.0778239f,-0.1793404f,-0.4158823f,-0.6111795f,-0.8064767f,-0.8992950f,-0.9408738f,-0.9824526f,-0.1481393f,-0.1552063f,-0.1622733f,-0.1595234f,-0.1371396f,-0.1147558f,-0.0797565f,-0.0384493f,0.0028578f,-0.6312667f,-0.3882364f,-0.1452062f,0.0968355f,0.3369002f,0.5769650f,0.7397820f,0.8639751f,0.9881682f};
        static const float down_false[6] = {0.2399805f, 0.1837492f, -0.0165157f, 0.0789151f, 0.2288202f, 0.1993625f};
        ctx c;
        ctx_init(&c, 1 << 16);
        float xv[24];
        for (int i = 0; i < 24; i++) xv[i] = sinf(0.7f * (float)i);
        tensor *x = t_from(&c, xv, T_SHAPE(1, 1, 2, 3, 4));
        tensor *y0 = op_upsample_trilinear(&c, x, 3, 5, 7, 0), *y1 = op_upsample_trilinear(&c, x, 3, 5, 7, 1);
        TEST_COND("trilinear torch shapes", y0 && y1 && y0->nd == 5 && y0->shape[2] == 3 && y0->shape[4] == 7);
        if (y0 && y1) {
            TEST_CLOSE("trilinear align_corners=False == torch", y0->data, tri_false, 105, 2e-6, 1.0);
            TEST_CLOSE("trilinear align_corners=True == torch", y1->data, tri_true, 105, 2e-6, 1.0);
        }
        tensor *yd = op_upsample_trilinear(&c, x, 1, 2, 3, 0);
        if (yd) TEST_CLOSE("trilinear downsampling == torch", yd->data, down_false, 6, 2e-6, 1.0);
        tensor *x4 = t_from(&c, xv, T_SHAPE(1, 1, 3, 4)), *x5 = t_from(&c, xv, T_SHAPE(1, 1, 1, 3, 4));
        tensor *b0 = op_upsample_trilinear(&c, x4, 1, 5, 9, 0), *b1 = op_upsample_trilinear(&c, x4, 1, 5, 9, 1);
        tensor *b5 = op_upsample_trilinear(&c, x5, 1, 5, 9, 1);
        TEST_COND("bilinear 4-D shape", b0 && b1 && b0->nd == 4 && b0->shape[2] == 5 && b0->shape[3] == 9);
        if (b0 && b1 && b5) {
            TEST_CLOSE("bilinear align_corners=False == torch", b0->data, bi_false, 45, 2e-6, 1.0);
            TEST_CLOSE("bilinear align_corners=True == torch", b1->data, bi_true, 45, 2e-6, 1.0);
            TEST_CLOSE("trilinear with T = out_t = 1 is bilinear", b5->data, bi_true, 45, 2e-6, 1.0);
        }
        ctx_free(&c);
    }

    /* ---- gradient checks: upsampling and pooling ---- */
    {
        gc_vol n1 = {0, {3}}, n2 = {0, {2, 3}}, n3 = {0, {2, 1, 3}};
        TEST_COND("grad nearest 1d", gc_vol_run("nearest1d", &n1, 3, (int64_t[]){2, 3, 5}) == 0);
        TEST_COND("grad nearest 2d", gc_vol_run("nearest2d", &n2, 4, (int64_t[]){2, 3, 3, 5}) == 0);
        TEST_COND("grad nearest 3d", gc_vol_run("nearest3d", &n3, 5, (int64_t[]){1, 3, 3, 2, 5}) == 0);
        for (int ac = 0; ac < 2; ac++) {
            gc_vol t1 = {1, {0}, {5, 7, 4}, ac}, t2 = {1, {0}, {2, 2, 9}, ac}, t3 = {1, {0}, {1, 6, 5}, ac};
            TEST_COND(ac ? "grad trilinear up, align_corners" : "grad trilinear up",
                      gc_vol_run("trilinear", &t1, 5, (int64_t[]){2, 3, 3, 4, 3}) == 0);
            TEST_COND(ac ? "grad trilinear mixed, align_corners" : "grad trilinear mixed",
                      gc_vol_run("trilinear_mixed", &t2, 5, (int64_t[]){1, 3, 4, 3, 5}) == 0);
            TEST_COND(ac ? "grad bilinear (T=1), align_corners" : "grad bilinear (T=1)",
                      gc_vol_run("bilinear", &t3, 5, (int64_t[]){2, 2, 1, 4, 3}) == 0);
        }
        gc_vol a1 = {2, .k = {3}, .s = {2}}, a2 = {2, .k = {2, 3}, .s = {1, 2}}, a3 = {2, .k = {2, 2, 2}, .default_stride = 1};
        TEST_COND("grad avgpool 1d", gc_vol_run("avgpool1d", &a1, 3, (int64_t[]){2, 3, 9}) == 0);
        TEST_COND("grad avgpool 2d", gc_vol_run("avgpool2d", &a2, 4, (int64_t[]){2, 3, 5, 7}) == 0);
        TEST_COND("grad avgpool 3d", gc_vol_run("avgpool3d", &a3, 5, (int64_t[]){1, 3, 4, 5, 5}) == 0);
    }

    /* ---- error paths: NULL + a message naming the op and the shapes ---- */
    {
        ctx c;
        ctx_init(&c, 1 << 16);
        /* A context keeps its first error, so the status is cleared between checks (no reset: the
         * tensors above must stay valid). */
        const int s1[3] = {1, 1, 1}, p0[3] = {0, 0, 0}, p1[3] = {1, 1, 1};
        tensor *x = t_zeros(&c, T_SHAPE(1, 3, 4, 5, 5)), *w2ch = t_zeros(&c, T_SHAPE(2, 2, 3, 3, 3));
        TEST_COND("conv3d channel mismatch", op_conv3d(&c, x, w2ch, NULL, s1, p1, s1) == NULL && c.status == MOSA_ERR_ARG);
        TEST_COND("channel mismatch message", has("conv3d") && has("channels") && has("(1,3,4,5,5)") && has("(2,2,3,3,3)"));
        c.status = MOSA_OK;
        tensor *wbig = t_zeros(&c, T_SHAPE(2, 3, 5, 3, 3));
        TEST_COND("kernel larger than padded input", op_conv3d(&c, x, wbig, NULL, s1, p0, s1) == NULL);
        TEST_COND("kernel too large message", has("conv3d") && has("spans 5 along T"));
        c.status = MOSA_OK;
        tensor *w3 = t_zeros(&c, T_SHAPE(2, 3, 3, 3, 3));
        TEST_COND("dilated kernel larger than padded input", op_conv3d(&c, x, w3, NULL, s1, p0, (int[]){1, 3, 1}) == NULL);
        c.status = MOSA_OK;
        tensor *badcache = t_zeros(&c, T_SHAPE(1, 3, 1, 5, 5));
        const int phw[2] = {1, 1};
        TEST_COND("bad cache shape", op_conv3d_causal(&c, x, w3, NULL, s1, phw, s1, badcache) == NULL);
        TEST_COND("bad cache message", has("conv3d_causal") && has("cache (1,3,1,5,5)") && has("(1,3,2,5,5)"));
        c.status = MOSA_OK;
        tensor *bb = t_zeros(&c, T_SHAPE(3));
        TEST_COND("bad bias", op_conv3d(&c, x, w3, bb, s1, p1, s1) == NULL && has("bias"));
        c.status = MOSA_OK;
        TEST_COND("stride 0", op_conv3d(&c, x, w3, NULL, (int[]){1, 0, 1}, p1, s1) == NULL && has("stride"));
        c.status = MOSA_OK;
        tensor *w1 = t_zeros(&c, T_SHAPE(2, 3, 3));
        TEST_COND("conv1d needs 3-D x", op_conv1d(&c, x, w1, NULL, 1, 0, 1) == NULL && has("conv1d"));
        c.status = MOSA_OK;
        tensor *x1 = t_zeros(&c, T_SHAPE(1, 3, 2));
        TEST_COND("conv1d kernel larger than input", op_conv1d(&c, x1, w1, NULL, 1, 0, 1) == NULL && has("along L"));
        TEST_COND("NULL input gives NULL", op_conv2d(&c, NULL, w1, NULL, s1, p0, s1) == NULL);
        c.status = MOSA_OK;
        TEST_COND("next_cache bad cache", conv3d_causal_next_cache(&c, x, badcache, 3, 1) == NULL && has("next_cache"));
        c.status = MOSA_OK;
        TEST_COND("avgpool kernel too large", op_avgpool(&c, x, (int[]){2, 6, 2}, NULL) == NULL && has("avgpool"));
        c.status = MOSA_OK;
        TEST_COND("nearest factor 0", op_upsample_nearest(&c, x, (int[]){1, 0, 2}) == NULL && has("upsample_nearest"));
        c.status = MOSA_OK;
        tensor *x4 = t_zeros(&c, T_SHAPE(1, 3, 5, 5));
        TEST_COND("trilinear 4-D with out_t 2", op_upsample_trilinear(&c, x4, 2, 5, 5, 0) == NULL && has("upsample_trilinear"));
        c.status = MOSA_OK;
        TEST_COND("trilinear size 0", op_upsample_trilinear(&c, x, 2, 0, 5, 0) == NULL);
        ctx_free(&c);
    }

    /* ---- a training step allocates nothing on the heap after the first ---- */
    {
        ctx c;
        ctx_init(&c, 1 << 16);
        uint64_t before = 0;
        int ok = 1;
        for (int step = 0; step < 3; step++) {
            if (step == 1) before = mosa_alloc_count();
            tensor *x = t_randn(&c, &R, 1.0f, T_SHAPE(1, 16, 5, 20, 20)), *w = t_randn(&c, &R, 0.1f, T_SHAPE(8, 16, 3, 3, 3));
            tensor *b = t_zeros(&c, T_SHAPE(8));
            x->requires_grad = w->requires_grad = b->requires_grad = 1;
            const int s[3] = {1, 1, 1}, phw[2] = {1, 1}, f[3] = {1, 2, 2}, k[3] = {1, 2, 2};
            tensor *y = op_conv3d_causal(&c, x, w, b, s, phw, s, NULL);
            y = op_upsample_nearest(&c, y, f);
            y = op_avgpool(&c, y, k, NULL);
            y = op_upsample_trilinear(&c, y, 7, 30, 30, 0);
            ok &= y != NULL;
            float *seed = y ? arena_alloc(&c.mem, (size_t)t_numel(y) * sizeof(float)) : NULL;
            if (seed) {
                for (int64_t i = 0; i < t_numel(y); i++) seed[i] = 1.0f;
                ok &= ctx_backward_seed(&c, y, seed) == MOSA_OK;
            }
            ctx_reset(&c);
        }
        TEST_COND("conv step runs", ok);
        TEST_COND("no heap allocations after the first step", mosa_alloc_count() == before);
        ctx_free(&c);
    }
    return test_report();
}
