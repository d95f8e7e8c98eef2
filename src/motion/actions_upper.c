/* actions_upper.c: standing actions led by the arms and trunk: punching, waving one or both
 * hands, clapping, raising the arms, a side stretch, touching the toes, bowing, throwing. The
 * feet stay planted except where a step is part of the action (boxing stance, throw). */
#include "actions_common.h"

#include <math.h>
#include <string.h>

static int upper__rep(float *u, float t, float t0, float period, int n) {
    if (t < t0) { *u = 0; return -1; }
    int k = (int)((t - t0) / period);
    if (k >= n) { *u = 0; return n; }
    *u = (t - t0 - (float)k * period) / period;
    return k;
}

/* A gesture window: rises over [a, a+r], falls over [b-r, b]. */
static float upper__on(float t, float a, float b, float r) { return mg_window(t, a, b, r); }

/* ------------------------------------------------------------------------------------------ */
/* Punch                                                                                      */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_punch(mgen *g) {
    mrep rp = mg_rep_timing(MOTION_PUNCH, &g->p);
    int n = mg_reps(MOTION_PUNCH, &g->p);
    float t0 = mg_rep_start(g, rp, n), P = rp.period, s = g->s, a = g->amp;
    int pf = g->side, lead = 1 - pf; /* the punching side's foot steps back */
    float px = pf ? -1.0f : 1.0f;
    float width = g->st.width * s;
    v3 o = v3_make(0, 0, 0);
    v3 home = mg_stance_toe(g, pf, o, 0, width);
    v3 back = v3_add(home, v3_make(px * 0.04f * s, 0, -(0.28f + 0.04f * a) * s));
    float hyaw = pf ? -g->st.toe_out : g->st.toe_out;
    mtrack ft;
    memset(&ft, 0, sizeof ft);
    float t_in = t0 - 0.65f, t_out = t0 + (float)n * P + 0.1f;
    if (t_in < 0.05f) t_in = 0.05f;
    mplant *p0 = mtrack_add(&ft, g, -1, t_in, home, hyaw);
    p0->lift = 0.06f, p0->swing_slack = 0;
    mplant *p1 = mtrack_add(&ft, g, t_in + 0.35f, t_out, back, hyaw + px * 0.5f);
    p1->lift = 0.06f, p1->swing_slack = 0;
    mtrack_add(&ft, g, t_out + 0.35f, 1e9f, home, hyaw);
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    float high = g->st.r[1] < 0.7f ? 1.0f : 0.0f; /* to the head or to the body */
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt, u;
        int k = upper__rep(&u, t, t0, P, n);
        float hit = 0;
        if (k >= 0 && k < n) hit = u < 0.3f ? mg_smooth(u / 0.3f) : 1 - mg_smooth((u - 0.3f) / 0.4f);
        float stance = mg_smooth((t - t_in) / 0.4f) * (1 - mg_smooth((t - t_out) / 0.4f));
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        mtrack_eval(&sp.foot[pf], g, &ft, t, NULL);
        sp.root.z = -0.1f * s * stance + 0.04f * s * hit;
        sp.root.y -= 0.04f * s * stance;
        sp.yaw = px * 0.35f * stance - px * 0.3f * hit * a;
        sp.sp_twist = -px * 0.25f * hit * a;
        sp.nk_twist = -sp.yaw * 0.8f;
        sp.sp_flex += 0.08f * stance;
        sp.nk_flex -= 0.08f * stance;
        sp.foot[lead].yaw += px * 0.2f * stance;
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            float kx = q ? -1.0f : 1.0f;
            v3 guard = v3_make(kx * 0.12f * s, 0.1f * s, 0.26f * s);
            m->mode = MA_CHEST;
            m->wrist = v3_lerp(rest[q], guard, mg_smooth(stance));
            m->pole = mg_pole_blend(q, v3_make(kx, -1, -0.1f), stance);
            if (q == pf) {
                v3 strike = v3_make(-kx * 0.02f * s, (0.06f * high - 0.08f * (1 - high)) * s, (0.46f + 0.04f * a) * s);
                m->wrist = v3_lerp(m->wrist, strike, hit);
                m->pole = mg_pole_blend(q, v3_make(kx * 0.6f, -1 + 0.7f * hit, -0.1f), stance);
            }
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Waving                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static mosa_status upper__wave(mgen *g, int both) {
    float s = g->s, a = g->amp;
    float f = (1.8f + 0.6f * g->st.r[1]) * g->sp; /* waves per second */
    float ta = 0.15f + 0.4f * g->st.delay, tb = g->dur - 0.1f - 0.4f * (1 - g->st.delay);
    if (tb < ta + 1.0f) ta = 0.1f, tb = g->dur - 0.1f;
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    int overhead = both || a > 1.3f;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float up = upper__on(t, ta, tb, 0.45f);
        float osc = sinf(2 * (float)M_PI * f * (t - ta)) * mg_smooth((up - 0.6f) / 0.4f);
        mspec sp;
        mspec_stand(&sp, g, v3_make(0, 0, 0), 0);
        for (int q = 0; q < 2; q++) {
            float kx = q ? -1.0f : 1.0f;
            if (!both && q != g->side) continue;
            marm *m = &sp.arm[q];
            m->mode = MA_CHEST;
            v3 hand;
            if (overhead) {
                float sw = both ? osc : kx * osc;
                hand = v3_make(kx * 0.3f * s + sw * 0.13f * s * a, 0.45f * s, 0.06f * s);
                m->pole = mg_pole_blend(q, v3_make(kx, -0.3f, -0.1f), up);
            } else {
                hand = v3_make(kx * (0.36f + 0.09f * osc * a) * s, 0.36f * s, 0.14f * s);
                m->pole = mg_pole_blend(q, v3_make(kx, -1.0f, -0.3f), up);
            }
            m->wrist = v3_lerp(rest[q], hand, mg_smooth(up));
            sp.col_up[q] += (overhead ? 0.25f : 0.08f) * up;
        }
        if (!both) {
            sp.sp_lat = -g->sg * 0.04f * up;
            sp.nk_twist = g->sg * 0.15f * up;
        } else {
            sp.root.x = 0.02f * s * osc;
            sp.sp_lat = 0.05f * osc;
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

mosa_status act_wave(mgen *g) { return upper__wave(g, 0); }
mosa_status act_wave_both(mgen *g) { return upper__wave(g, 1); }

/* ------------------------------------------------------------------------------------------ */
/* Clapping                                                                                   */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_clap(mgen *g) {
    mrep rp = mg_rep_timing(MOTION_CLAP, &g->p);
    int n = mg_reps(MOTION_CLAP, &g->p);
    float t0 = mg_rep_start(g, rp, n), P = rp.period, s = g->s, a = g->amp;
    int above = a > 1.35f;
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    float t_end = t0 + (float)n * P;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float up = mg_smooth((t - t0 + 0.35f) / 0.35f) * (1 - mg_smooth((t - t_end - 0.05f) / 0.35f));
        /* hands meet at the end of each period: open = 0 at the clap */
        float open = t < t0 ? 1.0f : t >= t_end ? 1.0f : 0.5f - 0.5f * cosf(2 * (float)M_PI * (t - t0) / P);
        open = 0.15f + 0.85f * open;
        mspec sp;
        mspec_stand(&sp, g, v3_make(0, 0, 0), 0);
        for (int q = 0; q < 2; q++) {
            float kx = q ? -1.0f : 1.0f;
            marm *m = &sp.arm[q];
            m->mode = MA_CHEST;
            v3 hand = above ? v3_make(kx * (0.04f + 0.16f * open * a) * s, 0.5f * s, 0.12f * s)
                            : v3_make(kx * (0.04f + 0.2f * open * a) * s, 0.0f, 0.3f * s);
            m->wrist = v3_lerp(rest[q], hand, up);
            m->pole = mg_pole_blend(q, v3_make(kx, -1, -0.3f), up);
            if (above) sp.col_up[q] += 0.2f * up;
        }
        sp.nk_flex += above ? -0.15f * up : 0.05f * up;
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Raising the arms                                                                           */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_raise_arms(mgen *g) {
    mrep rp = mg_rep_timing(MOTION_RAISE_ARMS, &g->p);
    int n = mg_reps(MOTION_RAISE_ARMS, &g->p);
    float t0 = mg_rep_start(g, rp, n), P = rp.period, a = g->amp;
    int lateral = g->st.r[1] < 0.5f;
    float top = fminf(2.95f, 2.9f * a);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt, u;
        int k = upper__rep(&u, t, t0, P, n);
        float up = 0;
        if (k >= 0 && k < n) up = u < 0.5f ? mg_smooth(u / 0.36f) : 1 - mg_smooth((u - 0.55f) / 0.36f);
        mspec sp;
        mspec_stand(&sp, g, v3_make(0, 0, 0), 0);
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            if (lateral) m->abd = mg_lerp(m->abd, top, up), m->flex = 0.15f * up;
            else m->flex = mg_lerp(m->flex, top, up), m->abd = mg_lerp(m->abd, 0.25f, up);
            m->elbow = mg_lerp(m->elbow, 0.08f, up);
            sp.col_up[q] += 0.25f * up * (top > 2.0f ? 1.0f : 0.5f);
        }
        sp.sp_flex -= 0.08f * up;
        sp.nk_flex -= 0.2f * up;
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Side stretch                                                                               */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_side_stretch(mgen *g) {
    /* leans to `side` with the other arm arching over the head; the near hand slides down the leg */
    float s = g->s, a = g->amp, dir = g->sg;
    int over = 1 - g->side, near = g->side;
    float ta = 0.2f + 0.3f * g->st.delay, tb = g->dur - 0.15f - 0.3f * (1 - g->st.delay);
    float ramp = fminf(1.0f / g->sp, 0.4f * (tb - ta));
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float arm = mg_window(t, ta, tb, ramp);
        float lean = mg_window(t, ta + 0.4f * ramp, tb - 0.1f * ramp, 0.8f * ramp);
        float pulse = 1 + 0.12f * sinf(2 * (float)M_PI * 0.4f * (t - ta)) * lean;
        mspec sp;
        mspec_stand(&sp, g, v3_make(0, 0, 0), 0);
        sp.sp_lat = dir * (0.55f + 0.15f * a) * lean * pulse;
        sp.roll = dir * 0.08f * lean;
        sp.root.x = -dir * 0.06f * s * lean;
        sp.nk_lat = dir * 0.2f * lean;
        marm *mo = &sp.arm[over];
        mo->abd = mg_lerp(mo->abd, 2.75f, arm);
        mo->elbow = mg_lerp(mo->elbow, 0.45f, arm);
        mo->flex = 0.1f * arm;
        sp.col_up[over] += 0.2f * arm;
        /* the near hand slides down the outside of the thigh */
        mg_spec_resolve(g, &sp);
        if (lean > 0) {
            v3 wr = mg_spec_wrist(g, &sp, near);
            v3 thigh = v3_add(sp.root, v3_make(dir * 0.2f * s, -(0.24f + 0.12f * lean) * s, 0.03f * s));
            marm *mn = &sp.arm[near];
            mn->mode = MA_WORLD;
            mn->wrist = v3_lerp(wr, thigh, mg_smooth(lean));
            mn->pole = mg_pole_blend(near, v3_make(dir * 0.6f, 0, -1), lean);
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Toe touch and bow                                                                          */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_toe_touch(mgen *g) {
    mrep rp = mg_rep_timing(MOTION_TOE_TOUCH, &g->p);
    int n = mg_reps(MOTION_TOE_TOUCH, &g->p);
    float t0 = mg_rep_start(g, rp, n), P = rp.period, s = g->s, a = g->amp;
    v3 o = v3_make(0, 0, 0);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt, u;
        int k = upper__rep(&u, t, t0, P, n);
        float d = 0;
        if (k >= 0 && k < n) d = u < 0.5f ? mg_smooth(u / 0.38f) : 1 - mg_smooth((u - 0.58f) / 0.38f);
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        sp.pitch += (1.35f + 0.2f * a) * d;
        sp.sp_flex += (0.75f + 0.2f * a) * d;
        sp.nk_flex += 0.2f * d;
        sp.root.z -= 0.2f * s * d;
        sp.root.y -= 0.05f * s * d;
        mg_spec_resolve(g, &sp);
        /* hands reach for the toes */
        float reach = mg_smooth((d - 0.2f) / 0.8f);
        for (int q = 0; q < 2; q++) {
            v3 wr = mg_spec_wrist(g, &sp, q);
            v3 toe = sp.foot[q].toe;
            v3 goal = v3_add(toe, v3_make(0, (0.2f - 0.06f * a) * s, 0.02f * s));
            marm *m = &sp.arm[q];
            m->mode = MA_WORLD;
            m->wrist = v3_lerp(wr, goal, reach);
            m->pole = mg_pole_blend(q, v3_make((q ? -1.0f : 1.0f) * 0.3f, 0.2f, -1), reach);
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

mosa_status act_bow(mgen *g) {
    mrep rp = mg_rep_timing(MOTION_BOW, &g->p);
    int n = mg_reps(MOTION_BOW, &g->p);
    float t0 = mg_rep_start(g, rp, n), P = rp.period, s = g->s, a = g->amp;
    int hand = g->st.r[1] < 0.35f; /* one hand on the chest */
    int hs = g->st.r[2] < 0.5f ? 0 : 1;
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt, u;
        int k = upper__rep(&u, t, t0, P, n);
        float d = 0;
        if (k >= 0 && k < n) d = u < 0.55f ? mg_smooth(u / 0.33f) : 1 - mg_smooth((u - 0.6f) / 0.33f);
        float hw = mg_smooth(t / 0.8f) * (1 - mg_smooth((t - t0 - (float)n * P) / 0.8f));
        mspec sp;
        mspec_stand(&sp, g, v3_make(0, 0, 0), 0);
        sp.pitch += (0.45f + 0.25f * a) * d;
        sp.sp_flex += 0.15f * d;
        sp.nk_flex += 0.35f * d;
        sp.root.z -= 0.06f * s * d;
        for (int q = 0; q < 2; q++) {
            marm *m = &sp.arm[q];
            m->flex += 0.5f * d * (0.4f + 0.6f * ((sp.pitch - g->st.lean) > 0.5f));
            if (hand && q == hs) {
                float kx = q ? -1.0f : 1.0f;
                m->mode = MA_CHEST;
                m->wrist = v3_lerp(rest[q], v3_make(-kx * 0.04f * s, 0.0f, 0.14f * s), mg_smooth(hw));
                m->pole = mg_pole_blend(q, v3_make(kx, -1, 0), hw);
            }
        }
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Overhand throw                                                                             */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_throw(mgen *g) {
    float s = g->s, a = g->amp, sp_ = g->sp;
    int tf = g->side, lf = 1 - tf; /* throwing arm side; the other foot strides */
    float tx = tf ? -1.0f : 1.0f;
    float D = 1.8f / sp_;
    if (D + 0.6f > g->dur) D = g->dur - 0.6f; /* short clip: a quicker throw */
    float t0 = 0.2f + fmaxf(0, g->dur - D - 0.9f) * 0.5f * g->st.delay;
    float t_wind = t0, t_stride = t0 + 0.45f * D, t_land = t0 + 0.62f * D, t_rel = t0 + 0.72f * D,
          t_follow = t0 + 0.85f * D, t_step = t0 + 0.95f * D, t_end = t0 + D + 0.4f;
    float width = g->st.width * s, stride = (0.38f + 0.1f * a) * s;
    v3 o = v3_make(0, 0, 0);
    v3 lhome = mg_stance_toe(g, lf, o, 0, width), thome = mg_stance_toe(g, tf, o, 0, width);
    v3 lfwd = v3_add(lhome, v3_make(0, 0, stride));
    v3 tfwd = v3_add(thome, v3_make(0, 0, stride));
    float lyaw = lf ? -g->st.toe_out : g->st.toe_out, tyaw = tf ? -g->st.toe_out : g->st.toe_out;
    mtrack fl, ftt;
    memset(&fl, 0, sizeof fl), memset(&ftt, 0, sizeof ftt);
    mplant *p = mtrack_add(&fl, g, -1, t_stride, lhome, lyaw);
    p->lift = 0.08f, p->swing_slack = 0;
    mtrack_add(&fl, g, t_land, 1e9f, lfwd, lyaw);
    p = mtrack_add(&ftt, g, -1, t_step, thome, tyaw);
    p->heel_t = t_rel - 0.1f, p->heel = 0.5f, p->lift = 0.08f, p->swing_slack = 0;
    mtrack_add(&ftt, g, t_step + 0.35f, 1e9f, tfwd, tyaw);
    mkeys kz, kw;
    memset(&kz, 0, sizeof kz), memset(&kw, 0, sizeof kw);
    mkeys_add(&kz, 0, 0, 0), mkeys_add(&kz, t_wind, 0, 0);
    mkeys_add(&kz, t_stride, -0.06f * s, 0);
    mkeys_add(&kz, t_follow, 0.55f * stride, 0.5f * stride / (t_follow - t_land));
    mkeys_add(&kz, t_end, stride, 0);
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    /* throwing hand path (chest frame): rest, cocked behind the head, release high in front,
     * follow through across the body, back to rest */
    v3 cocked = v3_make(tx * 0.32f * s, 0.3f * s, -0.2f * s);
    v3 release = v3_make(tx * 0.15f * s, 0.38f * s, 0.4f * s);
    v3 follow = v3_make(-tx * 0.2f * s, -0.32f * s, 0.36f * s);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float cock = mg_smooth((t - t_wind) / (t_stride - t_wind + 0.1f));
        float whip = mg_smooth((t - t_land + 0.05f) / (t_rel - t_land + 0.05f));
        float fol = mg_smooth((t - t_rel) / (t_follow - t_rel));
        float back = mg_smooth((t - t_step) / (t_end - t_step));
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        sp.root.z = mkeys_eval(&kz, t);
        mtrack_eval(&sp.foot[lf], g, &fl, t, NULL);
        mtrack_eval(&sp.foot[tf], g, &ftt, t, NULL);
        float twist = tx * 0.55f * cock * (1 - whip) - tx * 0.45f * whip * (1 - back);
        sp.yaw = 0.6f * twist;
        sp.sp_twist = 0.7f * twist;
        sp.nk_twist = -1.1f * twist;
        sp.sp_flex += 0.35f * fol * (1 - back);
        sp.pitch += 0.12f * fol * (1 - back) - 0.06f * cock * (1 - whip);
        sp.sp_lat = -tx * 0.12f * cock * (1 - whip);
        /* throwing arm */
        v3 w = v3_lerp(rest[tf], cocked, cock);
        w = v3_lerp(w, release, whip);
        w = v3_lerp(w, follow, fol);
        w = v3_lerp(w, rest[tf], back);
        marm *m = &sp.arm[tf];
        m->mode = MA_CHEST;
        m->wrist = w;
        m->pole = mg_pole_blend(tf, v3_make(tx * (1 - 0.5f * cock), -1 + 1.4f * cock * (1 - fol), -0.6f * cock),
                                mg_smooth(cock) * (1 - back));
        /* the other arm points ahead, then tucks in */
        marm *o2 = &sp.arm[lf];
        float point = cock * (1 - whip);
        o2->flex = mg_lerp(o2->flex, 1.4f, point) + 0.2f * whip * (1 - back);
        o2->elbow = mg_lerp(o2->elbow, 0.25f, point) + 1.0f * whip * (1 - back);
        o2->abd = mg_lerp(o2->abd, 0.2f, point);
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}
