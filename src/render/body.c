/* body.c: the synthetic person: primitives along the SMPL-22 bones, appearance styles, clothing
 * colours by body part and pattern, and body surface points for tracks (see body.h). */
#include "render/body.h"

#include "base/skeleton.h"

#include <math.h>

/* ------------------------------------------------------------------------------------------ */
/* Styles                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static const float body__skin_tones[][3] = {
    {0.98f, 0.84f, 0.72f}, {0.93f, 0.75f, 0.60f}, {0.84f, 0.64f, 0.48f}, {0.72f, 0.52f, 0.38f},
    {0.58f, 0.40f, 0.28f}, {0.44f, 0.30f, 0.21f}, {0.33f, 0.22f, 0.16f}};
static const float body__hair_colours[][3] = {
    {0.08f, 0.06f, 0.05f}, {0.22f, 0.14f, 0.08f}, {0.42f, 0.27f, 0.14f}, {0.80f, 0.64f, 0.38f},
    {0.55f, 0.22f, 0.10f}, {0.70f, 0.70f, 0.70f}};
static const float body__cloth_colours[][3] = {
    {0.85f, 0.85f, 0.85f}, {0.15f, 0.15f, 0.17f}, {0.80f, 0.15f, 0.15f}, {0.15f, 0.30f, 0.70f},
    {0.20f, 0.55f, 0.25f}, {0.90f, 0.75f, 0.20f}, {0.55f, 0.30f, 0.65f}, {0.95f, 0.50f, 0.15f},
    {0.20f, 0.60f, 0.70f}, {0.60f, 0.45f, 0.30f}, {0.90f, 0.55f, 0.65f}, {0.35f, 0.40f, 0.45f}};
static const float body__bottom_colours[][3] = {
    {0.12f, 0.18f, 0.35f}, {0.25f, 0.35f, 0.55f}, {0.10f, 0.10f, 0.11f}, {0.45f, 0.42f, 0.35f},
    {0.60f, 0.55f, 0.45f}, {0.35f, 0.25f, 0.18f}, {0.50f, 0.15f, 0.20f}, {0.30f, 0.32f, 0.34f}};

#define BODY__N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static float body__uniform(mosa_rng *r) {
    float u;
    rng_uniform(r, &u, 1);
    return u;
}

/* A palette entry with a small brightness jitter. */
static v3 body__pick(mosa_rng *r, const float (*pal)[3], uint32_t n) {
    const float *c = pal[rng_below(r, n)];
    float j = 0.9f + 0.2f * body__uniform(r);
    return v3_make(fminf(1, c[0] * j), fminf(1, c[1] * j), fminf(1, c[2] * j));
}

body_style body_style_default(void) {
    body_style s = {0};
    s.height = 1.70f, s.build = 1.0f;
    s.skin = v3_make(0.84f, 0.64f, 0.48f), s.hair = v3_make(0.22f, 0.14f, 0.08f);
    s.top = v3_make(0.80f, 0.80f, 0.80f), s.top2 = v3_make(0.30f, 0.30f, 0.35f);
    s.bottom = v3_make(0.15f, 0.25f, 0.50f), s.shoes = v3_make(0.12f, 0.12f, 0.12f);
    s.sleeves = BODY_SLEEVES_SHORT, s.bottom_kind = BODY_BOTTOM_TROUSERS;
    s.pattern = BODY_PATTERN_SOLID, s.hair_kind = BODY_HAIR_SHORT;
    return s;
}

body_style body_style_random(mosa_rng *r) {
    body_style s = body_style_default();
    s.height = 1.50f + 0.45f * body__uniform(r);
    s.build = 0.8f + 0.5f * body__uniform(r);
    s.skin = body__pick(r, body__skin_tones, BODY__N(body__skin_tones));
    s.hair = body__pick(r, body__hair_colours, BODY__N(body__hair_colours));
    s.top = body__pick(r, body__cloth_colours, BODY__N(body__cloth_colours));
    do {
        s.top2 = body__pick(r, body__cloth_colours, BODY__N(body__cloth_colours));
    } while (fabsf(s.top2.x - s.top.x) + fabsf(s.top2.y - s.top.y) + fabsf(s.top2.z - s.top.z) < 0.4f);
    s.bottom = body__pick(r, body__bottom_colours, BODY__N(body__bottom_colours));
    s.shoes = body__pick(r, body__bottom_colours, BODY__N(body__bottom_colours));
    s.sleeves = (int)rng_below(r, BODY_SLEEVES_COUNT);
    s.bottom_kind = (int)rng_below(r, BODY_BOTTOM_COUNT);
    s.pattern = (int)rng_below(r, BODY_PATTERN_COUNT);
    s.hair_kind = (int)rng_below(r, 8) == 0 ? BODY_HAIR_BALD : (int)rng_below(r, 2);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Shape                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* The unit perpendicular of `ref` against unit axis u, or NAN-free zero when nearly parallel. */
static v3 body__perp(v3 ref, v3 u) { return v3_sub(ref, v3_scale(u, v3_dot(ref, u))); }

/* Fills the local frame (e1, e2) of a primitive with axis u: e1 follows the body's facing where
 * the axis allows, else its up, else its left. */
static void body__frame(body_prim *p, v3 u, const body_shape *b) {
    v3 e = body__perp(b->fwd, u);
    if (v3_norm(e) < 0.3f) e = body__perp(b->up, u);
    if (v3_norm(e) < 0.3f) e = body__perp(b->left, u);
    p->e1 = v3_normalize(e);
    p->e2 = v3_cross(u, p->e1);
}

static void body__capsule(body_shape *b, int slot, v3 a, v3 c, float r, int part) {
    body_prim *p = &b->prim[slot];
    p->a = a, p->b = c, p->r = r, p->part = part, p->is_cone = 0;
    p->h0 = p->h1 = 0, p->k = 1;
    v3 d = v3_sub(c, a);
    v3 u = v3_norm(d) > 1e-6f ? v3_normalize(d) : b->up;
    body__frame(p, u, b);
}

static v3 body__joint(const float *j, int k) { return v3_load(j + 3 * k); }

void body_shape_build(body_shape *out, const float *joints, const body_style *st) {
    body_shape *b = out;
    v3 J[SMPL22_J];
    for (int k = 0; k < SMPL22_J; k++) J[k] = body__joint(joints, k);
    /* body frame from the hips and the spine */
    v3 up = v3_normalize(v3_sub(J[J_NECK], J[J_PELVIS]));
    if (v3_norm(up) < 0.5f) up = v3_make(0, 1, 0);
    v3 left = v3_sub(v3_add(J[J_L_HIP], J[J_L_SHOULDER]), v3_add(J[J_R_HIP], J[J_R_SHOULDER]));
    left = v3_normalize(body__perp(left, up));
    if (v3_norm(left) < 0.5f) left = v3_normalize(body__perp(v3_make(1, 0, 0), up));
    if (v3_norm(left) < 0.5f) left = v3_make(0, 0, 1);
    b->up = up, b->left = left, b->fwd = v3_cross(left, up);

    /* size relative to the default 1.70 m body: spine + thigh + shin lengths */
    float len = v3_norm(v3_sub(J[J_NECK], J[J_PELVIS])) + v3_norm(v3_sub(J[J_L_KNEE], J[J_L_HIP])) +
                v3_norm(v3_sub(J[J_L_ANKLE], J[J_L_KNEE]));
    float rest = 0.55f + 0.38f + 0.40f;
    float sz = fminf(fmaxf(len / rest, 0.3f), 3.0f);
    float bw = sz * (st ? st->build : 1.0f);

    v3 head_up = v3_normalize(v3_sub(J[J_HEAD], J[J_NECK]));
    if (v3_norm(head_up) < 0.5f) head_up = up;
    v3 chest_top = v3_lerp(J[J_SPINE3], J[J_NECK], 0.35f);
    body__capsule(b, BODY_PRIM_HIPS, J[J_L_HIP], J[J_R_HIP], 0.095f * bw, BODY_PART_HIPS);
    body__capsule(b, BODY_PRIM_BELLY, J[J_PELVIS], J[J_SPINE2], 0.110f * bw, BODY_PART_TORSO);
    body__capsule(b, BODY_PRIM_CHEST, J[J_SPINE2], chest_top, 0.120f * bw, BODY_PART_TORSO);
    body__capsule(b, BODY_PRIM_SHOULDERS, J[J_L_SHOULDER], J[J_R_SHOULDER], 0.060f * bw, BODY_PART_SHOULDERS);
    body__capsule(b, BODY_PRIM_NECK, J[J_NECK], v3_add(J[J_NECK], v3_scale(head_up, 0.06f * sz)), 0.045f * sz,
                  BODY_PART_NECK);
    v3 hc = v3_add(J[J_HEAD], v3_scale(head_up, 0.03f * sz));
    body__capsule(b, BODY_PRIM_HEAD, hc, hc, 0.100f * sz, BODY_PART_HEAD);
    for (int s = 0; s < 2; s++) { /* s = 0 left, 1 right */
        int sh = J_L_SHOULDER + s, el = J_L_ELBOW + s, wr = J_L_WRIST + s;
        int hip = J_L_HIP + s, kn = J_L_KNEE + s, an = J_L_ANKLE + s, ft = J_L_FOOT + s;
        body__capsule(b, BODY_PRIM_L_UPPER_ARM + s, J[sh], J[el], 0.050f * bw, BODY_PART_UPPER_ARM);
        body__capsule(b, BODY_PRIM_L_FOREARM + s, J[el], J[wr], 0.040f * bw, BODY_PART_FOREARM);
        v3 fa = v3_normalize(v3_sub(J[wr], J[el]));
        v3 hand = v3_add(J[wr], v3_scale(fa, 0.05f * sz));
        body__capsule(b, BODY_PRIM_L_HAND + s, hand, hand, 0.045f * sz, BODY_PART_HAND);
        body__capsule(b, BODY_PRIM_L_THIGH + s, J[hip], J[kn], 0.075f * bw, BODY_PART_THIGH);
        body__capsule(b, BODY_PRIM_L_SHIN + s, J[kn], J[an], 0.055f * bw, BODY_PART_SHIN);
        body__capsule(b, BODY_PRIM_L_FOOT + s, J[an], J[ft], 0.040f * sz, BODY_PART_FOOT);
    }
    b->n = BODY_PRIM_CAPSULES;
    if (st && st->bottom_kind == BODY_BOTTOM_SKIRT) {
        /* a cone from the waist (radius rw) down to the hem (radius rh), open below */
        float rw = 0.13f * bw, rh = 0.26f * bw, L = 0.42f * sz;
        v3 down = v3_scale(up, -1);
        v3 waist = v3_add(J[J_PELVIS], v3_scale(up, 0.06f * sz));
        float tn = (rh - rw) / L, h0 = rw / tn;
        body_prim *p = &b->prim[BODY_PRIM_SKIRT];
        p->a = v3_sub(waist, v3_scale(down, h0));
        p->b = v3_add(waist, v3_scale(down, L));
        p->r = rw, p->h0 = h0, p->h1 = h0 + L, p->k = 1 + tn * tn;
        p->part = BODY_PART_SKIRT, p->is_cone = 1;
        body__frame(p, down, b);
        b->n = BODY_PRIM_COUNT;
    }
    /* bounding box */
    v3 lo = v3_make(INFINITY, INFINITY, INFINITY), hi = v3_scale(lo, -1);
    for (int i = 0; i < b->n; i++) {
        const body_prim *p = &b->prim[i];
        float r = p->is_cone ? p->h1 * sqrtf(p->k - 1) : p->r;
        v3 e[2] = {p->is_cone ? v3_add(p->a, v3_scale(v3_sub(p->b, p->a), p->h0 / p->h1)) : p->a, p->b};
        for (int k = 0; k < 2; k++) {
            lo = v3_make(fminf(lo.x, e[k].x - r), fminf(lo.y, e[k].y - r), fminf(lo.z, e[k].z - r));
            hi = v3_make(fmaxf(hi.x, e[k].x + r), fmaxf(hi.y, e[k].y + r), fmaxf(hi.z, e[k].z + r));
        }
    }
    b->lo = lo, b->hi = hi;
}

/* ------------------------------------------------------------------------------------------ */
/* Colour                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Pattern colour of clothing at axial metres s and around-the-axis metres w. */
static v3 body__pattern(const body_style *st, v3 base, float s, float w) {
    const float cell = 0.06f;
    int a = (int)floorf(s / cell), c = (int)floorf(w / cell);
    switch (st->pattern) {
    case BODY_PATTERN_STRIPES: return (a & 1) ? st->top2 : base;
    case BODY_PATTERN_CHECKS: return ((a + c) & 1) ? st->top2 : base;
    default: return base;
    }
}

v3 body_shape_color(const body_shape *b, const body_style *st, int prim, v3 p, v3 n) {
    const body_prim *q = &b->prim[prim];
    v3 d = v3_sub(q->b, q->a);
    float L = v3_norm(d);
    v3 u = L > 1e-6f ? v3_scale(d, 1.0f / L) : b->up;
    v3 rel = v3_sub(p, q->a);
    float s = v3_dot(rel, u); /* axial metres from a */
    float fr = L > 1e-6f ? s / L : 0.5f;
    float th = atan2f(v3_dot(rel, q->e2), v3_dot(rel, q->e1));
    float w = th * q->r;
    int long_sl = st->sleeves == BODY_SLEEVES_LONG;
    int bk = st->bottom_kind;
    switch (q->part) {
    case BODY_PART_HEAD: {
        v3 hu = v3_normalize(v3_sub(b->prim[BODY_PRIM_HEAD].a, b->prim[BODY_PRIM_NECK].a));
        float ny = v3_dot(n, hu), nf = v3_dot(n, b->fwd), nl = v3_dot(n, b->left);
        if (st->hair_kind != BODY_HAIR_BALD) {
            float back = st->hair_kind == BODY_HAIR_LONG ? -0.95f : -0.35f;
            if (ny > 0.45f || (nf < -0.1f && ny > back) || (nf < 0.35f && ny > 0.2f)) return st->hair;
        }
        if (nf > 0.75f && fabsf(fabsf(nl) - 0.32f) < 0.1f && fabsf(ny - 0.12f) < 0.09f) return v3_make(0.1f, 0.08f, 0.08f);
        return st->skin;
    }
    case BODY_PART_NECK:
    case BODY_PART_HAND: return st->skin;
    case BODY_PART_TORSO:
    case BODY_PART_SHOULDERS: return body__pattern(st, st->top, s, w);
    case BODY_PART_UPPER_ARM: return (long_sl || fr < 0.5f) ? body__pattern(st, st->top, s, w) : st->skin;
    case BODY_PART_FOREARM: return long_sl ? body__pattern(st, st->top, s, w) : st->skin;
    case BODY_PART_HIPS: return st->bottom;
    case BODY_PART_THIGH:
        if (bk == BODY_BOTTOM_TROUSERS || (bk == BODY_BOTTOM_SHORTS && fr < 0.55f)) return st->bottom;
        return st->skin;
    case BODY_PART_SHIN: return bk == BODY_BOTTOM_TROUSERS ? st->bottom : st->skin;
    case BODY_PART_FOOT: return st->shoes;
    case BODY_PART_SKIRT: return ((int)floorf(s / 0.08f) & 1) && st->pattern != BODY_PATTERN_SOLID
                                     ? v3_scale(st->bottom, 0.75f) : st->bottom;
    default: return st->skin;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Surface points                                                                             */
/* ------------------------------------------------------------------------------------------ */

v3 body_point_world(const body_shape *b, body_point q) {
    int k = q.prim < 0 ? 0 : q.prim >= BODY_PRIM_CAPSULES ? BODY_PRIM_CAPSULES - 1 : q.prim;
    const body_prim *p = &b->prim[k];
    v3 d = v3_sub(p->b, p->a);
    float ct = cosf(q.theta), sn = sinf(q.theta);
    v3 radial = v3_add(v3_scale(p->e1, ct), v3_scale(p->e2, sn));
    if (v3_norm(d) < 1e-6f) { /* sphere: latitude about the body's up axis */
        float phi = (q.s - 0.5f) * (float)M_PI;
        v3 up = v3_cross(p->e1, p->e2);
        return v3_add(p->a, v3_scale(v3_add(v3_scale(radial, cosf(phi)), v3_scale(up, sinf(phi))), p->r));
    }
    return v3_add(v3_add(p->a, v3_scale(d, q.s)), v3_scale(radial, p->r));
}

void body_points_sample(body_point *out, int K, uint64_t seed) {
    /* area weights of the default body: 2 pi r L + 4 pi r^2 (rough lengths per slot) */
    static const float len[BODY_PRIM_CAPSULES] = {0.12f, 0.26f, 0.15f, 0.24f, 0.06f, 0, 0.26f, 0.26f, 0.25f,
                                                  0.25f, 0,     0,     0.38f, 0.38f, 0.40f, 0.40f, 0.13f, 0.13f};
    static const float rad[BODY_PRIM_CAPSULES] = {0.095f, 0.11f, 0.12f, 0.06f, 0.045f, 0.10f, 0.05f, 0.05f, 0.04f,
                                                  0.04f,  0.045f, 0.045f, 0.075f, 0.075f, 0.055f, 0.055f, 0.04f, 0.04f};
    float cum[BODY_PRIM_CAPSULES], tot = 0;
    for (int i = 0; i < BODY_PRIM_CAPSULES; i++) {
        tot += 2 * (float)M_PI * rad[i] * len[i] + (len[i] == 0 ? 4 * (float)M_PI * rad[i] * rad[i] : 0);
        cum[i] = tot;
    }
    mosa_rng r;
    rng_seed(&r, seed);
    for (int k = 0; k < K; k++) {
        float u[3];
        rng_uniform(&r, u, 3);
        /* stratify the choice of primitive: K points sweep the cumulative area once */
        float x = ((float)k + u[0]) / (float)K * tot;
        int i = 0;
        while (i < BODY_PRIM_CAPSULES - 1 && cum[i] < x) i++;
        out[k].prim = i;
        out[k].s = len[i] == 0 ? 0.1f + 0.8f * u[1] : u[1];
        out[k].theta = 2 * (float)M_PI * u[2];
    }
}
