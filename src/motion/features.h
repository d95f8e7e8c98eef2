/* features.h: HumanML3D's 263-d motion features, computed from and decoded back to joints.
 *
 * What this is: the per-frame feature vector of HumanML3D's motion_representation.ipynb
 * (process_file, feet_thre 0.002) and its inverse, recover_from_ric (the same notebook; also
 * T2M-GPT/MoMask utils/motion_process.py), reproduced convention for convention, quirks included,
 * so that features computed here can be fed to models trained on HumanML3D (with its Mean/Std)
 * and features those models produce decode to the same joints as in Python. CONVENTIONS.md 3.1, 1.4.
 *
 * What this is not: the notebook's first step, uniform_skeleton (retargeting every clip to the
 * bone lengths of HumanML3D clip 000021 by IK + FK): callers pass joints already on the skeleton
 * they want (mosa's procedural bodies use smpl22_bone_lengths). Nor recover_from_rot (FK from the
 * 6D part): decoding uses the RIC part only, as T2M-GPT, MoMask and the released joints do.
 *
 * Joints are (T,22,3) float32, SMPL-22 order (skeleton.h), metres, Y up, 20 fps.
 *
 * Feature row t (0 <= t <= T-2) describes frame t and the step t -> t+1:
 *   [0]        root angular velocity about Y: arcsin(y) of the quaternion r[t+1] * r[t]^-1, i.e.
 *              minus HALF the step's change of the heading h (radians; forward = (sin h, 0, cos h))
 *   [1:3]      root linear velocity (x, z) of the step t -> t+1, rotated by r[t+1]
 *   [3]        root height y at frame t
 *   [4:67]     RIC: joints 1..21 at frame t minus the root's (x, 0, z), rotated by r[t]
 *   [67:193]   joints 1..21 local rotations as continuous 6D (first two columns of the rotation
 *              matrix, column-major: m00 m10 m20 m01 m11 m21), from the notebook's IK
 *   [193:259]  local velocities of joints 0..21: (p[t+1] - p[t]) rotated by r[t]
 *   [259:263]  foot contacts: left ankle 7, left foot 10, right ankle 8, right foot 11; 1 when
 *              the squared displacement of the joint over t -> t+1 is below 0.002 m^2
 * where r[t] is the root rotation of frame t (hml_root_rotations): the identity for frame 0, and
 * for t >= 1 the Y rotation taking the Gaussian-smoothed (sigma 20 frames, scipy mode 'nearest',
 * radius 80) facing direction of frame t to +Z.
 *
 * HumanML3D quirks kept on purpose (they are in the released data and the models trained on it):
 *   - r[0] is the identity whatever the first frame's facing: Skeleton.inverse_kinematics_np sets
 *     root_quat[0] = 1 (common/skeleton.py since commit 3bbfc2e, matching the released data), so
 *     row 0's [0] carries the jump from the identity to r[1], and row 0's RIC and 6D are in the
 *     world frame. After canonicalization that frame already faces about +Z.
 *   - The facing used for r[t] comes from inverse_kinematics_np, which unpacks face_joint_indx
 *     [2,1,17,16] as (l_hip, r_hip, sdr_r, sdr_l) and so computes the across vector as
 *     (left_hip - right_hip) + (right_shoulder - left_shoulder): shoulders minus hips (HumanML3D
 *     issues #55, #107, #112, acknowledged and kept by the authors). It faces the right way while
 *     the shoulders are wider than the hips. Canonicalization (below) uses the correct
 *     (right - left) hips + shoulders, as process_file does.
 *   - [0] is arcsin of the quaternion's y without regard to the sign of w, so the one step at
 *     which the facing crosses -Z (heading +-180 degrees; after canonicalization, a figure that
 *     has turned half a circle from its first frame) decodes with the wrong sign: from that step
 *     on the decoded heading is off by twice that step's turn. Motions whose facing stays off -Z
 *     round-trip exactly.
 *   - Frames are paired as the notebook pairs them: T joint frames give T-1 feature rows (frame
 *     T-1 appears only through the velocities of row T-2).
 * Checked against the released HumanML3D sample 012314 (new_joint_vecs, new_joints): decoding
 * matches to 2.4e-7 m; features recomputed from its joints match to 4e-7 (6D 8e-6, contacts
 * exactly) on the rows
 * whose smoothing window does not reach the clip's missing last frame.
 *
 * Departures, for degenerate input only (where Python produces NaN): a frame whose across vector
 * or facing is zero (hips and shoulders coincident or vertical) gets facing +Z; a zero-length
 * bone gets the identity local rotation; an exactly reversed bone a rotation of pi about an axis
 * perpendicular to it (geom.h quat_between). */
#ifndef MOSA_FEATURES_H
#define MOSA_FEATURES_H

#include "../base/skeleton.h"

/* Offsets of the feature groups inside a 263-d row. */
enum {
    HML_ROOT_ROT_VEL = 0,   /* 1 */
    HML_ROOT_LIN_VEL = 1,   /* 2 */
    HML_ROOT_Y = 3,         /* 1 */
    HML_RIC = 4,            /* 63 = 21 x 3 */
    HML_ROT6D = 67,         /* 126 = 21 x 6 */
    HML_LOCAL_VEL = 193,    /* 66 = 22 x 3 */
    HML_FOOT = 259,         /* 4 */
    HML_FEAT_MAX_FRAMES = 1 << 20 /* 14.5 hours at 20 fps; longer inputs are refused */
};
#define HML_FEET_THRESH 0.002f /* squared metres per frame (process_file's feet_thre) */
#define HML_SMOOTH_SIGMA 20    /* frames: gaussian_filter1d sigma for the facing direction */

/* What process_file does before computing features, applied to (T,22,3) joints into `out`
 * (which may equal `joints`): subtract the lowest y over all frames and joints (floor at y=0),
 * move frame 0's root x,z to the origin, and rotate about Y so that frame 0's forward direction,
 * up x ((r_hip - l_hip) + (r_shoulder - l_shoulder)), points to +Z. Fails on T < 1, T above
 * HML_FEAT_MAX_FRAMES, or a non-finite coordinate. */
mosa_status hml_canonicalize(float *out /*(T,22,3)*/, const float *joints /*(T,22,3)*/, int T);

/* The root rotation r[t] of each frame that the features use (see above): unit quaternions
 * (w,x,y,z) about Y with w >= 0; r[0] is the identity, r[t] takes the smoothed facing of frame t
 * to +Z. */
mosa_status hml_root_rotations(float *rq /*(T,4)*/, const float *joints /*(T,22,3)*/, int T);

/* HumanML3D features of a motion: (T-1,263) rows from T >= 2 frames. With `canonicalize` set,
 * the joints are first put through hml_canonicalize (as process_file does); without it they
 * are used as given (for joints already canonical, or to study invariances). */
mosa_status hml_features_from_joints(float *feat /*(T-1,263)*/, const float *joints /*(T,22,3)*/, int T,
                                     int canonicalize);

/* recover_from_ric: T feature rows decode to T joint frames. The facing angle starts at 0 and
 * accumulates [0] of the previous rows; the root x,z starts at the origin and accumulates [1:3]
 * of the previous rows rotated back by the current facing; the root y is [3]; joints 1..21 are
 * the RIC part rotated back and offset by the root x,z. So row t needs rows 0..t only.
 *
 * Round trip: for features of T frames p[0..T-1] (hml_features_from_joints, T-1 rows), decoding
 * gives T-1 frames equal to frames 0..T-2 of  p - (p[0][0].x, 0, p[0][0].z),  where p is the
 * canonicalized motion if canonicalize was set (whose frame 0 root is already at the origin):
 * frame T-1 cannot be recovered (r[0] = identity makes the decoded frames world-aligned with p),
 * provided the facing does not cross -Z (the arcsin quirk above).
 * Fails on T < 1, T above HML_FEAT_MAX_FRAMES or a non-finite feature. */
mosa_status hml_joints_from_features(float *joints /*(T,22,3)*/, const float *feat /*(T,263)*/, int T);

/* Foot contacts as process_file's foot_detect: for each step t -> t+1 (T-1 rows), left ankle 7,
 * left foot 10, right ankle 8, right foot 11; 1 if the squared displacement is below `thresh`
 * (HML_FEET_THRESH for HumanML3D), else 0. Does nothing for T < 2. */
void hml_foot_contacts(float *contacts /*(T-1,4)*/, const float *joints /*(T,22,3)*/, int T, float thresh);

/* Mean.npy / Std.npy as cal_mean_variance.ipynb computes them from n feature sequences
 * (feats[i] is (lens[i],263)): the mean and the population std (ddof 0) of every dimension over
 * all rows of all sequences together; a sequence containing a NaN is skipped, as the notebook
 * skips such files. Then the std of each group is replaced by the mean of the group's stds,
 * divided by the notebook's factor, which is 1.0 for every group:
 *   [0] root rot vel, [1:3] root lin vel, [3] root y, [4:67] RIC, [67:193] rot 6D,
 *   [193:259] local vel, [259:263] foot contacts -> each gets its own average std, / 1.0.
 * A group with zero spread gets a zero std, as in the notebook; divide only where std > 0.
 * Fails on n < 1, a negative length, NULL pointers or no usable rows. */
mosa_status hml_mean_std(float *mean /*263*/, float *std /*263*/, const float *const *feats, const int *lens, int n);

/* What text-to-motion's training loaders (MotionDataset with is_train) do to that Std before
 * saving it as a model's meta/std.npy (T2M-GPT normalises with the evaluator's meta files,
 * CONVENTIONS 3.1): divide the std of [0:4] (root) and [259:263] (foot contacts) by feat_bias
 * (opt.feat_bias, 5 by default), weighting those dims up. Use the Std that matches the model. */
void hml_std_apply_feat_bias(float *std /*263*/, float feat_bias);

#endif
