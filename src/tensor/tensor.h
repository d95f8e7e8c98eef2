/* tensor.h: fp32 tensors, views, the step context (arena + autodiff tape), and parameters.
 *
 * What this is: the core every learned part of mosa is built on. A tensor is up to 5 dims of
 * float32 with element strides, so reshape/permute/slice/expand are views that share memory.
 * Ops are functions `tensor *op_xxx(ctx *c, ...)` that allocate their output in the context's
 * arena, compute it, and (when gradients are wanted) push a node on the context's tape. Calling
 * ctx_backward(c, loss) walks the tape in reverse and accumulates gradients (+=) into each
 * input's `grad`. ctx_reset(c) drops every activation and the tape in O(1).
 *
 * What this is not: a lazy graph compiler. Ops run when called (define-by-run).
 *
 * Rules every op follows (see op_elementwise.c for the pattern):
 *   - Inputs may be non-contiguous views unless the op's comment says otherwise; an op that needs
 *     contiguous data calls op_contiguous() first (which is free for contiguous tensors).
 *   - Outputs are always new contiguous tensors from the arena (views come only from view ops).
 *   - Backward functions ACCUMULATE into input grads (t_grad() returns a zeroed buffer the first
 *     time) and never overwrite them; grads are contiguous with the tensor's logical shape.
 *   - Scratch memory in a backward may use arena_get_mark/arena_release, but call t_grad() on the
 *     inputs BEFORE taking the mark: a grad allocated after the mark would be released with it.
 *   - Bad shapes are programming errors inside a model but bad input at the API boundary; ops
 *     check shapes with T_CHECK, which records an error in the context and returns NULL. Every
 *     op returns NULL if any input is NULL, so a chain of ops can be checked once at its end.
 */
#ifndef MOSA_TENSOR_H
#define MOSA_TENSOR_H

#include "../base/base.h"

#define T_MAX_DIMS 5
#define T_MAX_INPUTS 6

typedef struct tensor {
    int nd;                       /* number of dims, 0..5 (0 = scalar with one element) */
    int64_t shape[T_MAX_DIMS];    /* shape[0] is the outermost dim */
    int64_t stride[T_MAX_DIMS];   /* in elements; 0 for expanded (broadcast) dims */
    float *data;                  /* the first element */
    float *grad;                  /* NULL until a gradient arrives; contiguous, numel floats */
    uint8_t requires_grad;        /* a gradient is wanted for this tensor */
    uint8_t is_param;             /* lives in a param_store, not the arena */
    const char *name;             /* parameter name (PyTorch state_dict key) or NULL */
} tensor;

typedef struct ctx ctx;
typedef struct tape_node tape_node;
typedef void (*backward_fn)(ctx *c, tape_node *n);

/* One recorded op. Saved state lives in the arena (saved) or in the small inline arrays. */
struct tape_node {
    backward_fn backward;
    const char *op;               /* op name, for error messages and debugging */
    tensor *out;
    tensor *in[T_MAX_INPUTS];     /* inputs; entries may be NULL for absent optional inputs */
    int n_in;
    int64_t ip[8];                /* integer params (axes, strides, flags) */
    float fp[8];                  /* float params (eps, scale, ...) */
    void *saved;                  /* op-specific saved data (arena) */
    tensor *aux[4];               /* op-specific saved tensors (arena) */
    tape_node *prev;
};

struct ctx {
    arena mem;                    /* activations, activation grads, tape nodes: reset per step */
    tape_node *tape;              /* most recent node */
    int64_t n_nodes;
    int grad_enabled;             /* 0 = no-grad mode: nothing is recorded */
    int training;                 /* dropout is active only when training */
    mosa_rng rng;                 /* dropout and other in-graph randomness */
    mosa_status status;           /* first error seen since the last reset */
};

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                     */
/* ------------------------------------------------------------------------------------------ */

void ctx_init(ctx *c, size_t arena_bytes);
void ctx_free(ctx *c);
/* Drops all activations, grads of activations and the tape. Parameter grads are kept. */
void ctx_reset(ctx *c);
/* Reverse-mode pass from a one-element tensor (d loss/d loss = 1). */
mosa_status ctx_backward(ctx *c, tensor *loss);
/* Vector-Jacobian product: seeds out's gradient with `seed` (numel floats) and runs backward. */
mosa_status ctx_backward_seed(ctx *c, tensor *out, const float *seed);
/* Returns the previous grad_enabled value, so no-grad regions nest: int g = ctx_no_grad(c); ... ctx_set_grad(c, g); */
int ctx_no_grad(ctx *c);
void ctx_set_grad(ctx *c, int enabled);
/* Records an error (the first one wins) and returns NULL, for use in ops. */
tensor *ctx_fail(ctx *c, mosa_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Checks a condition inside an op; on failure records "<op>: <message>" and returns NULL. */
#define T_CHECK(c, cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) return ctx_fail((c), MOSA_ERR_ARG, __VA_ARGS__);          \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Tensors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* New contiguous tensor in the arena (uninitialised / zeroed). shape has nd entries. */
tensor *t_new(ctx *c, int nd, const int64_t *shape);
tensor *t_zeros(ctx *c, int nd, const int64_t *shape);
/* Shape literal helper: t_new(c, T_SHAPE(2, 3, 4)) */
#define T_SHAPE(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (const int64_t[]){__VA_ARGS__}
/* A tensor that wraps caller-owned memory (contiguous); no grad unless requires_grad is set. */
tensor *t_wrap(ctx *c, float *data, int nd, const int64_t *shape);
/* New tensor filled from values (copied). */
tensor *t_from(ctx *c, const float *values, int nd, const int64_t *shape);
tensor *t_fill(ctx *c, float v, int nd, const int64_t *shape);
tensor *t_randn(ctx *c, mosa_rng *r, float std, int nd, const int64_t *shape);

int64_t t_numel(const tensor *t);
int t_is_contiguous(const tensor *t);
int t_same_shape(const tensor *a, const tensor *b);
void t_set_contiguous_strides(tensor *t);
/* "(2,3,4)" into buf, for messages. */
const char *t_shape_str(const tensor *t, char *buf, size_t n);
/* Normalises a possibly negative axis; -1 if out of range. */
int t_axis(const tensor *t, int axis);
/* Gradient buffer of t (zeroed, arena-allocated on first use unless t is a parameter). */
float *t_grad(ctx *c, tensor *t);
/* Copies t (any strides) into dst (contiguous, numel floats). */
void t_copy_to_contiguous(float *dst, const tensor *t);
/* Adds src (contiguous, numel floats) into the strided grad-shaped buffer of a view: used by the
 * backward of views. `dst` has the strides `stride` relative to its base (0 strides sum). */
void t_accumulate_strided(float *dst, const int64_t *stride, const float *src, int nd, const int64_t *shape);

/* ------------------------------------------------------------------------------------------ */
/* Recording ops                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Pushes a node if gradients are enabled and any input requires grad; sets out->requires_grad.
 * Returns NULL when nothing was recorded (then the op need not save anything). */
tape_node *tape_push(ctx *c, const char *op, backward_fn bw, tensor *out, int n_in, tensor *const *in);
/* 1 if the node's input i wants a gradient. */
static inline int tape_wants(const tape_node *n, int i) { return n->in[i] && n->in[i]->requires_grad; }

/* ------------------------------------------------------------------------------------------ */
/* View ops (share memory; backward scatters into the base)                                    */
/* ------------------------------------------------------------------------------------------ */

tensor *op_reshape(ctx *c, tensor *x, int nd, const int64_t *shape); /* one dim may be -1; copies if x is not contiguous */
tensor *op_permute(ctx *c, tensor *x, const int *perm);
tensor *op_transpose(ctx *c, tensor *x, int a, int b);
/* Elements [start, start+len) along axis, stepping by step (>= 1). */
tensor *op_slice(ctx *c, tensor *x, int axis, int64_t start, int64_t len, int64_t step);
/* Broadcast size-1 dims (or new leading dims) to shape, stride 0. */
tensor *op_expand(ctx *c, tensor *x, int nd, const int64_t *shape);
/* A contiguous copy (returns x itself when already contiguous). */
tensor *op_contiguous(ctx *c, tensor *x);

/* ------------------------------------------------------------------------------------------ */
/* Parameters: one slab per model with a name table                                            */
/* ------------------------------------------------------------------------------------------ */

typedef struct param_store {
    int n, cap;
    tensor **t;                   /* stable pointers, in creation order */
    float *data;                  /* one slab for all values once finalized */
    float *grad;                  /* one slab for all grads once finalized */
    size_t numel;                 /* total elements */
    int finalized;
} param_store;

void params_init(param_store *ps);
void params_free(param_store *ps);
/* Adds a parameter (zero-initialised; requires grad). Its name is copied. NULL on failure. */
tensor *params_add(param_store *ps, const char *name, int nd, const int64_t *shape);
/* Packs all parameters into one data slab and one zeroed grad slab. Call once after adding. */
mosa_status params_finalize(param_store *ps);
tensor *params_find(const param_store *ps, const char *name);
/* Freezes (requires_grad = 0) or unfreezes every parameter whose name starts with prefix
 * ("" = all). Returns the number changed. */
int params_set_frozen(param_store *ps, const char *prefix, int frozen);
void params_zero_grad(param_store *ps);
size_t params_count(const param_store *ps, int trainable_only);

#endif /* MOSA_TENSOR_H */
