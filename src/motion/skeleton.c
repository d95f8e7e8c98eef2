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

/* Bone to the parent, metres (pelvis 0). Legs 0.40 + 0.40, foot 0.14, spine 0.11 + 0.13 + 0.06,
 * neck 0.19, head 0.10, collar 0.08, upper arm 0.28, forearm 0.25: standing height about 1.70 m. */
const float smpl22_bone_lengths[SMPL22_J] = {
    0.0f,  0.09f, 0.09f, 0.11f, 0.40f, 0.40f, 0.13f, 0.40f, 0.40f, 0.06f, 0.14f,
    0.14f, 0.19f, 0.08f, 0.08f, 0.10f, 0.12f, 0.12f, 0.28f, 0.28f, 0.25f, 0.25f};

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
