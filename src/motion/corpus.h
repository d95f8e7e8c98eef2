/* corpus.h: text-motion pairs for training and evaluating the structure branch.
 *
 * Items are HumanML3D 263-d feature sequences at 20 fps (hml_features_from_joints of the
 * canonicalized joints) with motion-only captions. Two sources, one type:
 *   - the procedural library (library.h + captions.h): single actions and sequences of 2-3
 *     actions with random parameters, drawn by a seeded RNG, so (options, seed) -> same corpus;
 *   - a HumanML3D directory (new_joint_vecs/, texts/, <split>.txt), when a user has one.
 * Splits: MOTION_SPLIT_TRAIN and MOTION_SPLIT_TEST draw different motions (different seeds) AND
 * different caption phrasings: for every action one of its verb phrasings is held out of
 * training and used only by the test split (captions.h, motion_caption_motion_split), so test
 * captions are phrased differently from anything trained on.
 * Normalisation: mean/std over the training items (hml_mean_std, with HumanML3D's feature bias),
 * stored with every model that consumes normalised features. */
#ifndef MOSA_MOTION_CORPUS_H
#define MOSA_MOTION_CORPUS_H

#include "../base/base.h"

#define MOTION_FEAT 263
#define MOTION_FPS 20
#define MOTION_CORPUS_CAPTIONS 3 /* captions per item */

enum { MOTION_SPLIT_TRAIN = 0, MOTION_SPLIT_TEST = 1 };

typedef struct motion_item {
    float *feat;      /* (T, 263) raw (unnormalised) features, mosa_malloc'd */
    int T;            /* feature rows (joints had T+1 frames) */
    int action;       /* the action of a single-action item; -1 for sequences and HumanML3D */
    int ncap;         /* 1..MOTION_CORPUS_CAPTIONS */
    char *caption[MOTION_CORPUS_CAPTIONS]; /* mosa_malloc'd, lower case, one sentence */
} motion_item;

typedef struct motion_corpus {
    motion_item *items;
    int n;
} motion_corpus;

typedef struct motion_corpus_options {
    int n;                 /* items to draw */
    uint64_t seed;
    int split;             /* MOTION_SPLIT_TRAIN | MOTION_SPLIT_TEST */
    float min_seconds;     /* clip length range, default 2.0 .. 9.8 (HumanML3D's 196 frames) */
    float max_seconds;
    float sequence_share;  /* fraction of items that are 2-3 action sequences, default 0.3 */
} motion_corpus_options;

motion_corpus_options motion_corpus_options_default(int n, uint64_t seed, int split);
/* Draws opts->n items from the procedural library. Deterministic for (opts); uses threads. */
mosa_status motion_corpus_procedural(motion_corpus *c, const motion_corpus_options *opts);
/* Loads a HumanML3D directory's split ("train", "val", "test"): motions shorter than 40 frames
 * or longer than 196 are skipped as HumanML3D's loaders do; bad files are named in the error. */
mosa_status motion_corpus_humanml3d(motion_corpus *c, const char *root, const char *split);
void motion_corpus_free(motion_corpus *c);

/* mean/std of the items' features (std with HumanML3D's feature bias, never 0). */
mosa_status motion_corpus_mean_std(const motion_corpus *c, float mean[MOTION_FEAT], float std[MOTION_FEAT]);

#endif /* MOSA_MOTION_CORPUS_H */
