/* t2v.h: the base text-to-video model (the paper's "without structure branch" baseline) and its
 * generation pipeline: prompt -> text encoder -> DiT denoising loop (diffusion.h) over VAE
 * latents -> VAE decode -> frames.
 *
 * One model file (models/video/t2v.safetensors) holds the text encoder ("text_encoder.*", the
 * encoder of text/encoder.h with its own vocabulary, trained with the DiT on the dataset's
 * captions), the DiT ("transformer.*", dit.h; the EMA weights), and as metadata: mosa.format =
 * "video_t2v/1", the vocabulary, text/DiT configs, the schedule (T, betas, zero_snr, pred), the
 * default size/frames/fps it was trained at, the VAE config it expects and the latent
 * normalisation (t2v.latents). The VAE is its own file (models/video/vae.safetensors); t2v_load
 * checks that the two agree (latent channels, factors) and refuses a mismatch, naming both.
 *
 * Latent normalisation: the diffusion runs on (z - latent_mean[c]) / latent_std[c] per channel
 * c, z the VAE's latent (already times its scaling factor), as Wan 2.1 normalises with its VAE's
 * latents_mean/latents_std. One scalar scaling factor is not enough for a VAE whose channels are
 * ranked principal components (vae.h, linear path): their spreads differ 40-fold (4.2 for the
 * first, 0.1 for most), and unit diffusion noise buries the small ones (docs/video.md). The
 * trainer measures the statistics on its training latents; files without t2v.latents mean 0 and
 * 1 (no change). */
#ifndef MOSA_VIDEO_T2V_H
#define MOSA_VIDEO_T2V_H

#include "../text/tokenizer.h"
#include "diffusion.h"
#include "dit.h"
#include "vae.h"

typedef struct t2v_model t2v_model; /* opaque */

mosa_status t2v_load(t2v_model **out, const char *t2v_path, const char *vae_path);
void t2v_free(t2v_model *m);
/* The size it was trained at (the defaults of `mosa generate`). */
void t2v_default_size(const t2v_model *m, int *W, int *H, int *frames, int *fps);
const video_vae *t2v_vae(const t2v_model *m);
const dit_model *t2v_dit(const t2v_model *m);

typedef struct t2v_options {
    int W, H, frames;        /* 0 = the model's defaults; frames 1 + tf*k, W/H multiples of sf*patch */
    int steps;               /* sampler steps, default 30 */
    float cfg_scale;         /* default 6 (1 = no guidance: one model pass per step) */
    const char *negative;    /* negative prompt, or NULL for the empty caption */
    uint64_t seed;
} t2v_options;

t2v_options t2v_options_default(void);

/* Rounds W/H to the nearest multiple of sf*patch (at least one) and frames to the nearest
 * 1 + tf*k (at least 1 + tf), as diffusers does; writes a sentence per change into note
 * ("width 100 rounded to 96: must be a multiple of 16") or "" when nothing changed. */
void t2v_round_size(const t2v_model *m, t2v_options *o, char *note, size_t note_cap);
/* Bytes the generation needs at these (rounded) options; t2v_generate refuses above the limit
 * given (0 = no limit) before allocating. */
size_t t2v_generate_bytes(const t2v_model *m, const t2v_options *o);

/* Called after every sampler step (step 1..steps) and once for the decode (step = steps + 1). */
typedef void (*t2v_progress)(void *user, int step, int total);

/* Generates frames (frames, H, W, 3) RGB8 (mosa_free) for a prompt. Sizes must already be valid
 * (t2v_round_size); unknown words are mapped by the tokenizer and reported to log. Same seed,
 * same options, same bytes. max_bytes: refuse (MOSA_ERR_NOMEM with both numbers) when
 * t2v_generate_bytes is above it (0 = no limit). */
mosa_status t2v_generate(t2v_model *m, const char *prompt, const t2v_options *o, size_t max_bytes, uint8_t **frames,
                         text_map_log log, void *log_user, t2v_progress progress, void *progress_user);

/* ------------------------------------------------------------------------------------------ */
/* Configuration, building blocks and the model file (for training, tests and tools)          */
/* ------------------------------------------------------------------------------------------ */

#include "../text/encoder.h"

#define T2V_FORMAT "video_t2v/1"

/* Everything the model file records besides the weights. */
typedef struct t2v_config {
    text_encoder_config text; /* its own encoder; width = dit.text_dim; max_len default 64 */
    dit_config dit;
    int T;                    /* diffusion training timesteps, default 1000 */
    diff_betas betas;         /* default scaled_linear */
    double beta0, beta1;      /* default 0.00085, 0.012 */
    int zero_snr;             /* rescale to zero terminal SNR (Lin et al.), default 0; only with pred v */
    diff_pred pred;           /* default eps (paper Eq. 1); v as an option */
    int W, H, frames, fps;    /* the size it was trained at (default 128x128, 33 frames, 16 fps) */
    vae_config vae;           /* the VAE it expects (latent_ch, factors, scaling_factor checked) */
    float latent_mean[VAE_MAX_LATENT], latent_std[VAE_MAX_LATENT]; /* per latent channel (above) */
} t2v_config;

/* Defaults for a vocabulary of vocab words and a VAE of this config. */
t2v_config t2v_config_default(int vocab, const vae_config *vae);
/* Metadata strings: "T=1000 betas=scaled_linear beta0=0.00085 beta1=0.012 zero_snr=0 pred=eps"
 * and "W=128 H=128 frames=33 fps=16" <-> config (parsing validates ranges). */
void t2v_schedule_format(const t2v_config *cfg, char *buf, size_t cap);
mosa_status t2v_schedule_parse(t2v_config *cfg, const char *s);
void t2v_size_format(const t2v_config *cfg, char *buf, size_t cap);
mosa_status t2v_size_parse(t2v_config *cfg, const char *s);

/* "mean=m0,m1,... std=s0,s1,..." (latent_ch numbers each, %.9g) <-> the latent normalisation;
 * format returns a mosa_malloc'd string (NULL when out of memory); parse wants exactly latent_ch
 * finite means and positive finite stds. */
char *t2v_latents_format(const t2v_config *cfg);
mosa_status t2v_latents_parse(t2v_config *cfg, const char *s);
/* In place over one clip's latent (latent_ch, plane): the VAE's latent -> the diffusion's
 * (normalize) and back (denormalize). */
void t2v_latents_normalize(const t2v_config *cfg, float *lat, int64_t plane);
void t2v_latents_denormalize(const t2v_config *cfg, float *lat, int64_t plane);
/* Sets the model's latent normalisation (the trainer measures it); stds must be positive. */
mosa_status t2v_set_latent_norm(t2v_model *m, const float *mean, const float *std);

/* A fresh model: text encoder and DiT initialised from seed, a copy of the vocabulary, the VAE
 * opened from vae_path (its config must agree with cfg->vae: MOSA_ERR_MISMATCH naming both). */
mosa_status t2v_create(t2v_model **out, const t2v_config *cfg, const text_vocab *vocab, const char *vae_path,
                       uint64_t seed);
/* Writes the single model file: the text encoder and DiT parameters as dtype (ST_F32 or ST_BF16),
 * configs, vocabulary and `info` (may be NULL) as metadata; atomically. */
mosa_status t2v_save(const t2v_model *m, const char *path, st_dtype dtype, const char *info);

/* Parts, for training and tests (owned by the model). */
param_store *t2v_params(t2v_model *m); /* text encoder + DiT (not the VAE) */
const t2v_config *t2v_get_config(const t2v_model *m);
text_encoder *t2v_text_encoder(t2v_model *m);
dit_model *t2v_dit_mut(t2v_model *m);
const text_vocab *t2v_vocab(const t2v_model *m);
const diff_schedule *t2v_schedule(const t2v_model *m);
/* Text features for ids (B, L) (PAD-padded rows from text_tokenize): (B, L, text width), and the
 * key mask (B*L bytes, 1 = not PAD) written into mask. Differentiable. */
tensor *t2v_encode_text(ctx *c, const t2v_model *m, const int32_t *ids, int B, int L, uint8_t *mask);

#endif /* MOSA_VIDEO_T2V_H */
