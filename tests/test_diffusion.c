/* test_diffusion.c: schedules, training targets and samplers (src/video/diffusion.c).
 *
 *   - names: parse(name(x)) round trips, unknown names -1;
 *   - schedules: scaled_linear abar_0 = 1 - b0 and abar_{T-1} as Stable Diffusion's (0.0046812);
 *     decreasing; zero terminal SNR: abar_{T-1} = 0 exactly, abar_0 unchanged, still decreasing;
 *     bad T, betas, zero SNR without v-prediction refused with a message;
 *   - identities: add_noise + target give back x0 and eps (eps, v, flow); one DDIM step from t to
 *     the clean end with the true target returns x0; a step from t to t' with the true target
 *     lands on sqrt(abar') x0 + sqrt(1-abar') eps; at zero SNR the v step has x0 = -v;
 *   - trailing timesteps: T=1000, 30 steps = 999, 966, 932, ..., 66, 32 (numpy's values),
 *     half-even rounding (16 steps: 937, 874, ...), 1 step, T steps, bad step counts refused;
 *   - classifier-free guidance arithmetic;
 *   - same seed same noise (torch.randn's first numbers for seed 0), other seed other noise;
 *   - the analytic case: data x0 ~ N(mu, sd^2) per element, whose exact predictors are
 *       E[eps | x_t] = b (x_t - a mu) / V, E[x0 | x_t] = mu + a sd^2 (x_t - a mu) / V,
 *       V = a^2 sd^2 + b^2, a = sqrt(abar_t), b = sqrt(1 - abar_t)
 *     (and for the flow x_s = (1-s) x0 + s eps the same with a = 1-s, b = s); DDIM with the
 *     exact eps predictor (scaled_linear, starting from the exact x_T marginal, 1000 steps), DDIM
 *     with the exact v predictor (zero-SNR, starting from N(0,1); 5, 50, 1000 steps: the std
 *     converges), and the flow Euler sampler with the exact velocity (from N(0,1), 200 steps) each
 *     map 20000 samples to mean mu and std sd. */
#include "video/diffusion.h"
#include "test.h"

#include <string.h>

#define NS 20000

static void test_names(void) {
    TEST_COND("betas names round trip",
              diff_betas_parse(diff_betas_name(DIFF_BETAS_SCALED_LINEAR)) == DIFF_BETAS_SCALED_LINEAR &&
                  diff_betas_parse(diff_betas_name(DIFF_BETAS_LINEAR)) == DIFF_BETAS_LINEAR);
    TEST_COND("pred names round trip", diff_pred_parse("eps") == DIFF_PRED_EPS && diff_pred_parse("v") == DIFF_PRED_V &&
                                           diff_pred_parse("flow") == DIFF_PRED_FLOW &&
                                           !strcmp(diff_pred_name(DIFF_PRED_V), "v"));
    TEST_COND("unknown names", diff_betas_parse("cosine") == -1 && diff_pred_parse("x0") == -1 &&
                                   diff_pred_parse(NULL) == -1);
}

static void test_schedules(void) {
    diff_schedule s;
    TEST_COND("scaled_linear", diff_schedule_init(&s, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 0,
                                                  DIFF_PRED_EPS) == MOSA_OK);
    TEST_COND("abar_0 = 1 - beta_0", fabs(s.alphas_cumprod[0] - (1 - 0.00085)) < 1e-12);
    /* Stable Diffusion's schedule: torch (1 - linspace(...)**2).cumprod(0)[-1] = 0.0046600985 (float64) */
    TEST_COND("abar_999 as Stable Diffusion's", fabs(s.alphas_cumprod[999] - 0.0046600985) < 1e-9);
    int dec = 1;
    for (int t = 1; t < 1000; t++) dec &= s.alphas_cumprod[t] < s.alphas_cumprod[t - 1];
    TEST_COND("abar strictly decreasing", dec);
    TEST_COND("linear", diff_schedule_init(&s, 1000, DIFF_BETAS_LINEAR, 0.0001, 0.02, 0, DIFF_PRED_EPS) == MOSA_OK &&
                            fabs(s.alphas_cumprod[1] - (1 - 0.0001) * (1 - (0.0001 + 0.0199 / 999))) < 1e-12);

    diff_schedule z;
    TEST_COND("zero SNR with v", diff_schedule_init(&z, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 1,
                                                    DIFF_PRED_V) == MOSA_OK);
    TEST_COND("zero SNR: abar_{T-1} = 0 exactly", z.alphas_cumprod[999] == 0.0);
    TEST_COND("zero SNR: abar_0 unchanged", fabs(z.alphas_cumprod[0] - (1 - 0.00085)) < 1e-15);
    dec = 1;
    for (int t = 1; t < 1000; t++) dec &= z.alphas_cumprod[t] < z.alphas_cumprod[t - 1];
    TEST_COND("zero SNR: strictly decreasing", dec);
    /* sqrt(abar) is an affine map of the original: check one interior point */
    diff_schedule sl;
    diff_schedule_init(&sl, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 0, DIFF_PRED_V);
    const double b0 = sqrt(sl.alphas_cumprod[0]), bT = sqrt(sl.alphas_cumprod[999]);
    const double want = (sqrt(sl.alphas_cumprod[500]) - bT) * b0 / (b0 - bT);
    TEST_COND("zero SNR: sqrt(abar) shifted and scaled", fabs(sqrt(z.alphas_cumprod[500]) - want) < 1e-14);

    TEST_COND("zero SNR with eps refused", diff_schedule_init(&z, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 1,
                                                              DIFF_PRED_EPS) == MOSA_ERR_ARG &&
                                               strstr(mosa_last_error(), "v-prediction"));
    TEST_COND("T = 1 refused", diff_schedule_init(&z, 1, DIFF_BETAS_LINEAR, 0.1, 0.2, 0, DIFF_PRED_EPS) != MOSA_OK &&
                                   strstr(mosa_last_error(), "T = 1"));
    TEST_COND("T too large refused",
              diff_schedule_init(&z, DIFF_MAX_TRAIN_STEPS + 1, DIFF_BETAS_LINEAR, 0.1, 0.2, 0, DIFF_PRED_EPS) != MOSA_OK);
    TEST_COND("b0 > b1 refused", diff_schedule_init(&z, 100, DIFF_BETAS_LINEAR, 0.2, 0.1, 0, DIFF_PRED_EPS) != MOSA_OK &&
                                     strstr(mosa_last_error(), "beta"));
    TEST_COND("beta 1 refused", diff_schedule_init(&z, 100, DIFF_BETAS_LINEAR, 0.1, 1.0, 0, DIFF_PRED_EPS) != MOSA_OK);
    TEST_COND("beta 0 refused", diff_schedule_init(&z, 100, DIFF_BETAS_LINEAR, 0.0, 0.1, 0, DIFF_PRED_EPS) != MOSA_OK);
    TEST_COND("unknown pred refused",
              diff_schedule_init(&z, 100, DIFF_BETAS_LINEAR, 0.01, 0.1, 0, (diff_pred)7) != MOSA_OK);
}

static double max_abs_diff(const float *a, const float *b, int n) {
    double m = 0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

static void test_identities(void) {
    enum { N = 64 };
    float x0[N], eps[N], xt[N], tg[N], x[N], x0p[N], want[N];
    mosa_rng r;
    rng_seed(&r, 7);
    rng_normal(&r, x0, N, 0.3f, 1.2f);
    rng_normal(&r, eps, N, 0.0f, 1.0f);
    const diff_pred preds[3] = {DIFF_PRED_EPS, DIFF_PRED_V, DIFF_PRED_FLOW};
    for (int k = 0; k < 3; k++) {
        diff_schedule s;
        diff_schedule_init(&s, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, preds[k] == DIFF_PRED_V, preds[k]);
        const int ts[3] = {0, 437, 998};
        for (int j = 0; j < 3; j++) {
            const int t = ts[j];
            double a, b;
            if (preds[k] == DIFF_PRED_FLOW) {
                const double sg = (double)(t + 1) / 1000.0;
                a = 1 - sg, b = sg;
            } else {
                a = sqrt(s.alphas_cumprod[t]), b = sqrt(1 - s.alphas_cumprod[t]);
            }
            diff_add_noise(&s, xt, x0, eps, N, t);
            for (int i = 0; i < N; i++) want[i] = (float)(a * x0[i] + b * eps[i]);
            TEST_CLOSE("add_noise = a x0 + b eps", xt, want, N, 1e-6, 1.0);
            diff_target(&s, tg, x0, eps, N, t);
            for (int i = 0; i < N; i++) {
                if (preds[k] == DIFF_PRED_EPS) want[i] = eps[i];
                else if (preds[k] == DIFF_PRED_V) want[i] = (float)(a * eps[i] - b * x0[i]);
                else want[i] = eps[i] - x0[i];
            }
            TEST_CLOSE("target", tg, want, N, 1e-6, 1.0);
            /* one step to the clean end with the true target returns x0 */
            memcpy(x, xt, sizeof x);
            diff_step(&s, x, x0p, tg, N, t, -1);
            TEST_COND("step to the clean end returns x0", max_abs_diff(x, x0, N) < 2e-4 && max_abs_diff(x0p, x0, N) < 2e-4);
            /* one step to t' lands on the forward process at t' */
            const int tp = t / 3 - 1;
            memcpy(x, xt, sizeof x);
            diff_step(&s, x, NULL, tg, N, t, tp);
            diff_add_noise(&s, want, x0, eps, N, tp < 0 ? 0 : tp);
            if (tp < 0) memcpy(want, x0, sizeof want);
            TEST_COND("step t -> t' lands on x_{t'}", max_abs_diff(x, want, N) < 2e-4);
        }
    }
    /* zero terminal SNR: at t = T-1 the v step has x0 = -v, eps = x */
    diff_schedule z;
    diff_schedule_init(&z, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 1, DIFF_PRED_V);
    float v[N];
    rng_normal(&r, v, N, 0.0f, 1.0f);
    memcpy(x, eps, sizeof x);
    diff_step(&z, x, x0p, v, N, 999, 965);
    int ok = 1;
    const double a2 = sqrt(z.alphas_cumprod[965]), b2 = sqrt(1 - z.alphas_cumprod[965]);
    for (int i = 0; i < N; i++) {
        ok &= x0p[i] == -v[i];
        ok &= fabs(x[i] - (a2 * -v[i] + b2 * eps[i])) < 1e-6;
    }
    TEST_COND("zero SNR v step: x0 = -v, x' = a' x0 + b' x", ok);
    diff_add_noise(&z, xt, x0, eps, N, 999);
    TEST_COND("zero SNR: x_{T-1} is the noise", max_abs_diff(xt, eps, N) == 0.0);
}

static void test_timesteps(void) {
    diff_schedule s;
    diff_schedule_init(&s, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 0, DIFF_PRED_EPS);
    int ts[1000];
    TEST_COND("30 steps", diff_timesteps(&s, 30, ts) == 30);
    /* numpy: np.round(np.arange(1000, 0, -1000/30)) - 1 */
    const int want30[] = {999, 966, 932, 899, 866, 832, 799, 766, 732, 699, 666, 632, 599, 566, 532,
                          499, 466, 432, 399, 366, 332, 299, 266, 232, 199, 166, 132, 99, 66, 32};
    int ok = 1;
    for (int i = 0; i < 30; i++) ok &= ts[i] == want30[i];
    TEST_COND("trailing T=1000 steps=30 as diffusers", ok);
    TEST_COND("16 steps: round half to even (937.5 -> 938)", diff_timesteps(&s, 16, ts) == 16 && ts[0] == 999 &&
                                                                  ts[1] == 937 && ts[2] == 874 && ts[3] == 811 &&
                                                                  ts[15] == 61);
    TEST_COND("1 step", diff_timesteps(&s, 1, ts) == 1 && ts[0] == 999);
    ok = diff_timesteps(&s, 1000, ts) == 1000;
    for (int i = 0; i < 1000; i++) ok &= ts[i] == 999 - i;
    TEST_COND("T steps: every timestep", ok);
    ok = 1;
    for (int n = 1; n <= 1000; n += 7) {
        ok &= diff_timesteps(&s, n, ts) == n && ts[0] == 999 && ts[n - 1] >= 0;
        for (int i = 1; i < n; i++) ok &= ts[i] < ts[i - 1];
    }
    TEST_COND("always from T-1 down, strictly decreasing, >= 0", ok);
    TEST_COND("0 steps refused", diff_timesteps(&s, 0, ts) == -1 && strstr(mosa_last_error(), "steps"));
    TEST_COND("T+1 steps refused", diff_timesteps(&s, 1001, ts) == -1);
}

static void test_cfg_and_noise(void) {
    float c[4] = {1, 2, 3, 4}, u[4] = {0, 1, 1, 5};
    float a[4];
    memcpy(a, c, sizeof a);
    diff_cfg_combine(a, u, 4, 1.0f);
    TEST_COND("cfg scale 1 = cond", !memcmp(a, c, sizeof a));
    memcpy(a, c, sizeof a);
    diff_cfg_combine(a, u, 4, 0.0f);
    TEST_COND("cfg scale 0 = uncond", !memcmp(a, u, sizeof a));
    memcpy(a, c, sizeof a);
    diff_cfg_combine(a, u, 4, 6.0f);
    TEST_COND("cfg scale 6", a[0] == 6 && a[1] == 7 && a[2] == 13 && a[3] == -1);

    float n1[100], n2[100], n3[100];
    mosa_rng r;
    rng_seed(&r, 0);
    diff_initial_noise(n1, 100, &r);
    rng_seed(&r, 0);
    diff_initial_noise(n2, 100, &r);
    rng_seed(&r, 1);
    diff_initial_noise(n3, 100, &r);
    TEST_COND("same seed same noise bytes", !memcmp(n1, n2, sizeof n1));
    TEST_COND("other seed other noise", memcmp(n1, n3, sizeof n1) != 0);
    /* torch.manual_seed(0); torch.randn(100)[:3] */
    TEST_COND("torch.randn's numbers", fabsf(n1[0] - (-1.1258398f)) < 1e-6f && fabsf(n1[1] - (-1.1523602f)) < 1e-6f &&
                                           fabsf(n1[2] - (-0.2505786f)) < 1e-6f);
}

/* ---- the analytic case ---- */

typedef struct gauss {
    double mu, sd;
} gauss;

/* The exact model output at (x, t) for data N(mu, sd^2) under schedule s. */
static void exact_output(const diff_schedule *s, const gauss *g, float *out, const float *x, int n, int t) {
    double a, b;
    if (s->pred == DIFF_PRED_FLOW) {
        const double sg = (double)(t + 1) / s->T;
        a = 1 - sg, b = sg;
    } else {
        a = sqrt(s->alphas_cumprod[t]), b = sqrt(1 - s->alphas_cumprod[t]);
    }
    const double V = a * a * g->sd * g->sd + b * b;
    for (int i = 0; i < n; i++) {
        const double d = x[i] - a * g->mu;
        const double eps = b * d / V, x0 = g->mu + a * g->sd * g->sd * d / V;
        out[i] = (float)(s->pred == DIFF_PRED_EPS ? eps : s->pred == DIFF_PRED_V ? a * eps - b * x0 : eps - x0);
    }
}

static void moments(const float *x, int n, double *mean, double *sd) {
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += x[i];
    m /= n;
    for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = sqrt(v / n);
}

/* Runs the sampler over `steps` trailing timesteps from x and returns the moments. */
static void sample(const diff_schedule *s, const gauss *g, float *x, float *out, int steps, double *mean, double *sd) {
    int ts[1000];
    diff_timesteps(s, steps, ts);
    for (int i = 0; i < steps; i++) {
        exact_output(s, g, out, x, NS, ts[i]);
        diff_step(s, x, NULL, out, NS, ts[i], i + 1 < steps ? ts[i + 1] : -1);
    }
    moments(x, NS, mean, sd);
}

static void test_analytic(void) {
    static float x[NS], out[NS];
    const gauss g = {1.5, 0.5};
    mosa_rng r;
    double mean, sd;
    char msg[200];

    /* eps-prediction, scaled_linear (abar_{T-1} = 0.0047 > 0): start from the exact marginal of
     * x_{T-1}. DDIM's last step outputs the posterior mean E[x0 | x_t], which shrinks the spread
     * by sqrt(a^2 sd^2 / V) at that t, so only many steps reach sd: 1000 steps here. */
    diff_schedule s;
    diff_schedule_init(&s, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 0, DIFF_PRED_EPS);
    const double aT = sqrt(s.alphas_cumprod[999]), VT = aT * aT * g.sd * g.sd + 1 - aT * aT;
    rng_seed(&r, 11);
    diff_initial_noise(x, NS, &r);
    for (int i = 0; i < NS; i++) x[i] = (float)(aT * g.mu + sqrt(VT) * x[i]);
    sample(&s, &g, x, out, 1000, &mean, &sd);
    snprintf(msg, sizeof msg, "DDIM eps 1000 steps: mean %.4f sd %.4f (want %.2f, %.2f)", mean, sd, g.mu, g.sd);
    printf("%s\n", msg);
    TEST_COND(msg, fabs(mean - g.mu) < 0.01 && fabs(sd - g.sd) < 0.01);

    /* v-prediction, zero terminal SNR: x_{T-1} is exactly N(0,1) */
    diff_schedule z;
    diff_schedule_init(&z, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 1, DIFF_PRED_V);
    double sds[3];
    const int steps[3] = {5, 50, 1000};
    for (int k = 0; k < 3; k++) {
        rng_seed(&r, 12);
        diff_initial_noise(x, NS, &r);
        sample(&z, &g, x, out, steps[k], &mean, &sds[k]);
        snprintf(msg, sizeof msg, "DDIM v zero-SNR %d steps: mean %.4f (want %.2f)", steps[k], mean, g.mu);
        TEST_COND(msg, fabs(mean - g.mu) < 0.01);
    }
    snprintf(msg, sizeof msg, "DDIM v zero-SNR: sd %.4f (5 steps), %.4f (50), %.4f (1000) converges to %.2f", sds[0],
             sds[1], sds[2], g.sd);
    printf("%s\n", msg);
    TEST_COND(msg, sds[0] < sds[1] && sds[1] < sds[2] && fabs(sds[2] - g.sd) < 0.01);

    /* rectified flow with the exact velocity: s = 1 is exactly N(0,1) */
    diff_schedule f;
    diff_schedule_init(&f, 1000, DIFF_BETAS_SCALED_LINEAR, 0.00085, 0.012, 0, DIFF_PRED_FLOW);
    rng_seed(&r, 13);
    diff_initial_noise(x, NS, &r);
    sample(&f, &g, x, out, 200, &mean, &sd);
    snprintf(msg, sizeof msg, "flow Euler 200 steps: mean %.4f sd %.4f (want %.2f, %.2f)", mean, sd, g.mu, g.sd);
    printf("%s\n", msg);
    TEST_COND(msg, fabs(mean - g.mu) < 0.01 && fabs(sd - g.sd) < 0.01);
}

int main(void) {
    test_names();
    test_schedules();
    test_identities();
    test_timesteps();
    test_cfg_and_noise();
    test_analytic();
    return test_report();
}
