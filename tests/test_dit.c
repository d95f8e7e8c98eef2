/* test_dit.c: the diffusion transformer (src/video/dit.c) on tiny configs.
 *
 *   - config: defaults as documented, format/parse round trip, unknown/missing/duplicate keys and
 *     a head dim that cannot take the 3D RoPE split refused;
 *   - parameter names and shapes of diffusers' CogVideoXTransformer3DModel;
 *   - shapes; a fresh model outputs exactly 0 (zero proj_out) yet every other weight is random;
 *   - text padding: the values of padded text tokens do not change a byte of the output, their
 *     gradient is exactly 0, and more padding tokens change the output only by rounding; with
 *     every text token masked (the empty caption) the text values do not matter at all;
 *   - determinism: same inputs, same bytes; 1 and 2 threads agree to 1e-5;
 *   - finite-difference gradients of the whole forward with respect to latents and text;
 *   - bad inputs refused with a message (h not a multiple of the patch, wrong channels, wrong
 *     text width, batch mismatch, non-finite timestep, no text tokens; dit_block_forward with a
 *     layer out of range or tokens of the wrong shape);
 *   - dit_forward_bytes is above the arena bytes one no-grad forward uses, and within 1.5x;
 *   - a tiny overfit: 400 AdamW steps of the eps objective (random timestep and noise each step)
 *     on one fixed latent bring the loss on 32 fixed (t, eps) pairs from ~1 (the fresh model
 *     predicts 0) below a quarter of it. */
#include "video/diffusion.h"
#include "video/dit.h"
#include "tensor/optim.h"
#include "gradcheck.h"
#include "test.h"

#include <string.h>

static dit_config tiny_config(void) {
    dit_config c = dit_config_default();
    c.latent_ch = 4;
    c.width = 32;
    c.layers = 2;
    c.heads = 2;
    c.text_dim = 8;
    c.time_dim = 16;
    return c;
}

static void test_config(void) {
    dit_config d = dit_config_default(), p;
    TEST_COND("defaults as documented", d.latent_ch == 8 && d.patch == 2 && d.width == 256 && d.layers == 8 &&
                                            d.heads == 4 && d.mlp_ratio == 4 && d.text_dim == 128 &&
                                            d.time_dim == 256 && d.rope_theta == 10000.0f);
    char buf[256];
    dit_config_format(&d, buf, sizeof buf);
    TEST_COND("format as documented", !strncmp(buf, "latent_ch=8 patch=2 width=256 ", 30));
    TEST_COND("parse(format) round trip", dit_config_parse(&p, buf) == MOSA_OK && !memcmp(&p, &d, sizeof d));
    dit_config t = tiny_config();
    t.rope_theta = 500.5f;
    dit_config_format(&t, buf, sizeof buf);
    TEST_COND("round trip of another config", dit_config_parse(&p, buf) == MOSA_OK && !memcmp(&p, &t, sizeof t));
    TEST_COND("unknown key refused", dit_config_parse(&p, "latent_ch=8 widht=3") != MOSA_OK &&
                                         strstr(mosa_last_error(), "widht"));
    TEST_COND("missing key refused", dit_config_parse(&p, "latent_ch=8 patch=2") != MOSA_OK &&
                                         strstr(mosa_last_error(), "every key"));
    TEST_COND("duplicate key refused",
              dit_config_parse(&p, "latent_ch=8 latent_ch=8 patch=2 width=256 layers=8 heads=4 mlp_ratio=4 "
                                   "text_dim=128 time_dim=256 rope_theta=10000") != MOSA_OK &&
                  strstr(mosa_last_error(), "twice"));
    TEST_COND("head dim not a multiple of 16 refused",
              dit_config_parse(&p, "latent_ch=8 patch=2 width=40 layers=8 heads=4 mlp_ratio=4 text_dim=128 "
                                   "time_dim=256 rope_theta=10000") != MOSA_OK &&
                  strstr(mosa_last_error(), "RoPE"));
    TEST_COND("non-integer refused",
              dit_config_parse(&p, "latent_ch=8 patch=2.5 width=256 layers=8 heads=4 mlp_ratio=4 text_dim=128 "
                                   "time_dim=256 rope_theta=10000") != MOSA_OK);
    param_store ps;
    params_init(&ps);
    mosa_rng r;
    rng_seed(&r, 1);
    dit_model *m = NULL;
    dit_config bad = tiny_config();
    bad.heads = 3;
    TEST_COND("create refuses a bad config", dit_create(&m, &ps, "", &bad, &r) != MOSA_OK && m == NULL);
    params_free(&ps);
}

/* ---- a model with random weights everywhere (proj_out too) ---- */

typedef struct fixture {
    param_store ps;
    dit_model *m;
    dit_config cfg;
} fixture;

static void fixture_init(fixture *f, const dit_config *cfg, int randomize_out) {
    params_init(&f->ps);
    f->cfg = *cfg;
    mosa_rng r;
    rng_seed(&r, 3);
    f->m = NULL;
    dit_create(&f->m, &f->ps, "transformer", cfg, &r);
    params_finalize(&f->ps);
    if (randomize_out) {
        tensor *w = params_find(&f->ps, "transformer.proj_out.weight");
        tensor *b = params_find(&f->ps, "transformer.proj_out.bias");
        rng_normal(&r, w->data, (size_t)t_numel(w), 0.0f, 0.2f);
        rng_normal(&r, b->data, (size_t)t_numel(b), 0.0f, 0.2f);
    }
}

static void fixture_free(fixture *f) {
    dit_free(f->m);
    params_free(&f->ps);
}

static void test_names_and_zero_output(void) {
    fixture f;
    dit_config cfg = tiny_config();
    fixture_init(&f, &cfg, 0);
    const param_store *ps = &f.ps;
    tensor *pw = params_find(ps, "transformer.patch_embed.proj.weight");
    TEST_COND("patch_embed.proj is a Conv2d weight (width, C, p, p)",
              pw && pw->nd == 4 && pw->shape[0] == 32 && pw->shape[1] == 4 && pw->shape[2] == 2 && pw->shape[3] == 2);
    TEST_COND("diffusers' names", params_find(ps, "transformer.patch_embed.text_proj.weight") &&
                                      params_find(ps, "transformer.time_embedding.linear_1.bias") &&
                                      params_find(ps, "transformer.time_embedding.linear_2.weight") &&
                                      params_find(ps, "transformer.transformer_blocks.1.norm1.linear.weight") &&
                                      params_find(ps, "transformer.transformer_blocks.1.attn1.to_q.bias") &&
                                      params_find(ps, "transformer.transformer_blocks.0.attn1.norm_k.weight") &&
                                      params_find(ps, "transformer.transformer_blocks.0.attn1.to_out.0.weight") &&
                                      params_find(ps, "transformer.transformer_blocks.0.ff.net.0.proj.weight") &&
                                      params_find(ps, "transformer.transformer_blocks.0.ff.net.2.bias") &&
                                      params_find(ps, "transformer.norm_final.weight") &&
                                      params_find(ps, "transformer.norm_out.linear.weight") &&
                                      params_find(ps, "transformer.norm_out.norm.bias") &&
                                      params_find(ps, "transformer.proj_out.weight"));
    TEST_COND("shapes of the modulation and output layers",
              params_find(ps, "transformer.transformer_blocks.0.norm1.linear.weight")->shape[0] == 6 * 32 &&
                  params_find(ps, "transformer.transformer_blocks.0.norm1.linear.weight")->shape[1] == 16 &&
                  params_find(ps, "transformer.transformer_blocks.0.attn1.norm_q.weight")->shape[0] == 16 &&
                  params_find(ps, "transformer.norm_out.linear.weight")->shape[0] == 64 &&
                  params_find(ps, "transformer.proj_out.weight")->shape[0] == 16);
    TEST_COND("parameter count", ps->n == 8 + 2 * 24 + 8);

    ctx c;
    ctx_init(&c, 1 << 20);
    mosa_rng r;
    rng_seed(&r, 4);
    tensor *x = t_randn(&c, &r, 1.0f, T_SHAPE(2, 4, 3, 4, 6));
    tensor *text = t_randn(&c, &r, 1.0f, T_SHAPE(2, 5, 8));
    const float t[2] = {999, 3};
    tensor *y = dit_forward(&c, f.m, x, text, NULL, t);
    TEST_COND("output shape = input shape", y && t_same_shape(x, y));
    int zero = y != NULL;
    for (int64_t i = 0; y && i < t_numel(y); i++) zero &= y->data[i] == 0.0f;
    TEST_COND("a fresh model predicts exactly 0 (zero-initialised proj_out)", zero);
    const tensor *ff = params_find(ps, "transformer.transformer_blocks.1.ff.net.2.weight");
    TEST_COND("other weights are not zero", ff->data[0] != 0.0f && ff->data[5] != ff->data[6]);
    ctx_free(&c);
    fixture_free(&f);
}

/* ---- padding, determinism, threads ---- */

static void test_padding_and_determinism(void) {
    fixture f;
    dit_config cfg = tiny_config();
    fixture_init(&f, &cfg, 1);
    ctx c;
    ctx_init(&c, 1 << 21);
    mosa_rng r;
    rng_seed(&r, 5);
    const int B = 2, Lt = 6;
    float xv[2 * 4 * 3 * 4 * 6], tv[2 * 9 * 8];
    rng_normal(&r, xv, sizeof xv / sizeof *xv, 0, 1);
    rng_normal(&r, tv, sizeof tv / sizeof *tv, 0, 1);
    /* sample 0: 4 real tokens + 2 padding; sample 1: 6 real */
    const uint8_t mask6[12] = {1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1};
    const float t[2] = {500, 20};
    tensor *x = t_from(&c, xv, T_SHAPE(B, 4, 3, 4, 6));
    tensor *text = t_from(&c, tv, T_SHAPE(B, Lt, 8));
    text->requires_grad = 1;
    tensor *y0 = dit_forward(&c, f.m, x, text, mask6, t);
    TEST_COND("forward", y0 != NULL);
    if (!y0) goto out;
    const int64_t n = t_numel(y0);
    float *ref = mosa_malloc((size_t)n * sizeof(float));
    memcpy(ref, y0->data, (size_t)n * sizeof(float));
    TEST_COND("backward", ctx_backward(&c, op_sum(&c, y0, T_ALL_AXES, 0)) == MOSA_OK);
    int zero_grad = 1, some_grad = 0;
    for (int j = 0; j < 8; j++) {
        zero_grad &= text->grad[(0 * Lt + 4) * 8 + j] == 0.0f && text->grad[(0 * Lt + 5) * 8 + j] == 0.0f;
        some_grad |= text->grad[(0 * Lt + 3) * 8 + j] != 0.0f;
    }
    TEST_COND("padded text tokens get exactly zero gradient, real ones do not", zero_grad && some_grad);
    params_zero_grad(&f.ps);

    /* same inputs again: same bytes */
    ctx_reset(&c);
    tensor *y1 = dit_forward(&c, f.m, t_from(&c, xv, T_SHAPE(B, 4, 3, 4, 6)), t_from(&c, tv, T_SHAPE(B, Lt, 8)), mask6, t);
    TEST_COND("same inputs, same bytes", y1 && !memcmp(y1->data, ref, (size_t)n * sizeof(float)));

    /* other values in the padded slots: same bytes */
    float tv2[2 * 9 * 8];
    memcpy(tv2, tv, sizeof tv2);
    for (int j = 0; j < 16; j++) tv2[4 * 8 + j] = 100.0f + (float)j;
    ctx_reset(&c);
    tensor *y2 = dit_forward(&c, f.m, t_from(&c, xv, T_SHAPE(B, 4, 3, 4, 6)), t_from(&c, tv2, T_SHAPE(B, Lt, 8)), mask6, t);
    TEST_COND("values of padded text tokens do not change the output",
              y2 && !memcmp(y2->data, ref, (size_t)n * sizeof(float)));

    /* three more padding tokens (Lt 9): the same up to rounding */
    float tv9[2 * 9 * 8];
    uint8_t mask9[18];
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 9; i++) {
            for (int j = 0; j < 8; j++) tv9[(b * 9 + i) * 8 + j] = i < 6 ? tv[(b * 6 + i) * 8 + j] : -7.0f;
            mask9[b * 9 + i] = i < 6 ? mask6[b * 6 + i] : 0;
        }
    ctx_reset(&c);
    tensor *y3 = dit_forward(&c, f.m, t_from(&c, xv, T_SHAPE(B, 4, 3, 4, 6)), t_from(&c, tv9, T_SHAPE(B, 9, 8)), mask9, t);
    TEST_COND("forward with Lt 9", y3 != NULL);
    if (y3) TEST_CLOSE("more padding tokens: the same output", y3->data, ref, n, 1e-5, 1e-2);
    /* and a change of a real token does change it */
    tv2[3 * 8] += 1.0f;
    ctx_reset(&c);
    tensor *y4 = dit_forward(&c, f.m, t_from(&c, xv, T_SHAPE(B, 4, 3, 4, 6)), t_from(&c, tv2, T_SHAPE(B, Lt, 8)), mask6, t);
    TEST_COND("a real text token does change the output", y4 && memcmp(y4->data, ref, (size_t)n * sizeof(float)) != 0);

    /* an all-padding caption (the empty prompt of classifier-free guidance): the text values do
     * not matter at all */
    const uint8_t none[12] = {0};
    ctx_reset(&c);
    tensor *e1 = dit_forward(&c, f.m, t_from(&c, xv, T_SHAPE(B, 4, 3, 4, 6)), t_from(&c, tv, T_SHAPE(B, Lt, 8)), none, t);
    tensor *e2 = dit_forward(&c, f.m, t_from(&c, xv, T_SHAPE(B, 4, 3, 4, 6)), t_from(&c, tv2, T_SHAPE(B, Lt, 8)), none, t);
    TEST_COND("all text masked: the text values do not change a byte",
              e1 && e2 && !memcmp(e1->data, e2->data, (size_t)n * sizeof(float)) &&
                  memcmp(e1->data, ref, (size_t)n * sizeof(float)) != 0);

    /* 1 thread vs 2 threads */
    const int th = mosa_get_threads();
    mosa_set_threads(1);
    ctx_reset(&c);
    tensor *y5 = dit_forward(&c, f.m, t_from(&c, xv, T_SHAPE(B, 4, 3, 4, 6)), t_from(&c, tv, T_SHAPE(B, Lt, 8)), mask6, t);
    mosa_set_threads(2);
    TEST_COND("1-thread forward", y5 != NULL);
    if (y5) TEST_CLOSE("1 and 2 threads agree", y5->data, ref, n, 1e-5, 1e-2);
    mosa_set_threads(th);
    mosa_free(ref);
out:
    ctx_free(&c);
    fixture_free(&f);
}

/* ---- finite differences ---- */

typedef struct gc_user {
    const dit_model *m;
    const uint8_t *mask;
} gc_user;

static tensor *gc_forward(ctx *c, tensor *const *in, void *user) {
    const gc_user *u = user;
    const float t[1] = {250};
    return dit_forward(c, u->m, in[0], in[1], u->mask, t);
}

static void test_gradcheck(void) {
    fixture f;
    dit_config cfg = tiny_config();
    cfg.layers = 1;
    fixture_init(&f, &cfg, 1);
    const uint8_t mask[3] = {1, 1, 0};
    gc_user u = {f.m, mask};
    gc_input in[2] = {{.nd = 5, .shape = {1, 4, 2, 2, 4}}, {.nd = 3, .shape = {1, 3, 8}}};
    gc_opts go = {0};
    go.eps = 1e-2, go.atol = 2e-3, go.rtol = 2e-2, go.max_checks = 32, go.seed = 9;
    TEST_COND("gradcheck of the whole forward wrt latents and text", gradcheck("dit", gc_forward, 2, in, &u, &go) == 0);
    fixture_free(&f);
}

/* ---- bad inputs ---- */

/* 1 if dit_forward on latents of shape xs and text of shape ts is refused with a message that
 * contains want (want NULL: any refusal). Resets the context first. */
static int refused(ctx *c, const dit_model *m, const int64_t *xs, int xnd, const int64_t ts[3], const float *t,
                   int null_text, const char *want) {
    ctx_reset(c);
    mosa_rng r;
    rng_seed(&r, 6);
    tensor *x = t_randn(c, &r, 1.0f, xnd, xs);
    tensor *text = null_text ? NULL : t_randn(c, &r, 1.0f, 3, ts);
    if (dit_forward(c, m, x, text, NULL, t)) return 0;
    return !want || strstr(mosa_last_error(), want) != NULL;
}

static void test_bad_inputs(void) {
    fixture f;
    dit_config cfg = tiny_config();
    fixture_init(&f, &cfg, 0);
    ctx c;
    ctx_init(&c, 1 << 20);
    const float t[2] = {1, 2}, tnan[1] = {NAN};
    const int64_t good[5] = {1, 4, 2, 4, 4}, text[3] = {1, 3, 8};
    TEST_COND("h not a multiple of the patch refused",
              refused(&c, f.m, (const int64_t[]){1, 4, 2, 5, 4}, 5, text, t, 0, "multiple of the patch"));
    TEST_COND("w not a multiple of the patch refused",
              refused(&c, f.m, (const int64_t[]){1, 4, 2, 4, 3}, 5, text, t, 0, "multiple of the patch"));
    TEST_COND("wrong latent channels refused",
              refused(&c, f.m, (const int64_t[]){1, 3, 2, 4, 4}, 5, text, t, 0, "latent_ch = 4"));
    TEST_COND("4-d latents refused", refused(&c, f.m, (const int64_t[]){1, 4, 4, 4}, 4, text, t, 0, "(B, 4, F, h, w)"));
    TEST_COND("wrong text width refused", refused(&c, f.m, good, 5, (const int64_t[]){1, 3, 7}, t, 0, "text features"));
    TEST_COND("batch mismatch refused", refused(&c, f.m, (const int64_t[]){2, 4, 2, 4, 4}, 5, text, t, 0, "B=2"));
    TEST_COND("no text tokens refused", refused(&c, f.m, good, 5, (const int64_t[]){1, 0, 8}, t, 0, "text length 0"));
    TEST_COND("non-finite timestep refused", refused(&c, f.m, good, 5, text, tnan, 0, "not finite"));
    TEST_COND("NULL text refused", refused(&c, f.m, good, 5, text, t, 1, "NULL"));
    TEST_COND("a good call after the refusals works", !refused(&c, f.m, good, 5, text, t, 0, NULL));
    /* the pieces: a layer out of range, tokens of the wrong shape */
    ctx_reset(&c);
    mosa_rng r;
    rng_seed(&r, 7);
    dit_tokens tk;
    TEST_COND("dit_embed", dit_embed(&c, f.m, t_randn(&c, &r, 1.0f, 5, good), t_randn(&c, &r, 1.0f, 3, text), NULL, t,
                                     &tk) == MOSA_OK && tk.Lv == 8 && tk.Lt == 3);
    TEST_COND("layer out of range refused", dit_block_forward(&c, f.m, 2, &tk) != MOSA_OK &&
                                                strstr(mosa_last_error(), "layer 2"));
    ctx_reset(&c);
    dit_embed(&c, f.m, t_randn(&c, &r, 1.0f, 5, good), t_randn(&c, &r, 1.0f, 3, text), NULL, t, &tk);
    tk.video = t_randn(&c, &r, 1.0f, T_SHAPE(1, 7, 32));
    TEST_COND("video tokens of the wrong shape refused", dit_block_forward(&c, f.m, 0, &tk) != MOSA_OK &&
                                                             strstr(mosa_last_error(), "(1, 8, 32)"));
    ctx_free(&c);
    fixture_free(&f);
}

/* ---- memory estimate ---- */

static void test_forward_bytes(void) {
    const int sizes[3][5] = {{1, 3, 4, 6, 5}, {2, 5, 8, 8, 16}, {1, 9, 16, 16, 64}};
    dit_config cfgs[3] = {tiny_config(), tiny_config(), tiny_config()};
    cfgs[2].width = 64;
    cfgs[2].heads = 4;
    cfgs[2].layers = 1;
    for (int k = 0; k < 3; k++) {
        fixture f;
        fixture_init(&f, &cfgs[k], 0);
        const int B = sizes[k][0], F = sizes[k][1], h = sizes[k][2], w = sizes[k][3], Lt = sizes[k][4];
        ctx c;
        ctx_init(&c, 1 << 16);
        mosa_rng r;
        rng_seed(&r, 8);
        float *xv = mosa_malloc(sizeof(float) * (size_t)(B * 4 * F * h * w));
        float *tv = mosa_malloc(sizeof(float) * (size_t)(B * Lt * 8));
        rng_normal(&r, xv, (size_t)(B * 4 * F * h * w), 0, 1);
        rng_normal(&r, tv, (size_t)(B * Lt * 8), 0, 1);
        float t[2] = {10, 900};
        ctx_no_grad(&c);
        const size_t before = c.mem.used_total;
        tensor *x = t_wrap(&c, xv, T_SHAPE(B, 4, F, h, w)), *text = t_wrap(&c, tv, T_SHAPE(B, Lt, 8));
        tensor *y = dit_forward(&c, f.m, x, text, NULL, t);
        const size_t used = c.mem.used_total - before;
        const size_t est = dit_forward_bytes(&cfgs[k], B, F, h, w, Lt);
        char msg[160];
        snprintf(msg, sizeof msg, "dit_forward_bytes %zu >= measured %zu and within 1.5x (size %d)", est, used, k);
        TEST_COND(msg, y && est >= used && (double)est <= 1.5 * (double)used);
        mosa_free(xv);
        mosa_free(tv);
        ctx_free(&c);
        fixture_free(&f);
    }
    TEST_COND("invalid size gives SIZE_MAX", dit_forward_bytes(NULL, 1, 1, 1, 1, 1) == SIZE_MAX);
}

/* ---- tiny overfit ---- */

/* Mean eps-loss of the model over n fixed (t, eps) pairs drawn from seed. */
static double eval_loss(ctx *c, const dit_model *m, const diff_schedule *s, const float *x0, const float *tv, int n) {
    enum { N = 1 * 4 * 3 * 4 * 4 };
    float eps[N], xt[N];
    mosa_rng r;
    rng_seed(&r, 99);
    double sum = 0;
    const int g = ctx_no_grad(c);
    for (int i = 0; i < n; i++) {
        ctx_reset(c);
        const int t = (int)rng_below(&r, 1000);
        diff_initial_noise(eps, N, &r);
        diff_add_noise(s, xt, x0, eps, N, t);
        const float tf[1] = {(float)t};
        tensor *y = dit_forward(c, m, t_from(c, xt, T_SHAPE(1, 4, 3, 4, 4)), t_from(c, tv, T_SHAPE(1, 4, 8)), NULL, tf);
        tensor *loss = op_mse_loss(c, y, t_from(c, eps, T_SHAPE(1, 4, 3, 4, 4)));
        sum += loss ? loss->data[0] : NAN;
    }
    ctx_set_grad(c, g);
    return sum / n;
}

static void test_overfit(void) {
    fixture f;
    dit_config cfg = tiny_config();
    fixture_init(&f, &cfg, 0);
    diff_schedule s;
    diff_schedule_init(&s, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 0, DIFF_PRED_EPS);
    adamw opt;
    adamw_init(&opt, &f.ps, adamw_defaults(3e-3f));
    ctx c;
    ctx_init(&c, 1 << 22);
    mosa_rng r;
    rng_seed(&r, 10);
    enum { N = 1 * 4 * 3 * 4 * 4, STEPS = 400 };
    float x0[N], eps[N], xt[N], tv[4 * 8];
    rng_normal(&r, x0, N, 0, 1);
    rng_normal(&r, tv, 4 * 8, 0, 1);
    const double before = eval_loss(&c, f.m, &s, x0, tv, 32);
    for (int step = 0; step < STEPS; step++) {
        ctx_reset(&c);
        const int t = (int)rng_below(&r, 1000);
        diff_initial_noise(eps, N, &r);
        diff_add_noise(&s, xt, x0, eps, N, t);
        const float tf[1] = {(float)t};
        tensor *x = t_from(&c, xt, T_SHAPE(1, 4, 3, 4, 4)), *text = t_from(&c, tv, T_SHAPE(1, 4, 8));
        tensor *loss = op_mse_loss(&c, dit_forward(&c, f.m, x, text, NULL, tf), t_from(&c, eps, T_SHAPE(1, 4, 3, 4, 4)));
        if (!loss || ctx_backward(&c, loss) != MOSA_OK) {
            TEST_COND("training step", 0);
            break;
        }
        adamw_step(&opt, &f.ps, 3e-3f);
        params_zero_grad(&f.ps);
    }
    const double after = eval_loss(&c, f.m, &s, x0, tv, 32);
    char msg[200];
    snprintf(msg, sizeof msg, "overfit: eps-loss on 32 fixed (t, eps) pairs %.3f before (fresh model: mean eps^2), "
                              "%.3f after %d AdamW steps (< 0.25x)", before, after, STEPS);
    printf("%s\n", msg);
    TEST_COND(msg, after < 0.25 * before && before > 0.7);
    adamw_free(&opt);
    ctx_free(&c);
    fixture_free(&f);
}

int main(void) {
    mosa_set_threads(2);
    test_config();
    test_names_and_zero_output();
    test_padding_and_determinism();
    test_gradcheck();
    test_bad_inputs();
    test_forward_bytes();
    test_overfit();
    return test_report();
}
