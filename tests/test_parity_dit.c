/* test_parity_dit.c: the DiT and the diffusion arithmetic against PyTorch (fixtures from
 * ref/ref_dit.py, computed in float64).
 *
 *   - one CogVideoX block (dit_block_forward) on token inputs with a padded key mask and a 3D
 *     RoPE grid: both outputs, the gradients of every block parameter and of the video, text and
 *     temb inputs for loss sum(y_video * r_video) + sum(y_text * r_text);
 *   - the whole 2-layer model (dit_forward: patchify, text and time embeddings, blocks, final
 *     norms, unpatchify) with a padded text mask and timesteps 999 and 17: output, the gradients
 *     of every parameter and of the latents and text features for loss sum(y * r);
 *   each with max|ours - ref| / max|ref| < 1e-4; the parameters are loaded by their diffusers
 *   state_dict names, strictly (every name of the file and of the model must match);
 *   - alphas_cumprod of scaled_linear, of its zero-terminal-SNR rescale (computed in torch as
 *     diffusers does, through betas and back), of linear, and of a T=50 zero-SNR linear schedule,
 *     per element to 1e-6 relative;
 *   - the trailing timesteps of numpy/diffusers for 18 step counts (the first `steps` of them);
 *   - DDIM steps (eps and v prediction, v at abar = 0, to the clean end) and a flow Euler step. */
#include "video/diffusion.h"
#include "video/dit.h"
#include "tensor/safetensors.h"
#include "gradcheck.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

#define TOL 1e-4

static char g_path[1024];

static const char *fixture(const char *name) {
    snprintf(g_path, sizeof g_path, "%s/%s.safetensors", MOSA_FIXTURE_DIR, name);
    return g_path;
}

static void check(const st_file *f, const char *what, const char *name, const float *got, int64_t n) {
    char descr[256];
    snprintf(descr, sizeof descr, "%s: %s", what, name);
    const double rel = fixture_rel_error(f, name, got, n);
    if (!(rel >= 0 && rel < TOL))
        printf("FAIL %s: relative error %.3g (tol %.0e; -1 = missing or wrong size)\n", descr, rel, TOL);
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

static float *floats(ctx *c, const st_file *f, const char *name) {
    const st_tensor *t = st_find(f, name);
    if (!t) return NULL;
    float *p = arena_alloc(&c->mem, (t->nelements ? t->nelements : 1) * sizeof(float));
    st_read_f32(t, p);
    return p;
}

static uint8_t *mask_of(ctx *c, const st_file *f) {
    const st_tensor *t = st_find(f, "in.mask");
    float *m = floats(c, f, "in.mask");
    uint8_t *u = arena_alloc(&c->mem, t->nelements);
    for (uint64_t i = 0; i < t->nelements; i++) u[i] = m[i] != 0.0f;
    return u;
}

/* Builds the fixture's model (config from its metadata) and loads its weights strictly. */
static dit_model *build(const st_file *f, param_store *ps) {
    dit_config cfg;
    const char *cs = st_meta_get(f, "config");
    TEST_COND("fixture config parses", cs && dit_config_parse(&cfg, cs) == MOSA_OK);
    if (!cs) return NULL;
    mosa_rng r;
    rng_seed(&r, 0);
    dit_model *m = NULL;
    params_init(ps);
    TEST_COND("build", dit_create(&m, ps, "", &cfg, &r) == MOSA_OK && params_finalize(ps) == MOSA_OK);
    const mosa_status s = st_load_params(ps, g_path, 0);
    if (s != MOSA_OK) printf("load: %s\n", mosa_last_error());
    TEST_COND("load weights by diffusers' names", s == MOSA_OK);
    return m;
}

static void test_block(void) {
    st_file f;
    if (st_open(&f, fixture("dit_cogvideox_block")) != MOSA_OK) {
        TEST_COND("open dit_cogvideox_block fixture", 0);
        return;
    }
    param_store ps;
    dit_model *m = build(&f, &ps);
    ctx c;
    ctx_init(&c, 1 << 22);
    int F = 0, hp = 0, wp = 0;
    const char *grid = st_meta_get(&f, "grid");
    TEST_COND("grid metadata", grid && sscanf(grid, "%d %d %d", &F, &hp, &wp) == 3);
    tensor *video = input(&c, &f, "in.video", 1), *text = input(&c, &f, "in.text", 1), *temb = input(&c, &f, "in.temb", 1);
    dit_tokens tk;
    const int B = (int)video->shape[0], Lt = (int)text->shape[1];
    const mosa_status s = dit_tokens_setup(&c, m, &tk, B, F, hp, wp, Lt, mask_of(&c, &f));
    TEST_COND("tokens setup", s == MOSA_OK && tk.Lv == video->shape[1]);
    tk.video = video, tk.text = text, tk.temb = temb;
    TEST_COND("block forward", dit_block_forward(&c, m, 0, &tk) == MOSA_OK);
    check(&f, "block", "out.video", tk.video->data, t_numel(tk.video));
    check(&f, "block", "out.text", tk.text->data, t_numel(tk.text));
    /* loss = sum(yv * rv) + sum(yt * rt) */
    tensor *rv = input(&c, &f, "in.r_video", 0), *rt = input(&c, &f, "in.r_text", 0);
    tensor *loss = op_add(&c, op_sum(&c, op_mul(&c, tk.video, rv), T_ALL_AXES, 0),
                          op_sum(&c, op_mul(&c, tk.text, rt), T_ALL_AXES, 0));
    TEST_COND("backward", ctx_backward(&c, loss) == MOSA_OK);
    check(&f, "block", "grad.in.video", video->grad, t_numel(video));
    check(&f, "block", "grad.in.text", text->grad, t_numel(text));
    check(&f, "block", "grad.in.temb", temb->grad, t_numel(temb));
    int n_checked = 0;
    char name[300];
    for (int i = 0; i < ps.n; i++) {
        if (strncmp(ps.t[i]->name, "transformer_blocks.0.", 21)) continue;
        snprintf(name, sizeof name, "grad.%s", ps.t[i]->name);
        check(&f, "block", name, ps.t[i]->grad, t_numel(ps.t[i]));
        n_checked++;
    }
    TEST_COND("all 24 block parameters checked", n_checked == 24);
    ctx_free(&c);
    dit_free(m);
    params_free(&ps);
    st_close(&f);
}

static void test_model(void) {
    st_file f;
    if (st_open(&f, fixture("dit_model")) != MOSA_OK) {
        TEST_COND("open dit_model fixture", 0);
        return;
    }
    param_store ps;
    dit_model *m = build(&f, &ps);
    ctx c;
    ctx_init(&c, 1 << 22);
    tensor *x = input(&c, &f, "in.x", 1), *text = input(&c, &f, "in.text", 1);
    const float *t = floats(&c, &f, "in.t");
    tensor *y = dit_forward(&c, m, x, text, mask_of(&c, &f), t);
    TEST_COND("forward", y != NULL);
    if (y) {
        check(&f, "model", "out.y", y->data, t_numel(y));
        TEST_COND("backward", ctx_backward_seed(&c, y, floats(&c, &f, "in.r")) == MOSA_OK);
        check(&f, "model", "grad.in.x", x->grad, t_numel(x));
        check(&f, "model", "grad.in.text", text->grad, t_numel(text));
        char name[300];
        for (int i = 0; i < ps.n; i++) {
            snprintf(name, sizeof name, "grad.%s", ps.t[i]->name);
            check(&f, "model", name, ps.t[i]->grad, t_numel(ps.t[i]));
        }
        TEST_COND("every parameter of the model checked", ps.n == 8 + 2 * 24 + 8);
    }
    ctx_free(&c);
    dit_free(m);
    params_free(&ps);
    st_close(&f);
}

/* ---- diffusion ---- */

static void check_abar(const st_file *f, const char *name, const diff_schedule *s) {
    const st_tensor *t = st_find(f, name);
    TEST_COND(name, t && (int)t->nelements == s->T);
    if (!t || (int)t->nelements != s->T) return;
    float *want = malloc((size_t)s->T * sizeof(float));
    st_read_f32(t, want);
    char d[128];
    snprintf(d, sizeof d, "alphas_cumprod %s", name);
    TEST_CLOSE(d, s->alphas_cumprod, want, s->T, 1e-6, 1e-12);
    free(want);
}

static void test_diffusion(void) {
    st_file f;
    if (st_open(&f, fixture("dit_diffusion")) != MOSA_OK) {
        TEST_COND("open dit_diffusion fixture", 0);
        return;
    }
    diff_schedule sl, zs, li, lz;
    int ok = diff_schedule_init(&sl, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 0, DIFF_PRED_EPS) == MOSA_OK;
    ok &= diff_schedule_init(&zs, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 1, DIFF_PRED_V) == MOSA_OK;
    ok &= diff_schedule_init(&li, 1000, DIFF_BETAS_LINEAR, 0.0001, 0.02, 0, DIFF_PRED_EPS) == MOSA_OK;
    ok &= diff_schedule_init(&lz, 50, DIFF_BETAS_LINEAR, 0.001, 0.2, 1, DIFF_PRED_V) == MOSA_OK;
    TEST_COND("schedules", ok);
    check_abar(&f, "abar.scaled_linear", &sl);
    check_abar(&f, "abar.scaled_linear_zero_snr", &zs);
    check_abar(&f, "abar.linear", &li);
    check_abar(&f, "abar.linear_zero_snr_T50", &lz);

    /* trailing timesteps */
    const char *counts = st_meta_get(&f, "step_counts");
    TEST_COND("step counts metadata", counts != NULL);
    int n_lists = 0, all_ok = 1;
    for (const char *p = counts; p && *p;) {
        char *end;
        const long n = strtol(p, &end, 10);
        if (end == p) break;
        p = end;
        char name[64];
        snprintf(name, sizeof name, "timesteps.%ld", n);
        const st_tensor *t = st_find(&f, name);
        int ts[1000];
        float want[1001];
        const int ok_n = t && t->nelements == (uint64_t)n && diff_timesteps(&sl, (int)n, ts) == (int)n;
        int good = ok_n;
        if (ok_n) {
            st_read_f32(t, want);
            for (long i = 0; i < n; i++) good &= ts[i] == (int)want[i];
        }
        if (!good) printf("FAIL timesteps for %ld steps differ from numpy's\n", n);
        all_ok &= good;
        n_lists++;
    }
    TEST_COND("trailing timesteps = numpy/diffusers for every step count", all_ok && n_lists == 18);

    /* DDIM and flow steps */
    const st_tensor *xt = st_find(&f, "in.x");
    const int64_t n = xt ? (int64_t)xt->nelements : 0;
    float x_in[64], out[64], x[64], x0[64];
    TEST_COND("step inputs", n == 64);
    if (n != 64) {
        st_close(&f);
        return;
    }
    st_read_f32(xt, x_in);
    st_read_f32(st_find(&f, "in.out"), out);
    struct {
        const char *name;
        const diff_schedule *s;
        int t, tp;
    } cases[] = {{"eps_500_466", &sl, 500, 466}, {"eps_32_clean", &sl, 32, -1}, {"v_999_965", &zs, 999, 965},
                 {"v_466_432", &zs, 466, 432},   {"v_32_clean", &zs, 32, -1}};
    for (int k = 0; k < 5; k++) {
        char nx[96], n0[96];
        memcpy(x, x_in, sizeof x);
        diff_step(cases[k].s, x, x0, out, 64, cases[k].t, cases[k].tp);
        snprintf(nx, sizeof nx, "ddim.%s.x", cases[k].name);
        snprintf(n0, sizeof n0, "ddim.%s.x0", cases[k].name);
        check(&f, "ddim", nx, x, 64);
        check(&f, "ddim", n0, x0, 64);
    }
    diff_schedule fl;
    diff_schedule_init(&fl, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 0, DIFF_PRED_FLOW);
    memcpy(x, x_in, sizeof x);
    diff_step(&fl, x, x0, out, 64, 699, 632);
    check(&f, "flow", "flow.699_632.x", x, 64);
    check(&f, "flow", "flow.699_632.x0", x0, 64);
    st_close(&f);
}

int main(void) {
    test_block();
    test_model();
    test_diffusion();
    return test_report();
}
