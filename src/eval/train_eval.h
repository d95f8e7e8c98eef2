/* train_eval.h: training the motion-text evaluator (motion_eval.h) on the procedural corpus.
 *
 * Data: motion_corpus_procedural's train split (corpus_size items, seed) for training, its test
 * split (test_size items, seed + 1) for held-out logging; the text vocabulary is built from the
 * train captions, the feature mean/std from the train motions. Each step draws `batch` distinct
 * items and one of each item's captions from the data RNG, and minimises
 *   L = InfoNCE(motion, text) (symmetric, fixed temperature) + cls_weight * CE(action logits)
 * (the CE over the single-action items of the batch) with AdamW, warmup + cosine schedule and
 * gradient clipping at 1.
 * A run directory holds run.cfg (the options that define the run), state.safetensors (the
 * training state, train_state.h, written every ckpt_every steps and at the end) and
 * evaluator.safetensors (the exported model). Resuming rebuilds the same corpus and continues
 * from the state: the result is bit-identical to a run that never stopped.
 * Not here: the metrics (motion_eval.h) and printing (the log callback gets finished lines). */
#ifndef MOSA_EVAL_TRAIN_EVAL_H
#define MOSA_EVAL_TRAIN_EVAL_H

#include "motion_eval.h"

typedef struct meval_train_options {
    const char *out_dir;  /* run directory (created if missing) */
    int steps;            /* total optimizer steps (the schedule's length) */
    int stop_after;       /* stop (with a checkpoint) at this step; 0 = at `steps` */
    int batch;            /* default 64 */
    uint64_t seed;        /* data and initialisation, default 1 */
    int corpus_size;      /* train items, default 3000 */
    int test_size;        /* held-out items, default 256 */
    float lr;             /* peak, default 1e-3 */
    int warmup;           /* default 100 */
    float cls_weight;     /* default 1 */
    int eval_every;       /* held-out logging period, default 250 (0 = only at the end) */
    int ckpt_every;       /* default 250 */
    int resume;           /* continue from out_dir/state.safetensors */
    int width, dim, text_width, text_layers; /* model size (defaults 128, 128, 128, 2) */
    void (*log)(void *user, const char *line);
    void *log_user;
} meval_train_options;

meval_train_options meval_train_options_default(void);

typedef struct meval_train_result {
    int64_t steps;          /* steps done in all */
    float first_loss, last_loss; /* mean loss over the first and the last logged window */
    double top[MEVAL_TOPK]; /* held-out R-precision of the real test motions vs their captions */
    double mm_dist;
    double cls_acc;         /* held-out classifier accuracy on single-action test items */
    double fid_halves;      /* FID between the embeddings of the two halves of the test draw */
} meval_train_result;

mosa_status meval_train(const meval_train_options *o, meval_train_result *res);

/* Held-out numbers of an evaluator on a test draw (n items, seed): R-precision, MM-Dist,
 * classifier accuracy on the single-action items, FID between the two halves. */
mosa_status meval_heldout(const meval_model *m, const motion_corpus *test, meval_train_result *res);

#endif /* MOSA_EVAL_TRAIN_EVAL_H */
