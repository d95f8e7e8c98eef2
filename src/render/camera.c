/* camera.c: pinhole camera from elevation/azimuth/distance, projection, keyframed trajectories
 * and the CLI parsers (see camera.h for the conventions). Not a rasterizer, no occlusion. */
#include "render/camera.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEG2RAD ((float)M_PI / 180.0f)

camera_pose camera_pose_default(void) {
    camera_pose p = {0.0f, 0.0f, 4.0f, 45.0f, {0.0f, 1.0f, 0.0f}};
    return p;
}

mosa_status camera_pose_check(const camera_pose *p) {
    if (!(p->elev >= -90.0f && p->elev <= 90.0f))
        return mosa_fail(MOSA_ERR_ARG, "camera elevation %g is out of range: want degrees in [-90, 90]", p->elev);
    if (!isfinite(p->azim) || fabsf(p->azim) > 1e6f)
        return mosa_fail(MOSA_ERR_ARG, "camera azimuth %g is not a usable angle: want finite degrees", p->azim);
    if (!(p->dist > 0.0f && p->dist <= 10000.0f))
        return mosa_fail(MOSA_ERR_ARG, "camera distance %g is out of range: want metres in (0, 10000]", p->dist);
    if (!(p->fov >= 1.0f && p->fov <= 170.0f))
        return mosa_fail(MOSA_ERR_ARG, "camera field of view %g is out of range: want degrees in [1, 170]", p->fov);
    if (!isfinite(p->target.x) || !isfinite(p->target.y) || !isfinite(p->target.z) || fabsf(p->target.x) > 1e6f ||
        fabsf(p->target.y) > 1e6f || fabsf(p->target.z) > 1e6f)
        return mosa_fail(MOSA_ERR_ARG, "camera target (%g, %g, %g) is not a usable point", p->target.x,
                         p->target.y, p->target.z);
    return MOSA_OK;
}

/* Derives the camera frame of a pose already known to be valid. */
static void camera__build(camera *c, const camera_pose *p, int W, int H) {
    c->pose = *p;
    c->W = W, c->H = H;
    float el = p->elev * DEG2RAD, az = p->azim * DEG2RAD;
    float ce = cosf(el), se = sinf(el), ca = cosf(az), sa = sinf(az);
    v3 dir = v3_make(ce * sa, se, ce * ca); /* target -> eye, unit */
    c->eye = v3_add(p->target, v3_scale(dir, p->dist));
    c->fwd = v3_scale(dir, -1.0f);
    /* d(dir)/d(azimuth), horizontal: defined at every elevation, = +X at azimuth 0 */
    c->right = v3_make(ca, 0.0f, -sa);
    c->up = v3_cross(c->right, c->fwd);
    c->focal = 0.5f * (float)H / tanf(0.5f * p->fov * DEG2RAD);
    c->cx = 0.5f * (float)(W - 1);
    c->cy = 0.5f * (float)(H - 1);
}

mosa_status camera_init(camera *c, const camera_pose *p, int W, int H) {
    memset(c, 0, sizeof *c);
    if (W < 1 || H < 1 || W > 16384 || H > 16384)
        return mosa_fail(MOSA_ERR_ARG, "camera image size %dx%d is out of range: want 1..16384 each", W, H);
    MOSA_TRY(camera_pose_check(p));
    camera__build(c, p, W, H);
    return MOSA_OK;
}

void camera_project(const camera *c, const float *p3, int N, float *uvz) {
    for (int i = 0; i < N; i++) {
        v3 d = v3_sub(v3_load(p3 + 3 * i), c->eye);
        float x = v3_dot(d, c->right), y = v3_dot(d, c->up), z = v3_dot(d, c->fwd);
        if (z > 1e-6f) {
            uvz[3 * i + 0] = c->cx + c->focal * x / z;
            uvz[3 * i + 1] = c->cy - c->focal * y / z;
        } else {
            uvz[3 * i + 0] = NAN;
            uvz[3 * i + 1] = NAN;
        }
        uvz[3 * i + 2] = z;
    }
}

v3 camera_target_from_motion(const float *joints, int T, int J, int root, float height) {
    double s[3] = {0, 0, 0};
    int n = 0;
    for (int t = 0; t < T; t++) {
        const float *p = joints + ((size_t)t * (size_t)J + (size_t)root) * 3;
        if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2])) continue;
        s[0] += p[0], s[1] += p[1], s[2] += p[2], n++;
    }
    v3 r = n ? v3_make((float)(s[0] / n), (float)(s[1] / n), (float)(s[2] / n)) : v3_make(0, 1, 0);
    if (height >= 0.0f) r.y = height;
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Parses all of s[0..n) as a finite float; false if anything else is there. */
static bool camera__parse_float(const char *s, size_t n, float *out) {
    char buf[64];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    float v = strtof(buf, &end);
    if (end != buf + n || errno == ERANGE || !isfinite(v)) return false;
    *out = v;
    return true;
}

mosa_status camera_pose_parse(const char *s, camera_pose *pose) {
    if (!s) return mosa_fail(MOSA_ERR_ARG, "camera: no camera string given");
    camera_pose p = *pose;
    const char *cur = s;
    while (*cur) {
        const char *end = strchr(cur, ',');
        size_t len = end ? (size_t)(end - cur) : strlen(cur);
        const char *eq = memchr(cur, '=', len);
        if (!eq)
            return mosa_fail(MOSA_ERR_ARG, "camera: '%.*s' in \"%s\" is not key=value (keys: elev, azim, dist, fov, target)",
                             (int)len, cur, s);
        size_t klen = (size_t)(eq - cur), vlen = len - klen - 1;
        const char *val = eq + 1;
        /* spaces around keys and values are allowed: "elev = 10, azim=30" */
        while (klen && *cur == ' ') cur++, klen--;
        while (klen && cur[klen - 1] == ' ') klen--;
        while (vlen && *val == ' ') val++, vlen--;
        while (vlen && val[vlen - 1] == ' ') vlen--;
#define KEY_IS(name) (klen == strlen(name) && !strncmp(cur, name, klen))
        float v = 0;
        if (KEY_IS("elev") || KEY_IS("elevation")) {
            if (!camera__parse_float(val, vlen, &v) || v < -90.0f || v > 90.0f)
                return mosa_fail(MOSA_ERR_ARG, "camera: bad value '%.*s' for key 'elev': want degrees in [-90, 90]",
                                 (int)vlen, val);
            p.elev = v;
        } else if (KEY_IS("azim") || KEY_IS("azimuth")) {
            if (!camera__parse_float(val, vlen, &v) || fabsf(v) > 1e6f)
                return mosa_fail(MOSA_ERR_ARG, "camera: bad value '%.*s' for key 'azim': want degrees (a number)",
                                 (int)vlen, val);
            p.azim = v;
        } else if (KEY_IS("dist") || KEY_IS("distance")) {
            if (!camera__parse_float(val, vlen, &v) || !(v > 0.0f) || v > 10000.0f)
                return mosa_fail(MOSA_ERR_ARG, "camera: bad value '%.*s' for key 'dist': want metres in (0, 10000]",
                                 (int)vlen, val);
            p.dist = v;
        } else if (KEY_IS("fov")) {
            if (!camera__parse_float(val, vlen, &v) || v < 1.0f || v > 170.0f)
                return mosa_fail(MOSA_ERR_ARG, "camera: bad value '%.*s' for key 'fov': want degrees in [1, 170]",
                                 (int)vlen, val);
            p.fov = v;
        } else if (KEY_IS("target")) {
            float xyz[3];
            const char *q = val, *vend = val + vlen;
            int k = 0;
            for (; k < 3; k++) {
                const char *c = memchr(q, ':', (size_t)(vend - q));
                const char *e = (k < 2) ? c : vend;
                if (!e || (k == 2 && c) || !camera__parse_float(q, (size_t)(e - q), &xyz[k]) || fabsf(xyz[k]) > 1e6f)
                    break;
                q = e + 1;
            }
            if (k < 3)
                return mosa_fail(MOSA_ERR_ARG, "camera: bad value '%.*s' for key 'target': want x:y:z in metres",
                                 (int)vlen, val);
            p.target = v3_make(xyz[0], xyz[1], xyz[2]);
        } else {
            return mosa_fail(MOSA_ERR_ARG, "camera: unknown key '%.*s' in \"%s\" (keys: elev, azim, dist, fov, target)",
                             (int)klen, cur, s);
        }
#undef KEY_IS
        if (!end) break;
        cur = end + 1;
        if (!*cur) return mosa_fail(MOSA_ERR_ARG, "camera: \"%s\" ends with a comma", s);
    }
    *pose = p;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Trajectories                                                                               */
/* ------------------------------------------------------------------------------------------ */

mosa_status camera_traj_init(camera_traj *tr, int W, int H, camera_interp interp) {
    memset(tr, 0, sizeof *tr);
    if (W < 1 || H < 1 || W > 16384 || H > 16384)
        return mosa_fail(MOSA_ERR_ARG, "camera trajectory image size %dx%d is out of range: want 1..16384 each", W, H);
    if (interp != CAMERA_INTERP_LINEAR && interp != CAMERA_INTERP_SMOOTH)
        return mosa_fail(MOSA_ERR_ARG, "camera trajectory: unknown interpolation %d", (int)interp);
    tr->W = W, tr->H = H, tr->interp = interp;
    return MOSA_OK;
}

mosa_status camera_traj_add_key(camera_traj *tr, float t, const camera_pose *pose) {
    if (tr->n_keys >= CAMERA_TRAJ_MAX_KEYS)
        return mosa_fail(MOSA_ERR_ARG, "camera trajectory: more than %d keyframes", CAMERA_TRAJ_MAX_KEYS);
    if (!isfinite(t) || (tr->n_keys > 0 && !(t > tr->keys[tr->n_keys - 1].t)))
        return mosa_fail(MOSA_ERR_ARG, "camera trajectory: key time %g must be finite and later than the previous key (%g)",
                         t, tr->n_keys ? tr->keys[tr->n_keys - 1].t : 0.0f);
    mosa_status s = camera_pose_check(pose);
    if (s != MOSA_OK) return mosa_fail_context(s, "camera trajectory key at %g s", t);
    tr->keys[tr->n_keys].t = t;
    tr->keys[tr->n_keys].pose = *pose;
    tr->n_keys++;
    return MOSA_OK;
}

/* The 7 interpolated scalars of a pose, in a fixed order. */
enum { POSE_NF = 7 };
static void pose__to_arr(const camera_pose *p, float a[POSE_NF]) {
    a[0] = p->elev, a[1] = p->azim, a[2] = p->dist, a[3] = p->fov;
    a[4] = p->target.x, a[5] = p->target.y, a[6] = p->target.z;
}
static camera_pose pose__from_arr(const float a[POSE_NF]) {
    camera_pose p;
    p.elev = fminf(90.0f, fmaxf(-90.0f, a[0]));
    p.azim = a[1];
    p.dist = fmaxf(1e-3f, a[2]);
    p.fov = fminf(170.0f, fmaxf(1.0f, a[3]));
    p.target = v3_make(a[4], a[5], a[6]);
    return p;
}

camera_pose camera_traj_pose_at(const camera_traj *tr, float t) {
    int n = tr->n_keys;
    if (n <= 0) return camera_pose_default();
    if (n == 1 || !(t > tr->keys[0].t)) return tr->keys[0].pose;
    if (t >= tr->keys[n - 1].t) return tr->keys[n - 1].pose;
    int k = 0;
    while (k + 1 < n - 1 && t >= tr->keys[k + 1].t) k++;
    const camera_key *k0 = &tr->keys[k], *k1 = &tr->keys[k + 1];
    float dt = k1->t - k0->t, s = (t - k0->t) / dt;
    float a0[POSE_NF], a1[POSE_NF], r[POSE_NF];
    pose__to_arr(&k0->pose, a0);
    pose__to_arr(&k1->pose, a1);
    if (tr->interp == CAMERA_INTERP_LINEAR) {
        for (int f = 0; f < POSE_NF; f++) r[f] = a0[f] + (a1[f] - a0[f]) * s;
        return pose__from_arr(r);
    }
    /* cubic Hermite; tangents (per second) by Catmull-Rom finite differences, 0 at the ends */
    float m0[POSE_NF] = {0}, m1[POSE_NF] = {0}, ap[POSE_NF], an[POSE_NF];
    if (k > 0) {
        pose__to_arr(&tr->keys[k - 1].pose, ap);
        float span = k1->t - tr->keys[k - 1].t;
        for (int f = 0; f < POSE_NF; f++) m0[f] = (a1[f] - ap[f]) / span;
    }
    if (k + 2 < n) {
        pose__to_arr(&tr->keys[k + 2].pose, an);
        float span = tr->keys[k + 2].t - k0->t;
        for (int f = 0; f < POSE_NF; f++) m1[f] = (an[f] - a0[f]) / span;
    }
    float s2 = s * s, s3 = s2 * s;
    float h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2;
    for (int f = 0; f < POSE_NF; f++) r[f] = h00 * a0[f] + h10 * dt * m0[f] + h01 * a1[f] + h11 * dt * m1[f];
    return pose__from_arr(r);
}

void camera_at(const camera_traj *tr, float t, camera *out) {
    camera_pose p = camera_traj_pose_at(tr, t);
    camera__build(out, &p, tr->W, tr->H);
}

mosa_status camera_traj_builtin(camera_traj *tr, camera_move move, float amount, const camera_pose *base,
                                float duration, int W, int H) {
    MOSA_TRY(camera_pose_check(base));
    if (!(duration > 0.0f) || duration > 1e6f)
        return mosa_fail(MOSA_ERR_ARG, "camera trajectory: duration %g s must be positive", duration);
    if (!isfinite(amount) || amount <= 0.0f) amount = 0.0f; /* take the default below */
    camera_interp interp = move == CAMERA_MOVE_ORBIT ? CAMERA_INTERP_LINEAR : CAMERA_INTERP_SMOOTH;
    MOSA_TRY(camera_traj_init(tr, W, H, interp));
    camera_pose end = *base;
    switch (move) {
    case CAMERA_MOVE_FIXED: return camera_traj_add_key(tr, 0.0f, base);
    case CAMERA_MOVE_ORBIT: end.azim = base->azim + (amount > 0 ? amount : 30.0f) * duration; break;
    case CAMERA_MOVE_ZOOM_IN: end.dist = base->dist * (amount > 0 ? amount : 0.6f); break;
    case CAMERA_MOVE_ZOOM_OUT: end.dist = base->dist * (amount > 0 ? amount : 1.5f); break;
    case CAMERA_MOVE_PAN_LEFT:
    case CAMERA_MOVE_PAN_RIGHT: {
        camera c;
        camera__build(&c, base, W, H);
        float m = (amount > 0 ? amount : 1.0f) * (move == CAMERA_MOVE_PAN_LEFT ? -1.0f : 1.0f);
        end.target = v3_add(base->target, v3_scale(c.right, m));
        break;
    }
    default: return mosa_fail(MOSA_ERR_ARG, "camera trajectory: unknown move %d", (int)move);
    }
    MOSA_TRY(camera_traj_add_key(tr, 0.0f, base));
    return camera_traj_add_key(tr, duration, &end);
}

mosa_status camera_traj_parse(camera_traj *tr, const char *spec, const camera_pose *base, float duration, int W,
                              int H) {
    static const struct { const char *name; camera_move move; const char *unit; } moves[] = {
        {"fixed", CAMERA_MOVE_FIXED, NULL},
        {"orbit", CAMERA_MOVE_ORBIT, "degrees per second"},
        {"zoom-in", CAMERA_MOVE_ZOOM_IN, "a distance factor in (0, 1)"},
        {"zoom-out", CAMERA_MOVE_ZOOM_OUT, "a distance factor > 1"},
        {"pan-left", CAMERA_MOVE_PAN_LEFT, "metres"},
        {"pan-right", CAMERA_MOVE_PAN_RIGHT, "metres"},
    };
    if (!spec) return mosa_fail(MOSA_ERR_ARG, "trajectory: none given");
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        if (nlen != strlen(moves[i].name) || strncmp(spec, moves[i].name, nlen)) continue;
        float amount = 0.0f;
        if (colon) {
            const char *a = colon + 1;
            bool ok = moves[i].unit && camera__parse_float(a, strlen(a), &amount) && amount > 0.0f && amount <= 1e4f;
            if (ok && moves[i].move == CAMERA_MOVE_ZOOM_IN) ok = amount < 1.0f;
            if (ok && moves[i].move == CAMERA_MOVE_ZOOM_OUT) ok = amount > 1.0f;
            if (!ok) {
                if (!moves[i].unit)
                    return mosa_fail(MOSA_ERR_ARG, "trajectory: '%s' takes no amount (got '%s')", moves[i].name, a);
                return mosa_fail(MOSA_ERR_ARG, "trajectory: bad amount '%s' in '%s': want %s", a, spec,
                                 moves[i].unit);
            }
        }
        return camera_traj_builtin(tr, moves[i].move, amount, base, duration, W, H);
    }
    return mosa_fail(MOSA_ERR_ARG,
                     "trajectory: unknown move '%.*s' (known: fixed, orbit[:deg_per_s], zoom-in[:factor], "
                     "zoom-out[:factor], pan-left[:metres], pan-right[:metres])",
                     (int)nlen, spec);
}
