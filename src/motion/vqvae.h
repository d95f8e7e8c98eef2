/* vqvae.h: the motion tokenizer of the structure branch: a 1D-convolutional VQ-VAE over
 * normalised HumanML3D features, as T2M-GPT configures it (CONVENTIONS.md 3.2) but sized for a
 * 2-core machine.
 *
 * Encoder: Conv1d(263->W,k3)+ReLU; down_t x [Conv1d(W,W,k4,s2,p1) + Resnet1D(depth, dilations
 * growth^i applied in reverse)]; Conv1d(W->code_dim,k3). Decoder mirrors it with nearest
 * Upsample x2 + Conv1d k3, then Conv1d(W,W)+ReLU+Conv1d(W->263). 2^down_t frames per token
 * (4 by default). Quantizer: nearest code (L2), straight-through gradient, commitment loss; the
 * codebook is not trained by gradients but by an EMA of assigned encoder outputs (decay mu)
 * with dead-code reset (codes unused in a batch are replaced by random encoder outputs of that
 * batch), T2M-GPT's "ema_reset" quantizer. Parameter names follow T2M-GPT's state_dict
 * ("encoder.model.0.weight", "quantizer.codebook", ...) under the given prefix. */
#ifndef MOSA_MOTION_VQVAE_H
#define MOSA_MOTION_VQVAE_H

#include "../nn/nn.h"
#include "../tensor/safetensors.h"

typedef struct vqvae_config {
    int in_dim;          /* 263 */
    int width;           /* default 128 (T2M-GPT: 512) */
    int depth;           /* residual blocks per level, default 3 */
    int dilation_growth; /* default 3 */
    int down_t;          /* default 2 -> 4 frames per token */
    int codes;           /* default 256 (T2M-GPT: 512) */
    int code_dim;        /* default 128 */
    float mu;            /* EMA decay of the codebook, default 0.99 */
} vqvae_config;

vqvae_config vqvae_config_default(void);
void vqvae_config_format(const vqvae_config *cfg, char *buf, size_t cap); /* "in_dim=263 width=128 ..." */
mosa_status vqvae_config_parse(vqvae_config *cfg, const char *s);

typedef struct vqvae vqvae; /* opaque: layers, codebook tensor, EMA statistics */

mosa_status vqvae_create(vqvae **out, param_store *ps, const char *prefix, const vqvae_config *cfg, mosa_rng *r);
void vqvae_free(vqvae *m);
const vqvae_config *vqvae_get_config(const vqvae *m);

/* x: (B, T, in_dim) normalised features, T a multiple of 2^down_t. Returns z (B, T/2^down_t, code_dim). */
tensor *vqvae_encode(ctx *c, const vqvae *m, tensor *x);
/* Nearest codes of n encoder outputs z (n, code_dim) -> codes[n]. */
void vqvae_quantize(const vqvae *m, const float *z, int n, int32_t *codes);
/* codes (B, N) -> normalised features (B, N * 2^down_t, in_dim). */
tensor *vqvae_decode(ctx *c, const vqvae *m, const int32_t *codes, int B, int N);

/* One training forward: encode, quantize (straight-through), decode; returns the total loss
 * (smooth-L1 reconstruction + vel_weight * smooth-L1 of the RIC joint positions [4:67], the term
 * T2M-GPT calls "vel" (ReConsLoss.forward_vel) + beta * commitment mse(z, sg(q))) and,
 * when stats is not NULL, its parts and codebook usage (perplexity, dead codes). Also records
 * the batch's code assignments so vqvae_ema_update can run after the optimizer step. */
typedef struct vqvae_loss_stats {
    float recon, vel, commit, perplexity;
    int used_codes;
} vqvae_loss_stats;
tensor *vqvae_train_forward(ctx *c, vqvae *m, tensor *x, float vel_weight, float beta, vqvae_loss_stats *stats);
/* EMA codebook update + dead-code reset from the last vqvae_train_forward; uses r for resets. */
void vqvae_ema_update(vqvae *m, mosa_rng *r);
/* The codebook and its EMA statistics ("quantizer.codebook", "quantizer.code_sum",
 * "quantizer.code_count") are frozen parameters of the store (params_set_frozen): no gradient or
 * AdamW state, but saved and restored with the parameters, so resume is bit-exact. */


/* ---- additions ---- */

/* The decoder on a latent zq (B,N,code_dim) instead of codes -> (B,N*2^down_t,in_dim). */
tensor *vqvae_decode_latent(ctx *c, const vqvae *m, tensor *zq);
/* 1 once the codebook has been initialised (by the first vqvae_train_forward, from that batch's
 * encoder outputs: rows spread evenly over the batch; deterministic). Kept in code_count, so a
 * resumed run knows it too. */
int vqvae_codebook_initialized(const vqvae *m);
/* exp(entropy) of the code histogram of n codes in [0,K) (T2M-GPT's perplexity); *used (nullable)
 * gets the number of distinct codes. */
float vqvae_perplexity(const int32_t *codes, int n, int K, int *used);
/* The EMA update of vqvae_ema_update on given encoder outputs z (n, code_dim) and their codes:
 * count = mu*count + (1-mu)*n_k, sum = mu*sum + (1-mu)*sum_k; a code with count >= 1 moves to
 * sum/count, any other is reset to z[rng_below(r, n)] (plus N(0, 0.01/sqrt(D)) noise when n < K). */
void vqvae_ema_update_from(vqvae *m, const float *z, const int32_t *codes, int n, mosa_rng *r);

/* Model file (models/motion/vqvae.safetensors): the parameters under their names without the
 * model's prefix, "mean" and "std" (in_dim floats each; either may be NULL to leave it out), F32,
 * metadata mosa.format = "motion_vqvae/1", vqvae.config = vqvae_config_format, plus n_meta more.
 * Written atomically. */
mosa_status vqvae_export(const vqvae *m, const char *path, const float *mean, const float *std, int n_meta,
                         const st_meta *meta);
/* The config stored in a model file (to build the model before loading it). */
mosa_status vqvae_file_config(const char *path, vqvae_config *cfg);
/* Loads a model file into m (its store finalized) and mean/std (nullable, in_dim floats each).
 * A file of another config is refused (MOSA_ERR_MISMATCH, naming both configs); on any error
 * nothing is modified. */
mosa_status vqvae_load(vqvae *m, const char *path, float *mean, float *std);

#endif /* MOSA_MOTION_VQVAE_H */
