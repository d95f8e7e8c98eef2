/* kinematics.h: forward and inverse kinematics of the SMPL-22 skeleton.
 *
 * A pose is the root (pelvis) position plus one local rotation per joint. Joint j's rotation
 * orients the bones from j to its children (HumanML3D's convention: the rotation of the parent
 * places the child, child = parent + G_parent * offset_child with G the product of the local
 * rotations down the chain). Rest offsets are smpl22_rest_offsets (a realistic standing skeleton,
 * arms hanging) scaled by the body height, so forward kinematics keeps every bone length exact by
 * construction. The limbs' rest bones (hip->knee->ankle, shoulder->elbow->wrist) point along -Y,
 * which the two-bone IK relies on.
 * Frame: metres, Y up, a body in the neutral pose faces +Z with its left side at +X.
 *
 * This file is not a motion generator (library.h) and not HumanML3D's feature IK (features.h). */
#ifndef MOSA_KINEMATICS_H
#define MOSA_KINEMATICS_H

#include "../base/geom.h"
#include "../base/skeleton.h"

#define KIN_DEFAULT_HEIGHT 1.70f /* the body smpl22_bone_lengths describes */
#define KIN_TOE_HEIGHT 0.02f     /* foot joint (10/11) above the floor, flat foot, default body */
#define KIN_ANKLE_HEIGHT 0.08f   /* ankle joint (7/8) above the floor, flat foot, default body */
#define KIN_WRIST_HEIGHT 0.03f   /* wrist above the floor when the palm is on it, default body */

typedef struct kin_body {
    float height;                /* standing height, metres */
    float scale;                 /* height / KIN_DEFAULT_HEIGHT */
    v3 offset[SMPL22_J];         /* rest offset of joint j from its parent, metres */
    float length[SMPL22_J];      /* |offset[j]| */
    float flat_pitch;            /* angle of the ankle->foot bone below horizontal, flat foot */
} kin_body;

typedef struct kin_pose {
    v3 root;                     /* pelvis position, metres */
    quat rot[SMPL22_J];          /* rot[0]: pelvis orientation in the world; others local */
} kin_pose;

/* The four two-bone limbs: upper joint, middle joint, end joint. */
enum kin_limb { KIN_LEG_L, KIN_LEG_R, KIN_ARM_L, KIN_ARM_R };
extern const int kin_limb_joints[4][3];

/* Fills the body of a person `height` metres tall (<= 0 means KIN_DEFAULT_HEIGHT). */
void kin_body_init(kin_body *b, float height);

/* Positions (22) and, if glob is not NULL, global rotations (22) of a pose. */
void kin_pose_fk(v3 *pos, quat *glob, const kin_pose *p, const kin_body *b);
/* The same positions written as (22,3) float32. */
void kin_pose_joints(float *out /*(22,3)*/, const kin_pose *p, const kin_body *b);

/* Quaternion helpers: rotations about the world axes, and the pelvis orientation from heading
 * (yaw about +Y, positive turns the facing from +Z towards +X, i.e. to the person's left),
 * pitch (about the pelvis' X, positive tips the trunk forward) and roll (about its Z, positive
 * tips the trunk towards +X, the person's left). */
quat kin_rx(float a);
quat kin_ry(float a);
quat kin_rz(float a);
quat kin_root_rot(float yaw, float pitch, float roll);
/* The yaw of a facing direction (its XZ part): atan2(f.x, f.z). */
float kin_yaw_of(v3 f);

/* The local rotation of joint j in the neutral standing pose: head above the neck, shoulders
 * to the sides of the collars, arms hanging, feet flat. The rest skeleton is that pose except
 * for the feet, so this is identity for every joint but the ankles. */
quat kin_neutral_rot(int j);

/* Local rotation of joint j from anatomical angles (radians), relative to the neutral pose:
 * flex  + bends forward (spine, neck, hip, shoulder, elbow), knee: shin backwards,
 *         ankle: toes up (dorsiflexion), collar: shoulder forward (protraction);
 * abd   + moves a limb away from the midline (left limbs towards +X, right limbs towards -X),
 *         spine/neck: bend to the left, collar: shoulder up (elevation);
 * twist + spine/neck: turn to the left; limbs: external rotation.
 * Shoulder angles are expressed in the chest (spine3) frame when the collar is neutral. */
quat kin_joint_rot(int j, float flex, float abd, float twist);

/* The neutral standing pose of body b, at the origin facing +Z, toes and heels on the floor. */
void kin_pose_neutral(kin_pose *p, const kin_body *b);
/* Pelvis height of the neutral standing pose (legs 99.5 % extended, flat feet). */
float kin_stand_height(const kin_body *b);

/* Analytic two-bone IK: sets the local rotations of the limb's upper and middle joints so the
 * end joint (ankle or wrist) reaches `target` (world), bending the middle joint (knee, elbow)
 * towards the world direction `pole`. Everything above the limb is left as is. A target out of
 * reach is approached along the straight line (limb 99.999 % extended). The upper joint's frame
 * keeps the hinge on its local X axis, so knees and elbows flex about X as kin_joint_rot does.
 * Returns the distance left between the end joint and the target (0 when reachable). */
float kin_limb_ik(kin_pose *p, const kin_body *b, int limb, v3 target, v3 pole);

/* Sets the ankle rotation of leg `side` (0 left, 1 right) so the ankle->foot bone points along
 * the world direction `dir`; the foot's lateral axis follows the knee hinge. */
void kin_foot_aim(kin_pose *p, const kin_body *b, int side, v3 dir);

/* Ankle position for a foot whose foot joint (toe base) is at `toe`, with the foot bone pitched
 * `pitch` radians below horizontal (b->flat_pitch is a flat foot; larger lifts the heel) and
 * pointing along heading `yaw`. */
v3 kin_ankle_from_toe(const kin_body *b, v3 toe, float pitch, float yaw);
/* Direction of the ankle->foot bone for that pitch and yaw. */
v3 kin_foot_dir(float pitch, float yaw);

/* Places leg `side` so its foot joint is at `toe` with the given foot pitch and yaw, the knee
 * bending towards `pole`. Returns the distance by which the ankle misses its target. */
float kin_leg_place(kin_pose *p, const kin_body *b, int side, v3 toe, float pitch, float yaw, v3 pole);

/* The highest pelvis height at which leg `side` can still put its ankle on `ankle` (world),
 * given the pose's pelvis orientation and root XZ, keeping the leg at most `extension` of its
 * full length (e.g. 0.995). Returns -1e9 when the ankle is out of reach horizontally. */
float kin_root_max_height(const kin_pose *p, const kin_body *b, int side, v3 ankle, float extension);

#endif /* MOSA_KINEMATICS_H */
