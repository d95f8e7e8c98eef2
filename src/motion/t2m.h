/* t2m.h: the 3D structure transformer: text -> motion tokens -> (T,22,3) joints.
 *
 * A GPT over VQ-VAE motion tokens (vqvae.h) conditioned on the text encoder (text/encoder.h):
 * the condition (pooled sentence feature and the projected word features) is a prefix, motion
 * tokens follow with causal attention; token END (= codes) closes a motion. Sampling: temperature,
 * top-k, classifier-free guidance (a learned null condition, trained by dropping the text), a
 * fixed length in seconds (END is suppressed until then) or the model's own END; the same seed
 * gives the same motion. Decoded features go through recover_from_ric (hml_joints_from_features);
 * bone lengths are then made constant and feet cleaned of skating where they are in contact.
 *
 * One model file (models/motion/t2m.safetensors) holds the VQ-VAE, the text encoder, the GPT,
 * the feature mean/std, the vocabulary and the configs (metadata). */
#ifndef MOSA_MOTION_T2M_H
#define MOSA_MOTION_T2M_H

#include "../base/base.h"
#include "../text/tokenizer.h"

typedef struct t2m_model t2m_model; /* opaque */

mosa_status t2m_load(t2m_model **out, const char *path);
void t2m_free(t2m_model *m);
float t2m_max_seconds(const t2m_model *m); /* longest motion the model can make */

typedef struct t2m_sample_options {
    float seconds;     /* 0 = until the model's END (at most t2m_max_seconds) */
    float temperature; /* default 0.7 */
    int top_k;         /* 0 = all tokens; default 0 */
    float cfg_scale;   /* 1 = no guidance; default 3 */
    uint64_t seed;
} t2m_sample_options;

t2m_sample_options t2m_sample_options_default(void);

/* Generates one motion for a motion prompt (already extracted, prompt.h). *joints gets
 * (T,22,3) float32 at 20 fps (mosa_free), *T its frame count. Unknown words are mapped through WordNet and reported to log. */
mosa_status t2m_generate(t2m_model *m, const char *motion_prompt, const t2m_sample_options *o, float **joints, int *T,
                         text_map_log log, void *user);


/* ------------------------------------------------------------------------------------------ */
/* Configuration, building blocks and the model file (for training, tests and tools)          */
/* ------------------------------------------------------------------------------------------ */

#include "../nn/nn.h"
#include "../text/encoder.h"
#include "vqvae.h"

#define T2M_FRAMES_PER_TOKEN_MAX 16
#define T2M_FORMAT "t2m/1"

/* The GPT over motion tokens. Token ids: 0..codes-1 motion codes, END = codes, PAD = codes+1
 * (CONVENTIONS 3.2); the embedding has codes+2 rows, the head codes+1 classes (no PAD).
 * Sequence, all causal: [word_1 .. word_L] (the text encoder's per-token features through
 * word_proj; PAD words are masked as keys) [cond] (the pooled sentence feature through
 * cond_proj, or the learned null condition for classifier-free guidance, whose row then also
 * masks every word) [tok_0 .. tok_{N-1}] (token embedding + learned position 0..N-1). The output
 * at cond predicts tok_0, the output at tok_i predicts tok_{i+1} (or END). Positions are counted
 * from the cond token, so the number of PAD words never changes a motion token's output. */
typedef struct t2m_gpt_config {
    int codes;      /* VQ-VAE codes */
    int width;      /* default 192 */
    int layers;     /* default 4 */
    int heads;      /* default 4 */
    int mlp_ratio;  /* default 4 */
    int max_tokens; /* motion tokens, default 50 (T2M-GPT's block size 51 = cond + 50) */
    int text_width; /* width of the text features it reads */
    float drop;     /* dropout on the input embeddings while training, default 0.1 */
} t2m_gpt_config;

t2m_gpt_config t2m_gpt_config_default(int codes, int text_width);
void t2m_gpt_config_format(const t2m_gpt_config *cfg, char *buf, size_t cap);
mosa_status t2m_gpt_config_parse(t2m_gpt_config *cfg, const char *s);

typedef struct t2m_gpt {
    t2m_gpt_config cfg;
    tensor *tok_emb;   /* "tok_emb.weight" (codes+2, W) */
    tensor *pos_emb;   /* "pos_emb" (max_tokens, W) */
    tensor *null_cond; /* "null_cond" (W) */
    nn_linear word_proj, cond_proj; /* text_width -> W */
    nn_transformer_block *blocks;   /* "blocks.N" */
    nn_layernorm ln_f;
    nn_linear head;    /* "head.weight" (codes+1, W), no bias */
} t2m_gpt;

mosa_status t2m_gpt_init(t2m_gpt *g, param_store *ps, const char *prefix, const t2m_gpt_config *cfg, mosa_rng *r);
void t2m_gpt_free(t2m_gpt *g);
/* Teacher-forced forward. words (B,L,text_width), pooled (B,text_width), word_mask (B,L) bytes
 * (1 = a real word) or NULL, null_cond (B) bytes (1 = use the null condition) or NULL, tokens
 * (B,N) ids in [0, codes+2) with 0 <= N <= max_tokens. Returns logits (B, N+1, codes+1): row i
 * predicts token i (the last one: what follows tok_{N-1}). Embedding dropout when c->training. */
tensor *t2m_gpt_forward(ctx *c, const t2m_gpt *g, tensor *words, tensor *pooled, const uint8_t *word_mask,
                        const uint8_t *null_cond, const int32_t *tokens, int N);

/* Picks a token from logits[n] (modified in place): temperature (0 = argmax), top-k (0 = all),
 * then one uniform draw from r (inverse CDF, so one draw per call whatever the options);
 * token `forbid` (e.g. END before the wanted length) is never chosen when >= 0. */
int t2m_sample_logits(float *logits, int n, float temperature, int top_k, int forbid, mosa_rng *r);

/* Everything one model file holds. */
typedef struct t2m_config {
    vqvae_config vq;
    text_encoder_config text;
    t2m_gpt_config gpt;
} t2m_config;

/* The default sizes: VQ-VAE vqvae_config_default, text encoder width 128 x 2 layers (max_len
 * 32), GPT 192 wide x 4 layers x 4 heads (1.8 M parameters), 50 tokens. */
t2m_config t2m_config_default(int vocab_size);

/* A fresh model (random weights from seed) owning a copy of the vocabulary and mean/std. */
mosa_status t2m_create(t2m_model **out, const t2m_config *cfg, const text_vocab *vocab, const float mean[263],
                       const float std[263], uint64_t seed);
/* Copies the weights and the feature mean/std of a trained VQ-VAE file (vqvae_export; its
 * config must equal cfg->vq, see vqvae_file_config) into the model. */
mosa_status t2m_load_vqvae_weights(t2m_model *m, const char *vqvae_path);
/* Writes the single model file (F32 tensors, configs + vocabulary + `info` as metadata), atomically. */
mosa_status t2m_save(const t2m_model *m, const char *path, const char *info);

/* Parts, for training and tests (owned by the model). */
param_store *t2m_params(t2m_model *m);
const t2m_config *t2m_get_config(const t2m_model *m);
vqvae *t2m_vqvae(t2m_model *m);
text_encoder *t2m_text_encoder(t2m_model *m);
t2m_gpt *t2m_gpt_of(t2m_model *m);
const text_vocab *t2m_vocab(const t2m_model *m);
const float *t2m_mean(const t2m_model *m); /* 263 */
const float *t2m_std(const t2m_model *m);  /* 263 */
int t2m_frames_per_token(const t2m_model *m);

/* Token sampling only (no decoding): tokens[max_tokens] gets *n motion tokens (END excluded).
 * kv_cache = 0 recomputes the whole sequence at every step (the reference the cache is tested
 * against). The same options and seed give the same tokens. */
mosa_status t2m_sample_tokens(t2m_model *m, const char *motion_prompt, const t2m_sample_options *o, int32_t *tokens,
                              int *n, int kv_cache, text_map_log log, void *user);
/* Tokens -> (T,22,3) joints: VQ decode, de-normalise, recover_from_ric, then (if frames > 0)
 * crop to `frames`, then motion_cleanup (cleanup.h) unless `raw`. */
mosa_status t2m_decode_tokens(t2m_model *m, const int32_t *tokens, int n, int frames, int raw, float **joints,
                              int *T);
/* Frames generated for o->seconds: round(seconds * 20), at least 1, at most max_tokens x
 * frames_per_token. Motions of `seconds` get ceil(frames / frames_per_token) tokens, whose
 * frames_per_token x tokens decoded frames are cropped to exactly `frames`. */
int t2m_frames_for_seconds(const t2m_model *m, float seconds);

#endif /* MOSA_MOTION_T2M_H */
