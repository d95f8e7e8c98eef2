/* mapping.c: joint-set conversions SMPL-22 / BlazePose-33 -> OpenPose-18 and BlazePose-33 ->
 * SMPL-22 (see mapping.h for every index and offset). Pure point arithmetic: no allocation, no
 * failure paths (every input gives finite output when it is finite). */
#include "mapping.h"

#include "../base/geom.h"

/* `a` minus its component along the unit vector u. */
static v3 map__reject(v3 a, v3 u) { return v3_sub(a, v3_scale(u, v3_dot(a, u))); }

static v3 map__mid(const float *p, int a, int b) { return v3_scale(v3_add(v3_load(p + 3 * a), v3_load(p + 3 * b)), 0.5f); }

/* ------------------------------------------------------------------------------------------ */
/* SMPL-22 -> OpenPose-18                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* The head frame of one SMPL-22 pose: u up the torso, f forward, l the person's left (unit,
 * orthonormal, l = u x f). */
static void map__head_frame(v3 *u, v3 *f, v3 *l, const float *j) {
    v3 up = v3_sub(v3_load(j + 3 * J_NECK), v3_load(j + 3 * J_PELVIS));
    *u = v3_norm(up) > 1e-6f ? v3_normalize(up) : v3_make(0, 1, 0);
    /* across = right - left, shoulders first, hips when the shoulders give no direction. */
    v3 across = map__reject(v3_sub(v3_load(j + 3 * J_R_SHOULDER), v3_load(j + 3 * J_L_SHOULDER)), *u);
    if (v3_norm(across) < 1e-3f) across = map__reject(v3_sub(v3_load(j + 3 * J_R_HIP), v3_load(j + 3 * J_L_HIP)), *u);
    if (v3_norm(across) < 1e-3f) { /* no left/right at all: any horizontal-ish direction */
        across = map__reject(v3_make(-1, 0, 0), *u);
        if (v3_norm(across) < 1e-3f) across = map__reject(v3_make(0, 0, 1), *u);
    }
    *f = v3_normalize(v3_cross(*u, across));
    *l = v3_cross(*u, *f);
}

void map_smpl22_to_op18(float *op, float *conf, const float *j) {
    static const int body[13][2] = {
        {OP_NECK, J_NECK},         {OP_R_SHOULDER, J_R_SHOULDER}, {OP_R_ELBOW, J_R_ELBOW}, {OP_R_WRIST, J_R_WRIST},
        {OP_L_SHOULDER, J_L_SHOULDER}, {OP_L_ELBOW, J_L_ELBOW},   {OP_L_WRIST, J_L_WRIST}, {OP_R_HIP, J_R_HIP},
        {OP_R_KNEE, J_R_KNEE},     {OP_R_ANKLE, J_R_ANKLE},       {OP_L_HIP, J_L_HIP},     {OP_L_KNEE, J_L_KNEE},
        {OP_L_ANKLE, J_L_ANKLE}};
    for (int i = 0; i < 13; i++) v3_store(op + 3 * body[i][0], v3_load(j + 3 * body[i][1]));
    v3 u, f, l;
    map__head_frame(&u, &f, &l, j);
    v3 head = v3_load(j + 3 * J_HEAD);
    v3 nose = v3_add(head, v3_add(v3_scale(f, MAP_NOSE_FORWARD), v3_scale(u, -MAP_NOSE_DOWN)));
    v3 eyes = v3_add(nose, v3_add(v3_scale(u, MAP_EYE_UP), v3_scale(f, -MAP_EYE_BACK)));
    v3 ears = v3_add(head, v3_scale(f, -MAP_EAR_BACK));
    v3_store(op + 3 * OP_NOSE, nose);
    v3_store(op + 3 * OP_R_EYE, v3_add(eyes, v3_scale(l, -MAP_EYE_SIDE)));
    v3_store(op + 3 * OP_L_EYE, v3_add(eyes, v3_scale(l, MAP_EYE_SIDE)));
    v3_store(op + 3 * OP_R_EAR, v3_add(ears, v3_scale(l, -MAP_EAR_SIDE)));
    v3_store(op + 3 * OP_L_EAR, v3_add(ears, v3_scale(l, MAP_EAR_SIDE)));
    if (conf)
        for (int k = 0; k < OP18_J; k++) conf[k] = 1.0f;
}

void map_smpl22_to_op18_seq(float *op, const float *j, int T) {
    for (int t = 0; t < T; t++) map_smpl22_to_op18(op + (size_t)t * OP18_J * 3, NULL, j + (size_t)t * SMPL22_J * 3);
}

/* ------------------------------------------------------------------------------------------ */
/* BlazePose-33 -> OpenPose-18                                                                 */
/* ------------------------------------------------------------------------------------------ */

void map_bp33_to_op18(float *op, float *conf, const float *bp, const float *vis) {
    /* OpenPose index <- BlazePose index; the neck (OP 1) is handled apart. */
    static const int src[OP18_J] = {0, -1, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 5, 2, 8, 7};
    for (int k = 0; k < OP18_J; k++) {
        if (k == OP_NECK) continue;
        v3_store(op + 3 * k, v3_load(bp + 3 * src[k]));
        if (conf) conf[k] = vis ? vis[src[k]] : 1.0f;
    }
    v3_store(op + 3 * OP_NECK, map__mid(bp, 11, 12));
    if (conf) conf[OP_NECK] = vis ? (vis[11] < vis[12] ? vis[11] : vis[12]) : 1.0f;
}

/* ------------------------------------------------------------------------------------------ */
/* BlazePose-33 -> SMPL-22                                                                     */
/* ------------------------------------------------------------------------------------------ */

void map_bp33_to_smpl22(float *j, const float *bp) {
    static const int copy[10][2] = {{J_L_KNEE, 25},     {J_R_KNEE, 26},     {J_L_ANKLE, 27},    {J_R_ANKLE, 28},
                                    {J_L_SHOULDER, 11}, {J_R_SHOULDER, 12}, {J_L_ELBOW, 13},    {J_R_ELBOW, 14},
                                    {J_L_WRIST, 15},    {J_R_WRIST, 16}};
    for (int i = 0; i < 10; i++) v3_store(j + 3 * copy[i][0], v3_load(bp + 3 * copy[i][1]));
    v3 pelvis = map__mid(bp, 23, 24), chest = map__mid(bp, 11, 12), head = map__mid(bp, 7, 8);
    v3_store(j + 3 * J_PELVIS, pelvis);
    v3_store(j + 3 * J_L_HIP, v3_lerp(v3_load(bp + 3 * 23), pelvis, 0.20f));
    v3_store(j + 3 * J_R_HIP, v3_lerp(v3_load(bp + 3 * 24), pelvis, 0.20f));
    v3_store(j + 3 * J_SPINE1, v3_lerp(pelvis, chest, 0.38f));
    v3_store(j + 3 * J_SPINE2, v3_lerp(pelvis, chest, 0.62f));
    v3_store(j + 3 * J_SPINE3, v3_lerp(pelvis, chest, 0.71f));
    v3 neck = v3_lerp(chest, head, 0.40f);
    v3_store(j + 3 * J_NECK, neck);
    v3_store(j + 3 * J_HEAD, head);
    v3_store(j + 3 * J_L_COLLAR, v3_lerp(neck, v3_load(bp + 3 * 11), 0.45f));
    v3_store(j + 3 * J_R_COLLAR, v3_lerp(neck, v3_load(bp + 3 * 12), 0.45f));
    v3_store(j + 3 * J_L_FOOT, v3_lerp(v3_load(bp + 3 * 27), v3_load(bp + 3 * 31), 0.75f));
    v3_store(j + 3 * J_R_FOOT, v3_lerp(v3_load(bp + 3 * 28), v3_load(bp + 3 * 32), 0.75f));
}
