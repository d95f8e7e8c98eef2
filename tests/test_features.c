/* test_features.c: HumanML3D 263-d features (src/motion/features.c).
 *
 * Motions are built here by forward kinematics on mosa's default body (smpl22_bone_lengths):
 * walking with swinging legs and arms, a moving and bobbing root, turning. Checks:
 *   - round trip joints -> features -> joints: T-1 decoded frames equal frames 0..T-2 of the
 *     canonical input (or of the raw input shifted to the origin) to 1e-4 m, max over all frames
 *     and joints; the first root rotation is the identity (as HumanML3D's IK sets it);
 *   - canonicalization: floor at y = 0, frame 0's root at the x,z origin, frame 0 facing +Z,
 *     idempotent; features of a canonicalized motion do not depend on where and which way the
 *     motion started;
 *   - rotating a motion about Y leaves RIC, root velocities, local velocities and contacts alone
 *     (from row 1: row 0 is in the world frame);
 *   - a constant turn gives [0] = -(turn per frame)/2 away from the smoothing's edges;
 *   - foot contacts on planted and moving feet, on either side of the 0.002 threshold;
 *   - every value of a tiny hand-computed case (static-pose figure sliding along +Z), 6D included;
 *   - which facing each step uses (HumanML3D's IK: shoulders minus hips; canonicalization: hips
 *     plus shoulders), on a pose with the shoulders turned against the hips;
 *   - mean/std against closed-form values, the feat_bias scaling; argument and non-finite input
 *     errors. */
#include "motion/features.h"
#include "base/geom.h"
#include "test.h"

#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Motions by forward kinematics                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct { float m[9]; } mat3;

static mat3 m_rot(int axis, float a) {
    float c = cosf(a), s = sinf(a);
    mat3 r = {{1, 0, 0, 0, 1, 0, 0, 0, 1}};
    if (axis == 0) r.m[4] = c, r.m[5] = -s, r.m[7] = s, r.m[8] = c;
    if (axis == 1) r.m[0] = c, r.m[2] = s, r.m[6] = -s, r.m[8] = c;
    if (axis == 2) r.m[0] = c, r.m[1] = -s, r.m[3] = s, r.m[4] = c;
    return r;
}
static mat3 m_mul(mat3 a, mat3 b) {
    mat3 r;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            r.m[3 * i + k] = a.m[3 * i] * b.m[k] + a.m[3 * i + 1] * b.m[3 + k] + a.m[3 * i + 2] * b.m[6 + k];
    return r;
}
static v3 m_apply(mat3 a, v3 v) {
    return v3_make(a.m[0] * v.x + a.m[1] * v.y + a.m[2] * v.z, a.m[3] * v.x + a.m[4] * v.y + a.m[5] * v.z,
                   a.m[6] * v.x + a.m[7] * v.y + a.m[8] * v.z);
}

/* Anatomical rest direction of each bone (facing +Z, left at +X); its length comes from
 * smpl22_bone_lengths. */
static const float rest_dir[SMPL22_J][3] = {
    {0, 0, 0},      {1, -0.45f, 0}, {-1, -0.45f, 0}, {0, 1, -0.05f}, {0, -1, 0.02f}, {0, -1, 0.02f},
    {0, 1, 0.05f},  {0, -1, -0.04f}, {0, -1, -0.04f}, {0, 1, 0},      {0, -0.4f, 1}, {0, -0.4f, 1},
    {0, 1, 0.05f},  {1, 0.9f, 0},   {-1, 0.9f, 0},   {0, 1, 0.3f},   {1, 0.05f, 0}, {-1, 0.05f, 0},
    {0.05f, -1, 0}, {-0.05f, -1, 0}, {0, -1, 0.05f}, {0, -1, 0.05f}};

/* One frame: local rotations loc[22] (identity where NULL effect), root position, heading h
 * (forward = (sin h, 0, cos h)). */
static void fk(float *out /*(22,3)*/, const mat3 *loc, v3 root, float heading) {
    mat3 G[SMPL22_J];
    G[0] = m_mul(m_rot(1, heading), loc[0]);
    v3_store(out, root);
    for (int j = 1; j < SMPL22_J; j++) {
        int p = smpl22_parents[j];
        v3 off = v3_scale(v3_normalize(v3_load(rest_dir[j])), smpl22_bone_lengths[j]);
        v3_store(out + 3 * j, v3_add(v3_load(out + 3 * p), m_apply(G[p], off)));
        G[j] = m_mul(G[p], loc[j]);
    }
}

/* A walk of T frames: 0.9 Hz steps, legs, knees, arms and spine swinging, root bobbing, heading
 * going from h0 to h0 + turn along a smooth ramp, moving `step` metres per frame from `origin`;
 * the spine twists by `twist` radians with the steps (0: shoulders stay parallel to the hips). */
static void make_walk(float *j, int T, float h0, float turn, v3 origin, float step, float twist) {
    v3 pos = origin;
    for (int t = 0; t < T; t++) {
        float ph = 2 * (float)M_PI * 0.9f * t / 20, s = sinf(ph);
        float h = h0 + turn * (0.5f - 0.5f * cosf((float)M_PI * t / (T - 1)));
        mat3 loc[SMPL22_J];
        for (int k = 0; k < SMPL22_J; k++) loc[k] = m_rot(0, 0);
        loc[1] = m_rot(0, -0.45f * s), loc[2] = m_rot(0, 0.45f * s);
        loc[4] = m_rot(0, 0.6f * fmaxf(0, sinf(ph + 1.2f))), loc[5] = m_rot(0, 0.6f * fmaxf(0, -sinf(ph + 1.2f)));
        loc[7] = m_rot(0, 0.15f * cosf(ph)), loc[8] = m_rot(0, -0.15f * cosf(ph));
        loc[16] = m_mul(m_rot(2, -0.1f), m_rot(0, 0.35f * s)), loc[17] = m_mul(m_rot(2, 0.1f), m_rot(0, -0.35f * s));
        loc[18] = m_rot(0, -0.3f - 0.2f * s), loc[19] = m_rot(0, -0.3f + 0.2f * s);
        loc[3] = m_rot(1, twist * s), loc[12] = m_rot(0, 0.05f * sinf(2 * ph));
        fk(j + (size_t)t * 66, loc, v3_add(pos, v3_make(0, 0.03f * cosf(2 * ph), 0)), h);
        pos = v3_add(pos, v3_scale(v3_make(sinf(h), 0, cosf(h)), step));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double w = 0;
    for (size_t i = 0; i < n; i++) w = fmax(w, fabs((double)a[i] - b[i]));
    return w;
}

/* out = p - (p[0][0].x, 0, p[0][0].z) for every point of T frames. */
static void shift_to_root0(float *out, const float *p, int T) {
    v3 o = v3_make(p[0], 0, p[2]);
    for (size_t i = 0; i < (size_t)T * 22; i++) v3_store(out + 3 * i, v3_sub(v3_load(p + 3 * i), o));
}

static void rotate_y(float *out, const float *p, size_t npts, float a, v3 shift) {
    quat q = quat_axis_angle(v3_make(0, 1, 0), a);
    for (size_t i = 0; i < npts; i++) v3_store(out + 3 * i, v3_add(quat_rotate(q, v3_load(p + 3 * i)), shift));
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                       */
/* ------------------------------------------------------------------------------------------ */

enum { TW = 160 };
static float g_j[TW * 66], g_j2[TW * 66], g_c[TW * 66], g_e[TW * 66], g_dec[TW * 66];
static float g_f[TW * HML_DIM], g_f2[TW * HML_DIM], g_rq[TW * 4];

static void test_round_trip(void) {
    /* A turning walk that starts off-origin, above the floor and facing somewhere else. */
    make_walk(g_j, TW, 0.8f, 1.9f, v3_make(1.5f, 0.25f, -2.0f), 0.06f, 0.08f);
    TEST_COND("walk features", hml_features_from_joints(g_f, g_j, TW, 1) == MOSA_OK);
    TEST_COND("decode", hml_joints_from_features(g_dec, g_f, TW - 1) == MOSA_OK);
    TEST_COND("canonicalize", hml_canonicalize(g_c, g_j, TW) == MOSA_OK);
    TEST_COND("root rotations", hml_root_rotations(g_rq, g_c, TW) == MOSA_OK);
    /* r[0] is the identity (HumanML3D's root_quat[0] = 1); later ones are Y rotations. */
    TEST_COND("r[0] = identity", g_rq[0] == 1 && g_rq[1] == 0 && g_rq[2] == 0 && g_rq[3] == 0);
    int about_y = 1;
    for (int t = 1; t < TW; t++) about_y &= g_rq[4 * t + 1] == 0 && g_rq[4 * t + 3] == 0 && g_rq[4 * t] >= 0;
    TEST_COND("r[t] about Y, w >= 0", about_y);
    TEST_COND("the walk turns: r[T-1] far from identity", fabsf(g_rq[4 * (TW - 1) + 2]) > 0.5f);
    double err = max_abs_diff(g_dec, g_c, (size_t)(TW - 1) * 66);
    TEST_COND("round trip = canonical frames 0..T-2, < 1e-4 m", err < 1e-4);
    if (err >= 1e-4) printf("  round trip max error %.3g m\n", err);

    /* Without canonicalization: decoded = p - root0 xz of the raw motion. */
    TEST_COND("features raw", hml_features_from_joints(g_f2, g_j, TW, 0) == MOSA_OK);
    TEST_COND("decode raw", hml_joints_from_features(g_dec, g_f2, TW - 1) == MOSA_OK);
    shift_to_root0(g_e, g_j, TW);
    err = max_abs_diff(g_dec, g_e, (size_t)(TW - 1) * 66);
    TEST_COND("round trip (raw) = frames 0..T-2 shifted to the origin, < 1e-4 m", err < 1e-4);
    if (err >= 1e-4) printf("  raw round trip max error %.3g m\n", err);

    /* Decoding T rows gives T frames, each depending only on rows 0..t. */
    TEST_COND("decode prefix", hml_joints_from_features(g_e, g_f2, 10) == MOSA_OK);
    TEST_COND("prefix frames equal", memcmp(g_dec, g_e, 10 * 66 * sizeof(float)) == 0);

    /* A straight walk along +Z with the shoulders kept parallel to the hips: every root rotation
     * is the identity, and [0] is zero in every row. */
    make_walk(g_j, TW, 0, 0, v3_make(0, 0, 0), 0.05f, 0);
    TEST_COND("straight canonicalize", hml_canonicalize(g_c, g_j, TW) == MOSA_OK);
    TEST_COND("straight features", hml_features_from_joints(g_f, g_c, TW, 0) == MOSA_OK);
    TEST_COND("straight rq", hml_root_rotations(g_rq, g_c, TW) == MOSA_OK);
    double rq_err = 0, rv = 0;
    for (int t = 0; t < TW; t++) rq_err = fmax(rq_err, fabs(g_rq[4 * t] - 1.0));
    for (int t = 0; t < TW - 1; t++) rv = fmax(rv, fabs(g_f[t * HML_DIM]));
    TEST_COND("straight walk: root rotations identity", rq_err < 1e-6);
    TEST_COND("straight walk: no root angular velocity", rv < 1e-6);
    TEST_COND("straight decode", hml_joints_from_features(g_dec, g_f, TW - 1) == MOSA_OK);
    err = max_abs_diff(g_dec, g_c, (size_t)(TW - 1) * 66);
    TEST_COND("straight walk round trip < 1e-4 m", err < 1e-4);
}

static void test_canonical(void) {
    make_walk(g_j, TW, -2.4f, 1.0f, v3_make(-3.0f, 0.4f, 5.0f), 0.055f, 0.08f);
    TEST_COND("canonicalize", hml_canonicalize(g_c, g_j, TW) == MOSA_OK);
    float miny = 1e9f;
    for (int i = 0; i < TW * 22; i++) miny = fminf(miny, g_c[3 * i + 1]);
    TEST_COND("floor at y = 0", fabsf(miny) < 1e-6f);
    TEST_COND("frame 0 root at x,z origin", fabsf(g_c[0]) < 1e-5f && fabsf(g_c[2]) < 1e-5f);
    /* Forward of frame 0 with the correct order: up x ((r_hip - l_hip) + (r_sdr - l_sdr)). */
    v3 a = v3_add(v3_sub(v3_load(g_c + 3 * J_R_HIP), v3_load(g_c + 3 * J_L_HIP)),
                  v3_sub(v3_load(g_c + 3 * J_R_SHOULDER), v3_load(g_c + 3 * J_L_SHOULDER)));
    v3 fwd = v3_normalize(v3_cross(v3_make(0, 1, 0), a));
    TEST_COND("frame 0 faces +Z", fabsf(fwd.x) < 1e-5f && fwd.z > 0.9999f);
    TEST_COND("left hip at +X", g_c[3 * J_L_HIP] > 0 && g_c[3 * J_R_HIP] < 0);
    /* Root height is kept relative to the floor; bone lengths are kept. */
    v3 b0 = v3_sub(v3_load(g_j + 3 * 20), v3_load(g_j + 3 * 18)), b1 = v3_sub(v3_load(g_c + 3 * 20), v3_load(g_c + 3 * 18));
    TEST_CLOSE("bone length kept", &(float){v3_norm(b1)}, &(float){v3_norm(b0)}, 1, 1e-5, 1.0);
    TEST_COND("idempotent", hml_canonicalize(g_e, g_c, TW) == MOSA_OK);
    TEST_COND("idempotent values", max_abs_diff(g_e, g_c, (size_t)TW * 66) < 1e-5);
    /* In place. */
    memcpy(g_e, g_j, sizeof g_j);
    TEST_COND("in place", hml_canonicalize(g_e, g_e, TW) == MOSA_OK && memcmp(g_e, g_c, sizeof g_c) == 0);

    /* Features with canonicalization do not depend on the start: rotate, shift, lift. */
    TEST_COND("features A", hml_features_from_joints(g_f, g_j, TW, 1) == MOSA_OK);
    rotate_y(g_j2, g_j, (size_t)TW * 22, 2.2f, v3_make(7.0f, 1.3f, -4.0f));
    TEST_COND("features B", hml_features_from_joints(g_f2, g_j2, TW, 1) == MOSA_OK);
    TEST_CLOSE("canonical features independent of start", g_f2, g_f, (size_t)(TW - 1) * HML_DIM, 2e-4, 1.0);
    /* And equal to canonicalize-then-features. */
    TEST_COND("features C", hml_features_from_joints(g_f2, g_c, TW, 0) == MOSA_OK);
    TEST_COND("canonicalize flag = hml_canonicalize first", memcmp(g_f, g_f2, (size_t)(TW - 1) * HML_DIM * 4) == 0);
}

static void test_invariance(void) {
    make_walk(g_j, TW, 0.3f, 1.2f, v3_make(0.5f, 0, 0.5f), 0.06f, 0.08f);
    TEST_COND("features", hml_features_from_joints(g_f, g_j, TW, 0) == MOSA_OK);
    rotate_y(g_j2, g_j, (size_t)TW * 22, -1.3f, v3_make(2.0f, 0, -1.0f));
    TEST_COND("features rotated", hml_features_from_joints(g_f2, g_j2, TW, 0) == MOSA_OK);
    /* Row 0 uses r[0] = identity, so its [0], RIC and local velocities are in the world frame;
     * from row 1 on everything but the 6D part is invariant. Root linear velocity (rotated by
     * r[t+1]) and contacts are invariant in every row. */
    static const int from[5] = {HML_ROOT_ROT_VEL, HML_ROOT_LIN_VEL, HML_RIC, HML_LOCAL_VEL, HML_FOOT};
    static const int to[5] = {HML_ROOT_LIN_VEL, HML_RIC, HML_ROT6D, HML_FOOT, HML_DIM};
    static const int row0[5] = {1, 0, 1, 1, 0};
    static const char *what[5] = {"root rot vel [0]", "root lin vel and y [1:4]", "RIC [4:67]",
                                  "local velocity [193:259]", "foot contacts"};
    for (int g = 0; g < 5; g++) {
        double w = 0;
        for (int t = row0[g]; t < TW - 1; t++)
            w = fmax(w, max_abs_diff(g_f + t * HML_DIM + from[g], g_f2 + t * HML_DIM + from[g], (size_t)(to[g] - from[g])));
        char d[96];
        snprintf(d, sizeof d, "Y rotation + shift leaves %s unchanged", what[g]);
        TEST_COND(d, w < 2e-5);
        if (w >= 2e-5) printf("  %s: max change %.3g\n", what[g], w);
    }
    /* Row 0's RIC is the pose minus the root x,z, unrotated. */
    float ric0[63];
    for (int k = 1; k < 22; k++)
        for (int c = 0; c < 3; c++) ric0[3 * (k - 1) + c] = g_j2[3 * k + c] - (c == 1 ? 0 : g_j2[c]);
    TEST_CLOSE("row 0 RIC in the world frame", g_f2 + HML_RIC, ric0, 63, 1e-6, 1.0);
    /* RIC is really in the body frame: the figure's left hip is at +X in every row. */
    int left_ok = 1;
    for (int t = 1; t < TW - 1; t++) left_ok &= g_f[t * HML_DIM + HML_RIC + 0] > 0.03f && g_f[t * HML_DIM + HML_RIC + 3] < -0.03f;
    TEST_COND("RIC: left hip at +X, right hip at -X in every row from 1", left_ok);

    /* A constant turn in place: away from the ends (80 frames of smoothing), [0] = -dh/2, except
     * at the one step where the heading crosses pi (facing -Z), where HumanML3D's arcsin gives
     * +dh/2 (the quirk documented in features.h). Heading 0.4 + 0.02 t crosses pi at t = 137.1. */
    enum { TS = 240 };
    static float js[TS * 66], fs[TS * HML_DIM];
    float dh = 0.02f;
    mat3 loc[SMPL22_J];
    for (int k = 0; k < SMPL22_J; k++) loc[k] = m_rot(0, 0);
    for (int t = 0; t < TS; t++) fk(js + t * 66, loc, v3_make(0.3f, 0.9f, -0.2f), 0.4f + dh * t);
    TEST_COND("spin features", hml_features_from_joints(fs, js, TS, 0) == MOSA_OK);
    double w0 = 0, wv = 0;
    int flipped = -1, nflipped = 0;
    for (int t = 80; t < TS - 81; t++) {
        if (fabsf(fs[t * HML_DIM] - dh / 2) < 2e-6f) flipped = t, nflipped++;
        else w0 = fmax(w0, fabs(fs[t * HML_DIM] - (-dh / 2)));
        wv = fmax(wv, fabs(fs[t * HML_DIM + 1]) + fabs(fs[t * HML_DIM + 2]));
    }
    TEST_COND("constant turn: [0] = -dh/2 away from the ends", w0 < 2e-6);
    if (w0 >= 2e-6) printf("  constant turn: max error %.3g\n", w0);
    TEST_COND("constant turn: sign flips only at the step crossing -Z (row 137)", nflipped == 1 && flipped == 137);
    TEST_COND("turn in place: no root linear velocity", wv < 1e-6);
}

static void test_foot_contacts(void) {
    /* 4 frames: left foot and ankle planted, right ones moving 0.05 m/frame (0.0025 > 0.002),
     * then 0.04 m/frame (0.0016 < 0.002), then 0.0447 (0.001998). */
    static float j[4 * 66], c[3 * 4];
    for (int t = 0; t < 4; t++)
        for (int k = 0; k < 66; k++) j[t * 66 + k] = (float)k * 0.01f;
    static const float dz[3] = {0.05f, 0.04f, 0.0447f};
    float z = 0;
    for (int t = 1; t < 4; t++) {
        z += dz[t - 1];
        j[t * 66 + 3 * J_R_ANKLE + 2] += z, j[t * 66 + 3 * J_R_FOOT + 2] += z;
    }
    hml_foot_contacts(c, j, 4, HML_FEET_THRESH);
    static const float want[12] = {1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    TEST_COND("contacts: planted 1, moving 0, below threshold 1", memcmp(c, want, sizeof want) == 0);
    hml_foot_contacts(c, j, 4, 0.0015f);
    TEST_COND("contacts: threshold is a parameter", c[4 + 2] == 0 && c[8 + 2] == 0 && c[4] == 1);
    /* Vertical and sideways motion count too. */
    j[66 + 3 * J_L_FOOT + 1] += 0.06f;
    j[66 + 3 * J_L_ANKLE + 0] += 0.03f;
    hml_foot_contacts(c, j, 4, HML_FEET_THRESH);
    TEST_COND("contacts: lifted foot 0, small sideways move 1", c[1] == 0 && c[0] == 1 && c[5] == 0);
    /* Features carry the same numbers in [259:263] (order l_ankle, l_foot, r_ankle, r_foot). */
    make_walk(g_j, TW, 0.3f, 0.5f, v3_make(0, 0, 0), 0.06f, 0.08f);
    static float cc[TW * 4];
    hml_foot_contacts(cc, g_j, TW, HML_FEET_THRESH);
    TEST_COND("features", hml_features_from_joints(g_f, g_j, TW, 1) == MOSA_OK);
    int same = 1, n1 = 0;
    for (int t = 0; t < TW - 1; t++)
        for (int i = 0; i < 4; i++) same &= g_f[t * HML_DIM + HML_FOOT + i] == cc[4 * t + i], n1 += cc[4 * t + i] > 0;
    TEST_COND("feature contacts = hml_foot_contacts", same);
    TEST_COND("a walk has both planted and moving feet", n1 > 40 && n1 < 4 * (TW - 1) - 40);
}

/* A static pose with every bone along a known direction, sliding +Z by `dz` per frame. */
static void hand_pose(float *j, int T, float dz) {
    static const float p[22][3] = {
        {0, 1, 0},         {0.1f, 1, 0},       {-0.1f, 1, 0},      {0, 1.1f, 0},       {0.1f, 0.55f, 0},
        {-0.1f, 0.55f, 0}, {0, 1.25f, 0},      {0.1f, 0.1f, 0},    {-0.1f, 0.1f, 0},   {0, 1.35f, 0},
        {0.1f, 0, 0.1f},   {-0.1f, 0.1f, 0.15f}, {0, 1.55f, 0},    {0.1f, 1.45f, 0},   {-0.1f, 1.45f, 0},
        {0, 1.65f, 0},     {0.2f, 1.45f, 0},   {-0.2f, 1.45f, 0},  {0.2f, 1.15f, 0},   {-0.2f, 1.15f, 0},
        {0.2f, 0.9f, 0},   {-0.2f, 0.9f, 0}};
    for (int t = 0; t < T; t++)
        for (int k = 0; k < 22; k++)
            j[t * 66 + 3 * k] = p[k][0], j[t * 66 + 3 * k + 1] = p[k][1], j[t * 66 + 3 * k + 2] = p[k][2] + dz * t;
}

static void test_hand_case(void) {
    static float j[3 * 66], f[2 * HML_DIM], want[HML_DIM];
    hand_pose(j, 3, 0.05f);
    const float r = 0.70710678f;
    /* 6D (m00 m10 m20 m01 m11 m21) of the local rotations, derived by hand:
     * identity where the bone points along its raw offset and the parent's global rotation is
     * the identity; L foot: (0,0,1) -> (0,-1,1)/sqrt2 is Rx(45); head: (0,0,1) -> up is Rx(-90);
     * L collar: (1,0,0) -> (1,1,0)/sqrt2 is Rz(45) (the arm chains start from the root); L
     * shoulder: global Rz(90) ((0,-1,0) -> +X), local Rz(-45) Rz(90) = Rz(45); L elbow: global I,
     * local Rz(-90); right side mirrored; R foot along +Z: identity. */
    static const float I6[6] = {1, 0, 0, 0, 1, 0};
    float rot6[22][6];
    for (int k = 0; k < 22; k++) memcpy(rot6[k], I6, sizeof I6);
    const float lfoot[6] = {1, 0, 0, 0, r, r}, head[6] = {1, 0, 0, 0, 0, -1};
    const float rz45[6] = {r, r, 0, -r, r, 0}, rzm45[6] = {r, -r, 0, r, r, 0};
    const float rzm90[6] = {0, -1, 0, 1, 0, 0}, rz90[6] = {0, 1, 0, -1, 0, 0};
    memcpy(rot6[10], lfoot, 24), memcpy(rot6[15], head, 24);
    memcpy(rot6[13], rz45, 24), memcpy(rot6[16], rz45, 24), memcpy(rot6[18], rzm90, 24);
    memcpy(rot6[14], rzm45, 24), memcpy(rot6[17], rzm45, 24), memcpy(rot6[19], rz90, 24);
    for (int canon = 0; canon < 2; canon++) {
        TEST_COND("hand case features", hml_features_from_joints(f, j, 3, canon) == MOSA_OK);
        for (int t = 0; t < 2; t++) {
            memset(want, 0, sizeof want);
            want[HML_ROOT_LIN_VEL + 1] = 0.05f; /* [1:3] = (0, 0.05) */
            want[HML_ROOT_Y] = 1.0f;
            for (int k = 1; k < 22; k++) /* RIC: the pose relative to the root's x,z */
                for (int c = 0; c < 3; c++) want[HML_RIC + 3 * (k - 1) + c] = j[3 * k + c] - (c == 1 ? 0 : j[c]);
            for (int k = 1; k < 22; k++) memcpy(want + HML_ROT6D + 6 * (k - 1), rot6[k], 24);
            for (int k = 0; k < 22; k++) want[HML_LOCAL_VEL + 3 * k + 2] = 0.05f;
            /* 0.05^2 = 0.0025 > 0.002: no contacts. */
            char d[64];
            snprintf(d, sizeof d, "hand case row %d (canonicalize %d)", t, canon);
            TEST_CLOSE(d, f + t * HML_DIM, want, HML_DIM, 2e-6, 1.0);
        }
    }
    hand_pose(j, 3, 0.04f);
    TEST_COND("hand case slow", hml_features_from_joints(f, j, 3, 0) == MOSA_OK);
    TEST_COND("0.04 m/frame: all four contacts", f[HML_FOOT] == 1 && f[HML_FOOT + 3] == 1 && f[HML_DIM + HML_FOOT + 1] == 1);
    TEST_CLOSE("0.04 m/frame: root velocity", f + HML_ROOT_LIN_VEL, ((float[]){0, 0.04f}), 2, 1e-6, 1.0);
    /* Decoding the two rows gives frames 0 and 1 exactly (r[0] is the identity here). */
    static float dec[2 * 66];
    TEST_COND("hand case decode", hml_joints_from_features(dec, f, 2) == MOSA_OK);
    TEST_CLOSE("hand case decode = frames 0, 1", dec, j, 2 * 66, 1e-6, 1.0);
}

/* Which facing each step uses, on a pose whose shoulders are turned 30 degrees against the hips:
 * hips across (0.2, 0, 0), shoulders right - left = (-0.3464, 0, 0.2). The root rotations use
 * inverse_kinematics_np's (left_hip - right_hip) + (right_sdr - left_sdr) = (-0.1464, 0, 0.2),
 * forward = up x across = (0.2, 0, 0.1464): heading atan2(0.2, 0.1464) = 53.8 degrees.
 * Canonicalization uses process_file's (right_hip - left_hip) + (right_sdr - left_sdr) =
 * (-0.5464, 0, 0.2), forward (0.2, 0, 0.5464): heading 20.1 degrees. */
static void test_facing_conventions(void) {
    static float j[2 * 66], rq[8], c[2 * 66];
    hand_pose(j, 2, 0);
    const float s30 = 0.5f, c30 = 0.86602540f;
    for (int t = 0; t < 2; t++) {
        float *f = j + 66 * t;
        f[3 * J_L_SHOULDER] = 0.2f * c30, f[3 * J_L_SHOULDER + 2] = -0.2f * s30;
        f[3 * J_R_SHOULDER] = -0.2f * c30, f[3 * J_R_SHOULDER + 2] = 0.2f * s30;
    }
    TEST_COND("root rotations", hml_root_rotations(rq, j, 2) == MOSA_OK);
    double h_ik = atan2(0.2, 0.4 * c30 - 0.2), h_pf = atan2(0.2, 0.4 * c30 + 0.2);
    float want_ik[4] = {(float)cos(h_ik / 2), 0, (float)-sin(h_ik / 2), 0};
    TEST_CLOSE("r[1] from shoulders minus hips (53.8 deg)", rq + 4, want_ik, 4, 1e-6, 1.0);
    TEST_COND("canonicalize", hml_canonicalize(c, j, 2) == MOSA_OK);
    /* The canonical pose is the input turned by -20.1 degrees about Y (frame 0's root at x,z 0). */
    quat q = quat_axis_angle(v3_make(0, 1, 0), (float)-h_pf);
    float want[3];
    v3_store(want, quat_rotate(q, v3_load(j + 3 * J_R_SHOULDER))); /* the left foot is at y = 0 already */
    TEST_CLOSE("canonicalize turns by the hips + shoulders facing (20.1 deg)", c + 3 * J_R_SHOULDER, want, 3, 1e-6, 1.0);
}

static void test_mean_std(void) {
    /* x[row][d] = d * v[row] with v = 0, 2, 4 over the rows of two sequences: mean 2d, std
     * d * sqrt(8/3); a group's std is sqrt(8/3) times the mean of its d. A third sequence with a
     * NaN is skipped. */
    static float a[2 * HML_DIM], b[HML_DIM], c[HML_DIM], mean[HML_DIM], std[HML_DIM];
    for (int d = 0; d < HML_DIM; d++) a[d] = 0, a[HML_DIM + d] = 2.0f * d, b[d] = 4.0f * d, c[d] = 1000.0f;
    c[17] = NAN;
    const float *seqs[3] = {a, c, b};
    int lens[3] = {2, 1, 1};
    TEST_COND("mean_std", hml_mean_std(mean, std, seqs, lens, 3) == MOSA_OK);
    static const int g[8] = {0, 1, 3, 4, 67, 193, 259, 263};
    float wm[HML_DIM], ws[HML_DIM];
    for (int k = 0; k < 7; k++)
        for (int d = g[k]; d < g[k + 1]; d++)
            wm[d] = 2.0f * d, ws[d] = (float)(sqrt(8.0 / 3.0) * 0.5 * (g[k] + g[k + 1] - 1));
    TEST_CLOSE("mean", mean, wm, HML_DIM, 1e-6, 1.0);
    TEST_CLOSE("std averaged per group", std, ws, HML_DIM, 1e-6, 1.0);
    TEST_COND("root rot vel std = 0 (one dim, d = 0)", std[0] == 0);
    /* feat_bias: [0:4] and [259:263] divided, the rest untouched. */
    float sb[HML_DIM];
    memcpy(sb, std, sizeof sb);
    hml_std_apply_feat_bias(sb, 5.0f);
    int fb = 1;
    for (int d = 0; d < HML_DIM; d++) fb &= sb[d] == ((d < 4 || d >= 259) ? std[d] / 5.0f : std[d]);
    TEST_COND("feat_bias divides root and foot-contact stds only", fb && sb[1] != std[1] && sb[260] != std[260]);
    int bad[1] = {-1};
    TEST_COND("negative length refused", hml_mean_std(mean, std, seqs, bad, 1) == MOSA_ERR_ARG);
    TEST_COND("n = 0 refused", hml_mean_std(mean, std, seqs, lens, 0) == MOSA_ERR_ARG);
    const float *only_nan[1] = {c};
    int one[1] = {1};
    TEST_COND("only NaN rows refused", hml_mean_std(mean, std, only_nan, one, 1) == MOSA_ERR_ARG &&
                                           strstr(mosa_last_error(), "NaN") != NULL);
}

static void test_errors(void) {
    static float j[2 * 66], f[2 * HML_DIM];
    hand_pose(j, 2, 0.01f);
    TEST_COND("T = 1 refused", hml_features_from_joints(f, j, 1, 0) == MOSA_ERR_ARG &&
                                   strstr(mosa_last_error(), "need 2") != NULL);
    TEST_COND("T huge refused before allocating", hml_features_from_joints(f, j, HML_FEAT_MAX_FRAMES + 1, 0) == MOSA_ERR_ARG);
    TEST_COND("negative T refused", hml_joints_from_features(j, f, -3) == MOSA_ERR_ARG);
    TEST_COND("T = 0 decode refused", hml_joints_from_features(j, f, 0) == MOSA_ERR_ARG);
    TEST_COND("canonicalize T = 0 refused", hml_canonicalize(j, j, 0) == MOSA_ERR_ARG);
    j[66 + 3 * 7 + 1] = NAN;
    TEST_COND("NaN joint refused", hml_features_from_joints(f, j, 2, 1) == MOSA_ERR_ARG &&
                                       strstr(mosa_last_error(), "NaN") != NULL &&
                                       strstr(mosa_last_error(), "row 1") != NULL);
    j[66 + 3 * 7 + 1] = INFINITY;
    TEST_COND("inf joint refused", hml_root_rotations(f, j, 2) == MOSA_ERR_ARG &&
                                       strstr(mosa_last_error(), "infinite") != NULL);
    hand_pose(j, 2, 0.01f);
    TEST_COND("features ok", hml_features_from_joints(f, j, 2, 0) == MOSA_OK);
    f[HML_RIC + 5] = NAN;
    TEST_COND("NaN feature refused", hml_joints_from_features(j, f, 1) == MOSA_ERR_ARG);
    /* Degenerate input (all joints at one point) gives finite features, not NaN. */
    static float z[3 * 66], fz[2 * HML_DIM];
    memset(z, 0, sizeof z);
    TEST_COND("degenerate pose accepted", hml_features_from_joints(fz, z, 3, 1) == MOSA_OK);
    int finite = 1;
    for (int i = 0; i < 2 * HML_DIM; i++) finite &= isfinite(fz[i]) != 0;
    TEST_COND("degenerate pose: finite features", finite);
}

int main(void) {
    test_round_trip();
    test_canonical();
    test_invariance();
    test_foot_contacts();
    test_hand_case();
    test_facing_conventions();
    test_mean_std();
    test_errors();
    return test_report();
}
