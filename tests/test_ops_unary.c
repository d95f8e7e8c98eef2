/* test_ops_unary.c: pointwise activations, dropout, sum/mean, softmax/log-softmax and the losses.
 *
 * Checks: fast kernels against their `_ref` twins and against double-precision truth on random
 * odd sizes; finite-difference gradients of every op (middle axes, keepdim, all axes,
 * transposed views); a few values against PyTorch 1.13 (pasted constants); dropout statistics
 * and mask reuse; error paths; and that a repeated step allocates nothing on the heap. */
#include "gradcheck.h"
#include "test.h"

#include <string.h>

static const char *kind_name[UNARY_COUNT] = {"exp",  "log",     "sqrt", "square", "relu",
                                             "silu", "sigmoid", "tanh", "gelu",   "gelu_tanh"};

static tensor *apply_unary(ctx *c, tensor *x, int kind) {
    switch (kind) {
    case UNARY_EXP: return op_exp(c, x);
    case UNARY_LOG: return op_log(c, x);
    case UNARY_SQRT: return op_sqrt(c, x);
    case UNARY_SQUARE: return op_square(c, x);
    case UNARY_RELU: return op_relu(c, x);
    case UNARY_SILU: return op_silu(c, x);
    case UNARY_SIGMOID: return op_sigmoid(c, x);
    case UNARY_TANH: return op_tanh(c, x);
    case UNARY_GELU: return op_gelu(c, x, 0);
    default: return op_gelu(c, x, 1);
    }
}

/* ---- double-precision truth for the pointwise kernels ---- */

static double truth_f(int kind, double x) {
    const double k = sqrt(2.0 / M_PI);
    switch (kind) {
    case UNARY_EXP: return exp(x);
    case UNARY_LOG: return log(x);
    case UNARY_SQRT: return sqrt(x);
    case UNARY_SQUARE: return x * x;
    case UNARY_RELU: return x > 0 ? x : 0;
    case UNARY_SILU: return x / (1 + exp(-x));
    case UNARY_SIGMOID: return 1 / (1 + exp(-x));
    case UNARY_TANH: return tanh(x);
    case UNARY_GELU: return 0.5 * x * erfc(-x / sqrt(2.0));
    default: return x / (1 + exp(-2 * k * (x + 0.044715 * x * x * x)));
    }
}

static double truth_df(int kind, double x) {
    const double k = sqrt(2.0 / M_PI);
    const double s = 1 / (1 + exp(-x));
    switch (kind) {
    case UNARY_EXP: return exp(x);
    case UNARY_LOG: return 1 / x;
    case UNARY_SQRT: return 0.5 / sqrt(x);
    case UNARY_SQUARE: return 2 * x;
    case UNARY_RELU: return x > 0 ? 1 : 0;
    case UNARY_SILU: return s * (1 + x * (1 - s));
    case UNARY_SIGMOID: return s * (1 - s);
    case UNARY_TANH: return 1 - tanh(x) * tanh(x);
    case UNARY_GELU: return 0.5 * erfc(-x / sqrt(2.0)) + x * exp(-0.5 * x * x) / sqrt(2 * M_PI);
    default: {
        const double u = k * (x + 0.044715 * x * x * x), s2 = 1 / (1 + exp(-2 * u));
        return s2 + 2 * x * s2 * (1 - s2) * k * (1 + 3 * 0.044715 * x * x);
    }
    }
}

static void fill_uniform(mosa_rng *r, float *x, int64_t n, float lo, float hi) {
    rng_uniform(r, x, (size_t)n);
    for (int64_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
}

/* Input range where the kernel is well conditioned for a tight comparison with the truth. */
static void kind_range(int kind, float *lo, float *hi) {
    *lo = -6, *hi = 6;
    if (kind == UNARY_EXP) *lo = -80, *hi = 80;
    if (kind == UNARY_LOG || kind == UNARY_SQRT) *lo = 1e-3f, *hi = 50;
}

static void test_unary_kernels(void) {
    mosa_rng r;
    rng_seed(&r, 7);
    const int64_t sizes[3] = {1, 37, 100003}; /* odd; the big one takes the OpenMP path */
    enum { NMAX = 100003 };
    float *x = malloc(NMAX * sizeof(float)), *y = malloc(NMAX * sizeof(float)), *yr = malloc(NMAX * sizeof(float));
    float *dy = malloc(NMAX * sizeof(float)), *dx = malloc(NMAX * sizeof(float)), *dxr = malloc(NMAX * sizeof(float));
    float *want = malloc(NMAX * sizeof(float)), *dwant = malloc(NMAX * sizeof(float));
    float *dx0 = malloc(NMAX * sizeof(float));
    for (int kind = 0; kind < UNARY_COUNT; kind++) {
        for (int si = 0; si < 3; si++) {
            const int64_t n = sizes[si];
            float lo, hi;
            kind_range(kind, &lo, &hi);
            fill_uniform(&r, x, n, lo, hi);
            /* a quarter of the elements near 0, where tanh/gelu switch formulas */
            if (kind != UNARY_LOG && kind != UNARY_SQRT)
                for (int64_t i = 0; i < n; i += 4) x[i] *= 0.1f;
            fill_uniform(&r, dy, n, -1, 1);
            fill_uniform(&r, dx, n, -1, 1);
            memcpy(dxr, dx, (size_t)n * sizeof(float));
            memcpy(dx0, dx, (size_t)n * sizeof(float));
            unary_forward(y, x, n, (unary_kind)kind);
            unary_forward_ref(yr, x, n, (unary_kind)kind);
            unary_backward(dx, x, y, dy, n, (unary_kind)kind);
            unary_backward_ref(dxr, x, yr, dy, n, (unary_kind)kind);
            for (int64_t i = 0; i < n; i++) {
                want[i] = (float)truth_f(kind, x[i]);
                dwant[i] = (float)(dx0[i] + dy[i] * truth_df(kind, x[i]));
            }
            char d[96];
            snprintf(d, sizeof d, "%s forward fast vs ref, n=%lld", kind_name[kind], (long long)n);
            TEST_CLOSE(d, y, yr, n, 2e-6, 0.1); /* libm's 0.5x(1+erf) cancels in the tail */
            snprintf(d, sizeof d, "%s forward fast vs double truth, n=%lld", kind_name[kind], (long long)n);
            TEST_CLOSE(d, y, want, n, 5e-6, 1e-30);
            snprintf(d, sizeof d, "%s backward fast vs ref (accumulating), n=%lld", kind_name[kind], (long long)n);
            TEST_CLOSE(d, dx, dxr, n, 4e-6, 1.0);
            snprintf(d, sizeof d, "%s backward fast vs double truth, n=%lld", kind_name[kind], (long long)n);
            TEST_CLOSE(d, dx, dwant, n, 4e-6, 1.0);
        }
    }
    free(x), free(y), free(yr), free(dy), free(dx), free(dxr), free(want), free(dwant), free(dx0);
}

/* expf_vec at the edges of its range. */
static void test_expf_vec_edges(void) {
    const float xs[9] = {0.0f, 1.0f, -86.4f, 88.7f, 88.72283f, -86.6f, -100.0f, 100.0f, -1e-8f};
    for (int i = 0; i < 9; i++) {
        double want = (xs[i] < -86.5f) ? 0.0 : exp((double)xs[i]);
        if (want > 3.4028234663852886e38) want = INFINITY;
        const float got = expf_vec(xs[i]);
        TEST_COND("expf_vec edge value", (want == 0 && got == 0) || (isinf(want) && isinf(got)) ||
                                             fabs(got - want) <= 3e-7 * want);
    }
    TEST_COND("expf_vec(+inf) = inf", isinf(expf_vec(INFINITY)) && expf_vec(INFINITY) > 0);
    TEST_COND("expf_vec(89) = inf", isinf(expf_vec(89.0f)));
    TEST_COND("expf_vec(-inf) = 0", expf_vec(-INFINITY) == 0.0f);
    TEST_COND("expf_vec(NaN) is NaN", isnan(expf_vec(NAN)));
    TEST_COND("expf_vec(88.72283) finite", isfinite(expf_vec(88.72283f)));
}

/* Values and gradients against PyTorch 1.13 (torch.nn.functional, float32). PyTorch's own
 * float GELU is off by up to ~2e-5 relative in the negative tail (its vectorised erf is the
 * Abramowitz-Stegun fit with 1.5e-7 absolute error; its tanh form cancels in 1 + tanh), where
 * ours is closer to the double-precision value, so the GELU rows compare with an absolute floor. */
static void test_torch_values(void) {
    const float x[8] = {-3.0f, -1.5f, -0.2f, 0.0f, 0.4f, 1.1f, 2.5f, 6.0f};
    const int kinds[5] = {UNARY_GELU, UNARY_GELU_TANH, UNARY_SILU, UNARY_SIGMOID, UNARY_TANH};
    const float want_y[5][8] = {
        {-0.00404986739f, -0.10021086f, -0.0841480494f, 0, 0.262168676f, 0.950767279f, 2.48447585f, 6},
        {-0.00363743305f, -0.100428432f, -0.0841485709f, 0, 0.262161165f, 0.950581074f, 2.48491573f, 6},
        {-0.142277613f, -0.273638278f, -0.0900332034f, 0, 0.239475071f, 0.82528615f, 2.31035447f, 5.98516464f},
        {0.0474258736f, 0.182425529f, 0.450166017f, 0.5f, 0.598687649f, 0.750260115f, 0.924141824f, 0.997527421f},
        {-0.995054781f, -0.905148268f, -0.197375327f, 0, 0.379948974f, 0.800499022f, 0.986614287f, 0.999987721f}};
    const float want_dy[5][8] = {
        {-0.0119456053f, -0.127469152f, 0.342531711f, 0.5f, 0.802729726f, 1.10397124f, 1.03761101f, 1},
        {-0.0115842968f, -0.127710819f, 0.342541814f, 0.5f, 0.802658796f, 1.10365951f, 1.03795171f, 1},
        {-0.0881041065f, -0.0412941612f, 0.40066269f, 0.5f, 0.694791973f, 0.956366956f, 1.09940112f, 1.01232624f},
        {0.0451766588f, 0.149146467f, 0.247516587f, 0.25f, 0.24026075f, 0.187369868f, 0.0701037124f, 0.00246646581f},
        {0.00986598153f, 0.18070662f, 0.961043f, 1, 0.855638802f, 0.359201312f, 0.0265922491f, 2.45569627e-05f}};
    for (int k = 0; k < 5; k++) {
        ctx c;
        ctx_init(&c, 1 << 16);
        tensor *t = t_from(&c, x, T_SHAPE(8));
        t->requires_grad = 1;
        tensor *y = apply_unary(&c, t, kinds[k]);
        TEST_COND("unary forward", y != NULL);
        if (!y) { ctx_free(&c); continue; }
        const float ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        TEST_COND("unary backward", ctx_backward_seed(&c, y, ones) == MOSA_OK);
        char d[64];
        snprintf(d, sizeof d, "%s matches torch", kind_name[kinds[k]]);
        TEST_CLOSE(d, y->data, want_y[k], 8, 3e-6, 0.1);
        snprintf(d, sizeof d, "%s grad matches torch", kind_name[kinds[k]]);
        TEST_CLOSE(d, t->grad, want_dy[k], 8, 3e-6, 0.1);
        ctx_free(&c);
    }
    ctx c;
    ctx_init(&c, 1 << 16);
    /* F.cross_entropy(logits, [2, -100, 0], ignore_index=-100) and its gradient */
    const float lg[12] = {0.5f, -1.0f, 2.0f, 0.1f, 1, 1, 1, 1, 3.0f, -2.0f, 0.0f, 0.7f};
    const int32_t tg[3] = {2, -100, 0};
    const float want_g[12] = {0.0784296617f, 0.0175000206f, -0.148502648f, 0.0525729768f, 0, 0, 0, 0,
                              -0.0677671134f, 0.00291236187f, 0.0215196051f, 0.043335177f};
    tensor *l = t_from(&c, lg, T_SHAPE(3, 4));
    l->requires_grad = 1;
    tensor *ce = op_cross_entropy(&c, l, tg, -100);
    TEST_COND("cross_entropy is a scalar", ce && ce->nd == 0);
    TEST_COND("cross_entropy matches torch", ce && fabsf(ce->data[0] - 0.249024764f) < 1e-6f);
    TEST_COND("cross_entropy backward", ctx_backward(&c, ce) == MOSA_OK);
    TEST_CLOSE("cross_entropy grad matches torch", l->grad, want_g, 12, 1e-5, 1e-2);
    /* F.smooth_l1_loss(a, b, beta=0.5) */
    const float av[4] = {0.1f, 0.9f, -1.2f, 2.0f}, bv[4] = {0.3f, -0.2f, -1.0f, 0.5f};
    tensor *sl = op_smooth_l1_loss(&c, t_from(&c, av, T_SHAPE(4)), t_from(&c, bv, T_SHAPE(4)), 0.5f);
    TEST_COND("smooth_l1 matches torch", sl && fabsf(sl->data[0] - 0.545000017f) < 1e-6f);
    /* torch.softmax(s, 0) and torch.log_softmax(s, 1) */
    const float sv[6] = {1, 2, 3, -1, 0.5f, 4};
    const float want_s0[6] = {0.880797029f, 0.817574441f, 0.268941432f, 0.119202919f, 0.182425514f, 0.731058598f};
    const float want_l1[6] = {-2.40760589f, -1.40760589f, -0.407605946f, -5.03626966f, -3.53626966f, -0.0362695642f};
    tensor *s = t_from(&c, sv, T_SHAPE(2, 3));
    tensor *s0 = op_softmax(&c, s, 0), *l1 = op_log_softmax(&c, s, -1);
    TEST_COND("softmax/log_softmax ran", s0 && l1);
    if (s0 && l1) {
        TEST_CLOSE("softmax axis 0 matches torch", s0->data, want_s0, 6, 1e-6, 1e-2);
        TEST_CLOSE("log_softmax axis 1 matches torch", l1->data, want_l1, 6, 1e-6, 1e-2);
    }
    ctx_free(&c);
}

/* ---- reduction and softmax kernels against their references ---- */

static void test_axis_kernels(void) {
    mosa_rng r;
    rng_seed(&r, 11);
    const int64_t shapes[][3] = {{1, 1, 1},  {7, 33, 1}, {1, 1001, 1}, {3, 5, 70},   {2, 129, 3},
                                 {5, 1, 9},  {1, 7, 65}, {37, 608, 1}, {4, 11, 200}, {1, 40000, 1}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int64_t O = shapes[si][0], L = shapes[si][1], I = shapes[si][2], n = O * L * I;
        float *x = malloc((size_t)n * sizeof(float)), *y = malloc((size_t)n * sizeof(float));
        float *yr = malloc((size_t)n * sizeof(float)), *g = malloc((size_t)n * sizeof(float));
        float *dx = malloc((size_t)n * sizeof(float)), *dxr = malloc((size_t)n * sizeof(float));
        float *s = malloc((size_t)(O * I) * sizeof(float)), *sr = malloc((size_t)(O * I) * sizeof(float));
        fill_uniform(&r, x, n, -8, 8);
        fill_uniform(&r, g, n, -1, 1);
        char d[96];
        reduce_sum_forward(s, x, O, L, I);
        reduce_sum_forward_ref(sr, x, O, L, I);
        snprintf(d, sizeof d, "sum kernel (%lld,%lld,%lld)", (long long)O, (long long)L, (long long)I);
        TEST_CLOSE(d, s, sr, O * I, 1e-6, 1.0);
        for (int log_form = 0; log_form < 2; log_form++) {
            if (log_form) {
                log_softmax_forward(y, x, O, L, I);
                log_softmax_forward_ref(yr, x, O, L, I);
            } else {
                softmax_forward(y, x, O, L, I);
                softmax_forward_ref(yr, x, O, L, I);
            }
            snprintf(d, sizeof d, "%s kernel (%lld,%lld,%lld)", log_form ? "log_softmax" : "softmax", (long long)O,
                     (long long)L, (long long)I);
            /* the kernels sum in float (vectorised lanes in Release, one accumulator at -O1):
             * allow for the length; log-softmax is compared absolutely near 0 */
            TEST_CLOSE(d, y, yr, n, 2e-6 + 1.5e-9 * (double)L, log_form ? 1.0 : 1e-6);
            fill_uniform(&r, dx, n, -1, 1);
            memcpy(dxr, dx, (size_t)n * sizeof(float));
            if (log_form) {
                log_softmax_backward(dx, y, g, O, L, I);
                log_softmax_backward_ref(dxr, y, g, O, L, I);
            } else {
                softmax_backward(dx, y, g, O, L, I);
                softmax_backward_ref(dxr, y, g, O, L, I);
            }
            snprintf(d, sizeof d, "%s backward kernel (%lld,%lld,%lld)", log_form ? "log_softmax" : "softmax",
                     (long long)O, (long long)L, (long long)I);
            TEST_CLOSE(d, dx, dxr, n, 2e-5, 1.0);
        }
        /* rows of a softmax sum to 1 */
        softmax_forward(y, x, O, L, I);
        double worst = 0;
        for (int64_t o = 0; o < O; o++)
            for (int64_t i = 0; i < I; i++) {
                double t = 0;
                for (int64_t l = 0; l < L; l++) t += y[(o * L + l) * I + i];
                worst = fmax(worst, fabs(t - 1));
            }
        TEST_COND("softmax sums to 1", worst < 2e-6 + 1.5e-9 * (double)L);
        free(x), free(y), free(yr), free(g), free(dx), free(dxr), free(s), free(sr);
    }
    /* the all-axes sum does not depend on the thread count */
    {
        const int64_t n = 300007;
        float *x = malloc((size_t)n * sizeof(float));
        fill_uniform(&r, x, n, -1, 1);
        double naive = 0;
        for (int64_t i = 0; i < n; i++) naive += x[i];
        const int threads = mosa_get_threads();
        mosa_set_threads(1);
        const double s1 = reduce_sum_all(x, n);
        mosa_set_threads(2);
        const double s2 = reduce_sum_all(x, n);
        mosa_set_threads(threads);
        TEST_COND("reduce_sum_all is exact to double rounding", fabs(s1 - naive) < 1e-9);
        TEST_COND("reduce_sum_all bytes do not depend on threads", memcmp(&s1, &s2, sizeof s1) == 0);
        free(x);
    }
    /* large logits stay finite (max subtraction) */
    {
        const float big[4] = {1000, 1001, 999, -1000};
        float y[4];
        softmax_forward(y, big, 1, 4, 1);
        TEST_COND("softmax of large logits is finite", isfinite(y[0]) && isfinite(y[1]) && fabsf(y[1] - 0.66524096f) < 1e-6f);
        log_softmax_forward(y, big, 1, 4, 1);
        TEST_COND("log_softmax of large logits", fabsf(y[3] + 2001.40761f) < 1e-3f && fabsf(y[1] + 0.40760596f) < 1e-6f);
    }
}

static void test_cross_entropy_kernels(void) {
    mosa_rng r;
    rng_seed(&r, 5);
    const int64_t shapes[][2] = {{1, 1}, {7, 5}, {33, 513}, {200, 97}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int64_t N = shapes[si][0], C = shapes[si][1];
        float *x = malloc((size_t)(N * C) * sizeof(float)), *dx = malloc((size_t)(N * C) * sizeof(float));
        float *dxr = malloc((size_t)(N * C) * sizeof(float));
        float *l = malloc((size_t)N * sizeof(float)), *lr = malloc((size_t)N * sizeof(float));
        float *e = malloc((size_t)N * sizeof(float)), *er = malloc((size_t)N * sizeof(float));
        int32_t *t = malloc((size_t)N * sizeof(int32_t));
        fill_uniform(&r, x, N * C, -10, 10);
        fill_uniform(&r, dx, N * C, -1, 1);
        memcpy(dxr, dx, (size_t)(N * C) * sizeof(float));
        for (int64_t i = 0; i < N; i++) t[i] = (i % 5 == 3) ? -1 : (int32_t)rng_below(&r, (uint32_t)C);
        cross_entropy_forward(l, e, x, t, N, C, -1);
        cross_entropy_forward_ref(lr, er, x, t, N, C, -1);
        cross_entropy_backward(dx, x, e, t, 0.37f, N, C, -1);
        cross_entropy_backward_ref(dxr, x, er, t, 0.37f, N, C, -1);
        TEST_CLOSE("cross_entropy row losses fast vs ref", l, lr, N, 2e-6, 1.0);
        TEST_CLOSE("cross_entropy lse fast vs ref", e, er, N, 1e-6, 1.0);
        TEST_CLOSE("cross_entropy backward fast vs ref", dx, dxr, N * C, 2e-6, 1.0);
        free(x), free(dx), free(dxr), free(l), free(lr), free(e), free(er), free(t);
    }
}

/* ---- finite-difference gradient checks ---- */

typedef struct { int kind, transpose; } unary_arg;
static tensor *f_unary(ctx *c, tensor *const *in, void *u) {
    const unary_arg *a = u;
    tensor *x = a->transpose ? op_transpose(c, in[0], 0, 2) : in[0];
    return apply_unary(c, x, a->kind);
}

typedef struct { int axis, keepdim, mean, transpose; } reduce_arg;
static tensor *f_reduce(ctx *c, tensor *const *in, void *u) {
    const reduce_arg *a = u;
    tensor *x = a->transpose ? op_transpose(c, in[0], 0, 2) : in[0];
    return a->mean ? op_mean(c, x, a->axis, a->keepdim) : op_sum(c, x, a->axis, a->keepdim);
}

typedef struct { int axis, log_form, transpose; } softmax_arg;
static tensor *f_softmax(ctx *c, tensor *const *in, void *u) {
    const softmax_arg *a = u;
    tensor *x = a->transpose ? op_transpose(c, in[0], 0, 1) : in[0];
    return a->log_form ? op_log_softmax(c, x, a->axis) : op_softmax(c, x, a->axis);
}

static tensor *f_ce(ctx *c, tensor *const *in, void *u) { return op_cross_entropy(c, in[0], u, -100); }
static tensor *f_ce_t(ctx *c, tensor *const *in, void *u) {
    return op_cross_entropy(c, op_transpose(c, in[0], 0, 1), u, 3); /* (5,7)^T: rows of 5 classes */
}
static tensor *f_mse(ctx *c, tensor *const *in, void *u) { return op_mse_loss(c, in[0], in[1]); }
static tensor *f_mse_t(ctx *c, tensor *const *in, void *u) { return op_mse_loss(c, op_transpose(c, in[0], 0, 1), in[1]); }
static tensor *f_l1(ctx *c, tensor *const *in, void *u) { return op_l1_loss(c, in[0], in[1]); }
static tensor *f_sl1(ctx *c, tensor *const *in, void *u) { return op_smooth_l1_loss(c, in[0], in[1], *(float *)u); }
static tensor *f_wmse(ctx *c, tensor *const *in, void *u) { return op_weighted_mse_loss(c, in[0], in[1], in[2]); }
static tensor *f_dropout(ctx *c, tensor *const *in, void *u) {
    rng_seed(&c->rng, 1234); /* the same mask on every evaluation */
    return op_dropout(c, in[0], 0.4f);
}

static void test_gradients(void) {
    /* unary ops on (3,5,7), plus a transposed view */
    for (int kind = 0; kind < UNARY_COUNT; kind++) {
        gc_input in = {3, {3, 5, 7}, -2, 2};
        float vals[105];
        if (kind == UNARY_LOG || kind == UNARY_SQRT) in.lo = 0.5f, in.hi = 3.0f;
        if (kind == UNARY_RELU) { /* away from the kink at 0 */
            mosa_rng r;
            rng_seed(&r, 3);
            fill_uniform(&r, vals, 105, 0.05f, 2.0f);
            for (int i = 0; i < 105; i += 2) vals[i] = -vals[i];
            in.values = vals;
        }
        for (int tr = 0; tr < 2; tr++) {
            unary_arg a = {kind, tr};
            char d[64];
            snprintf(d, sizeof d, "%s%s", kind_name[kind], tr ? " (transposed view)" : "");
            TEST_COND(d, gradcheck(d, f_unary, 1, &in, &a, NULL) == 0);
        }
    }
    /* sum and mean over every axis, with and without keepdim, over all axes, and on a view */
    gc_input rin = {3, {3, 5, 7}};
    const int axes[5] = {0, 1, 2, -1, T_ALL_AXES};
    for (int mean = 0; mean < 2; mean++)
        for (int ai = 0; ai < 5; ai++)
            for (int keep = 0; keep < 2; keep++)
                for (int tr = 0; tr < 2; tr++) {
                    reduce_arg a = {axes[ai], keep, mean, tr};
                    char d[96];
                    snprintf(d, sizeof d, "%s axis %d keepdim %d%s", mean ? "mean" : "sum", axes[ai], keep,
                             tr ? " transposed" : "");
                    TEST_COND(d, gradcheck(d, f_reduce, 1, &rin, &a, NULL) == 0);
                }
    /* softmax and log-softmax over the last, a middle and the first axis, and on a view */
    gc_input sin = {3, {3, 5, 7}, -3, 3};
    const int sax[4] = {-1, 1, 0, 2};
    for (int lf = 0; lf < 2; lf++)
        for (int ai = 0; ai < 4; ai++)
            for (int tr = 0; tr < 2; tr++) {
                softmax_arg a = {sax[ai], lf, tr};
                char d[96];
                snprintf(d, sizeof d, "%s axis %d%s", lf ? "log_softmax" : "softmax", sax[ai], tr ? " transposed" : "");
                TEST_COND(d, gradcheck(d, f_softmax, 1, &sin, &a, NULL) == 0);
            }
    /* cross entropy: (N,C), (...,C) and a transposed view; some rows ignored */
    int32_t tg[21];
    for (int i = 0; i < 21; i++) tg[i] = (i % 4 == 1) ? -100 : (i * 3) % 5;
    gc_input ce1 = {2, {7, 5}, -3, 3}, ce2 = {3, {3, 7, 5}, -3, 3};
    TEST_COND("cross_entropy (7,5)", gradcheck("cross_entropy", f_ce, 1, &ce1, tg, NULL) == 0);
    TEST_COND("cross_entropy (3,7,5)", gradcheck("cross_entropy_3d", f_ce, 1, &ce2, tg, NULL) == 0);
    int32_t tg3[7] = {0, 3, 4, 3, 2, 1, 0}; /* ignore_index 3 */
    gc_input cet = {2, {5, 7}, -3, 3};
    TEST_COND("cross_entropy transposed", gradcheck("cross_entropy_t", f_ce_t, 1, &cet, tg3, NULL) == 0);
    /* regression losses */
    gc_input two[2] = {{3, {3, 5, 7}}, {3, {3, 5, 7}}};
    TEST_COND("mse_loss", gradcheck("mse_loss", f_mse, 2, two, NULL, NULL) == 0);
    gc_input twot[2] = {{2, {7, 5}}, {2, {5, 7}}};
    TEST_COND("mse_loss transposed", gradcheck("mse_loss_t", f_mse_t, 2, twot, NULL, NULL) == 0);
    TEST_COND("l1_loss", gradcheck("l1_loss", f_l1, 2, two, NULL, NULL) == 0);
    float beta = 0.5f, beta0 = 0.0f;
    TEST_COND("smooth_l1_loss", gradcheck("smooth_l1", f_sl1, 2, two, &beta, NULL) == 0);
    TEST_COND("smooth_l1_loss beta 0", gradcheck("smooth_l1_b0", f_sl1, 2, two, &beta0, NULL) == 0);
    gc_input w3[3] = {{3, {3, 5, 7}}, {3, {3, 5, 7}}, {3, {3, 1, 7}, 0.1f, 2.0f, 1}};
    TEST_COND("weighted_mse_loss broadcast w", gradcheck("wmse", f_wmse, 3, w3, NULL, NULL) == 0);
    gc_input w3b[3] = {{3, {3, 5, 7}}, {3, {3, 5, 7}}, {3, {3, 5, 7}, 0.0f, 1.0f, 1}};
    TEST_COND("weighted_mse_loss full w", gradcheck("wmse_full", f_wmse, 3, w3b, NULL, NULL) == 0);
    gc_input din = {3, {3, 5, 7}};
    TEST_COND("dropout", gradcheck("dropout", f_dropout, 1, &din, NULL, NULL) == 0);
}

/* ---- shapes and values of the reductions ---- */

static void test_reduce_semantics(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
    float v[24];
    for (int i = 0; i < 24; i++) v[i] = (float)i;
    tensor *x = t_from(&c, v, T_SHAPE(2, 3, 4));
    tensor *s1 = op_sum(&c, x, 1, 0), *s1k = op_sum(&c, x, -2, 1);
    TEST_COND("sum axis 1 shape", s1 && s1->nd == 2 && s1->shape[0] == 2 && s1->shape[1] == 4);
    TEST_COND("sum axis -2 keepdim shape", s1k && s1k->nd == 3 && s1k->shape[1] == 1 && s1k->shape[2] == 4);
    TEST_COND("sum axis 1 values", s1 && s1->data[0] == 0 + 4 + 8 && s1->data[7] == 15 + 19 + 23);
    tensor *sa = op_sum(&c, x, T_ALL_AXES, 0), *sak = op_sum(&c, x, T_ALL_AXES, 1);
    TEST_COND("sum all is an nd=0 scalar", sa && sa->nd == 0 && t_numel(sa) == 1 && sa->data[0] == 276);
    TEST_COND("sum all keepdim is all ones", sak && sak->nd == 3 && sak->shape[0] == 1 && sak->shape[1] == 1 &&
                                                 sak->shape[2] == 1 && sak->data[0] == 276);
    tensor *m0 = op_mean(&c, x, 0, 0), *ma = op_mean(&c, x, T_ALL_AXES, 0);
    TEST_COND("mean axis 0", m0 && m0->nd == 2 && m0->data[5] == (5 + 17) / 2.0f);
    TEST_COND("mean all", ma && ma->nd == 0 && ma->data[0] == 11.5f);
    tensor *mt = op_mean(&c, op_transpose(&c, x, 0, 2), 0, 0); /* (4,3,2) -> (3,2): mean over the old last axis */
    TEST_COND("mean over a transposed view", mt && mt->shape[0] == 3 && mt->shape[1] == 2 && mt->data[1] == (12 + 13 + 14 + 15) / 4.0f);
    tensor *v1 = t_from(&c, v, T_SHAPE(5));
    tensor *s0 = op_sum(&c, v1, 0, 0);
    TEST_COND("sum of a 1-d tensor over axis 0 is nd=0", s0 && s0->nd == 0 && s0->data[0] == 10);
    tensor *e = t_new(&c, T_SHAPE(3, 0));
    tensor *se = op_sum(&c, e, 1, 0), *me = op_mean(&c, e, 1, 0);
    TEST_COND("sum of an empty axis is 0", se && se->shape[0] == 3 && se->data[2] == 0);
    TEST_COND("mean of an empty axis is NaN (as torch)", me && isnan(me->data[0]));
    ctx_free(&c);
}

/* ---- dropout ---- */

static void test_dropout(void) {
    ctx c;
    ctx_init(&c, 1 << 22);
    rng_seed(&c.rng, 99);
    const int64_t n = 200001;
    const float p = 0.3f;
    tensor *x = t_fill(&c, 2.0f, T_SHAPE(n));
    x->requires_grad = 1;
    tensor *y = op_dropout(&c, x, p);
    TEST_COND("dropout ran", y && y != x);
    if (!y) { ctx_free(&c); return; }
    int64_t kept = 0, bad = 0;
    for (int64_t i = 0; i < n; i++) {
        if (y->data[i] != 0) {
            kept++;
            if (fabsf(y->data[i] - 2.0f / (1 - p)) > 1e-6f) bad++;
        }
    }
    const double frac = (double)kept / (double)n;
    TEST_COND("dropout keeps about 1-p", fabs(frac - (1 - p)) < 0.005);
    TEST_COND("dropout scales kept values by 1/(1-p)", bad == 0);
    TEST_COND("dropout backward", ctx_backward(&c, op_sum(&c, y, T_ALL_AXES, 0)) == MOSA_OK);
    int64_t mism = 0;
    for (int64_t i = 0; i < n; i++) {
        const float want = y->data[i] != 0 ? 1.0f / (1 - p) : 0.0f;
        if (fabsf(x->grad[i] - want) > 1e-6f) mism++;
    }
    TEST_COND("dropout backward uses the forward's mask", mism == 0);
    /* the same seed gives the same mask */
    rng_seed(&c.rng, 99);
    tensor *y2 = op_dropout(&c, x, p);
    TEST_COND("dropout is deterministic for a seed", y2 && memcmp(y2->data, y->data, (size_t)n * sizeof(float)) == 0);
    /* identity in eval mode and for p == 0, under no-grad too */
    c.training = 0;
    TEST_COND("dropout in eval mode returns x", op_dropout(&c, x, p) == x);
    c.training = 1;
    TEST_COND("dropout p=0 returns x", op_dropout(&c, x, 0.0f) == x);
    int g = ctx_no_grad(&c);
    tensor *y3 = op_dropout(&c, x, 0.5f);
    TEST_COND("dropout still drops under no-grad in training mode", y3 && y3 != x && y3->requires_grad == 0);
    ctx_set_grad(&c, g);
    ctx_free(&c);
}

/* ---- losses: special cases ---- */

static void test_loss_semantics(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
    const float lg[8] = {1, 2, 3, 4, 0, 0, 0, 0};
    const int32_t ign[2] = {-100, -100};
    tensor *l = t_from(&c, lg, T_SHAPE(2, 4));
    tensor *ce = op_cross_entropy(&c, l, ign, -100);
    TEST_COND("cross_entropy with every row ignored is NaN (as torch)", ce && isnan(ce->data[0]));
    const int32_t tg1[1] = {3};
    tensor *ce1 = op_cross_entropy(&c, t_from(&c, lg, T_SHAPE(4)), tg1, -100);
    TEST_COND("cross_entropy accepts 1-d logits (one row)", ce1 && fabsf(ce1->data[0] - 0.44018972f) < 1e-6f);
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 1, 1, 1, 1, 1}, w0[3] = {0, 0, 0}, w[2] = {1, 3};
    tensor *ta = t_from(&c, a, T_SHAPE(2, 3)), *tb = t_from(&c, b, T_SHAPE(2, 3));
    ta->requires_grad = 1;
    tensor *mse = op_mse_loss(&c, ta, tb), *l1 = op_l1_loss(&c, ta, tb);
    TEST_COND("mse_loss value", mse && mse->nd == 0 && fabsf(mse->data[0] - 55.0f / 6) < 1e-5f);
    TEST_COND("l1_loss value", l1 && fabsf(l1->data[0] - 15.0f / 6) < 1e-6f);
    tensor *wz = op_weighted_mse_loss(&c, ta, tb, t_from(&c, w0, T_SHAPE(3)));
    TEST_COND("weighted_mse_loss with all-zero weights is 0", wz && wz->data[0] == 0.0f);
    TEST_COND("weighted_mse_loss zero weights backward", ctx_backward(&c, wz) == MOSA_OK);
    TEST_COND("weighted_mse_loss zero weights give zero grads", ta->grad && ta->grad[4] == 0.0f);
    /* w (2,1): rows weighted 1 and 3: (0+1+4)*1 + (9+16+25)*3 over 3*1 + 3*3 */
    tensor *wm = op_weighted_mse_loss(&c, ta, tb, t_from(&c, w, T_SHAPE(2, 1)));
    TEST_COND("weighted_mse_loss value", wm && fabsf(wm->data[0] - 155.0f / 12) < 1e-5f);
    ctx_free(&c);
}

/* ---- error paths ---- */

static void test_errors(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
    tensor *x = t_zeros(&c, T_SHAPE(2, 3, 4));
#define EXPECT_FAIL(descr, expr, needle)                                                              \
    do {                                                                                            \
        ctx_reset(&c);                                                                              \
        x = t_zeros(&c, T_SHAPE(2, 3, 4));                                                          \
        tensor *r__ = (expr);                                                                       \
        TEST_COND(descr, r__ == NULL && c.status == MOSA_ERR_ARG);                                  \
        if (!strstr(mosa_last_error(), needle)) printf("  message was: %s\n", mosa_last_error());   \
        TEST_COND(descr " (message)", strstr(mosa_last_error(), needle) != NULL);                   \
    } while (0)
    EXPECT_FAIL("sum axis out of range", op_sum(&c, x, 3, 0), "sum: axis 3 is out of range for shape (2,3,4)");
    EXPECT_FAIL("mean axis out of range", op_mean(&c, x, -4, 1), "mean: axis -4");
    EXPECT_FAIL("softmax axis out of range", op_softmax(&c, x, 5), "softmax: axis 5");
    EXPECT_FAIL("log_softmax axis out of range", op_log_softmax(&c, x, -9), "log_softmax: axis -9");
    const int32_t tg[6] = {0, 1, 9, 2, -100, 3};
    EXPECT_FAIL("cross_entropy target out of range",
                op_cross_entropy(&c, op_reshape(&c, x, T_SHAPE(6, 4)), tg, -100), "target 9 at index 2 is outside [0, 4)");
    const int32_t tgn[6] = {0, 1, 2, -1, 0, 0};
    EXPECT_FAIL("cross_entropy negative target", op_cross_entropy(&c, x, tgn, -100), "target -1 at index 3");
    EXPECT_FAIL("cross_entropy NULL targets", op_cross_entropy(&c, x, NULL, -100), "targets is NULL");
    EXPECT_FAIL("cross_entropy scalar logits", op_cross_entropy(&c, t_zeros(&c, 0, NULL), tg, -100), "cross_entropy: logits must be");
    EXPECT_FAIL("mse_loss shapes", op_mse_loss(&c, x, t_zeros(&c, T_SHAPE(2, 4, 3))), "mse_loss: shapes (2,3,4) and (2,4,3) differ");
    EXPECT_FAIL("l1_loss shapes", op_l1_loss(&c, x, t_zeros(&c, T_SHAPE(24))), "l1_loss: shapes");
    EXPECT_FAIL("smooth_l1 negative beta", op_smooth_l1_loss(&c, x, x, -1.0f), "beta = -1");
    EXPECT_FAIL("weighted_mse bad weight", op_weighted_mse_loss(&c, x, x, t_zeros(&c, T_SHAPE(4, 1))),
                "weight shape (4,1) does not broadcast to the input shape (2,3,4)");
    EXPECT_FAIL("weighted_mse weight with more dims", op_weighted_mse_loss(&c, x, x, t_zeros(&c, T_SHAPE(1, 2, 3, 4))),
                "does not broadcast");
    EXPECT_FAIL("dropout p = 1", op_dropout(&c, x, 1.0f), "dropout: p = 1 must be in [0, 1)");
    EXPECT_FAIL("dropout p < 0", op_dropout(&c, x, -0.1f), "dropout: p = -0.1");
    EXPECT_FAIL("dropout p NaN", op_dropout(&c, x, NAN), "dropout: p = nan");
#undef EXPECT_FAIL
    /* NULL in, NULL out, for every op */
    ctx_reset(&c);
    x = t_zeros(&c, T_SHAPE(2, 3));
    int nulls = 0;
    for (int k = 0; k < UNARY_COUNT; k++) nulls += apply_unary(&c, NULL, k) == NULL;
    nulls += op_sum(&c, NULL, 0, 0) == NULL;
    nulls += op_mean(&c, NULL, T_ALL_AXES, 0) == NULL;
    nulls += op_softmax(&c, NULL, -1) == NULL;
    nulls += op_log_softmax(&c, NULL, -1) == NULL;
    nulls += op_cross_entropy(&c, NULL, NULL, -100) == NULL;
    nulls += op_mse_loss(&c, x, NULL) == NULL;
    nulls += op_l1_loss(&c, NULL, x) == NULL;
    nulls += op_smooth_l1_loss(&c, NULL, x, 1.0f) == NULL;
    nulls += op_weighted_mse_loss(&c, x, x, NULL) == NULL;
    nulls += op_dropout(&c, NULL, 0.5f) == NULL;
    TEST_COND("every op returns NULL for a NULL input", nulls == UNARY_COUNT + 10);
    TEST_COND("a NULL input is not a new error", c.status == MOSA_OK);
    ctx_free(&c);
}

/* ---- a repeated training step allocates nothing on the heap ---- */

static void test_no_heap_in_step(void) {
    ctx c;
    ctx_init(&c, 1 << 12); /* small on purpose: the first step grows the arena */
    mosa_rng r;
    rng_seed(&r, 1);
    float xv[6 * 40], tv[6 * 40];
    fill_uniform(&r, xv, 240, -1, 1);
    fill_uniform(&r, tv, 240, -1, 1);
    int32_t tg[24];
    for (int i = 0; i < 24; i++) tg[i] = i % 10;
    uint64_t before = 0;
    for (int step = 0; step < 3; step++) {
        if (step == 2) before = mosa_alloc_count();
        tensor *x = t_from(&c, xv, T_SHAPE(6, 40));
        x->requires_grad = 1;
        tensor *h = op_dropout(&c, op_gelu(&c, x, 1), 0.1f);
        h = op_add(&c, op_silu(&c, h), op_tanh(&c, op_sigmoid(&c, op_square(&c, h))));
        tensor *sm = op_log_softmax(&c, op_softmax(&c, h, 0), -1);
        tensor *loss = op_add(&c, op_mse_loss(&c, h, t_from(&c, tv, T_SHAPE(6, 40))),
                              op_cross_entropy(&c, op_reshape(&c, sm, T_SHAPE(24, 10)), tg, -100));
        loss = op_add(&c, loss, op_mean(&c, op_sum(&c, op_exp(&c, h), 1, 1), T_ALL_AXES, 0));
        loss = op_add(&c, loss, op_weighted_mse_loss(&c, h, op_relu(&c, h), t_from(&c, tv, T_SHAPE(1, 40))));
        TEST_COND("step backward", ctx_backward(&c, loss) == MOSA_OK);
        ctx_reset(&c);
    }
    TEST_COND("a repeated step makes no heap allocation", mosa_alloc_count() == before);
    ctx_free(&c);
}

int main(void) {
    test_unary_kernels();
    test_expf_vec_edges();
    test_torch_values();
    test_axis_kernels();
    test_cross_entropy_kernels();
    test_gradients();
    test_reduce_semantics();
    test_dropout();
    test_loss_semantics();
    test_errors();
    test_no_heap_in_step();
    return test_report();
}
