/* test_tensor.c: context, arena, views, broadcasting elementwise ops, RNG, parameters. */
#include "gradcheck.h"
#include "test.h"

#include <string.h>

static tensor *f_add(ctx *c, tensor *const *in, void *u) { return op_add(c, in[0], in[1]); }
static tensor *f_sub(ctx *c, tensor *const *in, void *u) { return op_sub(c, in[0], in[1]); }
static tensor *f_mul(ctx *c, tensor *const *in, void *u) { return op_mul(c, in[0], in[1]); }
static tensor *f_div(ctx *c, tensor *const *in, void *u) { return op_div(c, in[0], in[1]); }
static tensor *f_scale(ctx *c, tensor *const *in, void *u) { return op_add_scalar(c, op_scale(c, in[0], -2.5f), 1.0f); }
static tensor *f_permute(ctx *c, tensor *const *in, void *u) {
    static const int perm[4] = {2, 0, 3, 1};
    /* multiply so the gradient depends on the layout */
    return op_mul(c, op_permute(c, in[0], perm), in[1]);
}
static tensor *f_slice(ctx *c, tensor *const *in, void *u) {
    tensor *s = op_slice(c, in[0], 1, 1, 3, 2);   /* (4,7,5) -> (4,3,5) */
    s = op_slice(c, s, -1, 2, 3, 1);               /* -> (4,3,3) */
    return op_mul(c, s, s);
}
static tensor *f_expand(ctx *c, tensor *const *in, void *u) {
    tensor *e = op_expand(c, in[0], T_SHAPE(2, 3, 4));  /* (3,1) -> (2,3,4) */
    return op_mul(c, e, in[1]);
}
static tensor *f_reshape(ctx *c, tensor *const *in, void *u) {
    tensor *t = op_transpose(c, in[0], 0, 1);           /* (3,4) -> (4,3), non-contiguous */
    tensor *r = op_reshape(c, t, T_SHAPE(2, -1));       /* copies, -> (2,6) */
    return op_mul(c, r, in[1]);
}

int main(void) {
    /* ---- RNG matches torch.manual_seed(0); torch.randn(20); torch.randn(3); torch.rand(3) ---- */
    {
        mosa_rng r;
        rng_seed(&r, 0);
        float x[20], y[3];
        rng_normal(&r, x, 20, 0, 1);
        rng_normal(&r, y, 3, 0, 1);
        const float want_x[4] = {-1.1258f, -1.1524f, -0.2506f, -0.4339f};
        const float want_y[3] = {-0.8920f, -1.5091f, 0.3704f};
        TEST_CLOSE("randn(20) matches torch seed 0", x, want_x, 4, 1e-3, 1.0);
        TEST_CLOSE("randn(3) matches torch after randn(20)", y, want_y, 3, 1e-3, 1.0);
        rng_seed(&r, 0);
        float u[3];
        rng_uniform(&r, u, 3);
        const float want_u[3] = {0.4963f, 0.7682f, 0.0885f}; /* torch.manual_seed(0); torch.rand(3) */
        TEST_CLOSE("rand(3) matches torch seed 0", u, want_u, 3, 1e-3, 1.0);
    }

    /* ---- arena: after a step has grown it, the same step allocates nothing ---- */
    {
        arena a;
        arena_init(&a, 1024);
        for (int step = 0; step < 3; step++) {
            uint64_t before = mosa_alloc_count();
            for (int i = 0; i < 100; i++) TEST_COND("arena alloc", arena_alloc(&a, 10000 + i) != NULL);
            uint64_t after = mosa_alloc_count();
            if (step >= 1) TEST_COND("no heap allocations after the first step", after == before);
            arena_reset(&a);
        }
        arena_free(&a);
    }

    /* ---- views share memory ---- */
    {
        ctx c;
        ctx_init(&c, 1 << 16);
        float v[12];
        for (int i = 0; i < 12; i++) v[i] = (float)i;
        tensor *x = t_from(&c, v, T_SHAPE(3, 4));
        tensor *t = op_transpose(&c, x, 0, 1);
        TEST_COND("transpose is a view", t->data == x->data && !t_is_contiguous(t));
        TEST_COND("transpose element", t->data[2 * t->stride[0] + 1 * t->stride[1]] == 6.0f);
        tensor *s = op_slice(&c, x, 1, 1, 2, 2);
        TEST_COND("slice element", s->data[1 * s->stride[0] + 1 * s->stride[1]] == 7.0f);
        tensor *bad = op_reshape(&c, x, T_SHAPE(5, 3));
        TEST_COND("bad reshape fails", bad == NULL && c.status == MOSA_ERR_ARG);
        TEST_COND("bad reshape message names sizes", strstr(mosa_last_error(), "12 elements") != NULL);
        ctx_free(&c);
    }

    /* ---- gradient checks ---- */
    gc_input same[2] = {{3, {2, 3, 5}}, {3, {2, 3, 5}}};
    gc_input bcast[2] = {{3, {2, 3, 5}}, {2, {3, 1}}};
    gc_input bcast2[2] = {{2, {1, 5}}, {3, {4, 1, 5}}};
    TEST_COND("grad add", gradcheck("add", f_add, 2, same, NULL, NULL) == 0);
    TEST_COND("grad add broadcast", gradcheck("add_b", f_add, 2, bcast, NULL, NULL) == 0);
    TEST_COND("grad sub broadcast", gradcheck("sub_b", f_sub, 2, bcast2, NULL, NULL) == 0);
    TEST_COND("grad mul broadcast", gradcheck("mul_b", f_mul, 2, bcast, NULL, NULL) == 0);
    gc_input divin[2] = {{3, {2, 3, 5}}, {2, {3, 1}, 0.5f, 2.0f}};
    TEST_COND("grad div broadcast", gradcheck("div_b", f_div, 2, divin, NULL, NULL) == 0);
    gc_input one[1] = {{2, {3, 7}}};
    TEST_COND("grad scale/add_scalar", gradcheck("scale", f_scale, 1, one, NULL, NULL) == 0);
    gc_input perm[2] = {{4, {2, 3, 4, 5}}, {4, {4, 2, 5, 3}}};
    TEST_COND("grad permute", gradcheck("permute", f_permute, 2, perm, NULL, NULL) == 0);
    gc_input sl[1] = {{3, {4, 7, 5}}};
    TEST_COND("grad slice", gradcheck("slice", f_slice, 1, sl, NULL, NULL) == 0);
    gc_input ex[2] = {{2, {3, 1}}, {3, {2, 3, 4}}};
    TEST_COND("grad expand", gradcheck("expand", f_expand, 2, ex, NULL, NULL) == 0);
    gc_input rs[2] = {{2, {3, 4}}, {2, {2, 6}}};
    TEST_COND("grad reshape of a transposed view", gradcheck("reshape", f_reshape, 2, rs, NULL, NULL) == 0);

    /* ---- parameters: slab, freeze, find ---- */
    {
        param_store ps;
        params_init(&ps);
        tensor *w = params_add(&ps, "blocks.0.attn.qkv.weight", T_SHAPE(6, 4));
        tensor *b = params_add(&ps, "blocks.0.attn.qkv.bias", T_SHAPE(6));
        tensor *e = params_add(&ps, "embed.weight", T_SHAPE(10, 4));
        TEST_COND("params added", w && b && e);
        w->data[3] = 7.0f;
        TEST_COND("finalize", params_finalize(&ps) == MOSA_OK);
        TEST_COND("data kept through finalize", w->data[3] == 7.0f);
        TEST_COND("one slab", w->data == ps.data && b->data == ps.data + 24 && e->data == ps.data + 30);
        TEST_COND("freeze by prefix", params_set_frozen(&ps, "blocks.", 1) == 2);
        TEST_COND("frozen count", params_count(&ps, 1) == 40 && params_count(&ps, 0) == 70);
        TEST_COND("find", params_find(&ps, "embed.weight") == e && params_find(&ps, "nope") == NULL);
        /* grads accumulate across two backward passes (micro-batches) and frozen ones get none */
        params_set_frozen(&ps, "", 0);
        params_set_frozen(&ps, "embed", 1);
        ctx c;
        ctx_init(&c, 1 << 16);
        for (int mb = 0; mb < 2; mb++) {
            tensor *y = op_add(&c, op_mul(&c, w, w), op_slice(&c, e, 0, 0, 6, 1));
            tensor *l = op_reshape(&c, y, T_SHAPE(-1));
            l = op_slice(&c, l, 0, 3, 1, 1);
            TEST_COND("backward", ctx_backward(&c, op_reshape(&c, l, T_SHAPE(1))) == MOSA_OK);
            ctx_reset(&c);
        }
        TEST_COND("grad accumulated over 2 micro-batches", w->grad[3] == 2 * 2 * 7.0f);
        TEST_COND("frozen param has no grad", e->grad[3] == 0.0f);
        ctx_free(&c);
        params_free(&ps);
    }
    return test_report();
}
