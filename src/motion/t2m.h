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
    float temperature; /* default 1 */
    int top_k;         /* 0 = all tokens; default 0 */
    float cfg_scale;   /* 1 = no guidance; default 3 */
    uint64_t seed;
} t2m_sample_options;

t2m_sample_options t2m_sample_options_default(void);

/* Generates one motion for a motion prompt (already extracted, prompt.h). *joints gets
 * (T,22,3) float32 at 20 fps (mosa_free), *T its frame count. Unknown words are mapped through WordNet and reported to log. */
mosa_status t2m_generate(t2m_model *m, const char *motion_prompt, const t2m_sample_options *o, float **joints, int *T,
                         text_map_log log, void *user);

#endif /* MOSA_MOTION_T2M_H */
