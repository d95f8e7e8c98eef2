/* track.h: sparse point tracking between grayscale frames by pyramidal Lucas-Kanade (Bouguet's
 * formulation) with a forward-backward consistency check, and a helper that follows points
 * through a whole clip frame to frame.
 *
 * It is not dense flow (flow.h) and not a learned tracker (CoTracker and friends): points on
 * flat regions, points that leave the frame and points whose forward and backward tracks
 * disagree are reported lost rather than guessed. Frames are (H,W) gray floats in [0,1]; a point
 * is (x,y) in pixels with pixel centres at integer coordinates. */
#ifndef MOSA_DATA_TRACK_H
#define MOSA_DATA_TRACK_H

#include "base/base.h"

#include <stdint.h>

enum { TRACK_MAX_WIN = 31, TRACK_MAX_LEVELS = 6 };

typedef struct track_opts {
    int win;            /* window side in pixels, odd, 3..TRACK_MAX_WIN (default 21) */
    int levels;         /* pyramid levels, finest included, 1..TRACK_MAX_LEVELS (default 3) */
    int max_iters;      /* Lucas-Kanade iterations per level (default 20) */
    float stop_eps;     /* stop iterating when the update is below this many pixels (default 0.01) */
    float fb_thresh;    /* forward-backward error above which a point is lost, pixels (default 1);
                           <= 0 disables the backward pass */
    float min_eig;      /* smallest eigenvalue of the window's gradient matrix divided by the
                           window area, below which the window is too flat to track
                           (default 1e-6 for [0,1] intensities) */
    float max_residual; /* mean |I - J| over the window after convergence above which the match is
                           rejected, in intensity units (default 0.1); <= 0 disables it */
} track_opts;

track_opts track_opts_default(void);

/* Tracks N points from g0 to g1 (both (H,W)): pts_out is (N,2), valid is (N) with 1 for a point
 * that was tracked, stays inside the frame and passes the forward-backward, flatness and
 * residual checks, 0 otherwise (pts_out then holds the best estimate, or the input point when
 * tracking failed outright). pts_in is (N,2). o may be NULL for the defaults. Fails with
 * MOSA_ERR_ARG on bad sizes or options, MOSA_ERR_NOMEM if the pyramids cannot be allocated. */
mosa_status track_points(float *pts_out, uint8_t *valid, const float *g0, const float *g1, const float *pts_in,
                         int N, int W, int H, const track_opts *o);

/* Follows N points through T frames ((T,H,W) gray): tracks is (T,N,2), visible is (T,N). Frame 0
 * holds pts0 (visible when inside the frame); each later frame tracks the points still visible
 * in the previous one. A point once lost stays lost: its visible entries are 0 from then on and
 * its position repeats the last tracked one. Builds each frame's pyramid once. */
mosa_status track_sequence(float *tracks, uint8_t *visible, const float *frames, int T, int W, int H,
                           const float *pts0, int N, const track_opts *o);

#endif /* MOSA_DATA_TRACK_H */
