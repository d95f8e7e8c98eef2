/* train_t2v.h: training the base text-to-video model (t2v.h) on a dataset's clips.
 *
 * Recipe (CogVideoX's objective, sized for a 2-core machine):
 *   - data: the clips of a mosa-dataset/1 directory (MoVid-syn by default) at one size (W x H,
 *     `frames` frames, the dataset's own size unless asked otherwise; other sizes are resampled
 *     bilinearly, longer clips cut to their first `frames` frames, shorter ones skipped). Every
 *     clip's video is encoded ONCE by the frozen VAE (vae_encode_video, the posterior mean times
 *     the scaling factor) into a latents cache file, reused on resume and by later runs when it
 *     matches (same VAE file bytes, size and clip list), re-encoded otherwise; then with
 *     latent_norm (default) each channel's mean and std over all training latents are measured,
 *     stored with the model (t2v.h, latent normalisation) and every latent, training and
 *     held-out, is normalised with them in memory (the cache keeps the VAE's latents);
 *   - text: the model's own encoder (text/encoder.h, max_len 64) with a vocabulary built from
 *     the training captions, trained jointly with the DiT; caption dropout: with probability
 *     cond_drop (0.1) a row's caption is replaced by the empty caption "" (BOS EOS), the input
 *     classifier-free guidance uses as the unconditional one;
 *   - a step: `batch` clips drawn from the data RNG, t uniform in [0, T), eps ~ N(0, I) from the
 *     noise RNG, x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (paper Eq. 1, diff_add_noise), the
 *     DiT's output regressed onto eps (or v = sqrt(abar) eps - sqrt(1-abar) x_0 with pred v) by
 *     the mean squared error; AdamW (wd 0.01 on matrices), gradient clipping at 1, linear warmup
 *     then cosine decay; an EMA of the weights after every step (what is exported);
 *   - held-out: the loss per timestep bucket (bucket k of K holds t = floor((k + 0.5) T / K))
 *     on a held-out dataset's clips with fixed noise (noise of clip i from seed i), so two
 *     evaluations of the same weights give the same numbers.
 * Checkpoints are train_state files (weights, AdamW, EMA, step, the data, noise and dropout
 * RNGs): resuming gives the same bytes as never stopping. */
#ifndef MOSA_VIDEO_TRAIN_T2V_H
#define MOSA_VIDEO_TRAIN_T2V_H

#include "t2v.h"

#define T2V_MAX_BUCKETS 100

typedef struct t2v_train_options {
    const char *data;           /* training dataset directory */
    const char *val_data;       /* held-out dataset directory, or NULL (no evaluation) */
    const char *vae_path;       /* the trained VAE (mosa train vae exports it) */
    const char *cache_path;     /* latents of the training clips (.safetensors; created or reused) */
    const char *val_cache_path; /* latents of the held-out clips, or NULL (encoded in memory) */
    int W, H, frames, fps;      /* training size; 0 = the first clip's (frames rounded down to 1+tf*k) */
    int max_clips;              /* training clips used, 0 = all */
    int val_clips;              /* held-out clips used, default 32 (0 = all) */
    uint64_t seed;              /* initialisation and batches, default 1 */
    int steps;                  /* total optimizer steps (for the schedule), default 12000 */
    int batch;                  /* default 8 */
    float lr, lr_min;           /* default 2e-4 -> 1e-5 */
    int warmup;                 /* default 500 */
    float weight_decay;         /* default 0.01 */
    float grad_clip;            /* default 1 */
    float cond_drop;            /* default 0.1 */
    float ema_decay;            /* default 0.999, with diffusers' warmup (ema_update_step) */
    diff_pred pred;             /* default eps */
    int zero_snr;               /* default 0 (only with pred v) */
    int dit_width, dit_layers, dit_heads, dit_patch; /* default 256, 8, 4, 2 */
    int text_width, text_layers, max_len;            /* default 128, 2, 64 */
    int buckets;                /* held-out timestep buckets, default 10 */
    int latent_norm;            /* 1 (default): per-channel latent mean/std (above); 0: none */
} t2v_train_options;

t2v_train_options t2v_train_options_default(void);
/* One line "key=value ..." of every option that changes the run (kept in the run directory so a
 * resume with other options is refused). */
void t2v_train_options_format(const t2v_train_options *o, char *buf, size_t cap);

typedef struct t2v_trainer t2v_trainer; /* opaque */

/* Opens the datasets, builds the vocabulary and the model, encodes (or loads) the latents and
 * sets up AdamW and the EMA. log (nullable) receives progress lines. */
mosa_status t2v_trainer_create(t2v_trainer **out, const t2v_train_options *o, void (*log)(void *, const char *),
                               void *user);
void t2v_trainer_free(t2v_trainer *t);

/* One optimizer step; *loss gets the batch loss before the update. */
mosa_status t2v_trainer_step(t2v_trainer *t, float *loss);
int64_t t2v_trainer_step_count(const t2v_trainer *t);
float t2v_trainer_lr(const t2v_trainer *t); /* learning rate of the next step */
/* Held-out loss per timestep bucket (losses[buckets]) and overall (*mean), with the live weights
 * or the EMA weights. Fails when there is no held-out set. */
mosa_status t2v_trainer_eval(t2v_trainer *t, int use_ema, float *losses, float *mean);
int t2v_trainer_buckets(const t2v_trainer *t);

mosa_status t2v_trainer_save_state(t2v_trainer *t, const char *path);
mosa_status t2v_trainer_load_state(t2v_trainer *t, const char *path);
/* The single model file (t2v_save) holding the EMA weights, stored as dtype (ST_F32 or ST_BF16),
 * with a summary of the run as t2v.info. */
mosa_status t2v_trainer_export(t2v_trainer *t, const char *path, st_dtype dtype);
t2v_model *t2v_trainer_model(t2v_trainer *t);
/* The EMA weights (same layout as the model's parameter slab). */
const float *t2v_trainer_ema(const t2v_trainer *t);
/* Sizes, for logs: training clips, held-out clips, vocabulary, trainable parameters. */
void t2v_trainer_sizes(const t2v_trainer *t, int *clips, int *val_clips, int *vocab, long *params);

#endif /* MOSA_VIDEO_TRAIN_T2V_H */
