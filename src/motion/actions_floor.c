/* actions_floor.c: actions with the hands on the floor: push-ups (getting down into a plank
 * and back up included) and the cartwheel. Planted hands are IK targets fixed in the world, so
 * they do not slide; the pelvis paths are designed so every planted limb stays in reach. */
#include "actions_common.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Push-ups                                                                                   */
/* ------------------------------------------------------------------------------------------ */

#define PU_TOE_PITCH 1.25f /* toes tucked under, feet nearly vertical */
#define PU_LEG_EXT 0.98f

typedef struct pu_plank {
    float pitch;
    v3 root;
} pu_plank;

/* The plank pose at body angle phi (radians above horizontal) with the toes at z = zt. */
static pu_plank pu__plank(const mgen *g, float phi, float zt) {
    pu_plank p;
    p.pitch = 0.5f * (float)M_PI - phi;
    v3 toe = v3_make(0, KIN_TOE_HEIGHT * g->s, zt);
    v3 A = kin_ankle_from_toe(&g->body, toe, g->flat + PU_TOE_PITCH, 0);
    /* ankle -> hip joints, then the hips' drop below the pelvis along the body's axis */
    float L = PU_LEG_EXT * (g->body.length[J_L_KNEE] + g->body.length[J_L_ANKLE]) - g->body.offset[J_L_HIP].y;
    p.root = v3_make(0, A.y + L * cosf(p.pitch), A.z + L * sinf(p.pitch));
    return p;
}

static void pu__spec(mspec *sp, const mgen *g, pu_plank pl) {
    sp->root = pl.root;
    sp->pitch = pl.pitch;
    sp->sp_flex = 0;
    sp->nk_flex = -0.35f;
}

/* Mid-shoulder position of a plank spec. */
static v3 pu__shoulders(const mgen *g, mspec *sp) {
    kin_pose P;
    sp->resolved = 1;
    mg_spec_pose(&P, g, sp);
    v3 pos[SMPL22_J];
    kin_pose_fk(pos, NULL, &P, &g->body);
    return v3_scale(v3_add(pos[J_L_SHOULDER], pos[J_R_SHOULDER]), 0.5f);
}

/* Body angle at which the shoulders are `h` above the floor (toes at z = 0). */
static float pu__phi_for(const mgen *g, const mspec *base, float h) {
    float lo = -0.2f, hi = 1.2f;
    for (int it = 0; it < 40; it++) {
        float mid = 0.5f * (lo + hi);
        mspec sp = *base;
        pu__spec(&sp, g, pu__plank(g, mid, 0));
        if (pu__shoulders(g, &sp).y < h) lo = mid;
        else hi = mid;
    }
    return 0.5f * (lo + hi);
}

mosa_status act_push_up(mgen *g) {
    mrep rp = mg_rep_timing(MOTION_PUSH_UP, &g->p);
    int n = mg_reps(MOTION_PUSH_UP, &g->p);
    float tr = mg_rep_start(g, rp, n), P = rp.period, s = g->s, a = g->amp;
    float G0 = tr - rp.lead, U0 = tr + (float)n * P;
    float wy = KIN_WRIST_HEIGHT * s, hw = (0.24f + 0.03f * g->st.r[1]) * s, zw = 0.5f * s;
    float fw = (0.1f + 0.04f * g->st.r[2]) * s; /* feet apart in the plank */
    v3 W[2] = {v3_make(hw, wy, zw), v3_make(-hw, wy, zw)};
    /* plank geometry: top (arms straight under the shoulders) and bottom */
    mspec base;
    mspec_stand(&base, g, v3_make(0, 0, 0), 0);
    for (int f = 0; f < 2; f++) {
        base.foot[f].toe = v3_make(f ? -fw : fw, KIN_TOE_HEIGHT * s, 0);
        base.foot[f].pitch = g->flat + PU_TOE_PITCH;
        base.foot[f].yaw = 0;
        base.foot[f].pole = v3_make(0, -1, 0.2f);
    }
    float arm = 0.985f * (g->body.length[J_L_ELBOW] + g->body.length[J_L_WRIST]);
    float phi_top = pu__phi_for(g, &base, wy + arm);
    float phi_low = pu__phi_for(g, &base, wy + (0.26f - 0.1f * a) * s);
    mspec tmp = base;
    pu__spec(&tmp, g, pu__plank(g, phi_top, 0));
    float zt = zw - pu__shoulders(g, &tmp).z; /* toes so the shoulders are above the hands */
    pu_plank top = pu__plank(g, phi_top, zt);
    /* get down and up: pelvis keys (y, z, pitch, spine) between standing, a squat with the hands
     * on the floor, and the plank */
    float ystand = g->ystand - g->st.knee * s;
    mkeys ky, kz, kp, kf;
    memset(&ky, 0, sizeof ky), memset(&kz, 0, sizeof kz), memset(&kp, 0, sizeof kp), memset(&kf, 0, sizeof kf);
    float sq_y = 0.44f * s, sq_z = -0.06f * s, sq_p = 0.85f, sq_f = 0.55f;
    mkeys_add(&ky, 0, ystand, 0), mkeys_add(&kz, 0, 0, 0), mkeys_add(&kp, 0, g->st.lean, 0), mkeys_add(&kf, 0, g->st.spine, 0);
    mkeys_add(&ky, G0, ystand, 0), mkeys_add(&kz, G0, 0, 0), mkeys_add(&kp, G0, g->st.lean, 0), mkeys_add(&kf, G0, g->st.spine, 0);
    mkeys_add(&ky, G0 + 0.9f, sq_y, 0), mkeys_add(&kz, G0 + 0.9f, sq_z, 0), mkeys_add(&kp, G0 + 0.9f, sq_p, 0), mkeys_add(&kf, G0 + 0.9f, sq_f, 0);
    mkeys_add(&ky, tr, top.root.y, 0), mkeys_add(&kz, tr, top.root.z, 0), mkeys_add(&kp, tr, top.pitch, 0), mkeys_add(&kf, tr, 0, 0);
    mkeys_add(&ky, U0, top.root.y, 0), mkeys_add(&kz, U0, top.root.z, 0), mkeys_add(&kp, U0, top.pitch, 0), mkeys_add(&kf, U0, 0, 0);
    mkeys_add(&ky, U0 + 1.1f, sq_y, 0), mkeys_add(&kz, U0 + 1.1f, sq_z, 0), mkeys_add(&kp, U0 + 1.1f, sq_p, 0), mkeys_add(&kf, U0 + 1.1f, sq_f, 0);
    mkeys_add(&ky, U0 + 2.0f, ystand, 0), mkeys_add(&kz, U0 + 2.0f, 0, 0), mkeys_add(&kp, U0 + 2.0f, g->st.lean, 0), mkeys_add(&kf, U0 + 2.0f, g->st.spine, 0);
    /* feet: step back one at a time into the plank, and forward again */
    mtrack ft[2];
    memset(ft, 0, sizeof ft);
    int first = g->st.r[3] < 0.5f ? 0 : 1;
    v3 o = v3_make(0, 0, 0);
    for (int f = 0; f < 2; f++) {
        int late = f != first;
        float fy = f ? -g->st.toe_out : g->st.toe_out;
        v3 home = mg_stance_toe(g, f, o, 0, g->st.width * s);
        mplant *p = mtrack_add(&ft[f], g, -1, G0 + 0.95f + 0.4f * (float)late, home, fy);
        p->lift = 0.1f, p->swing_slack = 0;
        p->heel_t = G0 + 0.4f, p->heel = 0.4f;
        v3 back = v3_make(f ? -fw : fw, KIN_TOE_HEIGHT * s, zt);
        p = mtrack_add(&ft[f], g, G0 + 1.45f + 0.4f * (float)late, U0 + 0.05f + 0.45f * (float)late, back, 0);
        p->pitch0 = PU_TOE_PITCH - 0.4f;
        p->land = 0.0f;
        p->lift = 0.1f, p->swing_slack = 0;
        p->heel = 0;
        mtrack_add(&ft[f], g, U0 + 0.5f + 0.45f * (float)late, 1e9f, home, fy);
    }
    /* the plank plant's pitch: flat + 0.4 heel at the previous liftoff, PU_TOE_PITCH in the plank */
    for (int f = 0; f < 2; f++) ft[f].p[1].pitch0 = PU_TOE_PITCH;
    float hand_on = G0 + 0.55f, hand_in = G0 + 0.85f, hand_off = U0 + 1.1f, hand_out = U0 + 1.4f;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        for (int f = 0; f < 2; f++) {
            mtrack_eval(&sp.foot[f], g, &ft[f], t, NULL);
            sp.foot[f].pole = v3_make((f ? -1.0f : 1.0f) * 0.3f, -0.2f, 1);
        }
        if (t >= tr && t <= U0) {
            float u = (t - tr) / P;
            float dip = 0.5f - 0.5f * cosf(2 * (float)M_PI * u);
            pu_plank pl = pu__plank(g, phi_top - (phi_top - phi_low) * dip, zt);
            pu__spec(&sp, g, pl);
            sp.resolved = 0;
        } else {
            sp.root = v3_make(0, mkeys_eval(&ky, t), mkeys_eval(&kz, t));
            sp.pitch = mkeys_eval(&kp, t);
            sp.sp_flex = mkeys_eval(&kf, t);
            float down = mg_clamp((ystand - sp.root.y) / (ystand - sq_y), 0, 1);
            sp.nk_flex = g->st.head - 0.5f * down;
            for (int f = 0; f < 2; f++)
                if (sp.foot[f].planted && t < G0 + 1.5f) sp.foot[f].pole = v3_make((f ? -1.0f : 1.0f) * 0.4f, 0.1f, 1);
        }
        mg_spec_resolve(g, &sp);
        float w = mg_smooth((t - hand_on) / (hand_in - hand_on)) * (1 - mg_smooth((t - hand_off) / (hand_out - hand_off)));
        float reach = t < tr ? mg_smooth((t - G0) / 0.6f) : 1 - mg_smooth((t - hand_off) / 0.9f);
        for (int q = 0; q < 2; q++) {
            sp.arm[q].flex += 0.8f * reach;
            sp.arm[q].elbow += 0.3f * reach;
        }
        for (int q = 0; q < 2; q++) {
            float kx = q ? -1.0f : 1.0f;
            marm *m = &sp.arm[q];
            if (w <= 0) continue;
            v3 wr = mg_spec_wrist(g, &sp, q);
            m->mode = MA_WORLD;
            m->wrist = v3_lerp(wr, W[q], w);
            m->pole = mg_pole_blend(q, v3_make(kx * 0.7f, 0.2f, -1), w);
        }
        sp.hands_support = w >= 1 ? 3 : 0;
        mgen_emit(g, i, &sp);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Cartwheel                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* A limb planted on [on, off] at a fixed point, free otherwise; blends over `r` seconds on each
 * side. Returns the weight of the planted target (1 planted, 0 free). */
static float cw__plant_w(float t, float on, float off, float r) {
    if (t >= on && t <= off) return 1;
    if (t < on) return mg_smooth((t - (on - r)) / r);
    return 1 - mg_smooth((t - off) / r);
}

typedef struct cw_ctx {
    mkeys kx, ky, kr;
} cw_ctx;

static void cw__root(const cw_ctx *c, float t, v3 *pos, quat *rot) {
    *pos = v3_make(mkeys_eval(&c->kx, t), mkeys_eval(&c->ky, t), 0);
    *rot = kin_root_rot(0, 0, mkeys_eval(&c->kr, t));
}

/* A foot in the air from t_off to t_on: its toe and direction in the pelvis frame go from where
 * they were at liftoff, through a wide V, to where they must be at touchdown. */
typedef struct cw_free {
    float t_off, t_on;
    v3 rel_off, rel_on, dir_off, dir_on;
} cw_free;

static cw_free cw__free(const cw_ctx *c, float t_off, float t_on, v3 toe_off, v3 dir_off, v3 toe_on, v3 dir_on) {
    cw_free f;
    f.t_off = t_off, f.t_on = t_on;
    v3 p;
    quat r;
    cw__root(c, t_off, &p, &r);
    f.rel_off = quat_rotate(quat_conj(r), v3_sub(toe_off, p));
    f.dir_off = quat_rotate(quat_conj(r), dir_off);
    cw__root(c, t_on, &p, &r);
    f.rel_on = quat_rotate(quat_conj(r), v3_sub(toe_on, p));
    f.dir_on = quat_rotate(quat_conj(r), dir_on);
    return f;
}

static void cw__free_eval(mfoot *m, const cw_free *f, float t, v3 vee, v3 vee_dir, int side) {
    float u = (t - f->t_off) / (f->t_on - f->t_off);
    float a = mg_smooth(u / 0.4f), b = mg_smooth((u - 0.6f) / 0.4f);
    v3 rel = v3_lerp(v3_lerp(f->rel_off, vee, a), f->rel_on, b);
    v3 d = v3_normalize(v3_lerp(v3_lerp(f->dir_off, vee_dir, a), f->dir_on, b));
    m->mode = MF_PELVIS;
    m->toe = rel;
    m->pitch = asinf(mg_clamp(-d.y, -1, 1));
    m->yaw = atan2f(d.x, d.z);
    m->pole = v3_make((side ? -1.0f : 1.0f) * 0.1f, 0.1f, 1);
    m->planted = 0;
    m->slack = -1;
}

mosa_status act_cartwheel(mgen *g) {
    float s = g->s, a = g->amp, dir = g->sg, D = 1.2f / sqrtf(g->sp);
    if (2.45f * D > g->dur - 0.3f) D = (g->dur - 0.3f) / 2.45f; /* short clips: a quicker wheel */
    int lf = g->side, tf = 1 - lf; /* lead (towards the travel) and trail sides */
    float ystand = g->ystand - g->st.knee * s;
    float total = 2.45f * D;
    float t0 = 0.15f + fmaxf(0, g->dur - total - 0.4f) * 0.5f * g->st.delay;
    /* key times (relative, scaled by D) */
#define CW_T(x) (t0 + (x) * D)
    float span = 0.95f + 0.1f * fminf(a, 1.3f);
    float x_lead = 0.6f * s, x_h1 = 1.15f * s * span, x_h2 = 1.6f * s * span, x_f2 = 2.05f * s * span,
          x_f3 = x_f2 + 0.4f * s;
    cw_ctx c;
    memset(&c, 0, sizeof c);
    const float tk[8] = {0, 0.35f, 0.75f, 1.02f, 1.3f, 1.56f, 1.8f, 2.3f};
    const float xk[8] = {0, 0, 0.4f * s, 0.86f * s * span, 1.375f * s * span, 1.86f * s * span, 0.5f * (x_f2 + x_f3) - 0.05f * s,
                         0.5f * (x_f2 + x_f3)};
    const float yk[8] = {ystand, ystand, 0.68f * s, 0.66f * s, 0.83f * s, 0.66f * s, 0.72f * s, ystand};
    const float rk[8] = {0, 0, 0.4f, 1.35f, (float)M_PI, 2 * (float)M_PI - 1.35f, 2 * (float)M_PI - 0.4f, 2 * (float)M_PI};
    mkeys_add(&c.kx, 0, 0, 0), mkeys_add(&c.ky, 0, ystand, 0), mkeys_add(&c.kr, 0, 0, 0);
    for (int k = 0; k < 8; k++) {
        mkeys_add_auto(&c.kx, CW_T(tk[k]), dir * xk[k]);
        mkeys_add_auto(&c.ky, CW_T(tk[k]), yk[k]);
        mkeys_add_auto(&c.kr, CW_T(tk[k]), dir * rk[k]);
    }
    mkeys_finish(&c.kx), mkeys_finish(&c.ky), mkeys_finish(&c.kr);
    /* plants */
    v3 o = v3_make(0, 0, 0);
    float width = g->st.width * s;
    v3 lead_home = mg_stance_toe(g, lf, o, 0, width), trail_home = mg_stance_toe(g, tf, o, 0, width);
    v3 lead_step = v3_make(dir * x_lead, lead_home.y, lead_home.z);
    v3 trail_land = v3_make(dir * x_f2, trail_home.y, trail_home.z);
    v3 lead_land = v3_make(dir * x_f3, lead_home.y, lead_home.z);
    float lyaw = lf ? -g->st.toe_out : g->st.toe_out, tyaw = tf ? -g->st.toe_out : g->st.toe_out;
    float lstep_yaw = lyaw + dir * 0.6f, lland_yaw = lyaw + dir * 0.3f, tland_yaw = tyaw + dir * 0.3f;
    float l_off = CW_T(1.2f), l_on = CW_T(1.8f), t_off = CW_T(0.8f), t_on = CW_T(1.55f);
    float heel = 0.5f;
    mtrack fl, ftr;
    memset(&fl, 0, sizeof fl), memset(&ftr, 0, sizeof ftr);
    mplant *p = mtrack_add(&fl, g, -1, CW_T(0.38f), lead_home, lyaw);
    p->lift = 0.08f, p->swing_slack = 0;
    p = mtrack_add(&fl, g, CW_T(0.66f), l_off, lead_step, lstep_yaw);
    p->heel_t = CW_T(1.0f), p->heel = heel;
    mtrack_add(&fl, g, l_on, 1e9f, lead_land, lland_yaw);
    p = mtrack_add(&ftr, g, -1, t_off, trail_home, tyaw);
    p->heel_t = CW_T(0.55f), p->heel = heel;
    mtrack_add(&ftr, g, t_on, 1e9f, trail_land, tland_yaw);
    cw_free free_l = cw__free(&c, l_off, l_on, lead_step, kin_foot_dir(g->flat + heel, lstep_yaw), lead_land,
                              kin_foot_dir(g->flat, lland_yaw));
    cw_free free_t = cw__free(&c, t_off, t_on, trail_home, kin_foot_dir(g->flat + heel, tyaw), trail_land,
                              kin_foot_dir(g->flat, tland_yaw));
    v3 H1 = v3_make(dir * x_h1, KIN_WRIST_HEIGHT * s, 0.05f * s), H2 = v3_make(dir * x_h2, KIN_WRIST_HEIGHT * s, 0.05f * s);
    float h1_on = CW_T(1.0f), h1_off = CW_T(1.42f), h2_on = CW_T(1.22f), h2_off = CW_T(1.68f);
    v3 rest[2] = {mg_rest_wrist_chest(g, 0), mg_rest_wrist_chest(g, 1)};
    float th = 0.7f + 0.1f * a;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        sp.root = v3_make(mkeys_eval(&c.kx, t), mkeys_eval(&c.ky, t), 0);
        sp.roll = mkeys_eval(&c.kr, t);
        float rn = fabsf(sp.roll) / (2 * (float)M_PI);
        sp.nk_flex = g->st.head - 0.3f * mg_bump(rn);
        /* feet: on their tracks, or in the air spread in a V (pelvis frame) */
        for (int f = 0; f < 2; f++) {
            mfoot *m = &sp.foot[f];
            const cw_free *fr = f == lf ? &free_l : &free_t;
            if (t > fr->t_off && t < fr->t_on) {
                float fx = f ? -1.0f : 1.0f;
                v3 ank = v3_make(fx * (0.09f + 0.76f * sinf(th)) * s, -0.76f * cosf(th) * s, 0.03f * s);
                v3 vdir = kin_foot_dir(0.4f, 0);
                cw__free_eval(m, fr, t, v3_add(ank, v3_scale(vdir, g->body.length[J_L_FOOT])), vdir, f);
            } else {
                mtrack_eval(m, g, f == lf ? &fl : &ftr, t, NULL);
            }
        }
        mg_spec_resolve(g, &sp);
        /* arms: overhead in a V, planted on the floor in turn */
        float up = mg_smooth((t - CW_T(0.05f)) / (0.3f * D)) * (1 - mg_smooth((t - CW_T(1.9f)) / (0.5f * D)));
        v3 c9;
        quat r9;
        mg_chest_frame(g, &sp, &c9, &r9);
        int hands = 0;
        for (int q = 0; q < 2; q++) {
            float qx = q ? -1.0f : 1.0f;
            v3 over = v3_make(qx * 0.26f * s, 0.46f * s, 0.04f * s);
            v3 chest_t = v3_lerp(rest[q], over, up);
            v3 free_w = v3_add(c9, quat_rotate(r9, chest_t));
            int lead = q == lf;
            float w = lead ? cw__plant_w(t, h1_on, h1_off, 0.3f * D) : cw__plant_w(t, h2_on, h2_off, 0.3f * D);
            v3 H = lead ? H1 : H2;
            marm *m = &sp.arm[q];
            m->mode = MA_WORLD;
            m->wrist = v3_lerp(free_w, H, w);
            m->pole = v3_add(quat_rotate(r9, v3_make(qx * 0.1f, 0, -1)), v3_make(0, 0, -0.3f));
            if (w >= 1) hands |= 1 << q;
        }
        sp.hands_support = hands;
        mgen_emit(g, i, &sp);
    }
#undef CW_T
    return MOSA_OK;
}
