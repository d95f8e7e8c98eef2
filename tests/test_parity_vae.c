/* test_parity_vae.c: the causal video VAE against PyTorch (fixture from ref/ref_vae.py).
 *
 * A tiny VAE (3 levels of 4, 8, 8 channels, 3 latent channels, time factor 4, spatial factor 4)
 * with the reference's weights loaded by state_dict name: the encoder moments (per-frame group
 * norms, causal convs, downsamplers with the first frame kept alone), the decoder on the means
 * (upsamplers), the training loss and its parts with the same reparameterisation noise (torch's
 * generator and ours agree), and every parameter gradient of the loss must match the float64
 * reference to 1e-4 (normwise relative); once with the decoder's spatial norms conditioned on z
 * (vae.safetensors) and once with plain norms (vae_plain.safetensors). The chunked passes equal the whole-clip ones
 * (test_vae.c), so they are covered too. Skips (77) without the fixture. */
#include "video/vae.h"
#include "tensor/safetensors.h"
#include "gradcheck.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOL 1e-4

static void check(const st_file *f, const char *name, const float *got, int64_t n) {
    const double rel = fixture_rel_error(f, name, got, n);
    if (!(rel >= 0 && rel < TOL))
        printf("FAIL %s: relative error %.3g (tol %.0e; -1 = missing or wrong size)\n", name, rel, TOL);
    TEST_COND(name, rel >= 0 && rel < TOL);
}

static void parity(const char *path) {
    printf("-- %s\n", path);
    st_file f;
    TEST_COND("open fixture", st_open(&f, path) == MOSA_OK);
    vae_config cfg;
    TEST_COND("fixture config parses", vae_config_parse(&cfg, st_meta_get(&f, "vae.config")) == MOSA_OK);
    const float kl_w = (float)atof(st_meta_get(&f, "kl_weight"));
    param_store ps;
    params_init(&ps);
    video_vae *m = NULL;
    mosa_rng r;
    rng_seed(&r, 0);
    TEST_COND("build", vae_create(&m, &ps, "", &cfg, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    TEST_COND("load weights by state_dict name", m && st_load_params(&ps, path, 0) == MOSA_OK);
    int named = 0;
    for (int i = 0; i < ps.n; i++) named += st_find(&f, ps.t[i]->name) != NULL;
    TEST_COND("every parameter is in the fixture under its diffusers-style name", named == ps.n);
    if (!m || test__failed) return;

    ctx c;
    ctx_init(&c, 1 << 22);
    const st_tensor *tx = st_find(&f, "in.x");
    tensor *x = t_new(&c, 5, (const int64_t[]){(int64_t)tx->shape[0], (int64_t)tx->shape[1], (int64_t)tx->shape[2],
                                               (int64_t)tx->shape[3], (int64_t)tx->shape[4]});
    st_read_f32(tx, x->data);

    int g = ctx_no_grad(&c);
    tensor *mom = vae_encode_moments(&c, m, x);
    TEST_COND("encode", mom != NULL);
    if (mom) check(&f, "out.moments", mom->data, t_numel(mom));
    tensor *mean = mom ? op_contiguous(&c, op_slice(&c, mom, 1, 0, cfg.latent_ch, 1)) : NULL;
    tensor *y = vae_decode(&c, m, mean);
    TEST_COND("decode", y != NULL);
    if (y) check(&f, "out.xr_mean", y->data, t_numel(y));
    ctx_set_grad(&c, g);
    ctx_reset(&c);

    x = t_new(&c, 5, (const int64_t[]){(int64_t)tx->shape[0], (int64_t)tx->shape[1], (int64_t)tx->shape[2],
                                       (int64_t)tx->shape[3], (int64_t)tx->shape[4]});
    st_read_f32(tx, x->data);
    mosa_rng noise;
    rng_seed(&noise, 11);
    vae_loss_stats stats;
    tensor *loss = vae_train_forward(&c, m, x, kl_w, &noise, &stats);
    TEST_COND("train forward", loss != NULL);
    if (loss) {
        check(&f, "out.loss", loss->data, 1);
        check(&f, "out.recon", &stats.recon, 1);
        check(&f, "out.kl", &stats.kl, 1);
        TEST_COND("backward", ctx_backward(&c, loss) == MOSA_OK);
        char name[300];
        for (int i = 0; i < ps.n; i++) {
            snprintf(name, sizeof name, "grad.%s", ps.t[i]->name);
            check(&f, name, ps.t[i]->grad, t_numel(ps.t[i]));
        }
    }
    ctx_free(&c);
    vae_free(m);
    params_free(&ps);
    st_close(&f);
}

int main(void) {
    static const char *const names[2] = {"vae.safetensors", "vae_plain.safetensors"};
    char path[2][1024];
    for (int i = 0; i < 2; i++) {
        snprintf(path[i], sizeof path[i], "%s/%s", MOSA_FIXTURE_DIR, names[i]);
        if (access(path[i], R_OK) != 0) {
            printf("skipped: PyTorch fixture %s not found (ref_fixtures needs python3-torch; run ./setup.sh)\n",
                   path[i]);
            return 77;
        }
    }
    mosa_set_threads(2);
    for (int i = 0; i < 2; i++) parity(path[i]);
    return test_report();
}
