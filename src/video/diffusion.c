/* diffusion.c: the noise schedules, training targets and samplers of diffusion.h.
 *
 * What this is: pure array arithmetic in double precision (stored as float), following
 * diffusers' DDIMScheduler (betas, rescale_zero_terminal_snr, timestep_spacing="trailing",
 * set_alpha_to_one=True, eta = 0, no sample clipping) and the rectified-flow Euler step.
 * What this is not: the model, the denoising loop (t2v.c) or any randomness beyond the initial
 * noise. Differences from diffusers are listed in diffusion.h and docs/video_dit.md. */
#include "diffusion.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                       */
/* ------------------------------------------------------------------------------------------ */

const char *diff_betas_name(diff_betas k) {
    switch (k) {
    case DIFF_BETAS_SCALED_LINEAR: return "scaled_linear";
    case DIFF_BETAS_LINEAR: return "linear";
    }
    return "?";
}

int diff_betas_parse(const char *s) {
    if (!s) return -1;
    if (!strcmp(s, "scaled_linear")) return DIFF_BETAS_SCALED_LINEAR;
    if (!strcmp(s, "linear")) return DIFF_BETAS_LINEAR;
    return -1;
}

const char *diff_pred_name(diff_pred p) {
    switch (p) {
    case DIFF_PRED_EPS: return "eps";
    case DIFF_PRED_V: return "v";
    case DIFF_PRED_FLOW: return "flow";
    }
    return "?";
}

int diff_pred_parse(const char *s) {
    if (!s) return -1;
    if (!strcmp(s, "eps")) return DIFF_PRED_EPS;
    if (!strcmp(s, "v")) return DIFF_PRED_V;
    if (!strcmp(s, "flow")) return DIFF_PRED_FLOW;
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Schedule                                                                                    */
/* ------------------------------------------------------------------------------------------ */

mosa_status diff_schedule_init(diff_schedule *s, int T, diff_betas kind, double b0, double b1, int zero_snr,
                               diff_pred pred) {
    if (!s) return mosa_fail(MOSA_ERR_ARG, "diff_schedule_init: NULL schedule");
    if (T < 2 || T > DIFF_MAX_TRAIN_STEPS)
        return mosa_fail(MOSA_ERR_ARG, "diffusion schedule: T = %d training timesteps must be in 2..%d", T,
                         DIFF_MAX_TRAIN_STEPS);
    if (kind != DIFF_BETAS_SCALED_LINEAR && kind != DIFF_BETAS_LINEAR)
        return mosa_fail(MOSA_ERR_ARG, "diffusion schedule: unknown betas kind %d (scaled_linear or linear)",
                         (int)kind);
    if (pred != DIFF_PRED_EPS && pred != DIFF_PRED_V && pred != DIFF_PRED_FLOW)
        return mosa_fail(MOSA_ERR_ARG, "diffusion schedule: unknown prediction type %d (eps, v or flow)", (int)pred);
    if (!(b0 > 0.0 && b0 <= b1 && b1 < 1.0))
        return mosa_fail(MOSA_ERR_ARG, "diffusion schedule: betas %g..%g must satisfy 0 < beta0 <= beta1 < 1", b0, b1);
    if (zero_snr && pred != DIFF_PRED_V)
        return mosa_fail(MOSA_ERR_ARG,
                         "diffusion schedule: zero terminal SNR needs v-prediction (Lin et al. 2024, Sec. 3.2: at "
                         "abar = 0 an eps-model cannot tell x0 from the noise); use pred v or zero_snr 0");
    memset(s, 0, sizeof *s);
    s->T = T;
    s->pred = pred;
    /* betas: linspace(b0, b1, T) or linspace(sqrt b0, sqrt b1, T)^2; abar_t = prod (1 - beta) */
    double prod = 1.0;
    for (int t = 0; t < T; t++) {
        const double f = (double)t / (double)(T - 1);
        double beta;
        if (kind == DIFF_BETAS_LINEAR) {
            beta = b0 + f * (b1 - b0);
        } else {
            const double r = sqrt(b0) + f * (sqrt(b1) - sqrt(b0));
            beta = r * r;
        }
        prod *= 1.0 - beta;
        s->alphas_cumprod[t] = prod;
    }
    if (zero_snr) {
        /* Lin et al. 2024, Algorithm 1: shift sqrt(abar) so the last is 0, scale so the first is
         * unchanged. diffusers then goes back through betas and cumprods again; that round trip is
         * the identity up to rounding, so abar is taken directly. */
        const double first = s->alphas_cumprod[0];
        const double a0 = sqrt(first), aT = sqrt(s->alphas_cumprod[T - 1]);
        for (int t = 1; t < T - 1; t++) {
            const double a = (sqrt(s->alphas_cumprod[t]) - aT) * (a0 / (a0 - aT));
            s->alphas_cumprod[t] = a * a;
        }
        s->alphas_cumprod[0] = first; /* (a0 - aT) * a0 / (a0 - aT) = a0 */
        s->alphas_cumprod[T - 1] = 0.0;  /* (aT - aT) = 0 */
    }
    return MOSA_OK;
}

/* abar at timestep t; t = -1 (or below) is the clean end, abar = 1 (set_alpha_to_one). */
static double abar_at(const diff_schedule *s, int t) {
    if (t < 0) return 1.0;
    if (t >= s->T) t = s->T - 1;
    return s->alphas_cumprod[t];
}

/* The rectified-flow noise level of timestep t: s = (t + 1) / T, so t = T-1 is pure noise and
 * t = -1 is clean data. */
static double flow_sigma(const diff_schedule *s, int t) {
    if (t < 0) return 0.0;
    if (t >= s->T) t = s->T - 1;
    return (double)(t + 1) / (double)s->T;
}

/* ------------------------------------------------------------------------------------------ */
/* Training                                                                                    */
/* ------------------------------------------------------------------------------------------ */

void diff_add_noise(const diff_schedule *s, float *xt, const float *x0, const float *eps, int64_t n, int t) {
    double a, b;
    if (s->pred == DIFF_PRED_FLOW) {
        const double sg = flow_sigma(s, t);
        a = 1.0 - sg, b = sg;
    } else {
        const double ab = abar_at(s, t);
        a = sqrt(ab), b = sqrt(1.0 - ab);
    }
    for (int64_t i = 0; i < n; i++) xt[i] = (float)(a * (double)x0[i] + b * (double)eps[i]);
}

void diff_target(const diff_schedule *s, float *target, const float *x0, const float *eps, int64_t n, int t) {
    switch (s->pred) {
    case DIFF_PRED_EPS:
        memmove(target, eps, (size_t)n * sizeof(float));
        break;
    case DIFF_PRED_V: {
        const double ab = abar_at(s, t), a = sqrt(ab), b = sqrt(1.0 - ab);
        for (int64_t i = 0; i < n; i++) target[i] = (float)(a * (double)eps[i] - b * (double)x0[i]);
        break;
    }
    case DIFF_PRED_FLOW:
        for (int64_t i = 0; i < n; i++) target[i] = (float)((double)eps[i] - (double)x0[i]);
        break;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Sampling                                                                                    */
/* ------------------------------------------------------------------------------------------ */

int diff_timesteps(const diff_schedule *s, int steps, int *ts) {
    if (!s || !ts) {
        mosa_fail(MOSA_ERR_ARG, "diff_timesteps: NULL argument");
        return -1;
    }
    if (steps < 1 || steps > s->T) {
        mosa_fail(MOSA_ERR_ARG, "sampler: %d steps must be in 1..%d (the training timesteps)", steps, s->T);
        return -1;
    }
    /* numpy: np.round(np.arange(T, 0, -T/steps)) - 1. np.arange fills start + i*delta with
     * delta = (start + step) - start, and np.round rounds half to even (rint). */
    const double T = (double)s->T, ratio = T / (double)steps;
    const double delta = (T - ratio) - T;
    for (int i = 0; i < steps; i++) ts[i] = (int)rint(T + (double)i * delta) - 1;
    return steps;
}

void diff_cfg_combine(float *cond, const float *uncond, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) cond[i] = uncond[i] + scale * (cond[i] - uncond[i]);
}

void diff_step(const diff_schedule *s, float *x, float *x0_pred, const float *model_out, int64_t n, int t, int t_prev) {
    if (s->pred == DIFF_PRED_FLOW) {
        /* Euler on dx/ds = v = eps - x0: x_{s'} = x_s + (s' - s) v; x0 = x_s - s v. */
        const double sg = flow_sigma(s, t), dsg = flow_sigma(s, t_prev) - sg;
        for (int64_t i = 0; i < n; i++) {
            const double xi = x[i], v = model_out[i];
            if (x0_pred) x0_pred[i] = (float)(xi - sg * v);
            x[i] = (float)(xi + dsg * v);
        }
        return;
    }
    /* DDIM, eta = 0 (Song et al. Eq. 12 with sigma = 0):
     * x_{t'} = sqrt(abar_{t'}) x0_pred + sqrt(1 - abar_{t'}) eps_pred. */
    const double ab = abar_at(s, t), ap = abar_at(s, t_prev);
    const double a = sqrt(ab), b = sqrt(1.0 - ab), a2 = sqrt(ap), b2 = sqrt(1.0 - ap);
    for (int64_t i = 0; i < n; i++) {
        const double xi = x[i], o = model_out[i];
        double x0, ep;
        if (s->pred == DIFF_PRED_V) {
            x0 = a * xi - b * o;  /* v = a eps - b x0 and x = a x0 + b eps */
            ep = a * o + b * xi;
        } else if (a > 0.0) {
            ep = o;
            x0 = (xi - b * o) / a;
        } else {
            /* abar = 0 with eps-prediction (only reachable through a hand-edited schedule;
             * diff_schedule_init refuses it): x_t is pure noise, so eps = x_t and x0 is unknown;
             * take its prior mean 0 instead of dividing by zero. */
            ep = xi;
            x0 = 0.0;
        }
        if (x0_pred) x0_pred[i] = (float)x0;
        x[i] = (float)(a2 * x0 + b2 * ep);
    }
}

void diff_initial_noise(float *x, int64_t n, mosa_rng *r) {
    if (n > 0) rng_normal(r, x, (size_t)n, 0.0f, 1.0f);
}
