/* dataset.h: the mosa-dataset/1 directory format (docs/dataset.md) and its training loader.
 *
 * A dataset is a directory of clips; each clip has a video, a skeleton video, human masks and a
 * caption (plus optional 3D joints, keypoints, depth, tracks, camera, contacts). The loader lists
 * and validates the clips, then yields fixed-size batches in a seeded shuffled order, cut to T
 * frames and resized to W x H, with the skeleton augmentation of the image-to-video variant.
 * Not here: writing clips (the synthetic generator and the annotator do it) and curation. */
#ifndef MOSA_DATASET_H
#define MOSA_DATASET_H

#include "base/base.h"

#define DATASET_FORMAT "mosa-dataset/1"
#define DATASET_MAX_CLIPS 10000000
#define DATASET_MAX_CAPTION 4096

typedef struct dataset_clip {
    char id[64];
    char *caption;          /* UTF-8 */
    char *motion_caption;   /* may be NULL */
    int frames, width, height, persons;
    double fps;
} dataset_clip;

typedef struct dataset {
    char *root;
    dataset_clip *clips;    /* the usable clips */
    int n;
    char *problems;         /* one line per clip that was skipped: "<id>: <file>: <what>" */
    int n_problems;
    uint32_t *order;        /* the current epoch's permutation */
    int64_t epoch, pos;     /* position: epoch and index into order */
    mosa_rng rng;           /* shuffling, windows, augmentation */
} dataset;

/* Lists the clips of `root` (the ids in `split` if given, e.g. "train.txt", else every
 * clips/<id>/meta.json) and validates each meta.json and the presence of video.mp4, skeleton.mp4
 * and masks.npy. Bad clips are recorded in d->problems and skipped, or, with `strict`, the call
 * fails naming the first one. Fails if no clip is usable. The order is shuffled with `seed`. */
mosa_status dataset_open(dataset *d, const char *root, const char *split, int strict, uint64_t seed);
void dataset_close(dataset *d);

typedef struct dataset_batch_opts {
    int B, T, W, H;         /* batch size, frames per clip, output size */
    int augment;            /* skeleton translate/scale augmentation (App. H) */
    float max_shift;        /* fraction of the frame, e.g. 0.1 */
    float scale_lo, scale_hi; /* e.g. 0.85, 1.15 */
} dataset_batch_opts;

typedef struct dataset_batch {
    int B, T, W, H;
    float *video;           /* (B,T,H,W,3) in [-1,1] */
    float *skeleton;        /* (B,T,H,W,3) in [-1,1] */
    uint8_t *mask;          /* (B,T,H,W): 0 background, p+1 person p */
    const char **caption;   /* B pointers into the dataset (valid until dataset_close) */
    const char **motion_caption;
    int *clip;              /* B clip indices */
} dataset_batch;

/* Fills the next B clips of the shuffled order (a new permutation each epoch). A clip that fails
 * to decode at this point (file changed or corrupt) is reported and the call fails. The batch
 * buffers are allocated on first use and reused; free them with dataset_batch_free. */
mosa_status dataset_next_batch(dataset *d, dataset_batch *b, const dataset_batch_opts *o);
void dataset_batch_free(dataset_batch *b);

#endif
