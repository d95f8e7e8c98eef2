/* features.c: HumanML3D 263-d features from joints and back (see features.h for the layout and
 * the conventions kept from motion_representation.ipynb).
 *
 * This is the feature math only: no files are read or written here (.npy files are src/io's
 * business). Geometry is float32 as in the notebook's torch calls; the facing smoothing and the
 * decoder's running sums are accumulated in double. */
#include "features.h"

#include "../base/geom.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

enum { HML__SMOOTH_RADIUS = 4 * HML_SMOOTH_SIGMA }; /* scipy: int(truncate * sigma + 0.5), truncate 4 */

static mosa_status hml__check_frames(const char *fn, int T, int min_T) {
    if (T < min_T || T > HML_FEAT_MAX_FRAMES)
        return mosa_fail(MOSA_ERR_ARG, "%s: %d frames given; need %d to %d frames (T,22,3)", fn, T, min_T,
                         (int)HML_FEAT_MAX_FRAMES);
    return MOSA_OK;
}

/* Fails naming the first non-finite value of x (n floats of rows of `row` floats). */
static mosa_status hml__check_finite(const char *fn, const char *what, const float *x, size_t n, int row) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return mosa_fail(MOSA_ERR_ARG, "%s: %s value %zu (row %zu, column %zu) is %s; pass finite values", fn,
                             what, i, i / (size_t)row, i % (size_t)row, isnan(x[i]) ? "NaN" : "infinite");
    return MOSA_OK;
}

static v3 hml__joint(const float *p, int t, int j) { return v3_load(p + ((size_t)t * SMPL22_J + j) * 3); }

/* quaternion_to_matrix (scaled by 2/|q|^2 as in the notebook) -> continuous 6D: the first two
 * columns of the row-major matrix, m00 m10 m20 m01 m11 m21. */
static void hml__quat_to_cont6d(float *o, quat q) {
    float s = 2.0f / (q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
    o[0] = 1 - s * (q.y * q.y + q.z * q.z);
    o[1] = s * (q.x * q.y + q.z * q.w);
    o[2] = s * (q.x * q.z - q.y * q.w);
    o[3] = s * (q.x * q.y - q.z * q.w);
    o[4] = 1 - s * (q.x * q.x + q.z * q.z);
    o[5] = s * (q.y * q.z + q.x * q.w);
}

/* Local rotations of one frame as Skeleton.inverse_kinematics_np: along each kinematic chain,
 * starting every chain (the arm chains too) from the root rotation R, the bone to joint b gets
 * the global rotation qbetween(raw_offset[b], bone direction) and the local rotation
 * R_parent^-1 * global. ql[0] is the root rotation itself. p is (22,3). */
static void hml__ik(quat *ql /*22*/, const float *p, quat root) {
    for (int j = 0; j < SMPL22_J; j++) ql[j] = quat_identity();
    ql[0] = root;
    for (int c = 0; c < 5; c++) {
        quat R = root;
        for (int k = 0; k + 1 < 6 && smpl22_chains[c][k + 1] >= 0; k++) {
            int a = smpl22_chains[c][k], b = smpl22_chains[c][k + 1];
            v3 bone = v3_sub(v3_load(p + 3 * b), v3_load(p + 3 * a));
            float len = v3_norm(bone);
            /* A zero-length bone (Python: NaN) keeps its parent's rotation. */
            quat g = len > 1e-12f ? quat_between(v3_load(smpl22_raw_offsets[b]), v3_scale(bone, 1.0f / len)) : R;
            quat loc = quat_mul(quat_conj(R), g);
            ql[b] = loc;
            R = quat_mul(R, loc);
        }
    }
}

/* The Y rotation taking a horizontal direction f to +Z: qbetween(f, [0,0,1]) of the notebook,
 * (cos(h/2), 0, -sin(h/2), 0) for the heading h = atan2(f.x, f.z) in [-pi, pi] (so w >= 0, as
 * qbetween gives), computed from the angle so that it stays accurate near h = +-pi where
 * qbetween's w = 1 + cos h cancels. The identity when f is zero. */
static quat hml__face_to_z(double fx, double fz) {
    if (!(fx * fx + fz * fz > 1e-18)) return quat_identity();
    double h = atan2(fx, fz);
    quat q = {(float)cos(0.5 * h), 0.0f, (float)-sin(0.5 * h), 0.0f};
    return q;
}

/* ------------------------------------------------------------------------------------------ */
/* Canonicalization and root rotations                                                        */
/* ------------------------------------------------------------------------------------------ */

mosa_status hml_canonicalize(float *out, const float *joints, int T) {
    MOSA_TRY(hml__check_frames("hml_canonicalize", T, 1));
    size_t n = (size_t)T * SMPL22_J * 3;
    MOSA_TRY(hml__check_finite("hml_canonicalize", "joint", joints, n, SMPL22_J * 3));
    /* Put on floor: the lowest y over all frames and joints. */
    float floor_y = joints[1];
    for (size_t i = 1; i < n; i += 3) floor_y = fminf(floor_y, joints[i]);
    /* XZ at origin: frame 0's root. */
    v3 shift = v3_make(joints[0], floor_y, joints[2]);
    /* Facing of frame 0 with the correct order: (r_hip - l_hip) + (r_shoulder - l_shoulder). */
    v3 across = v3_add(v3_sub(hml__joint(joints, 0, J_R_HIP), hml__joint(joints, 0, J_L_HIP)),
                       v3_sub(hml__joint(joints, 0, J_R_SHOULDER), hml__joint(joints, 0, J_L_SHOULDER)));
    across = v3_normalize(across);
    quat q = hml__face_to_z(across.z, -across.x); /* up x across = (a.z, 0, -a.x) */
    for (size_t i = 0; i < n; i += 3) {
        v3 v = v3_sub(v3_load(joints + i), shift);
        v3_store(out + i, quat_rotate(q, v));
    }
    return MOSA_OK;
}

/* Root rotations without argument checks; fwd is (T,2) double scratch (forward x, z). */
static void hml__root_rotations(quat *rq, double *fwd, const float *p, int T) {
    /* Unsmoothed forward per frame: up x normalize(across), across as inverse_kinematics_np
     * computes it (hips in swapped order, see features.h). */
    for (int t = 0; t < T; t++) {
        v3 across = v3_add(v3_sub(hml__joint(p, t, J_L_HIP), hml__joint(p, t, J_R_HIP)),
                           v3_sub(hml__joint(p, t, J_R_SHOULDER), hml__joint(p, t, J_L_SHOULDER)));
        across = v3_normalize(across); /* zero stays zero: contributes nothing to the smoothing */
        fwd[2 * t + 0] = across.z; /* up x across = (a.z, 0, -a.x) */
        fwd[2 * t + 1] = -across.x;
    }
    /* gaussian_filter1d(forward, 20, axis=0, mode='nearest'): weights exp(-x^2 / (2 sigma^2)) on
     * -80..80, normalized; indices clamped to the ends. */
    double w[2 * HML__SMOOTH_RADIUS + 1], wsum = 0;
    for (int k = -HML__SMOOTH_RADIUS; k <= HML__SMOOTH_RADIUS; k++) {
        w[k + HML__SMOOTH_RADIUS] = exp(-0.5 * (double)k * k / ((double)HML_SMOOTH_SIGMA * HML_SMOOTH_SIGMA));
        wsum += w[k + HML__SMOOTH_RADIUS];
    }
    for (int t = 0; t < T; t++) {
        double fx = 0, fz = 0;
        for (int k = -HML__SMOOTH_RADIUS; k <= HML__SMOOTH_RADIUS; k++) {
            int s = t + k < 0 ? 0 : t + k >= T ? T - 1 : t + k;
            fx += w[k + HML__SMOOTH_RADIUS] * fwd[2 * s + 0];
            fz += w[k + HML__SMOOTH_RADIUS] * fwd[2 * s + 1];
        }
        rq[t] = hml__face_to_z(fx / wsum, fz / wsum);
    }
    /* inverse_kinematics_np sets root_quat[0] to the identity (HumanML3D common/skeleton.py since
     * 3bbfc2e; the released new_joint_vecs match this and not the smoothed value). */
    rq[0] = quat_identity();
}

mosa_status hml_root_rotations(float *rq, const float *joints, int T) {
    MOSA_TRY(hml__check_frames("hml_root_rotations", T, 1));
    MOSA_TRY(hml__check_finite("hml_root_rotations", "joint", joints, (size_t)T * SMPL22_J * 3, SMPL22_J * 3));
    quat *q = mosa_malloc((size_t)T * sizeof(quat));
    double *fwd = mosa_malloc((size_t)T * 2 * sizeof(double));
    if (!q || !fwd) {
        mosa_free(q), mosa_free(fwd);
        return mosa_fail(MOSA_ERR_NOMEM, "hml_root_rotations: out of memory for %d frames", T);
    }
    hml__root_rotations(q, fwd, joints, T);
    for (int t = 0; t < T; t++) rq[4 * t] = q[t].w, rq[4 * t + 1] = q[t].x, rq[4 * t + 2] = q[t].y, rq[4 * t + 3] = q[t].z;
    mosa_free(q), mosa_free(fwd);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Features                                                                                    */
/* ------------------------------------------------------------------------------------------ */

void hml_foot_contacts(float *contacts, const float *joints, int T, float thresh) {
    static const int feet[4] = {J_L_ANKLE, J_L_FOOT, J_R_ANKLE, J_R_FOOT};
    for (int t = 0; t + 1 < T; t++)
        for (int i = 0; i < 4; i++) {
            v3 d = v3_sub(hml__joint(joints, t + 1, feet[i]), hml__joint(joints, t, feet[i]));
            contacts[4 * t + i] = d.x * d.x + d.y * d.y + d.z * d.z < thresh ? 1.0f : 0.0f;
        }
}

mosa_status hml_features_from_joints(float *feat, const float *joints, int T, int canonicalize) {
    MOSA_TRY(hml__check_frames("hml_features_from_joints", T, 2));
    size_t n = (size_t)T * SMPL22_J * 3;
    MOSA_TRY(hml__check_finite("hml_features_from_joints", "joint", joints, n, SMPL22_J * 3));
    float *p = mosa_malloc(n * sizeof(float));
    quat *rq = mosa_malloc((size_t)T * sizeof(quat));
    double *fwd = mosa_malloc((size_t)T * 2 * sizeof(double));
    if (!p || !rq || !fwd) {
        mosa_free(p), mosa_free(rq), mosa_free(fwd);
        return mosa_fail(MOSA_ERR_NOMEM, "hml_features_from_joints: out of memory for %d frames", T);
    }
    if (canonicalize) {
        mosa_status s = hml_canonicalize(p, joints, T);
        if (s != MOSA_OK) {
            mosa_free(p), mosa_free(rq), mosa_free(fwd);
            return s;
        }
    } else {
        memcpy(p, joints, n * sizeof(float));
    }
    hml__root_rotations(rq, fwd, p, T);

    for (int t = 0; t + 1 < T; t++) {
        float *row = feat + (size_t)t * HML_DIM;
        quat r0 = rq[t], r1 = rq[t + 1];
        v3 root = hml__joint(p, t, 0);
        /* Root: angular velocity (half-angle of r[t+1] r[t]^-1), linear velocity in r[t+1], height. */
        quat rv = quat_mul(r1, quat_conj(r0));
        row[HML_ROOT_ROT_VEL] = asinf(fmaxf(-1.0f, fminf(1.0f, rv.y)));
        v3 vel = quat_rotate(r1, v3_sub(hml__joint(p, t + 1, 0), root));
        row[HML_ROOT_LIN_VEL] = vel.x;
        row[HML_ROOT_LIN_VEL + 1] = vel.z;
        row[HML_ROOT_Y] = root.y;
        /* RIC: joints 1..21 relative to the root's x,z, facing +Z. */
        for (int j = 1; j < SMPL22_J; j++) {
            v3 d = hml__joint(p, t, j);
            d.x -= root.x, d.z -= root.z;
            v3_store(row + HML_RIC + 3 * (j - 1), quat_rotate(r0, d));
        }
        /* Local rotations of joints 1..21 as 6D. */
        quat ql[SMPL22_J];
        hml__ik(ql, p + (size_t)t * SMPL22_J * 3, r0);
        for (int j = 1; j < SMPL22_J; j++) hml__quat_to_cont6d(row + HML_ROT6D + 6 * (j - 1), ql[j]);
        /* Local velocities of all 22 joints, rotated by r[t]. */
        for (int j = 0; j < SMPL22_J; j++)
            v3_store(row + HML_LOCAL_VEL + 3 * j, quat_rotate(r0, v3_sub(hml__joint(p, t + 1, j), hml__joint(p, t, j))));
        /* Foot contacts of the step t -> t+1. */
        hml_foot_contacts(row + HML_FOOT, p + (size_t)t * SMPL22_J * 3, 2, HML_FEET_THRESH);
    }
    mosa_free(p), mosa_free(rq), mosa_free(fwd);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Decoding: recover_from_ric                                                                  */
/* ------------------------------------------------------------------------------------------ */

mosa_status hml_joints_from_features(float *joints, const float *feat, int T) {
    MOSA_TRY(hml__check_frames("hml_joints_from_features", T, 1));
    MOSA_TRY(hml__check_finite("hml_joints_from_features", "feature", feat, (size_t)T * HML_DIM, HML_DIM));
    double ang = 0, px = 0, pz = 0; /* half-angle about Y; root x,z */
    for (int t = 0; t < T; t++) {
        const float *row = feat + (size_t)t * HML_DIM;
        if (t > 0) ang += feat[(size_t)(t - 1) * HML_DIM + HML_ROOT_ROT_VEL];
        quat qi = {(float)cos(ang), 0.0f, (float)-sin(ang), 0.0f}; /* r_rot_quat^-1 */
        if (t > 0) {
            const float *prev = feat + (size_t)(t - 1) * HML_DIM;
            v3 v = quat_rotate(qi, v3_make(prev[HML_ROOT_LIN_VEL], 0.0f, prev[HML_ROOT_LIN_VEL + 1]));
            px += v.x, pz += v.z;
        }
        float *out = joints + (size_t)t * SMPL22_J * 3;
        v3_store(out, v3_make((float)px, row[HML_ROOT_Y], (float)pz));
        for (int j = 1; j < SMPL22_J; j++) {
            v3 d = quat_rotate(qi, v3_load(row + HML_RIC + 3 * (j - 1)));
            d.x += (float)px, d.z += (float)pz;
            v3_store(out + 3 * j, d);
        }
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Normalisation statistics: cal_mean_variance                                                */
/* ------------------------------------------------------------------------------------------ */

static int hml__has_nan(const float *x, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (isnan(x[k])) return 1;
    return 0;
}

mosa_status hml_mean_std(float *mean, float *std, const float *const *feats, const int *lens, int n) {
    if (!mean || !std || !feats || !lens || n < 1)
        return mosa_fail(MOSA_ERR_ARG, "hml_mean_std: need n >= 1 feature sequences and non-NULL arrays (n = %d)", n);
    double sum[HML_DIM] = {0}, sq[HML_DIM] = {0}, m[HML_DIM];
    size_t rows = 0;
    for (int i = 0; i < n; i++) {
        if (lens[i] < 0)
            return mosa_fail(MOSA_ERR_ARG, "hml_mean_std: sequence %d has length %d; lengths must be >= 0", i, lens[i]);
        if (lens[i] > 0 && !feats[i]) return mosa_fail(MOSA_ERR_ARG, "hml_mean_std: sequence %d is NULL", i);
    }
    /* Pass 1: mean over the rows of sequences without NaN. */
    for (int i = 0; i < n; i++) {
        if (hml__has_nan(feats[i], (size_t)lens[i] * HML_DIM)) continue;
        for (size_t r = 0; r < (size_t)lens[i]; r++)
            for (int d = 0; d < HML_DIM; d++) sum[d] += feats[i][r * HML_DIM + d];
        rows += (size_t)lens[i];
    }
    if (rows == 0)
        return mosa_fail(MOSA_ERR_ARG, "hml_mean_std: no rows to average (all %d sequences empty or containing NaN)", n);
    for (int d = 0; d < HML_DIM; d++) m[d] = sum[d] / (double)rows;
    /* Pass 2: population variance (ddof 0, numpy's default). */
    for (int i = 0; i < n; i++) {
        if (hml__has_nan(feats[i], (size_t)lens[i] * HML_DIM)) continue;
        for (size_t r = 0; r < (size_t)lens[i]; r++)
            for (int d = 0; d < HML_DIM; d++) {
                double e = feats[i][r * HML_DIM + d] - m[d];
                sq[d] += e * e;
            }
    }
    /* Std per group: the mean of the group's stds, / 1.0 (the notebook's factor for every group). */
    static const int groups[8] = {HML_ROOT_ROT_VEL, HML_ROOT_LIN_VEL, HML_ROOT_Y, HML_RIC,
                                  HML_ROT6D,        HML_LOCAL_VEL,    HML_FOOT,   HML_DIM};
    for (int g = 0; g < 7; g++) {
        double s = 0;
        for (int d = groups[g]; d < groups[g + 1]; d++) s += sqrt(sq[d] / (double)rows);
        s /= (double)(groups[g + 1] - groups[g]);
        for (int d = groups[g]; d < groups[g + 1]; d++) std[d] = (float)(s / 1.0);
    }
    for (int d = 0; d < HML_DIM; d++) mean[d] = (float)m[d];
    return MOSA_OK;
}

void hml_std_apply_feat_bias(float *std, float feat_bias) {
    for (int d = HML_ROOT_ROT_VEL; d < HML_RIC; d++) std[d] /= feat_bias;
    for (int d = HML_FOOT; d < HML_DIM; d++) std[d] /= feat_bias;
}
