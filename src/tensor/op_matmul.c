/* op_matmul.c: batched matmul and nn.Linear on OpenBLAS sgemm, forward and backward.
 *
 * What this is: the glue between tensors and cblas_sgemm. Every operand matrix is described to
 * sgemm as (trans, lda) straight from the tensor's strides, so a transposed view, a row-strided
 * slice (one third of a fused qkv projection) or a broadcast batch costs no copy; op_contiguous
 * is called only when a matrix's strides are not expressible as a BLAS lda. Backward is more
 * sgemm calls with the transposes swapped, accumulating (beta = 1) into the grads.
 * Threading: OpenBLAS's OpenMP build runs an sgemm on all threads when called outside a parallel
 * region and on one inside, so a few big GEMMs are called one after another (threaded by BLAS)
 * and many small ones go to an omp loop over batches (one thread each).
 * What this is not: a GEMM implementation (that is OpenBLAS), or a low-precision matmul. */
#include "ops.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

/* A GEMM with fewer flops than this is not worth a thread of its own when there are batches. */
#define MM_SMALL_FLOPS (4.0 * 1024 * 1024)

/* ------------------------------------------------------------------------------------------ */
/* Operand layouts                                                                             */
/* ------------------------------------------------------------------------------------------ */

/* Describes an (R,C) matrix with element strides (sr,sc) as a row-major BLAS operand: returns 1
 * with *mem_trans = 0 and *ld = sr when rows are unit-stride, *mem_trans = 1 and *ld = sc when
 * columns are, and 0 when neither holds (then the caller makes the data contiguous). */
static int blas_layout(int64_t R, int64_t C, int64_t sr, int64_t sc, int *mem_trans, int64_t *ld) {
    const int64_t r1 = R > 1 ? R : 1, c1 = C > 1 ? C : 1;
    if (R <= 1 && C <= 1) {
        *mem_trans = 0, *ld = 1;
        return 1;
    }
    if (R <= 1) { /* one row: only the column stride matters */
        if (sc == 1) *mem_trans = 0, *ld = c1;
        else if (sc >= 1) *mem_trans = 1, *ld = sc;
        else return 0;
        return *ld <= INT_MAX;
    }
    if (C <= 1) { /* one column: only the row stride matters */
        if (sr >= 1) *mem_trans = 0, *ld = sr;
        else return 0;
        return *ld <= INT_MAX;
    }
    if (sc == 1 && sr >= c1) *mem_trans = 0, *ld = sr;
    else if (sr == 1 && sc >= r1) *mem_trans = 1, *ld = sc;
    else return 0;
    return *ld <= INT_MAX;
}

static inline CBLAS_TRANSPOSE cb_trans(int t) { return t ? CblasTrans : CblasNoTrans; }

/* One operand of a batched GEMM: base pointer, BLAS transpose flag and lda, and the element
 * strides of its three (padded) batch dims, 0 where it is broadcast. */
typedef struct mm_arg {
    const float *p;
    int trans;
    int ld;
    int64_t bs[3];
} mm_arg;

/* For each batch index over bshape (3 dims), C += alpha op(A) op(B) (C = ... when beta is 0 and
 * the batch is the first to reach that C). C's batch strides are 0 along dims it is broadcast
 * over: those batches are summed into one C, and the parallel loop runs over the distinct C
 * matrices only, so no two threads write the same C. op(A) is (M,K), op(B) (K,N), C (M,N). */
static void mm_batched(float *C, int ldc, const int64_t *cbs, mm_arg A, mm_arg B, const int64_t *bshape, int M,
                       int N, int K, float alpha, float beta) {
    int outer_d[3], inner_d[3], no = 0, ni = 0;
    int64_t nb_outer = 1, nb_inner = 1;
    for (int d = 0; d < 3; d++) {
        if (cbs[d] == 0 && bshape[d] > 1) inner_d[ni++] = d, nb_inner *= bshape[d];
        else outer_d[no++] = d, nb_outer *= bshape[d];
    }
    const double flops = 2.0 * M * N * K * (double)nb_inner;
    const int nt = threads_get();
    const int par = nt > 1 && nb_outer >= 2 && (nb_outer >= 2 * nt || flops < MM_SMALL_FLOPS);
MOSA_PARALLEL_FOR(par, schedule(dynamic, 1),
    for (int64_t o = 0; o < nb_outer; o++) {
        int64_t idx[3] = {0, 0, 0}, rem = o;
        for (int q = no - 1; q >= 0; q--) {
            idx[outer_d[q]] = rem % bshape[outer_d[q]];
            rem /= bshape[outer_d[q]];
        }
        for (int64_t r = 0; r < nb_inner; r++) {
            int64_t rr = r;
            for (int q = ni - 1; q >= 0; q--) {
                idx[inner_d[q]] = rr % bshape[inner_d[q]];
                rr /= bshape[inner_d[q]];
            }
            int64_t oa = 0, ob = 0, oc = 0;
            for (int d = 0; d < 3; d++) {
                oa += idx[d] * A.bs[d];
                ob += idx[d] * B.bs[d];
                oc += idx[d] * cbs[d];
            }
            cblas_sgemm(CblasRowMajor, cb_trans(A.trans), cb_trans(B.trans), M, N, K, alpha, A.p + oa, A.ld,
                        B.p + ob, B.ld, r == 0 ? beta : 1.0f, C + oc, ldc);
        }
    });
}

/* ------------------------------------------------------------------------------------------ */
/* Reference kernels                                                                           */
/* ------------------------------------------------------------------------------------------ */

void matmul_forward_ref(float *out, const float *a, const float *b, int M, int K, int N, int trans_a, int trans_b) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int p = 0; p < K; p++) {
                const float av = trans_a ? a[(int64_t)p * M + i] : a[(int64_t)i * K + p];
                const float bv = trans_b ? b[(int64_t)j * K + p] : b[(int64_t)p * N + j];
                s += (double)av * bv;
            }
            out[(int64_t)i * N + j] = (float)s;
        }
}

void linear_forward_ref(float *out, const float *inp, const float *w, const float *bias, int N, int IN, int OUT) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OUT; o++) {
            double s = bias ? bias[o] : 0.0;
            for (int i = 0; i < IN; i++) s += (double)inp[(int64_t)n * IN + i] * w[(int64_t)o * IN + i];
            out[(int64_t)n * OUT + o] = (float)s;
        }
}

/* ------------------------------------------------------------------------------------------ */
/* matmul                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* What backward needs, fixed at forward time. */
typedef struct mm_saved {
    int M, N, K, trans_a, trans_b;
    int fold;                 /* a's batches folded into M (b broadcast over all of them) */
    int64_t bshape[3];        /* output batch shape, padded to 3 with leading 1s */
    mm_arg A, B;              /* forward operands (effective trans, ld, batch strides) */
    int64_t gas[3], gbs[3];   /* batch strides of a's and b's contiguous grads (0 = broadcast) */
} mm_saved;

/* Batch strides of x's data (grad_layout = 0) or of its contiguous grad (1), aligned to the
 * padded 3-dim output batch shape; 0 where x is broadcast. */
static void mm_batch_strides(const tensor *x, int grad_layout, int64_t *bs) {
    const int xb = x->nd - 2;
    int64_t cs = x->shape[x->nd - 1] * x->shape[x->nd - 2];
    int64_t cstr[3] = {0, 0, 0};
    for (int i = xb - 1; i >= 0; i--) {
        cstr[i] = cs;
        cs *= x->shape[i];
    }
    for (int d = 0; d < 3; d++) {
        const int j = d - (3 - xb);
        if (j < 0 || x->shape[j] == 1) bs[d] = 0;
        else bs[d] = grad_layout ? cstr[j] : x->stride[j];
    }
}

static void matmul_backward(ctx *c, tape_node *n) {
    tensor *a = n->in[0], *b = n->in[1];
    const mm_saved *s = n->saved;
    float *ga = tape_wants(n, 0) ? t_grad(c, a) : NULL;
    float *gb = tape_wants(n, 1) ? t_grad(c, b) : NULL;
    if (c->status != MOSA_OK || s->K == 0 || s->M == 0 || s->N == 0) return;
    const int M = s->M, N = s->N, K = s->K;
    const int64_t one[3] = {1, 1, 1};
    int64_t obs[3]; /* batch strides of the contiguous output grad */
    obs[2] = (int64_t)M * N;
    obs[1] = obs[2] * s->bshape[2];
    obs[0] = obs[1] * s->bshape[1];
    for (int d = 0; d < 3; d++)
        if (s->bshape[d] == 1) obs[d] = 0;
    const float *go = n->out->grad;
    if (ga) {
        if (!s->trans_a) { /* dA (M,K) += dC (M,N) op(B)^T */
            mm_arg dC = {go, 0, N, {obs[0], obs[1], obs[2]}};
            mm_arg Bt = s->B;
            Bt.trans = !Bt.trans;
            if (s->fold) {
                int64_t nb = s->bshape[0] * s->bshape[1] * s->bshape[2];
                mm_batched(ga, K, (int64_t[3]){0, 0, 0}, dC, Bt, one, (int)(M * nb), K, N, 1.0f, 1.0f);
            } else {
                mm_batched(ga, K, s->gas, dC, Bt, s->bshape, M, K, N, 1.0f, 1.0f);
            }
        } else { /* dA (K,M) += op(B) dC^T */
            mm_arg dCt = {go, 1, N, {obs[0], obs[1], obs[2]}};
            mm_batched(ga, M, s->gas, s->B, dCt, s->bshape, K, M, N, 1.0f, 1.0f);
        }
    }
    if (gb) {
        mm_arg A = s->A;
        int64_t bshape[3] = {s->bshape[0], s->bshape[1], s->bshape[2]};
        int Mf = M;
        mm_arg dC = {go, 0, N, {obs[0], obs[1], obs[2]}};
        if (s->fold) { /* all batches are rows of one (nb*M) matrix, summed into one dB */
            Mf = (int)(M * bshape[0] * bshape[1] * bshape[2]);
            bshape[0] = bshape[1] = bshape[2] = 1;
            memset(dC.bs, 0, sizeof dC.bs);
            memset(A.bs, 0, sizeof A.bs);
        }
        if (!s->trans_b) { /* dB (K,N) += op(A)^T dC */
            A.trans = !A.trans;
            mm_batched(gb, N, s->gbs, A, dC, bshape, K, N, Mf, 1.0f, 1.0f);
        } else { /* dB (N,K) += dC^T op(A) */
            dC.trans = 1;
            mm_batched(gb, K, s->gbs, dC, A, bshape, N, K, Mf, 1.0f, 1.0f);
        }
    }
}

tensor *op_matmul(ctx *c, tensor *a, tensor *b, int trans_a, int trans_b) {
    if (!a || !b) return NULL;
    char sa[64], sb[64];
    t_shape_str(a, sa, sizeof sa);
    t_shape_str(b, sb, sizeof sb);
    T_CHECK(c, a->nd >= 2 && a->nd <= 5 && b->nd >= 2 && b->nd <= 5,
            "matmul: operands must have 2 to 5 dims, got a %s and b %s", sa, sb);
    trans_a = !!trans_a, trans_b = !!trans_b;
    const int na = a->nd, nb = b->nd;
    const int64_t M = a->shape[na - 2 + trans_a], Ka = a->shape[na - 1 - trans_a];
    const int64_t Kb = b->shape[nb - 2 + trans_b], N = b->shape[nb - 1 - trans_b];
    T_CHECK(c, Ka == Kb, "matmul: inner dims differ: a %s%s gives K = %lld, b %s%s gives K = %lld", sa,
            trans_a ? " (transposed)" : "", (long long)Ka, sb, trans_b ? " (transposed)" : "", (long long)Kb);
    T_CHECK(c, M <= INT_MAX && N <= INT_MAX && Ka <= INT_MAX,
            "matmul: matrix dims of a %s, b %s exceed the BLAS int range", sa, sb);
    /* Batch dims, broadcast numpy-style and padded to 3. */
    const int nbo = (na > nb ? na : nb) - 2;
    int64_t bshape[3] = {1, 1, 1};
    for (int d = 0; d < 3; d++) {
        const int i = d - (3 - nbo);
        if (i < 0) continue;
        const int ia = i - (nbo - (na - 2)), ib = i - (nbo - (nb - 2));
        const int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        T_CHECK(c, da == db || da == 1 || db == 1, "matmul: batch dims of a %s and b %s do not broadcast", sa, sb);
        bshape[d] = da == 1 ? db : da;
    }
    /* Operand layouts; a copy only when the strides are not a BLAS lda. */
    int ma = 0, mb = 0;
    int64_t lda = 1, ldb = 1;
    const int empty = M == 0 || N == 0 || Ka == 0; /* no GEMM at all: layouts do not matter */
    if (!empty && !blas_layout(a->shape[na - 2], a->shape[na - 1], a->stride[na - 2], a->stride[na - 1], &ma, &lda)) {
        a = op_contiguous(c, a);
        if (!a) return NULL;
        blas_layout(a->shape[na - 2], a->shape[na - 1], a->stride[na - 2], a->stride[na - 1], &ma, &lda);
    }
    if (!empty && !blas_layout(b->shape[nb - 2], b->shape[nb - 1], b->stride[nb - 2], b->stride[nb - 1], &mb, &ldb)) {
        b = op_contiguous(c, b);
        if (!b) return NULL;
        blas_layout(b->shape[nb - 2], b->shape[nb - 1], b->stride[nb - 2], b->stride[nb - 1], &mb, &ldb);
    }
    int64_t oshape[T_MAX_DIMS];
    for (int i = 0; i < nbo; i++) oshape[i] = bshape[3 - nbo + i];
    oshape[nbo] = M;
    oshape[nbo + 1] = N;
    tensor *o = t_new(c, nbo + 2, oshape);
    if (!o) return NULL;

    mm_saved s = {(int)M, (int)N, (int)Ka, trans_a, trans_b, 0, {bshape[0], bshape[1], bshape[2]},
                  {a->data, trans_a ^ ma, (int)lda, {0}}, {b->data, trans_b ^ mb, (int)ldb, {0}}, {0}, {0}};
    mm_batch_strides(a, 0, s.A.bs);
    mm_batch_strides(b, 0, s.B.bs);
    mm_batch_strides(a, 1, s.gas);
    mm_batch_strides(b, 1, s.gbs);
    /* Fold: when b is the same matrix for every batch and a's batches are evenly spaced rows
     * (a (..,M,K) contiguous-like, not transposed), the whole product is one (nb*M,K)x(K,N). */
    const int64_t nbt = bshape[0] * bshape[1] * bshape[2];
    if (!empty && nbt > 1 && s.A.trans == 0 && !trans_a && !s.B.bs[0] && !s.B.bs[1] && !s.B.bs[2]) {
        int ok = 1;
        int64_t expect = M * lda;
        for (int d = 2; d >= 0; d--) {
            if (bshape[d] == 1) continue;
            if (s.A.bs[d] != expect) ok = 0;
            expect *= bshape[d];
        }
        s.fold = ok && M * nbt <= INT_MAX;
    }
    if (empty) {
        memset(o->data, 0, (size_t)t_numel(o) * sizeof(float));
    } else if (s.fold) {
        const int64_t z[3] = {0, 0, 0}, one[3] = {1, 1, 1};
        mm_batched(o->data, (int)N, z, s.A, s.B, one, (int)(M * nbt), (int)N, (int)Ka, 1.0f, 0.0f);
    } else {
        int64_t obs[3];
        obs[2] = M * N;
        obs[1] = obs[2] * bshape[2];
        obs[0] = obs[1] * bshape[1];
        mm_batched(o->data, (int)N, obs, s.A, s.B, bshape, (int)M, (int)N, (int)Ka, 1.0f, 0.0f);
    }
    tensor *in[2] = {a, b};
    tape_node *n = tape_push(c, "matmul", matmul_backward, o, 2, in);
    if (n) {
        mm_saved *sv = arena_alloc(&c->mem, sizeof *sv);
        if (!sv) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        *sv = s;
        n->saved = sv;
    }
    return o;
}

/* ------------------------------------------------------------------------------------------ */
/* linear                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Checks that x's leading dims (all but the last) are evenly spaced rows, so x is an (N, IN)
 * matrix with row stride *sr; 0 when they are not. */
static int fold_rows(const tensor *x, int64_t *sr) {
    int64_t expect = -1;
    *sr = x->shape[x->nd - 1]; /* any value works when there is at most one row */
    for (int i = x->nd - 2; i >= 0; i--) {
        if (x->shape[i] == 1) continue;
        if (expect < 0) {
            *sr = x->stride[i];
            expect = x->stride[i] * x->shape[i];
        } else {
            if (x->stride[i] != expect) return 0;
            expect *= x->shape[i];
        }
    }
    return 1;
}

/* (N, IN) BLAS layout of x, or 0. */
static int linear_x_layout(const tensor *x, int64_t N, int64_t IN, int *t, int64_t *ld) {
    int64_t sr;
    if (!fold_rows(x, &sr)) return 0;
    return blas_layout(N, IN, sr, x->stride[x->nd - 1], t, ld);
}

/* gb (OUT) += column sums of dy (N,OUT); parallel over column blocks (the axis written). */
static void bias_grad_acc(float *gb, const float *dy, int64_t N, int64_t OUT) {
MOSA_PARALLEL_FOR(N * OUT > 65536, ,
    for (int64_t j0 = 0; j0 < OUT; j0 += 64) {
        const int64_t nj = OUT - j0 < 64 ? OUT - j0 : 64;
        float acc[64] = {0};
        for (int64_t r = 0; r < N; r++) {
            const float *row = dy + r * OUT + j0;
_Pragma("omp simd")
            for (int64_t j = 0; j < nj; j++) acc[j] += row[j];
        }
        for (int64_t j = 0; j < nj; j++) gb[j0 + j] += acc[j];
    });
}

static void linear_backward(ctx *c, tape_node *n) {
    tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    float *gx = tape_wants(n, 0) ? t_grad(c, x) : NULL;
    float *gw = tape_wants(n, 1) ? t_grad(c, w) : NULL;
    float *gb = (b && tape_wants(n, 2)) ? t_grad(c, b) : NULL;
    if (c->status != MOSA_OK) return;
    const int N = (int)n->ip[0], IN = (int)n->ip[1], OUT = (int)n->ip[2];
    const int tx = (int)n->ip[3], ldx = (int)n->ip[4], tw = (int)n->ip[5], ldw = (int)n->ip[6];
    const float *dy = n->out->grad;
    if (N == 0 || OUT == 0) return;
    if (gx && IN > 0) /* dX (N,IN) += dY (N,OUT) W (OUT,IN) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, cb_trans(tw), N, IN, OUT, 1.0f, dy, OUT, w->data, ldw, 1.0f, gx, IN);
    if (gw && IN > 0) /* dW (OUT,IN) += dY^T (OUT,N) X (N,IN) */
        cblas_sgemm(CblasRowMajor, CblasTrans, cb_trans(tx), OUT, IN, N, 1.0f, dy, OUT, x->data, ldx, 1.0f, gw, IN);
    if (gb) bias_grad_acc(gb, dy, N, OUT);
}

tensor *op_linear(ctx *c, tensor *x, tensor *w, tensor *b) {
    if (!x || !w) return NULL;
    char sx[64], sw[64], sbias[64];
    t_shape_str(x, sx, sizeof sx);
    t_shape_str(w, sw, sizeof sw);
    T_CHECK(c, x->nd >= 1, "linear: x must have at least 1 dim, got %s", sx);
    T_CHECK(c, w->nd == 2, "linear: w must be (OUT,IN), got %s", sw);
    const int64_t IN = x->shape[x->nd - 1], OUT = w->shape[0];
    T_CHECK(c, w->shape[1] == IN, "linear: x %s has IN = %lld but w %s is (OUT,IN) with IN = %lld", sx, (long long)IN,
            sw, (long long)w->shape[1]);
    T_CHECK(c, !b || (b->nd == 1 && b->shape[0] == OUT), "linear: bias %s must be (%lld) for w %s",
            b ? t_shape_str(b, sbias, sizeof sbias) : "", (long long)OUT, sw);
    int64_t N = 1; /* rows: the product of the leading dims */
    for (int i = 0; i < x->nd - 1; i++) N *= x->shape[i];
    T_CHECK(c, N <= INT_MAX && IN <= INT_MAX && OUT <= INT_MAX, "linear: x %s, w %s exceed the BLAS int range", sx, sw);
    int tx = 0, tw = 0;
    int64_t ldx = 1, ldw = 1;
    const int empty = N == 0 || IN == 0 || OUT == 0; /* no GEMM: layouts do not matter */
    if (!empty && !linear_x_layout(x, N, IN, &tx, &ldx)) {
        x = op_contiguous(c, x);
        if (!x) return NULL;
        linear_x_layout(x, N, IN, &tx, &ldx);
    }
    if (!empty && !blas_layout(OUT, IN, w->stride[0], w->stride[1], &tw, &ldw)) {
        w = op_contiguous(c, w);
        if (!w) return NULL;
        blas_layout(OUT, IN, w->stride[0], w->stride[1], &tw, &ldw);
    }
    int64_t oshape[T_MAX_DIMS];
    for (int i = 0; i < x->nd - 1; i++) oshape[i] = x->shape[i];
    oshape[x->nd - 1] = OUT;
    tensor *o = t_new(c, x->nd, oshape);
    if (!o) return NULL;
    float *y = o->data;
    if (b) {
        const float *bp = b->data;
        const int64_t bst = b->stride[0];
MOSA_PARALLEL_FOR(N * OUT > 262144, ,
        for (int64_t r = 0; r < N; r++)
            for (int64_t j = 0; j < OUT; j++) y[r * OUT + j] = bp[j * bst];);
    }
    if (N > 0 && OUT > 0) {
        if (IN > 0) /* Y (N,OUT) (+)= X (N,IN) W^T (IN,OUT) */
            cblas_sgemm(CblasRowMajor, cb_trans(tx), cb_trans(!tw), (int)N, (int)OUT, (int)IN, 1.0f, x->data, (int)ldx,
                        w->data, (int)ldw, b ? 1.0f : 0.0f, y, (int)OUT);
        else if (!b)
            memset(y, 0, (size_t)(N * OUT) * sizeof(float));
    }
    tensor *in[3] = {x, w, b};
    tape_node *n = tape_push(c, "linear", linear_backward, o, 3, in);
    if (n) {
        n->ip[0] = N, n->ip[1] = IN, n->ip[2] = OUT;
        n->ip[3] = tx, n->ip[4] = ldx, n->ip[5] = tw, n->ip[6] = ldw;
    }
    return o;
}
