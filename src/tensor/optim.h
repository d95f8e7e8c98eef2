/* optim.h: AdamW, global-norm gradient clipping, warmup + cosine schedule, EMA of weights.
 *
 * All of them run over a finalized param_store as flat loops over its slabs, skipping frozen
 * parameters (requires_grad == 0). AdamW follows torch.optim.AdamW's arithmetic order so a run
 * tracks PyTorch to float rounding. */
#ifndef MOSA_OPTIM_H
#define MOSA_OPTIM_H

#include "tensor.h"

typedef struct adamw_cfg {
    float lr;            /* peak learning rate (the schedule scales it) */
    float beta1, beta2;  /* 0.9, 0.999 */
    float eps;           /* 1e-8 */
    float weight_decay;  /* decoupled, applied as p *= 1 - lr * wd */
    int decay_all;       /* 0: decay only tensors with >= 2 dims (no biases, norms, embeddings' 1-d) */
} adamw_cfg;

typedef struct adamw {
    adamw_cfg cfg;
    float *m, *v;        /* first and second moments, same layout as the param slab */
    size_t numel;
    int64_t step;        /* number of updates applied */
} adamw;

adamw_cfg adamw_defaults(float lr);
mosa_status adamw_init(adamw *o, const param_store *ps, adamw_cfg cfg);
void adamw_free(adamw *o);
/* One update of every trainable parameter with learning rate lr (from the schedule). */
void adamw_step(adamw *o, param_store *ps, float lr);

/* L2 norm of all trainable gradients (accumulated in double, fixed order: deterministic). If
 * max_norm > 0 and the norm exceeds it, scales the gradients by max_norm / (norm + 1e-6) as
 * torch.nn.utils.clip_grad_norm_ does. Returns the norm before clipping. */
float grad_clip_global_norm(param_store *ps, float max_norm);

/* Linear warmup from 0 over `warmup` steps, then cosine decay to lr_min at `total` steps. */
float lr_warmup_cosine(int64_t step, int64_t warmup, int64_t total, float lr_max, float lr_min);

/* Exponential moving average of the weights: shadow = decay * shadow + (1 - decay) * param. */
typedef struct ema {
    float *shadow;
    size_t numel;
    float decay;
} ema;
mosa_status ema_init(ema *e, const param_store *ps, float decay);
void ema_update(ema *e, const param_store *ps);
/* The update after optimizer step `step` (1-based) with diffusers' EMAModel warmup: decay
 * min(decay, (1 + s) / (10 + s)) with s = step - 1, and 0 at the first update (the shadow starts
 * as the weights after step 1), so a short run's average is not dominated by the initial
 * weights (with a fixed 0.999, 22% of the average after 1500 steps is the initialisation). */
float ema_decay_at(const ema *e, int64_t step);
void ema_update_step(ema *e, const param_store *ps, int64_t step);
/* Exchanges the shadow weights and the live weights (call twice to swap back). */
void ema_swap(ema *e, param_store *ps);
void ema_free(ema *e);

#endif
