/* train_t2m.h: training the structure transformer (t2m.h) on text-motion pairs (corpus.h).
 *
 * Recipe (T2M-GPT's second stage, sized for a 2-core machine):
 *   - data: the training corpus (procedural library by default, or a HumanML3D directory); its
 *     captions give the vocabulary (text_vocab_build, every word seen once or more); every motion
 *     is normalised with the VQ-VAE's mean/std and encoded to tokens by the frozen VQ-VAE once,
 *     at `offsets` crop offsets 0..offsets-1 frames (augmentation: the token grid shifts), at most
 *     max_tokens tokens (200 frames);
 *   - a step draws `batch` (item, caption, offset) triples from the data RNG; targets are the
 *     tokens then END then PAD (ignored by the loss); the GPT input is the targets shifted right,
 *     each motion token replaced with probability 1 - pkeep by a uniformly random code (T2M-GPT's
 *     pkeep corruption, against exposure bias; T2M-GPT uses 0.5 with 300k steps on HumanML3D,
 *     we default to 0.8: with a few thousand steps on a small corpus, 0.5 slows learning more
 *     than it helps); the text condition of a row is replaced by the learned null condition
 *     with probability cond_drop (0.1), which trains classifier-free guidance;
 *   - loss: cross-entropy over codes+1 classes (PAD ignored); AdamW (wd 0.01 on matrices),
 *     gradient clipping at 1, linear warmup then cosine decay;
 *   - the text encoder is trained with the GPT; the VQ-VAE and the mean/std are frozen.
 * Held-out evaluation: loss and next-token accuracy (teacher forced, no corruption, offset 0) on
 * the test split, whose captions use phrasings never trained on (corpus.h).
 * Checkpoints are train_state files (bit-exact resume: weights, AdamW, step, both RNGs). */
#ifndef MOSA_MOTION_TRAIN_T2M_H
#define MOSA_MOTION_TRAIN_T2M_H

#include "corpus.h"
#include "t2m.h"

typedef struct t2m_train_options {
    const char *vqvae_path; /* trained VQ-VAE (vqvae_export); NULL = a random VQ-VAE of `vq` (tests) */
    vqvae_config vq;        /* used only without vqvae_path */
    const char *humanml3d;  /* HumanML3D root (train/test splits) or NULL for the procedural corpus */
    int corpus_size;        /* procedural training items, default 3000 */
    int test_size;          /* procedural test items, default 200 */
    uint64_t seed;          /* corpus, initialisation and batches, default 1 */
    int steps;              /* total optimizer steps (for the schedule), default 4000 */
    int batch;              /* default 32 */
    float lr, lr_min;       /* default 3e-4 -> 1e-5 */
    int warmup;             /* default 200 */
    float weight_decay;     /* default 0.01 */
    float grad_clip;        /* default 1 */
    float pkeep;            /* default 0.8 */
    float cond_drop;        /* default 0.1 */
    int offsets;            /* crop offsets pre-encoded (0, 2 with 2; 0..3 with 4), 1..4, default 2 */
    int gpt_width, gpt_layers, gpt_heads; /* default 192, 4, 4 */
    int text_width, text_layers;          /* default 128, 2 */
    int max_tokens;         /* default 50 */
    float drop;             /* GPT embedding dropout, default 0.1 */
    float word_drop;        /* caption words (not BOS/EOS) replaced by <unk> in training, so the
                             * model copes with words it does not know; default 0 */
    float para_aug;         /* caption words replaced, with this probability, by what the
                             * tokenizer reads for one of their WordNet synonyms or hyponyms
                             * (text_vocab_paraphrase_ids): trains on the readings of words a
                             * user may write instead; default 0 */
    float verb_aug;         /* vocabulary expansion: the WordNet relatives of the captions' verbs
                             * (text_verb_relatives: "walks" -> "strolls", "tiptoes", ...) that
                             * the captions lack join the vocabulary, and a caption verb is
                             * replaced, with this probability, by one of them, so the model
                             * learns those words as what they name; default 0. Not together
                             * with para_aug */
    int concepts;           /* WordNet concept embeddings in the text encoder: each word also
                             * adds the rows of up to this many of its WordNet concepts
                             * (text_vocab_concept_table), shared by the words that have them;
                             * 0 = off (default) */
} t2m_train_options;

t2m_train_options t2m_train_options_default(void);
/* One line "key=value ..." of every option that changes the run (for the run directory, so a
 * resume with other options is refused). */
void t2m_train_options_format(const t2m_train_options *o, char *buf, size_t cap);

typedef struct t2m_trainer t2m_trainer; /* opaque */

/* Builds corpus, vocabulary, model (VQ-VAE loaded), token cache and optimizer. log (nullable)
 * receives progress lines ("encoded 3000 motions to tokens ..."). */
mosa_status t2m_trainer_create(t2m_trainer **out, const t2m_train_options *o, void (*log)(void *, const char *),
                               void *user);
void t2m_trainer_free(t2m_trainer *t);

/* One optimizer step; *loss gets the batch loss before the update. */
mosa_status t2m_trainer_step(t2m_trainer *t, float *loss);
int64_t t2m_trainer_step_count(const t2m_trainer *t);
float t2m_trainer_lr(const t2m_trainer *t); /* learning rate of the next step */
/* Held-out loss and next-token accuracy (END included) on the test split. */
mosa_status t2m_trainer_eval(t2m_trainer *t, float *loss, float *acc);

mosa_status t2m_trainer_save_state(t2m_trainer *t, const char *path);
mosa_status t2m_trainer_load_state(t2m_trainer *t, const char *path);
/* The single model file (t2m_save) with a summary of the run as t2m.info. */
mosa_status t2m_trainer_export(t2m_trainer *t, const char *path);
t2m_model *t2m_trainer_model(t2m_trainer *t);
/* Sizes, for logs: training items, test items, vocabulary, tokens, trainable parameters. */
void t2m_trainer_sizes(const t2m_trainer *t, int *items, int *test_items, int *vocab, long *tokens, long *params);

#endif /* MOSA_MOTION_TRAIN_T2M_H */
