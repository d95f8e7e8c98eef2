/* tensor.c: the context (arena + tape), tensor allocation, backward, view ops, parameters. */
#include "tensor.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                     */
/* ------------------------------------------------------------------------------------------ */

void ctx_init(ctx *c, size_t arena_bytes) {
    memset(c, 0, sizeof *c);
    arena_init(&c->mem, arena_bytes);
    c->grad_enabled = 1;
    c->training = 1;
    rng_seed(&c->rng, 0);
}

void ctx_free(ctx *c) {
    arena_free(&c->mem);
    memset(c, 0, sizeof *c);
}

void ctx_reset(ctx *c) {
    arena_reset(&c->mem);
    c->tape = NULL;
    c->n_nodes = 0;
    c->status = MOSA_OK;
}

int ctx_no_grad(ctx *c) {
    int g = c->grad_enabled;
    c->grad_enabled = 0;
    return g;
}

void ctx_set_grad(ctx *c, int enabled) { c->grad_enabled = enabled; }

tensor *ctx_fail(ctx *c, mosa_status s, const char *fmt, ...) {
    if (c->status == MOSA_OK) {
        char msg[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        mosa_fail(s, "%s", msg);
        c->status = s;
    }
    return NULL;
}

mosa_status ctx_backward(ctx *c, tensor *loss) {
    if (c->status != MOSA_OK) return c->status;
    if (!loss) return mosa_fail(MOSA_ERR_ARG, "backward: the loss tensor is NULL (an earlier op failed)");
    if (t_numel(loss) != 1) {
        char b[64];
        return mosa_fail(MOSA_ERR_ARG, "backward: the loss must have one element, got shape %s",
                         t_shape_str(loss, b, sizeof b));
    }
    const float one = 1.0f;
    return ctx_backward_seed(c, loss, &one);
}

mosa_status ctx_backward_seed(ctx *c, tensor *out, const float *seed) {
    if (c->status != MOSA_OK) return c->status;
    if (!out) return mosa_fail(MOSA_ERR_ARG, "backward: the output tensor is NULL (an earlier op failed)");
    if (!out->requires_grad) return MOSA_OK; /* nothing trainable contributed */
    float *g = t_grad(c, out);
    if (!g) return c->status;
    int64_t k = t_numel(out);
    for (int64_t i = 0; i < k; i++) g[i] += seed[i];
    for (tape_node *n = c->tape; n; n = n->prev) {
        if (!n->out->grad) continue; /* no gradient reached this op's output */
        n->backward(c, n);
        if (c->status != MOSA_OK) return c->status;
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Tensors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

int64_t t_numel(const tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->nd; i++) n *= t->shape[i];
    return n;
}

void t_set_contiguous_strides(tensor *t) {
    int64_t s = 1;
    for (int i = t->nd - 1; i >= 0; i--) {
        t->stride[i] = s;
        s *= t->shape[i];
    }
}

int t_is_contiguous(const tensor *t) {
    int64_t s = 1;
    for (int i = t->nd - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s) return 0;
        s *= t->shape[i];
    }
    return 1;
}

int t_same_shape(const tensor *a, const tensor *b) {
    if (a->nd != b->nd) return 0;
    for (int i = 0; i < a->nd; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

const char *t_shape_str(const tensor *t, char *buf, size_t n) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "(");
    for (int i = 0; i < t->nd && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)t->shape[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
    return buf;
}

int t_axis(const tensor *t, int axis) {
    if (axis < 0) axis += t->nd;
    return (axis >= 0 && axis < t->nd) ? axis : -1;
}

static tensor *t_header(ctx *c, int nd, const int64_t *shape) {
    if (nd < 0 || nd > T_MAX_DIMS) return ctx_fail(c, MOSA_ERR_ARG, "tensor: %d dims (at most %d)", nd, T_MAX_DIMS);
    tensor *t = arena_alloc(&c->mem, sizeof(tensor));
    if (!t) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    memset(t, 0, sizeof *t);
    t->nd = nd;
    for (int i = 0; i < nd; i++) {
        if (shape[i] < 0) return ctx_fail(c, MOSA_ERR_ARG, "tensor: negative dimension %lld", (long long)shape[i]);
        t->shape[i] = shape[i];
    }
    t_set_contiguous_strides(t);
    return t;
}

tensor *t_new(ctx *c, int nd, const int64_t *shape) {
    tensor *t = t_header(c, nd, shape);
    if (!t) return NULL;
    size_t bytes;
    if (!mosa_mul_ok((size_t)t_numel(t), sizeof(float), &bytes))
        return ctx_fail(c, MOSA_ERR_NOMEM, "tensor: size overflows");
    t->data = arena_alloc(&c->mem, bytes);
    if (!t->data) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    return t;
}

tensor *t_zeros(ctx *c, int nd, const int64_t *shape) {
    tensor *t = t_new(c, nd, shape);
    if (t) memset(t->data, 0, (size_t)t_numel(t) * sizeof(float));
    return t;
}

tensor *t_wrap(ctx *c, float *data, int nd, const int64_t *shape) {
    tensor *t = t_header(c, nd, shape);
    if (t) t->data = data;
    return t;
}

tensor *t_from(ctx *c, const float *values, int nd, const int64_t *shape) {
    tensor *t = t_new(c, nd, shape);
    if (t) memcpy(t->data, values, (size_t)t_numel(t) * sizeof(float));
    return t;
}

tensor *t_fill(ctx *c, float v, int nd, const int64_t *shape) {
    tensor *t = t_new(c, nd, shape);
    if (!t) return NULL;
    int64_t n = t_numel(t);
    for (int64_t i = 0; i < n; i++) t->data[i] = v;
    return t;
}

tensor *t_randn(ctx *c, mosa_rng *r, float std, int nd, const int64_t *shape) {
    tensor *t = t_new(c, nd, shape);
    if (t) rng_normal(r, t->data, (size_t)t_numel(t), 0.0f, std);
    return t;
}

float *t_grad(ctx *c, tensor *t) {
    if (!t->grad && t->is_param) {
        ctx_fail(c, MOSA_ERR_INTERNAL, "parameter '%s' has no gradient slab: call params_finalize first",
                 t->name ? t->name : "?");
        return NULL;
    }
    if (!t->grad) {
        size_t bytes = (size_t)t_numel(t) * sizeof(float);
        t->grad = arena_calloc(&c->mem, bytes);
        if (!t->grad) ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    }
    return t->grad;
}

/* Walks a strided tensor in logical (row-major) order. */
void t_copy_to_contiguous(float *dst, const tensor *t) {
    if (t_is_contiguous(t)) {
        memcpy(dst, t->data, (size_t)t_numel(t) * sizeof(float));
        return;
    }
    int64_t sh[T_MAX_DIMS] = {1, 1, 1, 1, 1}, st[T_MAX_DIMS] = {0, 0, 0, 0, 0};
    int off = T_MAX_DIMS - t->nd;
    for (int i = 0; i < t->nd; i++) {
        sh[off + i] = t->shape[i];
        st[off + i] = t->stride[i];
    }
    int64_t k = 0;
    for (int64_t a = 0; a < sh[0]; a++)
        for (int64_t b = 0; b < sh[1]; b++)
            for (int64_t c = 0; c < sh[2]; c++)
                for (int64_t d = 0; d < sh[3]; d++) {
                    const float *p = t->data + a * st[0] + b * st[1] + c * st[2] + d * st[3];
                    for (int64_t e = 0; e < sh[4]; e++) dst[k++] = p[e * st[4]];
                }
}

void t_accumulate_strided(float *dst, const int64_t *stride, const float *src, int nd, const int64_t *shape) {
    int64_t sh[T_MAX_DIMS] = {1, 1, 1, 1, 1}, st[T_MAX_DIMS] = {0, 0, 0, 0, 0};
    int off = T_MAX_DIMS - nd;
    for (int i = 0; i < nd; i++) {
        sh[off + i] = shape[i];
        st[off + i] = stride[i];
    }
    int64_t k = 0;
    for (int64_t a = 0; a < sh[0]; a++)
        for (int64_t b = 0; b < sh[1]; b++)
            for (int64_t c = 0; c < sh[2]; c++)
                for (int64_t d = 0; d < sh[3]; d++) {
                    float *p = dst + a * st[0] + b * st[1] + c * st[2] + d * st[3];
                    for (int64_t e = 0; e < sh[4]; e++) p[e * st[4]] += src[k++];
                }
}

/* ------------------------------------------------------------------------------------------ */
/* Tape                                                                                        */
/* ------------------------------------------------------------------------------------------ */

tape_node *tape_push(ctx *c, const char *op, backward_fn bw, tensor *out, int n_in, tensor *const *in) {
    if (!c->grad_enabled || !out) return NULL;
    int any = 0;
    for (int i = 0; i < n_in; i++)
        if (in[i] && in[i]->requires_grad) any = 1;
    if (!any) return NULL;
    MOSA_ASSERT(n_in <= T_MAX_INPUTS);
    tape_node *n = arena_alloc(&c->mem, sizeof(tape_node));
    if (!n) {
        ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->backward = bw;
    n->op = op;
    n->out = out;
    n->n_in = n_in;
    for (int i = 0; i < n_in; i++) n->in[i] = in[i];
    n->prev = c->tape;
    c->tape = n;
    c->n_nodes++;
    out->requires_grad = 1;
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* View ops                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Backward shared by all view ops: the view's element i maps to base-grad element
 * offset + sum(idx_k * ip-strides), stored as ip[0] = offset, aux-free strides in saved. */
typedef struct view_map {
    int64_t offset;
    int64_t stride[T_MAX_DIMS]; /* strides into the base's contiguous grad */
} view_map;

static void view_backward(ctx *c, tape_node *n) {
    tensor *x = n->in[0];
    if (!x->requires_grad) return;
    float *gx = t_grad(c, x);
    if (!gx) return;
    const view_map *m = n->saved;
    t_accumulate_strided(gx + m->offset, m->stride, n->out->grad, n->out->nd, n->out->shape);
}

static void contiguous_strides(const tensor *t, int64_t *cs) {
    int64_t s = 1;
    for (int i = t->nd - 1; i >= 0; i--) {
        cs[i] = s;
        s *= t->shape[i];
    }
}

static void view_record(ctx *c, const char *op, tensor *out, tensor *x, const view_map *m) {
    tape_node *n = tape_push(c, op, view_backward, out, 1, &x);
    if (!n) return;
    view_map *s = arena_alloc(&c->mem, sizeof *s);
    if (!s) {
        ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        return;
    }
    *s = *m;
    n->saved = s;
}

static tensor *t_view_of(ctx *c, tensor *x) {
    tensor *t = arena_alloc(&c->mem, sizeof(tensor));
    if (!t) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    *t = *x;
    t->grad = NULL;
    t->requires_grad = 0;
    t->is_param = 0;
    t->name = NULL;
    return t;
}

tensor *op_reshape(ctx *c, tensor *x, int nd, const int64_t *shape) {
    if (!x) return NULL;
    T_CHECK(c, nd >= 0 && nd <= T_MAX_DIMS, "reshape: %d dims (at most %d)", nd, T_MAX_DIMS);
    int64_t sh[T_MAX_DIMS], known = 1;
    int infer = -1;
    for (int i = 0; i < nd; i++) {
        sh[i] = shape[i];
        if (sh[i] == -1) {
            T_CHECK(c, infer < 0, "reshape: more than one -1 dimension");
            infer = i;
        } else {
            T_CHECK(c, sh[i] >= 0, "reshape: negative dimension %lld", (long long)sh[i]);
            known *= sh[i];
        }
    }
    int64_t n = t_numel(x);
    if (infer >= 0) {
        T_CHECK(c, known > 0 && n % known == 0, "reshape: cannot infer -1 for %lld elements", (long long)n);
        sh[infer] = n / known;
        known *= sh[infer];
    }
    char b[64];
    T_CHECK(c, known == n, "reshape: %s has %lld elements, the new shape has %lld", t_shape_str(x, b, sizeof b),
            (long long)n, (long long)known);
    x = op_contiguous(c, x);
    if (!x) return NULL;
    tensor *t = t_view_of(c, x);
    if (!t) return NULL;
    t->nd = nd;
    for (int i = 0; i < nd; i++) t->shape[i] = sh[i];
    t_set_contiguous_strides(t);
    view_map m = {0, {0}};
    memcpy(m.stride, t->stride, sizeof m.stride); /* same flat order as the contiguous base */
    view_record(c, "reshape", t, x, &m);
    return t;
}

tensor *op_permute(ctx *c, tensor *x, const int *perm) {
    if (!x) return NULL;
    int seen[T_MAX_DIMS] = {0};
    for (int i = 0; i < x->nd; i++) {
        T_CHECK(c, perm[i] >= 0 && perm[i] < x->nd && !seen[perm[i]], "permute: invalid permutation");
        seen[perm[i]] = 1;
    }
    tensor *t = t_view_of(c, x);
    if (!t) return NULL;
    int64_t cs[T_MAX_DIMS];
    contiguous_strides(x, cs);
    view_map m = {0, {0}};
    for (int i = 0; i < x->nd; i++) {
        t->shape[i] = x->shape[perm[i]];
        t->stride[i] = x->stride[perm[i]];
        m.stride[i] = cs[perm[i]];
    }
    view_record(c, "permute", t, x, &m);
    return t;
}

tensor *op_transpose(ctx *c, tensor *x, int a, int b) {
    if (!x) return NULL;
    a = t_axis(x, a);
    b = t_axis(x, b);
    T_CHECK(c, a >= 0 && b >= 0, "transpose: axis out of range for %d dims", x->nd);
    int perm[T_MAX_DIMS];
    for (int i = 0; i < x->nd; i++) perm[i] = i;
    perm[a] = b;
    perm[b] = a;
    return op_permute(c, x, perm);
}

tensor *op_slice(ctx *c, tensor *x, int axis, int64_t start, int64_t len, int64_t step) {
    if (!x) return NULL;
    int ax = t_axis(x, axis);
    T_CHECK(c, ax >= 0, "slice: axis %d out of range for %d dims", axis, x->nd);
    T_CHECK(c, step >= 1, "slice: step must be >= 1");
    T_CHECK(c, start >= 0 && len >= 0 && (len == 0 || start + (len - 1) * step < x->shape[ax]),
            "slice: [%lld, +%lld, step %lld) is outside dim %d of size %lld", (long long)start, (long long)len,
            (long long)step, ax, (long long)x->shape[ax]);
    tensor *t = t_view_of(c, x);
    if (!t) return NULL;
    int64_t cs[T_MAX_DIMS];
    contiguous_strides(x, cs);
    t->data = x->data + start * x->stride[ax];
    t->shape[ax] = len;
    t->stride[ax] = x->stride[ax] * step;
    view_map m = {start * cs[ax], {0}};
    for (int i = 0; i < x->nd; i++) m.stride[i] = cs[i];
    m.stride[ax] = cs[ax] * step;
    view_record(c, "slice", t, x, &m);
    return t;
}

tensor *op_expand(ctx *c, tensor *x, int nd, const int64_t *shape) {
    if (!x) return NULL;
    T_CHECK(c, nd >= x->nd && nd <= T_MAX_DIMS, "expand: cannot expand %d dims to %d", x->nd, nd);
    tensor *t = t_view_of(c, x);
    if (!t) return NULL;
    int64_t cs[T_MAX_DIMS];
    contiguous_strides(x, cs);
    view_map m = {0, {0}};
    int off = nd - x->nd;
    t->nd = nd;
    for (int i = 0; i < nd; i++) {
        int j = i - off;
        int64_t want = shape[i] == -1 && j >= 0 ? x->shape[j] : shape[i];
        if (j < 0) {
            t->shape[i] = want;
            t->stride[i] = 0;
            m.stride[i] = 0;
        } else if (x->shape[j] == want) {
            t->shape[i] = want;
            t->stride[i] = x->stride[j];
            m.stride[i] = cs[j];
        } else {
            T_CHECK(c, x->shape[j] == 1, "expand: dim %d has size %lld, cannot expand to %lld", j,
                    (long long)x->shape[j], (long long)want);
            t->shape[i] = want;
            t->stride[i] = 0;
            m.stride[i] = 0;
        }
    }
    view_record(c, "expand", t, x, &m);
    return t;
}

static void contiguous_backward(ctx *c, tape_node *n) {
    tensor *x = n->in[0];
    float *gx = t_grad(c, x);
    if (!gx) return;
    const float *go = n->out->grad;
    int64_t k = t_numel(x);
    for (int64_t i = 0; i < k; i++) gx[i] += go[i];
}

tensor *op_contiguous(ctx *c, tensor *x) {
    if (!x) return NULL;
    if (t_is_contiguous(x)) return x;
    tensor *t = t_new(c, x->nd, x->shape);
    if (!t) return NULL;
    t_copy_to_contiguous(t->data, x);
    tape_push(c, "contiguous", contiguous_backward, t, 1, &x);
    return t;
}

/* ------------------------------------------------------------------------------------------ */
/* Parameters                                                                                  */
/* ------------------------------------------------------------------------------------------ */

void params_init(param_store *ps) { memset(ps, 0, sizeof *ps); }

void params_free(param_store *ps) {
    for (int i = 0; i < ps->n; i++) {
        tensor *t = ps->t[i];
        if (!ps->finalized) mosa_free(t->data);
        mosa_free((char *)t->name);
        mosa_free(t);
    }
    mosa_free(ps->t);
    mosa_free(ps->data);
    mosa_free(ps->grad);
    memset(ps, 0, sizeof *ps);
}

tensor *params_add(param_store *ps, const char *name, int nd, const int64_t *shape) {
    if (ps->finalized) {
        mosa_fail(MOSA_ERR_INTERNAL, "params_add('%s') after params_finalize", name);
        return NULL;
    }
    if (nd < 0 || nd > T_MAX_DIMS) {
        mosa_fail(MOSA_ERR_ARG, "parameter '%s': %d dims (at most %d)", name, nd, T_MAX_DIMS);
        return NULL;
    }
    if (params_find(ps, name)) {
        mosa_fail(MOSA_ERR_INTERNAL, "parameter '%s' added twice", name);
        return NULL;
    }
    if (ps->n == ps->cap) {
        int cap = ps->cap ? 2 * ps->cap : 64;
        tensor **nt = mosa_realloc(ps->t, (size_t)cap * sizeof *nt);
        if (!nt) return NULL;
        ps->t = nt;
        ps->cap = cap;
    }
    tensor *t = mosa_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->nd = nd;
    for (int i = 0; i < nd; i++) t->shape[i] = shape[i];
    t_set_contiguous_strides(t);
    t->data = mosa_calloc((size_t)t_numel(t) ? (size_t)t_numel(t) : 1, sizeof(float));
    t->name = mosa_strdup(name);
    if (!t->data || !t->name) {
        mosa_free(t->data);
        mosa_free((char *)t->name);
        mosa_free(t);
        return NULL;
    }
    t->requires_grad = 1;
    t->is_param = 1;
    ps->t[ps->n++] = t;
    ps->numel += (size_t)t_numel(t);
    return t;
}

mosa_status params_finalize(param_store *ps) {
    if (ps->finalized) return MOSA_OK;
    size_t bytes;
    if (!mosa_mul_ok(ps->numel ? ps->numel : 1, sizeof(float), &bytes))
        return mosa_fail(MOSA_ERR_NOMEM, "parameter slab size overflows");
    ps->data = mosa_aligned_alloc(bytes);
    ps->grad = mosa_aligned_alloc(bytes);
    if (!ps->data || !ps->grad) return MOSA_ERR_NOMEM;
    memset(ps->grad, 0, bytes);
    size_t off = 0;
    for (int i = 0; i < ps->n; i++) {
        tensor *t = ps->t[i];
        size_t k = (size_t)t_numel(t);
        memcpy(ps->data + off, t->data, k * sizeof(float));
        mosa_free(t->data);
        t->data = ps->data + off;
        t->grad = ps->grad + off;
        off += k;
    }
    ps->finalized = 1;
    return MOSA_OK;
}

tensor *params_find(const param_store *ps, const char *name) {
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->t[i]->name, name) == 0) return ps->t[i];
    return NULL;
}

int params_set_frozen(param_store *ps, const char *prefix, int frozen) {
    size_t n = strlen(prefix);
    int changed = 0;
    for (int i = 0; i < ps->n; i++) {
        if (strncmp(ps->t[i]->name, prefix, n) != 0) continue;
        uint8_t want = frozen ? 0 : 1;
        if (ps->t[i]->requires_grad != want) changed++;
        ps->t[i]->requires_grad = want;
    }
    return changed;
}

void params_zero_grad(param_store *ps) {
    if (ps->grad) memset(ps->grad, 0, ps->numel * sizeof(float));
}

size_t params_count(const param_store *ps, int trainable_only) {
    size_t n = 0;
    for (int i = 0; i < ps->n; i++)
        if (!trainable_only || ps->t[i]->requires_grad) n += (size_t)t_numel(ps->t[i]);
    return n;
}
