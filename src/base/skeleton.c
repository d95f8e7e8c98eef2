/* skeleton.c: static tables of the joint sets (see skeleton.h). */
#include "skeleton.h"

const char *const smpl22_names[SMPL22_J] = {
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist"};

const int smpl22_parents[SMPL22_J] = {-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19};

const int smpl22_chains[5][6] = {
    {0, 2, 5, 8, 11, -1}, {0, 1, 4, 7, 10, -1}, {0, 3, 6, 9, 12, 15}, {9, 14, 17, 19, 21, -1}, {9, 13, 16, 18, 20, -1}};

/* HumanML3D paramUtil.t2m_raw_offsets. */
const float smpl22_raw_offsets[SMPL22_J][3] = {
    {0, 0, 0},  {1, 0, 0},  {-1, 0, 0}, {0, 1, 0},  {0, -1, 0}, {0, -1, 0}, {0, 1, 0},  {0, -1, 0},
    {0, -1, 0}, {0, 1, 0},  {0, 0, 1},  {0, 0, 1},  {0, 1, 0},  {1, 0, 0},  {-1, 0, 0}, {0, 0, 1},
    {0, -1, 0}, {0, -1, 0}, {0, -1, 0}, {0, -1, 0}, {0, -1, 0}, {0, -1, 0}};

/* Rest skeleton of mosa's default body (forward kinematics, src/motion/kinematics.c): offset of
 * each joint from its parent, metres, in a natural standing pose with the arms hanging, facing
 * +Z, Y up, the person's left at +X; left and right mirror each other. Proportions follow the
 * SMPL template of an average adult scaled to 1.70 m: hips 0.06 to the side and 0.08 below the
 * pelvis; straight legs (thigh 0.38, shank 0.40; kinematics' two-bone IK wants the knee->ankle and
 * hip->knee bones along -Y at rest, so the ankle is not set back); the ankle->foot bone 0.12
 * forward and 0.06 down, which is a flat foot with the ankle 0.08 and the toe base 0.02 above the
 * floor (KIN_ANKLE_HEIGHT, KIN_TOE_HEIGHT); spine 0.12 + 0.14 + 0.08; neck 0.21 above spine3;
 * the collars 0.08 to the side and 0.13 above spine3 (SMPL's collars sit high in the chest, not
 * at spine3's level) and the shoulders 0.12 further out and 0.02 lower; upper arm 0.26 and
 * forearm 0.25 straight down; the head joint 0.11 above and 0.04 in front of the neck. Standing,
 * the pelvis is at about 0.94 m, the shoulders 1.39 m, the neck 1.49 m and the head joint 1.60 m.
 * These are not t2m_raw_offsets' directions (which stay the rest directions of HumanML3D's
 * feature IK, features.c). */
const float smpl22_rest_offsets[SMPL22_J][3] = {
    {0, 0, 0},          /* pelvis */
    {0.06f, -0.08f, 0},  /* left hip */
    {-0.06f, -0.08f, 0}, /* right hip */
    {0, 0.12f, 0},      /* spine1 */
    {0, -0.38f, 0},     /* left knee */
    {0, -0.38f, 0},     /* right knee */
    {0, 0.14f, 0},      /* spine2 */
    {0, -0.40f, 0},     /* left ankle */
    {0, -0.40f, 0},     /* right ankle */
    {0, 0.08f, 0},      /* spine3 */
    {0, -0.06f, 0.12f}, /* left foot */
    {0, -0.06f, 0.12f}, /* right foot */
    {0, 0.21f, 0},      /* neck */
    {0.08f, 0.13f, 0},  /* left collar */
    {-0.08f, 0.13f, 0}, /* right collar */
    {0, 0.11f, 0.04f},  /* head */
    {0.12f, -0.02f, 0}, /* left shoulder */
    {-0.12f, -0.02f, 0},/* right shoulder */
    {0, -0.26f, 0},     /* left elbow */
    {0, -0.26f, 0},     /* right elbow */
    {0, -0.25f, 0},     /* left wrist */
    {0, -0.25f, 0}};    /* right wrist */

/* Bone to the parent, metres (pelvis 0): the norms of smpl22_rest_offsets. Hip 0.100, thigh
 * 0.38, shank 0.40, foot 0.134, spine 0.12 + 0.14 + 0.08, neck 0.21, head 0.117, collar 0.153,
 * shoulder 0.122, upper arm 0.26, forearm 0.25: standing height about 1.70 m. */
const float smpl22_bone_lengths[SMPL22_J] = {
    0.0f,      0.1f,      0.1f,      0.12f,     0.38f,     0.38f,     0.14f,     0.40f,
    0.40f,     0.08f,     0.134164f, 0.134164f, 0.21f,     0.152643f, 0.152643f, 0.117047f,
    0.121655f, 0.121655f, 0.26f,     0.26f,     0.25f,     0.25f};

const char *const op18_names[OP18_J] = {"nose",     "neck",      "right_shoulder", "right_elbow", "right_wrist",
                                        "left_shoulder", "left_elbow", "left_wrist", "right_hip", "right_knee",
                                        "right_ankle", "left_hip",  "left_knee",      "left_ankle",  "right_eye",
                                        "left_eye",  "right_ear", "left_ear"};

const char *const bp33_names[BP33_J] = {
    "nose",          "left_eye_inner", "left_eye",        "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear",     "right_ear",       "mouth_left",     "mouth_right",     "left_shoulder",
    "right_shoulder", "left_elbow",    "right_elbow",     "left_wrist",     "right_wrist",     "left_pinky",
    "right_pinky",   "left_index",     "right_index",     "left_thumb",     "right_thumb",     "left_hip",
    "right_hip",     "left_knee",      "right_knee",      "left_ankle",     "right_ankle",     "left_heel",
    "right_heel",    "left_foot_index", "right_foot_index"};

/* MediaPipe POSE_CONNECTIONS. */
const int bp33_connections[35][2] = {
    {0, 4},   {4, 5},   {5, 6},   {6, 8},   {0, 1},   {1, 2},   {2, 3},   {3, 7},   {10, 9},
    {12, 11}, {12, 14}, {14, 16}, {16, 18}, {16, 20}, {16, 22}, {18, 20}, {11, 13}, {13, 15},
    {15, 17}, {15, 19}, {15, 21}, {17, 19}, {12, 24}, {11, 23}, {24, 23}, {24, 26}, {23, 25},
    {26, 28}, {25, 27}, {28, 30}, {27, 29}, {30, 32}, {29, 31}, {28, 32}, {27, 31}};
