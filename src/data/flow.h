/* flow.h: dense optical flow between two grayscale frames, computed on the CPU with a classical
 * coarse-to-fine variational method (image pyramid, bicubic warping, Horn-Schunck smoothness with
 * a robust Charbonnier data term on the locally integrated motion tensor, i.e. combined
 * local-global flow, solved by SOR sweeps), plus the small helpers the curation filters need
 * (RGB to gray, mean flow magnitude, one pyramid step).
 *
 * It is not a learned flow network (the paper measures action complexity with SEA-RAFT; this is
 * the dependency-free stand-in) and it handles no occlusion reasoning: flow in regions that
 * disappear is whatever the smoothness term fills in. Sparse point tracking lives in track.h. */
#ifndef MOSA_DATA_FLOW_H
#define MOSA_DATA_FLOW_H

#include "base/base.h"
#include "base/image.h"

#include <stdint.h>

/* Solver settings. flow_opts_default gives values tuned for 128x128 frames with intensities in
 * [0,1] and motions up to about 8 px. */
typedef struct flow_opts {
    int levels;        /* pyramid levels, finest included (default 4); fewer if a level would get
                          smaller than min_size */
    int min_size;      /* smallest side of the coarsest level in pixels (default 12) */
    int warps;         /* warp + relinearise iterations per level (default 3) */
    int iters;         /* SOR sweeps per warp (default 10) */
    float alpha;       /* smoothness weight: the energy is sum psi(data^2) + alpha^2 |grad flow|^2
                          (default 0.08 for [0,1] intensities) */
    float eps;         /* Charbonnier epsilon: psi(s^2) = sqrt(s^2 + eps^2); smaller is more robust
                          to outliers but slower to converge (default 0.01) */
    float omega;       /* SOR relaxation factor in (0,2) (default 1.8) */
} flow_opts;

flow_opts flow_opts_default(void);

/* Converts an RGB8 image to gray floats in [0,1] (Rec. 601 luma): gray is (H,W). */
mosa_status flow_gray_from_rgb(float *gray, const image *im);

/* Dense forward flow from g0 to g1: flow is (H,W,2) with (dx,dy) per pixel, meaning the content
 * at (x,y) in g0 is at (x+dx, y+dy) in g1. g0 and g1 are (H,W) gray in [0,1]. o may be NULL for
 * the defaults. Fails with MOSA_ERR_ARG on bad sizes or options, MOSA_ERR_NOMEM if the
 * workspace (about 20 floats per pixel, allocated once per call) cannot be had. */
mosa_status flow_compute(float *flow, const float *g0, const float *g1, int W, int H, const flow_opts *o);

/* Mean flow magnitude sqrt(dx^2+dy^2) over the pixels where mask is non-zero (all pixels when
 * mask is NULL). mask is (H,W). Returns 0 when no pixel is selected. */
float flow_magnitude_mean(const float *flow, const uint8_t *mask, int W, int H);

/* One pyramid step, shared with track.c: blurs src (h,w) with the binomial kernel [1 4 6 4 1]/16
 * (clamped borders) and keeps every second sample, so dst is ((h+1)/2, (w+1)/2) and dst(x,y) is
 * centred on src(2x,2y). tmp is scratch of h*((w+1)/2) floats. */
void flow_image_downsample(float *dst, float *tmp, const float *src, int w, int h);

#endif /* MOSA_DATA_FLOW_H */
