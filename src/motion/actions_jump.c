/* actions_jump.c: actions with airborne phases: jumping in place, jumping forward, hopping on
 * one leg, jumping jacks. The pelvis height is a chain of cubic Hermite keys whose flight
 * segments are exact parabolas under g = 9.81 (a cubic through a parabola's end values and
 * slopes is that parabola); the feet follow the body in the air and land on their plants. */
#include "actions_common.h"

#include <math.h>
#include <string.h>

typedef struct jump_ctx {
    mtrack ft[2];
    mkeys kx, ky, kz, karm;
} jump_ctx;

static void jump__root(const mgen *g, float t, v3 *pos, float *yaw) {
    const jump_ctx *c = (const jump_ctx *)g->ctx;
    *pos = v3_make(mkeys_eval(&c->kx, t), mkeys_eval(&c->ky, t), mkeys_eval(&c->kz, t));
    *yaw = 0;
}

/* Highest pelvis height at (x, z) with pitch `pitch` for which the listed planted feet are
 * reachable at `ext` of the leg length. */
static float jump__reach(const mgen *g, float x, float z, float pitch, const v3 *toe, const float *fpitch,
                         const float *fyaw, int mask) {
    mspec s;
    memset(&s, 0, sizeof s);
    s.root = v3_make(x, 0, z);
    s.pitch = pitch;
    float y = 1e9f;
    for (int f = 0; f < 2; f++) {
        if (!(mask & (1 << f))) continue;
        float r = mg_reach_height(g, &s, f, toe[f], fpitch[f], fyaw[f], 0.975f);
        if (r < y) y = r;
    }
    return y;
}

static jump_ctx *jump__ctx(mgen *g) {
    jump_ctx *c = mosa_calloc(1, sizeof *c);
    g->ctx = c;
    return c;
}

static mosa_status jump__done(mgen *g, jump_ctx *c) {
    mosa_free(c);
    g->ctx = NULL;
    return MOSA_OK;
}


/* ------------------------------------------------------------------------------------------ */
/* A chain of jumps                                                                           */
/* ------------------------------------------------------------------------------------------ */

#define JMAX 64

/* Takeoffs and landings of consecutive jumps: times, pelvis heights and horizontal positions
 * (x, z), and the flight velocities that join them. */
typedef struct jchain {
    int n;
    float to[JMAX], la[JMAX], yto[JMAX], yla[JMAX], v0[JMAX], v1[JMAX];
    float xto[JMAX], zto[JMAX], xla[JMAX], zla[JMAX], vx[JMAX], vz[JMAX];
} jchain;

/* Completes jump k from its times, heights and positions: ballistic speeds. */
static void jump__flight(jchain *J, int k) {
    float tf = J->la[k] - J->to[k];
    mg_flight_speeds(&J->v0[k], &J->v1[k], J->to[k], J->yto[k], J->la[k], J->yla[k]);
    J->vx[k] = (J->xla[k] - J->xto[k]) / tf;
    J->vz[k] = (J->zla[k] - J->zto[k]) / tf;
}

/* Pelvis keys (x, y, z) of a chain: stand until t_start, crouch, push off, fly, and between
 * jumps absorb the landing down to ylow and push again. An absorb takes 2.4 (y - ylow) / |v|
 * seconds and a push 2.4 (y - ylow) / v (about constant force), so every segment is monotone
 * and the flights are exact parabolas. Ends standing at (x_end, ystand, z_end). Returns the time
 * the chain ends standing. *bottoms gets the start of every push (for the arm swing). */
static float jump__keys(jump_ctx *c, const jchain *J, float t_start, float ystand, float ylow, float x_end, float z_end,
                        float *push_at) {
    mkeys_add(&c->ky, 0, ystand, 0), mkeys_add(&c->kx, 0, J->xto[0], 0), mkeys_add(&c->kz, 0, 0, 0);
    mkeys_add(&c->ky, t_start, ystand, 0), mkeys_add(&c->kx, t_start, J->xto[0], 0), mkeys_add(&c->kz, t_start, 0, 0);
    float t_prev = t_start;
    for (int k = 0; k < J->n; k++) {
        float hp = 2.4f * (J->yto[k] - ylow) / J->v0[k];
        float ha = 0, avail = J->to[k] - t_prev;
        if (k > 0) ha = 2.4f * (J->yla[k - 1] - ylow) / -J->v1[k - 1];
        if (ha + hp > 0.9f * avail) {
            float sc = 0.9f * avail / (ha + hp);
            ha *= sc, hp *= sc;
        }
        float t_push = J->to[k] - hp;
        if (k == 0) { /* countermovement from standing */
            float t_b = t_start + 0.6f * (t_push - t_start);
            mkeys_add(&c->ky, t_b, ylow, 0);
            mkeys_add(&c->kx, t_b, J->xto[k] - 0.5f * J->vx[k] * hp, 0);
            mkeys_add(&c->kz, t_b, J->zto[k] - 0.5f * J->vz[k] * hp, 0);
        } else {
            float t_a = J->la[k - 1] + ha;
            mkeys_add(&c->ky, t_a, ylow, 0);
            mkeys_add(&c->kx, t_a, J->xla[k - 1] + 0.5f * J->vx[k - 1] * ha, 0);
            mkeys_add(&c->kz, t_a, J->zla[k - 1] + 0.5f * J->vz[k - 1] * ha, 0);
        }
        if (t_push > c->ky.k[c->ky.n - 1].t + 0.02f) {
            mkeys_add(&c->ky, t_push, ylow, 0);
            mkeys_add(&c->kx, t_push, J->xto[k] - 0.5f * J->vx[k] * hp, 0);
            mkeys_add(&c->kz, t_push, J->zto[k] - 0.5f * J->vz[k] * hp, 0);
        }
        if (push_at) push_at[k] = t_push;
        mkeys_add(&c->ky, J->to[k], J->yto[k], J->v0[k]);
        mkeys_add(&c->kx, J->to[k], J->xto[k], J->vx[k]);
        mkeys_add(&c->kz, J->to[k], J->zto[k], J->vz[k]);
        mkeys_add(&c->ky, J->la[k], J->yla[k], J->v1[k]);
        mkeys_add(&c->kx, J->la[k], J->xla[k], J->vx[k]);
        mkeys_add(&c->kz, J->la[k], J->zla[k], J->vz[k]);
        t_prev = J->la[k];
    }
    int l = J->n - 1;
    float yabs = ystand - 0.7f * (ystand - ylow);
    float ha = 2.4f * (J->yla[l] - yabs) / -J->v1[l];
    if (ha < 0.15f) ha = 0.15f;
    float t_a = J->la[l] + ha;
    mkeys_add(&c->ky, t_a, yabs, 0);
    mkeys_add(&c->kx, t_a, J->xla[l] + 0.5f * J->vx[l] * ha, 0);
    mkeys_add(&c->kz, t_a, J->zla[l] + 0.5f * J->vz[l] * ha, 0);
    float t_s = t_a + 0.45f;
    mkeys_add(&c->ky, t_s, ystand, 0), mkeys_add(&c->kx, t_s, x_end, 0), mkeys_add(&c->kz, t_s, z_end, 0);
    return t_s;
}

/* ------------------------------------------------------------------------------------------ */
/* Jumps with both feet (in place and forward)                                                */
/* ------------------------------------------------------------------------------------------ */

static mosa_status jump__both(mgen *g, int forward) {
    jump_ctx *c = jump__ctx(g);
    if (!c) return mosa_fail(MOSA_ERR_NOMEM, "out of memory");
    int action = forward ? MOTION_JUMP_FORWARD : MOTION_JUMP;
    mrep rp = mg_rep_timing(action, &g->p);
    int n = mg_reps(action, &g->p);
    float s = g->s, a = g->amp;
    float apex = mg_jump_apex(action, a);
    float tf = 2.0f * sqrtf(2.0f * MG_G * apex) / MG_G, cg = rp.period - tf;
    float t0 = mg_rep_start(g, rp, n);
    float L = forward ? (0.55f + 0.35f * a) * s * (0.9f + 0.2f * g->st.r[1]) : 0.0f;
    float width = (g->st.width + (forward ? 0.02f : 0.0f)) * s;
    float ystand = g->ystand - g->st.knee * s, ylow = ystand - (0.13f + 0.07f * a) * s;
    float heel = 0.6f, land = 0.45f;
    float fp_to[2] = {g->flat + heel, g->flat + heel}, fp_la[2] = {g->flat + land, g->flat + land};
    float fyaw[2] = {g->st.toe_out, -g->st.toe_out};
    v3 toes[2];
    /* plants: before the first jump, between jumps, after the last */
    for (int k = 0; k <= n; k++) {
        v3 o = v3_make(0, 0, (float)k * L);
        float on = k == 0 ? -1.0f : t0 + (float)(k - 1) * rp.period + cg + tf;
        float off = k == n ? 1e9f : t0 + (float)k * rp.period + cg;
        for (int f = 0; f < 2; f++) {
            mplant *p = mtrack_add(&c->ft[f], g, on, off, mg_stance_toe(g, f, o, 0, width), fyaw[f]);
            p->heel_t = off - 0.14f;
            p->heel = heel;
            if (k > 0) p->land = land, p->land_dur = 0.14f;
            p->flight = k < n;
            p->tuck = fmaxf(0.06f / s, (0.08f + 0.1f * a) * (1.0f + 0.3f * g->st.r[2]));
        }
    }
    /* takeoffs and landings */
    jchain *JC = mosa_calloc(1, sizeof *JC);
    if (!JC) return jump__done(g, c);
    JC->n = n < JMAX ? n : JMAX;
    float pitch_to = g->st.lean + (forward ? 0.12f : 0.04f);
    for (int k = 0; k < JC->n; k++) {
        float g0 = t0 + (float)k * rp.period;
        float zk = (float)k * L, zn = (float)(k + 1) * L;
        JC->to[k] = g0 + cg, JC->la[k] = g0 + cg + tf;
        JC->zto[k] = zk + (forward ? 0.1f * s : 0.0f), JC->zla[k] = zn - (forward ? 0.16f * s : 0.0f);
        for (int f = 0; f < 2; f++) toes[f] = mg_stance_toe(g, f, v3_make(0, 0, zk), 0, width);
        JC->yto[k] = fminf(ystand + 0.02f * s, jump__reach(g, 0, JC->zto[k], pitch_to, toes, fp_to, fyaw, 3));
        for (int f = 0; f < 2; f++) toes[f] = mg_stance_toe(g, f, v3_make(0, 0, zn), 0, width);
        JC->yla[k] = fminf(ystand, jump__reach(g, 0, JC->zla[k], g->st.lean + 0.05f, toes, fp_la, fyaw, 3));
        jump__flight(JC, k);
    }
    float push_at[JMAX];
    float t_end = jump__keys(c, JC, t0, ystand, ylow, 0, (float)JC->n * L, push_at);
    /* arms: back during the crouch, swung forward and up through the takeoff, down to land */
    mkeys_add(&c->karm, 0, 0, 0), mkeys_add(&c->karm, t0, 0, 0);
    a = fminf(a, 1.3f); /* the arm swing saturates */
    for (int k = 0; k < JC->n; k++) {
        float tb = fmaxf(push_at[k] - 0.2f, k == 0 ? t0 + 0.05f : JC->la[k - 1] + 0.05f);
        float hp = JC->to[k] - tb;
        mkeys_add(&c->karm, tb, -0.5f * a, 0);
        mkeys_add(&c->karm, JC->to[k], 0.9f * a, 2.0f * 1.4f * a / hp);
        mkeys_add(&c->karm, JC->to[k] + 0.5f * tf, 1.5f * a, 0);
        mkeys_add(&c->karm, JC->la[k], 0.6f * a, -1.0f * a / fmaxf(0.3f, 0.5f * tf));
    }
    mkeys_add(&c->karm, t_end - 0.2f, -0.1f, 0);
    mkeys_add(&c->karm, t_end + 0.2f, 0, 0);
    mosa_free(JC);
    mtrack_flights(&c->ft[0], g, jump__root);
    mtrack_flights(&c->ft[1], g, jump__root);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec sp;
        mspec_stand(&sp, g, v3_make(0, 0, 0), 0);
        float yaw;
        jump__root(g, t, &sp.root, &yaw);
        float crouch = mg_clamp((ystand - sp.root.y) / (ystand - ylow), 0, 1.2f);
        sp.pitch = g->st.lean + (0.35f + (forward ? 0.15f : 0.0f)) * crouch;
        sp.sp_flex += 0.15f * crouch;
        sp.nk_flex -= 0.25f * crouch;
        for (int f = 0; f < 2; f++) mtrack_eval(&sp.foot[f], g, &c->ft[f], t, jump__root);
        float arm = mkeys_eval(&c->karm, t);
        for (int k = 0; k < 2; k++) {
            sp.arm[k].flex = arm;
            sp.arm[k].elbow = g->st.elbow + 0.25f * fabsf(arm);
            sp.arm[k].abd = g->st.arm_abd + 0.1f * crouch;
        }
        mgen_emit(g, i, &sp);
    }
    return jump__done(g, c);
}

mosa_status act_jump(mgen *g) { return jump__both(g, 0); }
mosa_status act_jump_forward(mgen *g) { return jump__both(g, 1); }

/* ------------------------------------------------------------------------------------------ */
/* Hopping on one leg                                                                         */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_hop(mgen *g) {
    jump_ctx *c = jump__ctx(g);
    if (!c) return mosa_fail(MOSA_ERR_NOMEM, "out of memory");
    mrep rp = mg_rep_timing(MOTION_HOP, &g->p);
    int n = mg_reps(MOTION_HOP, &g->p);
    float s = g->s, a = g->amp;
    int sup = g->side, fre = 1 - sup;
    float apex = mg_jump_apex(MOTION_HOP, a), tf = 2.0f * sqrtf(2.0f * MG_G * apex) / MG_G, cg = rp.period - tf;
    float t0 = mg_rep_start(g, rp, n);
    float width = g->st.width * s;
    v3 o = v3_make(0, 0, 0);
    v3 sup_toe = mg_stance_toe(g, sup, o, 0, width), fre_toe = mg_stance_toe(g, fre, o, 0, width);
    float sup_yaw = sup ? -g->st.toe_out : g->st.toe_out, fre_yaw = fre ? -g->st.toe_out : g->st.toe_out;
    float heel = 0.5f, land = 0.4f;
    /* weight over the support foot */
    float xs = sup_toe.x * 0.85f;
    float ystand = g->ystand - g->st.knee * s, ylow = ystand - (0.06f + 0.03f * a) * s;
    for (int k = 0; k <= n; k++) {
        float on = k == 0 ? -1.0f : t0 + (float)(k - 1) * rp.period + cg + tf;
        float off = k == n ? 1e9f : t0 + (float)k * rp.period + cg;
        mplant *p = mtrack_add(&c->ft[sup], g, on, off, sup_toe, sup_yaw);
        p->heel_t = off - 0.1f;
        p->heel = heel;
        if (k > 0) p->land = land, p->land_dur = 0.12f;
        p->flight = k < n;
        p->tuck = 0.03f;
    }
    float t_lift0 = t0 - 0.35f, t_lift1 = t0 - 0.1f; /* free foot leaves */
    float t_end = t0 + (float)n * rp.period;        /* last landing */
    float fyaw[2] = {sup_yaw, sup_yaw}, fp_to[2] = {g->flat + heel, g->flat + heel}, fp_la[2] = {g->flat + land, g->flat + land};
    v3 toes[2] = {sup_toe, sup_toe};
    int mask = 1 << sup;
    jchain *JC = mosa_calloc(1, sizeof *JC);
    if (!JC) return jump__done(g, c);
    JC->n = n < JMAX ? n : JMAX;
    for (int k = 0; k < JC->n; k++) {
        float g0 = t0 + (float)k * rp.period;
        JC->to[k] = g0 + cg, JC->la[k] = g0 + cg + tf;
        JC->xto[k] = JC->xla[k] = xs;
        JC->yto[k] = fminf(ystand, jump__reach(g, xs, 0, g->st.lean + 0.03f, toes, fp_to, fyaw, mask));
        JC->yla[k] = fminf(ystand, jump__reach(g, xs, 0, g->st.lean + 0.03f, toes, fp_la, fyaw, mask));
        jump__flight(JC, k);
    }
    jump__keys(c, JC, t0, ystand, ylow, xs, 0, NULL);
    mosa_free(JC);
    /* the weight shift onto the support foot before, and back after (x only) */
    memset(&c->kx, 0, sizeof c->kx);
    mkeys_add(&c->kx, 0, 0, 0);
    mkeys_add(&c->kx, t_lift0 - 0.25f, 0, 0);
    mkeys_add(&c->kx, t_lift0, xs, 0);
    mkeys_add(&c->kx, t_end + 0.35f, xs, 0);
    mkeys_add(&c->kx, t_end + 0.7f, 0, 0);
    mtrack_flights(&c->ft[sup], g, jump__root);
    float bend = (0.8f + 0.4f * g->st.r[3]);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        float yaw;
        jump__root(g, t, &sp.root, &yaw);
        float crouch = mg_clamp((ystand - sp.root.y) / (ystand - ylow), 0, 1.2f);
        sp.pitch = g->st.lean + 0.03f + 0.15f * crouch;
        sp.roll = -0.08f * (sp.root.x / (xs != 0 ? xs : 1)) * (sup ? -1.0f : 1.0f);
        sp.sp_lat = -0.6f * sp.roll;
        mtrack_eval(&sp.foot[sup], g, &c->ft[sup], t, jump__root);
        /* free foot: from its stance place up behind the body and back */
        float up = mg_smooth((t - t_lift0) / (t_lift1 - t_lift0 + 0.1f)) * (1 - mg_smooth((t - t_end - 0.05f) / 0.35f));
        mfoot *ff = &sp.foot[fre];
        ff->toe = fre_toe;
        ff->yaw = fre_yaw;
        ff->pitch = g->flat;
        if (up > 0) {
            float fx = fre ? -1.0f : 1.0f;
            v3 held = mg_body_to_world(sp.root, 0, v3_make(fx * 0.11f * s, -(0.52f + 0.1f * (1 - bend)) * s, -0.12f * bend * s));
            ff->toe = v3_lerp(fre_toe, held, mg_smooth(up));
            ff->toe.y += 0.06f * s * mg_bump(up);
            ff->pitch = g->flat + 0.5f * up;
            ff->planted = 0;
            ff->slack = -1;
        }
        float arm = 0.4f * crouch * a;
        for (int k = 0; k < 2; k++) {
            float kx = k == sup ? 1.0f : -1.0f;
            sp.arm[k].abd = g->st.arm_abd + 0.35f * up;
            sp.arm[k].flex = 0.2f * up + kx * arm;
            sp.arm[k].elbow = g->st.elbow + 0.6f * up;
        }
        mgen_emit(g, i, &sp);
    }
    return jump__done(g, c);
}

/* ------------------------------------------------------------------------------------------ */
/* Jumping jacks                                                                              */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_jumping_jacks(mgen *g) {
    jump_ctx *c = jump__ctx(g);
    if (!c) return mosa_fail(MOSA_ERR_NOMEM, "out of memory");
    mrep rp = mg_rep_timing(MOTION_JUMPING_JACKS, &g->p);
    int n = mg_reps(MOTION_JUMPING_JACKS, &g->p);
    float s = g->s, a = g->amp;
    float apex = mg_jump_apex(MOTION_JUMPING_JACKS, a), tf = 2.0f * sqrtf(2.0f * MG_G * apex) / MG_G, half = 0.5f * rp.period,
          cg = half - tf;
    float t0 = mg_rep_start(g, rp, n);
    float narrow = g->st.width * s, wide = (0.52f + 0.12f * a) * s;
    float heel = 0.45f, land = 0.35f;
    float ystand = g->ystand - g->st.knee * s, ylow = ystand - (0.05f + 0.02f * a) * s;
    int jumps = 2 * n;
    for (int k = 0; k <= jumps; k++) {
        float on = k == 0 ? -1.0f : t0 + (float)(k - 1) * half + cg + tf;
        float off = k == jumps ? 1e9f : t0 + (float)k * half + cg;
        float w = (k % 2) ? wide : narrow;
        for (int f = 0; f < 2; f++) {
            float fy = (f ? -1.0f : 1.0f) * (g->st.toe_out + ((k % 2) ? 0.25f : 0.0f));
            mplant *p = mtrack_add(&c->ft[f], g, on, off, mg_stance_toe(g, f, v3_make(0, 0, 0), 0, w), fy);
            p->yaw = fy;
            p->heel_t = off - 0.1f;
            p->heel = heel;
            if (k > 0) p->land = land, p->land_dur = 0.1f;
            p->flight = k < jumps;
            p->tuck = 0.06f / s;
        }
    }
    jchain *JC = mosa_calloc(1, sizeof *JC);
    if (!JC) return jump__done(g, c);
    JC->n = jumps < JMAX ? jumps : JMAX;
    for (int k = 0; k < JC->n; k++) {
        float g0 = t0 + (float)k * half;
        JC->to[k] = g0 + cg, JC->la[k] = g0 + cg + tf;
        v3 toes[2];
        float fp_to[2] = {g->flat + heel, g->flat + heel}, fp_la[2] = {g->flat + land, g->flat + land}, fy[2];
        float w0 = (k % 2) ? wide : narrow, w1 = (k % 2) ? narrow : wide;
        for (int f = 0; f < 2; f++) {
            toes[f] = mg_stance_toe(g, f, v3_make(0, 0, 0), 0, w0);
            fy[f] = (f ? -1.0f : 1.0f) * (g->st.toe_out + ((k % 2) ? 0.25f : 0.0f));
        }
        JC->yto[k] = fminf(ystand, jump__reach(g, 0, 0, g->st.lean, toes, fp_to, fy, 3));
        for (int f = 0; f < 2; f++) {
            toes[f] = mg_stance_toe(g, f, v3_make(0, 0, 0), 0, w1);
            fy[f] = (f ? -1.0f : 1.0f) * (g->st.toe_out + ((k % 2) ? 0.0f : 0.25f));
        }
        JC->yla[k] = fminf(ystand, jump__reach(g, 0, 0, g->st.lean, toes, fp_la, fy, 3));
        jump__flight(JC, k);
    }
    jump__keys(c, JC, t0, ystand, ylow, 0, 0, NULL);
    mosa_free(JC);
    mtrack_flights(&c->ft[0], g, jump__root);
    mtrack_flights(&c->ft[1], g, jump__root);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec sp;
        mspec_stand(&sp, g, v3_make(0, 0, 0), 0);
        float yaw;
        jump__root(g, t, &sp.root, &yaw);
        for (int f = 0; f < 2; f++) {
            mtrack_eval(&sp.foot[f], g, &c->ft[f], t, jump__root);
            float fx = f ? -1.0f : 1.0f;
            sp.foot[f].pole = v3_make(fx * 0.5f, 0.1f, 1);
        }
        /* arm elevation follows the feet: 0 together, 1 apart (overhead) */
        float k = (t - t0) / half;
        float up;
        if (k < 0 || k >= (float)jumps) up = 0;
        else {
            int kk = (int)k;
            float u = mg_smooth((k - (float)kk - cg / half + 0.15f) / (tf / half + 0.2f));
            up = (kk % 2) ? 1 - u : u;
        }
        for (int q = 0; q < 2; q++) {
            sp.arm[q].abd = g->st.arm_abd + (2.75f * a > 2.9f ? 2.9f : 2.75f * a) * up;
            sp.arm[q].elbow = g->st.elbow * (1 - up) + 0.1f;
            sp.arm[q].flex = 0.1f * up;
        }
        sp.nk_flex -= 0.1f * up;
        mgen_emit(g, i, &sp);
    }
    return jump__done(g, c);
}
