/* op_elementwise.c: broadcasting add/sub/mul/div and scalar scale/shift.
 *
 * This file is the pattern for ops: a kernel over contiguous buffers, a general strided path,
 * a backward that accumulates into the inputs' grads, and the op wrapper that checks shapes,
 * allocates the output and records the tape node. Broadcast dims are reduced in backward by
 * accumulating through stride-0 views (t_accumulate_strided sums repeated targets). */
#include "ops.h"

#include <string.h>

enum { EW_ADD, EW_SUB, EW_MUL, EW_DIV };

int t_broadcast_shape(const tensor *a, const tensor *b, int64_t *out) {
    int nd = a->nd > b->nd ? a->nd : b->nd;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->nd), ib = i - (nd - b->nd);
        int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1) return -1;
        out[i] = sa == 1 ? sb : sa;
    }
    return nd;
}

/* Strides of x broadcast to (nd, shape): 0 where x is broadcast. `grad_layout` gives the
 * strides of x's contiguous grad buffer instead of its data strides. */
static void broadcast_strides(const tensor *x, int nd, const int64_t *shape, int grad_layout, int64_t *st) {
    int64_t cs = 1;
    int64_t cstr[T_MAX_DIMS];
    for (int i = x->nd - 1; i >= 0; i--) {
        cstr[i] = cs;
        cs *= x->shape[i];
    }
    for (int i = 0; i < nd; i++) {
        int j = i - (nd - x->nd);
        if (j < 0 || (x->shape[j] == 1 && shape[i] != 1)) st[i] = 0;
        else st[i] = grad_layout ? cstr[j] : x->stride[j];
    }
}

/* out[i] = a[i] op b[i] over a 5-d index space with given strides (out contiguous). */
static void ew_strided(float *out, const float *a, const int64_t *sa, const float *b, const int64_t *sb,
                       const int64_t *sh, int op) {
    int64_t k = 0;
    for (int64_t i0 = 0; i0 < sh[0]; i0++)
        for (int64_t i1 = 0; i1 < sh[1]; i1++)
            for (int64_t i2 = 0; i2 < sh[2]; i2++)
                for (int64_t i3 = 0; i3 < sh[3]; i3++) {
                    const float *pa = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3];
                    const float *pb = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3];
                    float *po = out + k;
                    const int64_t n = sh[4], xa = sa[4], xb = sb[4];
                    switch (op) {
                    case EW_ADD: for (int64_t i = 0; i < n; i++) po[i] = pa[i * xa] + pb[i * xb]; break;
                    case EW_SUB: for (int64_t i = 0; i < n; i++) po[i] = pa[i * xa] - pb[i * xb]; break;
                    case EW_MUL: for (int64_t i = 0; i < n; i++) po[i] = pa[i * xa] * pb[i * xb]; break;
                    default:     for (int64_t i = 0; i < n; i++) po[i] = pa[i * xa] / pb[i * xb]; break;
                    }
                    k += n;
                }
}

static void pad5(int nd, const int64_t *in, int64_t *out, int64_t fill) {
    for (int i = 0; i < T_MAX_DIMS; i++) out[i] = fill;
    for (int i = 0; i < nd; i++) out[T_MAX_DIMS - nd + i] = in[i];
}

static void ew_backward(ctx *c, tape_node *n) {
    tensor *a = n->in[0], *b = n->in[1], *o = n->out;
    const int op = (int)n->ip[0];
    const int64_t numel = t_numel(o);
    const float *go = o->grad;
    /* Grads first: memory taken after the mark below is released at the end. */
    float *gxs[2] = {a->requires_grad ? t_grad(c, a) : NULL, b->requires_grad ? t_grad(c, b) : NULL};
    if (c->status != MOSA_OK) return;
    /* Scratch for the per-element partial derivative, then scattered through broadcast strides. */
    arena_mark mk = arena_get_mark(&c->mem);
    float *tmp = arena_alloc(&c->mem, (size_t)numel * sizeof(float));
    if (!tmp) {
        ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        return;
    }
    int64_t sa[T_MAX_DIMS], sb[T_MAX_DIMS];
    broadcast_strides(a, o->nd, o->shape, 0, sa);
    broadcast_strides(b, o->nd, o->shape, 0, sb);
    float *ac = NULL, *bc = NULL; /* a and b values broadcast to the output layout, when needed */
    if (op == EW_MUL || op == EW_DIV) {
        int64_t sh5[T_MAX_DIMS], sa5[T_MAX_DIMS], sb5[T_MAX_DIMS], z5[T_MAX_DIMS] = {0};
        pad5(o->nd, o->shape, sh5, 1);
        pad5(o->nd, sa, sa5, 0);
        pad5(o->nd, sb, sb5, 0);
        static const float zero = 0.0f;
        ac = arena_alloc(&c->mem, (size_t)numel * sizeof(float));
        bc = arena_alloc(&c->mem, (size_t)numel * sizeof(float));
        if (!ac || !bc) {
            ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
            return;
        }
        ew_strided(ac, a->data, sa5, &zero, z5, sh5, EW_ADD);
        ew_strided(bc, b->data, sb5, &zero, z5, sh5, EW_ADD);
    }
    for (int side = 0; side < 2; side++) {
        tensor *x = side ? b : a;
        if (!x->requires_grad) continue;
        for (int64_t i = 0; i < numel; i++) {
            float d;
            switch (op) {
            case EW_ADD: d = 1.0f; break;
            case EW_SUB: d = side ? -1.0f : 1.0f; break;
            case EW_MUL: d = side ? ac[i] : bc[i]; break;
            default: d = side ? -ac[i] / (bc[i] * bc[i]) : 1.0f / bc[i]; break;
            }
            tmp[i] = go[i] * d;
        }
        float *gx = gxs[side];
        int64_t st[T_MAX_DIMS];
        broadcast_strides(x, o->nd, o->shape, 1, st);
        if (t_same_shape(x, o)) {
            for (int64_t i = 0; i < numel; i++) gx[i] += tmp[i];
        } else {
            t_accumulate_strided(gx, st, tmp, o->nd, o->shape);
        }
    }
    arena_release(&c->mem, mk);
}

static tensor *ew_op(ctx *c, tensor *a, tensor *b, int op, const char *name) {
    if (!a || !b) return NULL;
    int64_t shape[T_MAX_DIMS];
    int nd = t_broadcast_shape(a, b, shape);
    char sa[64], sb[64];
    T_CHECK(c, nd >= 0, "%s: shapes %s and %s do not broadcast", name, t_shape_str(a, sa, sizeof sa),
            t_shape_str(b, sb, sizeof sb));
    tensor *o = t_new(c, nd, shape);
    if (!o) return NULL;
    const int64_t n = t_numel(o);
    if (t_same_shape(a, b) && t_is_contiguous(a) && t_is_contiguous(b)) {
        const float *pa = a->data, *pb = b->data;
        float *po = o->data;
        switch (op) {
        case EW_ADD:
MOSA_PARALLEL_FOR(n > 65536, simd,
            for (int64_t i = 0; i < n; i++) po[i] = pa[i] + pb[i];);
            break;
        case EW_SUB:
MOSA_PARALLEL_FOR(n > 65536, simd,
            for (int64_t i = 0; i < n; i++) po[i] = pa[i] - pb[i];);
            break;
        case EW_MUL:
MOSA_PARALLEL_FOR(n > 65536, simd,
            for (int64_t i = 0; i < n; i++) po[i] = pa[i] * pb[i];);
            break;
        default:
MOSA_PARALLEL_FOR(n > 65536, simd,
            for (int64_t i = 0; i < n; i++) po[i] = pa[i] / pb[i];);
            break;
        }
    } else {
        int64_t sa5[T_MAX_DIMS], sb5[T_MAX_DIMS], sh5[T_MAX_DIMS], s1[T_MAX_DIMS], s2[T_MAX_DIMS];
        broadcast_strides(a, nd, shape, 0, s1);
        broadcast_strides(b, nd, shape, 0, s2);
        pad5(nd, shape, sh5, 1);
        pad5(nd, s1, sa5, 0);
        pad5(nd, s2, sb5, 0);
        ew_strided(o->data, a->data, sa5, b->data, sb5, sh5, op);
    }
    tensor *in[2] = {a, b};
    tape_node *nd_ = tape_push(c, name, ew_backward, o, 2, in);
    if (nd_) nd_->ip[0] = op;
    return o;
}

tensor *op_add(ctx *c, tensor *a, tensor *b) { return ew_op(c, a, b, EW_ADD, "add"); }
tensor *op_sub(ctx *c, tensor *a, tensor *b) { return ew_op(c, a, b, EW_SUB, "sub"); }
tensor *op_mul(ctx *c, tensor *a, tensor *b) { return ew_op(c, a, b, EW_MUL, "mul"); }
tensor *op_div(ctx *c, tensor *a, tensor *b) { return ew_op(c, a, b, EW_DIV, "div"); }

/* ---- scalar ops: y = x * s + t ---- */

static void affine_backward(ctx *c, tape_node *n) {
    tensor *x = n->in[0];
    float *gx = t_grad(c, x);
    if (!gx) return;
    const float s = n->fp[0];
    const float *go = n->out->grad;
    const int64_t k = t_numel(x);
    for (int64_t i = 0; i < k; i++) gx[i] += s * go[i];
}

static tensor *affine(ctx *c, tensor *x, float s, float t, const char *name) {
    if (!x) return NULL;
    x = op_contiguous(c, x);
    if (!x) return NULL;
    tensor *o = t_new(c, x->nd, x->shape);
    if (!o) return NULL;
    const int64_t k = t_numel(x);
    const float *px = x->data;
    float *po = o->data;
MOSA_PARALLEL_FOR(k > 65536, simd,
    for (int64_t i = 0; i < k; i++) po[i] = px[i] * s + t;);
    tape_node *n = tape_push(c, name, affine_backward, o, 1, &x);
    if (n) n->fp[0] = s;
    return o;
}

tensor *op_scale(ctx *c, tensor *x, float s) { return affine(c, x, s, 0.0f, "scale"); }
tensor *op_add_scalar(ctx *c, tensor *x, float s) { return affine(c, x, 1.0f, s, "add_scalar"); }
