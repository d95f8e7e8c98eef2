/* op_attention.c: fused multi-head scaled dot-product attention, flash-style, forward and
 * backward, plus the naive oracle kernels.
 *
 * What this is: FlashAttention-2 on the CPU. Forward tiles each head's queries into blocks of
 * ATT_BQ rows and walks the keys in blocks of ATT_BK with an online softmax (running row max m
 * and sum l, rescaling the output accumulator when m grows), so the (T,S) score matrix never
 * exists; it keeps only the output and the per-row log-sum-exp. Backward recomputes the
 * probabilities tile by tile from the log-sum-exp: with D_i = rowsum(dO * O),
 *   dV += P^T dO,  dP = dO V^T,  dS = P * (dP - D_i),  dQ += scale dS K,  dK += scale dS^T Q.
 * The tile products are single-threaded cblas_sgemm calls inside our OpenMP loops: a
 * hand-written 6x64 AVX-512 tile kernel measured the same ~112 GFLOP/s per core as OpenBLAS's
 * small-matrix kernels at 64^3, so the tiles use sgemm, laid out so that every call is an NN or
 * TN row-major product (OpenBLAS sends row-major NT tiles of this size to its slower general
 * path). Softmax uses a vectorizable polynomial exp. Scratch is O(threads * (ATT_BQ*ATT_BK +
 * ATT_BK*D)) plus O(B*NH*T) row statistics (plus at most two q-sized dq buffers when there are
 * too few heads to keep the threads busy in backward), so memory grows linearly with the
 * sequence.
 * What this is not: dropout on the attention weights, arbitrary (T,S) additive masks, or a
 * KV cache; masks are causal and/or per-key padding only. */
#include "ops.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#define ATT_TID() omp_get_thread_num()
#else
#define ATT_TID() 0
#endif

#define ATT_BQ 64 /* query rows per tile */
#define ATT_BK 64 /* keys per tile */

/* A (B,NH,L,D) operand with unit stride along D: the first element and the element strides of
 * the B, NH and L dims (L's stride is the BLAS lda of a tile). */
typedef struct att_in {
    const float *p;
    int64_t sb, sh, sl;
} att_in;

/* ------------------------------------------------------------------------------------------ */
/* Softmax pieces                                                                              */
/* ------------------------------------------------------------------------------------------ */


/* Number of leading keys of tile [j0, j0+nk) that query row i may see under the causal rule
 * j <= i + off (off = S - T). */
static inline int att_visible(int i, int off, int j0, int nk) {
    const int lim = i + off - j0 + 1;
    return lim < 0 ? 0 : (lim > nk ? nk : lim);
}

/* 1 if any of the n keys is unmasked (or there is no mask). */
static inline int att_any_key(const uint8_t *km, int n) {
    if (!km) return 1;
    for (int i = 0; i < n; i++)
        if (km[i]) return 1;
    return 0;
}

/* dst (cols,rows) = src (rows,cols)^T, in 8x8 blocks; leading dims ldd and lds. */
static void att_transpose(float *dst, int64_t ldd, const float *src, int64_t lds, int rows, int cols) {
    for (int i0 = 0; i0 < rows; i0 += 8)
        for (int j0 = 0; j0 < cols; j0 += 8) {
            const int i1 = i0 + 8 < rows ? i0 + 8 : rows, j1 = j0 + 8 < cols ? j0 + 8 : cols;
            for (int i = i0; i < i1; i++)
                for (int j = j0; j < j1; j++) dst[j * ldd + i] = src[i * lds + j];
        }
}

/* ------------------------------------------------------------------------------------------ */
/* Forward                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* One query block of one head: o (mq,D) rows of the output (contiguous), lse (mq), from q rows
 * i0..i0+mq-1 (qp points at row i0, row stride qsl), the head's keys and values (kp, vp: row 0,
 * row strides ksl, vsl), key mask km (S) or NULL. The score tile is kept transposed, (keys,
 * queries): the query block is transposed once into qt, S^T = K Q^T is a plain row-major GEMM,
 * the running max and sum of each query are vector ops along a tile row (no horizontal
 * reductions), and O += P V reads P^T as a TN GEMM. Scratch: qt (D,ATT_BQ), st (ATT_BK,ATT_BQ),
 * stat (4*ATT_BQ). */
static void att_fwd_block(float *o, float *lse, float *qt, float *st, float *stat, const float *qp, int64_t qsl,
                          const float *kp, int64_t ksl, const float *vp, int64_t vsl, const uint8_t *km, int i0,
                          int mq, int T, int S, int D, int causal, float scale) {
    float *m = stat, *l = stat + ATT_BQ, *ms = stat + 2 * ATT_BQ, *al = stat + 3 * ATT_BQ;
    const int off = S - T;
    int jend = S;
    if (causal) {
        const int lim = i0 + mq - 1 + off + 1; /* keys visible to the block's last row */
        jend = lim < 0 ? 0 : (lim < S ? lim : S);
    }
    memset(o, 0, (size_t)mq * D * sizeof(float));
    for (int i = 0; i < mq; i++) m[i] = -INFINITY, l[i] = 0.0f;
    att_transpose(qt, ATT_BQ, qp, qsl, mq, D);
    for (int j0 = 0; j0 < jend; j0 += ATT_BK) {
        const int nk = jend - j0 < ATT_BK ? jend - j0 : ATT_BK;
        if (km && !att_any_key(km + j0, nk)) continue;
        /* S^T = scale K Q^T: (nk,D) x (D,mq) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nk, mq, D, scale, kp + (int64_t)j0 * ksl, (int)ksl, qt,
                    ATT_BQ, 0.0f, st, ATT_BQ);
        const int partial = causal && j0 + nk - 1 > i0 + off; /* the diagonal crosses this tile */
        if (partial || km)
            for (int jj = 0; jj < nk; jj++) { /* key j0+jj is hidden from queries before ifirst */
                float *row = st + jj * ATT_BQ;
                int ifirst = 0;
                if (km && !km[j0 + jj]) ifirst = mq;
                else if (partial) {
                    ifirst = j0 + jj - off - i0;
                    ifirst = ifirst < 0 ? 0 : (ifirst > mq ? mq : ifirst);
                }
                for (int i = 0; i < ifirst; i++) row[i] = -INFINITY;
            }
        /* online softmax, per query (column): new max, rescale factor, probabilities, sums */
        memcpy(ms, m, (size_t)mq * sizeof(float));
        for (int jj = 0; jj < nk; jj++) {
            const float *row = st + jj * ATT_BQ;
#pragma omp simd
            for (int i = 0; i < mq; i++) ms[i] = row[i] > ms[i] ? row[i] : ms[i];
        }
#pragma omp simd
        for (int i = 0; i < mq; i++) {
            const float safe = ms[i] == -INFINITY ? 0.0f : ms[i]; /* column sees nothing yet */
            al[i] = expf_vec(m[i] - safe);
            m[i] = ms[i];
            ms[i] = safe;
            l[i] *= al[i];
        }
        for (int jj = 0; jj < nk; jj++) {
            float *row = st + jj * ATT_BQ;
#pragma omp simd
            for (int i = 0; i < mq; i++) {
                const float p = expf_vec(row[i] - ms[i]);
                row[i] = p;
                l[i] += p;
            }
        }
        for (int i = 0; i < mq; i++)
            if (al[i] != 1.0f) {
                float *orow = o + (int64_t)i * D;
                for (int d = 0; d < D; d++) orow[d] *= al[i];
            }
        /* O += P V: (mq,nk) x (nk,D), P read as the transpose of st */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, mq, D, nk, 1.0f, st, ATT_BQ, vp + (int64_t)j0 * vsl,
                    (int)vsl, 1.0f, o, D);
    }
    for (int i = 0; i < mq; i++) {
        float *orow = o + (int64_t)i * D;
        if (l[i] > 0.0f) {
            const float inv = 1.0f / l[i];
            for (int d = 0; d < D; d++) orow[d] *= inv;
            lse[i] = m[i] + logf(l[i]);
        } else {
            memset(orow, 0, (size_t)D * sizeof(float));
            lse[i] = INFINITY; /* sees no key: makes exp(s - lse) = 0 in backward */
        }
    }
}

/* Floats of per-thread forward scratch for head dim D. */
static size_t att_fwd_scratch(int D) { return (size_t)D * ATT_BQ + (size_t)ATT_BK * ATT_BQ + 4 * ATT_BQ; }

/* out (B,NH,T,D) contiguous, lse (B,NH,T); scratch holds nt * att_fwd_scratch(D) floats.
 * Parallel over (B, NH, query blocks), heaviest causal blocks first. */
static void attention_forward(float *out, float *lse, float *scratch, att_in q, att_in k, att_in v,
                              const uint8_t *km, int B, int NH, int T, int S, int D, int causal, float scale, int nt) {
    const int nqb = (T + ATT_BQ - 1) / ATT_BQ;
    const int64_t units = (int64_t)B * NH * nqb;
    const size_t per = att_fwd_scratch(D);
MOSA_PARALLEL_FOR(nt > 1 && units > 1, schedule(dynamic, 1) num_threads(nt),
    for (int64_t u = 0; u < units; u++) {
        const int64_t bh = u / nqb;
        const int qb = nqb - 1 - (int)(u % nqb);
        const int b = (int)(bh / NH), h = (int)(bh % NH);
        const int i0 = qb * ATT_BQ, mq = T - i0 < ATT_BQ ? T - i0 : ATT_BQ;
        float *sc = scratch + (size_t)ATT_TID() * per;
        att_fwd_block(out + (bh * T + i0) * D, lse + bh * T + i0, sc, sc + (size_t)D * ATT_BQ,
                      sc + (size_t)D * ATT_BQ + ATT_BK * ATT_BQ, q.p + b * q.sb + h * q.sh + (int64_t)i0 * q.sl, q.sl,
                      k.p + b * k.sb + h * k.sh, k.sl, v.p + b * v.sb + h * v.sh, v.sl, km ? km + (int64_t)b * S : NULL,
                      i0, mq, T, S, D, causal, scale);
    });
}

/* ------------------------------------------------------------------------------------------ */
/* Backward                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Key blocks [kb0, kb1) of one head: accumulates dk, dv (rows of the head, contiguous, NULL if
 * not wanted) and dq (T rows, contiguous, NULL if not wanted) from dout (T rows), the forward's
 * lse (T; +inf for rows that see no key) and di = rowsum(dO*O) (T). qp, kp, vp point at row 0
 * of the head. Each key block's K and V are transposed once into kt, vt (D,ATT_BK), so every
 * product below is an NN or TN row-major GEMM (OpenBLAS's fast small-matrix cases). Scratch:
 * p and ds (ATT_BQ,ATT_BK), kt and vt (D,ATT_BK). */
static void att_bwd_keys(float *dq, float *dk, float *dv, float *pbuf, float *dsbuf, float *kt, float *vt,
                         const float *dout, const float *lse, const float *di, const float *qp, int64_t qsl,
                         const float *kp, int64_t ksl, const float *vp, int64_t vsl, const uint8_t *km, int kb0,
                         int kb1, int T, int S, int D, int causal, float scale) {
    const int off = S - T;
    for (int kb = kb0; kb < kb1; kb++) {
        const int j0 = kb * ATT_BK, nk = S - j0 < ATT_BK ? S - j0 : ATT_BK;
        if (km && !att_any_key(km + j0, nk)) continue;
        const float *kr = kp + (int64_t)j0 * ksl;
        int istart = 0;
        if (causal) { /* first query that sees key j0: i + off >= j0 */
            istart = j0 - off;
            if (istart < 0) istart = 0;
        }
        if (istart >= T) continue;
        att_transpose(kt, ATT_BK, kr, ksl, nk, D);
        att_transpose(vt, ATT_BK, vp + (int64_t)j0 * vsl, vsl, nk, D);
        for (int i0 = (istart / ATT_BQ) * ATT_BQ; i0 < T; i0 += ATT_BQ) {
            const int mq = T - i0 < ATT_BQ ? T - i0 : ATT_BQ;
            const float *qr = qp + (int64_t)i0 * qsl, *dor = dout + (int64_t)i0 * D;
            /* P = exp(scale Q K^T - lse): (mq,D) x (D,nk) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mq, nk, D, scale, qr, (int)qsl, kt, ATT_BK, 0.0f,
                        pbuf, ATT_BK);
            const int partial = causal && j0 + nk - 1 > i0 + off;
            for (int r = 0; r < mq; r++) {
                float *p = pbuf + r * ATT_BK;
                const float ls = lse[i0 + r];
                const int nv = partial ? att_visible(i0 + r, off, j0, nk) : nk;
                if (km)
                    for (int j = 0; j < nv; j++)
                        if (!km[j0 + j]) p[j] = -INFINITY;
#pragma omp simd
                for (int j = 0; j < nv; j++) p[j] = expf_vec(p[j] - ls);
                for (int j = nv; j < nk; j++) p[j] = 0.0f;
            }
            /* dV += P^T dO: (nk,mq) x (mq,D) */
            if (dv)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nk, D, mq, 1.0f, pbuf, ATT_BK, dor, D, 1.0f,
                            dv + (int64_t)j0 * D, D);
            if (!dq && !dk) continue;
            /* dP = dO V^T: (mq,D) x (D,nk); then dS = P * (dP - D_i) in place */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mq, nk, D, 1.0f, dor, D, vt, ATT_BK, 0.0f, dsbuf,
                        ATT_BK);
            for (int r = 0; r < mq; r++) {
                float *ds = dsbuf + r * ATT_BK;
                const float *p = pbuf + r * ATT_BK;
                const float dr = di[i0 + r];
#pragma omp simd
                for (int j = 0; j < nk; j++) ds[j] = p[j] * (ds[j] - dr);
            }
            /* dQ += scale dS K: (mq,nk) x (nk,D) */
            if (dq)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mq, D, nk, scale, dsbuf, ATT_BK, kr, (int)ksl,
                            1.0f, dq + (int64_t)i0 * D, D);
            /* dK += scale dS^T Q: (nk,mq) x (mq,D) */
            if (dk)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nk, D, mq, scale, dsbuf, ATT_BK, qr, (int)qsl,
                            1.0f, dk + (int64_t)j0 * D, D);
        }
    }
}

/* How many key chunks (1..max_n) each head's backward is split into. One chunk per head is a
 * work unit that writes dq in place; when B*NH units leave threads idle (5 heads on 2 threads)
 * and splitting gains at least 15% of busy time, heads are split. Chunks past the first
 * accumulate dq into private q-sized buffers that are summed afterwards. */
static int att_bwd_splits(int64_t BH, int nkb, int nt, int max_n) {
    int best = 1;
    double best_eff = 0;
    for (int n = 1; n <= max_n && n <= nkb && nt > 1; n++) {
        const int64_t units = BH * n;
        const double eff = (double)units / (double)(((units + nt - 1) / nt) * nt); /* busy fraction */
        if (eff > best_eff + 0.15) best = n, best_eff = eff;
    }
    return best;
}

/* ------------------------------------------------------------------------------------------ */
/* Reference kernels                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* Score of query row qi and key row kj, in double. */
static double att_dot_ref(const float *qi, const float *kj, int D) {
    double s = 0;
    for (int d = 0; d < D; d++) s += (double)qi[d] * kj[d];
    return s;
}

static int att_sees_ref(int causal, const uint8_t *km, int i, int j, int T, int S) {
    if (causal && j > i + (S - T)) return 0;
    return !km || km[j];
}

void attention_forward_ref(float *out, float *lse, const float *q, const float *k, const float *v,
                           const uint8_t *key_mask, int B, int NH, int T, int S, int D, int causal, float scale) {
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const int64_t bh = (int64_t)b * NH + h;
            const float *qh = q + bh * T * D, *kh = k + bh * S * D, *vh = v + bh * S * D;
            const uint8_t *km = key_mask ? key_mask + (int64_t)b * S : NULL;
            for (int i = 0; i < T; i++) {
                float *o = out + (bh * T + i) * D;
                double mx = -INFINITY, l = 0;
                for (int j = 0; j < S; j++)
                    if (att_sees_ref(causal, km, i, j, T, S)) {
                        const double s = scale * att_dot_ref(qh + (int64_t)i * D, kh + (int64_t)j * D, D);
                        if (s > mx) mx = s;
                    }
                for (int d = 0; d < D; d++) o[d] = 0.0f;
                if (mx == -INFINITY) {
                    if (lse) lse[bh * T + i] = -INFINITY;
                    continue;
                }
                for (int j = 0; j < S; j++)
                    if (att_sees_ref(causal, km, i, j, T, S))
                        l += exp(scale * att_dot_ref(qh + (int64_t)i * D, kh + (int64_t)j * D, D) - mx);
                for (int d = 0; d < D; d++) {
                    double acc = 0;
                    for (int j = 0; j < S; j++)
                        if (att_sees_ref(causal, km, i, j, T, S))
                            acc += exp(scale * att_dot_ref(qh + (int64_t)i * D, kh + (int64_t)j * D, D) - mx) *
                                   vh[(int64_t)j * D + d];
                    o[d] = (float)(acc / l);
                }
                if (lse) lse[bh * T + i] = (float)(mx + log(l));
            }
        }
}

void attention_backward_ref(float *dq, float *dk, float *dv, const float *dout, const float *q, const float *k,
                            const float *v, const uint8_t *key_mask, int B, int NH, int T, int S, int D,
                            int causal, float scale) {
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const int64_t bh = (int64_t)b * NH + h;
            const float *qh = q + bh * T * D, *kh = k + bh * S * D, *vh = v + bh * S * D;
            const uint8_t *km = key_mask ? key_mask + (int64_t)b * S : NULL;
            for (int i = 0; i < T; i++) {
                const float *qi = qh + (int64_t)i * D, *doi = dout + (bh * T + i) * D;
                double mx = -INFINITY, l = 0;
                for (int j = 0; j < S; j++)
                    if (att_sees_ref(causal, km, i, j, T, S)) {
                        const double s = scale * att_dot_ref(qi, kh + (int64_t)j * D, D);
                        if (s > mx) mx = s;
                    }
                if (mx == -INFINITY) continue; /* sees nothing: zero gradient */
                for (int j = 0; j < S; j++)
                    if (att_sees_ref(causal, km, i, j, T, S))
                        l += exp(scale * att_dot_ref(qi, kh + (int64_t)j * D, D) - mx);
                /* D_i = sum_j P_ij dP_ij */
                double di = 0;
                for (int j = 0; j < S; j++)
                    if (att_sees_ref(causal, km, i, j, T, S)) {
                        const double p = exp(scale * att_dot_ref(qi, kh + (int64_t)j * D, D) - mx) / l;
                        di += p * att_dot_ref(doi, vh + (int64_t)j * D, D);
                    }
                for (int j = 0; j < S; j++) {
                    if (!att_sees_ref(causal, km, i, j, T, S)) continue;
                    const float *kj = kh + (int64_t)j * D, *vj = vh + (int64_t)j * D;
                    const double p = exp(scale * att_dot_ref(qi, kj, D) - mx) / l;
                    const double ds = p * (att_dot_ref(doi, vj, D) - di);
                    for (int d = 0; d < D; d++) {
                        if (dq) dq[(bh * T + i) * D + d] += (float)(scale * ds * kj[d]);
                        if (dk) dk[(bh * S + j) * D + d] += (float)(scale * ds * qi[d]);
                        if (dv) dv[(bh * S + j) * D + d] += (float)(p * doi[d]);
                    }
                }
            }
        }
}

/* ------------------------------------------------------------------------------------------ */
/* The op                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct att_saved {
    float *lse;          /* (B,NH,T); +inf for rows that see no key */
    uint8_t *key_mask;   /* (B,S) copy, or NULL */
} att_saved;

/* Describes x (B,NH,L,D) for the kernels, copying it first when rows are not unit-stride runs
 * with a row stride sgemm accepts. Returns the (possibly new) tensor, NULL on failure. */
static tensor *att_operand(ctx *c, tensor *x, att_in *d) {
    const int64_t L = x->shape[2], D = x->shape[3];
    const int unit = D == 1 || x->stride[3] == 1;
    const int rows_ok = L == 1 || (x->stride[2] >= (D > 1 ? D : 1) && x->stride[2] <= INT_MAX);
    if (!unit || !rows_ok) x = op_contiguous(c, x);
    if (!x) return NULL;
    d->p = x->data;
    d->sb = x->shape[0] == 1 ? 0 : x->stride[0];
    d->sh = x->shape[1] == 1 ? 0 : x->stride[1];
    d->sl = L == 1 ? (D > 1 ? D : 1) : x->stride[2];
    return x;
}

static void attention_backward(ctx *c, tape_node *n) {
    tensor *q = n->in[0], *k = n->in[1], *v = n->in[2], *o = n->out;
    const att_saved *sv = n->saved;
    float *gq = tape_wants(n, 0) ? t_grad(c, q) : NULL;
    float *gk = tape_wants(n, 1) ? t_grad(c, k) : NULL;
    float *gv = tape_wants(n, 2) ? t_grad(c, v) : NULL;
    if (c->status != MOSA_OK) return;
    const int B = (int)q->shape[0], NH = (int)q->shape[1], T = (int)q->shape[2], S = (int)k->shape[2];
    const int D = (int)q->shape[3], causal = (int)n->ip[0];
    const float scale = n->fp[0];
    const int64_t BH = (int64_t)B * NH;
    if (BH == 0 || T == 0 || S == 0 || D == 0) return;
    att_in qd, kd, vd; /* the saved inputs already have kernel-friendly strides */
    att_operand(c, q, &qd);
    att_operand(c, k, &kd);
    att_operand(c, v, &vd);
    const int nt = threads_get();
    const int nkb = (S + ATT_BK - 1) / ATT_BK;
    /* q aliasing k or v (self-attention on one tensor) shares one grad buffer: keep each head
     * in one work unit so no two threads write the same rows. */
    const int alias = gq && (gq == gk || gq == gv);
    const size_t head_dq = (size_t)T * D * sizeof(float);
    int ns = 1; /* key chunks per head: without dq they write disjoint rows, so split freely;
                   with dq, at most two extra q-sized buffers and at most 32 MiB of them */
    if (!gq) {
        ns = att_bwd_splits(BH, nkb, nt, 8);
    } else if (!alias) {
        const size_t cap = ((size_t)32 << 20) / ((size_t)BH * head_dq);
        ns = att_bwd_splits(BH, nkb, nt, 1 + (int)(cap < 2 ? cap : 2));
    }
    arena_mark mk = arena_get_mark(&c->mem);
    const size_t per = 2 * (size_t)ATT_BQ * ATT_BK + 2 * (size_t)D * ATT_BK;
    float *di = arena_alloc(&c->mem, (size_t)BH * T * sizeof(float));
    float *scratch = arena_alloc(&c->mem, (size_t)nt * per * sizeof(float));
    float *dqx = NULL; /* (ns-1, BH, T, D) private dq of key chunks 1.. */
    if (gq && ns > 1) dqx = arena_calloc(&c->mem, (size_t)(ns - 1) * BH * head_dq);
    if (!di || !scratch || (gq && ns > 1 && !dqx)) {
        ctx_fail(c, MOSA_ERR_NOMEM, "attention backward: %s", mosa_last_error());
        return;
    }
    const float *go = o->grad, *od = o->data;
    const int64_t rows = BH * T;
    /* D_i = rowsum(dO * O) */
MOSA_PARALLEL_FOR(nt > 1 && rows * D > 65536, num_threads(nt),
    for (int64_t r = 0; r < rows; r++) {
        const float *a = go + r * D, *bb = od + r * D;
        float s = 0.0f;
_Pragma("omp simd reduction(+ : s)")
        for (int d = 0; d < D; d++) s += a[d] * bb[d];
        di[r] = s;
    });
    const int64_t units = BH * ns;
MOSA_PARALLEL_FOR(nt > 1 && units > 1, schedule(dynamic, 1) num_threads(nt),
    for (int64_t u = 0; u < units; u++) {
        const int64_t bh = u / ns;
        const int ch = (int)(u % ns);
        const int b = (int)(bh / NH), h = (int)(bh % NH);
        const int kb0 = (int)((int64_t)ch * nkb / ns), kb1 = (int)((int64_t)(ch + 1) * nkb / ns);
        float *sc = scratch + (size_t)ATT_TID() * per;
        float *dqh = NULL;
        if (gq) dqh = ch == 0 ? gq + bh * T * D : dqx + ((int64_t)(ch - 1) * BH + bh) * T * D;
        float *pbuf = sc, *dsbuf = sc + ATT_BQ * ATT_BK, *kt = sc + 2 * ATT_BQ * ATT_BK, *vt = kt + (size_t)D * ATT_BK;
        att_bwd_keys(dqh, gk ? gk + bh * S * D : NULL, gv ? gv + bh * S * D : NULL, pbuf, dsbuf, kt, vt,
                     go + bh * T * D, sv->lse + bh * T, di + bh * T, qd.p + b * qd.sb + h * qd.sh, qd.sl,
                     kd.p + b * kd.sb + h * kd.sh, kd.sl, vd.p + b * vd.sb + h * vd.sh, vd.sl,
                     sv->key_mask ? sv->key_mask + (int64_t)b * S : NULL, kb0, kb1, T, S, D, causal, scale);
    });
    if (dqx) { /* sum the private dq of the extra key chunks */
        const int64_t nel = BH * T * D, chunk = 4096;
MOSA_PARALLEL_FOR(nt > 1, num_threads(nt),
        for (int64_t e0 = 0; e0 < nel; e0 += chunk) {
            const int64_t e1 = e0 + chunk < nel ? e0 + chunk : nel;
            for (int s = 0; s < ns - 1; s++) {
                const float *src = dqx + (int64_t)s * nel;
_Pragma("omp simd")
                for (int64_t e = e0; e < e1; e++) gq[e] += src[e];
            }
        });
    }
    arena_release(&c->mem, mk);
}

tensor *op_attention(ctx *c, tensor *q, tensor *k, tensor *v, int causal, const uint8_t *key_mask, float scale) {
    if (!q || !k || !v) return NULL;
    char sq[64], sk[64], sv_[64];
    t_shape_str(q, sq, sizeof sq);
    t_shape_str(k, sk, sizeof sk);
    t_shape_str(v, sv_, sizeof sv_);
    T_CHECK(c, q->nd == 4 && k->nd == 4 && v->nd == 4,
            "attention: q, k, v must be (B,NH,T,D), (B,NH,S,D), (B,NH,S,D); got %s, %s, %s", sq, sk, sv_);
    T_CHECK(c, t_same_shape(k, v), "attention: k %s and v %s must have the same shape (B,NH,S,D)", sk, sv_);
    T_CHECK(c, q->shape[0] == k->shape[0] && q->shape[1] == k->shape[1] && q->shape[3] == k->shape[3],
            "attention: q %s and k %s must agree in B, NH and D", sq, sk);
    T_CHECK(c, q->shape[2] <= INT_MAX && k->shape[2] <= INT_MAX && q->shape[3] <= INT_MAX,
            "attention: q %s / k %s exceed the int range of the kernels", sq, sk);
    T_CHECK(c, isfinite(scale), "attention: scale must be finite");
    const int B = (int)q->shape[0], NH = (int)q->shape[1], T = (int)q->shape[2], S = (int)k->shape[2];
    const int D = (int)q->shape[3];
    if (scale == 0.0f) scale = D > 0 ? 1.0f / sqrtf((float)D) : 1.0f;
    causal = !!causal;
    att_in qd, kd, vd;
    q = att_operand(c, q, &qd);
    k = att_operand(c, k, &kd);
    v = att_operand(c, v, &vd);
    if (!q || !k || !v) return NULL;
    tensor *o = t_new(c, 4, (int64_t[]){B, NH, T, D});
    if (!o) return NULL;
    const int64_t BH = (int64_t)B * NH;
    const int want = c->grad_enabled && (q->requires_grad || k->requires_grad || v->requires_grad);
    /* lse and the mask copy live on when backward needs them; otherwise they are scratch. */
    arena_mark mk = arena_get_mark(&c->mem);
    float *lse = arena_alloc(&c->mem, (size_t)(BH * T > 0 ? BH * T : 1) * sizeof(float));
    uint8_t *km = NULL;
    const int64_t BS = (int64_t)B * S;
    if (key_mask && BS > 0) {
        km = arena_alloc(&c->mem, (size_t)BS);
        if (km) memcpy(km, key_mask, (size_t)BS);
    }
    if (!lse || (key_mask && BS > 0 && !km)) return ctx_fail(c, MOSA_ERR_NOMEM, "attention: %s", mosa_last_error());
    if (want) mk = arena_get_mark(&c->mem);
    const int nt = threads_get();
    float *scratch = arena_alloc(&c->mem, (size_t)nt * att_fwd_scratch(D) * sizeof(float));
    if (!scratch) return ctx_fail(c, MOSA_ERR_NOMEM, "attention: %s", mosa_last_error());
    if (BH * T * D > 0) {
        if (S > 0) {
            attention_forward(o->data, lse, scratch, qd, kd, vd, km, B, NH, T, S, D, causal, scale, nt);
        } else { /* no keys: every row sees nothing */
            memset(o->data, 0, (size_t)(BH * T * D) * sizeof(float));
            for (int64_t r = 0; r < BH * T; r++) lse[r] = INFINITY;
        }
    }
    arena_release(&c->mem, mk);
    if (!want) return o;
    tensor *in[3] = {q, k, v};
    tape_node *n = tape_push(c, "attention", attention_backward, o, 3, in);
    if (n) {
        att_saved *s = arena_alloc(&c->mem, sizeof *s);
        if (!s) return ctx_fail(c, MOSA_ERR_NOMEM, "attention: %s", mosa_last_error());
        s->lse = lse;
        s->key_mask = km;
        n->saved = s;
        n->ip[0] = causal;
        n->fp[0] = scale;
    }
    return o;
}
