/* actions_common.c: the spec -> pose builder, foot tracks, Hermite keys and the gait engine
 * shared by the action generators (see actions_common.h). No action lives here. */
#include "actions_common.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Small math                                                                                 */
/* ------------------------------------------------------------------------------------------ */

float mg_clamp(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }
float mg_smooth(float x) {
    x = mg_clamp(x, 0, 1);
    return x * x * (3 - 2 * x);
}
float mg_smoother(float x) {
    x = mg_clamp(x, 0, 1);
    return x * x * x * (x * (x * 6 - 15) + 10);
}
float mg_lerp(float a, float b, float t) { return a + (b - a) * t; }
float mg_wrap(float a) {
    while (a > (float)M_PI) a -= 2 * (float)M_PI;
    while (a <= -(float)M_PI) a += 2 * (float)M_PI;
    return a;
}
float mg_trapezoid(float x, float a) {
    x = mg_clamp(x, 0, 1);
    float vmax = 1.0f / (1.0f - a);
    if (x < a) return vmax * x * x / (2 * a);
    if (x > 1 - a) return 1 - vmax * (1 - x) * (1 - x) / (2 * a);
    return vmax * (0.5f * a + (x - a));
}
float mg_bump(float x) { return x <= 0 || x >= 1 ? 0 : sinf((float)M_PI * x); }
float mg_window(float t, float a, float b, float r) {
    if (r <= 0) return t >= a && t <= b ? 1.0f : 0.0f;
    return mg_smooth((t - a) / r) * mg_smooth((b - t) / r);
}
float mg_rand(mgen *g, float lo, float hi) {
    float u;
    rng_uniform(&g->rng, &u, 1);
    return lo + (hi - lo) * u;
}
v3 mg_rot_yaw(float yaw, v3 v) {
    float c = cosf(yaw), s = sinf(yaw);
    return v3_make(c * v.x + s * v.z, v.y, -s * v.x + c * v.z);
}
v3 mg_body_to_world(v3 root, float yaw, v3 rel) { return v3_add(root, mg_rot_yaw(yaw, rel)); }

/* ------------------------------------------------------------------------------------------ */
/* Hermite keys                                                                               */
/* ------------------------------------------------------------------------------------------ */

void mkeys_add(mkeys *k, float t, float y, float v) {
    if (k->n >= MG_MAX_KEYS) return;
    if (k->n > 0 && t <= k->k[k->n - 1].t) t = k->k[k->n - 1].t + 1e-4f;
    k->k[k->n].t = t, k->k[k->n].y = y, k->k[k->n].v = v;
    k->n++;
}

float mkeys_eval(const mkeys *k, float t) {
    if (k->n == 0) return 0;
    if (t <= k->k[0].t) return k->k[0].y + k->k[0].v * (t - k->k[0].t);
    if (t >= k->k[k->n - 1].t) return k->k[k->n - 1].y + k->k[k->n - 1].v * (t - k->k[k->n - 1].t);
    int lo = 0, hi = k->n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (k->k[mid].t <= t) lo = mid;
        else hi = mid;
    }
    const mkey *a = &k->k[lo], *b = &k->k[hi];
    double h = (double)b->t - a->t, u = ((double)t - a->t) / h, u2 = u * u, u3 = u2 * u;
    double y = (2 * u3 - 3 * u2 + 1) * a->y + (u3 - 2 * u2 + u) * h * a->v + (-2 * u3 + 3 * u2) * b->y +
               (u3 - u2) * h * b->v;
    return (float)y;
}

void mkeys_add_auto(mkeys *k, float t, float y) { mkeys_add(k, t, y, NAN); }

void mkeys_finish(mkeys *k) {
    for (int i = 0; i < k->n; i++) {
        if (!isnan(k->k[i].v)) continue;
        if (i == 0 || i == k->n - 1) k->k[i].v = 0;
        else k->k[i].v = (k->k[i + 1].y - k->k[i - 1].y) / (k->k[i + 1].t - k->k[i - 1].t);
    }
}

void mg_flight_speeds(float *v0, float *v1, float t0, float y0, float t1, float y1) {
    float tf = t1 - t0;
    *v0 = (y1 - y0) / tf + 0.5f * MG_G * tf;
    *v1 = *v0 - MG_G * tf;
}

/* ------------------------------------------------------------------------------------------ */
/* Spec defaults                                                                              */
/* ------------------------------------------------------------------------------------------ */

v3 mg_stance_toe(const mgen *g, int side, v3 origin, float yaw, float width) {
    float lat = (side ? -0.5f : 0.5f) * width;
    float fyaw = yaw + (side ? -g->st.toe_out : g->st.toe_out);
    v3 ankle = mg_body_to_world(origin, yaw, v3_make(lat, 0, 0));
    v3 toe = v3_add(ankle, v3_scale(kin_foot_dir(g->flat, fyaw), g->body.length[J_L_FOOT]));
    toe.y = origin.y + KIN_TOE_HEIGHT * g->s;
    return toe;
}

void mspec_stand(mspec *s, const mgen *g, v3 origin, float yaw) {
    memset(s, 0, sizeof *s);
    s->root = v3_make(origin.x, origin.y + g->ystand - g->st.knee * g->s, origin.z);
    s->yaw = yaw;
    s->pitch = g->st.lean;
    s->sp_flex = g->st.spine;
    s->nk_flex = g->st.head;
    for (int k = 0; k < 2; k++) {
        s->col_up[k] = g->st.shrug;
        mfoot *f = &s->foot[k];
        f->mode = MF_WORLD;
        f->toe = mg_stance_toe(g, k, origin, yaw, g->st.width * g->s);
        f->pitch = g->flat;
        f->yaw = yaw + (k ? -g->st.toe_out : g->st.toe_out);
        f->planted = 1;
        f->slack = 0;
        marm *a = &s->arm[k];
        a->mode = MA_ANAT;
        a->flex = 0.04f;
        a->abd = g->st.arm_abd;
        a->elbow = g->st.elbow;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Foot tracks                                                                                */
/* ------------------------------------------------------------------------------------------ */

mplant *mtrack_add(mtrack *ft, const mgen *g, float t0, float t1, v3 toe, float yaw) {
    if (ft->n >= MG_MAX_PLANTS) return &ft->p[ft->n - 1];
    mplant *p = &ft->p[ft->n++];
    memset(p, 0, sizeof *p);
    p->t0 = t0, p->t1 = t1, p->toe = toe, p->yaw = yaw;
    p->heel_t = 1e9f;
    p->lift = 0.10f * g->st.lift;
    p->swing_slack = -1;
    return p;
}

void mtrack_flights(mtrack *ft, const mgen *g, mroot_fn root) {
    for (int k = 0; k + 1 < ft->n; k++) {
        mplant *a = &ft->p[k], *b = &ft->p[k + 1];
        if (!a->flight) continue;
        v3 pos;
        float yaw;
        root(g, a->t1, &pos, &yaw);
        a->rel_off = mg_rot_yaw(-yaw, v3_sub(a->toe, pos));
        a->yaw_off = mg_wrap(a->yaw - yaw);
        root(g, b->t0, &pos, &yaw);
        a->rel_on = mg_rot_yaw(-yaw, v3_sub(b->toe, pos));
        a->yaw_on = mg_wrap(b->yaw - yaw);
    }
}

static float mtrack__stance_pitch(const mgen *g, const mplant *p, float t) {
    float pitch = g->flat + p->pitch0;
    if (t > p->heel_t && p->t1 > p->heel_t) pitch += p->heel * mg_smooth((t - p->heel_t) / (p->t1 - p->heel_t));
    if (p->land_dur > 0) pitch += p->land * (1 - mg_smooth((t - p->t0) / p->land_dur));
    return pitch;
}

void mtrack_eval(mfoot *f, const mgen *g, const mtrack *ft, float t, mroot_fn root) {
    if (ft->n == 0) return;
    int k = 0;
    while (k + 1 < ft->n && ft->p[k + 1].t0 <= t) k++;
    const mplant *a = &ft->p[k];
    f->mode = MF_WORLD;
    f->pole = v3_make(0, 0, 0);
    if (t <= a->t1 || k + 1 >= ft->n || t < a->t0) {
        f->toe = a->toe;
        f->yaw = a->yaw;
        f->pitch = mtrack__stance_pitch(g, a, t < a->t0 ? a->t0 : t > a->t1 ? a->t1 : t);
        f->planted = 1;
        f->slack = 0;
        return;
    }
    const mplant *b = &ft->p[k + 1];
    float u = (t - a->t1) / (b->t0 - a->t1);
    float p_off = mtrack__stance_pitch(g, a, a->t1), p_on = mtrack__stance_pitch(g, b, b->t0);
    f->planted = 0;
    if (a->flight) {
        float w = mg_smoother(u);
        v3 rel = v3_lerp(a->rel_off, a->rel_on, w);
        rel.y += a->tuck * g->s * mg_bump(u);
        v3 pos;
        float yaw;
        root(g, t, &pos, &yaw);
        f->toe = mg_body_to_world(pos, yaw, rel);
        f->yaw = yaw + mg_lerp(a->yaw_off, a->yaw_on, w);
        f->pitch = mg_lerp(p_off, p_on, mg_smooth(u)) + 0.3f * mg_bump(u);
        f->slack = -1;
        return;
    }
    /* the toe rises first (10 % of the swing) and comes down last, moving across in between
     * with a trapezoidal speed profile; its height stays up on a plateau */
    float h = mg_trapezoid((u - 0.1f) / 0.8f, 0.25f);
    float dy = b->toe.y - a->toe.y;
    float hv = dy > 0 ? mg_smooth(u * 1.6f) : mg_smooth((u - 0.35f) / 0.65f);
    float lift = fmaxf(a->lift * g->s, 0.065f); /* clears the 5 cm contact height, any body */
    float plateau = mg_smooth(u / 0.3f) * mg_smooth((1 - u) / 0.3f);
    v3 toe = v3_make(mg_lerp(a->toe.x, b->toe.x, h), a->toe.y + dy * hv + lift * plateau,
                     mg_lerp(a->toe.z, b->toe.z, h));
    float mid = g->flat + 0.12f, pitch;
    if (u < 0.5f) pitch = mg_lerp(p_off, mid, mg_smooth(u / 0.5f));
    else if (u < 0.85f) pitch = mg_lerp(mid, g->flat - a->strike, mg_smooth((u - 0.5f) / 0.35f));
    else pitch = mg_lerp(g->flat - a->strike, p_on, mg_smooth((u - 0.85f) / 0.15f));
    float L = g->body.length[J_L_FOOT];
    float heel_up = L * (sinf(g->flat) - sinf(pitch));
    if (heel_up > 0) toe.y += heel_up;
    f->toe = toe;
    f->pitch = pitch;
    f->yaw = a->yaw + mg_wrap(b->yaw - a->yaw) * h;
    if (a->swing_slack < 0) f->slack = -1;
    else {
        float fade = mg_smooth(u / 0.3f) < mg_smooth((1 - u) / 0.3f) ? mg_smooth(u / 0.3f) : mg_smooth((1 - u) / 0.3f);
        f->slack = a->swing_slack + 0.5f * g->s * fade;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The builder                                                                                */
/* ------------------------------------------------------------------------------------------ */

/* C1 clamp of y to at most ymax: exact below ymax - k, ymax above ymax + k, quadratic between. */
static float mg__soft_cap(float y, float ymax, float k) {
    if (y <= ymax - k) return y;
    if (y >= ymax + k) return ymax;
    float d = y - ymax + k;
    return y - d * d / (4 * k);
}

float mg_reach_height(const mgen *g, const mspec *s, int side, v3 toe, float pitch, float yaw, float ext) {
    kin_pose p;
    p.root = s->root;
    p.rot[0] = kin_root_rot(s->yaw, s->pitch, s->roll);
    v3 ankle = kin_ankle_from_toe(&g->body, toe, pitch, yaw);
    return kin_root_max_height(&p, &g->body, side, ankle, ext);
}

void mg_spec_resolve(const mgen *g, mspec *s) {
    if (s->resolved) return;
    s->resolved = 1;
    const kin_body *b = &g->body;
    kin_pose P;
    P.root = s->root;
    P.rot[0] = kin_root_rot(s->yaw, s->pitch, s->roll);
    float ymax = 1e9f;
    for (int k = 0; k < 2; k++) {
        const mfoot *f = &s->foot[k];
        if (f->mode != MF_WORLD || f->slack < 0) continue;
        v3 ankle = kin_ankle_from_toe(b, f->toe, f->pitch, f->yaw);
        float y = kin_root_max_height(&P, b, k, ankle, 0.995f);
        if (y < -1e8f) continue; /* out of reach sideways: lowering cannot help */
        y += f->slack;
        if (y < ymax) ymax = y;
    }
    if (ymax < 1e8f) s->root.y = mg__soft_cap(s->root.y, ymax, 0.01f * g->s);
}

/* Root, spine, neck and collars of a spec (everything above the limbs). */
static void mg__spec_trunk(kin_pose *P, const mspec *s) {
    for (int j = 0; j < SMPL22_J; j++) P->rot[j] = kin_neutral_rot(j);
    P->rot[0] = kin_root_rot(s->yaw, s->pitch, s->roll);
    P->root = s->root;
    static const float spine_w[3] = {0.35f, 0.35f, 0.30f};
    static const int spine_j[3] = {J_SPINE1, J_SPINE2, J_SPINE3};
    for (int k = 0; k < 3; k++)
        P->rot[spine_j[k]] = kin_joint_rot(spine_j[k], s->sp_flex * spine_w[k], s->sp_lat * spine_w[k],
                                           s->sp_twist * spine_w[k]);
    P->rot[J_NECK] = kin_joint_rot(J_NECK, s->nk_flex, s->nk_lat, s->nk_twist);
    P->rot[J_L_COLLAR] = kin_joint_rot(J_L_COLLAR, s->col_fwd[0], s->col_up[0], 0);
    P->rot[J_R_COLLAR] = kin_joint_rot(J_R_COLLAR, s->col_fwd[1], s->col_up[1], 0);
}

void mg_chest_frame(const mgen *g, const mspec *s, v3 *pos, quat *rot) {
    kin_pose P;
    mg__spec_trunk(&P, s);
    v3 p[SMPL22_J];
    quat gl[SMPL22_J];
    kin_pose_fk(p, gl, &P, &g->body);
    *pos = p[J_SPINE3], *rot = gl[J_SPINE3];
}

void mg_spec_pose(kin_pose *P, const mgen *g, const mspec *s) {
    const kin_body *b = &g->body;
    mg__spec_trunk(P, s);
    v3 root = s->root;
    quat r0 = P->rot[0];
    /* legs */
    for (int k = 0; k < 2; k++) {
        const mfoot *f = &s->foot[k];
        v3 toe = f->toe, pole = f->pole;
        float fyaw = f->yaw, fpitch = f->pitch;
        if (f->mode == MF_BODY) {
            toe = mg_body_to_world(root, s->yaw, f->toe);
            fyaw = s->yaw + f->yaw;
            pole = mg_rot_yaw(s->yaw, pole);
        } else if (f->mode == MF_PELVIS) {
            toe = v3_add(root, quat_rotate(r0, f->toe));
            v3 d = quat_rotate(r0, kin_foot_dir(f->pitch, f->yaw));
            fpitch = asinf(mg_clamp(-d.y, -1, 1));
            fyaw = atan2f(d.x, d.z);
            pole = quat_rotate(r0, pole);
        }
        if (v3_norm(pole) < 1e-6f) pole = v3_make(sinf(fyaw), 0.15f, cosf(fyaw));
        kin_leg_place(P, b, k, toe, fpitch, fyaw, pole);
    }
    /* arms */
    v3 pos[SMPL22_J];
    quat gl[SMPL22_J];
    int have_fk = 0;
    for (int k = 0; k < 2; k++) {
        const marm *a = &s->arm[k];
        int sh = k ? J_R_SHOULDER : J_L_SHOULDER, el = k ? J_R_ELBOW : J_L_ELBOW;
        if (a->mode == MA_ANAT) {
            P->rot[sh] = kin_joint_rot(sh, a->flex, a->abd, a->twist);
            P->rot[el] = kin_joint_rot(el, a->elbow, 0, 0);
            continue;
        }
        v3 target = a->wrist, pole = a->pole;
        if (a->mode == MA_CHEST) {
            if (!have_fk) kin_pose_fk(pos, gl, P, b), have_fk = 1;
            target = v3_add(pos[J_SPINE3], quat_rotate(gl[J_SPINE3], a->wrist));
            pole = quat_rotate(gl[J_SPINE3], a->pole);
        } else if (a->mode == MA_BODY) {
            target = mg_body_to_world(root, s->yaw, a->wrist);
            pole = mg_rot_yaw(s->yaw, a->pole);
        }
        kin_limb_ik(P, b, k ? KIN_ARM_R : KIN_ARM_L, target, pole);
    }
}

v3 mg_spec_wrist(const mgen *g, const mspec *s, int side) {
    kin_pose P;
    mg_spec_pose(&P, g, s);
    v3 pos[SMPL22_J];
    kin_pose_fk(pos, NULL, &P, &g->body);
    return pos[side ? J_R_WRIST : J_L_WRIST];
}

void mgen_emit(mgen *g, int i, const mspec *s0) {
    mspec s = *s0;
    mg_spec_resolve(g, &s);
    mg_spec_pose(&g->pose[i], g, &s);
    uint8_t *sup = g->support + 4 * i;
    sup[0] = (uint8_t)(s.foot[0].planted != 0);
    sup[1] = (uint8_t)(s.foot[1].planted != 0);
    sup[2] = (uint8_t)((s.hands_support & 1) != 0);
    sup[3] = (uint8_t)((s.hands_support & 2) != 0);
}

v3 mg_rest_pole(int side) { return v3_make((side ? -1.0f : 1.0f) * 0.35f, -0.25f, -1.0f); }

v3 mg_pole_blend(int side, v3 pole, float w) { return v3_lerp(mg_rest_pole(side), pole, mg_clamp(w, 0, 1)); }

v3 mg_rest_wrist_chest(const mgen *g, int side) {
    mspec s;
    mspec_stand(&s, g, v3_make(0, 0, 0), 0);
    mg_spec_resolve(g, &s);
    v3 p9, w = mg_spec_wrist(g, &s, side);
    quat r9;
    mg_chest_frame(g, &s, &p9, &r9);
    return quat_rotate(quat_conj(r9), v3_sub(w, p9));
}

/* ------------------------------------------------------------------------------------------ */
/* Arm swing                                                                                  */
/* ------------------------------------------------------------------------------------------ */

void mg_arm_swing(mspec *s, const mgen *g, float ph, float amp, float elbow) {
    float sw = sinf(ph);
    for (int k = 0; k < 2; k++) {
        marm *a = &s->arm[k];
        float d = k ? sw : -sw; /* the left arm goes back while the left foot comes forward */
        d *= 1.0f + (k ? -0.2f : 0.2f) * g->st.asym;
        a->mode = MA_ANAT;
        a->flex = 0.05f + amp * d;
        a->abd = g->st.arm_abd + 0.02f;
        a->twist = 0;
        a->elbow = elbow + 0.6f * amp * (d > 0 ? d : 0);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Gaits                                                                                      */
/* ------------------------------------------------------------------------------------------ */

float mgait_speed(const mgait *gt, float t) {
    float up = mg_smooth((t - gt->t_go) / gt->ramp);
    float down = 1 - mg_smooth((t - (gt->t_stop - gt->ramp)) / gt->ramp);
    return gt->v * up * down;
}

void mgait_path(const mgait *gt, float t, v3 *pos, float *yaw) {
    float x = t / gt->hs;
    if (x < 0) x = 0;
    int i = (int)x;
    if (i >= gt->nsamp - 1) i = gt->nsamp - 2;
    float f = x - (float)i;
    if (f > 1) f = 1;
    *pos = v3_make(mg_lerp(gt->px[i], gt->px[i + 1], f), 0, mg_lerp(gt->pz[i], gt->pz[i + 1], f));
    *yaw = mg_lerp(gt->pyaw[i], gt->pyaw[i + 1], f);
}

float mgait_phase(const mgait *gt, float t) {
    float P = 2.0f / gt->cadence;
    /* left foot's first step is step 0 or 1; its mid-swing is phase 0 */
    float t_left = gt->t_go + (gt->lead == 0 ? 0.0f : 0.5f * P) + 0.5f * (1 - gt->duty0) * P;
    return 2 * (float)M_PI * (t - t_left) / P;
}

/* Path length travelled by time t. */
static float mgait__dist(const mgait *gt, float t) {
    float x = t / gt->hs;
    if (x < 0) return 0;
    int i = (int)x;
    if (i >= gt->nsamp - 1) return gt->pdist[gt->nsamp - 1];
    return mg_lerp(gt->pdist[i], gt->pdist[i + 1], x - (float)i);
}

static void mgait__root(const mgen *g, float t, v3 *pos, float *yaw) {
    const mgait *gt = (const mgait *)g->ctx;
    mgait_path(gt, t, pos, yaw);
}

mosa_status mgait_build(mgait *gt, mgen *g) {
    float tmax = g->dur + 4.0f;
    gt->hs = g->dt / 8;
    gt->nsamp = (int)(tmax / gt->hs) + 3;
    size_t n = (size_t)gt->nsamp;
    gt->px = mosa_malloc(4 * n * sizeof(float));
    if (!gt->px) return MOSA_ERR_NOMEM;
    gt->pz = gt->px + n, gt->pyaw = gt->pz + n, gt->pdist = gt->pyaw + n;
    if (gt->ramp <= 0) gt->ramp = 0.5f;
    if (gt->t_stop <= 0) gt->t_stop = 1e6f;
    float dl = v3_norm(gt->dir);
    v3 dir = dl > 0 ? v3_scale(gt->dir, 1 / dl) : v3_make(0, 0, 1);
    /* distances, then the heading by distance (curved paths) or by time (turning on the spot) */
    gt->pdist[0] = 0;
    for (int i = 1; i < gt->nsamp; i++) {
        float tm = ((float)i - 0.5f) * gt->hs;
        gt->pdist[i] = gt->pdist[i - 1] + mgait_speed(gt, tm) * gt->hs;
    }
    float tref = gt->t_stop < g->dur ? gt->t_stop : g->dur;
    int iref = (int)(tref / gt->hs);
    if (iref >= gt->nsamp) iref = gt->nsamp - 1;
    float sref = gt->pdist[iref];
    gt->px[0] = gt->pz[0] = 0;
    for (int i = 0; i < gt->nsamp; i++) {
        float tm = (float)i * gt->hs, yaw;
        if (gt->v > 0 && sref > 1e-3f) yaw = gt->turn * mg_clamp(gt->pdist[i] / sref, 0, 1);
        else if (gt->turn_t1 > gt->turn_t0) yaw = gt->turn * mg_smooth((tm - gt->turn_t0) / (gt->turn_t1 - gt->turn_t0));
        else yaw = 0;
        gt->pyaw[i] = yaw;
        if (i > 0) {
            float ym = 0.5f * (yaw + gt->pyaw[i - 1]), d = gt->pdist[i] - gt->pdist[i - 1];
            v3 w = mg_rot_yaw(ym, dir);
            gt->px[i] = gt->px[i - 1] + d * w.x;
            gt->pz[i] = gt->pz[i - 1] + d * w.z;
        }
    }
    /* steps */
    float P = 2.0f / gt->cadence;
    int maxsteps = (int)(tmax / (0.5f * P)) + 4;
    gt->lo = mosa_malloc(2 * (size_t)maxsteps * sizeof(float));
    gt->step_foot = mosa_malloc((size_t)maxsteps * sizeof(int));
    if (!gt->lo || !gt->step_foot) return MOSA_ERR_NOMEM;
    gt->td = gt->lo + maxsteps;
    memset(gt->ft, 0, sizeof gt->ft);
    v3 o = v3_make(0, 0, 0);
    for (int f = 0; f < 2; f++) {
        mplant *p = mtrack_add(&gt->ft[f], g, -1.0f, 1e9f, mg_stance_toe(g, f, o, 0, gt->width), f ? -gt->toe_out : gt->toe_out);
        p->lift = gt->lift / g->s;
    }
    int at_rest = 0, k = 0;
    for (; k < maxsteps; k++) {
        float lo = gt->t_go + (float)k * 0.5f * P;
        if (lo > tmax - P || at_rest >= 2) break;
        float frac = gt->v > 0 ? mgait_speed(gt, lo + 0.25f * P) / gt->v : 1.0f;
        float duty = mg_lerp(gt->duty0, gt->duty, frac);
        /* the pelvis can travel only about one leg length over a planted foot: shorten the
         * stance (touch down later) until the path covered from touchdown to the next liftoff of
         * this foot fits */
        float dmin = gt->run ? 0.2f : 0.52f;
        while (duty > dmin && mgait__dist(gt, lo + P) - mgait__dist(gt, lo + (1 - duty) * P) > 0.85f * g->s)
            duty -= 0.01f;
        float td = lo + (1 - duty) * P, mid = td + 0.5f * duty * P;
        int f = (gt->lead + k) % 2;
        gt->lo[k] = lo, gt->td[k] = td, gt->step_foot[k] = f;
        v3 pos;
        float yaw;
        mgait_path(gt, mid, &pos, &yaw);
        mtrack *ft = &gt->ft[f];
        mplant *prev = &ft->p[ft->n - 1];
        prev->t1 = lo;
        prev->heel_t = prev->t0 < 0 ? lo : mg_lerp(prev->t0, lo, 0.55f);
        prev->heel = gt->heel * frac;
        prev->strike = gt->strike * frac;
        prev->lift = (gt->lift / g->s) * (0.6f + 0.4f * frac);
        prev->swing_slack = gt->run ? -1.0f : 0.0f;
        mplant *p = mtrack_add(ft, g, td, 1e9f, mg_stance_toe(g, f, pos, yaw, gt->width), yaw + (f ? -gt->toe_out : gt->toe_out));
        p->lift = gt->lift / g->s;
        if (mid >= gt->t_stop) at_rest++;
    }
    gt->nsteps = k;
    gt->stop_t = k > 0 ? gt->td[k - 1] : 0;
    /* running: a ballistic pelvis between every liftoff of one foot and the other's touchdown */
    memset(&gt->ky, 0, sizeof gt->ky);
    if (gt->run) {
        float y0 = gt->y_nom;
        mkeys_add(&gt->ky, 0, g->ystand - g->st.knee * g->s, 0);
        mkeys_add(&gt->ky, gt->t_go, g->ystand - g->st.knee * g->s, 0);
        g->ctx = gt;
        for (int s = 0; s + 1 < gt->nsteps; s++) {
            float a = gt->lo[s + 1], b = gt->td[s];
            if (a >= b - 0.02f) continue; /* no flight (or too short to matter) */
            /* takeoff: foot of step s+1 leaves with its heel raised; landing: foot of step s */
            float ya = y0, yb = y0;
            for (int e = 0; e < 2; e++) {
                float t = e ? b : a;
                int f = gt->step_foot[e ? s : s + 1];
                const mtrack *ft = &gt->ft[f];
                int pk = 0;
                while (pk + 1 < ft->n && ft->p[pk + 1].t0 <= t + 1e-4f) pk++;
                const mplant *pl = &ft->p[pk];
                mspec sp;
                memset(&sp, 0, sizeof sp);
                float yaw;
                mgait_path(gt, t, &sp.root, &yaw);
                sp.yaw = yaw, sp.pitch = g->st.lean + gt->lean;
                float y = mg_reach_height(g, &sp, f, pl->toe, mtrack__stance_pitch(g, pl, t), pl->yaw, 0.985f);
                if (e == 0 && y < ya) ya = y;
                if (e == 1 && y < yb) yb = y;
            }
            float v0, v1;
            mg_flight_speeds(&v0, &v1, a, ya, b, yb);
            mkeys_add(&gt->ky, a, ya, v0);
            mkeys_add(&gt->ky, b, yb, v1);
        }
        float tend = gt->stop_t + 0.6f;
        mkeys_add(&gt->ky, tend, g->ystand - g->st.knee * g->s, 0);
    }
    g->ctx = gt;
    mtrack_flights(&gt->ft[0], g, mgait__root);
    mtrack_flights(&gt->ft[1], g, mgait__root);
    return MOSA_OK;
}

void mgait_free(mgait *gt) {
    mosa_free(gt->px);
    mosa_free(gt->lo);
    mosa_free(gt->step_foot);
    gt->px = gt->pz = gt->pyaw = gt->pdist = NULL;
    gt->lo = gt->td = NULL;
    gt->step_foot = NULL;
}

void mgait_spec(mspec *s, const mgait *gt, const mgen *g, float t) {
    v3 pos;
    float yaw;
    mgait_path(gt, t, &pos, &yaw);
    float frac = gt->v > 0 ? mgait_speed(gt, t) / gt->v : (gt->turn_t1 > gt->turn_t0 ? mg_window(t, gt->turn_t0, gt->turn_t1, 0.3f) : 0);
    float ph = mgait_phase(gt, t);
    /* stepping activity: on while steps happen */
    float act = mg_window(t, gt->t_go - 0.2f, gt->stop_t + 0.2f, 0.3f);
    v3 sway = mg_rot_yaw(yaw, v3_make(-0.025f * g->s * cosf(ph) * act * (gt->run ? 0.3f : 1.0f), 0, 0));
    s->root = v3_add(pos, sway);
    if (gt->run) s->root.y = mkeys_eval(&gt->ky, t);
    else s->root.y = gt->y_nom + gt->bob * act * cosf(2 * ph);
    float yaw_osc = -0.07f * sinf(ph) * act * (0.4f + 0.6f * frac);
    s->yaw = yaw + yaw_osc;
    s->pitch = g->st.lean + gt->lean * frac;
    s->roll = 0.035f * cosf(ph) * act;
    s->sp_lat = -0.8f * s->roll;
    s->sp_twist = -1.6f * yaw_osc;
    s->nk_twist = 0.5f * yaw_osc;
    for (int f = 0; f < 2; f++) mtrack_eval(&s->foot[f], g, &gt->ft[f], t, mgait__root);
}

/* ------------------------------------------------------------------------------------------ */
/* Repetition timing                                                                          */
/* ------------------------------------------------------------------------------------------ */

float mg_jump_apex(int action, float a) {
    switch (action) {
    case MOTION_JUMP: return fmaxf(0.06f, 0.18f * a);
    case MOTION_JUMP_FORWARD: return fmaxf(0.12f, 0.2f * a);
    case MOTION_HOP: return fmaxf(0.05f, 0.08f * a);
    case MOTION_JUMPING_JACKS: return fmaxf(0.06f, 0.06f * a);
    default: return 0.1f;
    }
}

float mg_speed(const mgen *g, float cap) { return g->sp < cap ? g->sp : cap; }

/* Flight time of a jump whose pelvis rises `apex` metres above its takeoff height. */
static float mg__flight_time(float apex) { return 2.0f * sqrtf(2.0f * MG_G * apex) / MG_G; }

mrep mg_rep_timing(int action, const motion_params *p) {
    float sp = p->speed, a = p->amplitude;
    mrep r = {1.0f, 0.3f, 0.3f};
    switch (action) {
    case MOTION_JUMP: r.period = fmaxf(0.4f, 0.55f / sp) + mg__flight_time(mg_jump_apex(action, a)); r.lead = 0.2f; r.tail = 0.7f; break;
    case MOTION_JUMP_FORWARD: r.period = fmaxf(0.5f, 0.7f / sp) + mg__flight_time(mg_jump_apex(action, a)); r.lead = 0.2f; r.tail = 0.8f; break;
    case MOTION_HOP: r.period = fmaxf(0.22f, 0.3f / sp) + mg__flight_time(mg_jump_apex(action, a)); r.lead = 0.6f; r.tail = 0.7f; break;
    case MOTION_JUMPING_JACKS: r.period = 2 * (fmaxf(0.16f, 0.22f / sp) + mg__flight_time(mg_jump_apex(action, a))); r.lead = 0.3f; r.tail = 0.5f; break;
    case MOTION_SQUAT: r.period = 2.0f / sp; r.lead = 0.3f; r.tail = 0.3f; break;
    case MOTION_LUNGE: r.period = 2.6f / sp; r.lead = 0.2f; r.tail = 0.2f; break;
    case MOTION_FRONT_KICK:
    case MOTION_SIDE_KICK: r.period = 1.3f / sp; r.lead = 0.2f; r.tail = 0.3f; break;
    case MOTION_PUNCH: r.period = 0.7f / sp; r.lead = 0.8f; r.tail = 0.7f; break;
    case MOTION_CLAP: r.period = 0.5f / sp; r.lead = 0.4f; r.tail = 0.4f; break;
    case MOTION_RAISE_ARMS: r.period = 2.2f / sp; r.lead = 0.2f; r.tail = 0.2f; break;
    case MOTION_TOE_TOUCH: r.period = 2.8f / sp; r.lead = 0.2f; r.tail = 0.3f; break;
    case MOTION_BOW: r.period = 2.4f / sp; r.lead = 0.3f; r.tail = 0.3f; break;
    case MOTION_PUSH_UP: r.period = 1.4f / sp; r.lead = 2.2f; r.tail = 2.0f; break;
    default: break;
    }
    /* a clip too short for one repetition at this speed gets a quicker one (never quicker
     * than 40 %, and a jump keeps its flight and 0.3 s on the ground) */
    float room = p->seconds - r.lead - r.tail;
    if (room < r.period) {
        float floor_ = 0.4f * r.period;
        if (action == MOTION_JUMP || action == MOTION_JUMP_FORWARD || action == MOTION_HOP)
            floor_ = mg__flight_time(mg_jump_apex(action, a)) + 0.3f;
        if (action == MOTION_JUMPING_JACKS) floor_ = 2 * (mg__flight_time(mg_jump_apex(action, a)) + 0.16f);
        r.period = fmaxf(room, floor_);
    }
    return r;
}

int mg_reps(int action, const motion_params *p) {
    mrep r = mg_rep_timing(action, p);
    int n = (int)floorf((p->seconds - r.lead - r.tail) / r.period);
    return n < 1 ? 1 : n > 40 ? 40 : n;
}

float mg_rep_start(const mgen *g, mrep r, int n) {
    float spare = g->p.seconds - r.lead - r.tail - (float)n * r.period;
    if (spare < 0) spare = 0;
    return r.lead + 0.6f * spare * g->st.delay;
}
