/* op_loss.c: scalar training losses: cross entropy over class logits, and the mean pointwise
 * regression losses (MSE, L1, smooth L1, weighted MSE).
 *
 * Each loss returns an nd=0 tensor. Sums run in double over a fixed blocking, so a loss's bytes
 * do not depend on the thread count. The losses of the MoSA objective that combine several
 * terms (L_d + lambda_m L_m + ...) are composed in src/train from these; this file holds only
 * the primitive ops. */
#include "ops.h"

#include <math.h>

#define PAR_MIN 32768 /* elements below which a kernel stays on one thread */

/* ------------------------------------------------------------------------------------------ */
/* Cross entropy kernels                                                                       */
/* ------------------------------------------------------------------------------------------ */

// logits is (N,C); targets, losses and lse are (N)
void cross_entropy_forward(float *losses, float *lse, const float *logits, const int32_t *targets, int64_t N,
                           int64_t C, int ignore_index) {
MOSA_PARALLEL_FOR(N * C > PAR_MIN, schedule(static),
    for (int64_t n = 0; n < N; n++) {
        const float *x = logits + n * C;
        const float m = max_vec(x, C);
        float s = 0;
_Pragma("omp simd reduction(+ : s)")
        for (int64_t j = 0; j < C; j++) s += expf_vec(x[j] - m);
        const float ls = logf(s);
        lse[n] = m + ls;
        const int32_t t = targets[n];
        losses[n] = t == ignore_index ? 0.0f : (m - x[t]) + ls;
    });
}

// logits is (N,C); targets, losses and lse are (N)
void cross_entropy_forward_ref(float *losses, float *lse, const float *logits, const int32_t *targets,
                               int64_t N, int64_t C, int ignore_index) {
    for (int64_t n = 0; n < N; n++) {
        const float *x = logits + n * C;
        float m = -INFINITY;
        for (int64_t j = 0; j < C; j++)
            if (x[j] > m) m = x[j];
        double s = 0;
        for (int64_t j = 0; j < C; j++) s += exp((double)x[j] - m);
        lse[n] = (float)(m + log(s));
        losses[n] = targets[n] == ignore_index ? 0.0f : (float)((double)m - x[targets[n]] + log(s));
    }
}

// logits and dlogits are (N,C); targets and lse are (N)
void cross_entropy_backward(float *dlogits, const float *logits, const float *lse, const int32_t *targets,
                            float g, int64_t N, int64_t C, int ignore_index) {
MOSA_PARALLEL_FOR(N * C > PAR_MIN, schedule(static),
    for (int64_t n = 0; n < N; n++) {
        const int32_t t = targets[n];
        if (t == ignore_index) continue;
        const float *x = logits + n * C;
        float *d = dlogits + n * C;
        const float l = lse[n];
_Pragma("omp simd")
        for (int64_t j = 0; j < C; j++) d[j] += g * expf_vec(x[j] - l);
        d[t] -= g;
    });
}

// logits and dlogits are (N,C); targets and lse are (N)
void cross_entropy_backward_ref(float *dlogits, const float *logits, const float *lse, const int32_t *targets,
                                float g, int64_t N, int64_t C, int ignore_index) {
    for (int64_t n = 0; n < N; n++) {
        if (targets[n] == ignore_index) continue;
        for (int64_t j = 0; j < C; j++) {
            const float p = expf(logits[n * C + j] - lse[n]);
            dlogits[n * C + j] += g * (p - (j == targets[n] ? 1.0f : 0.0f));
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Cross entropy op                                                                            */
/* ------------------------------------------------------------------------------------------ */

/* saved: lse (N floats) followed by the targets (N int32); ip = {N, C, ignore_index};
 * fp[0] = 1/count (0 when every row is ignored). */
static void cross_entropy_op_backward(ctx *c, tape_node *n) {
    tensor *x = n->in[0];
    float *gx = t_grad(c, x);
    if (!gx) return;
    const int64_t N = n->ip[0], C = n->ip[1];
    const float *lse = n->saved;
    const int32_t *tgt = (const int32_t *)(lse + N);
    cross_entropy_backward(gx, x->data, lse, tgt, n->out->grad[0] * n->fp[0], N, C, (int)n->ip[2]);
}

tensor *op_cross_entropy(ctx *c, tensor *logits, const int32_t *targets, int ignore_index) {
    if (!logits) return NULL;
    char b[64];
    T_CHECK(c, logits->nd >= 1 && logits->shape[logits->nd - 1] >= 1,
            "cross_entropy: logits must be (N,C) or (...,C) with C >= 1, got %s", t_shape_str(logits, b, sizeof b));
    const int64_t C = logits->shape[logits->nd - 1], N = t_numel(logits) / C;
    T_CHECK(c, N == 0 || targets, "cross_entropy: targets is NULL for logits %s", t_shape_str(logits, b, sizeof b));
    int64_t count = 0;
    for (int64_t i = 0; i < N; i++) {
        const int32_t t = targets[i];
        if (t == ignore_index) continue;
        T_CHECK(c, t >= 0 && t < C,
                "cross_entropy: target %d at index %lld is outside [0, %lld) (C = %lld, logits %s, ignore_index %d)",
                (int)t, (long long)i, (long long)C, (long long)C, t_shape_str(logits, b, sizeof b), ignore_index);
        count++;
    }
    logits = op_contiguous(c, logits);
    if (!logits) return NULL;
    tensor *o = t_new(c, 0, NULL);
    if (!o) return NULL;
    /* lse and a copy of the targets, kept for backward */
    float *lse = arena_alloc(&c->mem, (size_t)(2 * N + 1) * sizeof(float));
    if (!lse) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    int32_t *tgt = (int32_t *)(lse + N);
    if (N) memcpy(tgt, targets, (size_t)N * sizeof(int32_t));
    arena_mark mk = arena_get_mark(&c->mem);
    float *losses = arena_alloc(&c->mem, (size_t)(N + 1) * sizeof(float));
    if (!losses) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    cross_entropy_forward(losses, lse, logits->data, tgt, N, C, ignore_index);
    double total = 0;
    for (int64_t i = 0; i < N; i++) total += losses[i];
    arena_release(&c->mem, mk);
    o->data[0] = count ? (float)(total / (double)count) : NAN; /* all ignored: NaN, as PyTorch */
    tape_node *n = tape_push(c, "cross_entropy", cross_entropy_op_backward, o, 1, &logits);
    if (n) {
        n->ip[0] = N, n->ip[1] = C, n->ip[2] = ignore_index;
        n->fp[0] = count ? 1.0f / (float)count : 0.0f;
        n->saved = lse;
    }
    return o;
}

/* ------------------------------------------------------------------------------------------ */
/* Pointwise regression losses                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef enum { LOSS_MSE, LOSS_L1, LOSS_SMOOTH_L1, LOSS_WMSE } loss_kind;

/* Sum over N elements of the per-element loss of d = a - b (weighted by w for LOSS_WMSE, whose
 * weight sum goes to *wsum), in double over 64 fixed blocks. */
static double loss_sum(loss_kind kind, const float *a, const float *b, const float *w, int64_t N, float beta,
                       double *wsum) {
    enum { NCHUNK = 64 };
    double part[NCHUNK], wpart[NCHUNK];
    const int64_t chunk = (N + NCHUNK - 1) / NCHUNK;
MOSA_PARALLEL_FOR(N > PAR_MIN, schedule(static),
    for (int k = 0; k < NCHUNK; k++) {
        const int64_t lo = k * chunk < N ? k * chunk : N, hi = lo + chunk < N ? lo + chunk : N;
        double s = 0, sw = 0;
        switch (kind) {
        case LOSS_MSE:
_Pragma("omp simd reduction(+ : s)")
            for (int64_t i = lo; i < hi; i++) {
                const float d = a[i] - b[i];
                s += d * d;
            }
            break;
        case LOSS_L1:
_Pragma("omp simd reduction(+ : s)")
            for (int64_t i = lo; i < hi; i++) s += fabsf(a[i] - b[i]);
            break;
        case LOSS_SMOOTH_L1:
_Pragma("omp simd reduction(+ : s)")
            for (int64_t i = lo; i < hi; i++) {
                const float ad = fabsf(a[i] - b[i]);
                s += ad < beta ? 0.5f * ad * ad / beta : ad - 0.5f * beta;
            }
            break;
        case LOSS_WMSE:
_Pragma("omp simd reduction(+ : s, sw)")
            for (int64_t i = lo; i < hi; i++) {
                const float d = a[i] - b[i];
                s += w[i] * d * d;
                sw += w[i];
            }
            break;
        }
        part[k] = s;
        wpart[k] = sw;
    });
    double total = 0, wtotal = 0;
    for (int k = 0; k < NCHUNK; k++) total += part[k], wtotal += wpart[k];
    if (wsum) *wsum = wtotal;
    return total;
}

/* w broadcast to a's shape as N contiguous floats: w's own data when it already has that
 * layout, else a copy in the arena (NULL + error when out of memory). */
static const float *expand_weight(ctx *c, const tensor *w, const tensor *a) {
    if (t_same_shape(w, a) && t_is_contiguous(w)) return w->data;
    tensor e = *a; /* a's shape, w's data with broadcast strides */
    e.data = w->data;
    for (int i = 0; i < a->nd; i++) {
        const int j = i - (a->nd - w->nd);
        e.stride[i] = (j < 0 || w->shape[j] == 1) ? 0 : w->stride[j];
    }
    float *buf = arena_alloc(&c->mem, (size_t)(t_numel(a) + 1) * sizeof(float));
    if (!buf) {
        ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        return NULL;
    }
    t_copy_to_contiguous(buf, &e);
    return buf;
}

/* gx[i] += scale * d loss_i / d a_i over N elements (scale carries the sign for b). */
static void loss_grad_into(float *gx, float scale, loss_kind kind, const float *a, const float *b, const float *w,
                           int64_t N, float beta) {
    switch (kind) {
    case LOSS_MSE:
MOSA_PARALLEL_FOR(N > PAR_MIN, simd schedule(static),
        for (int64_t i = 0; i < N; i++) gx[i] += scale * 2.0f * (a[i] - b[i]););
        break;
    case LOSS_L1: /* sign(d), 0 at 0 as torch.sign */
MOSA_PARALLEL_FOR(N > PAR_MIN, simd schedule(static),
        for (int64_t i = 0; i < N; i++) gx[i] += scale * (float)((a[i] > b[i]) - (a[i] < b[i])););
        break;
    case LOSS_SMOOTH_L1:
MOSA_PARALLEL_FOR(N > PAR_MIN, simd schedule(static),
        for (int64_t i = 0; i < N; i++) {
            const float d = a[i] - b[i], sg = (float)((d > 0.0f) - (d < 0.0f));
            gx[i] += scale * (fabsf(d) < beta ? d / beta : sg);
        });
        break;
    case LOSS_WMSE:
MOSA_PARALLEL_FOR(N > PAR_MIN, simd schedule(static),
        for (int64_t i = 0; i < N; i++) gx[i] += scale * 2.0f * w[i] * (a[i] - b[i]););
        break;
    }
}

/* ip[0] = kind; fp[0] = d loss / d sum (1/N or 1/sum(w)); fp[1] = beta; aux[0] = w. */
static void loss_op_backward(ctx *c, tape_node *n) {
    tensor *a = n->in[0], *b = n->in[1];
    float *ga = a->requires_grad ? t_grad(c, a) : NULL;
    float *gb = b->requires_grad ? t_grad(c, b) : NULL;
    if (c->status != MOSA_OK) return;
    const loss_kind kind = (loss_kind)n->ip[0];
    const float g = n->out->grad[0] * n->fp[0], beta = n->fp[1];
    const int64_t N = t_numel(a);
    const float *w = NULL;
    arena_mark mk = arena_get_mark(&c->mem); /* after the grads: see tensor.h */
    if (kind == LOSS_WMSE && !(w = expand_weight(c, n->aux[0], a))) return;
    if (ga) loss_grad_into(ga, g, kind, a->data, b->data, w, N, beta);
    if (gb) loss_grad_into(gb, -g, kind, a->data, b->data, w, N, beta);
    arena_release(&c->mem, mk);
}

static tensor *loss_op(ctx *c, tensor *a, tensor *b, tensor *w, loss_kind kind, float beta, const char *name) {
    if (!a || !b) return NULL;
    char sa[64], sb[64];
    T_CHECK(c, t_same_shape(a, b), "%s: shapes %s and %s differ (the loss needs equal shapes)", name,
            t_shape_str(a, sa, sizeof sa), t_shape_str(b, sb, sizeof sb));
    if (kind == LOSS_WMSE) {
        if (!w) return NULL;
        int64_t bs[T_MAX_DIMS];
        const int nd = t_broadcast_shape(w, a, bs);
        int ok = nd == a->nd;
        for (int i = 0; ok && i < nd; i++) ok = bs[i] == a->shape[i];
        T_CHECK(c, ok, "%s: weight shape %s does not broadcast to the input shape %s", name,
                t_shape_str(w, sa, sizeof sa), t_shape_str(a, sb, sizeof sb));
    }
    a = op_contiguous(c, a);
    b = op_contiguous(c, b);
    if (!a || !b) return NULL;
    tensor *o = t_new(c, 0, NULL);
    if (!o) return NULL;
    const int64_t N = t_numel(a);
    double wsum = 0, total;
    float dscale;
    if (kind == LOSS_WMSE) {
        arena_mark mk = arena_get_mark(&c->mem);
        const float *pw = expand_weight(c, w, a);
        if (!pw) return NULL;
        total = loss_sum(kind, a->data, b->data, pw, N, beta, &wsum);
        arena_release(&c->mem, mk);
        /* all-zero weights: nothing to weigh, loss and gradient 0 */
        o->data[0] = wsum != 0 ? (float)(total / wsum) : 0.0f;
        dscale = wsum != 0 ? (float)(1.0 / wsum) : 0.0f;
    } else {
        total = loss_sum(kind, a->data, b->data, NULL, N, beta, NULL);
        o->data[0] = N ? (float)(total / (double)N) : NAN; /* mean of nothing: NaN, as PyTorch */
        dscale = N ? 1.0f / (float)N : 0.0f;
    }
    tensor *in[2] = {a, b};
    tape_node *n = tape_push(c, name, loss_op_backward, o, 2, in);
    if (n) {
        n->ip[0] = kind;
        n->fp[0] = dscale, n->fp[1] = beta;
        n->aux[0] = w;
    }
    return o;
}

tensor *op_mse_loss(ctx *c, tensor *a, tensor *b) { return loss_op(c, a, b, NULL, LOSS_MSE, 0, "mse_loss"); }
tensor *op_l1_loss(ctx *c, tensor *a, tensor *b) { return loss_op(c, a, b, NULL, LOSS_L1, 0, "l1_loss"); }

tensor *op_smooth_l1_loss(ctx *c, tensor *a, tensor *b, float beta) {
    if (!a || !b) return NULL;
    T_CHECK(c, beta >= 0.0f, "smooth_l1_loss: beta = %g must be >= 0", (double)beta);
    if (beta == 0.0f) return loss_op(c, a, b, NULL, LOSS_L1, 0, "smooth_l1_loss"); /* as PyTorch */
    return loss_op(c, a, b, NULL, LOSS_SMOOTH_L1, beta, "smooth_l1_loss");
}

tensor *op_weighted_mse_loss(ctx *c, tensor *a, tensor *b, tensor *w) {
    return loss_op(c, a, b, w, LOSS_WMSE, 0, "weighted_mse_loss");
}
