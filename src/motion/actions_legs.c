/* actions_legs.c: actions of the legs done in place: squats, lunges, kneeling, front and side
 * kicks, the standing quad stretch, tree and warrior poses, sitting down and standing up.
 * Locomotion is in actions_loco.c, jumps in actions_jump.c. */
#include "actions_common.h"

#include <math.h>
#include <string.h>

/* Position of a repetition at time t: index k (or -1 before / n after) and phase u in [0,1). */
static int legs__rep(float *u, float t, float t0, float period, int n) {
    if (t < t0) { *u = 0; return -1; }
    int k = (int)((t - t0) / period);
    if (k >= n) { *u = 0; return n; }
    *u = (t - t0 - (float)k * period) / period;
    return k;
}

/* Guard position of the fists (boxing, kicks), chest frame. */
static v3 legs__guard(const mgen *g, int k) {
    float kx = k ? -1.0f : 1.0f;
    return v3_make(kx * 0.13f * g->s, 0.08f * g->s, 0.27f * g->s);
}

/* ------------------------------------------------------------------------------------------ */
/* Squat                                                                                      */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_squat(mgen *g) {
    mrep rp = mg_rep_timing(MOTION_SQUAT, &g->p);
    int n = mg_reps(MOTION_SQUAT, &g->p);
    float t0 = mg_rep_start(g, rp, n), s = g->s, a = g->amp;
    float width = (g->st.width + 0.12f) * s, toe_out = g->st.toe_out + 0.25f;
    float depth = (0.2f + 0.14f * a) * s;
    int clasp = g->st.r[1] >= 0.6f;
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    v3 o = v3_make(0, 0, 0);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt, u;
        int k = legs__rep(&u, t, t0, rp.period, n);
        float d = 0;
        if (k >= 0 && k < n) d = u < 0.45f ? mg_smooth(u / 0.42f) : 1 - mg_smooth((u - 0.55f) / 0.45f);
        float arms = mg_window(t, t0 - 0.3f, t0 + (float)n * rp.period + 0.1f, 0.35f);
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        for (int f = 0; f < 2; f++) {
            float fx = f ? -1.0f : 1.0f;
            v3 ankle = v3_make(fx * 0.5f * width, 0, 0);
            float fy = fx * toe_out;
            sp.foot[f].toe = v3_add(ankle, v3_scale(kin_foot_dir(g->flat, fy), g->body.length[J_L_FOOT]));
            sp.foot[f].toe.y = KIN_TOE_HEIGHT * s;
            sp.foot[f].yaw = fy;
            sp.foot[f].pole = v3_make(fx * 0.45f, 0.1f, 1);
        }
        sp.root.y -= depth * d;
        sp.root.z -= 0.13f * s * d * a;
        sp.pitch += 0.55f * d;
        sp.sp_flex += 0.08f * d;
        sp.nk_flex -= 0.4f * d;
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            if (!clasp) {
                m->flex = 0.04f + (1.5f - 0.55f * d) * (arms * 0.3f + 0.7f * d) ;
                m->abd = g->st.arm_abd * (1 - d);
                m->elbow = g->st.elbow * (1 - d) + 0.05f;
            } else {
                float kx = q ? -1.0f : 1.0f;
                m->mode = MA_CHEST;
                v3 hold = v3_make(kx * 0.05f * s, -0.08f * s, 0.27f * s);
                m->wrist = v3_lerp(rest[q], hold, mg_smooth(arms));
                m->pole = mg_pole_blend(q, v3_make(kx, -1, -0.3f), arms);
            }
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Lunge and kneel: one foot forward, the back knee down to (or onto) the floor               */
/* ------------------------------------------------------------------------------------------ */

typedef struct split_geom {
    v3 front_toe, back_toe;
    float back_pitch, z_low, y_low;
} split_geom;

/* The bottom of a split stance whose back knee is `kh` above the floor, thigh vertical, front
 * shin vertical: pelvis position and the front toe's place. */
static split_geom legs__split_geom(const mgen *g, int front, float kh) {
    split_geom G;
    float s = g->s, width = (g->st.width + 0.03f) * s;
    int back = 1 - front;
    v3 o = v3_make(0, 0, 0);
    G.back_toe = mg_stance_toe(g, back, o, 0, width);
    G.back_pitch = 1.15f;
    v3 A = kin_ankle_from_toe(&g->body, G.back_toe, G.back_pitch, back ? -g->st.toe_out : g->st.toe_out);
    float ls = g->body.length[J_L_ANKLE], lt = g->body.length[J_L_KNEE];
    float dy = A.y - kh;
    float dz = sqrtf(fmaxf(ls * ls - dy * dy, 0));
    G.z_low = A.z + dz;
    float hip_low = kh + 0.985f * lt;             /* hip joints above the back knee */
    G.y_low = hip_low - g->body.offset[J_L_HIP].y; /* the pelvis sits above the hip joints */
    float fk = KIN_ANKLE_HEIGHT * s + 0.97f * ls; /* front knee height, shin near vertical */
    float ty = hip_low - fk;
    float hz = sqrtf(fmaxf(lt * lt - ty * ty, 0)) * 0.97f;
    G.front_toe = mg_stance_toe(g, front, v3_make(0, 0, G.z_low + hz), 0, width);
    return G;
}

typedef struct split_ctx {
    mtrack ft;
} split_ctx;

static mosa_status legs__split(mgen *g, int kneel) {
    float s = g->s, a = g->amp;
    int front = kneel ? 1 - g->side : g->side, back = 1 - front;
    float kh = kneel ? 0.058f * s : fmaxf(0.075f, 0.2f - 0.08f * a) * s;
    split_geom G = legs__split_geom(g, front, kh);
    float width = (g->st.width + 0.03f) * s;
    v3 o = v3_make(0, 0, 0);
    v3 home = mg_stance_toe(g, front, o, 0, width);
    float fyaw = front ? -g->st.toe_out : g->st.toe_out, byaw = back ? -g->st.toe_out : g->st.toe_out;
    /* timeline: per rep (lunge) or once (kneel): step, down, [hold], up, step back */
    int n;
    float t0, P, hold;
    float kt = 1.0f / g->sp; /* kneel: phase time scale */
    if (kneel) {
        n = 1;
        float need = (0.7f + 0.9f + 0.9f + 0.7f) * kt;
        if (need + 0.7f > g->dur) kt *= (g->dur - 0.7f) / need, need = g->dur - 0.7f; /* short clip: quicker */
        hold = g->dur - need - 0.4f;
        if (hold < 0.3f) hold = 0.3f;
        P = need + hold;
        t0 = 0.2f * g->st.delay;
    } else {
        mrep rp = mg_rep_timing(MOTION_LUNGE, &g->p);
        n = mg_reps(MOTION_LUNGE, &g->p);
        t0 = mg_rep_start(g, rp, n);
        P = rp.period;
        hold = 0.1f * P;
    }
    float ph_step = kneel ? 0.7f * kt : 0.22f * P, ph_down = kneel ? 0.9f * kt : 0.23f * P, ph_up = ph_down, ph_back = ph_step;
    mtrack ft;
    memset(&ft, 0, sizeof ft);
    mtrack_add(&ft, g, -1, 1e9f, home, fyaw);
    mkeys kz, ky;
    memset(&kz, 0, sizeof kz), memset(&ky, 0, sizeof ky);
    float ystand = g->ystand - g->st.knee * s;
    mkeys_add(&kz, 0, 0, 0), mkeys_add(&ky, 0, ystand, 0);
    for (int k = 0; k < n; k++) {
        float b = t0 + (float)k * P;
        float td = b + ph_step, bot = td + ph_down, rise = bot + hold, up = rise + ph_up, end = up + ph_back;
        mplant *prev = &ft.p[ft.n - 1];
        prev->t1 = b + 0.05f;
        prev->lift = 0.08f * g->st.lift;
        prev->swing_slack = 0;
        mplant *p = mtrack_add(&ft, g, td - 0.05f, up + 0.05f, G.front_toe, fyaw);
        p->lift = 0.07f * g->st.lift;
        p->swing_slack = 0;
        mtrack_add(&ft, g, end - 0.05f, 1e9f, home, fyaw);
        mkeys_add(&kz, b, 0, 0), mkeys_add(&ky, b, ystand, 0);
        mkeys_add(&kz, td, 0.72f * G.z_low, 0.5f * G.z_low / ph_down);
        mkeys_add(&ky, td, mg_lerp(ystand, G.y_low, 0.35f), -0.8f * (ystand - G.y_low) / ph_down);
        mkeys_add(&kz, bot, G.z_low, 0), mkeys_add(&ky, bot, G.y_low, 0);
        mkeys_add(&kz, rise, G.z_low, 0), mkeys_add(&ky, rise, G.y_low, 0);
        mkeys_add(&kz, up, 0.72f * G.z_low, -0.5f * G.z_low / ph_up);
        mkeys_add(&ky, up, mg_lerp(ystand, G.y_low, 0.35f), 0.8f * (ystand - G.y_low) / ph_up);
        mkeys_add(&kz, end, 0, 0), mkeys_add(&ky, end, ystand, 0);
    }
    int hips = g->st.r[2] < 0.45f;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        sp.root.z = mkeys_eval(&kz, t);
        sp.root.y = mkeys_eval(&ky, t);
        float fwd = G.z_low > 0 ? mg_clamp(sp.root.z / G.z_low, 0, 1) : 0;
        float low = mg_clamp((ystand - sp.root.y) / (ystand - G.y_low), 0, 1);
        mtrack_eval(&sp.foot[front], g, &ft, t, NULL);
        mfoot *fb = &sp.foot[back];
        fb->toe = G.back_toe;
        fb->yaw = byaw;
        fb->pitch = mg_lerp(g->flat, G.back_pitch, mg_smooth(fwd * 1.3f));
        fb->pole = v3_make(0, -0.6f, 1);
        sp.pitch = g->st.lean + 0.08f * low;
        sp.nk_flex += 0.05f * low;
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            if (hips && !kneel) { /* hands on the hips */
                float w = mg_window(t, t0 - 0.3f, t0 + (float)n * P + 0.1f, 0.3f);
                m->abd = mg_lerp(m->abd, 0.6f, w);
                m->elbow = mg_lerp(m->elbow, 1.8f, w);
                m->twist = mg_lerp(0, 0.5f, w);
                m->flex = mg_lerp(m->flex, -0.2f, w);
            } else {
                m->flex += 0.15f * low;
                m->elbow += 0.2f * low;
            }
        }
        if (kneel) { /* front-side hand rests on the front knee */
            mg_spec_resolve(g, &sp);
            v3 wr = mg_spec_wrist(g, &sp, front);
            float ls = g->body.length[J_L_ANKLE];
            v3 knee = v3_add(kin_ankle_from_toe(&g->body, G.front_toe, g->flat, fyaw), v3_make(0, ls, 0.03f * s));
            v3 on = v3_add(knee, v3_make((front ? 0.02f : -0.02f) * s, 0.05f * s, -0.04f * s));
            float w = mg_smooth(low * 1.2f - 0.1f);
            marm *m = &sp.arm[front];
            m->mode = MA_WORLD;
            m->wrist = v3_lerp(wr, on, w);
            m->pole = mg_pole_blend(front, v3_make(front ? -0.6f : 0.6f, 0, -1), w);
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

mosa_status act_lunge(mgen *g) { return legs__split(g, 0); }
mosa_status act_kneel(mgen *g) { return legs__split(g, 1); }

/* ------------------------------------------------------------------------------------------ */
/* Kicks                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static mosa_status legs__kick(mgen *g, int side_kick) {
    int action = side_kick ? MOTION_SIDE_KICK : MOTION_FRONT_KICK;
    mrep rp = mg_rep_timing(action, &g->p);
    int n = mg_reps(action, &g->p);
    float t0 = mg_rep_start(g, rp, n), P = rp.period, s = g->s, a = g->amp;
    int kf = g->side, sup = 1 - kf;
    float kx = kf ? -1.0f : 1.0f;
    float width = g->st.width * s;
    v3 o = v3_make(0, 0, 0);
    v3 home = mg_stance_toe(g, kf, o, 0, width), sup_toe = mg_stance_toe(g, sup, o, 0, width);
    float kyaw = kf ? -g->st.toe_out : g->st.toe_out;
    float H = (0.42f + 0.32f * a) * s; /* toe height at full extension */
    v3 chamber, ext;
    float p_ch = 0.9f, p_ext;
    if (!side_kick) {
        chamber = v3_make(0, 0.42f * s, 0.18f * s);
        ext = v3_make(0, H - KIN_TOE_HEIGHT * s, (0.42f + 0.12f * a) * s);
        p_ext = -0.15f;
    } else {
        chamber = v3_make(kx * 0.06f * s, 0.42f * s, 0.12f * s);
        ext = v3_make(kx * (0.48f + 0.12f * a) * s, H - KIN_TOE_HEIGHT * s - 0.05f * s, -0.1f * s);
        p_ext = 0.35f;
    }
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    float xs = sup_toe.x * 0.8f;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt, u;
        int k = legs__rep(&u, t, t0, P, n);
        float shift = 0, ch = 0, ex = 0;
        if (k >= 0 && k < n) {
            shift = mg_smooth(u / 0.15f) * (1 - mg_smooth((u - 0.84f) / 0.16f));
            ch = mg_smooth((u - 0.15f) / 0.2f) * (1 - mg_smooth((u - 0.65f) / 0.19f));
            ex = mg_smooth((u - 0.35f) / 0.13f) * (1 - mg_smooth((u - 0.5f) / 0.15f));
        }
        float guard = mg_window(t, t0 - 0.2f, t0 + (float)n * P + 0.1f, 0.3f);
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        sp.root.x = xs * shift;
        sp.root.y -= 0.02f * s * shift;
        if (!side_kick) sp.pitch = g->st.lean - 0.2f * ex + 0.05f * ch;
        else {
            sp.roll = -kx * 0.45f * ex;
            sp.sp_lat = -kx * 0.2f * ex;
            sp.yaw = -kx * 0.35f * ch;
        }
        mfoot *fk = &sp.foot[kf];
        if (ch > 0) {
            v3 off = v3_add(v3_scale(chamber, ch * (1 - ex)), v3_scale(ext, ex));
            fk->toe = v3_add(home, mg_rot_yaw(sp.yaw, off));
            fk->pitch = mg_lerp(mg_lerp(g->flat, p_ch, ch), p_ext, ex);
            fk->yaw = kyaw + sp.yaw + (side_kick ? -kx * 0.9f * ex : 0);
            fk->pole = side_kick ? v3_add(v3_make(0, 0.6f, 1), v3_make(0, -0.4f * ex, 0))
                                 : v3_make(0, 1.0f - 0.3f * ex, 0.5f);
            fk->planted = 0;
            fk->slack = -1;
        }
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            m->mode = MA_CHEST;
            v3 gp = legs__guard(g, q);
            if (side_kick && q == kf) gp = v3_add(gp, v3_make(kx * 0.1f * s, -0.1f * s * ex, -0.1f * s * ex));
            m->wrist = v3_lerp(rest[q], gp, mg_smooth(guard));
            m->pole = mg_pole_blend(q, v3_make(q ? -1.0f : 1.0f, -1, -0.2f), guard);
        }
        sp.nk_flex -= 0.1f * ex;
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

mosa_status act_front_kick(mgen *g) { return legs__kick(g, 0); }
mosa_status act_side_kick(mgen *g) { return legs__kick(g, 1); }

/* ------------------------------------------------------------------------------------------ */
/* Standing poses on one leg and wide stances                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Time layout of a held pose: enter over [a, b], hold to c, leave over [c, d]. */
typedef struct hold_times { float a, b, c, d; } hold_times;

static hold_times legs__hold(const mgen *g, float enter, float leave) {
    hold_times h;
    h.a = 0.2f + 0.3f * g->st.delay;
    h.b = h.a + enter / g->sp;
    h.d = g->dur - 0.15f - 0.3f * (1 - g->st.delay);
    h.c = h.d - leave / g->sp;
    if (h.c < h.b + 0.3f) { /* short clip: compress */
        float k = (g->dur - 0.3f) / (enter + leave + 0.3f) * g->sp;
        h.a = 0.1f, h.b = h.a + enter / g->sp * k, h.c = h.b + 0.3f, h.d = h.c + leave / g->sp * k;
    }
    return h;
}

mosa_status act_leg_stretch(mgen *g) {
    /* quad stretch: the side foot is pulled up behind to the buttock by the same-side hand */
    int lf = g->side, sup = 1 - lf;
    float lx = lf ? -1.0f : 1.0f, s = g->s, a = g->amp;
    hold_times h = legs__hold(g, 1.1f, 0.9f);
    float width = g->st.width * s;
    v3 o = v3_make(0, 0, 0);
    v3 home = mg_stance_toe(g, lf, o, 0, width), sup_toe = mg_stance_toe(g, sup, o, 0, width);
    float hyaw = lf ? -g->st.toe_out : g->st.toe_out;
    int other_arm = g->st.r[1] < 0.5f; /* 1: free arm out to the side, 0: hand on the hip */
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float shift = mg_smooth((t - h.a) / 0.35f) * (1 - mg_smooth((t - h.d + 0.3f) / 0.3f));
        float up = mg_smooth((t - h.a - 0.3f) / (h.b - h.a - 0.3f)) * (1 - mg_smooth((t - h.c) / (h.d - h.c - 0.3f)));
        float grab = mg_smooth((up - 0.55f) / 0.4f);
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        sp.root.x = sup_toe.x * 0.85f * shift;
        sp.root.y -= 0.015f * s * shift;
        sp.pitch += 0.2f * up;
        sp.sp_lat = lx * 0.12f * up;
        sp.col_up[lf] -= 0.15f * up;
        mfoot *ff = &sp.foot[lf];
        if (up > 0) {
            /* ankle behind the hip, heel towards the buttock, knee pointing down */
            v3 held_ankle = mg_body_to_world(sp.root, 0, v3_make(lx * 0.1f * s, -(0.2f - 0.06f * a) * s, -0.16f * s));
            v3 held_toe = v3_add(held_ankle, v3_scale(kin_foot_dir(-0.9f, (float)M_PI), g->body.length[J_L_FOOT]));
            v3 mid = v3_lerp(home, held_toe, 0.5f);
            mid.z -= 0.15f * s;
            float w = mg_smooth(up);
            ff->toe = v3_lerp(v3_lerp(home, mid, w), v3_lerp(mid, held_toe, w), w);
            ff->pitch = mg_lerp(g->flat, -0.9f, w);
            ff->yaw = hyaw + ((float)M_PI - hyaw) * w;
            ff->pole = v3_make(0, -1, 0.35f);
            ff->planted = 0;
            ff->slack = -1;
        }
        mg_spec_resolve(g, &sp);
        if (grab > 0) {
            v3 ank = kin_ankle_from_toe(&g->body, ff->toe, ff->pitch, ff->yaw);
            v3 target = v3_add(ank, v3_make(0, 0.06f * s, -0.02f * s));
            v3 wr = mg_spec_wrist(g, &sp, lf);
            marm *m = &sp.arm[lf];
            m->mode = MA_WORLD;
            m->wrist = v3_lerp(wr, target, grab);
            m->pole = mg_pole_blend(lf, v3_make(lx * 0.4f, 0, -1), grab);
        }
        marm *o2 = &sp.arm[sup];
        if (other_arm) o2->abd = mg_lerp(o2->abd, 0.9f, up), o2->elbow += 0.2f * up;
        else o2->abd = mg_lerp(o2->abd, 0.6f, up), o2->elbow = mg_lerp(o2->elbow, 1.8f, up), o2->twist = 0.5f * up;
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

mosa_status act_tree_pose(mgen *g) {
    /* the side foot rests on the inside of the standing leg; palms together, then overhead */
    int lf = g->side, sup = 1 - lf;
    float lx = lf ? -1.0f : 1.0f, s = g->s, a = g->amp;
    hold_times h = legs__hold(g, 1.4f, 1.1f);
    float width = g->st.width * s;
    v3 o = v3_make(0, 0, 0);
    v3 home = mg_stance_toe(g, lf, o, 0, width), sup_toe = mg_stance_toe(g, sup, o, 0, width);
    float hyaw = lf ? -g->st.toe_out : g->st.toe_out;
    int overhead = a >= 0.9f && h.c - h.b > 1.6f;
    float t_up = h.b + 0.3f, t_dn = h.c - 0.7f;
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    /* foot height on the standing leg: calf (low amplitude) to inner thigh */
    float fh = (a < 0.7f ? 0.28f : 0.5f) * s;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float shift = mg_smooth((t - h.a) / 0.4f) * (1 - mg_smooth((t - h.d + 0.35f) / 0.35f));
        float up = mg_smooth((t - h.a - 0.35f) / (h.b - h.a - 0.35f)) * (1 - mg_smooth((t - h.c) / (h.d - h.c - 0.35f)));
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        sp.root.x = sup_toe.x * 0.9f * shift;
        mfoot *ff = &sp.foot[lf];
        if (up > 0) {
            /* sole against the inside of the standing leg, toes down, knee out to the side */
            v3 ank = v3_make(sup_toe.x + lx * 0.07f * s, fh + 0.06f * s, 0.02f * s);
            v3 placed = v3_add(ank, v3_scale(kin_foot_dir(1.2f, -lx * 0.4f), g->body.length[J_L_FOOT]));
            v3 mid = v3_lerp(home, placed, 0.5f);
            mid.x += lx * 0.2f * s;
            mid.y += 0.1f * s;
            float w = mg_smooth(up);
            ff->toe = v3_lerp(v3_lerp(home, mid, w), v3_lerp(mid, placed, w), w);
            ff->pitch = mg_lerp(g->flat, 1.2f, w);
            ff->yaw = mg_lerp(hyaw, -lx * 0.4f, w);
            ff->pole = v3_make(lx * 1.0f, 0.1f, 0.5f);
            ff->planted = 0;
            ff->slack = -1;
        }
        float palms = mg_window(t, h.a + 0.3f, h.d - 0.2f, 0.5f);
        float high = overhead ? mg_window(t, t_up, t_dn, 0.6f) : 0;
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            float kx = q ? -1.0f : 1.0f;
            v3 chest = v3_make(kx * 0.035f * s, -0.02f * s, 0.2f * s);
            v3 top = v3_make(kx * 0.04f * s, 0.66f * s, 0.06f * s);
            m->mode = MA_CHEST;
            m->wrist = v3_lerp(v3_lerp(rest[q], chest, mg_smooth(palms)), top, mg_smooth(high));
            m->pole = mg_pole_blend(q, v3_make(kx, -0.5f * (1 - high) - 0.2f, -0.3f), palms);
        }
        sp.col_up[0] += 0.15f * high, sp.col_up[1] += 0.15f * high;
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

mosa_status act_warrior(mgen *g) {
    /* warrior II: the side foot steps out wide and turns out, its knee bends over the ankle,
     * arms stretch out to the sides, the gaze follows the front hand */
    int lf = g->side, bk = 1 - lf;
    float lx = lf ? -1.0f : 1.0f, s = g->s, a = g->amp;
    hold_times h = legs__hold(g, 1.8f, 1.4f);
    float width = g->st.width * s;
    v3 o = v3_make(0, 0, 0);
    v3 home = mg_stance_toe(g, lf, o, 0, width);
    float hyaw = lf ? -g->st.toe_out : g->st.toe_out;
    float span = (0.95f + 0.2f * a) * s;
    float fyaw = lx * (float)M_PI * 0.5f;
    v3 ankle_w = v3_make(mg_stance_toe(g, bk, o, 0, width).x + lx * span, KIN_ANKLE_HEIGHT * s, 0.0f);
    v3 wide = v3_add(ankle_w, v3_scale(kin_foot_dir(g->flat, fyaw), g->body.length[J_L_FOOT]));
    wide.y = KIN_TOE_HEIGHT * s;
    mtrack ft;
    memset(&ft, 0, sizeof ft);
    /* phases inside the hold layout: step out, bend, hold, straighten, step back */
    float t_step = h.a, t_land = h.a + 0.4f * (h.b - h.a);
    float t_lift = h.c + 0.5f * (h.d - h.c), t_home = h.d;
    mplant *p0 = mtrack_add(&ft, g, -1, t_step, home, hyaw);
    p0->lift = 0.09f, p0->swing_slack = 0;
    mplant *p1 = mtrack_add(&ft, g, t_land, t_lift, wide, fyaw);
    p1->lift = 0.08f, p1->swing_slack = 0;
    mtrack_add(&ft, g, t_home, 1e9f, home, hyaw);
    float x_mid = ankle_w.x * 0.45f;
    float bend_lo = t_land + 0.05f * (h.b - h.a), bend_hi = h.b;
    float unb_lo = h.c, unb_hi = t_lift - 0.05f * (h.d - h.c);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float open = mg_smooth((t - t_step) / (t_land - t_step)) * (1 - mg_smooth((t - t_lift) / (t_home - t_lift)));
        float bend = mg_smooth((t - bend_lo) / (bend_hi - bend_lo)) * (1 - mg_smooth((t - unb_lo) / (unb_hi - unb_lo)));
        float arms = mg_window(t, t_step, t_home, 0.6f);
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        mtrack_eval(&sp.foot[lf], g, &ft, t, NULL);
        sp.root.x = x_mid * open + lx * 0.08f * s * bend;
        sp.root.y -= (0.05f * open + (0.2f + 0.06f * a) * bend) * s;
        sp.yaw = lx * 0.12f * bend;
        sp.sp_twist = -lx * 0.12f * bend;
        sp.nk_twist = lx * 1.2f * arms;
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            m->abd = mg_lerp(m->abd, 1.55f, arms);
            m->elbow = mg_lerp(m->elbow, 0.05f, arms);
            m->flex = mg_lerp(m->flex, 0.0f, arms);
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Sitting down and standing up                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Pelvis keys (z, y, pitch) between standing over the feet at z = zf and seated at z = zs. */
static mosa_status legs__sit(mgen *g, int up) {
    float s = g->s, a = g->amp;
    float seat = (0.43f + 0.06f * g->st.r[1]) * s * (a < 0.8f ? 1.12f : 1.0f);
    float zs = -0.36f * s; /* seated pelvis relative to the feet's stance origin */
    float ystand = g->ystand - g->st.knee * s, yseat = seat + 0.07f * s;
    float D = 1.25f / g->sp; /* the movement */
    if (D > g->dur - 0.3f) D = g->dur - 0.3f;
    float tm0 = up ? 0.3f + 0.5f * g->st.delay : 0.2f + 0.4f * g->st.delay;
    if (tm0 + D > g->dur - 0.2f) tm0 = fmaxf(0.05f, g->dur - 0.2f - D);
    float tm1 = tm0 + D;
    /* feet stay put: at z = 0 for sitting, at z = -zs for standing up (pelvis starts at 0) */
    v3 o = v3_make(0, 0, up ? -zs : 0);
    mkeys kz, ky, kp;
    memset(&kz, 0, sizeof kz), memset(&ky, 0, sizeof ky), memset(&kp, 0, sizeof kp);
    float z_stand = o.z, z_seat = o.z + zs;
    if (!up) {
        mkeys_add(&kz, 0, z_stand, 0), mkeys_add(&ky, 0, ystand, 0), mkeys_add(&kp, 0, 0, 0);
        mkeys_add(&kz, tm0, z_stand, 0), mkeys_add(&ky, tm0, ystand, 0), mkeys_add(&kp, tm0, 0, 0);
        mkeys_add(&kz, tm0 + 0.45f * D, z_stand + 0.45f * zs, 0.9f * zs / D);
        mkeys_add(&ky, tm0 + 0.45f * D, mg_lerp(ystand, yseat, 0.4f), -1.0f * (ystand - yseat) / D);
        mkeys_add(&kp, tm0 + 0.5f * D, 0.6f, 0);
        mkeys_add(&kz, tm1, z_seat, 0), mkeys_add(&ky, tm1, yseat, 0), mkeys_add(&kp, tm1 + 0.3f, 0.1f, 0);
        mkeys_add(&kp, tm1 + 1.0f, 0.02f, 0);
    } else {
        mkeys_add(&kz, 0, z_seat, 0), mkeys_add(&ky, 0, yseat, 0), mkeys_add(&kp, 0, 0.05f, 0);
        mkeys_add(&kz, tm0, z_seat, 0), mkeys_add(&ky, tm0, yseat, 0), mkeys_add(&kp, tm0, 0.05f, 0);
        mkeys_add(&kp, tm0 + 0.35f * D, 0.7f, 0);
        mkeys_add(&kz, tm0 + 0.35f * D, z_seat + 0.3f * (-zs), 0.8f * (-zs) / D);
        mkeys_add(&ky, tm0 + 0.45f * D, mg_lerp(yseat, ystand, 0.3f), 1.2f * (ystand - yseat) / D);
        mkeys_add(&kz, tm1, z_stand, 0), mkeys_add(&ky, tm1, ystand, 0), mkeys_add(&kp, tm1, 0, 0);
    }
    int lap = g->st.r[2] < 0.6f;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        sp.root.z = mkeys_eval(&kz, t);
        sp.root.y = mkeys_eval(&ky, t);
        float pitch = mkeys_eval(&kp, t);
        sp.pitch = g->st.lean + pitch;
        sp.sp_flex += 0.2f * pitch;
        sp.nk_flex -= 0.5f * pitch;
        float seated = mg_clamp((ystand - sp.root.y) / (ystand - yseat), 0, 1);
        for (int f = 0; f < 2; f++) sp.foot[f].pole = v3_make((f ? -1.0f : 1.0f) * 0.15f, 0.1f, 1);
        float reach = pitch > 0.1f ? (pitch - 0.1f) : 0;
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            m->flex += 1.2f * reach;
            m->elbow += 0.3f * reach;
        }
        if (lap && seated > 0.5f) { /* hands come to rest on the thighs */
            mg_spec_resolve(g, &sp);
            float w = mg_smooth((seated - 0.5f) / 0.5f) * (up ? 1 - mg_smooth((t - tm0) / 0.3f) : 1);
            for (int q = 0; q < 2; q++) {
                v3 wr = mg_spec_wrist(g, &sp, q);
                float kx = q ? -1.0f : 1.0f;
                v3 thigh = v3_make(kx * 0.14f * s, yseat + 0.12f * s, z_seat + 0.25f * s);
                marm *m = &sp.arm[q];
                m->mode = MA_WORLD;
                m->wrist = v3_lerp(wr, thigh, w);
                m->pole = mg_pole_blend(q, v3_make(kx * 0.7f, -0.3f, -1), w);
            }
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

mosa_status act_sit_down(mgen *g) { return legs__sit(g, 0); }
mosa_status act_stand_up(mgen *g) { return legs__sit(g, 1); }
