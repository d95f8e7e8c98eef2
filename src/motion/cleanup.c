/* cleanup.c: constant bone lengths and foot-skate removal for generated motions; see cleanup.h. */
#include "cleanup.h"

#include "../base/skeleton.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define J 22
#define FPS 20.0f

motion_cleanup_opts motion_cleanup_opts_default(void) {
    motion_cleanup_opts o = {1, 1, 0.05f, 1.0f, 3, 4, 1};
    return o;
}

static float *P(float *j, int t, int k) { return j + ((size_t)t * J + k) * 3; }
static const float *CP(const float *j, int t, int k) { return j + ((size_t)t * J + k) * 3; }

static float dist3(const float *a, const float *b) {
    const float dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

static int cmp_float(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

float motion_bone_length_std(const float *joints, int T) {
    if (!joints || T < 1) return 0.0f;
    float worst = 0.0f;
    for (int k = 1; k < J; k++) {
        const int p = smpl22_parents[k];
        double s = 0, s2 = 0;
        for (int t = 0; t < T; t++) {
            const double l = dist3(CP(joints, t, k), CP(joints, t, p));
            s += l, s2 += l * l;
        }
        const double m = s / T, v = s2 / T - m * m;
        const float sd = v > 0 ? (float)sqrt(v) : 0.0f;
        if (sd > worst) worst = sd;
    }
    return worst;
}

static float clip_floor(const float *joints, int T) {
    static const int feet[4] = {J_L_ANKLE, J_R_ANKLE, J_L_FOOT, J_R_FOOT};
    float f = INFINITY;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < 4; i++) f = fminf(f, CP(joints, t, feet[i])[1]);
    return isfinite(f) ? f : 0.0f;
}

float motion_foot_skate(const float *joints, int T, float contact_height, int *pairs) {
    static const int feet[4] = {J_L_ANKLE, J_R_ANKLE, J_L_FOOT, J_R_FOOT};
    if (pairs) *pairs = 0;
    if (!joints || T < 2) return 0.0f;
    const float floor_y = clip_floor(joints, T);
    double sum = 0;
    int n = 0;
    for (int t = 0; t + 1 < T; t++)
        for (int i = 0; i < 4; i++) {
            const float *a = CP(joints, t, feet[i]), *b = CP(joints, t + 1, feet[i]);
            if (a[1] - floor_y >= contact_height || b[1] - floor_y >= contact_height) continue;
            sum += hypotf(b[0] - a[0], b[2] - a[2]) * FPS;
            n++;
        }
    if (pairs) *pairs = n;
    return n ? (float)(sum / n) : 0.0f;
}

/* ---- 1. bone lengths ---- */

static mosa_status fix_bones(float *joints, int T) {
    float *len = mosa_malloc(sizeof(float) * (size_t)T);
    float *out = mosa_malloc(sizeof(float) * (size_t)T * J * 3);
    if (!len || !out) {
        mosa_free(len);
        mosa_free(out);
        return mosa_fail(MOSA_ERR_NOMEM, "motion cleanup: out of memory for %d frames", T);
    }
    float median[J] = {0};
    for (int k = 1; k < J; k++) {
        const int p = smpl22_parents[k];
        for (int t = 0; t < T; t++) len[t] = dist3(P(joints, t, k), P(joints, t, p));
        qsort(len, (size_t)T, sizeof(float), cmp_float);
        median[k] = T % 2 ? len[T / 2] : 0.5f * (len[T / 2 - 1] + len[T / 2]);
    }
    for (int t = 0; t < T; t++) {
        memcpy(out + (size_t)t * J * 3, P(joints, t, 0), sizeof(float) * 3);
        for (int k = 1; k < J; k++) { /* parents come before children in SMPL-22 order */
            const int p = smpl22_parents[k];
            const float *a = P(joints, t, p), *b = P(joints, t, k);
            float d[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
            float n = sqrtf(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (!(n > 1e-8f)) { /* degenerate bone: the rest direction */
                for (int i = 0; i < 3; i++) d[i] = smpl22_rest_offsets[k][i];
                n = sqrtf(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                if (!(n > 0)) n = 1, d[1] = 1;
            }
            const float *np = out + ((size_t)t * J + p) * 3;
            float *nk = out + ((size_t)t * J + k) * 3;
            for (int i = 0; i < 3; i++) nk[i] = np[i] + median[k] * d[i] / n;
        }
    }
    memcpy(joints, out, sizeof(float) * (size_t)T * J * 3);
    mosa_free(len);
    mosa_free(out);
    return MOSA_OK;
}

/* ---- 2. foot skating ---- */

/* Two-bone IK: hip H fixed, ankle A given; places the knee K so that |K-H| = l1, |A-K| = l2,
 * in the plane of H, A and the old knee (bending the same way). If A is out of reach it is
 * pulled towards H (and *shift gets the move, for the toe). */
static void two_bone_ik(const float *H, float *K, float *A, float l1, float l2, float shift[3]) {
    float u[3] = {A[0] - H[0], A[1] - H[1], A[2] - H[2]};
    float d = sqrtf(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    shift[0] = shift[1] = shift[2] = 0;
    if (!(d > 1e-6f)) return;
    for (int i = 0; i < 3; i++) u[i] /= d;
    const float reach = 0.999f * (l1 + l2), lo = fabsf(l1 - l2) * 1.001f + 1e-6f;
    float dn = d > reach ? reach : (d < lo ? lo : d);
    if (dn != d) {
        for (int i = 0; i < 3; i++) {
            const float na = H[i] + u[i] * dn;
            shift[i] = na - A[i];
            A[i] = na;
        }
        d = dn;
    }
    const float a = (l1 * l1 - l2 * l2 + d * d) / (2 * d);
    const float h2 = l1 * l1 - a * a, h = h2 > 0 ? sqrtf(h2) : 0.0f;
    /* bend direction: the old knee's offset perpendicular to u */
    float n[3] = {K[0] - H[0], K[1] - H[1], K[2] - H[2]};
    const float pr = n[0] * u[0] + n[1] * u[1] + n[2] * u[2];
    for (int i = 0; i < 3; i++) n[i] -= pr * u[i];
    float nn = sqrtf(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (!(nn > 1e-6f)) { /* straight leg: bend forward (+Z rotated into the plane) */
        n[0] = 0, n[1] = 0, n[2] = 1;
        const float q = u[2];
        for (int i = 0; i < 3; i++) n[i] -= q * u[i];
        nn = sqrtf(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        if (!(nn > 1e-6f)) n[0] = 1, n[1] = n[2] = 0, nn = 1;
    }
    for (int i = 0; i < 3; i++) K[i] = H[i] + a * u[i] + h * n[i] / nn;
}

static float smoothstep(float x) { return x <= 0 ? 0 : (x >= 1 ? 1 : x * x * (3 - 2 * x)); }

static mosa_status fix_skate(float *joints, int T, const motion_cleanup_opts *o, int *spans_out, float *max_corr) {
    static const int hip[2] = {J_L_HIP, J_R_HIP}, knee[2] = {J_L_KNEE, J_R_KNEE}, ankle[2] = {J_L_ANKLE, J_R_ANKLE},
                     toe[2] = {J_L_FOOT, J_R_FOOT};
    if (T < 3) return MOSA_OK;
    uint8_t *contact = mosa_malloc((size_t)T);
    float *corr = mosa_malloc(sizeof(float) * (size_t)T * 2);
    if (!contact || !corr) {
        mosa_free(contact);
        mosa_free(corr);
        return mosa_fail(MOSA_ERR_NOMEM, "motion cleanup: out of memory for %d frames", T);
    }
    const float floor_y = clip_floor(joints, T);
    for (int f = 0; f < 2; f++) {
        /* contact detection on the toe (and ankle): low and slow */
        for (int t = 0; t < T; t++) { /* over +-2 frames, so per-frame jitter does not hide a contact */
            const int a = t >= 2 ? t - 2 : 0, b = t + 2 < T ? t + 2 : T - 1;
            const float *ta = P(joints, a, toe[f]), *tb = P(joints, b, toe[f]);
            const float speed = b > a ? hypotf(tb[0] - ta[0], tb[2] - ta[2]) * FPS / (float)(b - a) : 0.0f;
            float low = 0;
            for (int k = a; k <= b; k++) low += fminf(P(joints, k, toe[f])[1], P(joints, k, ankle[f])[1]);
            low = low / (float)(b - a + 1) - floor_y;
            contact[t] = low < o->contact_height && speed < o->contact_speed;
        }
        memset(corr, 0, sizeof(float) * (size_t)T * 2);
        for (int t = 0; t < T;) {
            if (!contact[t]) { t++; continue; }
            int e = t;
            while (e < T && contact[e]) e++; /* span [t, e) */
            if (e - t >= o->min_span) {
                double px = 0, pz = 0;
                for (int k = t; k < e; k++) px += P(joints, k, toe[f])[0], pz += P(joints, k, toe[f])[2];
                px /= (e - t), pz /= (e - t);
                for (int k = t; k < e; k++)
                    corr[2 * k] = (float)px - P(joints, k, toe[f])[0], corr[2 * k + 1] = (float)pz - P(joints, k, toe[f])[2];
                for (int k = 1; k <= o->blend; k++) { /* fade in before and out after the span */
                    const float w = smoothstep(1.0f - (float)k / (float)(o->blend + 1));
                    if (t - k >= 0 && !contact[t - k])
                        corr[2 * (t - k)] += w * corr[2 * t], corr[2 * (t - k) + 1] += w * corr[2 * t + 1];
                    if (e - 1 + k < T && !contact[e - 1 + k])
                        corr[2 * (e - 1 + k)] += w * corr[2 * (e - 1)], corr[2 * (e - 1 + k) + 1] += w * corr[2 * (e - 1) + 1];
                }
                (*spans_out)++;
            }
            t = e;
        }
        const float l1 = dist3(P(joints, 0, hip[f]), P(joints, 0, knee[f]));
        const float l2 = dist3(P(joints, 0, knee[f]), P(joints, 0, ankle[f]));
        for (int t = 0; t < T; t++) {
            const float cx = corr[2 * t], cz = corr[2 * t + 1];
            if (cx == 0 && cz == 0) continue;
            const float m = hypotf(cx, cz);
            if (m > *max_corr) *max_corr = m;
            float *A = P(joints, t, ankle[f]), *K = P(joints, t, knee[f]), *F = P(joints, t, toe[f]);
            A[0] += cx, A[2] += cz;
            F[0] += cx, F[2] += cz;
            K[0] += 0.5f * cx, K[2] += 0.5f * cz;
            float sh[3];
            two_bone_ik(P(joints, t, hip[f]), K, A, l1, l2, sh);
            for (int i = 0; i < 3; i++) F[i] += sh[i];
        }
    }
    mosa_free(contact);
    mosa_free(corr);
    return MOSA_OK;
}

mosa_status motion_cleanup(float *joints, int T, const motion_cleanup_opts *opts, motion_cleanup_report *report) {
    if (!joints || T < 1) return mosa_fail(MOSA_ERR_ARG, "motion cleanup: no frames (T = %d)", T);
    if (T > (1 << 22)) return mosa_fail(MOSA_ERR_ARG, "motion cleanup: %d frames is too long", T);
    for (size_t i = 0; i < (size_t)T * J * 3; i++)
        if (!isfinite(joints[i]))
            return mosa_fail(MOSA_ERR_ARG, "motion cleanup: frame %zu has a non-finite coordinate", i / (J * 3));
    const motion_cleanup_opts o = opts ? *opts : motion_cleanup_opts_default();
    motion_cleanup_report r = {0};
    r.bone_std_before = motion_bone_length_std(joints, T);
    r.skate_before = motion_foot_skate(joints, T, o.contact_height, NULL);
    if (o.fix_bones) MOSA_TRY(fix_bones(joints, T));
    if (o.fix_skate) MOSA_TRY(fix_skate(joints, T, &o, &r.contact_spans, &r.max_correction));
    if (o.fix_floor) {
        const float f = clip_floor(joints, T);
        for (size_t i = 0; i < (size_t)T * J; i++) joints[3 * i + 1] -= f;
    }
    r.bone_std_after = motion_bone_length_std(joints, T);
    r.skate_after = motion_foot_skate(joints, T, o.contact_height, NULL);
    if (report) *report = r;
    return MOSA_OK;
}
