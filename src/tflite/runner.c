/* runner.c: a float32 TFLite interpreter for the MediaPipe models (see runner.h).
 *
 * Open: shapes are inferred op by op and checked against the file; FP16 constants are
 * dequantized once; activation tensors get offsets in one arena from a greedy-by-size plan over
 * their lifetimes. Run: a switch over the prepared ops calling the kernels of kernels.h, except
 * CONV_2D (im2col tiles + sgemm with per-thread scratch prepared at open, so a run allocates
 * nothing) and stride-1 DEPTHWISE_CONV_2D (row-wise, rt_dw), which run here; both are checked
 * against the kernels in tests/test_tflite_runner.c. */
#include "tflite/runner.h"

#include "tflite/kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define RT_TILE_FLOATS (1 << 16) /* bound on one im2col tile (256 KiB, stays in L2) */
#define RT_MIN_ROWS 16
#define RT_ALIGN 64
#define RT_DW_REP 32             /* depthwise rows repeat the weights below this many channels */

enum { T_UNUSED = 0, T_CONST, T_ACT };

typedef struct rt_tensor {
    int kind;
    int known;                    /* shape inferred */
    int rank;
    int shape[TFLITE_MAX_RANK];
    int64_t n;
    float *f;                     /* constants: data; activations: set after planning */
    const int32_t *i32;           /* INT32 constants (aligned copy owned by the runner) */
    int root;                     /* activations: tensor whose storage this one uses */
    int first, last;              /* roots: lifetime in run-op indices */
    size_t off;                   /* roots: arena offset */
} rt_tensor;

typedef struct rt_op {
    int file_index;
    int code;
    const tflite_op *op;
    int in[3], out;
    /* conv-like */
    int N, H, W, C, O, KH, KW, M, Ho, Wo, pt, pl, rows;
    tfl_conv_params cp;
    tfl_pool_params pp;
    float *wpack;                 /* DEPTHWISE stride 1 with C < RT_DW_REP: each tap's weights repeated
                                     along a row, [KH*KW][Wo*C], then the bias likewise [Wo*C] */
    int dw_rows;                  /* DEPTHWISE: the row-wise path (rt_dw) */
    const float *w, *bias;
    /* elementwise / layout */
    int ra, rb, sa[TFL_MAX_RANK], sb[TFL_MAX_RANK];
    int32_t pads[TFL_MAX_RANK * 2];
    int n_cat, cat_axis;
    int *cat_in, *cat_sizes;
    const float **cat_ptrs;
    int align_corners, half_pixel;
    int tconv_pad;
} rt_op;

struct tflite_runner {
    const tflite_model *m;
    tflite_model owned_model;
    int owns_model;
    const tflite_subgraph *g;
    rt_tensor *t;
    rt_op *ops;
    int n_ops;                    /* run ops */
    void **owned;                 /* owned constant buffers */
    int n_owned, cap_owned;
    size_t const_bytes;
    uint8_t *arena;
    size_t arena_bytes, naive_bytes;
    float *scratch;               /* im2col: n_slots * slot_floats */
    size_t slot_floats;
    int n_slots;
    double *prof;
};

/* ------------------------------------------------------------------------------------------ */

static void *rt_own(tflite_runner *r, size_t bytes) {
    if (r->n_owned == r->cap_owned) {
        int nc = r->cap_owned ? r->cap_owned * 2 : 64;
        void **p = mosa_realloc(r->owned, (size_t)nc * sizeof *p);
        if (!p) return NULL;
        r->owned = p;
        r->cap_owned = nc;
    }
    void *p = mosa_aligned_alloc(bytes ? bytes : RT_ALIGN);
    if (!p) return NULL;
    r->owned[r->n_owned++] = p;
    r->const_bytes += bytes;
    return p;
}

static int64_t shape_n(int rank, const int *s) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= s[i];
    return n;
}

static void shape_str(char *buf, size_t cap, int rank, const int *s) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, cap - k, "[");
    for (int i = 0; i < rank && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, i ? ",%d" : "%d", s[i]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

static const char *op_label(const tflite_op *op) {
    return op->code == TFLITE_OP_CUSTOM ? op->custom_name : tflite_op_name(op->code);
}

static int op_supported(const tflite_op *op) {
    switch (op->code) {
    case TFLITE_OP_CONV_2D: case TFLITE_OP_DEPTHWISE_CONV_2D: case TFLITE_OP_ADD: case TFLITE_OP_MUL:
    case TFLITE_OP_PAD: case TFLITE_OP_MAX_POOL_2D: case TFLITE_OP_AVERAGE_POOL_2D: case TFLITE_OP_RESIZE_BILINEAR:
    case TFLITE_OP_RESHAPE: case TFLITE_OP_LOGISTIC: case TFLITE_OP_RELU: case TFLITE_OP_RELU6:
    case TFLITE_OP_HARD_SWISH: case TFLITE_OP_DEQUANTIZE: case TFLITE_OP_CONCATENATION: case TFLITE_OP_MEAN:
        return 1;
    case TFLITE_OP_CUSTOM:
        return op->custom_name && strcmp(op->custom_name, TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS) == 0;
    default: return 0;
    }
}

/* ---- open: constants ------------------------------------------------------------------------ */

static mosa_status rt_load_const(tflite_runner *r, int ti) {
    const tflite_tensor *ft = &r->g->tensors[ti];
    rt_tensor *t = &r->t[ti];
    t->kind = T_CONST;
    t->known = 1;
    t->rank = ft->rank;
    for (int i = 0; i < ft->rank; i++) t->shape[i] = ft->shape[i];
    t->n = ft->n_elements;
    if (ft->is_sparse)
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "tensor %d '%s' is sparse (DENSIFY is not supported)", ti, ft->name);
    if (ft->type == TFLITE_FLOAT32) {
        if (((uintptr_t)ft->data & 3u) == 0) {
            t->f = (float *)(uintptr_t)ft->data; /* read-only use */
        } else {
            t->f = rt_own(r, (size_t)t->n * sizeof(float));
            if (!t->f) return MOSA_ERR_NOMEM;
            memcpy(t->f, ft->data, (size_t)t->n * sizeof(float));
        }
    } else if (ft->type == TFLITE_FLOAT16) {
        float *f = rt_own(r, (size_t)t->n * sizeof(float));
        uint16_t *h = mosa_malloc((size_t)t->n * sizeof(uint16_t) + 2);
        if (!f || !h) {
            mosa_free(h);
            return MOSA_ERR_NOMEM;
        }
        memcpy(h, ft->data, (size_t)t->n * sizeof(uint16_t));
        tfl_dequantize_f16(f, h, (size_t)t->n);
        mosa_free(h);
        t->f = f;
    } else if (ft->type == TFLITE_INT32) {
        int32_t *p = rt_own(r, (size_t)t->n * sizeof(int32_t));
        if (!p) return MOSA_ERR_NOMEM;
        memcpy(p, ft->data, (size_t)t->n * sizeof(int32_t));
        t->i32 = p;
    } else {
        return mosa_fail(MOSA_ERR_UNSUPPORTED, "constant tensor %d '%s' has type %s (float32, float16, int32 supported)",
                         ti, ft->name, tflite_type_name(ft->type));
    }
    return MOSA_OK;
}

/* ---- open: shape inference per op ---------------------------------------------------------- */

#define OPFAIL(...) return rt_opfail(r, o, __VA_ARGS__)
static mosa_status rt_opfail(const tflite_runner *r, const rt_op *o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static mosa_status rt_opfail(const tflite_runner *r, const rt_op *o, const char *fmt, ...) {
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    (void)r;
    return mosa_fail(MOSA_ERR_FORMAT, "operator %d (%s): %s", o->file_index, op_label(o->op), msg);
}

/* Input k of the op must be a known tensor (constant or already computed activation). */
static mosa_status rt_need(tflite_runner *r, rt_op *o, int k, int want_const, int want_type) {
    const tflite_op *op = o->op;
    if (k >= op->n_inputs || op->inputs[k] < 0) OPFAIL("input %d is missing", k);
    int ti = op->inputs[k];
    rt_tensor *t = &r->t[ti];
    if (!t->known) OPFAIL("input %d (tensor %d '%s') is read before any op writes it", k, ti, r->g->tensors[ti].name);
    if (want_const && t->kind != T_CONST) OPFAIL("input %d (tensor %d) must be a constant", k, ti);
    if (want_type == TFLITE_INT32 && !t->i32) OPFAIL("input %d (tensor %d) must be an INT32 constant", k, ti);
    if (want_type == TFLITE_FLOAT32 && t->kind == T_CONST && !t->f)
        OPFAIL("input %d (tensor %d '%s') has type %s, expected FLOAT32", k, ti, r->g->tensors[ti].name,
               tflite_type_name(r->g->tensors[ti].type));
    return MOSA_OK;
}

static mosa_status rt_set_out(tflite_runner *r, rt_op *o, int rank, const int *shape) {
    int ti = o->out;
    const tflite_tensor *ft = &r->g->tensors[ti];
    rt_tensor *t = &r->t[ti];
    if (t->known) OPFAIL("output tensor %d '%s' is written twice (or is a constant or graph input)", ti, ft->name);
    if (ft->type != TFLITE_FLOAT32)
        OPFAIL("output tensor %d '%s' has type %s (only FLOAT32 activations are supported)", ti, ft->name,
               tflite_type_name(ft->type));
    int64_t total = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 1) OPFAIL("output would have an empty dimension");
        total *= shape[i];
        if (total > ((int64_t)1 << 30)) OPFAIL("output of more than 2^30 elements");
    }
    if (ft->has_shape && ft->rank > 0) {
        int same = ft->rank == rank;
        for (int i = 0; same && i < rank; i++) same = ft->shape[i] == shape[i];
        if (!same) {
            char a[96], b[96];
            int fs[TFLITE_MAX_RANK];
            for (int i = 0; i < ft->rank; i++) fs[i] = ft->shape[i];
            shape_str(a, sizeof a, rank, shape);
            shape_str(b, sizeof b, ft->rank, fs);
            OPFAIL("computed output shape %s but the file declares %s for tensor %d '%s'", a, b, ti, ft->name);
        }
    }
    t->kind = T_ACT;
    t->known = 1;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->shape[i] = shape[i];
    t->n = shape_n(rank, shape);
    t->root = ti;
    return MOSA_OK;
}

static mosa_status rt_conv_like(tflite_runner *r, rt_op *o, const char *what) {
    rt_tensor *x = &r->t[o->in[0]];
    if (x->rank != 4) OPFAIL("%s input must be 4-D NHWC (rank %d)", what, x->rank);
    o->N = x->shape[0], o->H = x->shape[1], o->W = x->shape[2], o->C = x->shape[3];
    return MOSA_OK;
}

static mosa_status rt_infer(tflite_runner *r, rt_op *o) {
    const tflite_op *op = o->op;
    if (op->n_outputs != 1) OPFAIL("has %d outputs (1 expected)", op->n_outputs);
    o->out = op->outputs[0];
    if (o->out < 0) OPFAIL("output is absent");
    for (int k = 0; k < 3; k++) o->in[k] = k < op->n_inputs ? op->inputs[k] : -1;
    int shape[TFLITE_MAX_RANK];
    switch (o->code) {
    case TFLITE_OP_CONV_2D:
    case TFLITE_OP_DEPTHWISE_CONV_2D: {
        const int dw = o->code == TFLITE_OP_DEPTHWISE_CONV_2D;
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        MOSA_TRY(rt_need(r, o, 1, 1, TFLITE_FLOAT32));
        MOSA_TRY(rt_conv_like(r, o, dw ? "depthwise conv" : "conv"));
        rt_tensor *w = &r->t[o->in[1]];
        if (w->rank != 4) OPFAIL("filter must be 4-D (rank %d)", w->rank);
        o->KH = w->shape[1], o->KW = w->shape[2];
        if (dw) {
            if (w->shape[0] != 1) OPFAIL("depthwise filter dim 0 is %d (1 expected)", w->shape[0]);
            o->O = w->shape[3];
            if (o->O % o->C) OPFAIL("depthwise filter has %d channels, not a multiple of the input's %d", o->O, o->C);
            o->M = o->O / o->C;
            if (op->depth_multiplier > 0 && op->depth_multiplier != o->M)
                OPFAIL("depth_multiplier %d but the filter implies %d", op->depth_multiplier, o->M);
        } else {
            o->O = w->shape[0];
            if (w->shape[3] != o->C) OPFAIL("filter has %d input channels, the input has %d", w->shape[3], o->C);
        }
        o->w = w->f;
        o->bias = NULL;
        if (op->n_inputs > 2 && op->inputs[2] >= 0) {
            MOSA_TRY(rt_need(r, o, 2, 1, TFLITE_FLOAT32));
            if (r->t[o->in[2]].n != o->O) OPFAIL("bias has %lld values, expected %d", (long long)r->t[o->in[2]].n, o->O);
            o->bias = r->t[o->in[2]].f;
        }
        if (op->activation < TFLITE_ACT_NONE || op->activation > TFLITE_ACT_TANH)
            OPFAIL("fused activation %d is not supported", op->activation);
        o->cp = (tfl_conv_params){op->stride_h, op->stride_w, op->dilation_h, op->dilation_w,
                                  (tfl_padding)op->padding, (tfl_activation)op->activation};
        o->Ho = tfl_out_size(o->H, o->KH, op->stride_h, op->dilation_h, (tfl_padding)op->padding);
        o->Wo = tfl_out_size(o->W, o->KW, op->stride_w, op->dilation_w, (tfl_padding)op->padding);
        if (!o->Ho || !o->Wo) OPFAIL("invalid geometry (input %dx%d, filter %dx%d)", o->H, o->W, o->KH, o->KW);
        o->pt = tfl_pad_before(o->H, o->KH, op->stride_h, op->dilation_h, (tfl_padding)op->padding);
        o->pl = tfl_pad_before(o->W, o->KW, op->stride_w, op->dilation_w, (tfl_padding)op->padding);
        shape[0] = o->N, shape[1] = o->Ho, shape[2] = o->Wo, shape[3] = o->O;
        return rt_set_out(r, o, 4, shape);
    }
    case TFLITE_OP_CUSTOM: { /* Convolution2DTransposeBias */
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        MOSA_TRY(rt_need(r, o, 1, 1, TFLITE_FLOAT32));
        MOSA_TRY(rt_conv_like(r, o, "transposed conv"));
        rt_tensor *w = &r->t[o->in[1]];
        if (w->rank != 4 || w->shape[3] != o->C) OPFAIL("filter must be [O,KH,KW,%d]", o->C);
        o->O = w->shape[0], o->KH = w->shape[1], o->KW = w->shape[2];
        o->w = w->f;
        o->bias = NULL;
        if (op->n_inputs > 2 && op->inputs[2] >= 0) {
            MOSA_TRY(rt_need(r, o, 2, 1, TFLITE_FLOAT32));
            if (r->t[o->in[2]].n != o->O) OPFAIL("bias has %lld values, expected %d", (long long)r->t[o->in[2]].n, o->O);
            o->bias = r->t[o->in[2]].f;
        }
        o->tconv_pad = op->tconv_padding == 2 ? TFL_PAD_VALID : TFL_PAD_SAME;
        o->cp.stride_h = op->stride_h, o->cp.stride_w = op->stride_w;
        int pt, pl;
        if (op->stride_h < 1 || op->stride_w < 1 ||
            !tfl_transpose_conv_out_size(o->H, o->KH, op->stride_h, (tfl_padding)o->tconv_pad, &o->Ho, &pt) ||
            !tfl_transpose_conv_out_size(o->W, o->KW, op->stride_w, (tfl_padding)o->tconv_pad, &o->Wo, &pl))
            OPFAIL("invalid geometry");
        shape[0] = o->N, shape[1] = o->Ho, shape[2] = o->Wo, shape[3] = o->O;
        return rt_set_out(r, o, 4, shape);
    }
    case TFLITE_OP_ADD:
    case TFLITE_OP_MUL: {
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        MOSA_TRY(rt_need(r, o, 1, 0, TFLITE_FLOAT32));
        rt_tensor *a = &r->t[o->in[0]], *b = &r->t[o->in[1]];
        if (a->rank > TFL_MAX_RANK || b->rank > TFL_MAX_RANK) OPFAIL("rank above %d", TFL_MAX_RANK);
        o->ra = a->rank, o->rb = b->rank;
        memcpy(o->sa, a->shape, sizeof(int) * (size_t)a->rank);
        memcpy(o->sb, b->shape, sizeof(int) * (size_t)b->rank);
        int rr, rs[TFL_MAX_RANK];
        if (tfl_broadcast_shape(&rr, rs, o->ra, o->sa, o->rb, o->sb) != MOSA_OK) {
            char sa[96], sb[96];
            shape_str(sa, sizeof sa, o->ra, o->sa);
            shape_str(sb, sizeof sb, o->rb, o->sb);
            OPFAIL("operand shapes %s and %s do not broadcast", sa, sb);
        }
        if (op->activation < TFLITE_ACT_NONE || op->activation > TFLITE_ACT_TANH)
            OPFAIL("fused activation %d is not supported", op->activation);
        o->cp.act = (tfl_activation)op->activation;
        return rt_set_out(r, o, rr, rs);
    }
    case TFLITE_OP_PAD: {
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        MOSA_TRY(rt_need(r, o, 1, 1, TFLITE_INT32));
        rt_tensor *x = &r->t[o->in[0]], *p = &r->t[o->in[1]];
        if (x->rank > TFL_MAX_RANK) OPFAIL("rank above %d", TFL_MAX_RANK);
        if (p->n != 2 * x->rank) OPFAIL("paddings has %lld values, expected %d", (long long)p->n, 2 * x->rank);
        o->ra = x->rank;
        memcpy(o->sa, x->shape, sizeof(int) * (size_t)x->rank);
        for (int i = 0; i < x->rank; i++) {
            int32_t b = p->i32[2 * i], e = p->i32[2 * i + 1];
            if (b < 0 || e < 0 || b > (1 << 20) || e > (1 << 20)) OPFAIL("padding %d,%d out of range", b, e);
            o->pads[2 * i] = b, o->pads[2 * i + 1] = e;
            shape[i] = x->shape[i] + b + e;
        }
        return rt_set_out(r, o, x->rank, shape);
    }
    case TFLITE_OP_MAX_POOL_2D:
    case TFLITE_OP_AVERAGE_POOL_2D: {
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        MOSA_TRY(rt_conv_like(r, o, "pool"));
        if (op->activation < TFLITE_ACT_NONE || op->activation > TFLITE_ACT_TANH)
            OPFAIL("fused activation %d is not supported", op->activation);
        o->pp = (tfl_pool_params){op->filter_h, op->filter_w, op->stride_h, op->stride_w, (tfl_padding)op->padding,
                                  (tfl_activation)op->activation};
        o->Ho = tfl_out_size(o->H, op->filter_h, op->stride_h, 1, (tfl_padding)op->padding);
        o->Wo = tfl_out_size(o->W, op->filter_w, op->stride_w, 1, (tfl_padding)op->padding);
        if (!o->Ho || !o->Wo) OPFAIL("invalid geometry");
        shape[0] = o->N, shape[1] = o->Ho, shape[2] = o->Wo, shape[3] = o->C;
        return rt_set_out(r, o, 4, shape);
    }
    case TFLITE_OP_MEAN: {
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        MOSA_TRY(rt_need(r, o, 1, 1, TFLITE_INT32));
        MOSA_TRY(rt_conv_like(r, o, "mean"));
        rt_tensor *ax = &r->t[o->in[1]];
        int has1 = 0, has2 = 0;
        for (int i = 0; i < ax->n; i++) {
            int a = ax->i32[i] < 0 ? ax->i32[i] + 4 : ax->i32[i];
            if (a == 1) has1 = 1;
            else if (a == 2) has2 = 1;
            else OPFAIL("reduction over axis %d (only axes 1 and 2 of NHWC are supported)", ax->i32[i]);
        }
        if (!has1 || !has2 || ax->n != 2) OPFAIL("only the mean over axes {1, 2} is supported");
        if (op->keep_dims) {
            shape[0] = o->N, shape[1] = 1, shape[2] = 1, shape[3] = o->C;
            return rt_set_out(r, o, 4, shape);
        }
        shape[0] = o->N, shape[1] = o->C;
        return rt_set_out(r, o, 2, shape);
    }
    case TFLITE_OP_RESIZE_BILINEAR: {
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        MOSA_TRY(rt_need(r, o, 1, 1, TFLITE_INT32));
        MOSA_TRY(rt_conv_like(r, o, "resize"));
        rt_tensor *sz = &r->t[o->in[1]];
        if (sz->n != 2 || sz->i32[0] < 1 || sz->i32[1] < 1 || sz->i32[0] > (1 << 16) || sz->i32[1] > (1 << 16))
            OPFAIL("size must hold two positive values");
        if (op->align_corners && op->half_pixel_centers) OPFAIL("align_corners with half_pixel_centers");
        o->Ho = sz->i32[0], o->Wo = sz->i32[1];
        o->align_corners = op->align_corners, o->half_pixel = op->half_pixel_centers;
        shape[0] = o->N, shape[1] = o->Ho, shape[2] = o->Wo, shape[3] = o->C;
        return rt_set_out(r, o, 4, shape);
    }
    case TFLITE_OP_RESHAPE: {
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        rt_tensor *x = &r->t[o->in[0]];
        const tflite_tensor *ft = &r->g->tensors[o->out];
        int rank = 0;
        if (ft->has_shape && ft->rank > 0) {
            rank = ft->rank;
            for (int i = 0; i < rank; i++) shape[i] = ft->shape[i];
        } else {
            const int32_t *ns = NULL;
            if (op->n_inputs > 1 && op->inputs[1] >= 0 && r->t[op->inputs[1]].i32) {
                rank = (int)r->t[op->inputs[1]].n;
                ns = r->t[op->inputs[1]].i32;
            } else if (op->has_new_shape) {
                rank = op->new_shape_rank;
                ns = op->new_shape;
            }
            if (!ns || rank > TFLITE_MAX_RANK) OPFAIL("the new shape is unknown");
            int neg = -1;
            int64_t known = 1;
            for (int i = 0; i < rank; i++) {
                if (ns[i] == -1 && neg < 0) neg = i;
                else if (ns[i] < 1) OPFAIL("new shape dim %d is %d", i, ns[i]);
                else known *= ns[i];
                shape[i] = ns[i];
            }
            if (neg >= 0) {
                if (x->n % known) OPFAIL("cannot reshape %lld elements", (long long)x->n);
                shape[neg] = (int)(x->n / known);
            }
        }
        if (shape_n(rank, shape) != x->n)
            OPFAIL("reshape of %lld elements into %lld", (long long)x->n, (long long)shape_n(rank, shape));
        MOSA_TRY(rt_set_out(r, o, rank, shape));
        rt_tensor *y = &r->t[o->out];
        if (x->kind == T_CONST) { /* a reshaped constant is a constant */
            y->kind = T_CONST;
            y->f = x->f;
            o->code = -1; /* folded */
        } else {
            y->root = x->root;
        }
        return MOSA_OK;
    }
    case TFLITE_OP_LOGISTIC: case TFLITE_OP_RELU: case TFLITE_OP_RELU6: case TFLITE_OP_HARD_SWISH: {
        MOSA_TRY(rt_need(r, o, 0, 0, TFLITE_FLOAT32));
        rt_tensor *x = &r->t[o->in[0]];
        return rt_set_out(r, o, x->rank, x->shape);
    }
    case TFLITE_OP_DEQUANTIZE: {
        if (op->n_inputs < 1 || op->inputs[0] < 0) OPFAIL("input 0 is missing");
        rt_tensor *x = &r->t[op->inputs[0]];
        if (x->kind != T_CONST || !x->f)
            OPFAIL("only DEQUANTIZE of a FLOAT16/FLOAT32 constant is supported (tensor %d)", op->inputs[0]);
        MOSA_TRY(rt_set_out(r, o, x->rank, x->shape));
        rt_tensor *y = &r->t[o->out];
        y->kind = T_CONST;
        y->f = x->f;
        o->code = -1; /* folded at open */
        return MOSA_OK;
    }
    case TFLITE_OP_CONCATENATION: {
        int n = op->n_inputs;
        if (n < 1) OPFAIL("no inputs");
        for (int k = 0; k < n; k++) MOSA_TRY(rt_need(r, o, k, 0, TFLITE_FLOAT32));
        rt_tensor *x0 = &r->t[op->inputs[0]];
        int rank = x0->rank;
        if (rank < 1 || rank > TFL_MAX_RANK) OPFAIL("rank %d", rank);
        int axis = op->axis < 0 ? op->axis + rank : op->axis;
        if (axis < 0 || axis >= rank) OPFAIL("axis %d out of range for rank %d", op->axis, rank);
        o->n_cat = n, o->cat_axis = axis;
        o->cat_in = mosa_calloc((size_t)n, sizeof(int));
        o->cat_sizes = mosa_calloc((size_t)n, sizeof(int));
        o->cat_ptrs = mosa_calloc((size_t)n, sizeof(float *));
        if (!o->cat_in || !o->cat_sizes || !o->cat_ptrs) return MOSA_ERR_NOMEM;
        memcpy(shape, x0->shape, sizeof(int) * (size_t)rank);
        shape[axis] = 0;
        for (int k = 0; k < n; k++) {
            rt_tensor *x = &r->t[op->inputs[k]];
            if (x->rank != rank) OPFAIL("input %d has rank %d, input 0 has %d", k, x->rank, rank);
            for (int d = 0; d < rank; d++)
                if (d != axis && x->shape[d] != x0->shape[d]) OPFAIL("input %d differs outside the axis", k);
            o->cat_in[k] = op->inputs[k];
            o->cat_sizes[k] = x->shape[axis];
            shape[axis] += x->shape[axis];
        }
        o->ra = rank;
        memcpy(o->sa, shape, sizeof(int) * (size_t)rank);
        o->cp.act = (tfl_activation)op->activation;
        if (op->activation < TFLITE_ACT_NONE || op->activation > TFLITE_ACT_TANH)
            OPFAIL("fused activation %d is not supported", op->activation);
        return rt_set_out(r, o, rank, shape);
    }
    default: OPFAIL("not supported");
    }
}

/* ---- open: conv prepacking and planning ----------------------------------------------------- */

static int rt_max_threads(void) {
    int n = threads_get();
#ifdef _OPENMP
    if (omp_get_max_threads() > n) n = omp_get_max_threads();
#endif
    return n < 1 ? 1 : n;
}

static mosa_status rt_prepare_conv(tflite_runner *r, rt_op *o) {
    /* The filter stays OHWI = O x K (the GEMM reads it transposed; OpenBLAS packs it anyway). */
    const int K = o->KH * o->KW * o->C;
    const int P = o->Ho * o->Wo;
    int rows = RT_TILE_FLOATS / K;
    if (rows < RT_MIN_ROWS) rows = RT_MIN_ROWS;
    int nth = rt_max_threads();
    int per = (P * o->N + nth * 2 - 1) / (nth * 2); /* at least 2 items per thread when possible */
    if (per < RT_MIN_ROWS) per = RT_MIN_ROWS;
    if (rows > per) rows = per;
    if (rows > P) rows = P;
    o->rows = rows;
    const int direct = o->KH == 1 && o->KW == 1 && o->cp.stride_h == 1 && o->cp.stride_w == 1;
    if (!direct && (size_t)rows * K > r->slot_floats) r->slot_floats = (size_t)rows * K;
    return MOSA_OK;
}

/* DEPTHWISE_CONV_2D with stride 1, dilation 1 and multiplier 1 runs row by row: an output row
 * (Wo*C contiguous floats) accumulates, for each tap, the input row shifted by (kw - pl)*C
 * times the tap's weights repeated Wo times, one contiguous multiply-add per tap. */
static int rt_dw_rows(const rt_op *o) {
    return o->code == TFLITE_OP_DEPTHWISE_CONV_2D && o->M == 1 && o->cp.stride_h == 1 && o->cp.stride_w == 1 &&
           o->cp.dil_h == 1 && o->cp.dil_w == 1 && (int64_t)o->Wo * o->C <= (1 << 16);
}

static mosa_status rt_prepare_dw(tflite_runner *r, rt_op *o) {
    o->dw_rows = rt_dw_rows(o);
    if (!o->dw_rows || o->C >= RT_DW_REP) return MOSA_OK;
    const size_t row = (size_t)o->Wo * o->C;
    float *wp = rt_own(r, ((size_t)o->KH * o->KW + 1) * row * sizeof(float));
    if (!wp) return MOSA_ERR_NOMEM;
    for (int t = 0; t < o->KH * o->KW; t++)
        for (int wo = 0; wo < o->Wo; wo++)
            memcpy(wp + t * row + (size_t)wo * o->C, o->w + (size_t)t * o->C, (size_t)o->C * sizeof(float));
    float *b = wp + (size_t)o->KH * o->KW * row;
    for (int wo = 0; wo < o->Wo; wo++)
        for (int c = 0; c < o->C; c++) b[(size_t)wo * o->C + c] = o->bias ? o->bias[c] : 0.0f;
    o->wpack = wp;
    return MOSA_OK;
}

typedef struct { int t; size_t bytes; } rt_root;
static int rt_root_cmp(const void *a, const void *b) {
    const rt_root *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return x->t - y->t;
}

static mosa_status rt_plan(tflite_runner *r) {
    const tflite_subgraph *g = r->g;
    int nt = g->n_tensors;
    for (int i = 0; i < nt; i++) r->t[i].first = INT32_MAX, r->t[i].last = -1;
    for (int i = 0; i < g->n_inputs; i++) {
        rt_tensor *t = &r->t[g->inputs[i]];
        /* inputs keep their values across runs: they live from before op 0 to the end */
        if (t->kind == T_ACT) r->t[t->root].first = -1, r->t[t->root].last = INT32_MAX;
    }
    for (int i = 0; i < r->n_ops; i++) {
        rt_op *o = &r->ops[i];
        const tflite_op *op = o->op;
        for (int k = 0; k < op->n_inputs; k++) {
            int ti = op->inputs[k];
            if (ti < 0 || r->t[ti].kind != T_ACT) continue;
            rt_tensor *root = &r->t[r->t[ti].root];
            if (root->last < i) root->last = i;
        }
        rt_tensor *root = &r->t[r->t[o->out].root];
        if (root->first > i) root->first = i;
        if (root->last < i) root->last = i;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        rt_tensor *t = &r->t[g->outputs[i]];
        if (t->kind == T_ACT && r->t[t->root].last < r->n_ops) r->t[t->root].last = r->n_ops;
    }
    rt_root *roots = mosa_calloc((size_t)nt + 1, sizeof *roots);
    if (!roots) return MOSA_ERR_NOMEM;
    int nr = 0;
    r->naive_bytes = 0;
    for (int i = 0; i < nt; i++) {
        rt_tensor *t = &r->t[i];
        if (t->kind != T_ACT || t->root != i || t->last < 0) continue;
        size_t b = ((size_t)t->n * sizeof(float) + RT_ALIGN - 1) / RT_ALIGN * RT_ALIGN;
        /* the largest alias (reshapes keep n) decides the size; same n by construction */
        roots[nr].t = i, roots[nr].bytes = b;
        r->naive_bytes += b;
        nr++;
    }
    qsort(roots, (size_t)nr, sizeof *roots, rt_root_cmp);
    /* Greedy by size: each buffer takes the lowest offset that clears every already placed
     * buffer whose lifetime overlaps. */
    size_t total = 0;
    size_t (*iv)[2] = mosa_calloc((size_t)nr + 1, sizeof *iv);
    if (!iv) {
        mosa_free(roots);
        return MOSA_ERR_NOMEM;
    }
    for (int a = 0; a < nr; a++) {
        rt_tensor *ta = &r->t[roots[a].t];
        int ni = 0;
        for (int b = 0; b < a; b++) {
            rt_tensor *tb = &r->t[roots[b].t];
            if (tb->last < ta->first || ta->last < tb->first) continue;
            iv[ni][0] = tb->off, iv[ni][1] = tb->off + roots[b].bytes;
            ni++;
        }
        /* sort intervals by start (insertion sort; small) */
        for (int i = 1; i < ni; i++)
            for (int j = i; j > 0 && iv[j][0] < iv[j - 1][0]; j--) {
                size_t s0 = iv[j][0], s1 = iv[j][1];
                iv[j][0] = iv[j - 1][0], iv[j][1] = iv[j - 1][1];
                iv[j - 1][0] = s0, iv[j - 1][1] = s1;
            }
        size_t off = 0;
        for (int i = 0; i < ni; i++) {
            if (iv[i][0] >= off + roots[a].bytes) break;
            if (iv[i][1] > off) off = iv[i][1];
        }
        ta->off = off;
        if (off + roots[a].bytes > total) total = off + roots[a].bytes;
    }
    mosa_free(iv);
    mosa_free(roots);
    r->arena_bytes = total;
    r->arena = mosa_aligned_alloc(total ? total : RT_ALIGN);
    if (!r->arena) return MOSA_ERR_NOMEM;
    memset(r->arena, 0, total ? total : RT_ALIGN);
    for (int i = 0; i < nt; i++) {
        rt_tensor *t = &r->t[i];
        if (t->kind == T_ACT) t->f = (float *)(r->arena + r->t[t->root].off);
    }
    return MOSA_OK;
}

static mosa_status rt_open_impl(tflite_runner *r) {
    const tflite_model *m = r->m;
    {
        const uint16_t one = 1;
        uint8_t lo;
        memcpy(&lo, &one, 1);
        if (!lo) return mosa_fail(MOSA_ERR_UNSUPPORTED, "the TFLite runner needs a little-endian host");
    }
    if (m->n_subgraphs < 1) return mosa_fail(MOSA_ERR_FORMAT, "the model has no subgraph");
    const tflite_subgraph *g = r->g = &m->subgraphs[0];
    for (int i = 0; i < g->n_ops; i++)
        if (!op_supported(&g->ops[i])) {
            const tflite_op *op = &g->ops[i];
            if (op->code == TFLITE_OP_CUSTOM)
                return mosa_fail(MOSA_ERR_UNSUPPORTED, "custom op '%s' at operator %d is not supported by mosa's TFLite runner",
                                 op->custom_name ? op->custom_name : "", i);
            return mosa_fail(MOSA_ERR_UNSUPPORTED, "op %d (%s) at operator %d is not supported by mosa's TFLite runner",
                             op->code, tflite_op_name(op->code), i);
        }
    r->t = mosa_calloc((size_t)g->n_tensors + 1, sizeof *r->t);
    r->ops = mosa_calloc((size_t)g->n_ops + 1, sizeof *r->ops);
    if (!r->t || !r->ops) return MOSA_ERR_NOMEM;
    /* constants */
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].data) MOSA_TRY(rt_load_const(r, i));
    /* graph inputs */
    for (int i = 0; i < g->n_inputs; i++) {
        int ti = g->inputs[i];
        const tflite_tensor *ft = &g->tensors[ti];
        rt_tensor *t = &r->t[ti];
        if (t->kind != T_UNUSED) continue; /* a constant or repeated input */
        if (ft->type != TFLITE_FLOAT32)
            return mosa_fail(MOSA_ERR_UNSUPPORTED, "graph input %d '%s' has type %s (FLOAT32 only)", i, ft->name,
                             tflite_type_name(ft->type));
        if (!ft->has_shape || ft->rank < 1 || ft->n_elements < 1 || ft->n_elements > (1 << 28))
            return mosa_fail(MOSA_ERR_FORMAT, "graph input %d '%s' has no usable static shape", i, ft->name);
        t->kind = T_ACT;
        t->known = 1;
        t->rank = ft->rank;
        for (int d = 0; d < ft->rank; d++) t->shape[d] = ft->shape[d];
        t->n = ft->n_elements;
        t->root = ti;
    }
    /* ops: infer shapes in order; folded ops (constant DEQUANTIZE / RESHAPE) are dropped */
    int n = 0;
    for (int i = 0; i < g->n_ops; i++) {
        rt_op *o = &r->ops[n];
        memset(o, 0, sizeof *o);
        o->file_index = i;
        o->op = &g->ops[i];
        o->code = g->ops[i].code;
        mosa_status s = rt_infer(r, o);
        if (s != MOSA_OK) {
            mosa_free(o->cat_in), mosa_free(o->cat_sizes), mosa_free(o->cat_ptrs);
            o->cat_in = NULL, o->cat_sizes = NULL, o->cat_ptrs = NULL;
            return s;
        }
        if (o->code == -1) continue;
        if (o->code == TFLITE_OP_CONV_2D) MOSA_TRY(rt_prepare_conv(r, o));
        if (o->code == TFLITE_OP_DEPTHWISE_CONV_2D) MOSA_TRY(rt_prepare_dw(r, o));
        n++;
    }
    r->n_ops = n;
    for (int i = 0; i < g->n_outputs; i++) {
        int ti = g->outputs[i];
        if (!r->t[ti].known)
            return mosa_fail(MOSA_ERR_FORMAT, "graph output %d (tensor %d '%s') is never computed", i, ti,
                             g->tensors[ti].name);
        if (r->t[ti].kind == T_CONST && !r->t[ti].f)
            return mosa_fail(MOSA_ERR_UNSUPPORTED, "graph output %d is a non-float constant", i);
    }
    MOSA_TRY(rt_plan(r));
    r->n_slots = rt_max_threads();
    if (r->slot_floats) {
        r->scratch = mosa_aligned_alloc((size_t)r->n_slots * r->slot_floats * sizeof(float));
        if (!r->scratch) return MOSA_ERR_NOMEM;
    }
    /* concat input pointers are fixed once the arena exists */
    for (int i = 0; i < r->n_ops; i++) {
        rt_op *o = &r->ops[i];
        if (o->code == TFLITE_OP_CONCATENATION)
            for (int k = 0; k < o->n_cat; k++) o->cat_ptrs[k] = r->t[o->cat_in[k]].f;
    }
    return MOSA_OK;
}

mosa_status tflite_runner_open(tflite_runner **out, const tflite_model *m) {
    *out = NULL;
    if (!m) return mosa_fail(MOSA_ERR_ARG, "tflite_runner_open: no model");
    tflite_runner *r = mosa_calloc(1, sizeof *r);
    if (!r) return MOSA_ERR_NOMEM;
    r->m = m;
    mosa_status s = rt_open_impl(r);
    if (s != MOSA_OK) {
        tflite_runner_free(r);
        return s;
    }
    *out = r;
    return MOSA_OK;
}

mosa_status tflite_runner_load(tflite_runner **out, const char *path) {
    *out = NULL;
    tflite_runner *r = mosa_calloc(1, sizeof *r);
    if (!r) return MOSA_ERR_NOMEM;
    mosa_status s = tflite_model_load(&r->owned_model, path);
    if (s != MOSA_OK) {
        mosa_free(r);
        return s;
    }
    r->owns_model = 1;
    r->m = &r->owned_model;
    s = rt_open_impl(r);
    if (s != MOSA_OK) {
        mosa_fail_context(s, "%s", path);
        tflite_runner_free(r);
        return s;
    }
    *out = r;
    return MOSA_OK;
}

void tflite_runner_free(tflite_runner *r) {
    if (!r) return;
    if (r->ops)
        for (int i = 0; i < (r->g ? r->g->n_ops : 0); i++) {
            mosa_free(r->ops[i].cat_in);
            mosa_free(r->ops[i].cat_sizes);
            mosa_free(r->ops[i].cat_ptrs);
        }
    for (int i = 0; i < r->n_owned; i++) mosa_free(r->owned[i]);
    mosa_free(r->owned);
    mosa_free(r->t);
    mosa_free(r->ops);
    mosa_free(r->arena);
    mosa_free(r->scratch);
    if (r->owns_model) tflite_model_free(&r->owned_model);
    mosa_free(r);
}

/* ---- accessors ------------------------------------------------------------------------------ */

const tflite_model *tflite_runner_model(const tflite_runner *r) { return r->m; }
int tflite_runner_n_inputs(const tflite_runner *r) { return r->g->n_inputs; }
int tflite_runner_n_outputs(const tflite_runner *r) { return r->g->n_outputs; }

static mosa_status rt_shape(const tflite_runner *r, int ti, tflite_shape *s) {
    const rt_tensor *t = &r->t[ti];
    memset(s, 0, sizeof *s);
    s->rank = t->rank;
    for (int i = 0; i < t->rank; i++) s->dims[i] = t->shape[i];
    s->n = (size_t)t->n;
    s->name = r->g->tensors[ti].name;
    return MOSA_OK;
}

mosa_status tflite_runner_input_shape(const tflite_runner *r, int i, tflite_shape *s) {
    if (i < 0 || i >= r->g->n_inputs) return mosa_fail(MOSA_ERR_ARG, "input %d out of range [0, %d)", i, r->g->n_inputs);
    return rt_shape(r, r->g->inputs[i], s);
}

mosa_status tflite_runner_output_shape(const tflite_runner *r, int i, tflite_shape *s) {
    if (i < 0 || i >= r->g->n_outputs)
        return mosa_fail(MOSA_ERR_ARG, "output %d out of range [0, %d)", i, r->g->n_outputs);
    return rt_shape(r, r->g->outputs[i], s);
}

float *tflite_runner_input(tflite_runner *r, int i, size_t *n) {
    if (i < 0 || i >= r->g->n_inputs) return NULL;
    rt_tensor *t = &r->t[r->g->inputs[i]];
    if (t->kind != T_ACT) return NULL;
    if (n) *n = (size_t)t->n;
    return t->f;
}

mosa_status tflite_runner_set_input(tflite_runner *r, int i, const float *data, size_t n) {
    size_t want = 0;
    float *dst = tflite_runner_input(r, i, &want);
    if (!dst) return mosa_fail(MOSA_ERR_ARG, "tflite_runner_set_input: input %d out of range [0, %d)", i, r->g->n_inputs);
    if (n != want)
        return mosa_fail(MOSA_ERR_ARG, "tflite_runner_set_input: input %d '%s' takes %zu floats, got %zu", i,
                         r->g->tensors[r->g->inputs[i]].name, want, n);
    if (!data) return mosa_fail(MOSA_ERR_ARG, "tflite_runner_set_input: no data");
    if (dst != data) memmove(dst, data, n * sizeof(float));
    return MOSA_OK;
}

const float *tflite_runner_output(const tflite_runner *r, int i, size_t *n) {
    if (i < 0 || i >= r->g->n_outputs) return NULL;
    const rt_tensor *t = &r->t[r->g->outputs[i]];
    if (n) *n = (size_t)t->n;
    return t->f;
}

int tflite_runner_find_output(const tflite_runner *r, const char *name) {
    for (int i = 0; i < r->g->n_outputs; i++)
        if (name && strcmp(r->g->tensors[r->g->outputs[i]].name, name) == 0) return i;
    return -1;
}

void tflite_runner_get_stats(const tflite_runner *r, tflite_runner_stats *s) {
    memset(s, 0, sizeof *s);
    s->arena_bytes = r->arena_bytes;
    s->naive_bytes = r->naive_bytes;
    s->const_bytes = r->const_bytes;
    s->scratch_bytes = (size_t)r->n_slots * r->slot_floats * sizeof(float);
    s->n_ops = r->g->n_ops;
    s->n_run_ops = r->n_ops;
}

void tflite_runner_profile(tflite_runner *r, double *seconds) { r->prof = seconds; }

/* ---- run ------------------------------------------------------------------------------------ */

static inline int rt_tid(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* im2col of output rows [p0, p0 + rows) of image img: cols (rows x K). */
static void rt_im2col(float *cols, const float *img, const rt_op *o, int p0, int rows) {
    const int C = o->C, K = o->KH * o->KW * C;
    for (int rr = 0; rr < rows; rr++) {
        int ho = (p0 + rr) / o->Wo, wo = (p0 + rr) % o->Wo;
        float *dst = cols + (size_t)rr * K;
        for (int kh = 0; kh < o->KH; kh++) {
            int hi = ho * o->cp.stride_h - o->pt + kh * o->cp.dil_h;
            if (hi < 0 || hi >= o->H) {
                memset(dst, 0, (size_t)o->KW * C * sizeof(float));
                dst += (size_t)o->KW * C;
                continue;
            }
            const float *row = img + (size_t)hi * o->W * C;
            if (o->cp.dil_w == 1) {
                int wi0 = wo * o->cp.stride_w - o->pl;
                if (wi0 >= 0 && wi0 + o->KW <= o->W) {
                    memcpy(dst, row + (size_t)wi0 * C, (size_t)o->KW * C * sizeof(float));
                    dst += (size_t)o->KW * C;
                    continue;
                }
            }
            for (int kw = 0; kw < o->KW; kw++, dst += C) {
                int wi = wo * o->cp.stride_w - o->pl + kw * o->cp.dil_w;
                if (wi < 0 || wi >= o->W) memset(dst, 0, (size_t)C * sizeof(float));
                else memcpy(dst, row + (size_t)wi * C, (size_t)C * sizeof(float));
            }
        }
    }
}

static void rt_conv(tflite_runner *r, const rt_op *o, const float *in, float *out) {
    const int P = o->Ho * o->Wo, K = o->KH * o->KW * o->C, O = o->O, rows = o->rows;
    const int direct = o->KH == 1 && o->KW == 1 && o->cp.stride_h == 1 && o->cp.stride_w == 1;
    const int tiles = (P + rows - 1) / rows;
    const int64_t items = (int64_t)o->N * tiles;
    const double flops = 2.0 * o->N * P * (double)K * O;
    const int par = flops > 1e6 && items > 1 && r->n_slots >= rt_max_threads();
    const float *wp = o->w, *bias = o->bias;
    float *scratch = r->scratch;
    const size_t slot = r->slot_floats;
    MOSA_PARALLEL_FOR(par, schedule(dynamic, 1),
    for (int64_t it = 0; it < items; it++) {
        const int n = (int)(it / tiles), p0 = (int)(it % tiles) * rows;
        const int rr = P - p0 < rows ? P - p0 : rows;
        const float *img = in + (int64_t)n * o->H * o->W * o->C;
        float *y = out + ((int64_t)n * P + p0) * O;
        const float *A;
        if (direct) {
            A = img + (int64_t)p0 * o->C;
        } else {
            float *cols = scratch + (size_t)(par ? rt_tid() : 0) * slot;
            rt_im2col(cols, img, o, p0, rr);
            A = cols;
        }
        if (bias)
            for (int i = 0; i < rr; i++) memcpy(y + (size_t)i * O, bias, (size_t)O * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rr, O, K, 1.0f, A, K, wp, K, bias ? 1.0f : 0.0f, y, O);
        tfl_activate(y, (size_t)rr * O, o->cp.act);
    });
}

static void rt_dw(const rt_op *o, const float *in, float *out) {
    const int C = o->C, W = o->W, H = o->H, Wo = o->Wo, Ho = o->Ho, KH = o->KH, KW = o->KW;
    const size_t row = (size_t)Wo * C;
    const float *wp = o->wpack, *brow = wp ? o->wpack + (size_t)KH * KW * row : NULL;
    const int64_t items = (int64_t)o->N * Ho;
    const int par = (int64_t)items * row * KH * KW > 65536 && items > 1;
    MOSA_PARALLEL_FOR(par, schedule(static),
    for (int64_t it = 0; it < items; it++) {
        const int n = (int)(it / Ho), ho = (int)(it % Ho);
        float *restrict y = out + ((int64_t)n * Ho + ho) * row;
        if (brow) {
            memcpy(y, brow, row * sizeof(float));
        } else {
            for (int wo = 0; wo < Wo; wo++) {
                if (o->bias) memcpy(y + (size_t)wo * C, o->bias, (size_t)C * sizeof(float));
                else memset(y + (size_t)wo * C, 0, (size_t)C * sizeof(float));
            }
        }
        for (int kh = 0; kh < KH; kh++) {
            const int hi = ho - o->pt + kh;
            if (hi < 0 || hi >= H) continue;
            const float *xr = in + ((int64_t)n * H + hi) * W * C;
            for (int kw = 0; kw < KW; kw++) {
                const int sh = kw - o->pl; /* input column = output column + sh */
                const int wo0 = sh < 0 ? -sh : 0, wo1 = W - sh < Wo ? W - sh : Wo;
                if (wo0 >= wo1) continue;
                const float *restrict xs = xr + (int64_t)(wo0 + sh) * C;
                float *restrict yy = y + (size_t)wo0 * C;
                if (wp) { /* small C: one contiguous multiply-add over the row */
                    const float *restrict ww = wp + (size_t)(kh * KW + kw) * row + (size_t)wo0 * C;
                    const int len = (wo1 - wo0) * C;
                    _Pragma("omp simd")
                    for (int j = 0; j < len; j++) yy[j] += xs[j] * ww[j];
                } else {
                    const float *restrict f = o->w + (size_t)(kh * KW + kw) * C;
                    for (int wo = 0; wo < wo1 - wo0; wo++) {
                        float *restrict ya = yy + (size_t)wo * C;
                        const float *restrict xa = xs + (size_t)wo * C;
                        _Pragma("omp simd")
                        for (int c = 0; c < C; c++) ya[c] += xa[c] * f[c];
                    }
                }
            }
        }
        tfl_activate(y, row, o->cp.act);
    });
}

static mosa_status rt_exec(tflite_runner *r, const rt_op *o) {
    rt_tensor *T = r->t;
    float *y = T[o->out].f;
    const float *x = o->in[0] >= 0 ? T[o->in[0]].f : NULL;
    switch (o->code) {
    case TFLITE_OP_CONV_2D: rt_conv(r, o, x, y); return MOSA_OK;
    case TFLITE_OP_DEPTHWISE_CONV_2D:
        if (o->dw_rows) {
            rt_dw(o, x, y);
            return MOSA_OK;
        }
        return tfl_depthwise_conv2d(y, x, o->w, o->bias, o->N, o->H, o->W, o->C, o->M, o->KH, o->KW, &o->cp);
    case TFLITE_OP_CUSTOM:
        return tfl_transpose_conv_bias(y, x, o->w, o->bias, o->N, o->H, o->W, o->C, o->O, o->KH, o->KW, o->cp.stride_h,
                                       o->cp.stride_w, (tfl_padding)o->tconv_pad);
    case TFLITE_OP_ADD: return tfl_add(y, x, o->ra, o->sa, T[o->in[1]].f, o->rb, o->sb, o->cp.act);
    case TFLITE_OP_MUL: return tfl_mul(y, x, o->ra, o->sa, T[o->in[1]].f, o->rb, o->sb, o->cp.act);
    case TFLITE_OP_PAD: return tfl_pad(y, x, o->ra, o->sa, o->pads);
    case TFLITE_OP_MAX_POOL_2D: return tfl_max_pool2d(y, x, o->N, o->H, o->W, o->C, &o->pp);
    case TFLITE_OP_AVERAGE_POOL_2D: return tfl_avg_pool2d(y, x, o->N, o->H, o->W, o->C, &o->pp);
    case TFLITE_OP_MEAN: return tfl_mean_hw(y, x, o->N, o->H, o->W, o->C);
    case TFLITE_OP_RESIZE_BILINEAR:
        return tfl_resize_bilinear(y, x, o->N, o->H, o->W, o->C, o->Ho, o->Wo, o->align_corners, o->half_pixel);
    case TFLITE_OP_RESHAPE: if (y != x) tfl_reshape(y, x, (size_t)T[o->out].n); return MOSA_OK;
    case TFLITE_OP_LOGISTIC: tfl_logistic(y, x, (size_t)T[o->out].n); return MOSA_OK;
    case TFLITE_OP_RELU: tfl_relu(y, x, (size_t)T[o->out].n); return MOSA_OK;
    case TFLITE_OP_RELU6: tfl_relu6(y, x, (size_t)T[o->out].n); return MOSA_OK;
    case TFLITE_OP_HARD_SWISH: tfl_hard_swish(y, x, (size_t)T[o->out].n); return MOSA_OK;
    case TFLITE_OP_CONCATENATION:
        return tfl_concat(y, o->cat_ptrs, o->n_cat, o->ra, o->sa, o->cat_axis, o->cat_sizes, o->cp.act);
    default: return mosa_fail(MOSA_ERR_UNSUPPORTED, "operator %d: op %d cannot run", o->file_index, o->code);
    }
}

mosa_status tflite_runner_run(tflite_runner *r) {
    if (!r) return mosa_fail(MOSA_ERR_ARG, "tflite_runner_run: no runner");
    for (int i = 0; i < r->n_ops; i++) {
        const rt_op *o = &r->ops[i];
        double t0 = r->prof ? time_now() : 0;
        mosa_status s = rt_exec(r, o);
        if (s != MOSA_OK) return mosa_fail_context(s, "operator %d (%s)", o->file_index, op_label(o->op));
        if (r->prof) r->prof[o->file_index] += time_now() - t0;
    }
    return MOSA_OK;
}
