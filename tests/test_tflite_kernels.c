/* test_tflite_kernels.c: the TFLite float kernels (src/tflite/kernels.c).
 *
 * Part 1 (always): the im2col/sgemm conv against the naive conv on odd shapes, the fp16
 * decoder on the special values, argument checks, and the speed of two convs (printed).
 * Part 2 (fixture from ref/ref_tflite_kernels.py, PyTorch/NumPy): every kernel against its
 * reference on random tensors with odd sizes; the max error per case is printed. Without the
 * fixture, part 2 is skipped and the program returns 77 once part 1 has passed. */
#include "tensor/safetensors.h"
#include "test.h"
#include "tflite/kernels.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

static st_file g_f;

/* max |got - want| / max(|want|, 1) over n, printed with the case name. */
static void check(const char *name, const float *got, const float *want, size_t n, double tol) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]) / fmax(fabs((double)want[i]), 1.0);
        if (!(d <= worst)) worst = d;
    }
    printf("  %-14s n=%-6zu max err %.3g\n", name, n, worst);
    TEST_CLOSE(name, got, want, n, tol, 1.0);
}

static float *load(const char *name, size_t *n) {
    const st_tensor *t = st_find(&g_f, name);
    TEST_COND(name, t != NULL);
    if (!t) return NULL;
    float *p = malloc((t->nelements ? t->nelements : 1) * sizeof(float));
    st_read_f32(t, p);
    if (n) *n = t->nelements;
    return p;
}

static void fill(float *x, size_t n, mosa_rng *r, float scale) {
    rng_normal(r, x, n, 0, scale);
}

/* ---------------------------------------------------------------------------------------- */

static void fast_vs_naive(void) {
    struct { int N, H, W, C, O, KH, KW, s, d; tfl_padding pad; tfl_activation act; } cs[] = {
        {1, 9, 11, 5, 7, 3, 3, 1, 1, TFL_PAD_SAME, TFL_ACT_NONE},
        {2, 13, 10, 3, 6, 3, 3, 2, 1, TFL_PAD_SAME, TFL_ACT_RELU6},
        {1, 17, 15, 4, 5, 5, 5, 2, 1, TFL_PAD_VALID, TFL_ACT_RELU},
        {1, 10, 7, 3, 4, 3, 3, 1, 2, TFL_PAD_SAME, TFL_ACT_RELU_N1_TO_1},
        {3, 7, 5, 6, 9, 1, 1, 1, 1, TFL_PAD_SAME, TFL_ACT_NONE},
        {1, 33, 31, 24, 40, 3, 3, 1, 1, TFL_PAD_SAME, TFL_ACT_RELU6},   /* big enough to go parallel */
        {2, 45, 37, 48, 19, 1, 1, 1, 1, TFL_PAD_VALID, TFL_ACT_TANH},   /* 1x1 direct, parallel */
        {1, 29, 27, 7, 11, 2, 4, 2, 1, TFL_PAD_SAME, TFL_ACT_NONE},
        {1, 30, 28, 16, 8, 1, 1, 2, 1, TFL_PAD_VALID, TFL_ACT_NONE},   /* 1x1 stride 2: im2col */
    };
    mosa_rng r;
    rng_seed(&r, 5);
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        tfl_conv_params p = {cs[i].s, cs[i].s, cs[i].d, cs[i].d, cs[i].pad, cs[i].act};
        int Ho = tfl_out_size(cs[i].H, cs[i].KH, cs[i].s, cs[i].d, cs[i].pad);
        int Wo = tfl_out_size(cs[i].W, cs[i].KW, cs[i].s, cs[i].d, cs[i].pad);
        size_t nx = (size_t)cs[i].N * cs[i].H * cs[i].W * cs[i].C, nw = (size_t)cs[i].O * cs[i].KH * cs[i].KW * cs[i].C;
        size_t ny = (size_t)cs[i].N * Ho * Wo * cs[i].O;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(cs[i].O * 4), *y = malloc(ny * 4), *y2 = malloc(ny * 4);
        fill(x, nx, &r, 1), fill(w, nw, &r, 0.3f), fill(b, cs[i].O, &r, 1);
        const float *bias = i % 3 == 2 ? NULL : b;
        TEST_COND("conv fast", tfl_conv2d(y, x, w, bias, cs[i].N, cs[i].H, cs[i].W, cs[i].C, cs[i].O, cs[i].KH,
                                         cs[i].KW, &p) == MOSA_OK);
        TEST_COND("conv ref", tfl_conv2d_ref(y2, x, w, bias, cs[i].N, cs[i].H, cs[i].W, cs[i].C, cs[i].O, cs[i].KH,
                                            cs[i].KW, &p) == MOSA_OK);
        char name[64];
        snprintf(name, sizeof name, "fast/naive %zu", i);
        check(name, y, y2, ny, 1e-5);
        free(x), free(w), free(b), free(y), free(y2);
    }
}

static void fp16_specials(void) {
    const uint16_t h[] = {0x0000, 0x8000, 0x3c00, 0xc000, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x3555};
    const float want[] = {0.0f, -0.0f, 1.0f, -2.0f, 5.9604644775390625e-8f, 6.0975551605224609e-5f,
                          6.103515625e-5f, 65504.0f, INFINITY, -INFINITY, 0.333251953125f};
    float got[11];
    tfl_dequantize_f16(got, h, 11);
    int ok = 1;
    for (int i = 0; i < 11; i++) ok &= memcmp(&got[i], &want[i], 4) == 0;
    TEST_COND("fp16 specials bit-exact", ok);
    const uint16_t nans[] = {0x7e00, 0xfe01, 0x7c01};
    tfl_dequantize_f16(got, nans, 3);
    TEST_COND("fp16 nan", isnan(got[0]) && isnan(got[1]) && isnan(got[2]) && signbit(got[1]));
}

static void arg_checks(void) {
    float a[4] = {0}, y[64];
    tfl_conv_params p = {0, 1, 1, 1, TFL_PAD_SAME, TFL_ACT_NONE};
    TEST_COND("stride 0", tfl_conv2d(y, a, a, NULL, 1, 2, 2, 1, 1, 1, 1, &p) == MOSA_ERR_ARG);
    p.stride_h = 1, p.padding = TFL_PAD_VALID;
    TEST_COND("valid kernel > input", tfl_conv2d(y, a, a, NULL, 1, 2, 2, 1, 1, 3, 3, &p) == MOSA_ERR_ARG);
    int s1[] = {2, 3}, s2[] = {4};
    TEST_COND("bad broadcast", tfl_add(y, a, 2, s1, a, 1, s2, TFL_ACT_NONE) == MOSA_ERR_ARG);
    TEST_COND("align+half", tfl_resize_bilinear(y, a, 1, 2, 2, 1, 4, 4, true, true) == MOSA_ERR_ARG);
    /* SAME padding arithmetic, TFLite's examples: 256 -> 128 with k3 s2 pads 0 before, 1 after. */
    TEST_COND("pad s2", tfl_out_size(256, 3, 2, 1, TFL_PAD_SAME) == 128 && tfl_pad_before(256, 3, 2, 1, TFL_PAD_SAME) == 0);
    TEST_COND("pad 5x5", tfl_pad_before(64, 5, 1, 1, TFL_PAD_SAME) == 2 && tfl_pad_before(9, 3, 1, 2, TFL_PAD_SAME) == 2);
    int o, pb;
    TEST_COND("tconv 128->256", tfl_transpose_conv_out_size(128, 2, 2, TFL_PAD_SAME, &o, &pb) && o == 256 && pb == 0);
}

static void bench(void) {
    struct { int H, C, O, K; } bs[] = {{128, 32, 32, 3}, {64, 64, 64, 1}};
    mosa_rng r;
    rng_seed(&r, 9);
    for (int i = 0; i < 2; i++) {
        int H = bs[i].H, C = bs[i].C, O = bs[i].O, K = bs[i].K;
        size_t nx = (size_t)H * H * C, nw = (size_t)O * K * K * C, ny = (size_t)H * H * O;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(O * 4), *y = malloc(ny * 4);
        fill(x, nx, &r, 1), fill(w, nw, &r, 0.1f), fill(b, O, &r, 1);
        tfl_conv_params p = {1, 1, 1, 1, TFL_PAD_SAME, TFL_ACT_RELU6};
        tfl_conv2d(y, x, w, b, 1, H, H, C, O, K, K, &p); /* warm-up */
        int reps = 0;
        double t0 = time_now(), t;
        do tfl_conv2d(y, x, w, b, 1, H, H, C, O, K, K, &p), reps++;
        while ((t = time_now() - t0) < 0.3);
        double gf = 2.0 * ny * C * K * K * reps / t / 1e9;
        printf("  bench conv %dx%d %d->%d at %dx%d: %.3f ms, %.1f GFLOP/s (%d threads)\n", K, K, C, O, H, H,
               t / reps * 1e3, gf, threads_get());
        free(x), free(w), free(b), free(y);
    }
}

/* ---------------------------------------------------------------------------------------- */

static void fx_conv(const char *nm, int N, int H, int W, int C, int O, int K, int s, int d, tfl_padding pad,
                    tfl_activation act, bool dw, int M) {
    char k[64];
    size_t ny;
    snprintf(k, sizeof k, "%s.x", nm); float *x = load(k, NULL);
    snprintf(k, sizeof k, "%s.w", nm); float *w = load(k, NULL);
    snprintf(k, sizeof k, "%s.b", nm); float *b = load(k, NULL);
    snprintf(k, sizeof k, "%s.y", nm); float *want = load(k, &ny);
    if (x && w && b && want) {
        float *y = calloc(ny, 4);
        tfl_conv_params p = {s, s, d, d, pad, act};
        mosa_status st = dw ? tfl_depthwise_conv2d(y, x, w, b, N, H, W, C, M, K, K, &p)
                            : tfl_conv2d(y, x, w, b, N, H, W, C, O, K, K, &p);
        int Ho = tfl_out_size(H, K, s, d, pad), Wo = tfl_out_size(W, K, s, d, pad);
        TEST_COND(nm, st == MOSA_OK && (size_t)N * Ho * Wo * (dw ? C * M : O) == ny);
        check(nm, y, want, ny, 1e-5);
        if (!dw) {
            tfl_conv2d_ref(y, x, w, b, N, H, W, C, O, K, K, &p);
            snprintf(k, sizeof k, "%s(naive)", nm);
            check(k, y, want, ny, 1e-5);
        }
        free(y);
    }
    free(x), free(w), free(b), free(want);
}

static void fx_pool(const char *nm, bool is_max, int N, int H, int W, int C, int KH, int KW, int s, tfl_padding pad) {
    char k[64];
    size_t ny;
    snprintf(k, sizeof k, "%s.x", nm); float *x = load(k, NULL);
    snprintf(k, sizeof k, "%s.y", nm); float *want = load(k, &ny);
    if (x && want) {
        float *y = calloc(ny, 4);
        tfl_pool_params p = {KH, KW, s, s, pad, TFL_ACT_NONE};
        mosa_status st = is_max ? tfl_max_pool2d(y, x, N, H, W, C, &p) : tfl_avg_pool2d(y, x, N, H, W, C, &p);
        TEST_COND(nm, st == MOSA_OK);
        check(nm, y, want, ny, 1e-6);
        free(y);
    }
    free(x), free(want);
}

static void fx_resize(const char *nm, int N, int H, int W, int C, int Ho, int Wo, bool align) {
    char k[64];
    size_t ny;
    snprintf(k, sizeof k, "%s.x", nm); float *x = load(k, NULL);
    snprintf(k, sizeof k, "%s.y", nm); float *want = load(k, &ny);
    if (x && want) {
        float *y = calloc(ny, 4);
        TEST_COND(nm, ny == (size_t)N * Ho * Wo * C &&
                          tfl_resize_bilinear(y, x, N, H, W, C, Ho, Wo, align, !align) == MOSA_OK);
        check(nm, y, want, ny, 1e-5);
        free(y);
    }
    free(x), free(want);
}

static void fx_tconv(const char *nm, int N, int H, int W, int C, int O, int K, int s, tfl_padding pad) {
    char k[64];
    size_t ny;
    snprintf(k, sizeof k, "%s.x", nm); float *x = load(k, NULL);
    snprintf(k, sizeof k, "%s.w", nm); float *w = load(k, NULL);
    snprintf(k, sizeof k, "%s.b", nm); float *b = load(k, NULL);
    snprintf(k, sizeof k, "%s.y", nm); float *want = load(k, &ny);
    if (x && w && b && want) {
        int Ho, Wo, pt, pl;
        tfl_transpose_conv_out_size(H, K, s, pad, &Ho, &pt);
        tfl_transpose_conv_out_size(W, K, s, pad, &Wo, &pl);
        TEST_COND(nm, (size_t)N * Ho * Wo * O == ny);
        float *y = calloc((size_t)N * Ho * Wo * O, 4);
        TEST_COND(nm, tfl_transpose_conv_bias(y, x, w, b, N, H, W, C, O, K, K, s, s, pad) == MOSA_OK);
        if ((size_t)N * Ho * Wo * O == ny) check(nm, y, want, ny, 1e-5);
        free(y);
    }
    free(x), free(w), free(b), free(want);
}

static void fx_binary(const char *nm, bool mul, int ra, const int *sa, int rb, const int *sb, tfl_activation act) {
    char k[64];
    size_t ny;
    snprintf(k, sizeof k, "%s.a", nm); float *a = load(k, NULL);
    snprintf(k, sizeof k, "%s.b", nm); float *b = load(k, NULL);
    snprintf(k, sizeof k, "%s.y", nm); float *want = load(k, &ny);
    if (a && b && want) {
        int r, os[TFL_MAX_RANK];
        size_t n = 1;
        TEST_COND(nm, tfl_broadcast_shape(&r, os, ra, sa, rb, sb) == MOSA_OK);
        for (int i = 0; i < r; i++) n *= os[i];
        TEST_COND(nm, n == ny);
        float *y = calloc(ny, 4);
        mosa_status st = mul ? tfl_mul(y, a, ra, sa, b, rb, sb, act) : tfl_add(y, a, ra, sa, b, rb, sb, act);
        TEST_COND(nm, st == MOSA_OK);
        check(nm, y, want, ny, 0);
        free(y);
    }
    free(a), free(b), free(want);
}

static void fixture_tests(void) {
    fx_conv("conv_a", 2, 9, 11, 5, 7, 3, 1, 1, TFL_PAD_SAME, TFL_ACT_NONE, false, 1);
    fx_conv("conv_b", 1, 13, 10, 3, 6, 3, 2, 1, TFL_PAD_SAME, TFL_ACT_RELU6, false, 1);
    fx_conv("conv_c", 1, 12, 9, 4, 5, 5, 2, 1, TFL_PAD_VALID, TFL_ACT_RELU, false, 1);
    fx_conv("conv_d", 1, 10, 7, 3, 4, 3, 1, 2, TFL_PAD_SAME, TFL_ACT_NONE, false, 1);
    fx_conv("conv_e", 2, 7, 5, 6, 9, 1, 1, 1, TFL_PAD_SAME, TFL_ACT_RELU6, false, 1);
    fx_conv("conv_f", 1, 8, 8, 3, 16, 3, 2, 1, TFL_PAD_VALID, TFL_ACT_RELU6, false, 1);
    fx_conv("dw_a", 2, 9, 8, 5, 5, 3, 1, 1, TFL_PAD_SAME, TFL_ACT_RELU6, true, 1);
    fx_conv("dw_b", 1, 11, 10, 4, 4, 5, 2, 1, TFL_PAD_SAME, TFL_ACT_NONE, true, 1);
    fx_conv("dw_c", 1, 9, 7, 3, 9, 3, 2, 1, TFL_PAD_VALID, TFL_ACT_RELU, true, 3);
    fx_conv("dw_d", 1, 10, 9, 20, 20, 3, 2, 1, TFL_PAD_SAME, TFL_ACT_NONE, true, 1);
    fx_pool("maxpool_a", true, 2, 9, 7, 5, 2, 2, 2, TFL_PAD_VALID);
    fx_pool("maxpool_b", true, 1, 9, 8, 3, 3, 3, 2, TFL_PAD_SAME);
    fx_pool("avgpool_a", false, 1, 9, 8, 3, 3, 3, 2, TFL_PAD_SAME);
    fx_pool("avgpool_b", false, 2, 6, 5, 7, 6, 5, 1, TFL_PAD_VALID);
    {
        size_t ny;
        float *x = load("mean.x", NULL), *want = load("mean.y", &ny), y[14];
        if (x && want) {
            TEST_COND("mean", ny == 14 && tfl_mean_hw(y, x, 2, 6, 5, 7) == MOSA_OK);
            check("mean", y, want, 14, 1e-6);
        }
        free(x), free(want);
    }
    fx_resize("rs_a", 1, 7, 5, 3, 14, 10, false);
    fx_resize("rs_b", 2, 5, 6, 4, 13, 8, false);
    fx_resize("rs_c", 1, 9, 8, 2, 4, 5, false);
    fx_resize("rs_d", 1, 5, 6, 3, 11, 9, true);
    fx_tconv("tc_a", 1, 6, 5, 4, 3, 2, 2, TFL_PAD_SAME);
    fx_tconv("tc_b", 2, 5, 6, 3, 2, 3, 2, TFL_PAD_SAME);
    fx_tconv("tc_c", 1, 4, 5, 3, 2, 3, 2, TFL_PAD_VALID);
    fx_tconv("tc_d", 1, 8, 8, 16, 1, 2, 2, TFL_PAD_SAME);
    {
        int a1[] = {2, 5, 6, 7}, b1[] = {7}, a2[] = {1, 5, 6, 7}, b2[] = {1, 1, 1, 7}, a3[] = {2, 1, 6, 1},
            b3[] = {1, 5, 1, 7}, a4[] = {3, 4, 5, 6}, b4[] = {1}, a5[] = {2, 3, 4, 5};
        fx_binary("add_a", false, 4, a1, 1, b1, TFL_ACT_RELU6);
        fx_binary("mul_b", true, 4, a2, 4, b2, TFL_ACT_NONE);
        fx_binary("add_c", false, 4, a3, 4, b3, TFL_ACT_NONE);
        fx_binary("mul_d", true, 4, a4, 1, b4, TFL_ACT_NONE);
        fx_binary("add_e", false, 4, a5, 4, a5, TFL_ACT_RELU);
    }
    {
        size_t n, ny;
        float *x = load("unary.x", &n), *lw = load("logistic.y", NULL), *hw = load("hard_swish.y", NULL);
        if (x && lw && hw) {
            float *y = malloc(n * 4), *z = malloc(n * 4);
            tfl_logistic(y, x, n);
            check("logistic", y, lw, n, 1e-6);
            tfl_hard_swish(y, x, n);
            check("hard_swish", y, hw, n, 1e-6);
            tfl_relu(y, x, n);
            tfl_relu6(z, x, n);
            int ok = 1;
            for (size_t i = 0; i < n; i++)
                ok &= y[i] == fmaxf(x[i], 0) && z[i] == fminf(fmaxf(x[i], 0), 6);
            TEST_COND("relu, relu6", ok);
            free(y), free(z);
        }
        free(x), free(lw), free(hw);
        float *f = load("f16.y", &ny);
        if (f && ny == 65536) {
            uint16_t *h = malloc(65536 * 2);
            float *y = malloc(65536 * 4);
            for (int i = 0; i < 65536; i++) h[i] = (uint16_t)i;
            tfl_dequantize_f16(y, h, 65536);
            int bad = 0;
            for (int i = 0; i < 65536; i++)
                bad += isnan(f[i]) ? !isnan(y[i]) : memcmp(&y[i], &f[i], 4) != 0;
            printf("  %-14s n=65536 mismatches %d (numpy.float16, bit-exact, nan as nan)\n", "f16", bad);
            TEST_COND("fp16 all 65536 patterns vs numpy", bad == 0);
            free(h), free(y);
        }
        free(f);
    }
    {
        size_t ny;
        float *x = load("pad.x", NULL), *want = load("pad.y", &ny);
        if (x && want) {
            int sh[] = {1, 5, 4, 3};
            int32_t pads[] = {0, 0, 2, 1, 0, 3, 1, 0};
            float *y = malloc(ny * 4);
            TEST_COND("pad", ny == 1 * 8 * 7 * 4 && tfl_pad(y, x, 4, sh, pads) == MOSA_OK);
            check("pad", y, want, ny, 0);
            free(y);
        }
        free(x), free(want);
        float *c0 = load("cat.x0", NULL), *c1 = load("cat.x1", NULL), *c2 = load("cat.x2", NULL);
        want = load("cat.y", &ny);
        if (c0 && c1 && c2 && want) {
            const float *ins[] = {c0, c1, c2};
            int sh[] = {2, 0, 4}, sizes[] = {3, 1, 2};
            float *y = malloc(ny * 4);
            TEST_COND("concat", tfl_concat(y, ins, 3, 3, sh, -2, sizes, TFL_ACT_NONE) == MOSA_OK);
            check("concat", y, want, ny, 0);
            tfl_reshape(y, y, ny);
            check("reshape", y, want, ny, 0);
            free(y);
        }
        free(c0), free(c1), free(c2), free(want);
    }
}

int main(void) {
    printf("self checks:\n");
    fast_vs_naive();
    fp16_specials();
    arg_checks();
    bench();
    char path[1024];
    snprintf(path, sizeof path, "%s/tflite_kernels.safetensors", MOSA_FIXTURE_DIR);
    if (access(path, R_OK) != 0) {
        printf("skipped the PyTorch/NumPy parity part: %s not found (ref_fixtures needs python3-torch)\n", path);
        if (test_report()) return 1;
        return 77;
    }
    printf("parity with PyTorch/NumPy (%s):\n", path);
    TEST_COND("open fixture", st_open(&g_f, path) == MOSA_OK);
    fixture_tests();
    st_close(&g_f);
    return test_report();
}
