/* curate.h: the data-curation filters of MoSA's MoVid dataset (paper App. C) and the dataset
 * statistics of its Table 8.
 *
 * Filters, each a score plus a keep/drop decision with a reason, in the order they are checked:
 *   1. imaging quality   (VBench "Imaging Quality" stand-in): sharpness = variance of the
 *                        Laplacian, contrast = std of gray, clipped-pixel fraction;
 *   2. dynamic degree    (VBench "Dynamic Degree"): mean flow magnitude of the fastest pixels;
 *   3. motion smoothness (VBench "Motion Smoothness" stand-in): mean norm of the second temporal
 *                        difference of the 2D keypoints over the mean norm of the first;
 *   4. keypoint offset   ("average offset of each keypoint across the video"): mean per-frame
 *                        displacement of the confident OpenPose-18 keypoints;
 *   5. whole-body motion ("videos containing only simple motions, such as isolated facial or
 *                        upper-body movements, are excluded"): lower-body keypoints must be
 *                        visible and move a fair fraction of what the upper body moves.
 * Statistics: clips, resolutions, action types (distinct caption verb phrases), action complexity
 * (mean flow magnitude inside the human masks), captions present.
 *
 * It is not an annotator: keypoints, masks and captions come from elsewhere (data/ annotation or
 * the synthetic generator). Pixel thresholds are in pixels of the frames given. */
#ifndef MOSA_DATA_CURATE_H
#define MOSA_DATA_CURATE_H

#include "base/base.h"
#include "base/image.h"
#include "data/flow.h"

#include <stdbool.h>
#include <stdint.h>

/* ------------------------------------------------------------------------------------------ */
/* Filters                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct curate_opts {
    /* imaging quality, on gray in [0,1], averaged over frames */
    float sharpness_min;     /* variance of the 4-neighbour Laplacian (default 2e-4) */
    float contrast_min;      /* standard deviation of gray (default 0.04) */
    float clipped_max;       /* fraction of pixels <= 2/255 or >= 253/255 (default 0.25) */
    /* dynamic degree */
    float dynamic_min;       /* px/frame (default 0.3) */
    float dynamic_top_frac;  /* per frame pair, the mean over this fraction of pixels with the
                                largest flow (VBench-style, so a small moving person counts);
                                1 = plain mean (default 0.05) */
    int flow_max_side;       /* frames are box-downsampled by an integer factor until the longer
                                side is at most this before flow; magnitudes are scaled back
                                (default 256) */
    flow_opts flow;          /* flow solver settings (default flow_opts_default()) */
    /* keypoints */
    float conf_min;          /* a keypoint counts when its confidence is >= this (default 0.3) */
    float smooth_max;        /* largest mean |2nd difference| / mean |1st difference| (default 0.8;
                                white jitter gives about 1.7, smooth motion well below 0.5) */
    float kp_offset_min;     /* smallest mean keypoint displacement, px/frame (default 0.5) */
    bool require_full_body;  /* apply filter 5 (default true) */
    float lower_visible_min; /* fraction of frames with >= 4 of the 6 leg keypoints confident
                                (default 0.5) */
    float lower_upper_min;   /* smallest (mean leg keypoint displacement) / (mean upper-body
                                keypoint displacement) when the upper body moves (default 0.15) */
} curate_opts;

curate_opts curate_opts_default(void);

/* One clip. Any of frames, kp (with conf) and masks may be NULL: the filters needing them are
 * then skipped (their scores are NAN and they pass). */
typedef struct curate_input {
    int T, W, H;
    const image *frames;  /* T RGB8 images, each W x H */
    const float *kp;      /* (T,18,2) OpenPose-18 keypoints in pixels */
    const float *conf;    /* (T,18) confidences in [0,1]; required with kp */
    const uint8_t *masks; /* (T,H,W) human masks, non-zero = person */
} curate_input;

enum curate_filter {
    CURATE_QUALITY = 1 << 0,
    CURATE_DYNAMIC = 1 << 1,
    CURATE_SMOOTH = 1 << 2,
    CURATE_KP_OFFSET = 1 << 3,
    CURATE_WHOLE_BODY = 1 << 4,
};

typedef struct curate_result {
    float sharpness, contrast, clipped; /* filter 1 */
    float dynamic_degree;               /* filter 2, px/frame */
    float flow_in_mask;                 /* mean flow magnitude inside the masks, px/frame: the
                                           Table 8 action complexity (NAN without masks) */
    float smooth_ratio;                 /* filter 3 */
    float kp_offset;                    /* filter 4, px/frame */
    float lower_visible;                /* filter 5: fraction of frames with the legs visible */
    float lower_upper_ratio;            /* filter 5: leg / upper-body keypoint motion */
    unsigned failed;                    /* curate_filter bits of every failing filter */
    bool keep;
    char reason[192];                   /* the first failing filter, e.g. "dynamic degree 0.12
                                           px/frame below 0.30"; empty when kept */
} curate_result;

/* Runs all filters on one clip and fills r. Fails (MOSA_ERR_ARG) on inconsistent input (sizes,
 * frames of the wrong size, kp without conf) or bad options, MOSA_ERR_NOMEM if the flow
 * buffers cannot be allocated; a dropped clip is not an error. */
mosa_status curate_clip(curate_result *r, const curate_input *in, const curate_opts *o);

/* ------------------------------------------------------------------------------------------ */
/* Table 8 statistics                                                                          */
/* ------------------------------------------------------------------------------------------ */

enum { CURATE_MAX_RES = 8 };

/* What the statistics need of one clip. */
typedef struct curate_clip_info {
    int W, H;
    const char *caption;      /* NULL or empty = no caption */
    float action_complexity;  /* mean flow magnitude inside the human masks (curate_result's
                                 flow_in_mask); NAN or negative = unknown, not averaged */
} curate_clip_info;

typedef struct curate_stats {
    long clips, captioned, complexity_n;
    double complexity_sum;
    int n_res;
    int res_w[CURATE_MAX_RES], res_h[CURATE_MAX_RES];
    long res_count[CURATE_MAX_RES];
    long res_other;           /* clips whose resolution did not fit in the table */
    char **phrases;           /* open-addressing set of distinct verb phrases */
    size_t phrase_cap, phrase_n;
} curate_stats;

typedef struct curate_summary {
    long clips;
    int n_res;                /* distinct resolutions, most frequent first */
    int res_w[CURATE_MAX_RES], res_h[CURATE_MAX_RES];
    long res_count[CURATE_MAX_RES];
    long res_other;
    long action_types;        /* distinct verb phrases */
    float action_complexity;  /* mean over clips with a known value; NAN if none */
    long captions;            /* clips with a caption */
    float caption_frac;
} curate_summary;

void curate_stats_init(curate_stats *s);
void curate_stats_free(curate_stats *s);
/* Adds one clip. Fails with MOSA_ERR_ARG on a bad resolution, MOSA_ERR_NOMEM if the phrase set
 * cannot grow (the clip is then not counted). */
mosa_status curate_stats_add(curate_stats *s, const curate_clip_info *c);
void curate_stats_finish(curate_summary *out, const curate_stats *s);

/* The verb phrase of a caption, the unit of "action types". Rule: lower-case the caption and
 * split it into words (letters, digits, ' and -) and clause breaks (, ; . ! ? :). The subject is
 * the first word from a fixed list of person nouns and pronouns (person, man, woman, boy, girl,
 * child, kid, people, dancer, athlete, player, he, she, they, someone, ...); the phrase starts
 * after it (at the first word when there is none), skipping auxiliaries (is, are, was, were, be,
 * being, been), and runs up to the first clause break or conjunction "and", "then", "while";
 * articles (a, an, the) are dropped and at most 8 words are kept. "A person walks forward and
 * then jumps." gives "walks forward"; "The woman is waving her hand, smiling" gives "waving her
 * hand". A modifier between subject and verb stays in ("a man in red walks" gives "in red
 * walks"). Writes the phrase (NUL-terminated, truncated to cap-1 bytes) and returns its length
 * (0 when the caption has none). */
size_t curate_verb_phrase(char *out, size_t cap, const char *caption);

#endif /* MOSA_DATA_CURATE_H */
