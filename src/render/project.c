/* project.c: projection of 3D keypoints with occlusion- and border-aware confidence (the model
 * is described in project.h). Not a rasterizer: no pixels are touched here. */
#include "render/project.h"

#include <string.h>

enum { BODY_FLOATS = 22 * 3 }; /* one SMPL-22 pose, (22,3) */

/* The body volume of a SMPL-22 pose: capsules along the bones and a sphere for the head. The
 * torso is a chain of capsules up the spine; collar and shoulder capsules give the chest its
 * width; radii are those of an adult of about 1.70 m (smpl22_bone_lengths). */
const project_occluder project_occluders[PROJECT_N_OCCLUDERS] = {
    /* torso: pelvis-spine1-spine2-spine3-neck */
    {0, 3, 0.13f}, {3, 6, 0.13f}, {6, 9, 0.14f}, {9, 12, 0.10f},
    /* pelvis to hips */
    {0, 1, 0.10f}, {0, 2, 0.10f},
    /* legs: thigh, shin, foot (left then right) */
    {1, 4, 0.08f}, {4, 7, 0.06f}, {7, 10, 0.045f}, {2, 5, 0.08f}, {5, 8, 0.06f}, {8, 11, 0.045f},
    /* chest width: spine3 to collars, collars to shoulders */
    {9, 13, 0.07f}, {9, 14, 0.07f}, {13, 16, 0.06f}, {14, 17, 0.06f},
    /* arms: upper arm, forearm (left then right) */
    {16, 18, 0.05f}, {18, 20, 0.04f}, {17, 19, 0.05f}, {19, 21, 0.04f},
    /* neck, head */
    {12, 15, 0.06f}, {15, 15, 0.10f},
    /* hands: small spheres at the wrists */
    {20, 20, 0.045f}, {21, 21, 0.045f},
};

project_opts project_opts_default(void) {
    project_opts o = {0.4f, 0.1f, 0.5f, -1.0f, 0.05f};
    return o;
}

typedef struct d3 { double x, y, z; } d3;
static inline d3 d3_of(v3 a) { d3 r = {a.x, a.y, a.z}; return r; }
static inline d3 d3_sub(d3 a, d3 b) { d3 r = {a.x - b.x, a.y - b.y, a.z - b.z}; return r; }
static inline d3 d3_axpy(d3 a, double s, d3 d) { d3 r = {a.x + s * d.x, a.y + s * d.y, a.z + s * d.z}; return r; }
static inline double d3_dot(d3 a, d3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static inline double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }
static inline float smoothstep01(float x) {
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    return x * x * (3.0f - 2.0f * x);
}

/* Distance from point p to segment [a, b]. */
static double point_seg_dist(d3 p, d3 a, d3 b) {
    d3 ab = d3_sub(b, a), ap = d3_sub(p, a);
    double l2 = d3_dot(ab, ab);
    double t = l2 > 1e-18 ? clamp01(d3_dot(ap, ab) / l2) : 0.0;
    d3 c = d3_axpy(a, t, ab), d = d3_sub(p, c);
    return sqrt(d3_dot(d, d));
}

/* Closest distance between segments [p1, q1] and [p2, q2] (Ericson, Real-Time Collision
 * Detection 5.1.9), in double so a 4 m ray against a 0.3 m bone stays exact enough. */
static double seg_seg_dist(d3 p1, d3 q1, d3 p2, d3 q2) {
    d3 d1 = d3_sub(q1, p1), d2 = d3_sub(q2, p2), r = d3_sub(p1, p2);
    double a = d3_dot(d1, d1), e = d3_dot(d2, d2), f = d3_dot(d2, r), s, t;
    const double eps = 1e-18;
    if (a <= eps && e <= eps) return sqrt(d3_dot(r, r));
    if (a <= eps) {
        s = 0, t = clamp01(f / e);
    } else {
        double c = d3_dot(d1, r);
        if (e <= eps) {
            t = 0, s = clamp01(-c / a);
        } else {
            double b = d3_dot(d1, d2), denom = a * e - b * b;
            s = denom > 1e-12 * a * e ? clamp01((b * f - c * e) / denom) : 0.0;
            t = (b * s + f) / e;
            if (t < 0) t = 0, s = clamp01(-c / a);
            else if (t > 1) t = 1, s = clamp01((b - c) / a);
        }
    }
    d3 c1 = d3_axpy(p1, s, d1), c2 = d3_axpy(p2, t, d2), d = d3_sub(c1, c2);
    return sqrt(d3_dot(d, d));
}

/* Occlusion factor in [occluded_conf, 1] of the keypoint kp seen from eye, over all bodies. */
static float project__occlusion(d3 eye, d3 kp, const float *const *bodies, int n_bodies, const project_opts *o) {
    d3 ray = d3_sub(kp, eye);
    double rl = sqrt(d3_dot(ray, ray));
    if (!(rl > 1e-9)) return 1.0f;
    d3 dir = {ray.x / rl, ray.y / rl, ray.z / rl};
    float best = 1.0f;
    for (int bi = 0; bi < n_bodies; bi++) {
        const float *J = bodies[bi];
        if (!J) continue;
        for (int k = 0; k < PROJECT_N_OCCLUDERS; k++) {
            const project_occluder *oc = &project_occluders[k];
            const float *pa = J + 3 * oc->a, *pb = J + 3 * oc->b;
            if (!isfinite(pa[0]) || !isfinite(pa[1]) || !isfinite(pa[2]) || !isfinite(pb[0]) || !isfinite(pb[1]) ||
                !isfinite(pb[2]))
                continue;
            d3 a = {pa[0], pa[1], pa[2]}, b = {pb[0], pb[1], pb[2]};
            double r = oc->r, pen;
            double dk = point_seg_dist(kp, a, b);
            float floor_conf = o->occluded_conf;
            if (oc->a == oc->b) {
                /* a point on the head (face keypoints, up to 1.5 r from the centre: the nose
                 * sticks out) is hidden by the head itself once it is more than r/4 behind the
                 * centre along the ray; silhouette points stay visible */
                if (dk <= 1.5 * r) {
                    pen = d3_dot(d3_sub(kp, a), dir) - 0.25 * r;
                    floor_conf = o->backface_conf;
                } else {
                    pen = r - point_seg_dist(a, eye, kp);
                }
            } else {
                if (dk <= r + 1e-3) continue; /* the keypoint's own body part (or touching it) */
                pen = r - seg_seg_dist(eye, kp, a, b);
            }
            if (!(pen > 0)) continue;
            float full = o->full_occlusion > 0 ? o->full_occlusion : 1e-6f;
            float f = 1.0f - (1.0f - floor_conf) * smoothstep01((float)(pen / (full * r)));
            if (f < best) best = f;
        }
    }
    return best;
}

void project_keypoints_multi(const camera *cam, const float *kp3, int K, const float *const *bodies, int n_bodies,
                             const project_opts *opts, float *kp2, float *conf) {
    project_opts o = opts ? *opts : project_opts_default();
    float border = o.border_px;
    if (border < 0) border = fmaxf(2.0f, 0.02f * (float)(cam->W < cam->H ? cam->W : cam->H));
    d3 eye = d3_of(cam->eye);
    for (int k = 0; k < K; k++) {
        const float *p = kp3 + 3 * k;
        float uvz[3];
        kp2[2 * k] = kp2[2 * k + 1] = 0.0f;
        conf[k] = 0.0f;
        if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2])) continue;
        camera_project(cam, p, 1, uvz);
        if (!(uvz[2] >= o.near) || !isfinite(uvz[0]) || !isfinite(uvz[1])) continue;
        kp2[2 * k] = uvz[0], kp2[2 * k + 1] = uvz[1];
        float u = uvz[0], v = uvz[1];
        float e = fminf(fminf(u + 0.5f, (float)cam->W - 0.5f - u), fminf(v + 0.5f, (float)cam->H - 0.5f - v));
        float c = border > 0 ? smoothstep01(e / border) : (e > 0 ? 1.0f : 0.0f);
        if (c > 0 && n_bodies > 0 && bodies) c *= project__occlusion(eye, d3_of(v3_load(p)), bodies, n_bodies, &o);
        conf[k] = c;
    }
}

void project_keypoints(const camera *cam, const float *kp3, int K, const float *body22, float *kp2, float *conf) {
    const float *bodies[1] = {body22};
    project_keypoints_multi(cam, kp3, K, bodies, body22 ? 1 : 0, NULL, kp2, conf);
}

mosa_status project_sequence(const camera_traj *tr, float fps, const float *kp3, const float *body22, int P, int T,
                             int K, const project_opts *opts, float *kp2, float *conf) {
    if (!tr || !kp3 || !kp2 || !conf) return mosa_fail(MOSA_ERR_ARG, "project_sequence: NULL argument");
    if (!(fps > 0.0f) || fps > 1e4f) return mosa_fail(MOSA_ERR_ARG, "project_sequence: fps %g must be in (0, 10000]", fps);
    if (P < 1 || P > PROJECT_MAX_PERSONS)
        return mosa_fail(MOSA_ERR_ARG, "project_sequence: %d people; want 1..%d", P, PROJECT_MAX_PERSONS);
    if (T < 0 || K < 1 || K > 1000000)
        return mosa_fail(MOSA_ERR_ARG, "project_sequence: bad sizes T=%d K=%d", T, K);
    project_opts o = opts ? *opts : project_opts_default();
    const size_t ST = (size_t)T;
    MOSA_PARALLEL_FOR(T > 1, schedule(static), for (int t = 0; t < T; t++) {
        camera cam;
        camera_at(tr, (float)t / fps, &cam);
        const float *bodies[PROJECT_MAX_PERSONS];
        for (int p = 0; p < P; p++) bodies[p] = body22 ? body22 + ((size_t)p * ST + (size_t)t) * BODY_FLOATS : NULL;
        for (int p = 0; p < P; p++) {
            size_t pt = (size_t)p * ST + (size_t)t;
            project_keypoints_multi(&cam, kp3 + pt * (size_t)K * 3, K, bodies, body22 ? P : 0, &o,
                                    kp2 + pt * (size_t)K * 2, conf + pt * (size_t)K);
        }
    });
    return MOSA_OK;
}
