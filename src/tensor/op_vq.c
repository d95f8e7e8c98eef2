/* op_vq.c: vector quantization (VQ-VAE bottleneck) with the straight-through estimator.
 *
 * What this is: the nearest-code search (fast: ||c||^2 - 2 z.c from one SGEMM per block of rows,
 * the ||z||^2 term dropped since it does not change the argmin; naive: direct squared distances
 * in double), the quantized output whose gradient passes to z unchanged, and the VQ-VAE loss
 * beta * mean((z - sg(q))^2) + mean((sg(z) - q)^2) (commitment term to z, codebook term to the
 * codebook). What this is not: EMA codebook updates, dead-code restarts or residual VQ; those
 * belong to the motion VQ-VAE that uses this op. */
#include "ops.h"

#include <cblas.h>
#include <string.h>

/* Most floats of the (rows x K) dot-product block the fast search keeps at once. */
#define VQ_DOT_FLOATS (1 << 18)
#define VQ_PAR_MIN 32768
#define VQ_CB 64

static int64_t vq_block_rows(int64_t N, int64_t K) {
    int64_t nb = VQ_DOT_FLOATS / (K > 0 ? K : 1);
    if (nb < 1) nb = 1;
    return nb < N ? nb : N;
}

int64_t vq_argmin_work_floats(int64_t N, int64_t K) { return K + vq_block_rows(N, K) * K; }

/* Ties go to the lowest index (strict <), like torch.argmin. */
// z is (N,D), cb (K,D), idx (N); work vq_argmin_work_floats(N,K) floats
void vq_argmin(int32_t *idx, float *work, const float *z, const float *cb, int64_t N, int64_t K, int64_t D) {
    float *cn = work, *dots = work + K;
MOSA_PARALLEL_FOR(K * D > VQ_PAR_MIN, schedule(static),
    for (int64_t k = 0; k < K; k++) {
        const float *r = cb + k * D;
        float s = 0;
_Pragma("omp simd reduction(+ : s)")
        for (int64_t d = 0; d < D; d++) s += r[d] * r[d];
        cn[k] = s;
    });
    const int64_t nb = vq_block_rows(N, K);
    for (int64_t n0 = 0; n0 < N; n0 += nb) {
        const int64_t m = n0 + nb < N ? nb : N - n0;
        /* dots (m,K) = z[n0:n0+m] (m,D) @ cb^T (D,K) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)K, (int)D, 1.0f, z + n0 * D, (int)D, cb,
                    (int)D, 0.0f, dots, (int)K);
MOSA_PARALLEL_FOR(m * K > VQ_PAR_MIN, schedule(static),
        for (int64_t i = 0; i < m; i++) {
            const float *row = dots + i * K;
            float best = cn[0] - 2.0f * row[0];
            int32_t bi = 0;
            for (int64_t k = 1; k < K; k++) {
                const float d = cn[k] - 2.0f * row[k];
                if (d < best) {
                    best = d;
                    bi = (int32_t)k;
                }
            }
            idx[n0 + i] = bi;
        });
    }
}

// z is (N,D), cb (K,D), idx (N)
void vq_argmin_ref(int32_t *idx, const float *z, const float *cb, int64_t N, int64_t K, int64_t D) {
    for (int64_t n = 0; n < N; n++) {
        double best = 0;
        int32_t bi = 0;
        for (int64_t k = 0; k < K; k++) {
            double s = 0;
            for (int64_t d = 0; d < D; d++) {
                const double e = (double)z[n * D + d] - cb[k * D + d];
                s += e * e;
            }
            if (k == 0 || s < best) {
                best = s;
                bi = (int32_t)k;
            }
        }
        idx[n] = bi;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Op                                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* Straight-through: dz += dz_q. */
static void vq_st_bw(ctx *c, tape_node *n) {
    float *gz = t_grad(c, n->in[0]);
    if (!gz) return;
    const float *go = n->out->grad;
    const int64_t k = t_numel(n->out);
MOSA_PARALLEL_FOR(k > VQ_PAR_MIN, simd schedule(static),
    for (int64_t i = 0; i < k; i++) gz[i] += go[i];);
}

/* loss = beta*mean((z-sg(q))^2) + mean((sg(z)-q)^2): dz += g*beta*2(z-q)/(N*D) and
 * dcb[idx[n]] += g*2(q-z)/(N*D); saved = idx, fp[0] = beta. */
static void vq_loss_bw(ctx *c, tape_node *n) {
    tensor *z = n->in[0], *cb = n->in[1];
    float *gz = tape_wants(n, 0) ? t_grad(c, z) : NULL;
    float *gc = tape_wants(n, 1) ? t_grad(c, cb) : NULL;
    if (c->status != MOSA_OK) return;
    const int32_t *idx = n->saved;
    const int64_t N = z->shape[0], D = z->shape[1];
    const float g = n->out->grad[0], inv = 2.0f / (float)(N * D);
    const float *zd = z->data, *cd = cb->data;
    if (gz) {
        const float a = g * n->fp[0] * inv;
MOSA_PARALLEL_FOR(N * D > VQ_PAR_MIN, schedule(static),
        for (int64_t i = 0; i < N; i++) {
            const float *zr = zd + i * D, *q = cd + (int64_t)idx[i] * D;
            float *d = gz + i * D;
_Pragma("omp simd")
            for (int64_t j = 0; j < D; j++) d[j] += a * (zr[j] - q[j]);
        });
    }
    if (gc) {
        /* Scatter over codes: each thread owns a column block, so shared codes never race. */
        const float a = g * inv;
        const int64_t nb = (D + VQ_CB - 1) / VQ_CB;
MOSA_PARALLEL_FOR(N * D > VQ_PAR_MIN && nb > 1, schedule(static),
        for (int64_t blk = 0; blk < nb; blk++) {
            const int64_t c0 = blk * VQ_CB, L = (c0 + VQ_CB < D ? c0 + VQ_CB : D) - c0;
            for (int64_t i = 0; i < N; i++) {
                const float *zr = zd + i * D + c0, *q = cd + (int64_t)idx[i] * D + c0;
                float *d = gc + (int64_t)idx[i] * D + c0;
_Pragma("omp simd")
                for (int64_t j = 0; j < L; j++) d[j] += a * (q[j] - zr[j]);
            }
        });
    }
}

tensor *op_vq(ctx *c, tensor *z, tensor *codebook, int32_t *indices_out, float beta, tensor **loss_out) {
    if (loss_out) *loss_out = NULL;
    if (!z || !codebook) return NULL;
    char sz[64], sc[64];
    T_CHECK(c,
            z->nd == 2 && codebook->nd == 2 && z->shape[1] == codebook->shape[1] && z->shape[0] >= 1 &&
                z->shape[1] >= 1 && codebook->shape[0] >= 1,
            "vq: z %s must be (N,D) and codebook %s (K,D), with N, K, D >= 1", t_shape_str(z, sz, sizeof sz),
            t_shape_str(codebook, sc, sizeof sc));
    T_CHECK(c, codebook->shape[0] <= INT32_MAX && z->shape[1] <= INT32_MAX && z->shape[0] <= INT32_MAX,
            "vq: z %s or codebook %s is too large for 32-bit indices", t_shape_str(z, sz, sizeof sz),
            t_shape_str(codebook, sc, sizeof sc));
    z = op_contiguous(c, z);
    codebook = op_contiguous(c, codebook);
    if (!z || !codebook) return NULL;
    const int64_t N = z->shape[0], K = codebook->shape[0], D = z->shape[1];
    int32_t *idx = arena_alloc(&c->mem, (size_t)N * sizeof(int32_t));
    if (!idx) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    {
        arena_mark mk = arena_get_mark(&c->mem);
        float *work = arena_alloc(&c->mem, (size_t)vq_argmin_work_floats(N, K) * sizeof(float));
        if (!work) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        vq_argmin(idx, work, z->data, codebook->data, N, K, D);
        arena_release(&c->mem, mk);
    }
    if (indices_out) memcpy(indices_out, idx, (size_t)N * sizeof(int32_t));
    tensor *zq = t_new(c, 2, z->shape);
    if (!zq) return NULL;
    double sse = 0;
MOSA_PARALLEL_FOR(N * D > VQ_PAR_MIN, schedule(static) reduction(+ : sse),
    for (int64_t i = 0; i < N; i++) {
        const float *q = codebook->data + (int64_t)idx[i] * D, *zr = z->data + i * D;
        memcpy(zq->data + i * D, q, (size_t)D * sizeof(float));
        float s = 0;
_Pragma("omp simd reduction(+ : s)")
        for (int64_t j = 0; j < D; j++) s += (zr[j] - q[j]) * (zr[j] - q[j]);
        sse += s;
    });
    tape_push(c, "vq", vq_st_bw, zq, 1, &z);
    if (loss_out) {
        tensor *loss = t_new(c, 0, NULL);
        if (!loss) return NULL;
        const double mse = sse / (double)(N * D);
        loss->data[0] = (float)(beta * mse + mse);
        tensor *in[2] = {z, codebook};
        tape_node *n = tape_push(c, "vq_loss", vq_loss_bw, loss, 2, in);
        if (n) {
            n->saved = idx;
            n->fp[0] = beta;
        }
        *loss_out = loss;
    }
    return zq;
}
