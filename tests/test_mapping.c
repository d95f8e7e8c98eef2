/* test_mapping.c: joint-set mappings (src/motion/mapping.c).
 *
 * SMPL-22 -> OpenPose-18: body joints by name, left/right (a figure facing +Z has its left side
 * at +X), the synthesised face points at their documented offsets in front of the head, eye and
 * ear spacing, the face following the body when it is turned, tilted or lying down (the mapping
 * commutes with rigid motions), the hip fallback when the shoulders coincide, finite output for
 * a collapsed pose, confidences, and the sequence version equal to the per-frame one.
 * BlazePose-33 -> OpenPose-18: every point checked by joint name against BlazePose's names, the
 * inserted neck and its confidence, visibilities. BlazePose-33 -> SMPL-22 on a constructed
 * standing pose: pelvis, hips, spine order, neck, head, collars, feet, left/right, agreement with
 * the direct OpenPose path, and HumanML3D's IK seeing the mapped figure face +Z. */
#include "motion/features.h"
#include "base/geom.h"
#include "motion/mapping.h"
#include "test.h"

#include <string.h>

/* An upright SMPL-22 figure facing +Z (left at +X), pelvis at y = 1. */
static const float g_smpl[22][3] = {
    {0, 1, 0},         {0.1f, 1, 0},         {-0.1f, 1, 0},     {0, 1.1f, 0},       {0.1f, 0.55f, 0},
    {-0.1f, 0.55f, 0}, {0, 1.25f, 0},        {0.1f, 0.1f, 0},   {-0.1f, 0.1f, 0},   {0, 1.35f, 0},
    {0.1f, 0, 0.1f},   {-0.1f, 0.1f, 0.15f}, {0, 1.55f, 0},     {0.1f, 1.45f, 0},   {-0.1f, 1.45f, 0},
    {0, 1.65f, 0},     {0.2f, 1.45f, 0},     {-0.2f, 1.45f, 0}, {0.2f, 1.15f, 0},   {-0.2f, 1.15f, 0},
    {0.2f, 0.9f, 0},   {-0.2f, 0.9f, 0}};

static float dist(const float *a, const float *b) { return v3_norm(v3_sub(v3_load(a), v3_load(b))); }

/* x -> q x + t for n points. */
static void rigid(float *out, const float *in, int n, quat q, v3 t) {
    for (int i = 0; i < n; i++) v3_store(out + 3 * i, v3_add(quat_rotate(q, v3_load(in + 3 * i)), t));
}

static void test_smpl_to_op(void) {
    float op[18 * 3], conf[18];
    const float *j = &g_smpl[0][0];
    for (int k = 0; k < 18; k++) conf[k] = -1;
    map_smpl22_to_op18(op, conf, j);
    int ones = 1;
    for (int k = 0; k < 18; k++) ones &= conf[k] == 1.0f;
    TEST_COND("confidence 1 for all 18", ones);

    /* Body joints by name: the SMPL joint with the OpenPose joint's name (neck, shoulders, ...). */
    int named = 0, same = 1;
    for (int k = 0; k < 18; k++)
        for (int s = 0; s < 22; s++)
            if (strcmp(op18_names[k], smpl22_names[s]) == 0) named++, same &= memcmp(op + 3 * k, j + 3 * s, 12) == 0;
    TEST_COND("13 body joints found by name", named == 13);
    TEST_COND("body joints copied from the joint of the same name", same);
    TEST_COND("left at +X, right at -X (shoulder, elbow, wrist, hip, knee, ankle)",
              op[3 * OP_L_SHOULDER] > 0 && op[3 * OP_R_SHOULDER] < 0 && op[3 * OP_L_WRIST] > 0 && op[3 * OP_R_WRIST] < 0 &&
                  op[3 * OP_L_HIP] > 0 && op[3 * OP_R_HIP] < 0 && op[3 * OP_L_ANKLE] > 0 && op[3 * OP_R_ANKLE] < 0);

    /* Face points: up = +Y, forward = +Z, left = +X here, head at (0, 1.65, 0). */
    const float want[5][3] = {
        {0, 1.65f - MAP_NOSE_DOWN, MAP_NOSE_FORWARD},                                                    /* nose */
        {-MAP_EYE_SIDE, 1.65f - MAP_NOSE_DOWN + MAP_EYE_UP, MAP_NOSE_FORWARD - MAP_EYE_BACK},           /* R eye */
        {MAP_EYE_SIDE, 1.65f - MAP_NOSE_DOWN + MAP_EYE_UP, MAP_NOSE_FORWARD - MAP_EYE_BACK},            /* L eye */
        {-MAP_EAR_SIDE, 1.65f, -MAP_EAR_BACK},                                                           /* R ear */
        {MAP_EAR_SIDE, 1.65f, -MAP_EAR_BACK}};                                                           /* L ear */
    static const int idx[5] = {OP_NOSE, OP_R_EYE, OP_L_EYE, OP_R_EAR, OP_L_EAR};
    for (int i = 0; i < 5; i++) {
        char d[64];
        snprintf(d, sizeof d, "face point %s", op18_names[idx[i]]);
        TEST_CLOSE(d, op + 3 * idx[i], want[i], 3, 1e-6, 1.0);
    }
    TEST_COND("nose 0.10 m in front of the head (+Z)", fabsf(op[3 * OP_NOSE + 2] - 0.10f) < 1e-6f);
    TEST_CLOSE("eyes 0.07 m apart", &(float){dist(op + 3 * OP_L_EYE, op + 3 * OP_R_EYE)}, &(float){0.07f}, 1, 1e-5, 1.0);
    TEST_CLOSE("ears 0.15 m apart", &(float){dist(op + 3 * OP_L_EAR, op + 3 * OP_R_EAR)}, &(float){0.15f}, 1, 1e-5, 1.0);
    TEST_COND("eyes above the nose, ears behind the eyes",
              op[3 * OP_L_EYE + 1] > op[3 * OP_NOSE + 1] && op[3 * OP_L_EAR + 2] < op[3 * OP_L_EYE + 2]);

    /* The face follows the body: turned, tilted, lying down, moved. */
    static const float axes[4][4] = {{0, 1, 0, 2.3f}, {1, 0.2f, -0.4f, 1.1f}, {1, 0, 0, -(float)M_PI / 2}, {0.3f, -1, 0.5f, 3.0f}};
    for (int a = 0; a < 4; a++) {
        quat q = quat_axis_angle(v3_make(axes[a][0], axes[a][1], axes[a][2]), axes[a][3]);
        v3 t = v3_make(0.7f * a, -0.3f, 1.5f);
        float jr[22 * 3], opr[18 * 3], want_r[18 * 3];
        rigid(jr, j, 22, q, t);
        map_smpl22_to_op18(opr, NULL, jr);
        rigid(want_r, op, 18, q, t);
        char d[80];
        snprintf(d, sizeof d, "mapping commutes with rigid motion %d", a);
        TEST_CLOSE(d, opr, want_r, 18 * 3, 2e-6, 1.0);
        if (a == 2) /* on its back (head toward -Z): the face looks up */
            TEST_COND("lying on the back: nose 0.10 m above the head",
                      fabsf(opr[3 * OP_NOSE + 1] - jr[3 * J_HEAD + 1] - MAP_NOSE_FORWARD) < 1e-5f);
    }

    /* Shoulders on top of each other: the hips give the facing, same face. */
    float jd[22 * 3], opd[18 * 3];
    memcpy(jd, j, sizeof jd);
    jd[3 * J_L_SHOULDER] = jd[3 * J_R_SHOULDER] = 0;
    map_smpl22_to_op18(opd, NULL, jd);
    TEST_CLOSE("degenerate shoulders: facing from the hips", opd + 3 * OP_NOSE, op + 3 * OP_NOSE, 3, 1e-6, 1.0);
    TEST_CLOSE("degenerate shoulders: ears from the hips", opd + 3 * OP_R_EAR, op + 3 * OP_R_EAR, 6, 1e-6, 1.0);
    /* Everything at one point: finite, and the face still 0.10 m from the head. */
    float jz[22 * 3];
    for (int i = 0; i < 66; i++) jz[i] = (i % 3) == 1 ? 1.0f : 0.5f;
    map_smpl22_to_op18(opd, NULL, jz);
    int finite = 1;
    for (int i = 0; i < 54; i++) finite &= isfinite(opd[i]) != 0;
    TEST_COND("collapsed pose: finite output", finite);
    TEST_CLOSE("collapsed pose: ears 0.15 m apart", &(float){dist(opd + 3 * OP_L_EAR, opd + 3 * OP_R_EAR)},
               &(float){0.15f}, 1, 1e-5, 1.0);

    /* Sequence = per frame. */
    enum { T = 5 };
    float js[T * 66], ops[T * 54], one[54];
    for (int t = 0; t < T; t++)
        rigid(js + 66 * t, j, 22, quat_axis_angle(v3_make(0.2f * t, 1, 0.1f), 0.9f * t), v3_make(0.1f * t, 0, -0.2f * t));
    map_smpl22_to_op18_seq(ops, js, T);
    int eq = 1;
    for (int t = 0; t < T; t++) {
        map_smpl22_to_op18(one, NULL, js + 66 * t);
        eq &= memcmp(one, ops + 54 * t, sizeof one) == 0;
    }
    TEST_COND("sequence version equals per-frame", eq);
}

/* A standing BlazePose figure facing +Z, Y up, left at +X (landmark order of bp33_names). */
static void bp_pose(float *bp) {
    static const float left[][4] = {
        /* index, x, y, z for the person's left side and the middle; right side mirrored */
        {0, 0, 1.62f, 0.10f},       {1, 0.015f, 1.66f, 0.085f}, {2, 0.03f, 1.66f, 0.08f},  {3, 0.045f, 1.66f, 0.075f},
        {7, 0.075f, 1.64f, -0.01f}, {9, 0.025f, 1.57f, 0.09f},  {11, 0.19f, 1.42f, 0},     {13, 0.22f, 1.15f, 0},
        {15, 0.23f, 0.90f, 0.03f},  {17, 0.24f, 0.82f, 0.03f},  {19, 0.23f, 0.81f, 0.05f}, {21, 0.21f, 0.85f, 0.06f},
        {23, 0.12f, 0.95f, 0},      {25, 0.11f, 0.52f, 0.02f},  {27, 0.10f, 0.09f, 0},     {29, 0.10f, 0.03f, -0.05f},
        {31, 0.11f, 0.01f, 0.15f}};
    static const int mirror[33] = {0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15,
                                   18, 17, 20, 19, 22, 21, 24, 23, 26, 25, 28, 27, 30, 29, 32, 31};
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        int k = (int)left[i][0], m = mirror[k];
        bp[3 * k] = left[i][1], bp[3 * k + 1] = left[i][2], bp[3 * k + 2] = left[i][3];
        bp[3 * m] = -left[i][1], bp[3 * m + 1] = left[i][2], bp[3 * m + 2] = left[i][3];
    }
}

static void test_bp_to_op(void) {
    float bp[33 * 3], vis[33], op[18 * 3], conf[18];
    bp_pose(bp);
    for (int i = 0; i < 33; i++) vis[i] = 0.5f + 0.01f * i;
    map_bp33_to_op18(op, conf, bp, vis);
    /* Every OpenPose joint but the neck has a BlazePose landmark of the same name. */
    int found = 0, pos_ok = 1, conf_ok = 1;
    for (int k = 0; k < 18; k++)
        for (int i = 0; i < 33; i++)
            if (strcmp(op18_names[k], bp33_names[i]) == 0) {
                found++;
                pos_ok &= memcmp(op + 3 * k, bp + 3 * i, 12) == 0;
                conf_ok &= conf[k] == vis[i];
            }
    TEST_COND("17 joints found by name", found == 17);
    TEST_COND("points from the landmark of the same name", pos_ok);
    TEST_COND("confidence = that landmark's visibility", conf_ok);
    float neck[3] = {0, 1.42f, 0};
    TEST_CLOSE("neck = middle of the shoulders", op + 3 * OP_NECK, neck, 3, 1e-7, 1.0);
    TEST_COND("neck confidence = min of the shoulders (left lower)", conf[OP_NECK] == vis[11]);
    vis[12] = 0.2f;
    map_bp33_to_op18(op, conf, bp, vis);
    TEST_COND("neck confidence = min of the shoulders (right lower)", conf[OP_NECK] == 0.2f);
    map_bp33_to_op18(op, conf, bp, NULL);
    int ones = 1;
    for (int k = 0; k < 18; k++) ones &= conf[k] == 1.0f;
    TEST_COND("no visibilities: confidence 1", ones);
    TEST_COND("OpenPose right = person's right (-X), eyes and ears too",
              op[3 * OP_R_SHOULDER] < 0 && op[3 * OP_L_SHOULDER] > 0 && op[3 * OP_R_EYE] < 0 && op[3 * OP_L_EYE] > 0 &&
                  op[3 * OP_R_EAR] < 0 && op[3 * OP_L_EAR] > 0 && op[3 * OP_R_HIP] < 0);
    map_bp33_to_op18(op, NULL, bp, vis); /* conf may be NULL */
    TEST_COND("conf NULL accepted", op[3 * OP_NOSE + 2] == 0.10f);
}

static void test_bp_to_smpl(void) {
    float bp[33 * 3], j[22 * 3];
    bp_pose(bp);
    map_bp33_to_smpl22(j, bp);
    float pelvis[3] = {0, 0.95f, 0};
    TEST_CLOSE("pelvis = middle of the hips", j, pelvis, 3, 1e-7, 1.0);
    TEST_CLOSE("left hip 80% of the way out", &(float){dist(j + 3 * J_L_HIP, j)}, &(float){0.8f * 0.12f}, 1, 1e-6, 1.0);
    TEST_COND("hips inside the BlazePose hips", j[3 * J_L_HIP] > 0 && j[3 * J_L_HIP] < bp[3 * 23] &&
                                                    j[3 * J_R_HIP] < 0 && j[3 * J_R_HIP] > bp[3 * 24]);
    static const int copies[10][2] = {{J_L_KNEE, 25},     {J_R_KNEE, 26},     {J_L_ANKLE, 27}, {J_R_ANKLE, 28},
                                      {J_L_SHOULDER, 11}, {J_R_SHOULDER, 12}, {J_L_ELBOW, 13}, {J_R_ELBOW, 14},
                                      {J_L_WRIST, 15},    {J_R_WRIST, 16}};
    int same = 1;
    for (int i = 0; i < 10; i++) same &= memcmp(j + 3 * copies[i][0], bp + 3 * copies[i][1], 12) == 0;
    TEST_COND("knees, ankles, shoulders, elbows, wrists copied", same);
    int lr = 1;
    static const int left[8] = {J_L_HIP, J_L_KNEE, J_L_ANKLE, J_L_FOOT, J_L_COLLAR, J_L_SHOULDER, J_L_ELBOW, J_L_WRIST};
    for (int i = 0; i < 8; i++) lr &= j[3 * left[i]] > 0 && j[3 * (left[i] + 1)] < 0; /* right = left + 1 */
    TEST_COND("SMPL left joints at +X, right at -X", lr);
    /* Up the spine: pelvis < spine1 < spine2 < spine3 < shoulders < neck < head. */
    TEST_COND("spine order", j[1] < j[3 * 3 + 1] && j[3 * 3 + 1] < j[3 * 6 + 1] && j[3 * 6 + 1] < j[3 * 9 + 1] &&
                                 j[3 * 9 + 1] < 1.42f && 1.42f < j[3 * 12 + 1] && j[3 * 12 + 1] < j[3 * 15 + 1]);
    float spine3_y = 0.95f + 0.71f * (1.42f - 0.95f);
    TEST_CLOSE("spine3 at 0.71 of mid-hips -> mid-shoulders", j + 3 * 9 + 1, &spine3_y, 1, 1e-6, 1.0);
    float head[3] = {0, 1.64f, -0.01f};
    TEST_CLOSE("head = middle of the ears", j + 3 * J_HEAD, head, 3, 1e-6, 1.0);
    TEST_COND("collars between the neck and the shoulders",
              j[3 * J_L_COLLAR] > 0 && j[3 * J_L_COLLAR] < 0.19f && j[3 * J_R_COLLAR] < 0 && j[3 * J_R_COLLAR] > -0.19f);
    float lfoot[3] = {0.1075f, 0.03f, 0.1125f};
    TEST_CLOSE("left foot 3/4 of the way to the toe", j + 3 * J_L_FOOT, lfoot, 3, 1e-6, 1.0);

    /* The two paths to OpenPose agree on the joints both copy. */
    float op_a[54], op_b[54];
    map_bp33_to_op18(op_a, NULL, bp, NULL);
    map_smpl22_to_op18(op_b, NULL, j);
    static const int common[10] = {OP_R_SHOULDER, OP_R_ELBOW, OP_R_WRIST, OP_L_SHOULDER, OP_L_ELBOW,
                                   OP_L_WRIST,    OP_R_KNEE,  OP_R_ANKLE, OP_L_KNEE,     OP_L_ANKLE};
    int agree = 1;
    for (int i = 0; i < 10; i++) agree &= memcmp(op_a + 3 * common[i], op_b + 3 * common[i], 12) == 0;
    TEST_COND("BlazePose -> OpenPose = BlazePose -> SMPL-22 -> OpenPose on copied joints", agree);
    TEST_COND("synthesised nose in front, like BlazePose's", op_b[3 * OP_NOSE + 2] > 0.05f);

    /* HumanML3D's IK (shoulders minus hips) sees the mapped figure facing +Z. */
    float two[2 * 66], rq[8];
    memcpy(two, j, sizeof j), memcpy(two + 66, j, sizeof j);
    TEST_COND("root rotations", hml_root_rotations(rq, two, 2) == MOSA_OK);
    TEST_COND("mapped figure faces +Z for HumanML3D", fabsf(rq[4] - 1) < 1e-6f && fabsf(rq[6]) < 1e-3f);
}

int main(void) {
    test_smpl_to_op();
    test_bp_to_op();
    test_bp_to_smpl();
    return test_report();
}
