/* test_text_encoder.c: the text encoder (src/text/encoder.h) without PyTorch.
 *
 * Config format/parse round trip and refusals (unknown or repeated keys, width not a multiple of
 * heads, out-of-range values); parameter names as a PyTorch state_dict with a prefix; forward
 * shapes, pooled = the BOS row; PAD invariance (appending PADs changes no non-PAD output, nor
 * the pooled feature); bad ids and lengths refused; a finite-difference gradient check through
 * the whole encoder (embeddings, positions, a block's attention and MLP weights, ln_f) on a
 * tiny config with padded rows; WordNet concept rows (config keys, row 0 zero, the table refused
 * when missing or out of range, zero rows = the plain encoder, a gradient check through them).
 * The PyTorch comparison is test_parity_text_encoder.c. */
#include "../src/text/encoder.h"
#include "../src/text/tokenizer.h"
#include "gradcheck.h"
#include "test.h"

#include <string.h>

static void test_config(void) {
    text_encoder_config d = text_encoder_config_default(500), p;
    TEST_COND("defaults", d.vocab == 500 && d.width == 128 && d.layers == 2 && d.heads == 4 && d.max_len == 32);
    char buf[200];
    text_encoder_config_format(&d, buf, sizeof buf);
    TEST_COND("format", strcmp(buf, "vocab=500 width=128 layers=2 heads=4 max_len=32") == 0);
    TEST_COND("parse round trip", text_encoder_config_parse(&p, buf) == MOSA_OK && memcmp(&p, &d, sizeof p) == 0);
    TEST_COND("any order, extra spaces", text_encoder_config_parse(&p, " max_len=16  heads=2 vocab=9 layers=1 width=8 ") == MOSA_OK &&
                                             p.max_len == 16 && p.heads == 2 && p.vocab == 9 && p.layers == 1 && p.width == 8);
    const char *bad[] = {"vocab=500 width=128 layers=2 heads=4",                   /* missing */
                         "vocab=500 width=128 layers=2 heads=3 max_len=32",        /* width % heads */
                         "vocab=500 width=128 layers=2 heads=4 max_len=32 depth=3",/* unknown key */
                         "vocab=500 vocab=500 width=128 layers=2 heads=4 max_len=32",
                         "vocab=3 width=128 layers=2 heads=4 max_len=32",          /* below the specials */
                         "vocab=500 width=128 layers=0 heads=4 max_len=32",
                         "vocab=500 width=128 layers=2 heads=4 max_len=1",
                         "vocab=-5 width=128 layers=2 heads=4 max_len=32",
                         "vocab=500 width=12x layers=2 heads=4 max_len=32",
                         "vocab=99999999999 width=128 layers=2 heads=4 max_len=32",
                         "vocab=500 width= layers=2 heads=4 max_len=32",
                         "vocab500 width=128 layers=2 heads=4 max_len=32",
                         "",
                         NULL};
    int refused = 1;
    for (int i = 0; bad[i]; i++) {
        text_encoder_config q = d;
        if (text_encoder_config_parse(&q, bad[i]) != MOSA_ERR_ARG || memcmp(&q, &d, sizeof q) != 0) {
            printf("FAIL: accepted \"%s\"\n", bad[i]);
            refused = 0;
        }
    }
    TEST_COND("bad configs refused, config untouched", refused);
    TEST_COND("NULL refused", text_encoder_config_parse(&p, NULL) == MOSA_ERR_ARG);
}

static const text_encoder_config k_tiny = {7, 8, 2, 2, 6};

static void test_names_and_shapes(void) {
    param_store ps;
    params_init(&ps);
    text_encoder e;
    mosa_rng r;
    rng_seed(&r, 1);
    TEST_COND("init", text_encoder_init(&e, &ps, "text", &k_tiny, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    TEST_COND("state_dict names", params_find(&ps, "text.tok_emb.weight") && params_find(&ps, "text.pos_emb") &&
                                      params_find(&ps, "text.blocks.0.attn.qkv.weight") &&
                                      params_find(&ps, "text.blocks.1.mlp.fc2.bias") && params_find(&ps, "text.ln_f.weight") &&
                                      params_find(&ps, "text.ln_f.bias") && ps.n == 28);
    tensor *te = params_find(&ps, "text.tok_emb.weight"), *pe = params_find(&ps, "text.pos_emb");
    TEST_COND("embedding shapes", te->shape[0] == 7 && te->shape[1] == 8 && pe->shape[0] == 6 && pe->shape[1] == 8);
    param_store ps2;
    params_init(&ps2);
    text_encoder e2;
    TEST_COND("a prefix ending in '.' is not doubled", text_encoder_init(&e2, &ps2, "enc.", &k_tiny, &r) == MOSA_OK &&
                                                          params_find(&ps2, "enc.tok_emb.weight") != NULL);
    text_encoder_free(&e2);
    params_free(&ps2);
    param_store ps3;
    params_init(&ps3);
    TEST_COND("no prefix", text_encoder_init(&e2, &ps3, "", &k_tiny, &r) == MOSA_OK && params_find(&ps3, "tok_emb.weight"));
    text_encoder_free(&e2);
    params_free(&ps3);
    text_encoder_config badc = k_tiny;
    badc.heads = 3;
    param_store ps4;
    params_init(&ps4);
    TEST_COND("init refuses a bad config", text_encoder_init(&e2, &ps4, "", &badc, &r) == MOSA_ERR_ARG);
    params_free(&ps4);

    ctx c;
    ctx_init(&c, 1 << 20);
    int g = ctx_no_grad(&c);
    int32_t ids[2 * 6] = {TEXT_BOS, 4, 5, 6, TEXT_EOS, TEXT_PAD, TEXT_BOS, 5, TEXT_EOS, TEXT_PAD, TEXT_PAD, TEXT_PAD};
    tensor *pooled = NULL;
    tensor *y = text_encoder_forward(&c, &e, ids, 2, 6, &pooled);
    TEST_COND("shapes", y && pooled && y->nd == 3 && y->shape[0] == 2 && y->shape[1] == 6 && y->shape[2] == 8 &&
                            pooled->nd == 2 && pooled->shape[0] == 2 && pooled->shape[1] == 8);
    if (y && pooled) {
        TEST_CLOSE("pooled = BOS row (batch 0)", pooled->data, y->data, 8, 0, 1e-6);
        TEST_CLOSE("pooled = BOS row (batch 1)", pooled->data + 8, y->data + 48, 8, 0, 1e-6);
        /* ln_f with weight 1, bias 0: every row has mean 0, variance ~1 */
        double m = 0, v = 0;
        for (int k = 0; k < 8; k++) m += y->data[8 + k];
        for (int k = 0; k < 8; k++) v += (y->data[8 + k] - m / 8) * (y->data[8 + k] - m / 8);
        TEST_COND("final LayerNorm", fabs(m / 8) < 1e-5 && fabs(v / 8 - 1) < 1e-3);
    }
    /* PAD invariance: the same texts padded to 4, 5 and 6 */
    int32_t a4[4] = {TEXT_BOS, 4, 5, TEXT_EOS}, a6[6] = {TEXT_BOS, 4, 5, TEXT_EOS, TEXT_PAD, TEXT_PAD};
    tensor *p4 = NULL, *p6 = NULL;
    tensor *y4 = text_encoder_forward(&c, &e, a4, 1, 4, &p4);
    tensor *y6 = text_encoder_forward(&c, &e, a6, 1, 6, &p6);
    TEST_COND("padded forward", y4 && y6);
    if (y4 && y6) {
        TEST_CLOSE("appending PADs changes no non-PAD output", y6->data, y4->data, 4 * 8, 1e-5, 1e-3);
        TEST_CLOSE("nor the pooled feature", p6->data, p4->data, 8, 1e-5, 1e-3);
    }
    /* and in a batch next to a longer row */
    int32_t b2[2 * 6] = {TEXT_BOS, 6, 6, 6, 4, TEXT_EOS, TEXT_BOS, 4, 5, TEXT_EOS, TEXT_PAD, TEXT_PAD};
    tensor *yb = text_encoder_forward(&c, &e, b2, 2, 6, NULL);
    if (yb && y4) TEST_CLOSE("batched with a longer row: same", yb->data + 48, y4->data, 4 * 8, 1e-5, 1e-3);
    ctx_reset(&c);
    int32_t badid[3] = {TEXT_BOS, 7, TEXT_EOS};
    TEST_COND("id outside the vocabulary refused", text_encoder_forward(&c, &e, badid, 1, 3, NULL) == NULL && c.status == MOSA_ERR_ARG);
    ctx_reset(&c);
    int32_t longids[7] = {2, 4, 4, 4, 4, 4, 3};
    TEST_COND("L > max_len refused", text_encoder_forward(&c, &e, longids, 1, 7, NULL) == NULL);
    ctx_reset(&c);
    TEST_COND("NULL ids refused", text_encoder_forward(&c, &e, NULL, 1, 3, NULL) == NULL);
    ctx_set_grad(&c, g);
    ctx_free(&c);
    text_encoder_free(&e);
    params_free(&ps);
}

/* Gradient check: the checked tensors replace the encoder's parameters. */
typedef struct gc_user {
    const text_encoder *e;
    const int32_t *ids;
    int B, L;
} gc_user;

static tensor *enc_fn(ctx *c, tensor *const *in, void *user) {
    const gc_user *u = (const gc_user *)user;
    text_encoder e = *u->e;
    nn_transformer_block blocks[2];
    memcpy(blocks, u->e->blocks, sizeof blocks);
    e.blocks = blocks;
    e.tok_emb = in[0];
    e.pos_emb = in[1];
    blocks[0].attn.qkv.w = in[2];
    blocks[1].mlp.fc1.w = in[3];
    blocks[1].ln1.w = in[4];
    e.ln_f.w = in[5];
    tensor *pooled = NULL;
    tensor *y = text_encoder_forward(c, &e, u->ids, u->B, u->L, &pooled);
    /* both outputs: y and the pooled feature (scaled so it matters) */
    tensor *p3 = op_reshape(c, pooled, 3, (int64_t[]){u->B, 1, e.cfg.width});
    return op_concat(c, (tensor *[]){y, op_scale(c, p3, 3.0f)}, 2, 1);
}

static void test_gradcheck(void) {
    param_store ps;
    params_init(&ps);
    text_encoder e;
    mosa_rng r;
    rng_seed(&r, 2);
    text_encoder_init(&e, &ps, "", &k_tiny, &r);
    params_finalize(&ps);
    /* larger embeddings than the 0.02 init so the check sees real curvature */
    rng_normal(&r, e.tok_emb->data, (size_t)t_numel(e.tok_emb), 0, 0.7f);
    rng_normal(&r, e.pos_emb->data, (size_t)t_numel(e.pos_emb), 0, 0.5f);
    int32_t ids[2 * 5] = {TEXT_BOS, 4, 1, 6, TEXT_EOS, TEXT_BOS, 5, TEXT_EOS, TEXT_PAD, TEXT_PAD};
    gc_user u = {&e, ids, 2, 5};
    tensor *src[6] = {e.tok_emb, e.pos_emb, e.blocks[0].attn.qkv.w, e.blocks[1].mlp.fc1.w, e.blocks[1].ln1.w, e.ln_f.w};
    gc_input in[6];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 6; i++) {
        in[i].nd = src[i]->nd;
        for (int k = 0; k < src[i]->nd; k++) in[i].shape[k] = src[i]->shape[k];
        in[i].values = src[i]->data;
    }
    gc_opts o = {0};
    o.eps = 1e-2;
    o.atol = 2e-3;
    o.rtol = 2e-2;
    o.max_checks = 40;
    TEST_COND("gradient check through the encoder", gradcheck("text_encoder", enc_fn, 6, in, &u, &o) == 0);
    text_encoder_free(&e);
    params_free(&ps);
}

/* WordNet concept rows: config, parameters, the table, the sum, gradients. */
static tensor *enc_concept_fn(ctx *c, tensor *const *in, void *user) {
    const gc_user *u = (const gc_user *)user;
    text_encoder e = *u->e;
    e.tok_emb = in[0];
    e.concept_emb = in[1];
    return text_encoder_forward(c, &e, u->ids, u->B, u->L, NULL);
}

static void test_concepts(void) {
    text_encoder_config k = k_tiny, p;
    k.concepts = 3;
    k.concept_k = 2;
    char buf[200];
    text_encoder_config_format(&k, buf, sizeof buf);
    TEST_COND("format with concepts", strcmp(buf, "vocab=7 width=8 layers=2 heads=2 max_len=6 concepts=3 concept_k=2") == 0);
    TEST_COND("parse round trip with concepts", text_encoder_config_parse(&p, buf) == MOSA_OK && memcmp(&p, &k, sizeof p) == 0);
    TEST_COND("concepts without concept_k refused",
              text_encoder_config_parse(&p, "vocab=7 width=8 layers=2 heads=2 max_len=6 concepts=3") == MOSA_ERR_ARG);
    TEST_COND("concept_k without concepts refused",
              text_encoder_config_parse(&p, "vocab=7 width=8 layers=2 heads=2 max_len=6 concept_k=2") == MOSA_ERR_ARG);
    param_store ps;
    params_init(&ps);
    text_encoder e;
    mosa_rng r;
    rng_seed(&r, 3);
    TEST_COND("init with concepts", text_encoder_init(&e, &ps, "text", &k, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    tensor *ce = params_find(&ps, "text.concept_emb.weight");
    int row0 = ce && ce->shape[0] == 4 && ce->shape[1] == 8;
    for (int i = 0; row0 && i < 8; i++) row0 = ce->data[i] == 0.0f;
    TEST_COND("text.concept_emb.weight (concepts+1, width), row 0 (no concept) zero", row0);
    ctx c;
    ctx_init(&c, 1 << 20);
    int32_t ids[2 * 5] = {TEXT_BOS, 4, 5, 6, TEXT_EOS, TEXT_BOS, 5, TEXT_EOS, TEXT_PAD, TEXT_PAD};
    TEST_COND("forward without the table refused", text_encoder_forward(&c, &e, ids, 2, 5, NULL) == NULL &&
                                                       strstr(mosa_last_error(), "concept table") != NULL);
    ctx_reset(&c);
    int32_t bad[7 * 2] = {0};
    bad[5 * 2] = 4;
    TEST_COND("a concept row outside 0..concepts refused", text_encoder_set_concepts(&e, bad) == MOSA_ERR_ARG);
    /* words 4 and 5 share concept 1; 5 also has 2; 6 has 3; the rest none */
    int32_t tab[7 * 2] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3, 0};
    TEST_COND("set the table", text_encoder_set_concepts(&e, tab) == MOSA_OK);
    /* with every concept row zero the encoder is the plain one */
    text_encoder plain = e;
    plain.cfg.concepts = 0, plain.cfg.concept_k = 0;
    float keep[4 * 8];
    memcpy(keep, ce->data, sizeof keep);
    memset(ce->data, 0, sizeof keep);
    int g = ctx_no_grad(&c);
    tensor *y0 = text_encoder_forward(&c, &e, ids, 2, 5, NULL), *yp = text_encoder_forward(&c, &plain, ids, 2, 5, NULL);
    TEST_COND("zero concept rows: the plain encoder's output", y0 && yp && !memcmp(y0->data, yp->data, sizeof(float) * 80));
    memcpy(ce->data, keep, sizeof keep);
    tensor *y1 = text_encoder_forward(&c, &e, ids, 2, 5, NULL);
    int differs = 0;
    for (int i = 0; y1 && yp && i < 80; i++) differs |= y1->data[i] != yp->data[i];
    TEST_COND("concept rows change the output", y1 && differs);
    ctx_set_grad(&c, g);
    ctx_reset(&c);
    rng_normal(&r, e.tok_emb->data, (size_t)t_numel(e.tok_emb), 0, 0.7f);
    rng_normal(&r, ce->data, (size_t)t_numel(ce), 0, 0.7f);
    gc_user u = {&e, ids, 2, 5};
    gc_input in[2];
    memset(in, 0, sizeof in);
    tensor *src[2] = {e.tok_emb, ce};
    for (int i = 0; i < 2; i++) {
        in[i].nd = src[i]->nd;
        for (int d = 0; d < src[i]->nd; d++) in[i].shape[d] = src[i]->shape[d];
        in[i].values = src[i]->data;
    }
    gc_opts o = {0};
    o.eps = 1e-2;
    o.atol = 2e-3;
    o.rtol = 2e-2;
    o.max_checks = 40;
    TEST_COND("gradient check through the concept rows", gradcheck("text_encoder_concepts", enc_concept_fn, 2, in, &u, &o) == 0);
    ctx_free(&c);
    text_encoder_free(&e);
    params_free(&ps);
}

int main(void) {
    test_config();
    test_names_and_shapes();
    test_gradcheck();
    test_concepts();
    return test_report();
}
