/* test_t2v.c: the base text-to-video model (video/t2v.h) and its trainer (video/train_t2v.h), on
 * tiny configurations built here: a 2-level VAE (spatial factor 2, temporal factor 2, 4 latent
 * channels, random weights), a 1-layer DiT 32 wide and a 1-layer text encoder 16 wide, trained
 * on a MoVid-syn dataset of 8 clips of 32x32, 5 frames, resampled to 16x16.
 *
 * Checks: the trainer encodes the clips once into the latents cache and a second trainer loads
 * them from it; the training loss and the held-out loss fall (a fresh DiT predicts 0, so its
 * loss is E[eps^2] = 1); the held-out loss has one finite value per timestep bucket and is the
 * same twice; a resumed run gives bit-identical weights, EMA and AdamW step; the exported file
 * loads back to the EMA weights exactly (F32) and within bf16 rounding (BF16); generation gives
 * the same bytes for the same seed and options, other bytes for another seed or a negative
 * prompt, and works without guidance; sizes are rounded to the grid with the right note;
 * unrounded sizes and memory above the limit are refused before allocating; a VAE with other
 * latent channels, a missing file and a file of another kind are refused with messages that name
 * them. Latent normalisation: the trainer's per-channel mean/std equal those of the cached
 * latents (computed here again), travel exactly through the model file, and a file without them
 * loads as mean 0, std 1; the metadata string round-trips and bad strings are refused; normalise
 * then denormalise is the identity; --latent-norm none keeps mean 0, std 1. */
#define _XOPEN_SOURCE 700
#include "data/synth.h"
#include "tensor/safetensors.h"
#include "test.h"
#include "video/t2v.h"
#include "video/train_t2v.h"

#include <ftw.h>
#include <string.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb, (void)flag, (void)f;
    return remove(p);
}
static void rm_rf(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static char g_dir[256];
static char g_path[8][512];
static const char *P(int k, const char *name) {
    snprintf(g_path[k], sizeof g_path[k], "%s/%s", g_dir, name);
    return g_path[k];
}

static int g_loaded_from_cache, g_encoded;
static void on_log(void *u, const char *s) {
    (void)u;
    if (strstr(s, "loaded from")) g_loaded_from_cache++;
    if (strstr(s, "encoded")) g_encoded++;
}

static vae_config tiny_vae(int latent_ch) {
    vae_config c = vae_config_default();
    c.in_ch = 3;
    c.latent_ch = latent_ch;
    c.levels = 2;
    c.ch[0] = 8, c.ch[1] = 8;
    c.layers = 1;
    c.time_levels = 1;
    c.groups = 4;
    c.scaling_factor = 1.0f;
    return c;
}

static int write_vae(const char *path, int latent_ch, uint64_t seed) {
    param_store ps;
    params_init(&ps);
    video_vae *v = NULL;
    mosa_rng r;
    rng_seed(&r, seed);
    vae_config c = tiny_vae(latent_ch);
    int ok = vae_create(&v, &ps, "", &c, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK &&
             vae_export(v, path, 0, NULL) == MOSA_OK;
    if (!ok) printf("write_vae: %s\n", mosa_last_error());
    vae_free(v);
    params_free(&ps);
    return ok;
}

static t2v_train_options tiny_options(void) {
    t2v_train_options o = t2v_train_options_default();
    o.data = P(0, "data");
    o.val_data = P(1, "val");
    o.vae_path = P(2, "vae.safetensors");
    o.cache_path = P(3, "latents.safetensors");
    o.val_cache_path = P(4, "latents_val.safetensors");
    o.W = 16, o.H = 16, o.frames = 5, o.fps = 8;
    o.val_clips = 0;
    o.seed = 3;
    o.steps = 60;
    o.batch = 4;
    o.lr = 2e-3f;
    o.lr_min = 2e-4f;
    o.warmup = 5;
    o.ema_decay = 0.9f;
    o.dit_width = 32, o.dit_layers = 1, o.dit_heads = 2, o.dit_patch = 2;
    o.text_width = 16, o.text_layers = 1, o.max_len = 64;
    o.buckets = 4;
    return o;
}

static int make_dataset(const char *root, int n, uint64_t seed) {
    synth_opts so = synth_opts_default();
    so.n = n, so.seed = seed, so.width = 32, so.height = 32, so.frames = 5, so.fps = 8, so.threads = 1;
    if (synth_dataset_write(root, &so, NULL, NULL, NULL) != MOSA_OK) {
        printf("synth: %s\n", mosa_last_error());
        return 0;
    }
    return 1;
}

static void test_train_and_generate(void) {
    TEST_COND("datasets written", make_dataset(P(0, "data"), 8, 5) && make_dataset(P(1, "val"), 3, 6));
    TEST_COND("tiny VAEs written", write_vae(P(2, "vae.safetensors"), 4, 11) && write_vae(P(5, "vae2.safetensors"), 2, 12));
    t2v_train_options o = tiny_options();
    t2v_trainer *t = NULL;
    mosa_status s = t2v_trainer_create(&t, &o, on_log, NULL);
    TEST_COND("trainer created", s == MOSA_OK);
    if (s != MOSA_OK) { printf("  %s\n", mosa_last_error()); return; }
    TEST_COND("clips encoded (not loaded)", g_encoded >= 2 && g_loaded_from_cache == 0);
    TEST_COND("latents cache written", access(o.cache_path, R_OK) == 0 && access(o.val_cache_path, R_OK) == 0);
    int clips, vclips, vocab;
    long params;
    t2v_trainer_sizes(t, &clips, &vclips, &vocab, &params);
    TEST_COND("8 training clips, 3 held-out, a vocabulary", clips == 8 && vclips == 3 && vocab > TEXT_SPECIALS + 5);

    /* latent normalisation = the per-channel statistics of the cached (training) latents */
    {
        st_file f;
        float *lat = NULL;
        size_t nl = 0;
        if (st_open(&f, o.cache_path) == MOSA_OK) {
            const st_tensor *tl = st_find(&f, "latents");
            if (tl && (lat = mosa_malloc(sizeof(float) * tl->nelements)) && st_read_f32(tl, lat) == MOSA_OK) nl = tl->nelements;
            st_close(&f);
        }
        const t2v_config *cf = t2v_get_config(t2v_trainer_model(t));
        const int C = cf->vae.latent_ch;
        const size_t plane = nl / 8 / (size_t)C; /* 8 clips of (C, F, h, w) */
        double worst = 0, spread = 0;
        for (int ch = 0; nl && ch < C; ch++) {
            double s1 = 0, s2 = 0;
            for (int i = 0; i < 8; i++)
                for (size_t j = 0; j < plane; j++) s1 += lat[((size_t)i * C + ch) * plane + j];
            const double mu = s1 / (8.0 * plane);
            for (int i = 0; i < 8; i++)
                for (size_t j = 0; j < plane; j++) {
                    const double d = lat[((size_t)i * C + ch) * plane + j] - mu;
                    s2 += d * d;
                }
            const double sd = sqrt(s2 / (8.0 * plane));
            const double e = fmax(fabs(cf->latent_mean[ch] - mu), fabs(cf->latent_std[ch] - sd) / sd);
            worst = fmax(worst, e);
            spread = fmax(spread, fabs(cf->latent_std[ch] - 1.0));
        }
        printf("  latent normalisation: std of channel 0 %.4f, worst difference to the cache's %.2g\n",
               (double)cf->latent_std[0], worst);
        TEST_COND("latent mean/std = those of the cached latents", nl > 0 && worst < 1e-5);
        TEST_COND("the tiny VAE's latents are not already unit (so the check means something)", spread > 0.05);
        /* normalise then denormalise = identity; normalised channels have std 1 */
        if (nl) {
            float *x = mosa_malloc(sizeof(float) * plane * C);
            memcpy(x, lat, sizeof(float) * plane * C);
            t2v_latents_normalize(cf, x, (int64_t)plane);
            t2v_latents_denormalize(cf, x, (int64_t)plane);
            TEST_CLOSE("normalize, denormalize = identity", x, lat, plane * C, 1e-5, 0.1);
            mosa_free(x);
        }
        mosa_free(lat);
    }

    /* held-out loss per bucket: a fresh DiT outputs 0, so the loss is E[eps^2] ~ 1 */
    float b0[T2V_MAX_BUCKETS], b0b[T2V_MAX_BUCKETS], m0, m0b;
    TEST_COND("eval runs", t2v_trainer_eval(t, 0, b0, &m0) == MOSA_OK && t2v_trainer_eval(t, 0, b0b, &m0b) == MOSA_OK);
    int finite = 1;
    for (int k = 0; k < 4; k++) finite &= isfinite(b0[k]) && b0[k] > 0;
    TEST_COND("one finite loss per bucket", finite);
    TEST_COND("fresh model: held-out loss ~ 1", fabsf(m0 - 1.0f) < 0.15f);
    TEST_COND("eval is deterministic", !memcmp(b0, b0b, sizeof(float) * 4) && m0 == m0b);

    /* train, checkpoint at 30, continue to 60 */
    float first = 0, last = 0;
    const float *live = t2v_params(t2v_trainer_model(t))->data;
    const size_t np = t2v_params(t2v_trainer_model(t))->numel;
    uint64_t step_allocs = 0;
    for (int i = 0; i < 60 && s == MOSA_OK; i++) {
        float l;
        const uint64_t a0 = mosa_alloc_count();
        s = t2v_trainer_step(t, &l);
        if (i >= 40) step_allocs += mosa_alloc_count() - a0;
        if (i < 10) first += l / 10;
        if (i >= 50) last += l / 10;
        if (i == 29) s = t2v_trainer_save_state(t, P(6, "state.safetensors"));
    }
    TEST_COND("60 steps", s == MOSA_OK && t2v_trainer_step_count(t) == 60);
    TEST_COND("a training step allocates nothing once warm", step_allocs == 0);
    if (step_allocs) printf("  %llu allocations in steps 41..60\n", (unsigned long long)step_allocs);
    if (s != MOSA_OK) printf("  %s\n", mosa_last_error());
    printf("  training loss: first 10 steps %.4f, last 10 %.4f\n", first, last);
    TEST_COND("training loss falls", last < 0.85f * first);
    float b1[T2V_MAX_BUCKETS], m1, e1[T2V_MAX_BUCKETS], me1;
    TEST_COND("eval after training", t2v_trainer_eval(t, 0, b1, &m1) == MOSA_OK && t2v_trainer_eval(t, 1, e1, &me1) == MOSA_OK);
    printf("  held-out loss: %.4f -> %.4f (EMA %.4f); buckets:", m0, m1, me1);
    for (int k = 0; k < 4; k++) printf(" %.3f", b1[k]);
    printf("\n");
    TEST_COND("held-out loss falls", m1 < 0.8f * m0 && me1 < m0);
    TEST_COND("the highest-noise bucket is learned best (x_t ~ eps)", b1[3] < b1[0]);

    /* resume */
    float *pa = mosa_malloc(sizeof(float) * np), *ea = mosa_malloc(sizeof(float) * np);
    memcpy(pa, live, sizeof(float) * np);
    memcpy(ea, t2v_trainer_ema(t), sizeof(float) * np);
    g_loaded_from_cache = g_encoded = 0;
    t2v_trainer *t2 = NULL;
    s = t2v_trainer_create(&t2, &o, on_log, NULL);
    TEST_COND("second trainer", s == MOSA_OK);
    TEST_COND("latents loaded from the cache, nothing encoded", g_loaded_from_cache == 2 && g_encoded == 0);
    if (s == MOSA_OK) {
        s = t2v_trainer_load_state(t2, P(6, "state.safetensors"));
        TEST_COND("state loaded at step 30", s == MOSA_OK && t2v_trainer_step_count(t2) == 30);
        for (int i = 30; i < 60 && s == MOSA_OK; i++) s = t2v_trainer_step(t2, NULL);
        TEST_COND("resumed to 60", s == MOSA_OK && t2v_trainer_step_count(t2) == 60);
        TEST_COND("resume: bit-identical weights",
                  !memcmp(pa, t2v_params(t2v_trainer_model(t2))->data, sizeof(float) * np));
        TEST_COND("resume: bit-identical EMA", !memcmp(ea, t2v_trainer_ema(t2), sizeof(float) * np));
        t2v_trainer_free(t2);
    }
    mosa_free(pa);

    /* an interrupted encoding: a cache holding only its first 5 clips is completed, and the
     * result equals the uninterrupted encoding bit for bit */
    {
        st_file f;
        float *orig = NULL, *part = NULL;
        size_t nl = 0;
        char key[8192] = "";
        if (st_open(&f, o.cache_path) == MOSA_OK) {
            const st_tensor *tl = st_find(&f, "latents");
            const char *k = st_meta_get(&f, "t2v_latents.key");
            if (tl && k && strlen(k) < sizeof key) {
                nl = tl->nelements;
                orig = mosa_malloc(sizeof(float) * nl);
                part = mosa_calloc(nl, sizeof(float));
                snprintf(key, sizeof key, "%s", k);
                if (orig && st_read_f32(tl, orig) != MOSA_OK) nl = 0;
            }
            st_close(&f);
        }
        TEST_COND("cache readable", nl > 0 && orig && part);
        if (nl > 0 && orig && part) {
            memcpy(part, orig, sizeof(float) * nl * 5 / 8);
            tensor tl;
            memset(&tl, 0, sizeof tl);
            tl.nd = 1, tl.shape[0] = (int64_t)nl;
            t_set_contiguous_strides(&tl);
            tl.data = part;
            const char *names[1] = {"latents"};
            const tensor *ts[1] = {&tl};
            st_meta meta[3] = {{"mosa.format", "t2v_latents/1"}, {"t2v_latents.key", key}, {"t2v_latents.done", "5"}};
            TEST_COND("partial cache written", st_write(o.cache_path, 1, names, ts, ST_F32, 3, meta) == MOSA_OK);
            g_loaded_from_cache = g_encoded = 0;
            t2v_trainer *t3 = NULL;
            TEST_COND("trainer over a partial cache", t2v_trainer_create(&t3, &o, on_log, NULL) == MOSA_OK);
            TEST_COND("partial cache continued", g_encoded == 1 && g_loaded_from_cache == 2);
            t2v_trainer_free(t3);
            int same = 0;
            if (st_open(&f, o.cache_path) == MOSA_OK) {
                const st_tensor *t4 = st_find(&f, "latents");
                if (t4 && t4->nelements == nl && st_read_f32(t4, part) == MOSA_OK) same = !memcmp(part, orig, sizeof(float) * nl);
                st_close(&f);
            }
            TEST_COND("completed cache = uninterrupted encoding", same);
        }
        mosa_free(orig), mosa_free(part);
    }

    /* export and load */
    TEST_COND("export f32", t2v_trainer_export(t, P(7, "t2v.safetensors"), ST_F32) == MOSA_OK);
    TEST_COND("export bf16", t2v_trainer_export(t, P(6, "t2v_bf16.safetensors"), ST_BF16) == MOSA_OK);
    t2v_model *m = NULL, *mb = NULL;
    s = t2v_load(&m, P(7, "t2v.safetensors"), o.vae_path);
    TEST_COND("load f32", s == MOSA_OK);
    if (s != MOSA_OK) { printf("  %s\n", mosa_last_error()); mosa_free(ea); t2v_trainer_free(t); return; }
    TEST_COND("loaded weights = EMA weights", t2v_params(m)->numel == np && !memcmp(t2v_params(m)->data, ea, sizeof(float) * np));
    {
        const t2v_config *a = t2v_get_config(m), *b = t2v_get_config(t2v_trainer_model(t));
        const size_t nb = sizeof(float) * (size_t)a->vae.latent_ch;
        TEST_COND("latent normalisation loaded exactly", !memcmp(a->latent_mean, b->latent_mean, nb) &&
                                                            !memcmp(a->latent_std, b->latent_std, nb));
        /* a file written before t2v.latents existed: the same file without that key */
        st_file f;
        int wrote = 0;
        if (st_open(&f, P(7, "t2v.safetensors")) == MOSA_OK) {
            st_meta meta[16];
            int nm = 0;
            for (int i = 0; i < f.n_meta && nm < 16; i++)
                if (strcmp(f.meta[i].key, "t2v.latents")) meta[nm++] = f.meta[i];
            wrote = nm == f.n_meta - 1 && st_save_params(P(5, "t2v_old.safetensors"), t2v_params(m), ST_F32, nm, meta) == MOSA_OK;
            st_close(&f);
        }
        t2v_model *old = NULL;
        TEST_COND("a file without t2v.latents loads", wrote && t2v_load(&old, P(5, "t2v_old.safetensors"), o.vae_path) == MOSA_OK);
        if (old) {
            const t2v_config *c = t2v_get_config(old);
            int unit = 1;
            for (int ch = 0; ch < c->vae.latent_ch; ch++) unit &= c->latent_mean[ch] == 0.0f && c->latent_std[ch] == 1.0f;
            TEST_COND("... as mean 0, std 1", unit);
        }
        t2v_free(old);
    }
    TEST_COND("load bf16", t2v_load(&mb, P(6, "t2v_bf16.safetensors"), o.vae_path) == MOSA_OK);
    if (mb) TEST_CLOSE("bf16 weights within rounding", t2v_params(mb)->data, ea, np, 1.0 / 128, 1e-3);
    t2v_free(mb);
    mosa_free(ea);
    int W, H, F, fps;
    t2v_default_size(m, &W, &H, &F, &fps);
    TEST_COND("default size = trained size", W == 16 && H == 16 && F == 5 && fps == 8);

    /* rounding */
    char note[512];
    t2v_options ro = t2v_options_default();
    t2v_round_size(m, &ro, note, sizeof note);
    TEST_COND("0 = defaults, no note", ro.W == 16 && ro.H == 16 && ro.frames == 5 && note[0] == 0);
    ro.W = 18, ro.H = 1, ro.frames = 6;
    t2v_round_size(m, &ro, note, sizeof note);
    TEST_COND("rounded to the grid", ro.W == 20 && ro.H == 4 && ro.frames == 7);
    TEST_COND("note names each change", strstr(note, "width 18 rounded to 20: must be a multiple of 4") &&
                                            strstr(note, "height 1 rounded to 4") && strstr(note, "6 frames rounded to 7"));
    printf("  note: %s\n", note);

    /* generation */
    t2v_options go = t2v_options_default();
    go.steps = 4, go.cfg_scale = 3.0f, go.seed = 7;
    t2v_round_size(m, &go, note, sizeof note);
    const char *prompt = "A man in a red t-shirt walks forward on the grass";
    uint8_t *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;
    const size_t bytes = (size_t)5 * 16 * 16 * 3;
    TEST_COND("generate", t2v_generate(m, prompt, &go, 0, &a, NULL, NULL, NULL, NULL) == MOSA_OK && a);
    TEST_COND("generate again", t2v_generate(m, prompt, &go, 0, &b, NULL, NULL, NULL, NULL) == MOSA_OK && b);
    TEST_COND("same seed, same bytes", a && b && !memcmp(a, b, bytes));
    go.seed = 8;
    TEST_COND("other seed", t2v_generate(m, prompt, &go, 0, &c, NULL, NULL, NULL, NULL) == MOSA_OK);
    TEST_COND("other seed, other bytes", a && c && memcmp(a, c, bytes));
    go.seed = 7, go.negative = "blurry dark";
    TEST_COND("negative prompt", t2v_generate(m, prompt, &go, 0, &d, NULL, NULL, NULL, NULL) == MOSA_OK);
    TEST_COND("negative prompt changes the result", a && d && memcmp(a, d, bytes));
    go.negative = NULL, go.cfg_scale = 1.0f;
    TEST_COND("no guidance (one row per step)", t2v_generate(m, prompt, &go, 0, &e, NULL, NULL, NULL, NULL) == MOSA_OK && e);
    int varied = 0;
    for (size_t i = 1; a && i < bytes; i++) varied |= a[i] != a[0];
    TEST_COND("frames are not constant", varied);
    {   /* the sampled latent is denormalised before decoding: another normalisation, other frames */
        const t2v_config *cf = t2v_get_config(m);
        float mu0[VAE_MAX_LATENT], s0[VAE_MAX_LATENT], mu1[VAE_MAX_LATENT], bad[VAE_MAX_LATENT];
        const int C = cf->vae.latent_ch;
        memcpy(mu0, cf->latent_mean, sizeof(float) * C), memcpy(s0, cf->latent_std, sizeof(float) * C);
        for (int ch = 0; ch < C; ch++) mu1[ch] = mu0[ch] + 2.0f * s0[ch], bad[ch] = ch == 1 ? 0.0f : 1.0f;
        uint8_t *g = NULL, *h2 = NULL;
        go.cfg_scale = 3.0f;
        TEST_COND("std 0 refused", t2v_set_latent_norm(m, mu0, bad) == MOSA_ERR_ARG);
        TEST_COND("shifted normalisation", t2v_set_latent_norm(m, mu1, s0) == MOSA_OK &&
                                               t2v_generate(m, prompt, &go, 0, &g, NULL, NULL, NULL, NULL) == MOSA_OK);
        TEST_COND("other latent normalisation, other frames", a && g && memcmp(a, g, bytes));
        TEST_COND("restored normalisation", t2v_set_latent_norm(m, mu0, s0) == MOSA_OK &&
                                                t2v_generate(m, prompt, &go, 0, &h2, NULL, NULL, NULL, NULL) == MOSA_OK);
        TEST_COND("restored: the same bytes again", a && h2 && !memcmp(a, h2, bytes));
        mosa_free(g), mosa_free(h2);
    }
    mosa_free(a), mosa_free(b), mosa_free(c), mosa_free(d), mosa_free(e);

    /* refusals */
    uint8_t *f = NULL;
    t2v_options bad = t2v_options_default();
    bad.W = 18, bad.H = 16, bad.frames = 5, bad.steps = 2;
    TEST_COND("unrounded width refused", t2v_generate(m, prompt, &bad, 0, &f, NULL, NULL, NULL, NULL) == MOSA_ERR_ARG && !f);
    bad.W = 16, bad.frames = 6;
    TEST_COND("frames not 1+2k refused", t2v_generate(m, prompt, &bad, 0, &f, NULL, NULL, NULL, NULL) == MOSA_ERR_ARG && !f);
    t2v_options big = t2v_options_default();
    big.W = 4096, big.H = 4096, big.frames = 1001;
    const size_t nb = t2v_generate_bytes(m, &big), ns = t2v_generate_bytes(m, &go);
    printf("  memory estimate: %.1f MiB at 16x16x5, %.1f GiB at 4096x4096x1001\n", ns / 1048576.0, nb / 1073741824.0);
    TEST_COND("estimate grows with the size", nb > 100 * ns && nb > ((size_t)8 << 30));
    const uint64_t allocs = mosa_alloc_count();
    s = t2v_generate(m, prompt, &big, (size_t)1 << 30, &f, NULL, NULL, NULL, NULL);
    TEST_COND("too big: refused with MOSA_ERR_NOMEM", s == MOSA_ERR_NOMEM && !f && strstr(mosa_last_error(), "GiB"));
    TEST_COND("refused before allocating", mosa_alloc_count() == allocs);
    t2v_free(m);

    t2v_model *x = NULL;
    s = t2v_load(&x, P(7, "t2v.safetensors"), P(5, "vae2.safetensors"));
    TEST_COND("VAE with other latent channels refused", s == MOSA_ERR_MISMATCH && !x);
    TEST_COND("message names both files", strstr(mosa_last_error(), "vae2.safetensors") && strstr(mosa_last_error(), "t2v.safetensors"));
    printf("  %s\n", mosa_last_error());
    s = t2v_load(&x, P(6, "missing.safetensors"), o.vae_path);
    TEST_COND("missing model refused", s == MOSA_ERR_IO && !x && strstr(mosa_last_error(), "missing.safetensors"));
    s = t2v_load(&x, o.vae_path, o.vae_path);
    TEST_COND("a VAE file is not a t2v model", s == MOSA_ERR_MISMATCH && strstr(mosa_last_error(), "not a text-to-video model"));
    s = t2v_load(&x, P(7, "t2v.safetensors"), P(6, "missing_vae.safetensors"));
    TEST_COND("missing VAE refused", s != MOSA_OK && !x && strstr(mosa_last_error(), "missing_vae.safetensors"));
    t2v_trainer_free(t);
}

/* The t2v.latents string: round trip, refusals, and the trainer without normalisation. */
static void test_latents_meta(void) {
    vae_config vc = tiny_vae(3);
    t2v_config c = t2v_config_default(10, &vc), d = t2v_config_default(10, &vc);
    const float mean[3] = {-1.25f, 0.1f, 3.0e-7f}, sd[3] = {4.2f, 0.123456789f, 1e-3f};
    memcpy(c.latent_mean, mean, sizeof mean);
    memcpy(c.latent_std, sd, sizeof sd);
    char *str = t2v_latents_format(&c);
    TEST_COND("format", str != NULL);
    if (!str) return;
    printf("  t2v.latents: %s\n", str);
    TEST_COND("parse", t2v_latents_parse(&d, str) == MOSA_OK);
    TEST_COND("round trip is exact", !memcmp(d.latent_mean, mean, sizeof mean) && !memcmp(d.latent_std, sd, sizeof sd));
    mosa_free(str);
    static const char *const bad[] = {"",
                                      "mean=0,0 std=1,1",
                                      "mean=0,0,0,0 std=1,1,1,1",
                                      "mean=0,0,0 std=1,0,1",
                                      "mean=0,0,0 std=1,-2,1",
                                      "mean=0,nan,0 std=1,1,1",
                                      "mean=0,0,0 std=1,1,inf",
                                      "mean=0,0,0 std=1,1,1 extra",
                                      "std=1,1,1 mean=0,0,0",
                                      "mean=0;0;0 std=1,1,1"};
    int refused = 0;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        t2v_config e = d;
        const mosa_status s = t2v_latents_parse(&e, bad[i]);
        const int ok = s == MOSA_ERR_FORMAT && !memcmp(e.latent_std, d.latent_std, sizeof sd);
        if (!ok) printf("  not refused: '%s'\n", bad[i]);
        refused += ok;
    }
    TEST_COND("bad t2v.latents strings refused, config unchanged", refused == (int)(sizeof bad / sizeof *bad));
    t2v_config z = t2v_config_default(10, &vc);
    TEST_COND("default: mean 0, std 1", z.latent_mean[2] == 0.0f && z.latent_std[2] == 1.0f);

    /* --latent-norm none */
    t2v_train_options o = tiny_options();
    o.latent_norm = 0;
    t2v_trainer *t = NULL;
    TEST_COND("trainer without normalisation", t2v_trainer_create(&t, &o, NULL, NULL) == MOSA_OK);
    if (t) {
        const t2v_config *cf = t2v_get_config(t2v_trainer_model(t));
        int unit = 1;
        for (int ch = 0; ch < cf->vae.latent_ch; ch++) unit &= cf->latent_mean[ch] == 0.0f && cf->latent_std[ch] == 1.0f;
        TEST_COND("latent_norm 0: mean 0, std 1", unit);
        char line[2048];
        t2v_train_options_format(&o, line, sizeof line);
        TEST_COND("the option is in the run's options line", strstr(line, "latent_norm=0") != NULL);
    }
    t2v_trainer_free(t);
}

int main(void) {
    mosa_set_threads(2);
    snprintf(g_dir, sizeof g_dir, "/tmp/mosa_test_t2v_XXXXXX");
    if (!mkdtemp(g_dir)) {
        printf("cannot create a temporary directory\n");
        return 1;
    }
    const double t0 = time_now();
    test_train_and_generate();
    test_latents_meta();
    printf("  %.1f s\n", time_now() - t0);
    rm_rf(g_dir);
    return test_report();
}
