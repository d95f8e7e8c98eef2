/* dit.h: the diffusion transformer of the appearance branch (CogVideoX's expert transformer,
 * sized for 2 cores).
 *
 * Input: noisy video latents (B, latent_ch, F, h, w) (vae.h), text token features
 * (B, Lt, text_dim) with a key mask (B, Lt) (1 = real token), and diffusion timesteps (B).
 *   - patch_embed.proj: a (1 x p x p) patchify, i.e. a per-frame Conv2d(latent_ch, width, p, p)
 *     (weight (width, latent_ch, p, p)), tokens in (f, y, x) order: Lv = F*(h/p)*(w/p);
 *     patch_embed.text_proj: Linear(text_dim, width) on the text features;
 *   - timestep: sinusoidal embedding of t (time_proj: dim = width, flip_sin_to_cos, shift 0, as
 *     diffusers' CogVideoX) -> time_embedding.linear_1 (width -> time_dim), SiLU, linear_2
 *     (time_dim -> time_dim) = temb;
 *   - `layers` blocks (transformer_blocks.N) over the concatenation [text; video] (Lt + Lv tokens)
 *     in one full attention, with separate adaptive norms for text and video tokens:
 *       norm1.linear (SiLU(temb) -> 6*width: shift, scale, gate, enc_shift, enc_scale, enc_gate),
 *       norm1.norm (LayerNorm, affine, eps 1e-5); video rows get norm(x)*(1+scale)+shift, text
 *       rows the enc_ ones;
 *       attn1.to_q/to_k/to_v (bias), attn1.norm_q/norm_k (LayerNorm over each head's D, eps 1e-6,
 *       affine), 3D RoPE on the video rows of q and k only (rope_table_3d with CogVideoX's split
 *       of the head dim D: d_t = D/4, d_h = d_w = 3D/8, theta rope_theta), padded text keys
 *       masked out by the key mask,
 *       attn1.to_out.0 (bias); video rows += gate * attn, text rows += enc_gate * attn;
 *       norm2 as norm1; ff.net.0.proj (width -> mlp_ratio*width, tanh GELU), ff.net.2 back;
 *       gates as above;
 *   - norm_final (LayerNorm over all rows), then on the video rows norm_out (norm_out.linear:
 *     SiLU(temb) -> 2*width: shift, scale, in that order; norm_out.norm LayerNorm, eps 1e-6,
 *     affine; x = norm(x)*(1+scale)+shift as diffusers' AdaLayerNorm) and proj_out
 *     (Linear(width, p*p*latent_ch)), zero-initialised so a fresh model predicts 0; unpatchify
 *     (channel fastest within a patch: (c, py, px) -> index (py*p + px)*latent_ch + c... as
 *     diffusers' CogVideoX unpatchify) back to (B, latent_ch, F, h, w).
 * Names are those of diffusers' CogVideoXTransformer3DModel state_dict. PyTorch twin:
 * ref/ref_dit.py. Not here: the text encoder (t2v.h) and the diffusion schedule (diffusion.h). */
#ifndef MOSA_VIDEO_DIT_H
#define MOSA_VIDEO_DIT_H

#include "../nn/nn.h"

typedef struct dit_config {
    int latent_ch;   /* = the VAE's latent_ch, default 8 */
    int patch;       /* spatial patch p, default 2 (temporal patch 1) */
    int width;       /* default 256 */
    int layers;      /* default 8 */
    int heads;       /* default 4 (head dim 64) */
    int mlp_ratio;   /* default 4 */
    int text_dim;    /* width of the text features, default 128 */
    int time_dim;    /* default 256 */
    float rope_theta; /* default 10000 */
} dit_config;

dit_config dit_config_default(void);
void dit_config_format(const dit_config *cfg, char *buf, size_t cap); /* "latent_ch=8 patch=2 ..." */
mosa_status dit_config_parse(dit_config *cfg, const char *s);

typedef struct dit_model dit_model; /* opaque */

/* Adds the parameters under prefix (e.g. "transformer") to ps and initialises them (PyTorch's
 * defaults; proj_out zero). */
mosa_status dit_create(dit_model **out, param_store *ps, const char *prefix, const dit_config *cfg, mosa_rng *r);
void dit_free(dit_model *m);
const dit_config *dit_get_config(const dit_model *m);

/* x (B, latent_ch, F, h, w) with h, w multiples of patch; text (B, Lt, text_dim); text_mask
 * (B, Lt) bytes or NULL (all real); t (B) timesteps (floats, usually integers in [0, 1000)).
 * Returns the model output (B, latent_ch, F, h, w). Differentiable. */
tensor *dit_forward(ctx *c, const dit_model *m, tensor *x, tensor *text, const uint8_t *text_mask, const float *t);

/* Bytes of activations one no-grad dit_forward needs at this size (for refusing absurd sizes). */
size_t dit_forward_bytes(const dit_config *cfg, int B, int F, int h, int w, int Lt);

#endif /* MOSA_VIDEO_DIT_H */
