/* draw.h: OpenPose-18 skeleton images, drawn as ControlNet's and DWPose's draw_bodypose does.
 *
 * What this is: the skeleton frames that condition the video generator (MoSA's structure
 * guidance s, Sec. 3.1), in the look every OpenPose ControlNet and DWPose-trained model knows
 * (CONVENTIONS 3.3): a black canvas; the 17 limbs of the limb table, each a filled ellipse
 * polygon (OpenCV ellipse2Poly at 1-degree steps: centre, half-length and angle truncated to
 * integers as int() does, half-width stickwidth 4, vertices rounded) in its colour x 0.6 (255 ->
 * 153, 170 -> 102, 85 -> 51); then the 18 joints as filled circles of radius 4 in the full
 * colour of their index; limbs of all persons first (limb-major, persons inner), then joints
 * (joint-major, persons inner), each shape painted over what is there. A keypoint is missing
 * when its confidence is not above the threshold (0.3, as DWPose keeps score > 0.3); a limb
 * with a missing endpoint is not drawn.
 * Options: MimicMotion's confidence-aware colours (limb colour x conf_a x conf_b, skipped when
 * either is below 0.3; joint colour x its confidence) and its BGR->RGB swap; the xinsir SDXL
 * stick scaling; half-body (keypoints dropped, e.g. legs: MoSA App. G); several persons; whole
 * videos in parallel over frames.
 * Anti-aliasing: coverage by supersampling, ss x ss samples per pixel (ss = 4 by default) on a
 * regular grid; a pixel becomes old + (colour - old) * covered/ss^2, rounded. Fully covered
 * pixels (every limb's interior, every joint's centre) get the exact colour. The shape whose
 * coverage is taken is, for a limb, its ellipse polygon grown by half a pixel (Minkowski sum
 * with the pixel square: the area of the pixels cv2 fills, boundary pixels included), and for
 * a joint the disc of the radius; so the anti-aliased skeleton carries the same ink as the
 * hard one (within 3% on a full figure) and does not look thinner. With ss = 1 the pixel centre
 * decides, boundaries included, as OpenCV's non-anti-aliased fill does (same polygon; edge
 * pixels may differ from cv2.fillConvexPoly by one pixel, radius-4 circles match cv2.circle).
 * What this is not: hands or face drawing (the body only), or a general 2D graphics library.
 *
 * Keypoints are in pixels (x right, y down, pixel centres at integers, as camera.h); non-finite
 * coordinates or coordinates beyond +-1e6 count as missing. */
#ifndef MOSA_RENDER_DRAW_H
#define MOSA_RENDER_DRAW_H

#include "base/image.h"

enum { DRAW_N_LIMBS = 17 };

/* The 17 drawn limbs as 0-based OpenPose-18 index pairs (limbSeq minus 1), in drawing order. */
extern const int draw_limbs[DRAW_N_LIMBS][2];
/* The 18 OpenPose colours, RGB as written on the ControlNet canvas: limb i uses colour i (x0.6),
 * joint j uses colour j. */
extern const uint8_t draw_colors[18][3];

/* Keypoint masks for half-body drawing: bit j set = OpenPose-18 keypoint j is not drawn. */
#define DRAW_DROP_NONE 0u
#define DRAW_DROP_UPPER ((1u << 9) | (1u << 10) | (1u << 12) | (1u << 13)) /* knees and ankles */

typedef struct draw_opts {
    float threshold;   /* keypoints with confidence <= threshold are missing (0.3) */
    int stickwidth;    /* half-width of a limb ellipse in pixels (4) */
    int stick_scale;   /* 1: multiply stickwidth by the xinsir rule for large canvases: x1 when
                        * max(W,H) < 500, else min(2 + max(W,H)/1000, 7); 0: keep it (0) */
    int radius;        /* joint circle radius in pixels (4) */
    int supersample;   /* ss: ss x ss coverage samples per pixel, 1..8; 1 = hard edges (4) */
    int conf_aware;    /* 1: MimicMotion colours: limb floor(floor(c * ca * cb) * 0.6), skipped
                        * if ca or cb < threshold (so exactly 0.3 is drawn there); joint
                        * floor(c * conf), drawn if conf > threshold as always; confidences
                        * are clamped to [0,1] for the colours (0) */
    int swap_rb;       /* 1: swap red and blue in every colour (MimicMotion's BGR->RGB) (0) */
    uint32_t drop;     /* keypoints never drawn, DRAW_DROP_* or a mask of 1u << j (0) */
} draw_opts;

draw_opts draw_opts_default(void);

/* Checks option ranges (supersample 1..8, stickwidth 1..256, radius 0..256, threshold finite). */
mosa_status draw_opts_check(const draw_opts *o);

/* Parses a half-body spec into a drop mask: "none", "upper" (drop knees and ankles), "lower"
 * (keep only the hips and legs), or a comma-separated list of OpenPose-18 keypoint names
 * (op18_names, e.g. "right_knee,left_ankle") or indices 0..17 to drop. Errors name the bad item. */
mosa_status draw_drop_parse(const char *s, uint32_t *drop);

/* The stick half-width actually used for a W x H canvas under `o` (xinsir rule applied). */
int draw_stickwidth(const draw_opts *o, int W, int H);

/* Clears *im to black and draws P people: kp2 (P,18,2) pixels, conf (P,18) or NULL (all 1). */
mosa_status draw_skeleton(image *im, const float *kp2, const float *conf, int P, const draw_opts *o);

/* Draws a whole clip: frames[0..T) each become a W x H skeleton frame of the P people in kp2
 * (P,T,18,2) and conf (P,T,18) (NULL: all 1). A frame with rgb == NULL is allocated here (free
 * it with image_free); an allocated frame must already be W x H and is reused. Frames are drawn
 * in parallel. On failure the frames allocated by this call are freed again. */
mosa_status draw_skeleton_video(image *frames, int T, int W, int H, const float *kp2, const float *conf, int P,
                                const draw_opts *o);

#endif /* MOSA_RENDER_DRAW_H */
