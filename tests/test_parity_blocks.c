/* test_parity_blocks.c: composite blocks against PyTorch (fixtures from ref/ref_blocks.py).
 *
 * For a pre-LN transformer block, a DiT block with adaLN and RoPE, an attention layer with RoPE
 * and a key mask, and a causal conv3d stack, loads the PyTorch weights by state_dict name, runs
 * forward and backward of sum(y * r), and requires the output and every gradient (parameters
 * and inputs) to match the float64 reference with max|ours - ref| / max|ref| < 1e-4. The
 * transformer block is also trained for 10 AdamW steps; the 10 losses must match to 1e-4. */
#include "nn/nn.h"
#include "tensor/optim.h"
#include "tensor/safetensors.h"
#include "gradcheck.h"
#include "test.h"

#include <string.h>
#include <unistd.h>

#define TOL 1e-4

static char g_path[1024];

static const char *fixture(const char *name) {
    snprintf(g_path, sizeof g_path, "%s/%s.safetensors", MOSA_FIXTURE_DIR, name);
    return g_path;
}

/* Normwise relative error of got against the file's tensor `name`. */
static void check(const st_file *f, const char *what, const char *name, const float *got, int64_t n) {
    char descr[256];
    snprintf(descr, sizeof descr, "%s: %s", what, name);
    const double rel = fixture_rel_error(f, name, got, n);
    if (!(rel >= 0 && rel < TOL)) printf("FAIL %s: relative error %.3g (tol %.0e; -1 = missing or wrong size)\n", descr, rel, TOL);
    TEST_COND(descr, rel >= 0 && rel < TOL);
}

static tensor *input(ctx *c, const st_file *f, const char *name, int requires_grad) {
    const st_tensor *t = st_find(f, name);
    if (!t) return NULL;
    int64_t shape[T_MAX_DIMS];
    for (int i = 0; i < t->nd; i++) shape[i] = (int64_t)t->shape[i];
    tensor *x = t_new(c, t->nd, shape);
    st_read_f32(t, x->data);
    x->requires_grad = (uint8_t)requires_grad;
    return x;
}

static void check_params(const st_file *f, const char *what, const param_store *ps) {
    char name[300];
    for (int i = 0; i < ps->n; i++) {
        snprintf(name, sizeof name, "grad.%s", ps->t[i]->name);
        check(f, what, name, ps->t[i]->grad, t_numel(ps->t[i]));
    }
}

static uint8_t *mask_of(ctx *c, const st_file *f) {
    const st_tensor *t = st_find(f, "in.mask");
    float *m = arena_alloc(&c->mem, t->nelements * sizeof(float));
    uint8_t *u = arena_alloc(&c->mem, t->nelements);
    st_read_f32(t, m);
    for (uint64_t i = 0; i < t->nelements; i++) u[i] = m[i] != 0.0f;
    return u;
}

static void test_transformer_block(void) {
    st_file f;
    TEST_COND("open transformer_block fixture", st_open(&f, fixture("transformer_block")) == MOSA_OK);
    param_store ps;
    params_init(&ps);
    nn_transformer_block blk;
    mosa_rng r;
    rng_seed(&r, 0);
    TEST_COND("build", nn_transformer_block_init(&blk, &ps, "", 32, 4, 4, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    TEST_COND("load weights by name", st_load_params(&ps, g_path, 0) == MOSA_OK);
    ctx c;
    ctx_init(&c, 1 << 22);
    tensor *x = input(&c, &f, "in.x", 1);
    uint8_t *mask = mask_of(&c, &f);
    tensor *y = nn_transformer_block_forward(&c, &blk, x, 1, mask);
    TEST_COND("forward", y != NULL);
    check(&f, "transformer block", "out.y", y->data, t_numel(y));
    const st_tensor *rt = st_find(&f, "in.r");
    float *rr = arena_alloc(&c.mem, rt->nelements * sizeof(float));
    st_read_f32(rt, rr);
    TEST_COND("backward", ctx_backward_seed(&c, y, rr) == MOSA_OK);
    check(&f, "transformer block", "grad.in.x", x->grad, t_numel(x));
    check_params(&f, "transformer block", &ps);

    /* 10 AdamW steps (torch: lr 1e-2, wd 0.01 on every parameter) on mse(y, target) */
    TEST_COND("reload weights", st_load_params(&ps, g_path, 0) == MOSA_OK);
    params_zero_grad(&ps);
    adamw opt;
    adamw_cfg cfg = adamw_defaults(1e-2f);
    cfg.decay_all = 1;
    adamw_init(&opt, &ps, cfg);
    float losses[10];
    for (int step = 0; step < 10; step++) {
        ctx_reset(&c);
        tensor *xi = input(&c, &f, "in.x", 0);
        tensor *tg = input(&c, &f, "train.target", 0);
        uint8_t *m = mask_of(&c, &f);
        tensor *loss = op_mse_loss(&c, nn_transformer_block_forward(&c, &blk, xi, 1, m), tg);
        losses[step] = loss ? loss->data[0] : NAN;
        ctx_backward(&c, loss);
        adamw_step(&opt, &ps, 1e-2f);
        params_zero_grad(&ps);
    }
    const st_tensor *lt = st_find(&f, "train.losses");
    float want[10];
    st_read_f32(lt, want);
    TEST_CLOSE("10 AdamW steps: losses match torch", losses, want, 10, TOL, 1e-6);
    adamw_free(&opt);
    ctx_free(&c);
    params_free(&ps);
    st_close(&f);
}

static void test_dit_block(void) {
    st_file f;
    TEST_COND("open dit_block fixture", st_open(&f, fixture("dit_block")) == MOSA_OK);
    param_store ps;
    params_init(&ps);
    nn_dit_block blk;
    mosa_rng r;
    rng_seed(&r, 0);
    TEST_COND("build", nn_dit_block_init(&blk, &ps, "", 48, 3, 4, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    TEST_COND("load weights by name (strict about the model's names)", st_load_params(&ps, g_path, 0) == MOSA_OK);
    ctx c;
    ctx_init(&c, 1 << 22);
    tensor *x = input(&c, &f, "in.x", 1);
    tensor *cond = input(&c, &f, "in.cond", 1);
    float cs[10 * 8], sn[10 * 8];
    rope_table_1d(cs, sn, 10, 16, 10000.0f);
    tensor *y = nn_dit_block_forward(&c, &blk, x, cond, cs, sn);
    TEST_COND("forward", y != NULL);
    check(&f, "dit block", "out.y", y->data, t_numel(y));
    const st_tensor *rt = st_find(&f, "in.r");
    float *rr = arena_alloc(&c.mem, rt->nelements * sizeof(float));
    st_read_f32(rt, rr);
    TEST_COND("backward", ctx_backward_seed(&c, y, rr) == MOSA_OK);
    check(&f, "dit block", "grad.in.x", x->grad, t_numel(x));
    check(&f, "dit block", "grad.in.cond", cond->grad, t_numel(cond));
    check_params(&f, "dit block", &ps);
    ctx_free(&c);
    params_free(&ps);
    st_close(&f);
}

static void test_attention(void) {
    st_file f;
    TEST_COND("open attention fixture", st_open(&f, fixture("attention")) == MOSA_OK);
    param_store ps;
    params_init(&ps);
    nn_attention att;
    mosa_rng r;
    rng_seed(&r, 0);
    TEST_COND("build", nn_attention_init(&att, &ps, "", 128, 2, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    TEST_COND("load weights", st_load_params(&ps, g_path, 0) == MOSA_OK);
    ctx c;
    ctx_init(&c, 1 << 22);
    tensor *x = input(&c, &f, "in.x", 1);
    uint8_t *mask = mask_of(&c, &f);
    float cs[70 * 32], sn[70 * 32];
    rope_table_1d(cs, sn, 70, 64, 10000.0f);
    tensor *y = nn_attention_forward(&c, &att, x, 0, mask, cs, sn);
    TEST_COND("forward", y != NULL);
    check(&f, "attention", "out.y", y->data, t_numel(y));
    const st_tensor *rt = st_find(&f, "in.r");
    float *rr = arena_alloc(&c.mem, rt->nelements * sizeof(float));
    st_read_f32(rt, rr);
    TEST_COND("backward", ctx_backward_seed(&c, y, rr) == MOSA_OK);
    check(&f, "attention", "grad.in.x", x->grad, t_numel(x));
    check_params(&f, "attention", &ps);
    ctx_free(&c);
    params_free(&ps);
    st_close(&f);
}

static void test_conv3d_stack(void) {
    st_file f;
    TEST_COND("open conv3d_stack fixture", st_open(&f, fixture("conv3d_stack")) == MOSA_OK);
    param_store ps;
    params_init(&ps);
    nn_causal_conv3d conv_in, conv_out;
    nn_resnet3d block;
    mosa_rng r;
    rng_seed(&r, 0);
    TEST_COND("build", nn_causal_conv3d_init(&conv_in, &ps, "conv_in", 4, 8, 3, &r) == MOSA_OK &&
                           nn_resnet3d_init(&block, &ps, "block", 8, 16, 4, &r) == MOSA_OK &&
                           nn_causal_conv3d_init(&conv_out, &ps, "conv_out", 16, 8, 3, &r) == MOSA_OK &&
                           params_finalize(&ps) == MOSA_OK);
    TEST_COND("load weights", st_load_params(&ps, g_path, 0) == MOSA_OK);
    ctx c;
    ctx_init(&c, 1 << 22);
    tensor *x = input(&c, &f, "in.x", 1);
    tensor *h = nn_resnet3d_forward(&c, &block, nn_causal_conv3d_forward(&c, &conv_in, x, NULL));
    const int fac[3] = {1, 2, 2};
    tensor *y = nn_causal_conv3d_forward(&c, &conv_out, op_upsample_nearest(&c, h, fac), NULL);
    TEST_COND("forward", y != NULL);
    check(&f, "conv3d stack", "out.y", y->data, t_numel(y));
    const st_tensor *rt = st_find(&f, "in.r");
    float *rr = arena_alloc(&c.mem, rt->nelements * sizeof(float));
    st_read_f32(rt, rr);
    TEST_COND("backward", ctx_backward_seed(&c, y, rr) == MOSA_OK);
    check(&f, "conv3d stack", "grad.in.x", x->grad, t_numel(x));
    check_params(&f, "conv3d stack", &ps);
    ctx_free(&c);
    params_free(&ps);
    st_close(&f);
}

int main(void) {
    if (access(fixture("transformer_block"), R_OK) != 0) {
        printf("skipped: PyTorch fixtures not found in %s (ref_fixtures needs python3-torch; run ./setup.sh)\n",
               MOSA_FIXTURE_DIR);
        return 77;
    }
    mosa_set_threads(2);
    test_transformer_block();
    test_dit_block();
    test_attention();
    test_conv3d_stack();
    return test_report();
}
