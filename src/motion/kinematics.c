/* kinematics.c: SMPL-22 forward kinematics, anatomical joint rotations and analytic two-bone IK
 * (see kinematics.h). No motion generation and no HumanML3D features here. */
#include "kinematics.h"

#include <math.h>

const int kin_limb_joints[4][3] = {
    {J_L_HIP, J_L_KNEE, J_L_ANKLE}, {J_R_HIP, J_R_KNEE, J_R_ANKLE},
    {J_L_SHOULDER, J_L_ELBOW, J_L_WRIST}, {J_R_SHOULDER, J_R_ELBOW, J_R_WRIST}};

/* Pitch of the rest ankle->foot bone below horizontal (smpl22_rest_offsets; scale-free). */
static float kin__foot_rest_pitch(void) {
    const float *f = smpl22_rest_offsets[J_L_FOOT];
    return atan2f(-f[1], f[2]);
}

/* ------------------------------------------------------------------------------------------ */
/* Body and forward kinematics                                                                */
/* ------------------------------------------------------------------------------------------ */

void kin_body_init(kin_body *b, float height) {
    if (!(height > 0)) height = KIN_DEFAULT_HEIGHT;
    b->height = height;
    b->scale = height / KIN_DEFAULT_HEIGHT;
    for (int j = 0; j < SMPL22_J; j++) {
        const float *o = smpl22_rest_offsets[j];
        b->offset[j] = v3_make(o[0] * b->scale, o[1] * b->scale, o[2] * b->scale);
        b->length[j] = smpl22_bone_lengths[j] * b->scale;
    }
    b->flat_pitch = asinf((KIN_ANKLE_HEIGHT - KIN_TOE_HEIGHT) / smpl22_bone_lengths[J_L_FOOT]);
}

void kin_pose_fk(v3 *pos, quat *glob, const kin_pose *p, const kin_body *b) {
    quat g[SMPL22_J];
    pos[0] = p->root;
    g[0] = p->rot[0];
    for (int j = 1; j < SMPL22_J; j++) {
        int par = smpl22_parents[j];
        pos[j] = v3_add(pos[par], quat_rotate(g[par], b->offset[j]));
        g[j] = quat_mul(g[par], p->rot[j]);
    }
    if (glob)
        for (int j = 0; j < SMPL22_J; j++) glob[j] = g[j];
}

void kin_pose_joints(float *out, const kin_pose *p, const kin_body *b) {
    v3 pos[SMPL22_J];
    kin_pose_fk(pos, NULL, p, b);
    for (int j = 0; j < SMPL22_J; j++) v3_store(out + 3 * j, pos[j]);
}

/* ------------------------------------------------------------------------------------------ */
/* Rotations                                                                                  */
/* ------------------------------------------------------------------------------------------ */

quat kin_rx(float a) { return quat_axis_angle(v3_make(1, 0, 0), a); }
quat kin_ry(float a) { return quat_axis_angle(v3_make(0, 1, 0), a); }
quat kin_rz(float a) { return quat_axis_angle(v3_make(0, 0, 1), a); }

quat kin_root_rot(float yaw, float pitch, float roll) {
    return quat_mul(kin_ry(yaw), quat_mul(kin_rx(pitch), kin_rz(-roll)));
}

float kin_yaw_of(v3 f) { return atan2f(f.x, f.z); }

quat kin_neutral_rot(int j) {
    /* The rest skeleton already stands in the neutral pose (head over the neck, shoulders beside
     * the collars, arms hanging); only the feet are turned from the rest foot pitch to flat. */
    switch (j) {
    case J_L_ANKLE:
    case J_R_ANKLE:
        return kin_rx(asinf((KIN_ANKLE_HEIGHT - KIN_TOE_HEIGHT) / smpl22_bone_lengths[J_L_FOOT]) - kin__foot_rest_pitch());
    default: return quat_identity();
    }
}

quat kin_joint_rot(int j, float flex, float abd, float twist) {
    /* Sign of each angle about X, Z, Y for the joint's rest bone direction (see the header). */
    float sx = 0, sz = 0, sy = 0;
    switch (j) {
    case J_SPINE1: case J_SPINE2: case J_SPINE3: case J_NECK:
        sx = 1, sz = -1, sy = 1; break;
    case J_L_HIP: sx = -1, sz = 1, sy = 1; break;
    case J_R_HIP: sx = -1, sz = -1, sy = -1; break;
    case J_L_KNEE: sx = 1, sz = 1, sy = 1; break;
    case J_R_KNEE: sx = 1, sz = -1, sy = -1; break;
    case J_L_ANKLE: sx = -1, sz = 1, sy = 1; break;
    case J_R_ANKLE: sx = -1, sz = -1, sy = -1; break;
    case J_L_SHOULDER: sx = -1, sz = 1, sy = 1; break;
    case J_R_SHOULDER: sx = -1, sz = -1, sy = -1; break;
    case J_L_ELBOW: sx = -1, sz = 1, sy = 1; break;
    case J_R_ELBOW: sx = -1, sz = -1, sy = -1; break;
    case J_L_COLLAR: case J_R_COLLAR: {
        /* protraction about Y, elevation about Z, in the chest frame */
        float side = j == J_L_COLLAR ? 1.0f : -1.0f;
        quat a = quat_mul(kin_ry(-side * flex), kin_rz(side * abd));
        return quat_mul(a, kin_neutral_rot(j));
    }
    default: return quat_identity(); /* leaves: head, feet, wrists orient no bone */
    }
    quat a = quat_mul(kin_rx(sx * flex), quat_mul(kin_rz(sz * abd), kin_ry(sy * twist)));
    quat n = kin_neutral_rot(j);
    /* Shoulders: N*A, with the collar's neutral rotation (identity) cancelling, acts in the chest
     * frame. Others: A acts in the parent frame on the neutral bone direction. */
    if (j == J_L_SHOULDER || j == J_R_SHOULDER) return quat_mul(n, a);
    return quat_mul(a, n);
}

/* ------------------------------------------------------------------------------------------ */
/* Inverse kinematics                                                                         */
/* ------------------------------------------------------------------------------------------ */

static quat kin__frame(v3 ex, v3 ey, v3 ez) {
    float m[9] = {ex.x, ey.x, ez.x, ex.y, ey.y, ez.y, ex.z, ey.z, ez.z};
    return quat_from_mat(m);
}

float kin_limb_ik(kin_pose *p, const kin_body *b, int limb, v3 target, v3 pole) {
    int ja = kin_limb_joints[limb][0], jm = kin_limb_joints[limb][1], je = kin_limb_joints[limb][2];
    int par = smpl22_parents[ja];
    float hinge = limb <= KIN_LEG_R ? 1.0f : -1.0f; /* knees flex +X, elbows -X */
    v3 pos[SMPL22_J];
    quat g[SMPL22_J];
    kin_pose_fk(pos, g, p, b);
    float l1 = b->length[jm], l2 = b->length[je];
    v3 P = pos[ja], d = v3_sub(target, P);
    float dist = v3_norm(d);
    v3 dh = dist > 1e-6f ? v3_scale(d, 1.0f / dist) : quat_rotate(g[par], v3_make(0, -1, 0));
    float dmax = (l1 + l2) * 0.99999f, dmin = fabsf(l1 - l2) + 1e-4f;
    float dc = dist < dmin ? dmin : dist > dmax ? dmax : dist;
    /* The bend direction: the pole made perpendicular to the limb axis, with fallbacks to the
     * parent's forward and up axes when the pole is (nearly) along the axis. */
    v3 cand[3] = {pole, quat_rotate(g[par], v3_make(0, 0, hinge)), quat_rotate(g[par], v3_make(0, 1, 0))};
    v3 n = v3_make(0, 0, 0);
    for (int k = 0; k < 3; k++) {
        v3 c = v3_sub(cand[k], v3_scale(dh, v3_dot(cand[k], dh)));
        if (v3_norm(c) > 1e-3f * (v3_norm(cand[k]) + 1e-9f)) { n = v3_normalize(c); break; }
    }
    if (v3_norm(n) == 0) n = v3_normalize(v3_cross(dh, fabsf(dh.x) < 0.9f ? v3_make(1, 0, 0) : v3_make(0, 1, 0)));
    float ca = (l1 * l1 + dc * dc - l2 * l2) / (2 * l1 * dc);
    ca = ca > 1 ? 1 : ca < -1 ? -1 : ca;
    float sa = sqrtf(1 - ca * ca);
    v3 u = v3_add(v3_scale(dh, ca), v3_scale(n, sa)); /* upper bone direction */
    v3 knee = v3_add(P, v3_scale(u, l1)), end = v3_add(P, v3_scale(dh, dc));
    v3 w = v3_normalize(v3_sub(end, knee));            /* lower bone direction */
    v3 ex = v3_scale(v3_normalize(v3_cross(n, dh)), hinge);
    v3 ey = v3_scale(u, -1.0f);
    v3 ez = v3_cross(ex, ey);
    quat ga = kin__frame(ex, ey, ez);
    p->rot[ja] = quat_normalize(quat_mul(quat_conj(g[par]), ga));
    float cb = v3_dot(u, w);
    cb = cb > 1 ? 1 : cb < -1 ? -1 : cb;
    p->rot[jm] = kin_rx(hinge * acosf(cb));
    return v3_norm(v3_sub(target, end));
}

void kin_foot_aim(kin_pose *p, const kin_body *b, int side, v3 dir) {
    int knee = side ? J_R_KNEE : J_L_KNEE, ankle = side ? J_R_ANKLE : J_L_ANKLE;
    v3 pos[SMPL22_J];
    quat g[SMPL22_J];
    kin_pose_fk(pos, g, p, b);
    v3 ez = v3_normalize(dir);
    v3 gx = quat_rotate(g[knee], v3_make(1, 0, 0));
    v3 ex = v3_sub(gx, v3_scale(ez, v3_dot(gx, ez)));
    if (v3_norm(ex) < 1e-4f) ex = v3_cross(v3_make(0, 1, 0), ez);
    ex = v3_normalize(ex);
    v3 ey = v3_cross(ez, ex);
    /* The frame maps +Z to dir; the rest foot bone is +Z pitched down by its rest pitch. */
    quat ga = quat_mul(kin__frame(ex, ey, ez), quat_conj(kin_rx(kin__foot_rest_pitch())));
    p->rot[ankle] = quat_normalize(quat_mul(quat_conj(g[knee]), ga));
}

v3 kin_foot_dir(float pitch, float yaw) {
    float c = cosf(pitch);
    return v3_make(c * sinf(yaw), -sinf(pitch), c * cosf(yaw));
}

v3 kin_ankle_from_toe(const kin_body *b, v3 toe, float pitch, float yaw) {
    return v3_sub(toe, v3_scale(kin_foot_dir(pitch, yaw), b->length[J_L_FOOT]));
}

float kin_leg_place(kin_pose *p, const kin_body *b, int side, v3 toe, float pitch, float yaw, v3 pole) {
    v3 ankle = kin_ankle_from_toe(b, toe, pitch, yaw);
    float r = kin_limb_ik(p, b, side ? KIN_LEG_R : KIN_LEG_L, ankle, pole);
    kin_foot_aim(p, b, side, kin_foot_dir(pitch, yaw));
    return r;
}

float kin_root_max_height(const kin_pose *p, const kin_body *b, int side, v3 ankle, float extension) {
    int hip = side ? J_R_HIP : J_L_HIP, knee = side ? J_R_KNEE : J_L_KNEE, ank = side ? J_R_ANKLE : J_L_ANKLE;
    v3 off = quat_rotate(p->rot[0], b->offset[hip]);
    float L = extension * (b->length[knee] + b->length[ank]);
    float dx = p->root.x + off.x - ankle.x, dz = p->root.z + off.z - ankle.z;
    float dh2 = dx * dx + dz * dz;
    if (dh2 >= L * L) return -1e9f;
    return ankle.y + sqrtf(L * L - dh2) - off.y;
}

float kin_stand_height(const kin_body *b) {
    return KIN_ANKLE_HEIGHT * b->scale + 0.995f * (b->length[J_L_KNEE] + b->length[J_L_ANKLE]) - b->offset[J_L_HIP].y;
}

void kin_pose_neutral(kin_pose *p, const kin_body *b) {
    p->root = v3_make(0, kin_stand_height(b), 0);
    for (int j = 0; j < SMPL22_J; j++) p->rot[j] = kin_neutral_rot(j);
    for (int side = 0; side < 2; side++) {
        float x = b->offset[side ? J_R_HIP : J_L_HIP].x;
        v3 ankle = v3_make(x, KIN_ANKLE_HEIGHT * b->scale, 0);
        v3 toe = v3_add(ankle, v3_scale(kin_foot_dir(b->flat_pitch, 0), b->length[J_L_FOOT]));
        kin_leg_place(p, b, side, toe, b->flat_pitch, 0, v3_make(0, 0, 1));
    }
}
