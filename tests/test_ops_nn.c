/* test_ops_nn.c: normalisation (layer, RMS, group), adaLN modulate, embedding, concat/split/pad,
 * vector quantization and grid sample.
 *
 * Checks: PyTorch values on small fixed inputs; every fast kernel against its naive *_ref on
 * random shapes (odd sizes and sizes that take the OpenMP paths included), backward kernels
 * accumulating into pre-filled gradients; a finite-difference gradient check of every op
 * (strided inputs included); the VQ argmin against the naive one, ties, and the straight-through
 * gradient; error paths (NULL + a message naming the op and shapes); and a training step through
 * all the ops that allocates nothing on the heap after the first step. */
#include "gradcheck.h"
#include "test.h"

#include <math.h>
#include <string.h>

/* PyTorch 1.13 values (F.layer_norm, F.group_norm, F.grid_sample, RMSNorm written out as
 * x * rsqrt(mean(x^2) + 1e-6) * w) for the inputs built with fx() and seeds fr() below,
 * generated offline with python3 + torch. */
static const float ln_out[10] = {
    -1.7418145f, -0.68981856f, 0.35333502f, 1.1782788f, 1.5855602f, 1.1557916f, 0.83729517f, 0.1574433f,
    -0.83280343f, -2.020366f
};
static const float ln_dx[10] = {
    -0.11584234f, 0.10191941f, 0.17283034f, 0.068278551f, -0.2271862f, 0.021620512f, -0.019417226f,
    -0.012727559f, 0.007407546f, 0.0031169653f
};
static const float ln_dw[5] = {
    -1.1288394f, -0.41336584f, 0.25869662f, 0.84998035f, 1.3678985f
};
static const float ln_db[5] = {
    1.4084874f, 1.1633072f, 0.85685885f, 0.50528216f, 0.12709364f
};
static const float gn_out[24] = {
    -1.9318914f, -0.70704257f, 0.38205373f, 1.4327376f, 0.12777977f, 0.44205147f, 1.7651559f, 1.5659896f,
    -0.4185504f, -0.77701056f, -1.0639198f, -1.1643804f, -1.5212258f, -1.0567386f, -0.29102543f, 0.86709088f,
    0.19685513f, 1.6119432f, -1.8745065f, 1.1118023f, -1.3929639f, 0.26914763f, 1.1042582f, 1.1118993f
};
static const float gn_dx[24] = {
    0.044107795f, 0.16761053f, 0.19740212f, 0.24179602f, -0.18415105f, -0.46676582f, 0.068203866f,
    -0.16846013f, 0.31837264f, 0.10750324f, -0.067106307f, -0.25851303f, 0.094947219f, -0.016978621f,
    -0.063378334f, -0.18590558f, -0.0021437407f, 0.1734587f, -0.71281576f, -2.3512187f, 0.63237715f,
    0.2821846f, 0.62588406f, 1.5235891f
};
static const float gn_dw[4] = {
    0.46420193f, -0.75315022f, 0.98579031f, 2.3823214f
};
static const float gn_db[4] = {
    -0.043813229f, -0.74480951f, -1.1050494f, -0.95972037f
};
static const float rms_out[10] = {
    0.13726491f, 0.68496037f, 1.2286072f, 1.6723399f, 1.9248335f, 1.6039852f, 1.3907355f, 0.90420836f,
    0.18294303f, -0.68754381f
};
static const float rms_dx[10] = {
    0.8068862f, 0.48391005f, 0.16707903f, -0.10943109f, -0.32175016f, 0.040380925f, -0.098677561f,
    -0.25605994f, -0.43570647f, -0.63988215f
};
static const float rms_dw[5] = {
    0.79247272f, 0.84605736f, 0.88788104f, 0.95471478f, 1.0680346f
};
static const float gs0_out[12] = {
    -0.39092073f, -0.25633782f, 0.55568373f, 0.019495206f, 0.1780968f, -0.18081392f, 0.54038155f,
    0.21775755f, -0.84436661f, -0.19238292f, 0.66350245f, 0.15360042f
};
static const float gs0_dx[24] = {
    0.15060689f, 0.41217348f, 0.41799095f, 0.0f, 0.032981183f, 0.17730999f, 0.0f, 0.0f, 0.062033106f,
    0.33349591f, 0.51223117f, 0.46814489f, -0.093484454f, -0.12234022f, -0.12406695f, 0.0f, -0.036272433f,
    -0.19500406f, 0.0f, 0.0f, -0.068223499f, -0.36677605f, 0.097139947f, -0.16741437f
};
static const float gs0_dgrid[12] = {
    -0.34033448f, 0.7178427f, 1.5911721f, 0.41971877f, 0.41672394f, 1.1697528f, 0.65828556f, 0.26786315f,
    -0.54280925f, -2.0011337f, 0.76358873f, 0.7415601f
};
static const float gs1_out[12] = {
    -0.51586145f, -0.42750809f, 0.66507876f, 0.13889013f, 0.39895821f, -0.797616f, 0.89495015f, 0.63705826f,
    -0.57168925f, -0.81425589f, 0.49663857f, 0.68408996f
};
static const float gs1_dx[24] = {
    0.62564653f, 0.31896162f, 0.32233205f, 0.0f, 0.044659924f, 0.46717018f, 0.19820784f, 0.23812984f, 0.0f,
    0.27328473f, 0.92846537f, 0.98307121f, -0.38835025f, -0.094673328f, -0.095673732f, 0.0f, -0.027721234f,
    -0.41095078f, -0.027954822f, -0.0095855957f, 0.0f, -0.28567249f, 0.1591996f, -0.77753663f
};
static const float gs1_dgrid[12] = {
    -0.49032182f, -1.2528188f, 0.76218331f, -1.0923482f, 0.12629464f, -0.11130018f, 0.85763222f, 0.30169877f,
    -0.39738241f, -1.3287433f, 0.088262379f, 0.94662702f
};

/* sin(a*i + b) * s, computed in double and rounded once (as numpy does before .astype). */
static float fx(int i, double a, double b, double s) { return (float)(sin(a * i + b) * s); }
static float fr(int i) { return (float)cos(0.23 * i); }

static void fill(mosa_rng *r, float *x, int64_t n, float lo, float hi) {
    rng_uniform(r, x, (size_t)n);
    for (int64_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
}

static float *fbuf(int64_t n) { return mosa_malloc((size_t)(n ? n : 1) * sizeof(float)); }

static tensor *leaf(ctx *c, const float *v, int nd, const int64_t *shape) {
    tensor *t = t_from(c, v, nd, shape);
    t->requires_grad = 1;
    return t;
}

/* ------------------------------------------------------------------------------------------ */
/* PyTorch values                                                                              */
/* ------------------------------------------------------------------------------------------ */

static void test_torch_values(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
    float xv[24], wv[5], bv[5], seed[24];
    for (int i = 0; i < 24; i++) seed[i] = fr(i);
    for (int j = 0; j < 5; j++) {
        wv[j] = (float)(1 + 0.1 * j);
        bv[j] = (float)(0.05 * j - 0.1);
    }

    for (int i = 0; i < 10; i++) xv[i] = fx(i, 0.37, 0.1, 1.5);
    tensor *x = leaf(&c, xv, T_SHAPE(2, 5)), *w = leaf(&c, wv, T_SHAPE(5)), *b = leaf(&c, bv, T_SHAPE(5));
    tensor *y = op_layernorm(&c, x, w, b, 1e-5f);
    TEST_COND("layernorm runs", y && ctx_backward_seed(&c, y, seed) == MOSA_OK);
    TEST_CLOSE("layernorm out = torch", y->data, ln_out, 10, 1e-5, 1.0);
    TEST_CLOSE("layernorm dx = torch", x->grad, ln_dx, 10, 1e-4, 0.1);
    TEST_CLOSE("layernorm dw = torch", w->grad, ln_dw, 5, 1e-5, 1.0);
    TEST_CLOSE("layernorm db = torch", b->grad, ln_db, 5, 1e-5, 1.0);
    ctx_reset(&c);

    x = leaf(&c, xv, T_SHAPE(2, 5));
    w = leaf(&c, wv, T_SHAPE(5));
    y = op_rmsnorm(&c, x, w, 1e-6f);
    TEST_COND("rmsnorm runs", y && ctx_backward_seed(&c, y, seed) == MOSA_OK);
    TEST_CLOSE("rmsnorm out = torch", y->data, rms_out, 10, 1e-5, 1.0);
    TEST_CLOSE("rmsnorm dx = torch", x->grad, rms_dx, 10, 1e-4, 0.1);
    TEST_CLOSE("rmsnorm dw = torch", w->grad, rms_dw, 5, 1e-5, 1.0);
    ctx_reset(&c);

    for (int i = 0; i < 24; i++) xv[i] = (float)(sin(0.37 * i + 0.1) * 1.5 + 0.3 * (i % 4));
    x = leaf(&c, xv, T_SHAPE(2, 4, 3));
    w = leaf(&c, wv, T_SHAPE(4));
    b = leaf(&c, bv, T_SHAPE(4));
    y = op_groupnorm(&c, x, 2, w, b, 1e-5f);
    TEST_COND("groupnorm runs", y && ctx_backward_seed(&c, y, seed) == MOSA_OK);
    TEST_CLOSE("groupnorm out = torch", y->data, gn_out, 24, 1e-5, 1.0);
    TEST_CLOSE("groupnorm dx = torch", x->grad, gn_dx, 24, 1e-4, 0.1);
    TEST_CLOSE("groupnorm dw = torch", w->grad, gn_dw, 4, 1e-5, 1.0);
    TEST_CLOSE("groupnorm db = torch", b->grad, gn_db, 4, 1e-5, 1.0);
    ctx_reset(&c);

    const float *want[2][3] = {{gs0_out, gs0_dx, gs0_dgrid}, {gs1_out, gs1_dx, gs1_dgrid}};
    for (int ac = 0; ac < 2; ac++) {
        float gv[12];
        for (int i = 0; i < 24; i++) xv[i] = fx(i, 0.37, 0.1, 1.0);
        for (int i = 0; i < 12; i++) gv[i] = fx(i, 0.71, 0.3, 1.1);
        x = leaf(&c, xv, T_SHAPE(1, 2, 3, 4));
        tensor *g = leaf(&c, gv, T_SHAPE(1, 2, 3, 2));
        y = op_grid_sample(&c, x, g, ac);
        TEST_COND("grid_sample runs", y && ctx_backward_seed(&c, y, seed) == MOSA_OK);
        TEST_CLOSE(ac ? "grid_sample out = torch (align_corners)" : "grid_sample out = torch", y->data, want[ac][0],
                   12, 1e-5, 1.0);
        TEST_CLOSE(ac ? "grid_sample dx = torch (align_corners)" : "grid_sample dx = torch", x->grad, want[ac][1],
                   24, 1e-5, 1.0);
        TEST_CLOSE(ac ? "grid_sample dgrid = torch (align_corners)" : "grid_sample dgrid = torch", g->grad,
                   want[ac][2], 12, 1e-4, 1.0);
        ctx_reset(&c);
    }
    ctx_free(&c);
}

/* ------------------------------------------------------------------------------------------ */
/* Fast kernels against the naive references                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Norm kernels: kind 0 layernorm, 1 rmsnorm, 2 groupnorm (rows N = batch, C channels, G, S). */
static void check_norm_kernels(mosa_rng *r, int kind, int64_t N, int64_t C, int64_t G, int64_t S, int affine) {
    const int64_t n = kind == 2 ? N * C * S : N * C, nst = kind == 2 ? N * G : N;
    float *x = fbuf(n), *w = fbuf(C), *b = fbuf(C), *o1 = fbuf(n), *o2 = fbuf(n), *go = fbuf(n);
    float *m1 = fbuf(nst), *m2 = fbuf(nst), *r1 = fbuf(nst), *r2 = fbuf(nst);
    float *dx1 = fbuf(n), *dx2 = fbuf(n), *dw1 = fbuf(C), *dw2 = fbuf(C), *db1 = fbuf(C), *db2 = fbuf(C);
    float *work = fbuf(2 * N * C);
    fill(r, x, n, -2.0f, 2.0f);
    for (int64_t i = 0; i < n; i++) x[i] += 3.0f; /* an offset mean, as activations have */
    fill(r, w, C, 0.5f, 1.5f);
    fill(r, b, C, -0.5f, 0.5f);
    fill(r, go, n, -1.0f, 1.0f);
    fill(r, dx1, n, -1.0f, 1.0f); /* grads start non-zero: the kernels must accumulate */
    memcpy(dx2, dx1, (size_t)n * sizeof(float));
    fill(r, dw1, C, -1.0f, 1.0f);
    memcpy(dw2, dw1, (size_t)C * sizeof(float));
    fill(r, db1, C, -1.0f, 1.0f);
    memcpy(db2, db1, (size_t)C * sizeof(float));
    const float *W = affine ? w : NULL, *Bb = affine ? b : NULL;
    char d[128];
    const char *name = kind == 0 ? "layernorm" : kind == 1 ? "rmsnorm" : "groupnorm";
    snprintf(d, sizeof d, "%s fast = ref (N=%lld C=%lld G=%lld S=%lld affine=%d)", name, (long long)N, (long long)C,
             (long long)G, (long long)S, affine);
    if (kind == 0) {
        layernorm_forward(o1, m1, r1, x, W, Bb, N, C, 1e-5f);
        layernorm_forward_ref(o2, m2, r2, x, W, Bb, N, C, 1e-5f);
        layernorm_backward(dx1, dw1, db1, go, x, W, m1, r1, N, C);
        layernorm_backward_ref(dx2, dw2, db2, go, x, W, m1, r1, N, C);
    } else if (kind == 1) {
        rmsnorm_forward(o1, r1, x, W, N, C, 1e-5f);
        rmsnorm_forward_ref(o2, r2, x, W, N, C, 1e-5f);
        memset(m1, 0, (size_t)nst * sizeof(float));
        memset(m2, 0, (size_t)nst * sizeof(float));
        rmsnorm_backward(dx1, dw1, go, x, W, r1, N, C);
        rmsnorm_backward_ref(dx2, dw2, go, x, W, r1, N, C);
    } else {
        groupnorm_forward(o1, m1, r1, x, W, Bb, N, C, G, S, 1e-5f);
        groupnorm_forward_ref(o2, m2, r2, x, W, Bb, N, C, G, S, 1e-5f);
        groupnorm_backward(dx1, dw1, db1, work, go, x, W, m1, r1, N, C, G, S);
        groupnorm_backward_ref(dx2, dw2, db2, go, x, W, m1, r1, N, C, G, S);
    }
    TEST_CLOSE(d, o1, o2, n, 2e-5, 1.0);
    TEST_CLOSE(d, m1, m2, nst, 2e-6, 1.0);
    TEST_CLOSE(d, r1, r2, nst, 2e-5, 1.0);
    TEST_CLOSE(d, dx1, dx2, n, 1e-4, 1.0);
    const double gtol = 1e-6 * (double)(n / C + 10); /* dw, db sum n/C terms */
    TEST_CLOSE(d, dw1, dw2, C, gtol, 1.0);
    if (kind != 1) TEST_CLOSE(d, db1, db2, C, gtol, 1.0);
    float *all[] = {x, w, b, o1, o2, go, m1, m2, r1, r2, dx1, dx2, dw1, dw2, db1, db2, work};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mosa_free(all[i]);
}

static void check_modulate_kernels(mosa_rng *r, int64_t B, int64_t T, int64_t C) {
    const int64_t n = B * T * C;
    float *x = fbuf(n), *sh = fbuf(B * C), *sc = fbuf(B * C), *o1 = fbuf(n), *o2 = fbuf(n), *go = fbuf(n);
    float *dx1 = fbuf(n), *dx2 = fbuf(n), *ds1 = fbuf(B * C), *ds2 = fbuf(B * C), *dc1 = fbuf(B * C),
          *dc2 = fbuf(B * C);
    fill(r, x, n, -2, 2);
    fill(r, sh, B * C, -1, 1);
    fill(r, sc, B * C, -1, 1);
    fill(r, go, n, -1, 1);
    fill(r, dx1, n, -1, 1);
    memcpy(dx2, dx1, (size_t)n * sizeof(float));
    fill(r, ds1, B * C, -1, 1);
    memcpy(ds2, ds1, (size_t)(B * C) * sizeof(float));
    fill(r, dc1, B * C, -1, 1);
    memcpy(dc2, dc1, (size_t)(B * C) * sizeof(float));
    modulate_forward(o1, x, sh, sc, B, T, C);
    modulate_forward_ref(o2, x, sh, sc, B, T, C);
    modulate_backward(dx1, ds1, dc1, go, x, sc, B, T, C);
    modulate_backward_ref(dx2, ds2, dc2, go, x, sc, B, T, C);
    char d[128];
    snprintf(d, sizeof d, "modulate fast = ref (B=%lld T=%lld C=%lld)", (long long)B, (long long)T, (long long)C);
    TEST_CLOSE(d, o1, o2, n, 1e-6, 1.0);
    TEST_CLOSE(d, dx1, dx2, n, 1e-6, 1.0);
    TEST_CLOSE(d, ds1, ds2, B * C, 1e-6 * (T + 10), 1.0);
    TEST_CLOSE(d, dc1, dc2, B * C, 1e-6 * (T + 10), 1.0);
    float *all[] = {x, sh, sc, o1, o2, go, dx1, dx2, ds1, ds2, dc1, dc2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mosa_free(all[i]);
}

static double sqdist(const float *a, const float *b, int64_t D) {
    double s = 0;
    for (int64_t d = 0; d < D; d++) s += ((double)a[d] - b[d]) * ((double)a[d] - b[d]);
    return s;
}

/* Fast argmin = naive argmin, except where the two picks are equally near within float error. */
static void check_vq_kernels(mosa_rng *r, int64_t N, int64_t K, int64_t D) {
    float *z = fbuf(N * D), *cb = fbuf(K * D), *work = fbuf(vq_argmin_work_floats(N, K));
    int32_t *i1 = mosa_malloc((size_t)N * sizeof(int32_t)), *i2 = mosa_malloc((size_t)N * sizeof(int32_t));
    fill(r, z, N * D, -1, 1);
    fill(r, cb, K * D, -1, 1);
    vq_argmin(i1, work, z, cb, N, K, D);
    vq_argmin_ref(i2, z, cb, N, K, D);
    int64_t same = 0, bad = 0;
    for (int64_t n = 0; n < N; n++) {
        if (i1[n] == i2[n]) {
            same++;
            continue;
        }
        const double d1 = sqdist(z + n * D, cb + (int64_t)i1[n] * D, D);
        const double d2 = sqdist(z + n * D, cb + (int64_t)i2[n] * D, D);
        if (i1[n] < 0 || i1[n] >= K || fabs(d1 - d2) > 1e-5 * (1 + d2)) bad++;
    }
    char d[128];
    snprintf(d, sizeof d, "vq argmin fast = ref (N=%lld K=%lld D=%lld)", (long long)N, (long long)K, (long long)D);
    TEST_COND(d, bad == 0 && same >= N - N / 100);
    mosa_free(z);
    mosa_free(cb);
    mosa_free(work);
    mosa_free(i1);
    mosa_free(i2);
}

static void check_grid_kernels(mosa_rng *r, int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                               int ac) {
    const int64_t nx = N * C * H * W, ng = N * Ho * Wo * 2, no = N * C * Ho * Wo;
    float *x = fbuf(nx), *g = fbuf(ng), *o1 = fbuf(no), *o2 = fbuf(no), *go = fbuf(no);
    float *dx1 = fbuf(nx), *dx2 = fbuf(nx), *dg1 = fbuf(ng), *dg2 = fbuf(ng);
    void *work = mosa_malloc((size_t)grid_sample_work_bytes(N, Ho, Wo) + 1);
    fill(r, x, nx, -1, 1);
    fill(r, g, ng, -1.2f, 1.2f);
    fill(r, go, no, -1, 1);
    fill(r, dx1, nx, -1, 1);
    memcpy(dx2, dx1, (size_t)nx * sizeof(float));
    fill(r, dg1, ng, -1, 1);
    memcpy(dg2, dg1, (size_t)ng * sizeof(float));
    grid_sample_forward(o1, work, x, g, N, C, H, W, Ho, Wo, ac);
    grid_sample_forward_ref(o2, x, g, N, C, H, W, Ho, Wo, ac);
    grid_sample_backward(dx1, dg1, work, go, x, g, N, C, H, W, Ho, Wo, ac);
    grid_sample_backward_ref(dx2, dg2, go, x, g, N, C, H, W, Ho, Wo, ac);
    char d[160];
    snprintf(d, sizeof d, "grid_sample fast = ref (N=%lld C=%lld H=%lld W=%lld Ho=%lld Wo=%lld ac=%d)", (long long)N,
             (long long)C, (long long)H, (long long)W, (long long)Ho, (long long)Wo, ac);
    TEST_CLOSE(d, o1, o2, no, 1e-5, 1.0);
    TEST_CLOSE(d, dx1, dx2, nx, 1e-5, 1.0);
    TEST_CLOSE(d, dg1, dg2, ng, 1e-4, 1.0);
    float *all[] = {x, g, o1, o2, go, dx1, dx2, dg1, dg2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mosa_free(all[i]);
    mosa_free(work);
}

static void test_kernels(void) {
    mosa_rng r;
    rng_seed(&r, 42);
    static const int64_t ln[][2] = {{1, 1}, {3, 7}, {17, 13}, {5, 1031}, {97, 384}, {608, 384}, {2, 4097}};
    for (size_t i = 0; i < sizeof ln / sizeof ln[0]; i++)
        for (int kind = 0; kind < 2; kind++)
            for (int affine = 0; affine < 2; affine++) check_norm_kernels(&r, kind, ln[i][0], ln[i][1], 1, 1, affine);
    static const int64_t gn[][4] = {{1, 1, 1, 1},   {2, 6, 3, 1},   {3, 12, 4, 35},
                                    {2, 10, 5, 77}, {1, 64, 32, 528}, {2, 9, 1, 1000}};
    for (size_t i = 0; i < sizeof gn / sizeof gn[0]; i++)
        for (int affine = 0; affine < 2; affine++)
            check_norm_kernels(&r, 2, gn[i][0], gn[i][1], gn[i][2], gn[i][3], affine);
    check_norm_kernels(&r, 2, 1, 64, 32, 33 * 32 * 32, 1); /* the VAE benchmark shape */
    static const int64_t md[][3] = {
        {1, 1, 1}, {2, 5, 7}, {3, 37, 130}, {2, 9, 65}, {1, 608, 384}, {2, 300, 97}, {2, 7, 1100}};
    for (size_t i = 0; i < sizeof md / sizeof md[0]; i++) check_modulate_kernels(&r, md[i][0], md[i][1], md[i][2]);
    /* random odd shapes */
    for (int t = 0; t < 4; t++) {
        const int64_t N = 1 + rng_below(&r, 40), C = 1 + rng_below(&r, 300);
        check_norm_kernels(&r, (int)(t % 2), N, C, 1, 1, 1);
        const int64_t G = 1 + rng_below(&r, 5);
        check_norm_kernels(&r, 2, 1 + rng_below(&r, 3), G * (1 + rng_below(&r, 4)), G, 1 + rng_below(&r, 200), t % 2);
        check_modulate_kernels(&r, 1 + rng_below(&r, 3), 1 + rng_below(&r, 50), 1 + rng_below(&r, 200));
        check_grid_kernels(&r, 1 + rng_below(&r, 2), 1 + rng_below(&r, 4), 1 + rng_below(&r, 12),
                           1 + rng_below(&r, 12), 1 + rng_below(&r, 9), 1 + rng_below(&r, 9), t % 2);
        check_vq_kernels(&r, 1 + rng_below(&r, 200), 1 + rng_below(&r, 70), 1 + rng_below(&r, 40));
    }
    static const int64_t vq[][3] = {{1, 1, 1}, {37, 19, 5}, {300, 64, 32}, {1000, 600, 8}, {129, 1025, 3}};
    for (size_t i = 0; i < sizeof vq / sizeof vq[0]; i++) check_vq_kernels(&r, vq[i][0], vq[i][1], vq[i][2]);
    {
        /* non-finite grid points sample nothing (output 0, no gradient) in both kernels */
        float x[2 * 3 * 4] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        float g[6] = {NAN, 0.0f, 0.1f, INFINITY, 0.2f, -0.3f}, o1[6], o2[6], go[6] = {1, 1, 1, 1, 1, 1};
        float dx[24] = {0}, dg[6] = {0}, dxr[24] = {0}, dgr[6] = {0};
        float work[64]; /* taps for 3 points */
        TEST_COND("grid_sample work fits", grid_sample_work_bytes(1, 1, 3) <= (int64_t)sizeof work);
        grid_sample_forward(o1, work, x, g, 1, 2, 3, 4, 1, 3, 0);
        grid_sample_forward_ref(o2, x, g, 1, 2, 3, 4, 1, 3, 0);
        grid_sample_backward(dx, dg, work, go, x, g, 1, 2, 3, 4, 1, 3, 0);
        grid_sample_backward_ref(dxr, dgr, go, x, g, 1, 2, 3, 4, 1, 3, 0);
        TEST_COND("grid_sample non-finite points give 0",
                  o1[0] == 0 && o1[1] == 0 && o2[0] == 0 && o2[1] == 0 && o1[3] == 0 && o1[4] == 0 &&
                      o1[2] == o2[2] && o1[5] == o2[5]);
        TEST_COND("grid_sample non-finite points get no gradient", dg[0] == 0 && dg[1] == 0 && dg[2] == 0 &&
                                                                      dg[3] == 0 && dgr[0] == 0 && dgr[3] == 0);
        TEST_CLOSE("grid_sample with non-finite points fast = ref", dx, dxr, 24, 1e-6, 1.0);
    }
    static const int64_t gs[][6] = {
        {1, 1, 1, 1, 1, 1}, {2, 3, 5, 7, 4, 6}, {1, 4, 17, 23, 9, 11}, {2, 8, 32, 32, 40, 33}};
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++)
        for (int ac = 0; ac < 2; ac++)
            check_grid_kernels(&r, gs[i][0], gs[i][1], gs[i][2], gs[i][3], gs[i][4], gs[i][5], ac);
}

/* ------------------------------------------------------------------------------------------ */
/* Gradient checks                                                                             */
/* ------------------------------------------------------------------------------------------ */

static tensor *f_ln_affine(ctx *c, tensor *const *in, void *u) { return op_layernorm(c, in[0], in[1], in[2], 1e-5f); }
static tensor *f_ln_plain(ctx *c, tensor *const *in, void *u) { return op_layernorm(c, in[0], NULL, NULL, 1e-5f); }
static tensor *f_ln_strided(ctx *c, tensor *const *in, void *u) {
    /* (7,4) transposed to a (4,7) view: the op must take strided input */
    return op_layernorm(c, op_transpose(c, in[0], 0, 1), in[1], NULL, 1e-5f);
}
static tensor *f_rms_w(ctx *c, tensor *const *in, void *u) { return op_rmsnorm(c, in[0], in[1], 1e-6f); }
static tensor *f_rms_plain(ctx *c, tensor *const *in, void *u) {
    return op_rmsnorm(c, op_transpose(c, in[0], 0, 1), NULL, 1e-6f);
}
static tensor *f_gn_affine(ctx *c, tensor *const *in, void *u) {
    return op_groupnorm(c, in[0], *(int *)u, in[1], in[2], 1e-5f);
}
static tensor *f_gn_plain(ctx *c, tensor *const *in, void *u) {
    return op_groupnorm(c, in[0], *(int *)u, NULL, NULL, 1e-5f);
}
static tensor *f_mod(ctx *c, tensor *const *in, void *u) { return op_modulate(c, in[0], in[1], in[2]); }
static tensor *f_mod_strided(ctx *c, tensor *const *in, void *u) {
    static const int perm[3] = {1, 0, 2}; /* (5,2,7) -> (2,5,7) */
    return op_modulate(c, op_permute(c, in[0], perm), in[1], op_transpose(c, in[2], 0, 1));
}
static const int32_t emb_ids[6] = {1, 4, 1, 6, 0, 4}; /* repeats: the scatter must add */
static tensor *f_emb(ctx *c, tensor *const *in, void *u) {
    tensor *e = op_embedding(c, in[0], emb_ids, T_SHAPE(2, 3));
    return op_mul(c, e, e);
}
static tensor *f_concat(ctx *c, tensor *const *in, void *u) {
    tensor *xs[3] = {in[0], op_transpose(c, in[1], 1, 2), in[2]}; /* (2,3,4) (2,2,4) (2,5,4) on axis 1 */
    tensor *o = op_concat(c, xs, 3, 1);
    return op_mul(c, o, o);
}
static tensor *f_split(ctx *c, tensor *const *in, void *u) {
    tensor *p[4];
    static const int64_t sizes[4] = {2, 0, 5, 3};
    if (op_split(c, in[0], -2, 4, sizes, p) != 0) return NULL;
    tensor *xs[3] = {p[3], p[1], p[0]}; /* reorder, dropping p[2]: its gradient must be 0 */
    tensor *o = op_concat(c, xs, 3, 1);
    return op_mul(c, o, o);
}
static tensor *f_pad(ctx *c, tensor *const *in, void *u) {
    static const int perm[3] = {2, 1, 0}; /* (5,4,3) -> (3,4,5) */
    static const int64_t before[3] = {1, 0, 2}, after[3] = {0, 3, 1};
    tensor *p = op_pad(c, op_permute(c, in[0], perm), before, after, 0.5f);
    return op_mul(c, p, p);
}
/* The VQ loss has stop-gradients, so its plain finite difference is not its gradient. With
 * L(beta) = beta*mean((z - sg(q))^2) + mean((sg(z) - q)^2) of value (1 + beta)*M:
 * L(beta) - L(0) has value beta*M and sends z exactly beta*dM/dz (the commitment term), and
 * L(0) with z held fixed sends the codebook exactly dM/dq (the codebook term); both are plain
 * functions that the finite differences check. */
static tensor *vq_loss_of(ctx *c, tensor *z, tensor *cb, float beta) {
    tensor *loss = NULL;
    return op_vq(c, z, cb, NULL, beta, &loss) ? loss : NULL;
}
static tensor *f_vq_commit(ctx *c, tensor *const *in, void *u) {
    const float beta = *(const float *)u;
    return op_sub(c, vq_loss_of(c, in[0], in[1], beta), vq_loss_of(c, in[0], in[1], 0.0f));
}
static tensor *f_vq_commit_strided(ctx *c, tensor *const *in, void *u) {
    tensor *z = op_transpose(c, in[0], 0, 1);
    return op_sub(c, vq_loss_of(c, z, in[1], 0.7f), vq_loss_of(c, z, in[1], 0.0f));
}
static tensor *f_vq_codebook(ctx *c, tensor *const *in, void *u) { return vq_loss_of(c, in[0], in[1], 0.0f); }
static tensor *f_grid(ctx *c, tensor *const *in, void *u) { return op_grid_sample(c, in[0], in[1], *(int *)u); }
static tensor *f_grid_strided(ctx *c, tensor *const *in, void *u) {
    static const int perm[4] = {0, 3, 1, 2}; /* x given as (N,H,W,C) */
    return op_grid_sample(c, op_permute(c, in[0], perm), in[1], *(int *)u);
}

/* Grid coordinates whose pixel positions sit at fractions in [0.15, 0.85] of a cell (no kink
 * within eps), some cells partly or wholly outside the image. */
static void grid_away_from_kinks(mosa_rng *r, float *g, int64_t n, int64_t H, int64_t W, int ac) {
    for (int64_t p = 0; p < n; p++)
        for (int k = 0; k < 2; k++) {
            const int64_t size = k ? H : W;
            float frac;
            rng_uniform(r, &frac, 1);
            const double pix = (double)((int64_t)rng_below(r, (uint32_t)size + 2) - 1) + 0.15 + 0.7 * frac;
            const double coord = ac ? 2.0 * pix / (double)(size - 1) - 1.0 : (2.0 * pix + 1.0) / (double)size - 1.0;
            g[2 * p + k] = (float)coord;
        }
}

static void test_gradients(void) {
    gc_input ln3[3] = {{3, {3, 4, 7}, -2, 2}, {1, {7}, 0.5f, 1.5f}, {1, {7}}};
    TEST_COND("grad layernorm affine", gradcheck("layernorm", f_ln_affine, 3, ln3, NULL, NULL) == 0);
    gc_input ln1[1] = {{2, {5, 9}, -2, 2}};
    TEST_COND("grad layernorm no affine", gradcheck("layernorm_plain", f_ln_plain, 1, ln1, NULL, NULL) == 0);
    gc_input lns[2] = {{2, {7, 4}, -2, 2}, {1, {7}, 0.5f, 1.5f}};
    TEST_COND("grad layernorm strided, weight only",
              gradcheck("layernorm_strided", f_ln_strided, 2, lns, NULL, NULL) == 0);
    gc_input rms[2] = {{3, {2, 3, 7}, -2, 2}, {1, {7}, 0.5f, 1.5f}};
    TEST_COND("grad rmsnorm", gradcheck("rmsnorm", f_rms_w, 2, rms, NULL, NULL) == 0);
    gc_input rmsp[1] = {{2, {5, 3}, -2, 2}};
    TEST_COND("grad rmsnorm no weight, strided", gradcheck("rmsnorm_plain", f_rms_plain, 1, rmsp, NULL, NULL) == 0);

    int G3 = 3, G2 = 2;
    gc_input gn0[3] = {{2, {3, 6}, -2, 2}, {1, {6}, 0.5f, 1.5f}, {1, {6}}};
    TEST_COND("grad groupnorm 0 spatial dims", gradcheck("groupnorm0", f_gn_affine, 3, gn0, &G2, NULL) == 0);
    gc_input gn1[3] = {{3, {2, 6, 5}, -2, 2}, {1, {6}, 0.5f, 1.5f}, {1, {6}}};
    TEST_COND("grad groupnorm 1 spatial dim", gradcheck("groupnorm1", f_gn_affine, 3, gn1, &G3, NULL) == 0);
    gc_input gn3[3] = {{5, {2, 4, 3, 2, 3}, -2, 2}, {1, {4}, 0.5f, 1.5f}, {1, {4}}};
    TEST_COND("grad groupnorm 3 spatial dims", gradcheck("groupnorm3", f_gn_affine, 3, gn3, &G2, NULL) == 0);
    gc_input gnp[1] = {{4, {2, 6, 3, 4}, -2, 2}};
    TEST_COND("grad groupnorm no affine", gradcheck("groupnorm_plain", f_gn_plain, 1, gnp, &G3, NULL) == 0);

    gc_input md[3] = {{3, {2, 5, 7}, -2, 2}, {2, {2, 7}}, {2, {2, 7}}};
    TEST_COND("grad modulate", gradcheck("modulate", f_mod, 3, md, NULL, NULL) == 0);
    gc_input mds[3] = {{3, {5, 2, 7}, -2, 2}, {2, {2, 7}}, {2, {7, 2}}};
    TEST_COND("grad modulate strided", gradcheck("modulate_strided", f_mod_strided, 3, mds, NULL, NULL) == 0);

    gc_input em[1] = {{2, {7, 5}}};
    TEST_COND("grad embedding", gradcheck("embedding", f_emb, 1, em, NULL, NULL) == 0);
    gc_input cc[3] = {{3, {2, 3, 4}}, {3, {2, 4, 2}}, {3, {2, 5, 4}}};
    TEST_COND("grad concat (middle axis, one strided input)", gradcheck("concat", f_concat, 3, cc, NULL, NULL) == 0);
    gc_input sp[1] = {{3, {3, 10, 2}}};
    TEST_COND("grad split", gradcheck("split", f_split, 1, sp, NULL, NULL) == 0);
    gc_input pd[1] = {{3, {5, 4, 3}}};
    TEST_COND("grad pad (strided input)", gradcheck("pad", f_pad, 1, pd, NULL, NULL) == 0);

    /* VQ: codes >= 3 apart, z within 0.3 of one: the argmin cannot flip under eps. */
    static const float codes[5 * 3] = {0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 3, 3, 3};
    mosa_rng r;
    rng_seed(&r, 7);
    float zv[7 * 3], zt[3 * 7];
    for (int n = 0; n < 7; n++) {
        float e[3];
        fill(&r, e, 3, -0.3f, 0.3f);
        for (int d = 0; d < 3; d++) zv[n * 3 + d] = codes[(n % 5) * 3 + d] + e[d];
    }
    for (int n = 0; n < 7; n++)
        for (int d = 0; d < 3; d++) zt[d * 7 + n] = zv[n * 3 + d];
    float beta = 0.25f;
    gc_input vq[2] = {{2, {7, 3}}, {2, {5, 3}}};
    vq[0].values = zv;
    vq[1].values = codes;
    vq[1].no_grad = 1;
    TEST_COND("grad vq commitment term to z", gradcheck("vq_commit", f_vq_commit, 2, vq, &beta, NULL) == 0);
    vq[0].no_grad = 1;
    vq[1].no_grad = 0;
    TEST_COND("grad vq codebook term to the codebook",
              gradcheck("vq_codebook", f_vq_codebook, 2, vq, NULL, NULL) == 0);
    gc_input vqs[2] = {{2, {3, 7}}, {2, {5, 3}}};
    vqs[0].values = zt;
    vqs[1].values = codes;
    vqs[1].no_grad = 1;
    TEST_COND("grad vq commitment term (strided z)",
              gradcheck("vq_commit_strided", f_vq_commit_strided, 2, vqs, NULL, NULL) == 0);

    for (int ac = 0; ac < 2; ac++) {
        float g[2 * 3 * 4 * 2];
        grid_away_from_kinks(&r, g, 2 * 3 * 4, 4, 5, ac);
        gc_input gi[2] = {{4, {2, 3, 4, 5}}, {4, {2, 3, 4, 2}}};
        gi[1].values = g;
        TEST_COND(ac ? "grad grid_sample align_corners" : "grad grid_sample",
                  gradcheck(ac ? "grid_sample_ac" : "grid_sample", f_grid, 2, gi, &ac, NULL) == 0);
        grid_away_from_kinks(&r, g, 2 * 3 * 4, 4, 5, ac);
        gc_input gis[2] = {{4, {2, 4, 5, 3}}, {4, {2, 3, 4, 2}}};
        gis[1].values = g;
        TEST_COND(ac ? "grad grid_sample strided align_corners" : "grad grid_sample strided",
                  gradcheck(ac ? "grid_sample_strided_ac" : "grid_sample_strided", f_grid_strided, 2, gis, &ac,
                            NULL) == 0);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* VQ specifics, shape ops' values, error paths                                                */
/* ------------------------------------------------------------------------------------------ */

static void test_vq(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
    mosa_rng r;
    rng_seed(&r, 3);
    enum { N = 9, K = 6, D = 4 };
    float zv[N * D], cv[K * D], seed[N * D];
    fill(&r, zv, N * D, -1, 1);
    fill(&r, cv, K * D, -1, 1);
    fill(&r, seed, N * D, -1, 1);
    memcpy(cv + 3 * D, cv + 1 * D, D * sizeof(float)); /* codes 1 and 3 are equal */
    memcpy(zv + 2 * D, cv + 1 * D, D * sizeof(float)); /* z[2] sits on them: tie -> 1 */
    tensor *z = leaf(&c, zv, T_SHAPE(N, D)), *cb = leaf(&c, cv, T_SHAPE(K, D)), *loss = NULL;
    int32_t idx[N], ref[N];
    tensor *zq = op_vq(&c, z, cb, idx, 0.25f, &loss);
    TEST_COND("vq runs", zq && loss && loss->nd == 0);
    vq_argmin_ref(ref, zv, cv, N, K, D);
    TEST_COND("vq indices = naive argmin", memcmp(idx, ref, sizeof idx) == 0);
    TEST_COND("vq tie goes to the lowest index", idx[2] == 1);
    int rows_ok = 1;
    double sse = 0;
    for (int n = 0; n < N; n++) {
        rows_ok &= memcmp(zq->data + n * D, cv + idx[n] * D, D * sizeof(float)) == 0;
        sse += sqdist(zv + n * D, cv + idx[n] * D, D);
    }
    TEST_COND("vq output rows are the codes", rows_ok);
    const float want_loss = (float)(1.25 * sse / (N * D));
    TEST_CLOSE("vq loss = (1 + beta) * mse", loss->data, &want_loss, 1, 1e-6, 1e-3);
    /* Straight-through: dz = dz_q exactly, nothing to the codebook. */
    TEST_COND("vq backward", ctx_backward_seed(&c, zq, seed) == MOSA_OK);
    TEST_COND("vq straight-through gradient = upstream gradient", z->grad && memcmp(z->grad, seed, sizeof seed) == 0);
    int cb_zero = 1;
    for (int i = 0; cb->grad && i < K * D; i++) cb_zero &= cb->grad[i] == 0.0f;
    TEST_COND("vq output sends no gradient to the codebook", cb_zero);
    /* The loss alone: commitment term to z, codebook term to the codebook. */
    ctx_reset(&c);
    z = leaf(&c, zv, T_SHAPE(N, D));
    cb = leaf(&c, cv, T_SHAPE(K, D));
    zq = op_vq(&c, z, cb, NULL, 0.25f, &loss);
    TEST_COND("vq loss backward", ctx_backward(&c, loss) == MOSA_OK);
    float wz[N * D], wc[K * D];
    memset(wc, 0, sizeof wc);
    for (int n = 0; n < N; n++)
        for (int d = 0; d < D; d++) {
            const float diff = zv[n * D + d] - cv[idx[n] * D + d];
            wz[n * D + d] = 0.25f * 2.0f * diff / (N * D);
            wc[idx[n] * D + d] -= 2.0f * diff / (N * D);
        }
    TEST_CLOSE("vq loss grad z = beta * 2 (z - q) / (N D)", z->grad, wz, N * D, 1e-5, 1e-2);
    TEST_CLOSE("vq loss grad codebook = 2 (q - z) / (N D) scattered", cb->grad, wc, K * D, 1e-5, 1e-2);
    /* A frozen codebook gets nothing and z still gets its commitment gradient. */
    ctx_reset(&c);
    z = leaf(&c, zv, T_SHAPE(N, D));
    cb = t_from(&c, cv, T_SHAPE(K, D));
    zq = op_vq(&c, z, cb, NULL, 0.25f, &loss);
    TEST_COND("vq loss with frozen codebook", ctx_backward(&c, loss) == MOSA_OK && cb->grad == NULL);
    TEST_CLOSE("vq loss grad z with frozen codebook", z->grad, wz, N * D, 1e-5, 1e-2);
    /* No grad mode: nothing recorded, still correct values. */
    ctx_reset(&c);
    int g = ctx_no_grad(&c);
    z = leaf(&c, zv, T_SHAPE(N, D));
    zq = op_vq(&c, z, t_from(&c, cv, T_SHAPE(K, D)), idx, 0.25f, NULL);
    TEST_COND("vq in no-grad mode records nothing", zq && c.n_nodes == 0 && idx[2] == 1);
    ctx_set_grad(&c, g);
    ctx_free(&c);
}

static void test_shape_values(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
    mosa_rng r;
    rng_seed(&r, 5);

    /* embedding: rows copied; a scalar id; a large scatter with repeats against a naive one */
    float wv[10 * 8];
    fill(&r, wv, 80, -1, 1);
    tensor *w = leaf(&c, wv, T_SHAPE(10, 8));
    const int32_t ids[3] = {9, 0, 9};
    tensor *e = op_embedding(&c, w, ids, T_SHAPE(3));
    TEST_COND("embedding shape", e && e->nd == 2 && e->shape[0] == 3 && e->shape[1] == 8);
    TEST_COND("embedding rows", memcmp(e->data, wv + 72, 32) == 0 && memcmp(e->data + 8, wv, 32) == 0);
    tensor *e0 = op_embedding(&c, w, ids + 1, 0, NULL);
    TEST_COND("embedding of a scalar id", e0 && e0->nd == 1 && e0->shape[0] == 8 && memcmp(e0->data, wv, 32) == 0);
    tensor *wt = op_transpose(&c, leaf(&c, wv, T_SHAPE(8, 10)), 0, 1); /* a strided (10,8) weight */
    tensor *es = op_embedding(&c, wt, ids, T_SHAPE(3));
    TEST_COND("embedding of a strided weight", es && es->data[1] == wv[10 + 9] && es->data[8] == wv[0]);
    ctx_reset(&c);
    {
        enum { V = 50, C = 384, NI = 400 };
        float *big = fbuf(V * C), *seed = fbuf(NI * C), *want = fbuf(V * C);
        int32_t bid[NI];
        fill(&r, big, V * C, -1, 1);
        fill(&r, seed, NI * C, -1, 1);
        memset(want, 0, V * C * sizeof(float));
        for (int k = 0; k < NI; k++) {
            bid[k] = (int32_t)rng_below(&r, V);
            for (int i = 0; i < C; i++) want[bid[k] * C + i] += seed[k * C + i];
        }
        tensor *bw = leaf(&c, big, T_SHAPE(V, C));
        tensor *be = op_embedding(&c, bw, bid, T_SHAPE(4, NI / 4));
        TEST_COND("embedding large backward", be && ctx_backward_seed(&c, be, seed) == MOSA_OK);
        TEST_CLOSE("embedding large scatter = naive", bw->grad, want, V * C, 1e-5, 1.0);
        mosa_free(big);
        mosa_free(seed);
        mosa_free(want);
        ctx_reset(&c);
    }

    /* concat of 8 inputs (more than a tape node holds): values and every input's gradient */
    {
        tensor *xs[8];
        float v[8][6], seed[8 * 6];
        for (int i = 0; i < 8; i++) {
            fill(&r, v[i], 6, -1, 1);
            xs[i] = t_from(&c, v[i], T_SHAPE(2, 1, 3));
            xs[i]->requires_grad = i != 2; /* one frozen input among them */
        }
        fill(&r, seed, 48, -1, 1);
        tensor *o = op_concat(&c, xs, 8, -2);
        TEST_COND("concat 8 shape", o && o->shape[0] == 2 && o->shape[1] == 8 && o->shape[2] == 3);
        int ok = 1;
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 8; i++)
                for (int k = 0; k < 3; k++) ok &= o->data[(b * 8 + i) * 3 + k] == v[i][b * 3 + k];
        TEST_COND("concat 8 values", ok);
        TEST_COND("concat 8 backward", ctx_backward_seed(&c, o, seed) == MOSA_OK);
        ok = xs[2]->grad == NULL;
        for (int i = 0; i < 8; i++)
            for (int b = 0; b < 2 && xs[i]->grad; b++)
                for (int k = 0; k < 3; k++) ok &= xs[i]->grad[b * 3 + k] == seed[(b * 8 + i) * 3 + k];
        TEST_COND("concat 8 gradients reach every input (7 beyond the node's in[] included)", ok && xs[7]->grad);
        ctx_reset(&c);
    }
    /* a large concat on the last axis (parallel copy) */
    {
        float *a = fbuf(2 * 100 * 300), *b = fbuf(2 * 100 * 77);
        fill(&r, a, 60000, -1, 1);
        fill(&r, b, 15400, -1, 1);
        tensor *xs[2] = {t_from(&c, a, T_SHAPE(2, 100, 300)), t_from(&c, b, T_SHAPE(2, 100, 77))};
        tensor *o = op_concat(&c, xs, 2, 2);
        int ok = o != NULL;
        for (int row = 0; ok && row < 200; row++)
            ok &= memcmp(o->data + row * 377, a + row * 300, 300 * 4) == 0 &&
                  memcmp(o->data + row * 377 + 300, b + row * 77, 77 * 4) == 0;
        TEST_COND("concat large values", ok);
        mosa_free(a);
        mosa_free(b);
        ctx_reset(&c);
    }

    /* split: views with the right data; pad: values */
    {
        float v[3 * 10];
        for (int i = 0; i < 30; i++) v[i] = (float)i;
        tensor *x = t_from(&c, v, T_SHAPE(3, 10));
        tensor *p[3];
        static const int64_t sizes[3] = {4, 0, 6};
        TEST_COND("split ok", op_split(&c, x, 1, 3, sizes, p) == 0);
        TEST_COND("split pieces are views",
                  p[0]->data == x->data && p[2]->data == x->data + 4 && p[1]->shape[1] == 0);
        TEST_COND("split piece element", p[2]->data[2 * p[2]->stride[0] + 5 * p[2]->stride[1]] == 29.0f);
        static const int64_t before[2] = {1, 2}, after[2] = {0, 1};
        tensor *q = op_pad(&c, x, before, after, -7.0f);
        TEST_COND("pad shape", q && q->shape[0] == 4 && q->shape[1] == 13);
        TEST_COND("pad values", q->data[0] == -7.0f && q->data[13 + 2] == 0.0f && q->data[3 * 13 + 11] == 29.0f &&
                                    q->data[3 * 13 + 12] == -7.0f && q->data[13 + 1] == -7.0f);
        tensor *q0 = op_pad(&c, t_fill(&c, 2.0f, 0, NULL), NULL, NULL, 0.0f);
        TEST_COND("pad of a scalar is a copy", q0 && q0->nd == 0 && q0->data[0] == 2.0f);
        ctx_reset(&c);
    }
    ctx_free(&c);
}

static void test_errors(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
#define EXPECT_FAIL(descr, expr, substr)                                                                 \
    do {                                                                                                 \
        ctx_reset(&c);                                                                                   \
        mosa_clear_error();                                                                              \
        tensor *r_ = (expr);                                                                             \
        int ok_ = r_ == NULL && c.status == MOSA_ERR_ARG && strstr(mosa_last_error(), (substr)) != NULL; \
        if (!ok_) printf("  got: \"%s\"\n", mosa_last_error());                                          \
        TEST_COND(descr, ok_);                                                                           \
    } while (0)
#define Z(...) t_zeros(&c, T_SHAPE(__VA_ARGS__))
    EXPECT_FAIL("layernorm bad weight", op_layernorm(&c, Z(2, 5), Z(4), NULL, 1e-5f),
                "layernorm: weight has shape (4), expected (5) for input (2,5)");
    EXPECT_FAIL("layernorm bad bias", op_layernorm(&c, Z(2, 5), NULL, Z(5, 1), 1e-5f),
                "layernorm: bias has shape (5,1)");
    EXPECT_FAIL("rmsnorm bad weight", op_rmsnorm(&c, Z(3), Z(2), 1e-5f), "rmsnorm: weight has shape (2)");
    EXPECT_FAIL("groupnorm C % G", op_groupnorm(&c, Z(2, 6, 3), 4, NULL, NULL, 1e-5f),
                "groupnorm: 6 channels of input (2,6,3) do not split into 4 groups");
    EXPECT_FAIL("groupnorm G = 0", op_groupnorm(&c, Z(2, 6), 0, NULL, NULL, 1e-5f), "into 0 groups");
    EXPECT_FAIL("groupnorm 1-d input", op_groupnorm(&c, Z(6), 1, NULL, NULL, 1e-5f),
                "groupnorm: input (6) must be (N,C)");
    EXPECT_FAIL("groupnorm bad weight", op_groupnorm(&c, Z(2, 6), 3, Z(3), NULL, 1e-5f),
                "groupnorm: weight has shape (3), expected (6)");
    EXPECT_FAIL("modulate bad shift", op_modulate(&c, Z(2, 3, 4), Z(2, 3), Z(2, 4)),
                "modulate: shift (2,3) and scale (2,4) must both be (2,4) for input (2,3,4)");
    EXPECT_FAIL("modulate 2-d input", op_modulate(&c, Z(3, 4), Z(3, 4), Z(3, 4)),
                "modulate: input (3,4) must be (B,T,C)");
    static const int32_t bad_ids[4] = {0, 3, 9, 1}, neg_ids[2] = {2, -1};
    EXPECT_FAIL("embedding id too large", op_embedding(&c, Z(7, 3), bad_ids, T_SHAPE(2, 2)),
                "embedding: id 9 at position 2 is outside [0, 7)");
    EXPECT_FAIL("embedding negative id", op_embedding(&c, Z(7, 3), neg_ids, T_SHAPE(2)),
                "embedding: id -1 at position 1 is outside [0, 7)");
    EXPECT_FAIL("embedding 1-d weight", op_embedding(&c, Z(7), neg_ids, T_SHAPE(1)),
                "embedding: weight (7) must be (V,C)");
    {
        ctx_reset(&c);
        tensor *xs[2] = {Z(2, 3, 4), Z(2, 3, 5)};
        tensor *o = op_concat(&c, xs, 2, 1);
        TEST_COND("concat mismatched shapes",
                  o == NULL && strstr(mosa_last_error(), "concat: tensor 1 has shape (2,3,5), tensor 0 has (2,3,4); "
                                                         "all dims but 1 must match"));
        ctx_reset(&c);
        tensor *ys[2] = {Z(2, 3), Z(2, 3, 1)};
        TEST_COND("concat mismatched ranks", op_concat(&c, ys, 2, 0) == NULL && c.status == MOSA_ERR_ARG);
        ctx_reset(&c);
        TEST_COND("concat bad axis", op_concat(&c, ys, 1, 2) == NULL && strstr(mosa_last_error(), "concat: axis 2"));
        ctx_reset(&c);
        TEST_COND("concat of nothing", op_concat(&c, ys, 0, 0) == NULL && c.status == MOSA_ERR_ARG);
        ctx_reset(&c);
        tensor *x = Z(2, 3);
        tensor *p[2] = {x, x};
        static const int64_t sz[2] = {1, 3};
        TEST_COND("split sizes must sum to the dim",
                  op_split(&c, x, 1, 2, sz, p) == -1 && p[0] == NULL && p[1] == NULL &&
                      strstr(mosa_last_error(), "split: piece sizes sum to 4 but dim 1 of (2,3) has size 3"));
        ctx_reset(&c);
        x = Z(2, 3);
        TEST_COND("split bad axis", op_split(&c, x, 3, 2, sz, p) == -1 && c.status == MOSA_ERR_ARG);
        ctx_reset(&c);
        TEST_COND("split of NULL", op_split(&c, NULL, 0, 2, sz, p) == -1 && p[0] == NULL);
    }
    static const int64_t pb[2] = {1, -1}, pa[2] = {0, 0};
    EXPECT_FAIL("pad negative", op_pad(&c, Z(2, 3), pb, pa, 0.0f), "pad: dim 1 of (2,3) has padding (-1, 0)");
    EXPECT_FAIL("vq mismatched D", op_vq(&c, Z(4, 3), Z(5, 2), NULL, 0.25f, NULL),
                "vq: z (4,3) must be (N,D) and codebook (5,2) (K,D)");
    EXPECT_FAIL("vq empty codebook", op_vq(&c, Z(4, 3), Z(0, 3), NULL, 0.25f, NULL), "vq: z (4,3)");
    EXPECT_FAIL("grid_sample bad grid", op_grid_sample(&c, Z(1, 2, 3, 4), Z(1, 5, 5, 3), 0),
                "grid_sample: input (1,2,3,4) must be (N,C,H,W) and grid (1,5,5,3) (N,Ho,Wo,2)");
    EXPECT_FAIL("grid_sample batch mismatch", op_grid_sample(&c, Z(2, 2, 3, 4), Z(1, 5, 5, 2), 1),
                "grid_sample: input (2,2,3,4)");
#undef EXPECT_FAIL
#undef Z
    /* NULL inputs give NULL without a new error (an earlier op already recorded one). */
    ctx_reset(&c);
    tensor *z = t_zeros(&c, T_SHAPE(2, 3, 4)), *z2 = t_zeros(&c, T_SHAPE(2, 4));
    tensor *loss = z;
    const int32_t id0 = 0;
    TEST_COND("NULL in, NULL out",
              !op_layernorm(&c, NULL, NULL, NULL, 1e-5f) && !op_rmsnorm(&c, NULL, NULL, 1e-5f) &&
                  !op_groupnorm(&c, NULL, 1, NULL, NULL, 1e-5f) && !op_modulate(&c, z, NULL, z2) &&
                  !op_embedding(&c, NULL, &id0, 0, NULL) && !op_pad(&c, NULL, NULL, NULL, 0) &&
                  !op_vq(&c, NULL, z2, NULL, 0.25f, &loss) && loss == NULL && !op_grid_sample(&c, z, NULL, 0) &&
                  c.status == MOSA_OK);
    tensor *xs[2] = {z, NULL};
    TEST_COND("concat with a NULL input", op_concat(&c, xs, 2, 0) == NULL && c.status == MOSA_OK);
    ctx_free(&c);
}

/* ------------------------------------------------------------------------------------------ */
/* A training step through every op allocates nothing on the heap after the first             */
/* ------------------------------------------------------------------------------------------ */

static mosa_status one_step(ctx *c, const float *vals) {
    const float *v = vals;
    tensor *x = leaf(c, v, T_SHAPE(2, 6, 8));
    tensor *w8 = leaf(c, v + 96, T_SHAPE(8)), *b8 = leaf(c, v + 104, T_SHAPE(8));
    tensor *w6 = leaf(c, v + 112, T_SHAPE(6)), *b6 = leaf(c, v + 118, T_SHAPE(6));
    tensor *sh = leaf(c, v + 124, T_SHAPE(2, 8)), *sc = leaf(c, v + 140, T_SHAPE(2, 8));
    tensor *emb = leaf(c, v + 156, T_SHAPE(10, 8)), *cb = leaf(c, v + 236, T_SHAPE(4, 8));
    tensor *grid = leaf(c, v + 268, T_SHAPE(2, 3, 3, 2));
    static const int32_t ids[6] = {3, 1, 4, 1, 5, 9};
    tensor *a = op_layernorm(c, x, w8, b8, 1e-5f);
    a = op_rmsnorm(c, a, w8, 1e-6f);
    a = op_groupnorm(c, a, 3, w6, b6, 1e-5f);
    a = op_modulate(c, a, sh, sc);
    tensor *e = op_embedding(c, emb, ids, T_SHAPE(2, 3));
    tensor *parts[2] = {a, e};
    tensor *cat = op_concat(c, parts, 2, 1); /* (2,9,8) */
    tensor *s[2];
    static const int64_t sizes[2] = {4, 5}, before[3] = {0, 1, 0}, after[3] = {0, 0, 0};
    if (op_split(c, cat, 1, 2, sizes, s) != 0) return c->status;
    tensor *q = op_add(c, s[1], op_pad(c, s[0], before, after, 0.0f)); /* (2,5,8) */
    tensor *loss = NULL;
    tensor *zq = op_vq(c, op_reshape(c, q, T_SHAPE(10, 8)), cb, NULL, 0.25f, &loss);
    tensor *img = op_reshape(c, zq, T_SHAPE(2, 1, 5, 8));
    tensor *out = op_grid_sample(c, img, grid, 0); /* (2,1,3,3) */
    static const float seed[18] = {1, -1, 2, 0.5f, 0.25f, -2, 1, 1, 1, 3, -1, 0.5f, 2, 2, -1, 0, 1, -0.5f};
    mosa_status st = ctx_backward_seed(c, out, seed);
    if (st == MOSA_OK) st = ctx_backward(c, loss);
    return st;
}

static void test_no_alloc(void) {
    ctx c;
    ctx_init(&c, 4096); /* small: the first step must grow the arena */
    mosa_rng r;
    rng_seed(&r, 11);
    float vals[268 + 36];
    fill(&r, vals, 268 + 36, -1, 1);
    for (int step = 0; step < 3; step++) {
        const uint64_t before = mosa_alloc_count();
        const mosa_status st = one_step(&c, vals);
        const uint64_t after = mosa_alloc_count();
        TEST_COND("step through all ops runs", st == MOSA_OK);
        if (step >= 1) TEST_COND("no heap allocation after the first step", after == before);
        ctx_reset(&c);
    }
    ctx_free(&c);
}

int main(void) {
    test_torch_values();
    test_kernels();
    test_gradients();
    test_vq();
    test_shape_values();
    test_errors();
    test_no_alloc();
    return test_report();
}
