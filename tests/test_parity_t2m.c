/* test_parity_t2m.c: the structure transformer's GPT (t2m_gpt_forward) against PyTorch
 * (fixture from ref/ref_t2m.py): PAD-masked words, a null-condition row, END and PAD input
 * tokens; logits and the gradients of sum(logits * r) for every parameter and for the text
 * features must match the float64 reference with max|ours - ref| / max|ref| < 1e-4. */
#include "motion/t2m.h"
#include "tensor/safetensors.h"
#include "gradcheck.h"
#include "test.h"

#include <string.h>
#include <unistd.h>

#define TOL 1e-4

static void check(const st_file *f, const char *name, const float *got, int64_t n) {
    const double rel = fixture_rel_error(f, name, got, n);
    if (!(rel >= 0 && rel < TOL)) printf("FAIL %s: relative error %.3g (tol %.0e; -1 = missing or wrong size)\n", name, rel, TOL);
    TEST_COND(name, rel >= 0 && rel < TOL);
}

static float *read_all(const st_file *f, const char *name, int64_t *n) {
    const st_tensor *t = st_find(f, name);
    if (!t) return NULL;
    float *x = mosa_malloc(t->nelements * sizeof(float));
    st_read_f32(t, x);
    if (n) *n = (int64_t)t->nelements;
    return x;
}

int main(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/t2m_gpt.safetensors", MOSA_FIXTURE_DIR);
    if (access(path, R_OK) != 0) {
        printf("skipped: %s not found (ref_fixtures needs python3-torch; run ./setup.sh)\n", path);
        return 77;
    }
    mosa_set_threads(1);
    st_file f;
    TEST_COND("open fixture", st_open(&f, path) == MOSA_OK);
    t2m_gpt_config cfg;
    TEST_COND("config", t2m_gpt_config_parse(&cfg, st_meta_get(&f, "config")) == MOSA_OK);
    param_store ps;
    params_init(&ps);
    t2m_gpt g;
    mosa_rng r;
    rng_seed(&r, 0);
    TEST_COND("build", t2m_gpt_init(&g, &ps, "", &cfg, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    TEST_COND("load weights by name", st_load_params(&ps, path, 0) == MOSA_OK);

    const st_tensor *wt = st_find(&f, "in.words");
    const int B = (int)wt->shape[0], L = (int)wt->shape[1], TW = (int)wt->shape[2];
    const int N = (int)st_find(&f, "in.tokens")->shape[1];
    ctx c;
    ctx_init(&c, 1 << 22);
    c.training = 0;
    float *wd = read_all(&f, "in.words", NULL), *pd = read_all(&f, "in.pooled", NULL);
    float *md = read_all(&f, "in.word_mask", NULL), *nd = read_all(&f, "in.null", NULL), *td = read_all(&f, "in.tokens", NULL);
    float *rr = read_all(&f, "in.r", NULL);
    tensor *words = t_from(&c, wd, T_SHAPE(B, L, TW)), *pooled = t_from(&c, pd, T_SHAPE(B, TW));
    words->requires_grad = pooled->requires_grad = 1;
    uint8_t mask[64], nul[8];
    int32_t tok[64];
    for (int i = 0; i < B * L; i++) mask[i] = md[i] != 0;
    for (int i = 0; i < B; i++) nul[i] = nd[i] != 0;
    for (int i = 0; i < B * N; i++) tok[i] = (int32_t)td[i];
    tensor *y = t2m_gpt_forward(&c, &g, words, pooled, mask, nul, tok, N);
    TEST_COND("forward", y != NULL);
    if (y) {
        check(&f, "out.y", y->data, t_numel(y));
        TEST_COND("backward", ctx_backward_seed(&c, y, rr) == MOSA_OK);
        check(&f, "grad.in.words", words->grad, t_numel(words));
        check(&f, "grad.in.pooled", pooled->grad, t_numel(pooled));
        char name[300];
        for (int i = 0; i < ps.n; i++) {
            snprintf(name, sizeof name, "grad.%s", ps.t[i]->name);
            check(&f, name, ps.t[i]->grad, t_numel(ps.t[i]));
        }
    }
    mosa_free(wd), mosa_free(pd), mosa_free(md), mosa_free(nd), mosa_free(td), mosa_free(rr);
    ctx_free(&c);
    t2m_gpt_free(&g);
    params_free(&ps);
    st_close(&f);
    return test_report();
}
