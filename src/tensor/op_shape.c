/* op_shape.c: embedding lookup, concat, split and constant padding.
 *
 * What this is: ops that move data without arithmetic. They read any strides directly (no
 * contiguous copy first) and write a new contiguous output; backward adds the matching block of
 * the output gradient back into each input's gradient. Split returns views (op_slice).
 * What this is not: views. Concat and pad always copy; reshape/permute/slice live in tensor.c. */
#include "ops.h"

#include <string.h>

/* Work (elements) below which copies stay single-threaded. */
#define SHAPE_PAR_MIN 65536
/* Column block width for the embedding scatter (each block owned by one thread). */
#define EMB_CB 64

/* dst (=, or += when acc) src over `shape`, both addressed by element strides. Used with dst
 * strides that never alias (a contiguous block of an output or a gradient). */
static void strided_apply(float *dst, const int64_t *dst_stride, const float *src, const int64_t *src_stride, int nd,
                          const int64_t *shape, int acc) {
    int64_t sh[T_MAX_DIMS] = {1, 1, 1, 1, 1}, ds[T_MAX_DIMS] = {0}, ss[T_MAX_DIMS] = {0};
    const int off = T_MAX_DIMS - nd;
    for (int i = 0; i < nd; i++) {
        sh[off + i] = shape[i];
        ds[off + i] = dst_stride[i];
        ss[off + i] = src_stride[i];
    }
    const int64_t outer = sh[0] * sh[1] * sh[2] * sh[3], L = sh[4];
    if (outer == 0 || L == 0) return;
MOSA_PARALLEL_FOR(outer * L > SHAPE_PAR_MIN && outer > 1, schedule(static),
    for (int64_t o = 0; o < outer; o++) {
        int64_t r = o;
        const int64_t i3 = r % sh[3];
        r /= sh[3];
        const int64_t i2 = r % sh[2];
        r /= sh[2];
        const int64_t i1 = r % sh[1], i0 = r / sh[1];
        float *d = dst + i0 * ds[0] + i1 * ds[1] + i2 * ds[2] + i3 * ds[3];
        const float *s = src + i0 * ss[0] + i1 * ss[1] + i2 * ss[2] + i3 * ss[3];
        if (ds[4] == 1 && ss[4] == 1) {
            if (acc) {
_Pragma("omp simd")
                for (int64_t i = 0; i < L; i++) d[i] += s[i];
            } else {
                memcpy(d, s, (size_t)L * sizeof(float));
            }
        } else if (acc) {
            for (int64_t i = 0; i < L; i++) d[i * ds[4]] += s[i * ss[4]];
        } else {
            for (int64_t i = 0; i < L; i++) d[i * ds[4]] = s[i * ss[4]];
        }
    });
}

static void contiguous_strides_of(int nd, const int64_t *shape, int64_t *st) {
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        st[i] = s;
        s *= shape[i];
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Embedding                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Saved state of an embedding node: the ids (copied into the arena) and their count. */
typedef struct emb_saved {
    const int32_t *ids;
    int64_t n;
} emb_saved;

/* dweight[ids[k], :] += dout[k, :]; parallel over column blocks so repeated ids never race. */
// dout is (n,C), dweight (V,C)
static void embedding_backward(float *dweight, const float *dout, const int32_t *ids, int64_t n, int64_t C) {
    const int64_t nb = (C + EMB_CB - 1) / EMB_CB;
MOSA_PARALLEL_FOR(n * C > SHAPE_PAR_MIN && nb > 1, schedule(static),
    for (int64_t blk = 0; blk < nb; blk++) {
        const int64_t c0 = blk * EMB_CB, L = (c0 + EMB_CB < C ? c0 + EMB_CB : C) - c0;
        for (int64_t k = 0; k < n; k++) {
            float *d = dweight + (int64_t)ids[k] * C + c0;
            const float *g = dout + k * C + c0;
_Pragma("omp simd")
            for (int64_t i = 0; i < L; i++) d[i] += g[i];
        }
    });
}

static void embedding_bw(ctx *c, tape_node *n) {
    tensor *w = n->in[0];
    float *gw = t_grad(c, w);
    if (!gw) return;
    const emb_saved *s = n->saved;
    embedding_backward(gw, n->out->grad, s->ids, s->n, w->shape[1]);
}

tensor *op_embedding(ctx *c, tensor *weight, const int32_t *ids, int nd, const int64_t *shape) {
    if (!weight) return NULL;
    char sw[64];
    T_CHECK(c, weight->nd == 2, "embedding: weight %s must be (V,C)", t_shape_str(weight, sw, sizeof sw));
    T_CHECK(c, nd >= 0 && nd < T_MAX_DIMS, "embedding: ids have %d dims (at most %d)", nd, T_MAX_DIMS - 1);
    T_CHECK(c, nd == 0 || shape, "embedding: ids shape is NULL");
    int64_t count = 1;
    for (int i = 0; i < nd; i++) {
        T_CHECK(c, shape[i] >= 0, "embedding: ids dim %d has negative size %lld", i, (long long)shape[i]);
        count *= shape[i];
    }
    T_CHECK(c, count == 0 || ids, "embedding: ids are NULL");
    const int64_t V = weight->shape[0], C = weight->shape[1];
    for (int64_t k = 0; k < count; k++)
        T_CHECK(c, ids[k] >= 0 && ids[k] < V, "embedding: id %d at position %lld is outside [0, %lld) for weight %s",
                (int)ids[k], (long long)k, (long long)V, t_shape_str(weight, sw, sizeof sw));
    int64_t oshape[T_MAX_DIMS];
    for (int i = 0; i < nd; i++) oshape[i] = shape[i];
    oshape[nd] = C;
    tensor *out = t_new(c, nd + 1, oshape);
    if (!out) return NULL;
    const int64_t s0 = weight->stride[0], s1 = weight->stride[1];
MOSA_PARALLEL_FOR(count * C > SHAPE_PAR_MIN, schedule(static),
    for (int64_t k = 0; k < count; k++) {
        const float *row = weight->data + (int64_t)ids[k] * s0;
        float *o = out->data + k * C;
        if (s1 == 1) memcpy(o, row, (size_t)C * sizeof(float));
        else
            for (int64_t i = 0; i < C; i++) o[i] = row[i * s1];
    });
    tape_node *n = tape_push(c, "embedding", embedding_bw, out, 1, &weight);
    if (n) {
        emb_saved *s = arena_alloc(&c->mem, sizeof *s);
        int32_t *copy = arena_alloc(&c->mem, (size_t)count * sizeof(int32_t));
        if (!s || !copy) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        if (count) memcpy(copy, ids, (size_t)count * sizeof(int32_t));
        s->ids = copy;
        s->n = count;
        n->saved = s;
    }
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Concat and split                                                                            */
/* ------------------------------------------------------------------------------------------ */

/* The node's in[] holds at most T_MAX_INPUTS tensors, so a concat keeps its full input list
 * in `saved` (n = ip[0] entries, axis ip[1]); in[] lists the first inputs wanting a gradient. */
static void concat_bw(ctx *c, tape_node *n) {
    tensor *const *xs = n->saved;
    const int cnt = (int)n->ip[0], ax = (int)n->ip[1];
    const tensor *o = n->out;
    int64_t ost[T_MAX_DIMS], xst[T_MAX_DIMS];
    contiguous_strides_of(o->nd, o->shape, ost);
    int64_t off = 0;
    for (int i = 0; i < cnt; i++) {
        tensor *x = xs[i];
        if (x->requires_grad) {
            float *gx = t_grad(c, x);
            if (!gx) return;
            contiguous_strides_of(x->nd, x->shape, xst);
            strided_apply(gx, xst, o->grad + off * ost[ax], ost, x->nd, x->shape, 1);
        }
        off += x->shape[ax];
    }
}

tensor *op_concat(ctx *c, tensor *const *xs, int n, int axis) {
    T_CHECK(c, xs && n >= 1, "concat: needs at least one tensor, got %d", n);
    for (int i = 0; i < n; i++)
        if (!xs[i]) return NULL;
    const tensor *x0 = xs[0];
    char s0[64], si[64];
    const int ax = t_axis(x0, axis);
    T_CHECK(c, ax >= 0, "concat: axis %d out of range for %d dims", axis, x0->nd);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        const tensor *x = xs[i];
        int same = x->nd == x0->nd;
        for (int d = 0; same && d < x0->nd; d++)
            if (d != ax && x->shape[d] != x0->shape[d]) same = 0;
        T_CHECK(c, same, "concat: tensor %d has shape %s, tensor 0 has %s; all dims but %d must match", i,
                t_shape_str(x, si, sizeof si), t_shape_str(x0, s0, sizeof s0), ax);
        total += x->shape[ax];
    }
    int64_t oshape[T_MAX_DIMS], ost[T_MAX_DIMS];
    for (int d = 0; d < x0->nd; d++) oshape[d] = x0->shape[d];
    oshape[ax] = total;
    tensor *out = t_new(c, x0->nd, oshape);
    if (!out) return NULL;
    contiguous_strides_of(out->nd, out->shape, ost);
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        strided_apply(out->data + off * ost[ax], ost, xs[i]->data, xs[i]->stride, xs[i]->nd, xs[i]->shape, 0);
        off += xs[i]->shape[ax];
    }
    tensor *rg[T_MAX_INPUTS];
    int nrg = 0;
    for (int i = 0; i < n && nrg < T_MAX_INPUTS; i++)
        if (xs[i]->requires_grad) rg[nrg++] = xs[i];
    tape_node *node = tape_push(c, "concat", concat_bw, out, nrg, rg);
    if (node) {
        tensor **list = arena_alloc(&c->mem, (size_t)n * sizeof(tensor *));
        if (!list) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        memcpy(list, xs, (size_t)n * sizeof(tensor *));
        node->saved = list;
        node->ip[0] = n;
        node->ip[1] = ax;
    }
    return out;
}

int op_split(ctx *c, tensor *x, int axis, int n, const int64_t *sizes, tensor **out) {
    if (!out) {
        ctx_fail(c, MOSA_ERR_ARG, "split: the output array is NULL");
        return -1;
    }
    for (int i = 0; i < n; i++) out[i] = NULL;
    if (!x) return -1;
    char sx[64];
    const int ax = t_axis(x, axis);
    if (ax < 0) {
        ctx_fail(c, MOSA_ERR_ARG, "split: axis %d out of range for %s", axis, t_shape_str(x, sx, sizeof sx));
        return -1;
    }
    if (n < 1 || !sizes) {
        ctx_fail(c, MOSA_ERR_ARG, "split: needs at least one piece size, got %d", n);
        return -1;
    }
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        if (sizes[i] < 0) {
            ctx_fail(c, MOSA_ERR_ARG, "split: piece %d has negative size %lld", i, (long long)sizes[i]);
            return -1;
        }
        sum += sizes[i];
    }
    if (sum != x->shape[ax]) {
        ctx_fail(c, MOSA_ERR_ARG, "split: piece sizes sum to %lld but dim %d of %s has size %lld", (long long)sum, ax,
                 t_shape_str(x, sx, sizeof sx), (long long)x->shape[ax]);
        return -1;
    }
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        out[i] = op_slice(c, x, ax, off, sizes[i], 1);
        if (!out[i]) {
            for (int j = 0; j < n; j++) out[j] = NULL;
            return -1;
        }
        off += sizes[i];
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Pad                                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* ip[0..nd) holds `before`; the input is the interior block of the output. */
static void pad_bw(ctx *c, tape_node *n) {
    tensor *x = n->in[0];
    float *gx = t_grad(c, x);
    if (!gx) return;
    const tensor *o = n->out;
    int64_t ost[T_MAX_DIMS], xst[T_MAX_DIMS], off = 0;
    contiguous_strides_of(o->nd, o->shape, ost);
    contiguous_strides_of(x->nd, x->shape, xst);
    for (int d = 0; d < o->nd; d++) off += n->ip[d] * ost[d];
    strided_apply(gx, xst, o->grad + off, ost, x->nd, x->shape, 1);
}

tensor *op_pad(ctx *c, tensor *x, const int64_t *before, const int64_t *after, float value) {
    if (!x) return NULL;
    T_CHECK(c, x->nd == 0 || (before && after), "pad: before/after arrays are NULL");
    char sx[64];
    int64_t oshape[T_MAX_DIMS], ost[T_MAX_DIMS];
    for (int d = 0; d < x->nd; d++) {
        T_CHECK(c, before[d] >= 0 && after[d] >= 0, "pad: dim %d of %s has padding (%lld, %lld); each must be >= 0",
                d, t_shape_str(x, sx, sizeof sx), (long long)before[d], (long long)after[d]);
        oshape[d] = x->shape[d] + before[d] + after[d];
    }
    tensor *out = t_new(c, x->nd, oshape);
    if (!out) return NULL;
    const int64_t k = t_numel(out);
    float *po = out->data;
MOSA_PARALLEL_FOR(k > SHAPE_PAR_MIN, simd schedule(static),
    for (int64_t i = 0; i < k; i++) po[i] = value;);
    contiguous_strides_of(out->nd, out->shape, ost);
    int64_t off = 0;
    for (int d = 0; d < x->nd; d++) off += before[d] * ost[d];
    strided_apply(po + off, ost, x->data, x->stride, x->nd, x->shape, 0);
    tape_node *n = tape_push(c, "pad", pad_bw, out, 1, &x);
    if (n)
        for (int d = 0; d < x->nd; d++) n->ip[d] = before[d];
    return out;
}
