/* test_ops_matmul.c: op_matmul and op_linear: finite-difference gradients (every transpose
 * combination, batch broadcasting, strided views), the BLAS path against the naive reference
 * kernels on odd shapes (forward and gradients), gradient accumulation, and error paths. */
#include "gradcheck.h"
#include "test.h"

#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Gradient checks                                                                             */
/* ------------------------------------------------------------------------------------------ */

typedef struct mm_case {
    int ta, tb;
    int view; /* 0 plain; 1 a given transposed (op_transpose inside); 2 a sliced (row-strided);
                 3 a sliced with column step 2 (copied); 4 a expanded along batch */
} mm_case;

static tensor *f_matmul(ctx *c, tensor *const *in, void *u) {
    const mm_case *m = u;
    tensor *a = in[0];
    switch (m->view) {
    case 1: a = op_transpose(c, a, -1, -2); break;
    case 2: a = op_slice(c, a, -1, 1, a->shape[a->nd - 1] - 2, 1); break;
    case 3: a = op_slice(c, a, -1, 0, (a->shape[a->nd - 1] + 1) / 2, 2); break;
    case 4: {
        int64_t sh[T_MAX_DIMS];
        memcpy(sh, a->shape, sizeof sh);
        sh[0] = 3;
        a = op_expand(c, a, a->nd, sh);
        break;
    }
    default: break;
    }
    return op_matmul(c, a, in[1], m->ta, m->tb);
}

/* Shape of a matrix operand: (rows, cols) of op(x) stored transposed when t. */
static void mat_shape(gc_input *g, int nbatch, const int64_t *batch, int64_t r, int64_t cc, int t) {
    g->nd = nbatch + 2;
    for (int i = 0; i < nbatch; i++) g->shape[i] = batch[i];
    g->shape[nbatch] = t ? cc : r;
    g->shape[nbatch + 1] = t ? r : cc;
}

static void gradchecks_matmul(void) {
    char name[96];
    /* 2-D, each transpose combination: op(a) (3,5), op(b) (5,4) */
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            gc_input in[2] = {{0}};
            mat_shape(&in[0], 0, NULL, 3, 5, ta);
            mat_shape(&in[1], 0, NULL, 5, 4, tb);
            mm_case m = {ta, tb, 0};
            snprintf(name, sizeof name, "matmul 2-D ta=%d tb=%d", ta, tb);
            TEST_COND(name, gradcheck(name, f_matmul, 2, in, &m, NULL) == 0);
        }
    /* batch broadcast: a (2,1,...), b (4,...) -> out (2,4,3,2) */
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            gc_input in[2] = {{0}};
            mat_shape(&in[0], 2, (int64_t[]){2, 1}, 3, 5, ta);
            mat_shape(&in[1], 1, (int64_t[]){4}, 5, 2, tb);
            mm_case m = {ta, tb, 0};
            snprintf(name, sizeof name, "matmul broadcast ta=%d tb=%d", ta, tb);
            TEST_COND(name, gradcheck(name, f_matmul, 2, in, &m, NULL) == 0);
        }
    /* 5-D: a batch (2,1,3), b batch (3,1) -> (2,3,3) */
    {
        gc_input in[2] = {{0}};
        mat_shape(&in[0], 3, (int64_t[]){2, 1, 3}, 2, 3, 0);
        mat_shape(&in[1], 2, (int64_t[]){3, 1}, 3, 2, 1);
        mm_case m = {0, 1, 0};
        TEST_COND("matmul 5-D broadcast", gradcheck("matmul 5-D", f_matmul, 2, in, &m, NULL) == 0);
    }
    /* b shared by every batch: the folded single-GEMM path, with and without trans_b */
    for (int tb = 0; tb < 2; tb++) {
        gc_input in[2] = {{0}};
        mat_shape(&in[0], 2, (int64_t[]){2, 3}, 4, 5, 0);
        mat_shape(&in[1], 1, (int64_t[]){1}, 5, 3, tb);
        mm_case m = {0, tb, 0};
        snprintf(name, sizeof name, "matmul folded tb=%d", tb);
        TEST_COND(name, gradcheck(name, f_matmul, 2, in, &m, NULL) == 0);
    }
    /* many small batches: the omp loop over batches */
    {
        gc_input in[2] = {{0}};
        mat_shape(&in[0], 1, (int64_t[]){6}, 3, 4, 0);
        mat_shape(&in[1], 1, (int64_t[]){6}, 4, 5, 1);
        mm_case m = {0, 1, 0};
        TEST_COND("matmul batched", gradcheck("matmul batched", f_matmul, 2, in, &m, NULL) == 0);
    }
    /* strided views: transposed (free), row-strided slice (free), column step 2 (copied),
     * expanded batch (stride 0, grads summed) */
    {
        gc_input in[2] = {{0}};
        mat_shape(&in[0], 1, (int64_t[]){2}, 5, 3, 0); /* transposed inside to (2,3,5) */
        mat_shape(&in[1], 1, (int64_t[]){2}, 5, 4, 0);
        mm_case m = {0, 0, 1};
        TEST_COND("matmul transposed view", gradcheck("matmul transposed view", f_matmul, 2, in, &m, NULL) == 0);
        mm_case m2 = {1, 1, 1};
        mat_shape(&in[1], 1, (int64_t[]){2}, 3, 4, 1); /* op(a) = view^T = (5,3) */
        TEST_COND("matmul transposed view, ta",
                  gradcheck("matmul transposed view ta", f_matmul, 2, in, &m2, NULL) == 0);
    }
    {
        gc_input in[2] = {{0}};
        mat_shape(&in[0], 0, NULL, 3, 7, 0); /* sliced to (3,5), row stride 7 */
        mat_shape(&in[1], 0, NULL, 5, 4, 0);
        mm_case m = {0, 0, 2};
        TEST_COND("matmul row-strided view", gradcheck("matmul row-strided", f_matmul, 2, in, &m, NULL) == 0);
        mat_shape(&in[0], 0, NULL, 3, 9, 0); /* step 2 -> (3,5), copied */
        mm_case m3 = {0, 0, 3};
        TEST_COND("matmul column-step view", gradcheck("matmul column-step", f_matmul, 2, in, &m3, NULL) == 0);
    }
    {
        gc_input in[2] = {{0}};
        mat_shape(&in[0], 1, (int64_t[]){1}, 3, 4, 0); /* expanded to (3,3,4) */
        mat_shape(&in[1], 1, (int64_t[]){3}, 4, 2, 0);
        mm_case m = {0, 0, 4};
        TEST_COND("matmul expanded batch", gradcheck("matmul expanded", f_matmul, 2, in, &m, NULL) == 0);
    }
}

typedef struct lin_case {
    int bias;
    int view; /* 0 plain; 1 x transposed view; 2 x row-strided slice; 3 w transposed view;
                 4 x permuted (leading dims not foldable: copied) */
} lin_case;

static tensor *f_linear(ctx *c, tensor *const *in, void *u) {
    const lin_case *l = u;
    tensor *x = in[0], *w = in[1], *b = l->bias ? in[2] : NULL;
    switch (l->view) {
    case 1: x = op_transpose(c, x, 0, 1); break;
    case 2: x = op_slice(c, x, -1, 2, x->shape[x->nd - 1] - 3, 1); break;
    case 3: w = op_transpose(c, w, 0, 1); break;
    case 4: x = op_permute(c, x, (const int[]){1, 0, 2}); break;
    default: break;
    }
    return op_linear(c, x, w, b);
}

static void gradchecks_linear(void) {
    {
        gc_input in[3] = {{.nd = 3, .shape = {2, 3, 5}}, {.nd = 2, .shape = {4, 5}}, {.nd = 1, .shape = {4}}};
        lin_case l = {1, 0};
        TEST_COND("linear 3-D with bias", gradcheck("linear 3-D bias", f_linear, 3, in, &l, NULL) == 0);
        lin_case l0 = {0, 0};
        TEST_COND("linear 3-D no bias", gradcheck("linear 3-D", f_linear, 2, in, &l0, NULL) == 0);
    }
    {
        gc_input in[3] = {{.nd = 2, .shape = {7, 3}}, {.nd = 2, .shape = {5, 3}}, {.nd = 1, .shape = {5}}};
        lin_case l = {1, 0};
        TEST_COND("linear 2-D with bias", gradcheck("linear 2-D bias", f_linear, 3, in, &l, NULL) == 0);
    }
    {
        gc_input in[3] = {{.nd = 1, .shape = {6}}, {.nd = 2, .shape = {3, 6}}, {.nd = 1, .shape = {3}}};
        lin_case l = {1, 0};
        TEST_COND("linear 1-D x", gradcheck("linear 1-D", f_linear, 3, in, &l, NULL) == 0);
    }
    {
        gc_input in[3] = {{.nd = 2, .shape = {5, 7}}, {.nd = 2, .shape = {4, 5}}, {.nd = 1, .shape = {4}}};
        lin_case l = {1, 1}; /* x (5,7)^T = (7,5), memory-transposed */
        TEST_COND("linear transposed x", gradcheck("linear x^T", f_linear, 3, in, &l, NULL) == 0);
    }
    {
        gc_input in[3] = {{.nd = 3, .shape = {2, 3, 8}}, {.nd = 2, .shape = {4, 5}}, {.nd = 1, .shape = {4}}};
        lin_case l = {1, 2}; /* x sliced to (2,3,5), row stride 8 */
        TEST_COND("linear row-strided x", gradcheck("linear strided x", f_linear, 3, in, &l, NULL) == 0);
    }
    {
        gc_input in[3] = {{.nd = 2, .shape = {6, 5}}, {.nd = 2, .shape = {5, 4}}, {.nd = 1, .shape = {4}}};
        lin_case l = {1, 3}; /* w (5,4)^T = (4,5) */
        TEST_COND("linear transposed w", gradcheck("linear w^T", f_linear, 3, in, &l, NULL) == 0);
    }
    {
        gc_input in[3] = {{.nd = 3, .shape = {3, 2, 5}}, {.nd = 2, .shape = {4, 5}}, {.nd = 1, .shape = {4}}};
        lin_case l = {0, 4};
        TEST_COND("linear permuted x", gradcheck("linear permuted x", f_linear, 2, in, &l, NULL) == 0);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* BLAS path against the reference kernels                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Index of x's batch (x padded to 3 batch dims, size-1 dims broadcast) for output batch idx. */
static int64_t batch_index(const int64_t *xb, const int64_t *idx) {
    int64_t k = 0;
    for (int d = 0; d < 3; d++) k = k * xb[d] + (xb[d] == 1 ? 0 : idx[d]);
    return k;
}

static void pad_batch(const tensor *x, int64_t *xb) {
    const int n = x->nd - 2;
    for (int d = 0; d < 3; d++) xb[d] = d - (3 - n) >= 0 ? x->shape[d - (3 - n)] : 1;
}

/* Forward and gradients of a batched matmul against matmul_forward_ref per batch. */
static void matmul_vs_ref(mosa_rng *r, int na, const int64_t *ash, int nb, const int64_t *bsh, int ta, int tb) {
    ctx c;
    ctx_init(&c, 1 << 20);
    tensor *a = t_randn(&c, r, 1.0f, na, ash), *b = t_randn(&c, r, 1.0f, nb, bsh);
    a->requires_grad = b->requires_grad = 1;
    tensor *o = op_matmul(&c, a, b, ta, tb);
    char name[160], s1[64], s2[64];
    snprintf(name, sizeof name, "matmul vs ref a %s b %s ta=%d tb=%d", t_shape_str(a, s1, sizeof s1),
             t_shape_str(b, s2, sizeof s2), ta, tb);
    TEST_COND(name, o != NULL);
    if (!o) {
        ctx_free(&c);
        return;
    }
    const int M = (int)o->shape[o->nd - 2], N = (int)o->shape[o->nd - 1];
    const int K = (int)(ta ? a->shape[na - 2] : a->shape[na - 1]);
    int64_t ab[3], bb[3], ob[3];
    pad_batch(a, ab);
    pad_batch(b, bb);
    pad_batch(o, ob);
    const int64_t nob = ob[0] * ob[1] * ob[2];
    float *want = mosa_malloc(sizeof(float) * (size_t)(nob * M * N));
    float *seed = mosa_malloc(sizeof(float) * (size_t)(nob * M * N));
    float *ga = mosa_calloc((size_t)t_numel(a), sizeof(float)), *gb = mosa_calloc((size_t)t_numel(b), sizeof(float));
    float *tmp = mosa_malloc(sizeof(float) * (size_t)(M * K + K * N + 16));
    rng_normal(r, seed, (size_t)(nob * M * N), 0.0f, 1.0f);
    for (int64_t i = 0; i < nob; i++) {
        const int64_t idx[3] = {i / (ob[1] * ob[2]), (i / ob[2]) % ob[1], i % ob[2]};
        const float *ap = a->data + batch_index(ab, idx) * M * K, *bp = b->data + batch_index(bb, idx) * K * N;
        matmul_forward_ref(want + i * M * N, ap, bp, M, K, N, ta, tb);
        /* dA = dC op(B)^T (M,K), stored transposed when ta */
        const float *dc = seed + i * M * N;
        matmul_forward_ref(tmp, dc, bp, M, N, K, 0, !tb);
        float *gap = ga + batch_index(ab, idx) * M * K;
        for (int m = 0; m < M; m++)
            for (int k = 0; k < K; k++) gap[ta ? k * M + m : m * K + k] += tmp[m * K + k];
        /* dB = op(A)^T dC (K,N), stored transposed when tb */
        matmul_forward_ref(tmp, ap, dc, K, M, N, !ta, 0);
        float *gbp = gb + batch_index(bb, idx) * K * N;
        for (int k = 0; k < K; k++)
            for (int n = 0; n < N; n++) gbp[tb ? n * K + k : k * N + n] += tmp[k * N + n];
    }
    TEST_CLOSE(name, o->data, want, nob * M * N, 1e-4, 1.0);
    TEST_COND("matmul backward runs", ctx_backward_seed(&c, o, seed) == MOSA_OK);
    snprintf(name + strlen(name), sizeof name - strlen(name), " dA");
    TEST_CLOSE(name, a->grad, ga, t_numel(a), 1e-4, 1.0);
    name[strlen(name) - 1] = 'B';
    TEST_CLOSE(name, b->grad, gb, t_numel(b), 1e-4, 1.0);
    mosa_free(want);
    mosa_free(seed);
    mosa_free(ga);
    mosa_free(gb);
    mosa_free(tmp);
    ctx_free(&c);
}

static void linear_vs_ref(mosa_rng *r, int N, int IN, int OUT, int bias) {
    ctx c;
    ctx_init(&c, 1 << 20);
    tensor *x = t_randn(&c, r, 1.0f, T_SHAPE(N, IN)), *w = t_randn(&c, r, 0.1f, T_SHAPE(OUT, IN));
    tensor *b = bias ? t_randn(&c, r, 1.0f, T_SHAPE(OUT)) : NULL;
    x->requires_grad = w->requires_grad = 1;
    if (b) b->requires_grad = 1;
    tensor *o = op_linear(&c, x, w, b);
    char name[96];
    snprintf(name, sizeof name, "linear vs ref N=%d IN=%d OUT=%d bias=%d", N, IN, OUT, bias);
    TEST_COND(name, o != NULL);
    if (!o) {
        ctx_free(&c);
        return;
    }
    float *want = mosa_malloc(sizeof(float) * (size_t)N * OUT), *seed = mosa_malloc(sizeof(float) * (size_t)N * OUT);
    linear_forward_ref(want, x->data, w->data, b ? b->data : NULL, N, IN, OUT);
    TEST_CLOSE(name, o->data, want, (int64_t)N * OUT, 1e-4, 1.0);
    rng_normal(r, seed, (size_t)N * OUT, 0.0f, 1.0f);
    TEST_COND("linear backward runs", ctx_backward_seed(&c, o, seed) == MOSA_OK);
    /* dX = dY W, dW = dY^T X, db = column sums, in double */
    float *gx = mosa_malloc(sizeof(float) * (size_t)N * IN), *gw = mosa_malloc(sizeof(float) * (size_t)OUT * IN);
    float *gbias = mosa_malloc(sizeof(float) * (size_t)OUT);
    for (int n = 0; n < N; n++)
        for (int i = 0; i < IN; i++) {
            double s = 0;
            for (int o2 = 0; o2 < OUT; o2++) s += (double)seed[n * OUT + o2] * w->data[o2 * IN + i];
            gx[n * IN + i] = (float)s;
        }
    for (int o2 = 0; o2 < OUT; o2++) {
        for (int i = 0; i < IN; i++) {
            double s = 0;
            for (int n = 0; n < N; n++) s += (double)seed[n * OUT + o2] * x->data[n * IN + i];
            gw[o2 * IN + i] = (float)s;
        }
        double s = 0;
        for (int n = 0; n < N; n++) s += seed[n * OUT + o2];
        gbias[o2] = (float)s;
    }
    TEST_CLOSE("linear dX vs ref", x->grad, gx, (int64_t)N * IN, 1e-4, 1.0);
    TEST_CLOSE("linear dW vs ref", w->grad, gw, (int64_t)OUT * IN, 1e-4, 1.0);
    if (b) TEST_CLOSE("linear db vs ref", b->grad, gbias, OUT, 1e-4, 1.0);
    mosa_free(want);
    mosa_free(seed);
    mosa_free(gx);
    mosa_free(gw);
    mosa_free(gbias);
    ctx_free(&c);
}

/* ------------------------------------------------------------------------------------------ */
/* Accumulation into parameter grads, and error paths                                          */
/* ------------------------------------------------------------------------------------------ */

static void linear_param_accumulates(void) {
    param_store ps;
    params_init(&ps);
    tensor *w = params_add(&ps, "proj.weight", T_SHAPE(3, 4));
    tensor *b = params_add(&ps, "proj.bias", T_SHAPE(3));
    TEST_COND("params finalize", params_finalize(&ps) == MOSA_OK);
    for (int i = 0; i < 12; i++) w->data[i] = 0.1f * (float)(i - 5);
    for (int i = 0; i < 3; i++) b->data[i] = (float)i;
    ctx c;
    ctx_init(&c, 1 << 16);
    float g1[15];
    for (int step = 0; step < 2; step++) {
        tensor *x = t_fill(&c, 0.5f, T_SHAPE(2, 4));
        tensor *y = op_linear(&c, x, w, b);
        float seed[6] = {1, 2, 3, 4, 5, 6};
        TEST_COND("linear param backward", ctx_backward_seed(&c, y, seed) == MOSA_OK);
        if (step == 0) {
            memcpy(g1, w->grad, 12 * sizeof(float));
            memcpy(g1 + 12, b->grad, 3 * sizeof(float));
        }
        ctx_reset(&c);
    }
    float twice[15];
    for (int i = 0; i < 15; i++) twice[i] = 2 * g1[i];
    TEST_CLOSE("linear weight grad accumulates over steps", w->grad, twice, 12, 1e-6, 1e-6);
    TEST_CLOSE("linear bias grad accumulates over steps", b->grad, twice + 12, 3, 1e-6, 1e-6);
    const float db_want[3] = {5, 7, 9};
    TEST_CLOSE("linear bias grad is the column sum", g1 + 12, db_want, 3, 1e-6, 1e-6);
    ctx_free(&c);
    params_free(&ps);
}

static void error_paths(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
    tensor *a = t_zeros(&c, T_SHAPE(3, 4)), *b = t_zeros(&c, T_SHAPE(5, 2)), *v = t_zeros(&c, T_SHAPE(4));
    TEST_COND("matmul NULL input gives NULL", op_matmul(&c, NULL, b, 0, 0) == NULL && c.status == MOSA_OK);
    TEST_COND("matmul inner mismatch fails", op_matmul(&c, a, b, 0, 0) == NULL && c.status == MOSA_ERR_ARG);
    TEST_COND("matmul message names op and shapes",
              strstr(mosa_last_error(), "matmul") && strstr(mosa_last_error(), "(3,4)") &&
                  strstr(mosa_last_error(), "(5,2)"));
    ctx_reset(&c);
    a = t_zeros(&c, T_SHAPE(3, 4));
    b = t_zeros(&c, T_SHAPE(5, 2));
    v = t_zeros(&c, T_SHAPE(4));
    TEST_COND("matmul with trans_a fixes K", op_matmul(&c, t_zeros(&c, T_SHAPE(5, 3)), b, 1, 0) != NULL);
    TEST_COND("matmul 1-D operand fails", op_matmul(&c, v, b, 0, 0) == NULL && c.status == MOSA_ERR_ARG);
    ctx_reset(&c);
    tensor *x1 = t_zeros(&c, T_SHAPE(2, 3, 4)), *y1 = t_zeros(&c, T_SHAPE(3, 4, 5));
    TEST_COND("matmul batch mismatch fails", op_matmul(&c, x1, y1, 0, 0) == NULL && c.status == MOSA_ERR_ARG);
    TEST_COND("batch message", strstr(mosa_last_error(), "broadcast") != NULL);
    ctx_reset(&c);
    tensor *x = t_zeros(&c, T_SHAPE(2, 5)), *w = t_zeros(&c, T_SHAPE(3, 4)), *bias = t_zeros(&c, T_SHAPE(3));
    TEST_COND("linear NULL w gives NULL", op_linear(&c, x, NULL, bias) == NULL && c.status == MOSA_OK);
    TEST_COND("linear IN mismatch fails", op_linear(&c, x, w, bias) == NULL && c.status == MOSA_ERR_ARG);
    TEST_COND("linear message", strstr(mosa_last_error(), "linear") && strstr(mosa_last_error(), "(2,5)"));
    ctx_reset(&c);
    x = t_zeros(&c, T_SHAPE(2, 4));
    w = t_zeros(&c, T_SHAPE(3, 4));
    tensor *badb = t_zeros(&c, T_SHAPE(4));
    TEST_COND("linear bad bias fails", op_linear(&c, x, w, badb) == NULL && c.status == MOSA_ERR_ARG);
    ctx_reset(&c);
    x = t_zeros(&c, T_SHAPE(2, 4));
    TEST_COND("linear 3-D w fails",
              op_linear(&c, x, t_zeros(&c, T_SHAPE(1, 3, 4)), NULL) == NULL && c.status == MOSA_ERR_ARG);
    ctx_reset(&c);
    /* empty shapes give empty or zero outputs */
    tensor *e = op_matmul(&c, t_zeros(&c, T_SHAPE(3, 0)), t_zeros(&c, T_SHAPE(0, 2)), 0, 0);
    TEST_COND("matmul with K = 0 gives zeros", e && e->shape[0] == 3 && e->shape[1] == 2 && e->data[5] == 0.0f);
    tensor *lb = op_linear(&c, t_zeros(&c, T_SHAPE(2, 0)), t_zeros(&c, T_SHAPE(3, 0)), t_fill(&c, 1.5f, T_SHAPE(3)));
    TEST_COND("linear with IN = 0 gives the bias", lb && lb->data[5] == 1.5f);
    ctx_free(&c);
}

int main(void) {
    gradchecks_matmul();
    gradchecks_linear();

    mosa_rng r;
    rng_seed(&r, 7);
    /* odd sizes, every transpose combination, plain and broadcast batches */
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            matmul_vs_ref(&r, 2, ta ? (int64_t[]){53, 37} : (int64_t[]){37, 53}, 2,
                          tb ? (int64_t[]){29, 53} : (int64_t[]){53, 29}, ta, tb);
            matmul_vs_ref(&r, 4, ta ? (int64_t[]){3, 1, 17, 13} : (int64_t[]){3, 1, 13, 17}, 3,
                          tb ? (int64_t[]){2, 11, 17} : (int64_t[]){2, 17, 11}, ta, tb);
        }
    matmul_vs_ref(&r, 3, (int64_t[]){5, 33, 65}, 2, (int64_t[]){65, 31}, 0, 0);   /* folded */
    matmul_vs_ref(&r, 3, (int64_t[]){5, 33, 65}, 3, (int64_t[]){1, 31, 65}, 0, 1); /* folded, trans_b */
    matmul_vs_ref(&r, 2, (int64_t[]){19, 23}, 3, (int64_t[]){4, 23, 9}, 0, 0);     /* a broadcast */
    matmul_vs_ref(&r, 5, (int64_t[]){2, 1, 3, 9, 7}, 4, (int64_t[]){4, 1, 7, 5}, 0, 0);
    matmul_vs_ref(&r, 3, (int64_t[]){12, 64, 24}, 3, (int64_t[]){12, 64, 24}, 0, 1); /* omp over batches */
    matmul_vs_ref(&r, 2, (int64_t[]){1, 1}, 2, (int64_t[]){1, 1}, 0, 0);
    matmul_vs_ref(&r, 2, (int64_t[]){1, 7}, 2, (int64_t[]){7, 1}, 1, 1);
    linear_vs_ref(&r, 37, 53, 29, 1);
    linear_vs_ref(&r, 1, 17, 3, 0);
    linear_vs_ref(&r, 130, 65, 67, 1);
    linear_vs_ref(&r, 608, 384, 1152, 1); /* a DiT shape */

    linear_param_accumulates();
    error_paths();
    return test_report();
}
