/* dit.h: the diffusion transformer of the appearance branch (CogVideoX's expert transformer,
 * diffusers' CogVideoXTransformer3DModel with rotary positions and patch_size_t=None, sized for
 * 2 cores).
 *
 * Input: noisy video latents (B, latent_ch, F, h, w) (vae.h's layout; diffusers takes
 * (B, F, C, h, w)), text token features (B, Lt, text_dim), Lt >= 1, with a key mask (B, Lt)
 * (1 = real token), and diffusion timesteps (B).
 *   - patch_embed.proj: a (1 x p x p) patchify, i.e. a per-frame Conv2d(latent_ch, width, p,
 *     stride p) (weight (width, latent_ch, p, p)), tokens in (f, y, x) order: Lv = F*(h/p)*(w/p);
 *     patch_embed.text_proj: Linear(text_dim, width) on the text features; no positional
 *     embedding is added (positions come from the RoPE);
 *   - timestep: sinusoidal embedding of t (time_proj: get_timestep_embedding with dim = width,
 *     flip_sin_to_cos=True, downscale_freq_shift=0: [cos(t f_j), sin(t f_j)], f_j =
 *     10000^(-j/(width/2))) -> time_embedding.linear_1 (width -> time_dim), SiLU, linear_2
 *     (time_dim -> time_dim) = temb;
 *   - `layers` blocks (transformer_blocks.N, CogVideoXBlock) over the concatenation [text; video]
 *     (Lt + Lv tokens) in one full attention, with separate adaptive norms for text and video:
 *       norm1.linear (SiLU(temb) -> 6*width: shift, scale, gate, enc_shift, enc_scale, enc_gate),
 *       norm1.norm (LayerNorm shared by both streams, affine, eps 1e-5); video rows get
 *       norm(x)*(1+scale)+shift, text rows the enc_ ones;
 *       attn1.to_q/to_k/to_v (bias), attn1.norm_q/norm_k (LayerNorm over each head's D, eps 1e-6,
 *       affine), 3D RoPE on the video rows of q and k only (interleaved pairs, rope_table_3d with
 *       CogVideoX's split of the head dim D: d_t = D/4, d_h = d_w = 3D/8 (so D % 16 == 0), integer
 *       grid positions f, y, x, theta rope_theta), scale 1/sqrt(D), padded text keys masked out by
 *       the key mask (CogVideoX attends to T5's padding; we do not);
 *       attn1.to_out.0 (bias); video rows += gate * attn, text rows += enc_gate * attn;
 *       norm2 as norm1; ff.net.0.proj (width -> mlp_ratio*width, tanh GELU), ff.net.2 back,
 *       on [text; video]; gates as above;
 *   - norm_final (LayerNorm, affine, eps 1e-5; per row, so applying it to the video rows only is
 *     what diffusers computes), then norm_out (AdaLayerNorm, chunk_dim=1: norm_out.linear:
 *     SiLU(temb) -> 2*width: shift, scale in that order; norm_out.norm LayerNorm, eps 1e-5,
 *     affine; x = norm(x)*(1+scale)+shift) and proj_out (Linear(width, p*p*latent_ch)),
 *     zero-initialised so a fresh model predicts exactly 0; unpatchify as diffusers: each token's
 *     p*p*latent_ch outputs are ordered (c, py, px), i.e. index c*p*p + py*p + px (channel
 *     slowest), back to (B, latent_ch, F, h, w).
 * Initialisation: PyTorch's defaults (Linear and Conv2d U(+-1/sqrt(fan_in)), LayerNorm 1/0),
 * proj_out zero. Names are those of diffusers' CogVideoXTransformer3DModel state_dict (e.g.
 * "transformer_blocks.3.attn1.norm_q.weight"). PyTorch twin: ref/ref_dit.py.
 * Not here: the text encoder (t2v.h) and the diffusion schedule (diffusion.h). */
#ifndef MOSA_VIDEO_DIT_H
#define MOSA_VIDEO_DIT_H

#include "../nn/nn.h"

typedef struct dit_config {
    int latent_ch;   /* = the VAE's latent_ch, default 8 */
    int patch;       /* spatial patch p, default 2 (temporal patch 1) */
    int width;       /* default 256 */
    int layers;      /* default 8 */
    int heads;       /* default 4 (head dim 64); width/heads must be a multiple of 16 (3D RoPE split) */
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

/* x (B, latent_ch, F, h, w) with h, w multiples of patch; text (B, Lt, text_dim), Lt >= 1;
 * text_mask (B, Lt) bytes or NULL (all real; a row may mask every token, e.g. the empty caption
 * of classifier-free guidance: the video then attends to itself only); t (B) timesteps (finite
 * floats, usually integers in [0, 1000)). Returns the model output (B, latent_ch, F, h, w).
 * Differentiable. Bad sizes return NULL with a message in c->status / mosa_last_error(). */
tensor *dit_forward(ctx *c, const dit_model *m, tensor *x, tensor *text, const uint8_t *text_mask, const float *t);

/* Bytes of activations one no-grad dit_forward needs at this size (for refusing absurd sizes):
 * an upper estimate of the context arena it uses (tested to be above the measured use and
 * within 1.5x of it). SIZE_MAX for invalid arguments. */
size_t dit_forward_bytes(const dit_config *cfg, int B, int F, int h, int w, int Lt);

/* ---- the pieces of dit_forward, for the block parity test and for modules that run between
 * blocks (dit_forward = dit_embed, dit_block_forward for every layer, dit_unembed) ---- */

typedef struct dit_tokens {
    tensor *video;      /* (B, Lv, width), Lv = F*hp*wp tokens in (f, y, x) order */
    tensor *text;       /* (B, Lt, width) */
    tensor *temb;       /* (B, time_dim), before the blocks' SiLU */
    int B, F, hp, wp, Lt, Lv;
    uint8_t *key_mask;  /* (B, Lt+Lv) in the arena: the text mask, then ones */
    float *rope_cos, *rope_sin; /* (Lt+Lv, D/2) in the arena: identity rows (cos 1, sin 0) for
                                   the text, then rope_table_3d(F, hp, wp, D/4, 3D/8, 3D/8) */
} dit_tokens;

/* Fills tk's geometry, key mask and RoPE tables (tensors NULL) for B samples of an F x hp x wp
 * token grid and Lt text tokens (text_mask (B, Lt) or NULL). Errors go to c->status. */
mosa_status dit_tokens_setup(ctx *c, const dit_model *m, dit_tokens *tk, int B, int F, int hp, int wp, int Lt,
                             const uint8_t *text_mask);
/* Checks the inputs as dit_forward documents, sets tk up and computes temb and the video and
 * text token embeddings. */
mosa_status dit_embed(ctx *c, const dit_model *m, tensor *x, tensor *text, const uint8_t *text_mask, const float *t,
                      dit_tokens *tk);
/* transformer_blocks.<layer> on tk: tk->video and tk->text are replaced by the block's outputs. */
mosa_status dit_block_forward(ctx *c, const dit_model *m, int layer, dit_tokens *tk);
/* norm_final, norm_out, proj_out and unpatchify of tk->video -> (B, latent_ch, F, h, w). */
tensor *dit_unembed(ctx *c, const dit_model *m, const dit_tokens *tk);

#endif /* MOSA_VIDEO_DIT_H */
