/* cleanup.h: making a generated (T,22,3) motion physically tidier: constant bone lengths and
 * no foot skating while a foot is planted.
 *
 * What this is: the post-processing the structure branch applies to joints decoded from motion
 * tokens (t2m.h), after recover_from_ric. Decoded joints come from the RIC features, which do
 * not enforce a skeleton, so bones stretch a little from frame to frame and planted feet drift.
 *
 *  1. Bone lengths: every bone gets one length for the whole clip, the median of its lengths
 *     over the frames; then, from the pelvis outwards (SMPL-22 parents), each child is put back
 *     at parent + median length x its own frame's bone direction. Directions are kept, so the
 *     pose is the same; only lengths change.
 *  2. Foot skating: a foot (ankle 7/8 with its toe 10/11) is in contact in a frame when its toe
 *     or ankle is low (below contact_height above the clip's floor, the lowest toe/ankle height)
 *     and its horizontal speed is below contact_speed, both over +-2 frames. Over each contact span the foot's
 *     horizontal position is pinned to its average over the span; the correction (pinned - actual)
 *     is applied to the leg by moving the hip..foot chain: the ankle and toe move by the full
 *     correction, the knee by half of it, the hip not at all, and the bone lengths of thigh and
 *     shin are then restored by a two-bone IK step (knee re-placed on the circle that keeps both
 *     lengths, bending the same way as before). At the span's ends the correction fades in and
 *     out over `blend` frames (smoothstep), so no joint jumps. Root shifting is not used: it
 *     would move the other foot.
 *  3. Floor: the whole clip is shifted vertically so that its lowest ankle/toe is at y = 0
 *     (HumanML3D puts every motion on the floor the same way), removing ground penetration and
 *     floating that the decoded root height leaves.
 *
 * What this is not: a physics simulation or a full-body IK solver; hands are not pinned.
 * Library only: never prints. */
#ifndef MOSA_MOTION_CLEANUP_H
#define MOSA_MOTION_CLEANUP_H

#include "../base/base.h"

typedef struct motion_cleanup_opts {
    int fix_bones;        /* default 1 */
    int fix_skate;        /* default 1 */
    float contact_height; /* metres above the clip's floor, default 0.05 (MOTION_CONTACT_HEIGHT) */
    float contact_speed;  /* horizontal metres per second, default 1 */
    int min_span;         /* contact spans shorter than this (frames) are left alone, default 3 */
    int blend;            /* frames over which a correction fades in/out, default 4 */
    int fix_floor;        /* default 1: shift the clip vertically so its lowest foot joint is at y = 0 */
} motion_cleanup_opts;

motion_cleanup_opts motion_cleanup_opts_default(void);

typedef struct motion_cleanup_report {
    float bone_std_before, bone_std_after; /* largest per-bone std of length over frames, metres */
    float skate_before, skate_after;       /* mean horizontal foot speed over contact frames, m/s */
    int contact_spans;                     /* spans pinned (both feet) */
    float max_correction;                  /* largest horizontal move of a foot joint, metres */
} motion_cleanup_report;

/* Cleans joints (T,22,3) in place. report may be NULL. Fails on T < 1 or a non-finite value. */
mosa_status motion_cleanup(float *joints, int T, const motion_cleanup_opts *o, motion_cleanup_report *report);

/* Largest per-bone standard deviation of the bone length over the frames (metres). */
float motion_bone_length_std(const float *joints, int T);
/* Mean horizontal speed (m/s at 20 fps) of the foot joints 7,8,10,11 over frame pairs where the
 * joint is within contact_height of the clip's floor in both frames; *pairs gets their number. */
float motion_foot_skate(const float *joints, int T, float contact_height, int *pairs);

#endif /* MOSA_MOTION_CLEANUP_H */
