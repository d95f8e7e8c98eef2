/* train_vqvae.h: training the motion VQ-VAE (vqvae.h) as T2M-GPT's train_vq.py does, sized for
 * a small CPU: random 64-frame windows of normalised features, AdamW (betas 0.9/0.99, no weight
 * decay) with linear warmup and cosine decay, smooth-L1 reconstruction + 0.5 "vel" + 0.02
 * commitment, EMA codebook with dead-code reset after every step. Departures for a short CPU
 * run: peak lr 1e-3 (T2M-GPT: 2e-4 for 300k steps of batch 256; 1e-3 reached 104 mm held-out
 * MPJPE at step 100 where 2e-4 reached 130 mm) with cosine decay, batch 64, 3000 steps.
 *
 * A run lives in one directory:
 *   run.txt            the options that fix the run (checked on --resume)
 *   state.safetensors  the training state (train_state.h), written atomically every ckpt_every
 *                      steps and at the end: parameters incl. the frozen codebook and its EMA
 *                      statistics, AdamW moments, the data and reset RNGs; resume is bit-exact
 *   train.tsv          step, loss, recon, vel, commit, perplexity, used_codes, lr, seconds
 *   eval.tsv           step, held-out MPJPE (mm, root-relative and global), recon loss,
 *                      perplexity and used codes over the test-split corpus
 *   vqvae.safetensors  the final model (vqvae_export: weights, mean, std, config)
 * The library never prints; progress goes to the report callback. */
#ifndef MOSA_MOTION_TRAIN_VQVAE_H
#define MOSA_MOTION_TRAIN_VQVAE_H

#include "corpus.h"
#include "vqvae.h"

typedef struct motion_vqvae_eval {
    float mpjpe_mm;        /* mean per-joint position error after root alignment per frame, mm */
    float mpjpe_global_mm; /* the same without root alignment (root trajectory errors included) */
    float recon;           /* smooth-L1 of the normalised features */
    float perplexity;      /* of the codes over all evaluated motions */
    int used_codes;
    int items, frames;
} motion_vqvae_eval;

enum { VQ_REPORT_STEP = 0, VQ_REPORT_EVAL, VQ_REPORT_CHECKPOINT, VQ_REPORT_MESSAGE };

typedef struct motion_vqvae_report {
    int kind;              /* VQ_REPORT_* */
    int64_t step, steps;   /* steps done, total */
    float loss, recon, vel, commit, perplexity, lr;
    int used_codes;
    double seconds;        /* wall time of this process's training so far */
    double steps_per_s;    /* this process's average */
    motion_vqvae_eval eval; /* VQ_REPORT_EVAL */
    const char *message;   /* VQ_REPORT_MESSAGE / VQ_REPORT_CHECKPOINT (the path) */
} motion_vqvae_report;

typedef struct motion_vqvae_train_opts {
    const char *out_dir;     /* the run directory (created if missing; its parent must exist) */
    const char *export_path; /* also write the final model here (NULL: only out_dir/vqvae.safetensors) */
    const char *humanml3d;   /* a HumanML3D root (train/test splits) instead of the procedural corpus */
    int corpus_size;         /* procedural training motions (default 2000) */
    int test_size;           /* procedural held-out motions (default 128) */
    uint64_t seed;           /* corpus, initialisation and data order (default 1) */
    int64_t steps;           /* total optimizer steps (default 3000) */
    int64_t stop_after;      /* 0, or stop (checkpointed) after this many steps, as if interrupted */
    int batch, window;       /* 64, 64 frames (a multiple of 2^down_t) */
    float lr, lr_min;        /* 1e-3 peak, cosine down to lr_min (default 5e-5; = lr: constant) */
    int warmup;              /* linear warmup steps (default 100) */
    float vel_weight, beta;  /* 0.5, 0.02 */
    float clip;              /* global gradient norm clip, 0 = off (default; T2M-GPT does not clip) */
    int eval_every, ckpt_every; /* steps (defaults 250, 250); eval also at the end */
    int eval_items;          /* held-out motions evaluated (default all of test_size) */
    int resume;              /* continue from out_dir/state.safetensors */
    vqvae_config cfg;
    void (*report)(const motion_vqvae_report *r, void *user);
    void *user;
} motion_vqvae_train_opts;

motion_vqvae_train_opts motion_vqvae_train_opts_default(void);

/* Trains (or resumes) a run; see above. Errors name what is wrong: an unwritable directory, a
 * resume without a state or with different options, a diverged loss. */
mosa_status motion_train_vqvae(const motion_vqvae_train_opts *o);

/* Held-out evaluation: every item (at most max_items; 0 = all) cut to a multiple of 2^down_t
 * frames (at most 196), normalised with mean/std, encoded, quantized, decoded, de-normalised and
 * decoded to joints (hml_joints_from_features) beside the item's own features. */
mosa_status motion_vqvae_evaluate(vqvae *m, const motion_corpus *test, const float *mean, const float *std,
                                  int max_items, motion_vqvae_eval *out);

#endif /* MOSA_MOTION_TRAIN_VQVAE_H */
