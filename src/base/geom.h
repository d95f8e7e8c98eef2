/* geom.h: small 3D math for the motion and render modules: vectors, quaternions (w,x,y,z, as
 * HumanML3D's quaternion.py), rotation matrices. Header-only, double-free (float everywhere, as
 * the data is float32). Conventions: right-handed, Y up; a quaternion q rotates v as q v q*. */
#ifndef MOSA_GEOM_H
#define MOSA_GEOM_H

#include <math.h>

typedef struct v3 { float x, y, z; } v3;
typedef struct quat { float w, x, y, z; } quat;

static inline v3 v3_make(float x, float y, float z) { v3 r = {x, y, z}; return r; }
static inline v3 v3_add(v3 a, v3 b) { return v3_make(a.x + b.x, a.y + b.y, a.z + b.z); }
static inline v3 v3_sub(v3 a, v3 b) { return v3_make(a.x - b.x, a.y - b.y, a.z - b.z); }
static inline v3 v3_scale(v3 a, float s) { return v3_make(a.x * s, a.y * s, a.z * s); }
static inline v3 v3_lerp(v3 a, v3 b, float t) { return v3_add(a, v3_scale(v3_sub(b, a), t)); }
static inline float v3_dot(v3 a, v3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static inline v3 v3_cross(v3 a, v3 b) {
    return v3_make(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
}
static inline float v3_norm(v3 a) { return sqrtf(v3_dot(a, a)); }
static inline v3 v3_normalize(v3 a) {
    float n = v3_norm(a);
    return n > 1e-12f ? v3_scale(a, 1.0f / n) : v3_make(0, 0, 0);
}
static inline v3 v3_load(const float *p) { return v3_make(p[0], p[1], p[2]); }
static inline void v3_store(float *p, v3 a) { p[0] = a.x, p[1] = a.y, p[2] = a.z; }

static inline quat quat_identity(void) { quat q = {1, 0, 0, 0}; return q; }
static inline quat quat_mul(quat a, quat b) {
    quat r = {a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z, a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
              a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x, a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};
    return r;
}
static inline quat quat_conj(quat q) { quat r = {q.w, -q.x, -q.y, -q.z}; return r; }
static inline quat quat_normalize(quat q) {
    float n = sqrtf(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
    quat r = {q.w / n, q.x / n, q.y / n, q.z / n};
    return r;
}
/* Rotation by `angle` radians about the unit axis. */
static inline quat quat_axis_angle(v3 axis, float angle) {
    v3 a = v3_normalize(axis);
    float s = sinf(0.5f * angle);
    quat q = {cosf(0.5f * angle), a.x * s, a.y * s, a.z * s};
    return q;
}
static inline v3 quat_rotate(quat q, v3 v) {
    /* v + 2 w (u x v) + 2 u x (u x v), u = (x,y,z) */
    v3 u = v3_make(q.x, q.y, q.z);
    v3 t = v3_scale(v3_cross(u, v), 2.0f);
    return v3_add(v3_add(v, v3_scale(t, q.w)), v3_cross(u, t));
}
/* The shortest rotation taking unit vector a to unit vector b (HumanML3D qbetween). */
static inline quat quat_between(v3 a, v3 b) {
    v3 c = v3_cross(a, b);
    float w = sqrtf(v3_dot(a, a) * v3_dot(b, b)) + v3_dot(a, b);
    if (w < 1e-8f) { /* opposite: any perpendicular axis */
        v3 p = fabsf(a.x) < 0.9f ? v3_make(1, 0, 0) : v3_make(0, 1, 0);
        return quat_axis_angle(v3_cross(a, p), (float)M_PI);
    }
    quat q = {w, c.x, c.y, c.z};
    return quat_normalize(q);
}
static inline quat quat_slerp(quat a, quat b, float t) {
    float d = a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z;
    if (d < 0) { b.w = -b.w, b.x = -b.x, b.y = -b.y, b.z = -b.z, d = -d; }
    if (d > 0.9995f) {
        quat r = {a.w + t * (b.w - a.w), a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), a.z + t * (b.z - a.z)};
        return quat_normalize(r);
    }
    float th = acosf(d), s = sinf(th), ka = sinf((1 - t) * th) / s, kb = sinf(t * th) / s;
    quat r = {ka * a.w + kb * b.w, ka * a.x + kb * b.x, ka * a.y + kb * b.y, ka * a.z + kb * b.z};
    return r;
}
/* Row-major 3x3 rotation matrix of q. */
static inline void quat_to_mat(quat q, float m[9]) {
    float w = q.w, x = q.x, y = q.y, z = q.z;
    m[0] = 1 - 2 * (y * y + z * z), m[1] = 2 * (x * y - w * z), m[2] = 2 * (x * z + w * y);
    m[3] = 2 * (x * y + w * z), m[4] = 1 - 2 * (x * x + z * z), m[5] = 2 * (y * z - w * x);
    m[6] = 2 * (x * z - w * y), m[7] = 2 * (y * z + w * x), m[8] = 1 - 2 * (x * x + y * y);
}
static inline quat quat_from_mat(const float m[9]) {
    float tr = m[0] + m[4] + m[8];
    quat q;
    if (tr > 0) {
        float s = sqrtf(tr + 1.0f) * 2;
        q.w = 0.25f * s, q.x = (m[7] - m[5]) / s, q.y = (m[2] - m[6]) / s, q.z = (m[3] - m[1]) / s;
    } else if (m[0] > m[4] && m[0] > m[8]) {
        float s = sqrtf(1.0f + m[0] - m[4] - m[8]) * 2;
        q.w = (m[7] - m[5]) / s, q.x = 0.25f * s, q.y = (m[1] + m[3]) / s, q.z = (m[2] + m[6]) / s;
    } else if (m[4] > m[8]) {
        float s = sqrtf(1.0f + m[4] - m[0] - m[8]) * 2;
        q.w = (m[2] - m[6]) / s, q.x = (m[1] + m[3]) / s, q.y = 0.25f * s, q.z = (m[5] + m[7]) / s;
    } else {
        float s = sqrtf(1.0f + m[8] - m[0] - m[4]) * 2;
        q.w = (m[3] - m[1]) / s, q.x = (m[2] + m[6]) / s, q.y = (m[5] + m[7]) / s, q.z = 0.25f * s;
    }
    return quat_normalize(q);
}

#endif
