/* test_attention.c: op_attention (flash-style) and op_rope: finite-difference gradients, the
 * tiled kernels against the naive full-matrix oracle on odd and tile-boundary shapes (outputs
 * and all three gradients), strided q/k/v views, fully masked rows, the memory bound (scratch
 * linear in the sequence: < 64 MiB at T = S = 8192, 8 heads of 64), RoPE tables and rotation
 * against PyTorch values, and error paths. */
#include "gradcheck.h"
#include "test.h"

#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/* ------------------------------------------------------------------------------------------ */
/* Attention gradient checks                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct att_case {
    int causal;
    const uint8_t *mask;
    float scale;
    int mode; /* 0: q,k,v inputs; 1: self-attention on one input (q = k = v);
                 2: q,k,v sliced from one fused (B,T,NH,3D) input (strided views);
                 3: q given as (B,NH,D,T) and transposed (unit stride lost: copied) */
    int NH, D;
} att_case;

static tensor *f_attention(ctx *c, tensor *const *in, void *u) {
    const att_case *a = u;
    switch (a->mode) {
    case 1: return op_attention(c, in[0], in[0], in[0], a->causal, a->mask, a->scale);
    case 2: {
        static const int perm[4] = {0, 2, 1, 3};
        tensor *x = in[0]; /* (B,T,NH,3D) */
        tensor *q = op_permute(c, op_slice(c, x, 3, 0, a->D, 1), perm);
        tensor *k = op_permute(c, op_slice(c, x, 3, a->D, a->D, 1), perm);
        tensor *v = op_permute(c, op_slice(c, x, 3, 2 * a->D, a->D, 1), perm);
        return op_attention(c, q, k, v, a->causal, a->mask, a->scale);
    }
    case 3: return op_attention(c, op_transpose(c, in[0], 2, 3), in[1], in[2], a->causal, a->mask, a->scale);
    default: return op_attention(c, in[0], in[1], in[2], a->causal, a->mask, a->scale);
    }
}

static void qkv_inputs(gc_input *in, int B, int NH, int T, int S, int D) {
    memset(in, 0, 3 * sizeof *in);
    in[0] = (gc_input){.nd = 4, .shape = {B, NH, T, D}, .lo = -1.5f, .hi = 1.5f};
    in[1] = (gc_input){.nd = 4, .shape = {B, NH, S, D}, .lo = -1.5f, .hi = 1.5f};
    in[2] = (gc_input){.nd = 4, .shape = {B, NH, S, D}};
}

static void gradchecks_attention(void) {
    const gc_opts opts = {.max_checks = 40};
    gc_input in[3];
    qkv_inputs(in, 2, 2, 5, 7, 4);
    att_case bi = {0, NULL, 0.0f, 0, 2, 4};
    TEST_COND("attention bidirectional T=5 S=7", gradcheck("attention bidir", f_attention, 3, in, &bi, &opts) == 0);
    att_case ca = {1, NULL, 0.7f, 0, 2, 4};
    TEST_COND("attention causal T=5 S=7", gradcheck("attention causal", f_attention, 3, in, &ca, &opts) == 0);
    /* batch 0 pads its last two keys; batch 1 masks every key (zero output, zero gradient) */
    static const uint8_t mask[14] = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    att_case km = {0, mask, 0.0f, 0, 2, 4};
    TEST_COND("attention key mask", gradcheck("attention key mask", f_attention, 3, in, &km, &opts) == 0);
    static const uint8_t mask2[14] = {0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0};
    att_case kmc = {1, mask2, 0.0f, 0, 2, 4};
    TEST_COND("attention causal + key mask", gradcheck("attention causal mask", f_attention, 3, in, &kmc, &opts) == 0);
    /* T > S causal: queries 0 and 1 see no key at all */
    qkv_inputs(in, 2, 2, 7, 5, 4);
    TEST_COND("attention causal T=7 S=5", gradcheck("attention causal T>S", f_attention, 3, in, &ca, &opts) == 0);
    /* only some inputs want gradients */
    qkv_inputs(in, 1, 3, 6, 9, 5);
    in[0].no_grad = 1;
    att_case bi3 = {0, NULL, 0.0f, 0, 3, 5};
    TEST_COND("attention, q without grad", gradcheck("attention no dq", f_attention, 3, in, &bi3, &opts) == 0);
    in[0].no_grad = 0;
    in[2].no_grad = 1;
    TEST_COND("attention, v without grad", gradcheck("attention no dv", f_attention, 3, in, &bi3, &opts) == 0);
    /* self-attention on one tensor (the three grads share one buffer) */
    {
        gc_input one[1] = {{.nd = 4, .shape = {2, 2, 6, 4}, .lo = -1.5f, .hi = 1.5f}};
        att_case self = {1, NULL, 0.0f, 1, 2, 4};
        TEST_COND("attention q = k = v", gradcheck("attention self", f_attention, 1, one, &self, &opts) == 0);
    }
    /* strided views of a fused projection, and a copied transposed q */
    {
        gc_input one[1] = {{.nd = 4, .shape = {2, 5, 2, 12}, .lo = -1.5f, .hi = 1.5f}};
        att_case fused = {1, NULL, 0.0f, 2, 2, 4};
        TEST_COND("attention on qkv views", gradcheck("attention qkv views", f_attention, 1, one, &fused, &opts) == 0);
        qkv_inputs(in, 1, 2, 5, 6, 3);
        in[0].shape[2] = 3, in[0].shape[3] = 5; /* (B,NH,D,T) */
        att_case tq = {0, NULL, 0.0f, 3, 2, 3};
        TEST_COND("attention on transposed q", gradcheck("attention q^T", f_attention, 3, in, &tq, &opts) == 0);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Tiled kernels against the oracle                                                            */
/* ------------------------------------------------------------------------------------------ */

/* Outputs and all three gradients of op_attention against the reference, with q, k, v given
 * either contiguous or as views of one fused (B,T,NH,3D) buffer (strided rows). */
static void attention_vs_ref(mosa_rng *r, int B, int NH, int T, int S, int D, int causal, int masked, int fused,
                             float scale, int no_dq) {
    ctx c;
    ctx_init(&c, 1 << 20);
    char name[160];
    snprintf(name, sizeof name, "attention vs ref B=%d NH=%d T=%d S=%d D=%d causal=%d mask=%d fused=%d no_dq=%d", B,
             NH, T, S, D, causal, masked, fused, no_dq);
    uint8_t *mask = NULL;
    if (masked) {
        mask = mosa_malloc((size_t)B * S);
        for (int64_t i = 0; i < (int64_t)B * S; i++) mask[i] = rng_below(r, 4) != 0;
        if (B > 1)
            for (int j = 0; j < S; j++) mask[S + j] = 0; /* batch 1 fully padded */
        if (S > 70)
            for (int j = 64; j < 70 + (S > 140 ? 64 : 0) && j < S; j++) mask[j] = 0; /* a whole masked tile */
    }
    tensor *q, *k, *v, *fused_x = NULL;
    if (fused) { /* T == S required */
        fused_x = t_randn(&c, r, 1.0f, T_SHAPE(B, T, NH, 3 * D));
        fused_x->requires_grad = 1;
        static const int perm[4] = {0, 2, 1, 3};
        q = op_permute(&c, op_slice(&c, fused_x, 3, 0, D, 1), perm);
        k = op_permute(&c, op_slice(&c, fused_x, 3, D, D, 1), perm);
        v = op_permute(&c, op_slice(&c, fused_x, 3, 2 * D, D, 1), perm);
    } else {
        q = t_randn(&c, r, 1.0f, T_SHAPE(B, NH, T, D));
        k = t_randn(&c, r, 1.0f, T_SHAPE(B, NH, S, D));
        v = t_randn(&c, r, 1.0f, T_SHAPE(B, NH, S, D));
        q->requires_grad = !no_dq;
        k->requires_grad = v->requires_grad = 1;
    }
    tensor *o = op_attention(&c, q, k, v, causal, mask, scale);
    TEST_COND(name, o != NULL);
    if (!o) goto done;
    const int64_t nq = (int64_t)B * NH * T * D, nk = (int64_t)B * NH * S * D;
    float *qc = mosa_malloc(sizeof(float) * (size_t)nq), *kc = mosa_malloc(sizeof(float) * (size_t)nk);
    float *vc = mosa_malloc(sizeof(float) * (size_t)nk), *want = mosa_malloc(sizeof(float) * (size_t)nq);
    float *seed = mosa_malloc(sizeof(float) * (size_t)nq);
    float *dq = mosa_calloc((size_t)nq, sizeof(float)), *dk = mosa_calloc((size_t)nk, sizeof(float));
    float *dv = mosa_calloc((size_t)nk, sizeof(float));
    t_copy_to_contiguous(qc, q);
    t_copy_to_contiguous(kc, k);
    t_copy_to_contiguous(vc, v);
    const float sc = scale != 0.0f ? scale : 1.0f / sqrtf((float)D);
    attention_forward_ref(want, NULL, qc, kc, vc, mask, B, NH, T, S, D, causal, sc);
    TEST_CLOSE(name, o->data, want, nq, 2e-5, 0.1);
    rng_normal(r, seed, (size_t)nq, 0.0f, 1.0f);
    TEST_COND("attention backward runs", ctx_backward_seed(&c, o, seed) == MOSA_OK);
    attention_backward_ref(dq, dk, dv, seed, qc, kc, vc, mask, B, NH, T, S, D, causal, sc);
    if (fused) { /* the fused input's grad interleaves dq, dk, dv per (b,t,h) row */
        float *g = mosa_malloc(sizeof(float) * (size_t)(3 * nq));
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < NH; h++)
                    for (int d = 0; d < D; d++) {
                        const int64_t src = (((int64_t)b * NH + h) * T + t) * D + d;
                        const int64_t dst = (((int64_t)b * T + t) * NH + h) * 3 * D + d;
                        g[dst] = dq[src], g[dst + D] = dk[src], g[dst + 2 * D] = dv[src];
                    }
        TEST_CLOSE("attention fused-input grad vs ref", fused_x->grad, g, 3 * nq, 2e-4, 0.1);
        mosa_free(g);
    } else {
        if (no_dq) TEST_COND("attention: no dq when q wants none", q->grad == NULL);
        else TEST_CLOSE("attention dq vs ref", q->grad, dq, nq, 2e-4, 0.1);
        TEST_CLOSE("attention dk vs ref", k->grad, dk, nk, 2e-4, 0.1);
        TEST_CLOSE("attention dv vs ref", v->grad, dv, nk, 2e-4, 0.1);
    }
    if (masked && B > 1) { /* the fully padded batch: zero output, zero dq */
        int zero = 1;
        for (int64_t i = (int64_t)NH * T * D; i < 2 * (int64_t)NH * T * D; i++)
            zero &= o->data[i] == 0.0f && (fused || no_dq || q->grad[i] == 0.0f);
        TEST_COND("attention fully masked rows give zeros", zero);
    }
    mosa_free(qc);
    mosa_free(kc);
    mosa_free(vc);
    mosa_free(want);
    mosa_free(seed);
    mosa_free(dq);
    mosa_free(dk);
    mosa_free(dv);
done:
    mosa_free(mask);
    ctx_free(&c);
}

/* ------------------------------------------------------------------------------------------ */
/* Memory: scratch grows linearly with the sequence                                            */
/* ------------------------------------------------------------------------------------------ */

/* Arena bytes used by forward + backward beyond q, k, v, the output, the backward seed and the
 * grads of q, k, v and the output. */
static size_t attention_extra_bytes(int NH, int T, int D, int causal) {
    ctx c;
    /* one chunk that holds the whole step, as after a training loop's first step: scratch
     * released at the end of an op is then reused by the next */
    ctx_init(&c, (size_t)12 * NH * T * D * sizeof(float) + ((size_t)8 << 20));
    mosa_rng r;
    rng_seed(&r, 3);
    tensor *q = t_randn(&c, &r, 1.0f, T_SHAPE(1, NH, T, D)), *k = t_randn(&c, &r, 1.0f, T_SHAPE(1, NH, T, D));
    tensor *v = t_randn(&c, &r, 1.0f, T_SHAPE(1, NH, T, D)), *seed = t_randn(&c, &r, 1.0f, T_SHAPE(1, NH, T, D));
    q->requires_grad = k->requires_grad = v->requires_grad = 1;
    const size_t base = c.mem.peak;
    tensor *o = op_attention(&c, q, k, v, causal, NULL, 0.0f);
    size_t extra = (size_t)-1;
    if (o && ctx_backward_seed(&c, o, seed->data) == MOSA_OK) {
        const size_t one = (size_t)t_numel(q) * sizeof(float);
        extra = c.mem.peak - base - 5 * one; /* output, its grad, dq, dk, dv */
    }
    ctx_free(&c);
    return extra;
}

static void memory_checks(void) {
    const size_t e512 = attention_extra_bytes(2, 512, 64, 0), e1024 = attention_extra_bytes(2, 1024, 64, 0);
    printf("attention scratch beyond tensors: T=512 %zu bytes, T=1024 %zu bytes\n", e512, e1024);
    TEST_COND("attention scratch at T=1024 is far below the (T,S) score matrices",
              e1024 < (size_t)2 * 1024 * 1024 * sizeof(float) / 2);
    TEST_COND("attention scratch grows at most linearly (T=512 -> 1024)", e1024 <= 2 * e512 + 4096);
    if (!UNDER_SANITIZER) {
        const double t0 = time_now();
        const size_t e8k = attention_extra_bytes(8, 8192, 64, 1);
        printf("attention scratch at T=S=8192, 8 heads of 64: %.2f MiB (forward+backward %.2f s)\n",
               (double)e8k / (1 << 20), time_now() - t0);
        TEST_COND("attention at T=S=8192 uses < 64 MiB scratch", e8k < ((size_t)64 << 20));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* RoPE                                                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef struct rope_case {
    const float *cs, *sn;
    int view; /* 1: x is a row-strided slice of the input */
} rope_case;

static tensor *f_rope(ctx *c, tensor *const *in, void *u) {
    const rope_case *r = u;
    tensor *x = in[0];
    if (r->view) x = op_slice(c, x, 3, 2, x->shape[3] - 4, 1);
    return op_rope(c, x, r->cs, r->sn);
}

static void rope_checks(mosa_rng *r) {
    /* tables against closed forms */
    float cs[12 * 4], sn[12 * 4];
    rope_table_1d(cs, sn, 5, 8, 10000.0f);
    TEST_COND("rope 1d table: position 0 is the identity", cs[1] == 1.0f && sn[3] == 0.0f);
    TEST_CLOSE("rope 1d table: angle t * theta^(-2i/D)", &cs[3 * 4 + 1], (const float[]){(float)cos(3 * 0.1)}, 1,
               1e-6, 1e-6);
    TEST_CLOSE("rope 1d table: sin", &sn[4 * 4 + 2], (const float[]){(float)sin(4 * 0.01)}, 1, 1e-6, 1e-6);
    /* 3D: F=2, H=3, W=2, d_t = d_h = d_w = ... here (2,2,4): pairs [t | h | w w] */
    rope_table_3d(cs, sn, 2, 3, 2, 2, 2, 4, 10000.0f);
    {
        const int f = 1, h = 2, w = 1, row = (f * 3 + h) * 2 + w;
        const float want_c[4] = {(float)cos(f), (float)cos(h), (float)cos(w), (float)cos(w * 0.01)};
        const float want_s[4] = {(float)sin(f), (float)sin(h), (float)sin(w), (float)sin(w * 0.01)};
        TEST_CLOSE("rope 3d table layout (cos)", &cs[row * 4], want_c, 4, 1e-6, 1e-6);
        TEST_CLOSE("rope 3d table layout (sin)", &sn[row * 4], want_s, 4, 1e-6, 1e-6);
    }
    /* op_rope against PyTorch: diffusers' get_3d_rotary_pos_embed-style tables (F=2,H=3,W=2,
     * d = 2+2+4) and apply_rotary_emb(use_real_unbind_dim=-1) on x[i] = sin(0.37 i), x (1,1,12,8);
     * values from python3 + torch 1.13 (see the comment at the end of this file). */
    {
        ctx c;
        ctx_init(&c, 1 << 16);
        float xv[96];
        for (int i = 0; i < 96; i++) xv[i] = sinf(0.37f * (float)i);
        tensor *x = t_from(&c, xv, T_SHAPE(1, 1, 12, 8));
        tensor *o = op_rope(&c, x, cs, sn);
        static const float want_row7[8] = {-0.14352065f, 1.22759390f, 0.50652313f, 0.16045208f,
                                           0.34831253f,  -0.47004735f, -0.80302238f, -0.97650814f};
        static const float want_row11[8] = {-0.34826559f, 1.30544758f, -1.10105872f, 0.54231632f,
                                            0.14361748f,  0.49571294f, -0.21505363f, -0.56060046f};
        TEST_COND("rope op runs", o != NULL);
        if (o) {
            TEST_CLOSE("rope matches PyTorch (row 7)", o->data + 7 * 8, want_row7, 8, 1e-5, 1e-3);
            TEST_CLOSE("rope matches PyTorch (row 11)", o->data + 11 * 8, want_row11, 8, 1e-5, 1e-3);
        }
        ctx_free(&c);
    }
    /* gradchecks: 1D tables on (2,2,5,6); 3D tables on a strided view */
    {
        float c1[5 * 3], s1[5 * 3];
        rope_table_1d(c1, s1, 5, 6, 10.0f);
        rope_case rc = {c1, s1, 0};
        gc_input in[1] = {{.nd = 4, .shape = {2, 2, 5, 6}}};
        TEST_COND("rope 1d gradcheck", gradcheck("rope 1d", f_rope, 1, in, &rc, NULL) == 0);
        rope_case r3 = {cs, sn, 1};
        gc_input in3[1] = {{.nd = 4, .shape = {1, 2, 12, 12}}}; /* sliced to D = 8 */
        TEST_COND("rope 3d gradcheck (strided view)", gradcheck("rope 3d", f_rope, 1, in3, &r3, NULL) == 0);
    }
    /* fast vs reference on an odd shape, through a permuted (non-contiguous) view */
    {
        ctx c;
        ctx_init(&c, 1 << 20);
        const int B = 3, NH = 5, T = 37, D = 24;
        float *ct = mosa_malloc(sizeof(float) * T * D / 2), *st = mosa_malloc(sizeof(float) * T * D / 2);
        rope_table_1d(ct, st, T, D, 10000.0f);
        tensor *x = t_randn(&c, r, 1.0f, T_SHAPE(B, T, NH, D));
        tensor *xv = op_permute(&c, x, (const int[]){0, 2, 1, 3}); /* (B,NH,T,D) view */
        tensor *o = op_rope(&c, xv, ct, st);
        float *xc = mosa_malloc(sizeof(float) * (size_t)t_numel(x));
        float *want = mosa_malloc(sizeof(float) * (size_t)t_numel(x));
        t_copy_to_contiguous(xc, xv);
        rope_forward_ref(want, xc, ct, st, B * NH, T, D);
        TEST_COND("rope on a view runs", o != NULL);
        if (o) TEST_CLOSE("rope fast vs ref (37x24 view)", o->data, want, t_numel(x), 1e-6, 1.0);
        mosa_free(ct);
        mosa_free(st);
        mosa_free(xc);
        mosa_free(want);
        ctx_free(&c);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Error paths                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static void error_paths(void) {
    ctx c;
    ctx_init(&c, 1 << 16);
    tensor *q = t_zeros(&c, T_SHAPE(2, 3, 5, 8)), *k = t_zeros(&c, T_SHAPE(2, 3, 7, 8));
    tensor *v = t_zeros(&c, T_SHAPE(2, 3, 7, 8)), *bad = t_zeros(&c, T_SHAPE(2, 3, 7, 6));
    TEST_COND("attention NULL input gives NULL",
              op_attention(&c, q, NULL, v, 0, NULL, 0) == NULL && c.status == MOSA_OK);
    TEST_COND("attention D mismatch fails",
              op_attention(&c, q, bad, bad, 0, NULL, 0) == NULL && c.status == MOSA_ERR_ARG);
    TEST_COND("attention message names op and shapes",
              strstr(mosa_last_error(), "attention") && strstr(mosa_last_error(), "(2,3,5,8)"));
    ctx_reset(&c);
    q = t_zeros(&c, T_SHAPE(2, 3, 5, 8));
    k = t_zeros(&c, T_SHAPE(2, 3, 7, 8));
    TEST_COND("attention k/v mismatch fails",
              op_attention(&c, q, k, t_zeros(&c, T_SHAPE(2, 3, 6, 8)), 0, NULL, 0) == NULL && c.status == MOSA_ERR_ARG);
    ctx_reset(&c);
    TEST_COND("attention 3-D q fails",
              op_attention(&c, t_zeros(&c, T_SHAPE(3, 5, 8)), t_zeros(&c, T_SHAPE(3, 5, 8)),
                           t_zeros(&c, T_SHAPE(3, 5, 8)), 0, NULL, 0) == NULL && c.status == MOSA_ERR_ARG);
    ctx_reset(&c);
    TEST_COND("attention batch mismatch fails",
              op_attention(&c, t_zeros(&c, T_SHAPE(1, 3, 5, 8)), t_zeros(&c, T_SHAPE(2, 3, 5, 8)),
                           t_zeros(&c, T_SHAPE(2, 3, 5, 8)), 0, NULL, 0) == NULL && c.status == MOSA_ERR_ARG);
    ctx_reset(&c);
    float tab[40] = {0};
    TEST_COND("rope odd D fails",
              op_rope(&c, t_zeros(&c, T_SHAPE(1, 1, 4, 5)), tab, tab) == NULL && c.status == MOSA_ERR_ARG);
    TEST_COND("rope message", strstr(mosa_last_error(), "rope") && strstr(mosa_last_error(), "(1,1,4,5)"));
    ctx_reset(&c);
    TEST_COND("rope NULL tables fail",
              op_rope(&c, t_zeros(&c, T_SHAPE(1, 1, 4, 4)), NULL, tab) == NULL && c.status == MOSA_ERR_ARG);
    ctx_reset(&c);
    TEST_COND("rope 1-D x fails", op_rope(&c, t_zeros(&c, T_SHAPE(8)), tab, tab) == NULL && c.status == MOSA_ERR_ARG);
    ctx_free(&c);
}

int main(void) {
    gradchecks_attention();

    mosa_rng r;
    rng_seed(&r, 11);
    attention_vs_ref(&r, 2, 3, 37, 53, 24, 0, 0, 0, 0.0f, 0);
    attention_vs_ref(&r, 2, 3, 37, 53, 24, 1, 0, 0, 0.0f, 0);
    attention_vs_ref(&r, 1, 2, 64, 64, 16, 1, 0, 0, 0.0f, 0);    /* exactly one tile */
    attention_vs_ref(&r, 1, 2, 65, 129, 8, 0, 1, 0, 0.0f, 0);    /* one past tile boundaries */
    attention_vs_ref(&r, 2, 1, 130, 130, 32, 1, 1, 0, 0.5f, 0);  /* padded batch, masked tile */
    attention_vs_ref(&r, 2, 2, 100, 30, 12, 1, 0, 0, 0.0f, 0);   /* T > S causal: 70 rows see nothing */
    attention_vs_ref(&r, 1, 1, 1, 1, 4, 1, 0, 0, 0.0f, 0);
    attention_vs_ref(&r, 1, 1, 70, 200, 20, 0, 0, 0, 0.0f, 0);   /* one head: key chunks split */
    attention_vs_ref(&r, 1, 3, 129, 130, 16, 1, 1, 0, 0.0f, 0);  /* three heads on two threads */
    attention_vs_ref(&r, 1, 5, 40, 150, 8, 0, 0, 0, 0.0f, 1);    /* no dq: free key chunks */
    attention_vs_ref(&r, 2, 3, 77, 77, 16, 1, 0, 1, 0.0f, 0);    /* strided views of a fused qkv */
    attention_vs_ref(&r, 1, 2, 150, 150, 64, 0, 1, 1, 0.0f, 0);

    memory_checks();
    rope_checks(&r);
    error_paths();
    return test_report();
}

/* The PyTorch values above come from (torch 1.13):
 *   import torch, math
 *   def axis(d, n):  # (n, d/2) angles, freq_i = 10000^(-2i/d)
 *       f = 1.0 / (10000.0 ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
 *       return torch.outer(torch.arange(n, dtype=torch.float64), f)
 *   F, H, W = 2, 3, 2
 *   at, ah, aw = axis(2, F), axis(2, H), axis(4, W)
 *   ang = torch.cat([at[:, None, None, :].expand(F, H, W, -1), ah[None, :, None, :].expand(F, H, W, -1),
 *                    aw[None, None, :, :].expand(F, H, W, -1)], -1).reshape(F * H * W, -1)
 *   cos = ang.cos().float().repeat_interleave(2, -1); sin = ang.sin().float().repeat_interleave(2, -1)
 *   x = torch.sin(0.37 * torch.arange(96, dtype=torch.float32)).reshape(1, 1, 12, 8)
 *   xr, xi = x.reshape(1, 1, 12, -1, 2).unbind(-1)            # apply_rotary_emb, use_real_unbind_dim=-1
 *   rot = torch.stack([-xi, xr], -1).flatten(3)
 *   out = x * cos + rot * sin; print(out[0, 0, 7], out[0, 0, 11]) */
