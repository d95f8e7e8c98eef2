/* diffusion.h: noise schedules, training targets and samplers of the appearance branch.
 *
 * DDPM forward process (paper Eq. 1): x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t in
 * [0, T) (T = 1000 train steps), abar_t = prod_{s<=t} (1 - beta_s). Betas: "scaled_linear"
 * (beta_t = (linspace(sqrt(b0), sqrt(b1), T))^2, b0 0.00085, b1 0.012, CogVideoX/SD) or
 * "linear" (linspace(b0, b1, T)); optionally rescaled to zero terminal SNR (Lin et al. 2024,
 * Algorithm 1, as CogVideoX: sqrt(abar) shifted so abar_{T-1} = 0 exactly and scaled so abar_0
 * is unchanged; allowed only with v-prediction, since at abar = 0 an eps-model cannot recover
 * x_0). The model predicts eps (default) or v = sqrt(abar) eps - sqrt(1-abar) x_0
 * (v-prediction, Salimans & Ho 2022).
 * Rectified flow (pred "flow"): x_t = (1-s) x_0 + s eps with s = (t+1)/T (t = T-1 is pure
 * noise, t = -1 clean data), target v = eps - x_0; abar is not used.
 * Samplers: DDIM (Song et al. 2021, Eq. 12 with eta = 0, deterministic) over `steps` timesteps
 * spaced "trailing" (diffusers' timestep_spacing="trailing": t_i = rint(T - i*T/steps) - 1,
 * numpy's round-half-even, so T=1000, steps=30 gives 999, 966, 932, 899, ..., 32), stepping from
 * each timestep to the NEXT ONE IN THE LIST and from the last to the clean end (abar = 1,
 * diffusers' set_alpha_to_one); diffusers' DDIMScheduler.step instead goes to t - T//steps,
 * which for trailing spacing is not always the next listed timestep. Classifier-free guidance
 * out = uncond + s (cond - uncond), where uncond is the negative prompt's (or the empty
 * caption's) prediction. For pred "flow" the same step function is the Euler step of the flow
 * ODE. Not implemented: eta > 0, sample clipping/thresholding, CogVideoX's snr_shift_scale, the
 * flow-matching time shift of SD3/Wan.
 * The sampler functions are pure array arithmetic, so they are tested on an analytic case
 * (Gaussian data, whose exact eps/v predictor is known in closed form). Not here: the model. */
#ifndef MOSA_VIDEO_DIFFUSION_H
#define MOSA_VIDEO_DIFFUSION_H

#include "../base/base.h"

typedef enum diff_pred { DIFF_PRED_EPS = 0, DIFF_PRED_V = 1, DIFF_PRED_FLOW = 2 } diff_pred;
typedef enum diff_betas { DIFF_BETAS_SCALED_LINEAR = 0, DIFF_BETAS_LINEAR = 1 } diff_betas;

#define DIFF_MAX_TRAIN_STEPS 4000

typedef struct diff_schedule {
    int T;                    /* training timesteps, default 1000 */
    diff_pred pred;
    double alphas_cumprod[DIFF_MAX_TRAIN_STEPS]; /* abar_t */
} diff_schedule;

/* Fills s; T in [2, DIFF_MAX_TRAIN_STEPS]; beta range 0 < b0 <= b1 < 1; zero_snr only with
 * DIFF_PRED_V (refused otherwise, with a message). Computed in double. */
mosa_status diff_schedule_init(diff_schedule *s, int T, diff_betas kind, double b0, double b1, int zero_snr,
                               diff_pred pred);
/* "scaled_linear", "linear" / "eps", "v", "flow" <-> enums (parse returns -1 for unknown). */
const char *diff_betas_name(diff_betas k);
int diff_betas_parse(const char *s);
const char *diff_pred_name(diff_pred p);
int diff_pred_parse(const char *s);

/* Training: x_t from x0 and eps at timestep t in [0, T) (n elements); and the model's regression
 * target (eps, v or eps - x0 for flow) into target (target may alias eps). */
void diff_add_noise(const diff_schedule *s, float *xt, const float *x0, const float *eps, int64_t n, int t);
void diff_target(const diff_schedule *s, float *target, const float *x0, const float *eps, int64_t n, int t);

/* The sampler's timesteps, from noisy to clean: ts[0..steps-1] (trailing spacing: ts[0] = T-1,
 * strictly decreasing, ts[steps-1] >= 0), steps in [1, T]. Returns steps, or -1 with the error
 * set. */
int diff_timesteps(const diff_schedule *s, int steps, int *ts);
/* Classifier-free guidance in place: cond = uncond + scale * (cond - uncond). */
void diff_cfg_combine(float *cond, const float *uncond, int64_t n, float scale);
/* One DDIM step in place from timestep t to t_prev (-1 = the clean end, abar = 1) given the
 * model output at (x, t), eta = 0 (deterministic):
 *   x0 = (x - sqrt(1-abar_t) eps) / sqrt(abar_t)           (eps-prediction)
 *   x0 = sqrt(abar_t) x - sqrt(1-abar_t) v, eps = sqrt(abar_t) v + sqrt(1-abar_t) x   (v)
 *   x <- sqrt(abar_prev) x0 + sqrt(1 - abar_prev) eps.
 * At abar_t = 0 (zero terminal SNR, v-prediction) this gives x0 = -v, eps = x. For
 * DIFF_PRED_FLOW it is the Euler step x += (s_prev - s) * out with x0 = x - s * out. Also
 * returns the predicted x0 in x0_pred when not NULL. Arithmetic in double per element. */
void diff_step(const diff_schedule *s, float *x, float *x0_pred, const float *model_out, int64_t n, int t, int t_prev);

/* Initial noise for sampling: n standard normals from the seeded RNG (rng_normal, torch.randn's
 * numbers for torch.manual_seed: the same seed, the same noise). */
void diff_initial_noise(float *x, int64_t n, mosa_rng *r);

#endif /* MOSA_VIDEO_DIFFUSION_H */
