/* test_parity_vqvae.c: the motion VQ-VAE against PyTorch (fixture from ref/ref_vqvae.py).
 *
 * A small T2M-GPT VQ-VAE (263 -> width 24, depth 2, down_t 2, 12 codes of 16 dims) with the
 * reference's weights loaded by state_dict name: the encoder output, the codes, the
 * reconstruction, the loss and its parts (smooth-L1 recon, "vel" on the RIC slice, commitment),
 * every parameter gradient of the loss, and the quantizer after one EMA update must match the
 * float64 reference to 1e-4 (normwise relative). Skips (77) without the fixture. */
#include "motion/vqvae.h"
#include "tensor/safetensors.h"
#include "gradcheck.h"
#include "test.h"

#include <string.h>
#include <unistd.h>

#define TOL 1e-4

static char g_path[1024];

static void check(const st_file *f, const char *name, const float *got, int64_t n) {
    const double rel = fixture_rel_error(f, name, got, n);
    if (!(rel >= 0 && rel < TOL)) printf("FAIL %s: relative error %.3g (tol %.0e; -1 = missing or wrong size)\n", name, rel, TOL);
    TEST_COND(name, rel >= 0 && rel < TOL);
}

int main(void) {
    snprintf(g_path, sizeof g_path, "%s/vqvae.safetensors", MOSA_FIXTURE_DIR);
    if (access(g_path, R_OK) != 0) {
        printf("skipped: PyTorch fixture %s not found (ref_fixtures needs python3-torch; run ./setup.sh)\n", g_path);
        return 77;
    }
    mosa_set_threads(2);
    st_file f;
    TEST_COND("open fixture", st_open(&f, g_path) == MOSA_OK);
    vqvae_config cfg;
    TEST_COND("fixture config parses", vqvae_config_parse(&cfg, st_meta_get(&f, "vqvae.config")) == MOSA_OK);
    param_store ps;
    params_init(&ps);
    vqvae *m = NULL;
    mosa_rng r;
    rng_seed(&r, 0);
    TEST_COND("build", vqvae_create(&m, &ps, "", &cfg, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    TEST_COND("load weights by state_dict name (strict)", st_load_params(&ps, g_path, 0) == MOSA_OK);
    if (!m || test__failed) return test_report();

    ctx c;
    ctx_init(&c, 1 << 22);
    const st_tensor *tx = st_find(&f, "in.x");
    const int B = (int)tx->shape[0], T = (int)tx->shape[1], N = T >> cfg.down_t;
    tensor *x = t_new(&c, T_SHAPE(B, T, cfg.in_dim));
    st_read_f32(tx, x->data);

    /* encoder */
    int g = ctx_no_grad(&c);
    tensor *z = vqvae_encode(&c, m, x);
    TEST_COND("encode", z && z->shape[0] == B && z->shape[1] == N && z->shape[2] == cfg.code_dim);
    if (z) check(&f, "out.z", z->data, t_numel(z));
    int32_t codes[256];
    float want_codes[256];
    if (z) vqvae_quantize(m, z->data, B * N, codes);
    st_read_f32(st_find(&f, "out.codes"), want_codes);
    int same = 1;
    for (int i = 0; i < B * N; i++) same &= codes[i] == (int32_t)want_codes[i];
    TEST_COND("codes equal torch's argmin", same);
    tensor *y = vqvae_decode(&c, m, codes, B, N);
    TEST_COND("decode", y != NULL);
    if (y) check(&f, "out.xr", y->data, t_numel(y));
    ctx_set_grad(&c, g);
    ctx_reset(&c);

    /* training forward, loss parts and parameter gradients */
    x = t_new(&c, T_SHAPE(B, T, cfg.in_dim));
    st_read_f32(tx, x->data);
    vqvae_loss_stats stats;
    tensor *loss = vqvae_train_forward(&c, m, x, 0.5f, 0.02f, &stats);
    TEST_COND("train forward", loss != NULL);
    if (loss) {
        check(&f, "out.loss", loss->data, 1);
        check(&f, "out.recon", &stats.recon, 1);
        check(&f, "out.vel", &stats.vel, 1);
        check(&f, "out.commit", &stats.commit, 1);
        TEST_COND("backward", ctx_backward(&c, loss) == MOSA_OK);
        char name[300];
        int checked = 0;
        for (int i = 0; i < ps.n; i++) {
            if (!ps.t[i]->requires_grad) continue;
            snprintf(name, sizeof name, "grad.%s", ps.t[i]->name);
            check(&f, name, ps.t[i]->grad, t_numel(ps.t[i]));
            checked++;
        }
        TEST_COND("every trainable parameter checked (codebook frozen)", checked == ps.n - 3);
        TEST_COND("quantizer tensors are frozen", !params_find(&ps, "quantizer.codebook")->requires_grad &&
                                                      !params_find(&ps, "quantizer.code_sum")->requires_grad &&
                                                      !params_find(&ps, "quantizer.code_count")->requires_grad);
    }
    /* EMA update (no dead codes in the fixture, so the reset RNG is not used) */
    vqvae_ema_update(m, &r);
    check(&f, "ema.code_count", params_find(&ps, "quantizer.code_count")->data, cfg.codes);
    check(&f, "ema.code_sum", params_find(&ps, "quantizer.code_sum")->data, (int64_t)cfg.codes * cfg.code_dim);
    check(&f, "ema.codebook", params_find(&ps, "quantizer.codebook")->data, (int64_t)cfg.codes * cfg.code_dim);

    ctx_free(&c);
    vqvae_free(m);
    params_free(&ps);
    st_close(&f);
    return test_report();
}
