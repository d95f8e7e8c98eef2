/* skeleton.h: the joint sets mosa works with and their static tables.
 *
 * SMPL-22 as HumanML3D uses it (Y up, metres, 20 fps, initial facing +Z; CONVENTIONS 3.1),
 * OpenPose-18 in DWPose/ControlNet order (CONVENTIONS 3.3), BlazePose-33 (MediaPipe, 3.5).
 * The mappings between them and the HumanML3D features live in skeleton.c / features.c. */
#ifndef MOSA_SKELETON_H
#define MOSA_SKELETON_H

#include "base.h"

enum { SMPL22_J = 22, OP18_J = 18, BP33_J = 33, HML_DIM = 263, HML_FPS = 20 };

/* SMPL-22 joint indices. */
enum smpl22_joint {
    J_PELVIS, J_L_HIP, J_R_HIP, J_SPINE1, J_L_KNEE, J_R_KNEE, J_SPINE2, J_L_ANKLE, J_R_ANKLE, J_SPINE3,
    J_L_FOOT, J_R_FOOT, J_NECK, J_L_COLLAR, J_R_COLLAR, J_HEAD, J_L_SHOULDER, J_R_SHOULDER, J_L_ELBOW,
    J_R_ELBOW, J_L_WRIST, J_R_WRIST
};

/* OpenPose-18 indices (0 nose, 1 neck, 2-4 right arm, 5-7 left arm, 8-10 right leg, 11-13 left
 * leg, 14/15 right/left eye, 16/17 right/left ear). */
enum op18_joint {
    OP_NOSE, OP_NECK, OP_R_SHOULDER, OP_R_ELBOW, OP_R_WRIST, OP_L_SHOULDER, OP_L_ELBOW, OP_L_WRIST, OP_R_HIP,
    OP_R_KNEE, OP_R_ANKLE, OP_L_HIP, OP_L_KNEE, OP_L_ANKLE, OP_R_EYE, OP_L_EYE, OP_R_EAR, OP_L_EAR
};

extern const char *const smpl22_names[SMPL22_J];
extern const int smpl22_parents[SMPL22_J];           /* -1 for the pelvis */
extern const int smpl22_chains[5][6];                /* t2m_kinematic_chain, -1 terminated */
extern const float smpl22_raw_offsets[SMPL22_J][3];  /* t2m_raw_offsets: unit rest directions */
/* Rest skeleton of mosa's default body, an adult of about 1.70 m close to the SMPL template:
 * offset (metres) of each joint from its parent in the standing pose, arms hanging, facing +Z,
 * Y up, left = +X (see skeleton.c). Forward kinematics (kinematics.h) builds poses on it. */
extern const float smpl22_rest_offsets[SMPL22_J][3];
/* Rest bone lengths (metres) of that body, per joint (length of the bone to its parent; 0 for
 * the pelvis): the norms of smpl22_rest_offsets. */
extern const float smpl22_bone_lengths[SMPL22_J];
extern const char *const op18_names[OP18_J];
extern const char *const bp33_names[BP33_J];
extern const int bp33_connections[35][2];

#endif
