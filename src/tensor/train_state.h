/* train_state.h: saving and resuming a training run, bit-exactly and atomically.
 *
 * A training state is one safetensors file (F32, so every float round-trips bit for bit):
 *   "param.<name>"  every parameter,           "adam_m.<name>", "adam_v.<name>"  AdamW moments,
 *   "ema.<name>"    EMA weights (if any),
 * and metadata: "mosa.format" = "train_state/1", "step" (AdamW updates), "data_position" (the
 * loader's position, opaque to this file), and "rng.<label>" for each generator (its full
 * mt19937 state and cached normal, hex). The file is written through st_write: temporary file,
 * fsync, rename, directory fsync, so a crash leaves either the previous checkpoint or the new one.
 * Resuming restores all of it; continuing then gives the same bytes as never stopping. */
#ifndef MOSA_TRAIN_STATE_H
#define MOSA_TRAIN_STATE_H

#include <stdio.h>

#include "optim.h"
#include "safetensors.h"

typedef struct train_state_rng {
    const char *label;   /* "data", "dropout", "noise", ... */
    mosa_rng *rng;
} train_state_rng;

/* Saves parameters, optimizer moments and step, EMA (ema may be NULL), RNG states and the data
 * position to `path`. */
mosa_status train_state_save(const char *path, const param_store *ps, const adamw *opt, const ema *e,
                             const train_state_rng *rngs, int n_rngs, int64_t data_position);

/* Restores everything saved by train_state_save into an already-built model of the same shape
 * (ps finalized, opt and e initialised). Any missing or mismatched piece is an error that names
 * it, and then nothing is modified. */
mosa_status train_state_load(const char *path, param_store *ps, adamw *opt, ema *e, const train_state_rng *rngs,
                             int n_rngs, int64_t *data_position);

/* Run-directory logs (train.tsv, eval.tsv): tab-separated lines whose first field is a step.
 * train_log_truncate keeps the header and the lines of steps <= step (a resumed run drops what
 * was logged after its checkpoint; a missing file is fine); written atomically. train_log_open
 * opens for appending when `append` and the file exists, else creates it with `header`. */
mosa_status train_log_truncate(const char *path, int64_t step);
FILE *train_log_open(const char *path, const char *header, int append);

#endif
