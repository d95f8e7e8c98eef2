/* motion_eval.h: the motion-text evaluator (contrastive motion and text encoders, as the
 * HumanML3D evaluator of Guo et al. 2022 is) with an action-classifier head, and the
 * text-to-motion metrics computed on its embeddings.
 *
 * The evaluator (one file, models/motion/evaluator.safetensors):
 *   motion encoder: normalised (T,263) HumanML3D features -> Conv1d(263,W,4,s2) SiLU ->
 *     Conv1d(W,W,4,s2) SiLU (T/4 "movements") -> + sinusoidal positions -> `mlayers` pre-LN
 *     transformer blocks (padding masked) -> LayerNorm -> masked mean over time -> h (W);
 *     embedding = L2-normalised Linear(W, dim)(h); action logits = Linear(W, n_actions)(h).
 *     Every activation is re-masked after each conv, so a motion's embedding does not depend
 *     on the other motions of its batch or on their lengths.
 *   text encoder: text/encoder.h with its own vocabulary (built from the training captions),
 *     pooled BOS feature -> Linear(width, dim) -> L2-normalised.
 *   Trained (train_eval.h) with the symmetric InfoNCE loss at a fixed temperature plus
 *   cross-entropy of the action head on single-action items.
 * Metrics (definitions in docs/motion_eval.md): FID, R-precision top-1/2/3 in batches of 32,
 * multimodal distance, diversity; physical checks (bone-length variance, foot skating, ground
 * penetration, jerk); action accuracy of prompts written in new words (action_prompts.h).
 *
 * Not here: training (train_eval.h), generation (motion/t2m.h), printing (tools/). */
#ifndef MOSA_EVAL_MOTION_EVAL_H
#define MOSA_EVAL_MOTION_EVAL_H

#include "../motion/corpus.h"
#include "../nn/nn.h"
#include "../text/encoder.h"
#include "../text/tokenizer.h"

#define MEVAL_RPREC_BATCH 32 /* R-precision pools: the matching text and 31 others */
#define MEVAL_TOPK 3
#define MEVAL_DIVERSITY_PAIRS 300
#define MEVAL_FORMAT "motion_evaluator/1"

typedef struct meval_config {
    int width;      /* motion encoder channels, default 128 */
    int mlayers;    /* transformer blocks over the movements, default 1 */
    int heads;      /* default 4 */
    int dim;        /* embedding dim, default 128 */
    int max_frames; /* longest feature sequence, default 200 (HumanML3D: 196) */
    int n_actions;  /* classifier classes = motion_action_count() */
    float temperature; /* InfoNCE temperature, default 0.1 */
    text_encoder_config text;
} meval_config;

/* Defaults above for a vocabulary of `vocab` ids (text defaults: width 128, 2 layers). */
meval_config meval_config_default(int vocab);
/* "width=.. mlayers=.. heads=.. dim=.. max_frames=.. n_actions=.. temperature=.." (the text
 * config is stored separately, text_encoder_config_format). Parsing validates ranges. */
void meval_config_format(const meval_config *cfg, char *buf, size_t cap);
mosa_status meval_config_parse(meval_config *cfg, const char *s);

typedef struct meval_model {
    meval_config cfg;
    param_store ps;
    text_vocab *vocab;           /* owned */
    tensor *feat_mean, *feat_std; /* (263) frozen parameters "feat.mean", "feat.std" */
    tensor *conv1_w, *conv1_b, *conv2_w, *conv2_b;
    nn_transformer_block *mblocks; /* cfg.mlayers */
    nn_layernorm mln;
    nn_linear mproj, cls;
    text_encoder text;
    nn_linear tproj;
} meval_model;

/* Builds a model with fresh weights (seeded) around a vocabulary, which it takes over (freed
 * with the model, also on failure). mean/std (263) are copied. */
mosa_status meval_init(meval_model *m, const meval_config *cfg, text_vocab *vocab, const float *mean,
                       const float *std, uint64_t seed);
void meval_free(meval_model *m);
/* Writes the evaluator file (F32 weights, config, vocabulary, action names as metadata). */
mosa_status meval_save(const meval_model *m, const char *path);
/* Loads an evaluator file; every problem (not an evaluator, other actions, missing or
 * mis-shaped tensors) is a clear error that says what to do. */
mosa_status meval_load(meval_model *m, const char *path);

/* ---- differentiable forward (training) ---- */

/* A batch of B motions, padded to L frames: x (B,L,263) already normalised and zero past each
 * length, lens[B] in 1..L (L <= max_frames). Returns the unit embeddings (B,dim); *logits (if
 * not NULL) gets the action logits (B,n_actions). */
tensor *meval_motion_forward(ctx *c, const meval_model *m, const float *x, const int *lens, int B, int L,
                             tensor **logits);
/* ids (B, cfg.text.max_len) -> unit embeddings (B,dim). */
tensor *meval_text_forward(ctx *c, const meval_model *m, const int32_t *ids, int B);
/* Symmetric InfoNCE: mean of CE(S, diag) over rows and over columns, S = me te^T / temperature. */
tensor *meval_infonce(ctx *c, tensor *me, tensor *te, float temperature);

/* ---- inference (no grad, batched, deterministic) ---- */

/* Raw (unnormalised) features feats[i] (lens[i],263) -> emb (n,dim). Sequences longer than
 * max_frames use their first max_frames rows; logits (n,n_actions) may be NULL. */
mosa_status meval_embed_motions(const meval_model *m, const float *const *feats, const int *lens, int n, float *emb,
                                float *logits);
/* Texts -> emb (n,dim). Unknown words go through the tokenizer's WordNet mapping (log may be NULL). */
mosa_status meval_embed_texts(const meval_model *m, const char *const *texts, int n, float *emb, text_map_log log,
                              void *user);
/* The argmax action of each row of logits (n, n_actions). */
void meval_argmax(int *out, const float *logits, int n, int n_actions);

/* ---- metrics on embeddings ---- */

/* Fréchet distance between Gaussians fitted to a (na,d) and b (nb,d) (sample covariances, ddof 1):
 * |mu_a - mu_b|^2 + tr(Sa + Sb - 2 (Sa Sb)^(1/2)); na, nb >= 2. Returns -1 with the error set on
 * bad arguments. */
double meval_fid(const float *a, int na, const float *b, int nb, int d);
/* The same from means and covariances (double, d x d, symmetric PSD). */
double meval_frechet(const double *mu1, const double *s1, const double *mu2, const double *s2, int d);
/* Eigen-decomposition of a symmetric d x d matrix by cyclic Jacobi rotations: eigenvalues in
 * w (d), eigenvectors as the columns of v (d x d, may be NULL). a is not modified. */
mosa_status meval_sym_eig(const double *a, int d, double *w, double *v);

/* R-precision as HumanML3D reports it: the items are cut into consecutive pools of 32 (a last
 * incomplete pool is dropped); in each pool every motion ranks the 32 texts by Euclidean distance
 * and counts a hit at k when its own text is among the k nearest (ties count against it).
 * top[k-1] gets the hit rate at k = 1..3; mm_dist the mean distance of matched pairs over the
 * same items. Returns the number of items used (0 if n < 32). */
int meval_r_precision(const float *memb, const float *temb, int n, int d, double top[MEVAL_TOPK], double *mm_dist);
/* Mean Euclidean distance of min(pairs, n) random pairs (two draws without replacement, as the
 * HumanML3D code does), seeded. */
double meval_diversity(const float *emb, int n, int d, int pairs, uint64_t seed);

/* A text-to-motion generator: writes (T,22,3) joints at 20 fps (mosa_malloc'd) for a prompt,
 * `seconds` long (0 = its own choice), deterministic for the seed. */
typedef mosa_status (*meval_generator)(void *user, const char *prompt, float seconds, uint64_t seed, float **joints,
                                       int *T);
/* Optional progress report: `done` of `total` units of the named stage. */
typedef void (*meval_progress)(void *user, const char *stage, int done, int total);
/* Called once per prompt of an action check, after its motions are classified: the check
 * (MEVAL_CHECK_*), the action the prompt was written for, the prompt as given to the generator's
 * caller, and the action the evaluator named for each of its `samples` motions. */
typedef void (*meval_prompt_report)(void *user, int check, int action, const char *prompt, const int *pred,
                                    int samples);

/* ---- physical checks on (T,22,3) joints at 20 fps ---- */
typedef struct meval_physics {
    double bone_var;    /* mean over the 21 bones of the variance of its length over frames, m^2 */
    double skate;       /* foot skating: motion_metrics_compute's mean foot speed in contact, m/s */
    double penetration; /* mean over frames of max(0, -lowest joint height), m */
    double jerk;        /* mean |d^3 x / dt^3| over joints and frames, m/s^3 */
} meval_physics;
void meval_physics_compute(meval_physics *p, const float *joints, int T);

/* ---- the whole evaluation (what `mosa motion eval` prints) ---- */
typedef struct meval_run_options {
    int n;               /* test items drawn (default 256) */
    uint64_t seed;       /* test draw, caption choice and generation seeds */
    int real;            /* evaluate real test motions instead of generated ones ("Real" row) */
    int actions;         /* also action accuracy */
    int action_samples;  /* motions per prompt (default 1) */
    meval_generator gen; /* needed unless real */
    void *gen_user;
    /* for the action prompts, when set (else gen): the CLI reads them as a user's prompts,
     * through the motion-prompt extraction, while test captions go to gen as written */
    meval_generator action_gen;
    void *action_gen_user;
    meval_progress progress;
    void *progress_user;
    meval_prompt_report prompt_report; /* optional: every action prompt's outcome */
    void *prompt_report_user;
} meval_run_options;
meval_run_options meval_run_options_default(void);

/* One action-accuracy check: motions classified by the evaluator against the action they were
 * made for. */
typedef struct meval_action_score {
    int n;                  /* classified motions (0 = not measured) */
    double acc;
    double per_action[256]; /* -1 = nothing of that action */
    int confusion_top[256]; /* most frequent wrong prediction per action (generated mode), -1 = none */
} meval_action_score;

/* The action checks of a report. Generated mode: the hand-written prompts (action_prompts.h,
 * through o->action_gen when set); MEVAL_CHECK_CAPTIONS test-split captions per action
 * in each action's held-out phrasing, given to gen as written (the text side's generalisation
 * to new wording, on the corpus's own held-out split); as many training-split captions (the
 * phrasings the generator was trained on: the ceiling that the other two are read against).
 * Real mode: only MEVAL_CHECK_PROMPTS, holding the classifier's accuracy on real test motions. */
enum { MEVAL_CHECK_PROMPTS, MEVAL_CHECK_HELDOUT, MEVAL_CHECK_TRAINING, MEVAL_CHECKS };
#define MEVAL_CHECK_CAPTIONS 3

typedef struct meval_report {
    int n;               /* motions evaluated */
    int rprec_used;      /* of them in full pools of 32 */
    int real;
    double fid;          /* evaluated motions vs the real test motions */
    double top[MEVAL_TOPK];
    double mm_dist;
    double diversity;    /* of the evaluated motions */
    double diversity_real; /* of the real reference motions */
    meval_physics phys;  /* means over the evaluated motions */
    meval_action_score action[MEVAL_CHECKS];
} meval_report;

/* Draws n test-split items (the real reference). Generated mode: one motion per item from one
 * of its captions, as long as the real one; real mode: a second, disjoint test draw stands for
 * the "generated" set (so FID is real vs real). Then FID, R-precision, MM-Dist, diversity,
 * physical checks and (if asked) action accuracy: generated mode classifies the motions of
 * action_prompts.h's prompts and of held-out- and training-phrasing captions; real mode
 * classifies the single-action items of the second draw. */
mosa_status meval_run(meval_report *r, const meval_model *ev, const meval_run_options *o);

#endif /* MOSA_EVAL_MOTION_EVAL_H */
