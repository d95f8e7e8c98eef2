/* encoder.h: a small transformer text encoder (trained here, with the model that uses it).
 *
 * Token embedding + learned positions -> `layers` pre-LN transformer blocks (bidirectional
 * attention, PAD keys masked) -> final LayerNorm. Outputs every token's feature (B,L,width) and
 * the pooled sentence feature = the BOS position's output (B,width). Parameter names follow a
 * PyTorch module ("<prefix>.tok_emb.weight" (vocab,width), "<prefix>.pos_emb" (max_len,width),
 * "<prefix>.blocks.N....", "<prefix>.ln_f.weight"; nn_name's convention, and a prefix that
 * already ends in '.' or is empty is used as is). With cfg.concepts > 0 each token also adds
 * the rows of its word's WordNet concepts ("<prefix>.concept_emb.weight", docs/text.md).
 * PyTorch twin: ref/ref_text_encoder.py.
 * Used by the structure transformer (src/motion/t2m.h) and by the motion-text evaluator
 * (src/eval/motion_eval.h), each with its own weights and vocabulary. */
#ifndef MOSA_TEXT_ENCODER_H
#define MOSA_TEXT_ENCODER_H

#include "../nn/nn.h"

typedef struct text_encoder_config {
    int vocab;   /* text_vocab_size */
    int width;   /* default 128 */
    int layers;  /* default 2 */
    int heads;   /* default 4 */
    int max_len; /* tokens incl. BOS/EOS, default 32 */
    /* WordNet concept embeddings (off when 0): rows of "<prefix>.concept_emb.weight"
     * (concepts+1, width), row 0 = no concept; every token adds the rows of up to concept_k
     * concepts of its word (text_vocab_concept_table; text_encoder_set_concepts) */
    int concepts;
    int concept_k;
} text_encoder_config;

text_encoder_config text_encoder_config_default(int vocab);
/* "vocab=.. width=.. layers=.. heads=.. max_len=..[ concepts=.. concept_k=..]" <-> config
 * (parsing validates ranges; the concept keys are written only when concepts > 0). */
void text_encoder_config_format(const text_encoder_config *cfg, char *buf, size_t cap);
mosa_status text_encoder_config_parse(text_encoder_config *cfg, const char *s);

typedef struct text_encoder {
    text_encoder_config cfg;
    tensor *tok_emb, *pos_emb;
    nn_transformer_block *blocks; /* cfg.layers, mosa_malloc'd */
    nn_layernorm ln_f;
    tensor *concept_emb;   /* (concepts+1, width) when cfg.concepts > 0 */
    int32_t *concept_tab;  /* (vocab, concept_k) concept rows of each id; mosa_malloc'd */
} text_encoder;

mosa_status text_encoder_init(text_encoder *e, param_store *ps, const char *prefix, const text_encoder_config *cfg,
                              mosa_rng *r);
void text_encoder_free(text_encoder *e);
/* Gives an encoder with cfg.concepts > 0 its concept table (vocab x concept_k rows in
 * 0..concepts; copied). The forward pass refuses to run without it. */
mosa_status text_encoder_set_concepts(text_encoder *e, const int32_t *table);
/* ids (B, L) with L <= max_len; returns token features (B,L,width); *pooled (if not NULL) gets
 * (B,width). Differentiable (for training). */
tensor *text_encoder_forward(ctx *c, const text_encoder *e, const int32_t *ids, int B, int L, tensor **pooled);

#endif /* MOSA_TEXT_ENCODER_H */
