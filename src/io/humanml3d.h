/* humanml3d.h: reading and writing HumanML3D-layout dataset directories (CONVENTIONS 1.4, 3.1).
 *
 * What this is: the on-disk layout HumanML3D, T2M-GPT and MoMask share:
 *   ROOT/new_joints/ID.npy       (T,22,3) float joint positions, Y up, metres, 20 fps
 *   ROOT/new_joint_vecs/ID.npy   (T,263) features (as many rows as new_joints in the release)
 *   ROOT/texts/ID.txt            one caption a line: `caption#word/POS word/POS ...#start#end`
 *                                (start/end in seconds; 0.0#0.0 = the whole clip; `nan` read as 0)
 *   ROOT/Mean.npy, ROOT/Std.npy  (263,) feature normalisation
 *   ROOT/train.txt val.txt test.txt train_val.txt all.txt   split lists, one ID a line
 * with validating readers that never crash and name the file and line of every problem, a
 * directory reader that lists the IDs of a split and loads each on demand (skipping bad ones
 * with a list of warnings, or refusing, as the caller chooses), and atomic writers.
 * What this is not: the 263-d feature computation (motion/features) or a data loader with
 * batching, cropping and augmentation (data/).
 *
 * The POS tags written with new captions come from a small built-in lexicon plus suffix and
 * neighbour rules (hml_pos_tag). They are APPROXIMATE: close to what spaCy gives for the short
 * motion descriptions HumanML3D holds, not equal to it. Tokens are what T2M's process_text keeps:
 * letters only, '-' removed, lower case, nouns and verbs lemmatised (except "left"). */
#ifndef MOSA_IO_HUMANML3D_H
#define MOSA_IO_HUMANML3D_H

#include "../base/base.h"

enum {
    HML_MAX_ID = 64,            /* bytes of an ID, NUL included: [A-Za-z0-9_-], 1..63 characters */
    HML_MAX_FRAMES = 100000,    /* frames of one clip (HumanML3D: at most 200 after 20 fps) */
    HML_MAX_CAPTIONS = 1000,    /* caption lines in one texts/ID.txt */
    HML_MAX_LINE = 8192,        /* bytes of one caption line */
    HML_MAX_IDS = 10000000,     /* IDs in one split list */
    HML_MAX_PROBLEMS = 1000,    /* warnings kept by a directory reader (all are counted) */
};

typedef struct hml_text {
    char *caption;      /* the sentence as written */
    char *tokens;       /* "word/POS word/POS ..." */
    float start, end;   /* seconds; 0, 0 = the whole clip */
} hml_text;

/* One motion. Any array may be absent (NULL, 0 frames) depending on what was loaded. */
typedef struct hml_motion {
    char id[HML_MAX_ID];
    int T;              /* frames of joints */
    float *joints;      /* (T,22,3) */
    int T_vecs;         /* rows of vecs */
    float *vecs;        /* (T_vecs,263) */
    int n_texts;
    hml_text *texts;    /* n_texts captions */
} hml_motion;

void hml_motion_free(hml_motion *m);

/* What a directory reader loads for each ID. */
enum { HML_JOINTS = 1, HML_VECS = 2, HML_TEXTS = 4 };
/* What a directory reader does with an ID whose files are missing or corrupt. */
typedef enum hml_policy { HML_REFUSE, HML_SKIP } hml_policy;

/* ------------------------------------------------------------------------------------------ */
/* Single files                                                                                */
/* ------------------------------------------------------------------------------------------ */

/* Reads new_joints-style (T,22,3) data (any float/int dtype .npy, converted to float32);
 * 1 <= T <= HML_MAX_FRAMES, every value finite. *joints: new array, mosa_free it. */
mosa_status hml_joints_read(const char *path, float **joints, int *T);
/* Reads (T,263) features; 1 <= T <= HML_MAX_FRAMES, every value finite. */
mosa_status hml_vecs_read(const char *path, float **vecs, int *T);
/* Reads Mean.npy and Std.npy of ROOT into mean[263], std[263] (finite; std > 0). */
mosa_status hml_stats_read(const char *root, float mean[263], float std[263]);

/* Parses the text of a texts/ID.txt file (`name` is used in messages). Blank lines are skipped;
 * every other line must have exactly four '#'-separated fields, valid UTF-8, no control
 * characters, and start/end non-negative decimal numbers (or nan, read as 0). *texts: new
 * array, free with hml_texts_free. */
mosa_status hml_texts_parse(const char *name, const uint8_t *buf, size_t len, hml_text **texts, int *n);
mosa_status hml_texts_read(const char *path, hml_text **texts, int *n);
void hml_texts_free(hml_text *texts, int n);

/* Parses a split list: one ID a line, surrounding whitespace and blank lines ignored, every ID
 * valid (see HML_MAX_ID) and listed once. *ids: new array of new strings, free with
 * hml_ids_free. */
mosa_status hml_split_parse(const char *name, const uint8_t *buf, size_t len, char ***ids, int *n);
mosa_status hml_split_read(const char *path, char ***ids, int *n);
void hml_ids_free(char **ids, int n);
/* Whether s is a valid ID (1..63 characters of [A-Za-z0-9_-]: never a path). */
int hml_id_valid(const char *s);

/* ------------------------------------------------------------------------------------------ */
/* Writers (all atomic; directories created as needed)                                         */
/* ------------------------------------------------------------------------------------------ */

/* Writes whatever m holds: new_joints/ID.npy, new_joint_vecs/ID.npy, texts/ID.txt. A caption
 * whose tokens are NULL gets tokens from hml_pos_tag. Captions must not contain '#' or line
 * breaks. */
mosa_status hml_motion_write(const char *root, const hml_motion *m);
mosa_status hml_texts_write(const char *path, const hml_text *texts, int n);
/* Writes ROOT/<name>.txt listing ids, one a line. */
mosa_status hml_split_write(const char *root, const char *name, char *const *ids, int n);
mosa_status hml_stats_write(const char *root, const float mean[263], const float std[263]);

/* Tokenises and tags a caption as HumanML3D's texts do ("a/DET man/NOUN kick/VERB ..."),
 * approximately (see the top of this file); words past the 256th and letters past the 63rd of a
 * word are dropped. Writes a NUL-terminated string into out (cap
 * bytes); fails with MOSA_ERR_ARG if it does not fit. */
mosa_status hml_pos_tag(const char *caption, char *out, size_t cap);

/* ------------------------------------------------------------------------------------------ */
/* Directory reader                                                                            */
/* ------------------------------------------------------------------------------------------ */

typedef struct hml_dir {
    char *root;
    unsigned what;          /* HML_JOINTS | HML_VECS | HML_TEXTS */
    hml_policy policy;
    int n_ids;
    char **ids;             /* the IDs of the split whose files exist (all of them under HML_REFUSE) */
    int n_problems;         /* problems seen (IDs skipped), all counted */
    int n_kept;             /* messages kept in problems[] (at most HML_MAX_PROBLEMS) */
    char **problems;        /* "new_joints/000123.npy: missing" style messages */
} hml_dir;

/* Opens ROOT for the split `split` ("train", "val", "test", "train_val", "all": the list
 * ROOT/<split>.txt) and checks that the files `what` asks for exist for every ID. A missing file
 * is skipped and recorded (HML_SKIP) or refused with a message naming up to ten of them
 * (HML_REFUSE). Nothing is loaded yet. */
mosa_status hml_dir_open(hml_dir *d, const char *root, const char *split, unsigned what, hml_policy policy);
/* Loads d->ids[i]; errors name the file. Leaves d unchanged. */
mosa_status hml_dir_load(const hml_dir *d, int i, hml_motion *m);
/* Loads the next loadable ID from *cursor (an index into d->ids, start at 0) into m and
 * advances *cursor past it; *got = 0 at the end. Under HML_SKIP a corrupt ID is recorded in
 * d->problems and skipped; under HML_REFUSE its error is returned. */
mosa_status hml_dir_next(hml_dir *d, int *cursor, hml_motion *m, int *got);
void hml_dir_close(hml_dir *d);

#endif /* MOSA_IO_HUMANML3D_H */
