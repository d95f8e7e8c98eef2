/* test_train.c: a real training loop (two transformer blocks and a head, dropout, AdamW with
 * clipping and a cosine schedule, EMA, data drawn from a seeded generator) must
 *   1. make no heap allocation at all after its first step (every malloc in the process is
 *      counted, OpenBLAS and OpenMP included, except under sanitizers, which own malloc; there
 *      mosa's own counter is used), and
 *   2. resume bit-exactly: train k steps, save the training state, train k more; then rebuild
 *      the model from a different initialisation, load the state, retrain the same k steps:
 *      losses, parameters, moments and EMA must be identical to the byte. */
#include "nn/nn.h"
#include "tensor/train_state.h"
#include "test.h"

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALL_MALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALL_MALLOCS 0
#endif
#endif
#ifndef COUNT_ALL_MALLOCS
#define COUNT_ALL_MALLOCS 1
#endif

#if COUNT_ALL_MALLOCS
/* Count every allocation in the process by interposing glibc's malloc family. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static atomic_long g_mallocs;
void *malloc(size_t n) { atomic_fetch_add(&g_mallocs, 1); return __libc_malloc(n); }
void *calloc(size_t n, size_t s) { atomic_fetch_add(&g_mallocs, 1); return __libc_calloc(n, s); }
void *realloc(void *p, size_t n) { atomic_fetch_add(&g_mallocs, 1); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { atomic_fetch_add(&g_mallocs, 1); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { atomic_fetch_add(&g_mallocs, 1); return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n) {
    atomic_fetch_add(&g_mallocs, 1);
    *p = __libc_memalign(a, n);
    return *p ? 0 : 12;
}
void free(void *p) { __libc_free(p); }
static long allocations(void) { return atomic_load(&g_mallocs); }
#else
static long allocations(void) { return (long)mosa_alloc_count(); }
#endif

enum { B = 2, T = 12, C = 32, NH = 4, STEPS = 6 };

typedef struct model {
    param_store ps;
    nn_transformer_block blk[2];
    nn_linear head;
    adamw opt;
    ema avg;
    mosa_rng data_rng;
    ctx c;
    float *x, *y; /* the current batch, filled from data_rng */
} model;

static void model_build(model *m, uint64_t init_seed) {
    memset(m, 0, sizeof *m);
    params_init(&m->ps);
    mosa_rng r;
    rng_seed(&r, init_seed);
    nn_transformer_block_init(&m->blk[0], &m->ps, "blocks.0", C, NH, 4, &r);
    nn_transformer_block_init(&m->blk[1], &m->ps, "blocks.1", C, NH, 4, &r);
    nn_linear_init(&m->head, &m->ps, "head", C, C, 1, &r);
    params_finalize(&m->ps);
    adamw_init(&m->opt, &m->ps, adamw_defaults(3e-3f));
    ema_init(&m->avg, &m->ps, 0.9f);
    rng_seed(&m->data_rng, 1234);
    ctx_init(&m->c, 1 << 16); /* deliberately small: the first step must grow it */
    rng_seed(&m->c.rng, 99);
    m->x = mosa_malloc(sizeof(float) * B * T * C);
    m->y = mosa_malloc(sizeof(float) * B * T * C);
}

static void model_free(model *m) {
    ctx_free(&m->c);
    adamw_free(&m->opt);
    ema_free(&m->avg);
    params_free(&m->ps);
    mosa_free(m->x);
    mosa_free(m->y);
}

static float train_step(model *m, int64_t step) {
    ctx *c = &m->c;
    rng_normal(&m->data_rng, m->x, B * T * C, 0.0f, 1.0f);
    rng_normal(&m->data_rng, m->y, B * T * C, 0.0f, 1.0f);
    tensor *x = t_wrap(c, m->x, T_SHAPE(B, T, C));
    tensor *y = t_wrap(c, m->y, T_SHAPE(B, T, C));
    tensor *h = nn_transformer_block_forward(c, &m->blk[0], x, 1, NULL);
    h = op_dropout(c, h, 0.1f);
    h = nn_transformer_block_forward(c, &m->blk[1], h, 1, NULL);
    tensor *loss = op_mse_loss(c, nn_linear_forward(c, &m->head, h), y);
    if (!loss || ctx_backward(c, loss) != MOSA_OK) {
        printf("  step %lld failed: %s\n", (long long)step, mosa_last_error());
        ctx_reset(c);
        return NAN;
    }
    const float l = loss->data[0];
    grad_clip_global_norm(&m->ps, 1.0f);
    adamw_step(&m->opt, &m->ps, lr_warmup_cosine(step, 2, 2 * STEPS, 3e-3f, 3e-4f));
    ema_update(&m->avg, &m->ps);
    params_zero_grad(&m->ps);
    ctx_reset(c); /* the end of the step: the arena is merged to its peak the first time */
    return l;
}

int main(void) {
    mosa_set_threads(2);
    char path[256];
    snprintf(path, sizeof path, "/tmp/mosa_test_train_%d.safetensors", (int)getpid());

    /* ---- 1. no heap allocation after the first step ---- */
    model a;
    model_build(&a, 1);
    float losses[2 * STEPS];
    losses[0] = train_step(&a, 0);
    long before = allocations();
    for (int s = 1; s < STEPS; s++) losses[s] = train_step(&a, s);
    long after = allocations();
    if (after != before) printf("  %ld heap allocations in steps 1..%d\n", after - before, STEPS - 1);
    TEST_COND(COUNT_ALL_MALLOCS ? "no malloc in the process after the first step"
                                : "no mosa allocation after the first step (sanitizer build)",
              after == before);
    TEST_COND("losses are finite", isfinite(losses[0]) && isfinite(losses[STEPS - 1]));

    /* ---- 2. save at step STEPS, continue, then resume from the file and compare ---- */
    train_state_rng rngs_a[2] = {{"data", &a.data_rng}, {"dropout", &a.c.rng}};
    TEST_COND("save training state", train_state_save(path, &a.ps, &a.opt, &a.avg, rngs_a, 2, STEPS) == MOSA_OK);
    for (int s = STEPS; s < 2 * STEPS; s++) losses[s] = train_step(&a, s);

    model b;
    model_build(&b, 777); /* different weights and a different data position until loaded */
    train_state_rng rngs_b[2] = {{"data", &b.data_rng}, {"dropout", &b.c.rng}};
    int64_t pos = -1;
    TEST_COND("load training state", train_state_load(path, &b.ps, &b.opt, &b.avg, rngs_b, 2, &pos) == MOSA_OK);
    TEST_COND("data position restored", pos == STEPS);
    TEST_COND("step restored", b.opt.step == STEPS);
    float resumed[STEPS];
    for (int s = 0; s < STEPS; s++) resumed[s] = train_step(&b, STEPS + s);
    TEST_COND("resumed losses are bit-identical", memcmp(resumed, losses + STEPS, sizeof resumed) == 0);
    TEST_COND("parameters bit-identical", memcmp(a.ps.data, b.ps.data, a.ps.numel * sizeof(float)) == 0);
    TEST_COND("AdamW moments bit-identical", memcmp(a.opt.m, b.opt.m, a.ps.numel * sizeof(float)) == 0 &&
                                                 memcmp(a.opt.v, b.opt.v, a.ps.numel * sizeof(float)) == 0);
    TEST_COND("EMA bit-identical", memcmp(a.avg.shadow, b.avg.shadow, a.ps.numel * sizeof(float)) == 0);
    for (int s = 0; s < STEPS; s++) printf("  step %2d loss %.9g resumed %.9g\n", STEPS + s, losses[STEPS + s], resumed[s]);

    /* ---- a state from another model is refused and changes nothing ---- */
    model d;
    memset(&d, 0, sizeof d);
    params_init(&d.ps);
    mosa_rng r;
    rng_seed(&r, 5);
    nn_linear other;
    nn_linear_init(&other, &d.ps, "head", C, 2 * C, 1, &r);
    params_finalize(&d.ps);
    adamw_init(&d.opt, &d.ps, adamw_defaults(1e-3f));
    float keep = other.w->data[0];
    mosa_status st = train_state_load(path, &d.ps, &d.opt, NULL, NULL, 0, NULL);
    TEST_COND("mismatched model refused", st == MOSA_ERR_MISMATCH);
    TEST_COND("mismatch message names the tensor", strstr(mosa_last_error(), "head.weight") != NULL);
    TEST_COND("nothing modified", other.w->data[0] == keep && d.opt.step == 0);
    st = train_state_load("/nonexistent/dir/state.safetensors", &d.ps, &d.opt, NULL, NULL, 0, NULL);
    TEST_COND("missing file is an i/o error", st == MOSA_ERR_IO);
    adamw_free(&d.opt);
    params_free(&d.ps);

    model_free(&a);
    model_free(&b);
    unlink(path);
    return test_report();
}
