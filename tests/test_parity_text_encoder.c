/* test_parity_text_encoder.c: the text encoder against PyTorch (fixture from
 * ref/ref_text_encoder.py).
 *
 * Builds the encoder from the fixture's config (vocab 23, width 32, 2 layers, 4 heads, max_len
 * 12), loads the PyTorch weights by state_dict name (every one of ours must be there), runs ids (3,10) with PAD-padded rows and an UNK through forward and backward
 * of sum(y * r) + sum(pooled * r2), and requires the token features, the pooled feature and
 * every parameter gradient to match the float64 reference with
 * max|ours - ref| / max|ref| < 1e-4. The same for text_encoder_concepts.safetensors: WordNet
 * concept rows (9 concepts, up to 3 per word, the fixture's table "in.concepts") added to the
 * token embedding, with a word that has none. */
#include "tensor/safetensors.h"
#include "text/encoder.h"
#include "gradcheck.h"
#include "test.h"

#include <string.h>

#define TOL 1e-4

static char g_path[1024];

static void check(const st_file *f, const char *name, const float *got, int64_t n) {
    const double rel = fixture_rel_error(f, name, got, n);
    if (!(rel >= 0 && rel < TOL)) printf("FAIL %s: relative error %.3g (tol %.0e; -1 = missing or wrong size)\n", name, rel, TOL);
    TEST_COND(name, rel >= 0 && rel < TOL);
}

static float *read_all(ctx *c, const st_file *f, const char *name, int64_t *n) {
    const st_tensor *t = st_find(f, name);
    if (!t) return NULL;
    float *v = arena_alloc(&c->mem, t->nelements * sizeof(float));
    st_read_f32(t, v);
    *n = (int64_t)t->nelements;
    return v;
}

static void run(const char *fixture, const char *config, int n_params) {
    snprintf(g_path, sizeof g_path, "%s/%s.safetensors", MOSA_FIXTURE_DIR, fixture);
    st_file f;
    if (st_open(&f, g_path) != MOSA_OK) {
        printf("FAIL cannot open %s: %s (run ctest, which writes the fixtures first)\n", g_path, mosa_last_error());
        TEST_COND("open text_encoder fixture", 0);
        return;
    }
    text_encoder_config cfg;
    TEST_COND("config", text_encoder_config_parse(&cfg, config) == MOSA_OK);
    param_store ps;
    params_init(&ps);
    text_encoder enc;
    mosa_rng r;
    rng_seed(&r, 0);
    TEST_COND("build", text_encoder_init(&enc, &ps, "", &cfg, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    TEST_COND("load weights by name", st_load_params(&ps, g_path, 0) == MOSA_OK);
    int all_there = 1;
    for (int i = 0; i < ps.n; i++) all_there &= st_find(&f, ps.t[i]->name) != NULL;
    TEST_COND("every parameter is in the fixture", all_there && ps.n == n_params);
    ctx c;
    ctx_init(&c, 1 << 22);
    if (cfg.concepts > 0) {
        int64_t nt = 0;
        float *tf = read_all(&c, &f, "in.concepts", &nt);
        const int64_t want = (int64_t)cfg.vocab * cfg.concept_k;
        int32_t *tab = arena_alloc(&c.mem, sizeof(int32_t) * (size_t)want);
        TEST_COND("fixture concept table", tf && nt == want && tab);
        for (int64_t i = 0; tf && tab && nt == want && i < want; i++) tab[i] = (int32_t)tf[i];
        TEST_COND("set the concept table", tf && nt == want && text_encoder_set_concepts(&enc, tab) == MOSA_OK);
    }
    int64_t nid = 0, nr = 0, nr2 = 0;
    float *idf = read_all(&c, &f, "in.ids", &nid);
    float *rr = read_all(&c, &f, "in.r", &nr);
    float *rr2 = read_all(&c, &f, "in.r2", &nr2);
    TEST_COND("fixture inputs", idf && rr && rr2 && nid == 30);
    if (idf && rr && rr2 && nid == 30) {
        int32_t ids[30];
        for (int i = 0; i < 30; i++) ids[i] = (int32_t)idf[i];
        tensor *pooled = NULL;
        tensor *y = text_encoder_forward(&c, &enc, ids, 3, 10, &pooled);
        TEST_COND("forward", y && pooled);
        if (y && pooled) {
            check(&f, "out.y", y->data, t_numel(y));
            check(&f, "out.pooled", pooled->data, t_numel(pooled));
            tensor *rt = t_from(&c, rr, 3, y->shape), *r2t = t_from(&c, rr2, 2, pooled->shape);
            tensor *loss = op_add(&c, op_sum(&c, op_mul(&c, y, rt), T_ALL_AXES, 0),
                                  op_sum(&c, op_mul(&c, pooled, r2t), T_ALL_AXES, 0));
            TEST_COND("backward", loss && ctx_backward(&c, loss) == MOSA_OK);
            char name[300];
            for (int i = 0; i < ps.n; i++) {
                snprintf(name, sizeof name, "grad.%s", ps.t[i]->name);
                check(&f, name, ps.t[i]->grad, t_numel(ps.t[i]));
            }
        }
    }
    ctx_free(&c);
    text_encoder_free(&enc);
    params_free(&ps);
    st_close(&f);
}

int main(void) {
    run("text_encoder", "vocab=23 width=32 layers=2 heads=4 max_len=12", 2 + 2 * 12 + 2);
    run("text_encoder_concepts", "vocab=23 width=32 layers=2 heads=4 max_len=12 concepts=9 concept_k=3", 3 + 2 * 12 + 2);
    return test_report();
}
