/* scene.c: scene description, signed distances, analytic ray intersections and the per-pixel
 * renderer of people in a scene (see scene.h). One primary ray per pixel; bodies are culled per
 * primitive by a conservative screen-space box, so a pixel tests only the primitives that can
 * cover it; one shadow ray toward the sun from every non-body hit. */
#include "render/scene.h"

#include <math.h>
#include <string.h>

#define SCENE__EPS 1e-4f

/* ------------------------------------------------------------------------------------------ */
/* Small helpers: colours, hashing, value noise                                               */
/* ------------------------------------------------------------------------------------------ */

static v3 scene__mul(v3 a, v3 b) { return v3_make(a.x * b.x, a.y * b.y, a.z * b.z); }
static float scene__clamp01(float x) { return x < 0 ? 0 : x > 1 ? 1 : x; }
static float scene__smooth(float x) { return x * x * (3 - 2 * x); }

/* Integer lattice hash to [0,1). */
static float scene__hash(int x, int y) {
    uint32_t h = (uint32_t)x * 374761393u + (uint32_t)y * 668265263u;
    h = (h ^ (h >> 13)) * 1274126177u;
    h ^= h >> 16;
    return (float)(h & 0xffffff) / 16777216.0f;
}

/* Smooth value noise in [0,1) at (x, y) (lattice spacing 1). */
static float scene__noise(float x, float y) {
    float fx = floorf(x), fy = floorf(y);
    int ix = (int)fx, iy = (int)fy;
    float u = scene__smooth(x - fx), v = scene__smooth(y - fy);
    float a = scene__hash(ix, iy), b = scene__hash(ix + 1, iy), c = scene__hash(ix, iy + 1), d = scene__hash(ix + 1, iy + 1);
    return a + (b - a) * u + (c - a) * v + (a - b - c + d) * u * v;
}

static float scene__uniform(mosa_rng *r) {
    float u;
    if (!r) return 0.5f;
    rng_uniform(r, &u, 1);
    return u;
}

/* ------------------------------------------------------------------------------------------ */
/* Scene description                                                                          */
/* ------------------------------------------------------------------------------------------ */

void scene_light_set(scene_desc *s, int light) {
    scene_lighting *L = &s->L;
    s->light = light;
    switch (light) {
    case SCENE_LIGHT_DIM:
        L->sun_dir = v3_normalize(v3_make(-0.3f, 0.8f, 0.5f));
        L->sun = v3_make(0.35f, 0.36f, 0.40f), L->ambient = v3_make(0.30f, 0.31f, 0.36f);
        L->sky_top = v3_make(0.38f, 0.42f, 0.50f), L->sky_horizon = v3_make(0.55f, 0.57f, 0.60f);
        break;
    case SCENE_LIGHT_SUNSET:
        L->sun_dir = v3_normalize(v3_make(0.8f, 0.22f, -0.4f));
        L->sun = v3_make(1.00f, 0.62f, 0.35f), L->ambient = v3_make(0.32f, 0.26f, 0.30f);
        L->sky_top = v3_make(0.28f, 0.30f, 0.55f), L->sky_horizon = v3_make(0.98f, 0.58f, 0.32f);
        break;
    case SCENE_LIGHT_INDOOR:
        L->sun_dir = v3_normalize(v3_make(0.15f, 1.0f, 0.25f));
        L->sun = v3_make(0.70f, 0.67f, 0.60f), L->ambient = v3_make(0.38f, 0.37f, 0.35f);
        L->sky_top = v3_make(0.55f, 0.54f, 0.52f), L->sky_horizon = v3_make(0.75f, 0.73f, 0.70f);
        break;
    default:
        s->light = SCENE_LIGHT_BRIGHT;
        L->sun_dir = v3_normalize(v3_make(-0.4f, 0.75f, 0.45f));
        L->sun = v3_make(0.80f, 0.78f, 0.70f), L->ambient = v3_make(0.38f, 0.42f, 0.48f);
        L->sky_top = v3_make(0.30f, 0.52f, 0.90f), L->sky_horizon = v3_make(0.75f, 0.85f, 0.95f);
        break;
    }
}

void scene_init(scene_desc *s, int ground, int light) {
    memset(s, 0, sizeof(*s));
    s->ground = ground >= 0 && ground < SCENE_GROUND_COUNT ? ground : SCENE_GROUND_GRASS;
    scene_light_set(s, light);
    s->wall_n = v3_make(0, 0, 1);
    s->wall_h = 3.0f;
    s->wall_color = v3_make(0.85f, 0.82f, 0.75f);
}

scene_random_opts scene_random_opts_default(void) {
    scene_random_opts o = {v3_make(0, 0, 0), 1.5f, 0, 0.15f, 0.3f, -1};
    return o;
}

static mosa_status scene__prim_push(scene_desc *s, const scene_prim *p) {
    if (s->n_prims >= SCENE_MAX_PRIMS)
        return mosa_fail(MOSA_ERR_ARG, "scene: more than %d primitives", SCENE_MAX_PRIMS);
    s->prim[s->n_prims++] = *p;
    return MOSA_OK;
}

/* Local (lx, ly, lz) of a frame at (x, 0, z) turned by yaw, to world. */
static v3 scene__yaw_to_world(float x, float z, float yaw, float lx, float ly, float lz) {
    float c = cosf(yaw), sn = sinf(yaw);
    return v3_make(x + c * lx + sn * lz, ly, z - sn * lx + c * lz);
}

static mosa_status scene__box(scene_desc *s, int obj, v3 c, v3 h, float yaw, v3 col) {
    scene_prim p = {0};
    p.kind = SCENE_PRIM_BOX, p.object = obj, p.c = c, p.h = h, p.yaw = yaw, p.color = col;
    return scene__prim_push(s, &p);
}

static mosa_status scene__cyl(scene_desc *s, int obj, v3 c, float r, float hh, v3 col) {
    scene_prim p = {0};
    p.kind = SCENE_PRIM_CYLINDER, p.object = obj, p.c = c, p.r = r, p.h = v3_make(r, hh, r), p.color = col;
    return scene__prim_push(s, &p);
}

static mosa_status scene__stairs(scene_desc *s, float ox, float oz, float heading, float rise, float tread,
                                 float first, float width, int n, float landing) {
    if (n < 1 || n > 16 || !(rise > 0) || !(tread > 0) || !(width > 0) || !(landing >= 0))
        return mosa_fail(MOSA_ERR_ARG, "scene: bad staircase (n %d, rise %g, tread %g, width %g)", n, (double)rise,
                         (double)tread, (double)width);
    v3 col = v3_make(0.62f, 0.58f, 0.52f);
    float end = first + n * tread + landing;
    for (int k = 0; k < n; k++) {
        float z0 = first + k * tread, hy = 0.5f * rise * (float)(k + 1);
        v3 c = scene__yaw_to_world(ox, oz, heading, 0, hy, 0.5f * (z0 + end));
        float shade = (k & 1) ? 0.92f : 1.0f;
        MOSA_TRY(scene__box(s, SCENE_OBJ_STAIRS, c, v3_make(0.5f * width, hy, 0.5f * (end - z0)), heading,
                            v3_scale(col, shade)));
    }
    return MOSA_OK;
}

mosa_status scene_stairs_add(scene_desc *s, float heading, float rise, float tread, float first, float width,
                             int n, float landing) {
    return scene__stairs(s, 0, 0, heading, rise, tread, first, width, n, landing);
}

mosa_status scene_object_add(scene_desc *s, int kind, float x, float z, float yaw, mosa_rng *r) {
    float u = scene__uniform(r), u2 = scene__uniform(r);
    v3 wood = v3_make(0.55f + 0.15f * u2, 0.38f + 0.1f * u2, 0.22f);
    switch (kind) {
    case SCENE_OBJ_BOX: {
        v3 h = v3_make(0.25f + 0.15f * u, 0.20f + 0.15f * u2, 0.25f + 0.15f * u);
        return scene__box(s, kind, v3_make(x, h.y, z), h, yaw, v3_make(0.72f, 0.55f, 0.33f));
    }
    case SCENE_OBJ_BENCH: {
        float hw = 0.7f + 0.2f * u;
        MOSA_TRY(scene__box(s, kind, v3_make(x, 0.43f, z), v3_make(hw, 0.03f, 0.2f), yaw, wood));
        for (int k = -1; k <= 1; k += 2)
            MOSA_TRY(scene__box(s, kind, scene__yaw_to_world(x, z, yaw, k * (hw - 0.1f), 0.2f, 0),
                                v3_make(0.04f, 0.2f, 0.17f), yaw, v3_make(0.25f, 0.25f, 0.27f)));
        return MOSA_OK;
    }
    case SCENE_OBJ_TRAMPOLINE: {
        float rad = 0.9f + 0.3f * u;
        for (int k = 0; k < 3; k++) {
            float a = yaw + 2.0944f * (float)k;
            MOSA_TRY(scene__cyl(s, kind, v3_make(x + 0.85f * rad * sinf(a), 0.21f, z + 0.85f * rad * cosf(a)), 0.03f,
                                0.21f, v3_make(0.3f, 0.3f, 0.32f)));
        }
        MOSA_TRY(scene__cyl(s, kind, v3_make(x, 0.44f, z), rad + 0.1f, 0.03f, v3_make(0.15f, 0.35f, 0.75f)));
        return scene__cyl(s, kind, v3_make(x, 0.475f, z), rad - 0.05f, 0.01f, v3_make(0.08f, 0.08f, 0.09f));
    }
    case SCENE_OBJ_TRUNK: {
        float half = 0.8f + 0.4f * u, rad = 0.18f + 0.08f * u2;
        scene_prim p = {0};
        p.kind = SCENE_PRIM_CAPSULE, p.object = kind, p.r = rad, p.color = v3_make(0.40f, 0.28f, 0.18f);
        p.a = scene__yaw_to_world(x, z, yaw, -half, rad, 0), p.b = scene__yaw_to_world(x, z, yaw, half, rad, 0);
        p.c = v3_lerp(p.a, p.b, 0.5f), p.yaw = yaw;
        return scene__prim_push(s, &p);
    }
    case SCENE_OBJ_STAIRS:
        return scene__stairs(s, x, z, yaw, 0.15f + 0.03f * u, 0.30f, 0, 1.2f, 4, 0.6f);
    case SCENE_OBJ_RUG: {
        v3 col = u2 < 0.33f ? v3_make(0.65f, 0.15f, 0.15f) : u2 < 0.66f ? v3_make(0.20f, 0.30f, 0.60f)
                                                                      : v3_make(0.75f, 0.60f, 0.30f);
        return scene__box(s, kind, v3_make(x, 0.006f, z), v3_make(0.8f + 0.4f * u, 0.006f, 0.5f + 0.3f * u), yaw, col);
    }
    case SCENE_OBJ_PILLAR: {
        float hh = 1.25f + 0.3f * u2;
        return scene__cyl(s, kind, v3_make(x, hh, z), 0.12f + 0.08f * u, hh, v3_make(0.62f, 0.62f, 0.60f));
    }
    default: return mosa_fail(MOSA_ERR_ARG, "scene: unknown object kind %d", kind);
    }
}

void scene_random(scene_desc *s, mosa_rng *r, const scene_random_opts *o) {
    scene_random_opts def = scene_random_opts_default();
    if (!o) o = &def;
    int ground = (int)rng_below(r, SCENE_GROUND_COUNT);
    int light = (int)rng_below(r, SCENE_LIGHT_COUNT);
    scene_init(s, ground, light);
    s->ground_yaw = 2 * (float)M_PI * scene__uniform(r);
    float az = o->cam_azim * (float)M_PI / 180.0f;
    v3 cdir = v3_make(sinf(az), 0, cosf(az)); /* from the people toward the camera */
    v3 tan = v3_cross(v3_make(0, 1, 0), cdir);
    s->has_wall = light == SCENE_LIGHT_INDOOR || scene__uniform(r) < o->p_wall;
    float wall_d = o->radius + 1.0f + 1.5f * scene__uniform(r);
    s->wall_p = v3_sub(o->center, v3_scale(cdir, wall_d));
    s->wall_p.y = 0;
    s->wall_n = cdir;
    s->wall_h = 2.8f + 0.7f * scene__uniform(r);
    float wc = scene__uniform(r);
    s->wall_color = wc < 0.33f ? v3_make(0.88f, 0.85f, 0.78f) : wc < 0.66f ? v3_make(0.70f, 0.78f, 0.80f)
                                                                          : v3_make(0.78f, 0.55f, 0.45f);
    float wu = -1.5f + 3.0f * scene__uniform(r), ww = 0.4f + 0.35f * scene__uniform(r);
    s->win_u0 = wu - ww, s->win_u1 = wu + ww, s->win_v0 = 0.9f, s->win_v1 = fminf(2.1f, s->wall_h - 0.3f);
    int n_obj = o->n_objects >= 0 ? (o->n_objects > 4 ? 4 : o->n_objects) : (int)rng_below(r, 3);
    for (int i = 0; i < n_obj; i++) {
        int kind = (int)rng_below(r, SCENE_OBJ_PILLAR); /* every kind but the pillar */
        float a = 2 * (float)M_PI * scene__uniform(r), d = o->radius + 0.6f + 1.2f * scene__uniform(r);
        v3 pos = v3_add(o->center, v3_make(d * sinf(a), 0, d * cosf(a)));
        if (s->has_wall && v3_dot(v3_sub(pos, s->wall_p), s->wall_n) < 1.0f) /* behind the wall: mirror */
            pos = v3_sub(v3_scale(o->center, 2), pos); /* the point opposite, on the camera's side */
        float yaw = 2 * (float)M_PI * scene__uniform(r);
        if (scene_object_add(s, kind, pos.x, pos.z, yaw, r) != MOSA_OK) mosa_clear_error();
    }
    if (scene__uniform(r) < o->p_occluder) {
        float side = (scene__uniform(r) < 0.5f ? -1.0f : 1.0f) * (0.2f + 0.3f * scene__uniform(r));
        v3 pos = v3_add(v3_add(o->center, v3_scale(cdir, 0.5f * o->radius + 1.0f)), v3_scale(tan, side));
        if (scene_object_add(s, SCENE_OBJ_PILLAR, pos.x, pos.z, 0, r) != MOSA_OK) mosa_clear_error();
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Signed distances                                                                           */
/* ------------------------------------------------------------------------------------------ */

static float scene__prim_sdf(const scene_prim *p, v3 q) {
    switch (p->kind) {
    case SCENE_PRIM_BOX: {
        float c = cosf(p->yaw), sn = sinf(p->yaw), dx = q.x - p->c.x, dz = q.z - p->c.z;
        float lx = fabsf(c * dx - sn * dz) - p->h.x, ly = fabsf(q.y - p->c.y) - p->h.y,
              lz = fabsf(sn * dx + c * dz) - p->h.z;
        float ox = fmaxf(lx, 0), oy = fmaxf(ly, 0), oz = fmaxf(lz, 0);
        return sqrtf(ox * ox + oy * oy + oz * oz) + fminf(fmaxf(lx, fmaxf(ly, lz)), 0);
    }
    case SCENE_PRIM_CYLINDER: {
        float dr = hypotf(q.x - p->c.x, q.z - p->c.z) - p->r, dy = fabsf(q.y - p->c.y) - p->h.y;
        float ox = fmaxf(dr, 0), oy = fmaxf(dy, 0);
        return sqrtf(ox * ox + oy * oy) + fminf(fmaxf(dr, dy), 0);
    }
    default: {
        v3 ba = v3_sub(p->b, p->a), pa = v3_sub(q, p->a);
        float bb = v3_dot(ba, ba), h = bb > 0 ? scene__clamp01(v3_dot(pa, ba) / bb) : 0;
        return v3_norm(v3_sub(pa, v3_scale(ba, h))) - p->r;
    }
    }
}

float scene_sdf(const scene_desc *s, v3 p, int *prim) {
    float best = p.y;
    int id = SCENE_ID_GROUND;
    if (s->has_wall) {
        float dn = v3_dot(v3_sub(p, s->wall_p), s->wall_n);
        float d = p.y > s->wall_h ? hypotf(fmaxf(dn, 0), p.y - s->wall_h) : dn;
        if (d < best) best = d, id = SCENE_ID_WALL;
    }
    for (int i = 0; i < s->n_prims; i++) {
        float d = scene__prim_sdf(&s->prim[i], p);
        if (d < best) best = d, id = i;
    }
    if (prim) *prim = id;
    return best;
}

/* ------------------------------------------------------------------------------------------ */
/* Ray intersections (d unit; each returns the nearest t > eps of a surface entered from         */
/* outside, or INFINITY)                                                                        */
/* ------------------------------------------------------------------------------------------ */

static float scene__ray_sphere(v3 o, v3 d, v3 c, float r) {
    v3 oc = v3_sub(o, c);
    float b = v3_dot(oc, d), cc = v3_dot(oc, oc) - r * r, h = b * b - cc;
    if (h < 0) return INFINITY;
    float t = -b - sqrtf(h);
    return t > SCENE__EPS ? t : INFINITY;
}

static float scene__ray_capsule(v3 o, v3 d, v3 a, v3 b, float r) {
    v3 ba = v3_sub(b, a), oa = v3_sub(o, a);
    float baba = v3_dot(ba, ba);
    if (baba < 1e-12f) return scene__ray_sphere(o, d, a, r);
    float bard = v3_dot(ba, d), baoa = v3_dot(ba, oa), rdoa = v3_dot(d, oa), oaoa = v3_dot(oa, oa);
    float A = baba - bard * bard;
    if (A > 1e-9f * baba) {
        float B = baba * rdoa - baoa * bard, C = baba * oaoa - baoa * baoa - r * r * baba;
        float h = B * B - A * C;
        if (h < 0) return INFINITY; /* misses the infinite cylinder, so the capsule too */
        float t = (-B - sqrtf(h)) / A, y = baoa + t * bard;
        if (y > 0 && y < baba && t > SCENE__EPS) return t;
    }
    return fminf(scene__ray_sphere(o, d, a, r), scene__ray_sphere(o, d, b, r));
}

/* Open cone (body_prim with is_cone): both roots are tried, the inside shows through the hem. */
static float scene__ray_cone(v3 o, v3 d, const body_prim *p) {
    v3 u = v3_normalize(v3_sub(p->b, p->a)), q = v3_sub(o, p->a);
    float oh = v3_dot(q, u), dh = v3_dot(d, u), od = v3_dot(q, d), oo = v3_dot(q, q);
    float A = 1 - p->k * dh * dh, B = od - p->k * oh * dh, C = oo - p->k * oh * oh;
    float h = B * B - A * C;
    if (h < 0 || fabsf(A) < 1e-9f) return INFINITY;
    float sq = sqrtf(h), t0 = (-B - sq) / A, t1 = (-B + sq) / A;
    if (t0 > t1) { float x = t0; t0 = t1, t1 = x; }
    float ts[2] = {t0, t1};
    for (int i = 0; i < 2; i++) {
        float y = oh + ts[i] * dh;
        if (ts[i] > SCENE__EPS && y >= p->h0 && y <= p->h1) return ts[i];
    }
    return INFINITY;
}

/* Box in its yawed frame (precomputed cos c, sin sn); *axis gets the entered face (0..2, +-). */
static float scene__ray_box(v3 o, v3 d, const scene_prim *p, float c, float sn, int *face) {
    float dx = o.x - p->c.x, dz = o.z - p->c.z;
    float lo[3] = {c * dx - sn * dz, o.y - p->c.y, sn * dx + c * dz};
    float ld[3] = {c * d.x - sn * d.z, d.y, sn * d.x + c * d.z};
    float hh[3] = {p->h.x, p->h.y, p->h.z};
    float tn = -INFINITY, tf = INFINITY;
    int ax = 0;
    for (int k = 0; k < 3; k++) {
        if (fabsf(ld[k]) < 1e-9f) {
            if (fabsf(lo[k]) > hh[k]) return INFINITY;
            continue;
        }
        float inv = 1.0f / ld[k], t1 = (-hh[k] - lo[k]) * inv, t2 = (hh[k] - lo[k]) * inv;
        if (t1 > t2) { float x = t1; t1 = t2, t2 = x; }
        if (t1 > tn) tn = t1, ax = k;
        if (t2 < tf) tf = t2;
    }
    if (tn > tf || tn <= SCENE__EPS) return INFINITY;
    *face = ld[ax] > 0 ? -(ax + 1) : ax + 1;
    return tn;
}

static float scene__ray_cylinder(v3 o, v3 d, const scene_prim *p, int *cap) {
    float ox = o.x - p->c.x, oz = o.z - p->c.z, oy = o.y - p->c.y;
    float best = INFINITY;
    float A = d.x * d.x + d.z * d.z;
    if (A > 1e-12f) {
        float B = ox * d.x + oz * d.z, C = ox * ox + oz * oz - p->r * p->r, h = B * B - A * C;
        if (h < 0) return INFINITY;
        float t = (-B - sqrtf(h)) / A, y = oy + t * d.y;
        if (t > SCENE__EPS && fabsf(y) <= p->h.y) best = t, *cap = 0;
    }
    if (fabsf(d.y) > 1e-9f) {
        float cy = oy > 0 ? p->h.y : -p->h.y, t = (cy - oy) / d.y;
        float x = ox + t * d.x, z = oz + t * d.z;
        if (t > SCENE__EPS && t < best && x * x + z * z <= p->r * p->r) best = t, *cap = oy > 0 ? 1 : -1;
    }
    return best;
}

float scene_body_intersect(const body_shape *b, v3 o, v3 d, int *prim) {
    float best = INFINITY;
    int id = -1;
    for (int i = 0; i < b->n; i++) {
        const body_prim *p = &b->prim[i];
        float t = p->is_cone ? scene__ray_cone(o, d, p) : scene__ray_capsule(o, d, p->a, p->b, p->r);
        if (t < best) best = t, id = i;
    }
    if (prim) *prim = id;
    return best;
}

/* Outward normal of body primitive p at surface point q (toward the ray for the cone). */
static v3 scene__body_normal(const body_prim *p, v3 q, v3 d) {
    v3 ba = v3_sub(p->b, p->a), qa = v3_sub(q, p->a);
    if (p->is_cone) {
        v3 u = v3_normalize(ba);
        float h = v3_dot(qa, u);
        v3 w = v3_sub(qa, v3_scale(u, h));
        v3 n = v3_normalize(v3_sub(w, v3_scale(u, (p->k - 1) * h)));
        return v3_dot(n, d) > 0 ? v3_scale(n, -1) : n;
    }
    float bb = v3_dot(ba, ba), h = bb > 0 ? scene__clamp01(v3_dot(qa, ba) / bb) : 0;
    return v3_normalize(v3_sub(qa, v3_scale(ba, h)));
}

/* ------------------------------------------------------------------------------------------ */
/* Textures and sky                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* Planks along local x: width w, per-plank tint, grain, dark seams. */
static v3 scene__planks(float x, float z, float w, v3 base, float detail) {
    float fz = z / w, row = floorf(fz);
    float off = scene__hash((int)row, 7) * 3.0f;
    float len = floorf((x + off) / 1.8f);
    float tint = 0.85f + 0.3f * scene__hash((int)row, (int)len);
    float grain = 1 + detail * 0.08f * sinf(x * 9.0f + 3.0f * scene__noise(x * 0.8f, fz * 4.0f));
    float fr = fz - row, fl = (x + off) / 1.8f - len;
    float seam = (fr < 0.05f || fr > 0.95f || fl < 0.01f) ? 1 - 0.5f * detail : 1;
    return v3_scale(base, tint * grain * seam);
}

/* Albedo of the ground at world (x, z) seen from distance t (detail fades with distance). */
static v3 scene__ground_albedo(const scene_desc *s, float wx, float wz, float t, float time_s, float cy, float sy) {
    float x = cy * wx - sy * wz, z = sy * wx + cy * wz;
    float detail = scene__clamp01(1.2f - t / 14.0f);
    switch (s->ground) {
    case SCENE_GROUND_ICE: {
        float n = scene__noise(x * 1.5f, z * 1.5f), sc = scene__noise(x * 0.5f + z * 8.0f, z * 0.3f);
        v3 c = v3_scale(v3_make(0.86f, 0.92f, 0.97f), 0.92f + 0.08f * n - 0.06f * detail * sc);
        if (fabsf(z - 2.0f) < 0.05f) c = v3_make(0.75f, 0.25f, 0.25f);
        if (fabsf(x + 1.5f) < 0.04f) c = v3_make(0.25f, 0.40f, 0.80f);
        return c;
    }
    case SCENE_GROUND_WOOD: return scene__planks(x, z, 0.14f, v3_make(0.66f, 0.46f, 0.28f), detail);
    case SCENE_GROUND_GRAVEL: {
        float n = scene__hash((int)floorf(x * 30), (int)floorf(z * 30)), m = scene__noise(x * 2, z * 2);
        return v3_scale(v3_make(0.55f, 0.53f, 0.50f), 0.8f + 0.15f * m + detail * 0.3f * (n - 0.5f));
    }
    case SCENE_GROUND_SAND: {
        float rip = sinf(x * 9.0f + 2.0f * scene__noise(x * 0.7f, z * 0.7f)), n = scene__noise(x * 4, z * 4);
        return v3_scale(v3_make(0.87f, 0.77f, 0.58f), 0.92f + 0.05f * detail * rip + 0.06f * n);
    }
    case SCENE_GROUND_GYM: {
        v3 c = scene__planks(z, x, 0.08f, v3_make(0.80f, 0.60f, 0.38f), detail * 0.6f);
        float r = hypotf(x, z - 1.0f);
        if (fabsf(x - 2.5f) < 0.03f || fabsf(z + 2.0f) < 0.03f || fabsf(r - 1.8f) < 0.03f)
            c = v3_make(0.95f, 0.95f, 0.92f);
        if (fabsf(x + 3.0f) < 0.04f) c = v3_make(0.20f, 0.35f, 0.75f);
        return c;
    }
    case SCENE_GROUND_PIER: {
        if (fabsf(x) < 1.8f) return scene__planks(z, x, 0.16f, v3_make(0.55f, 0.42f, 0.30f), detail);
        float w = sinf(x * 5.0f + time_s * 1.7f + 2.0f * scene__noise(x, z)) * sinf(z * 4.0f - time_s * 1.3f);
        return v3_scale(v3_make(0.15f, 0.35f, 0.50f), 0.9f + 0.15f * w * detail);
    }
    default: { /* grass */
        float n = scene__noise(x * 0.8f, z * 0.8f), f = scene__hash((int)floorf(x * 40), (int)floorf(z * 40));
        return v3_scale(v3_make(0.30f, 0.55f, 0.20f), 0.8f + 0.3f * n + detail * 0.25f * (f - 0.5f));
    }
    }
}

static v3 scene__sky(const scene_desc *s, v3 d, float time_s) {
    const scene_lighting *L = &s->L;
    float up = scene__clamp01(d.y);
    v3 c = v3_lerp(L->sky_horizon, L->sky_top, sqrtf(up));
    if (s->light == SCENE_LIGHT_INDOOR) return v3_scale(c, 0.9f + 0.1f * up);
    if (d.y > 0.03f) { /* clouds on a plane, drifting with time */
        float u = d.x / d.y + 0.05f * time_s, v = d.z / d.y;
        float n = 0.65f * scene__noise(u * 0.9f, v * 0.9f) + 0.35f * scene__noise(u * 2.1f, v * 2.1f);
        float cl = scene__clamp01((n - 0.55f) * 3.0f) * scene__clamp01(d.y * 4);
        v3 cc = s->light == SCENE_LIGHT_SUNSET ? v3_make(0.95f, 0.70f, 0.60f) : v3_make(0.95f, 0.95f, 0.97f);
        if (s->light == SCENE_LIGHT_DIM) cc = v3_make(0.62f, 0.63f, 0.66f);
        c = v3_lerp(c, cc, cl);
    }
    if (v3_dot(d, L->sun_dir) > 0.9992f && s->light != SCENE_LIGHT_DIM) c = v3_make(1, 0.97f, 0.88f);
    return c;
}

/* ------------------------------------------------------------------------------------------ */
/* Renderer                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct scene__ctx {
    const scene_desc *s;
    const camera *cam;
    const body_style *styles;
    int P;
    body_shape shapes[SCENE_MAX_PEOPLE];
    int16_t box[SCENE_MAX_PEOPLE][BODY_PRIM_COUNT][4]; /* pixel x0, x1, y0, y1 (inclusive) */
    v3 bc[SCENE_MAX_PEOPLE];                            /* bounding spheres of the people */
    float br[SCENE_MAX_PEOPLE];
    float pcos[SCENE_MAX_PRIMS], psin[SCENE_MAX_PRIMS];
    float gcos, gsin, time_s;
    int wall_front; /* camera in front of the wall */
} scene__ctx;

/* Conservative pixel box of a sphere (centre c, radius r) under cam, merged into box[4]. */
static void scene__sphere_box(const camera *cam, v3 c, float r, float box[4]) {
    v3 d = v3_sub(c, cam->eye);
    float x = v3_dot(d, cam->right), y = v3_dot(d, cam->up), z = v3_dot(d, cam->fwd);
    if (z - r < 1e-3f) { /* crosses the camera plane: anywhere */
        box[0] = -1e9f, box[1] = 1e9f, box[2] = -1e9f, box[3] = 1e9f;
        return;
    }
    for (int i = 0; i < 4; i++) {
        float xx = x + ((i & 1) ? r : -r), yy = y + ((i & 1) ? r : -r), zz = z + ((i & 2) ? r : -r);
        float u = cam->cx + cam->focal * xx / zz, v = cam->cy - cam->focal * yy / zz;
        box[0] = fminf(box[0], u), box[1] = fmaxf(box[1], u), box[2] = fminf(box[2], v), box[3] = fmaxf(box[3], v);
    }
}

static int16_t scene__clampi(float v, int lo, int hi) {
    return (int16_t)(v < (float)lo ? lo : v > (float)hi ? hi : (int)v);
}

static void scene__ctx_prepare(scene__ctx *c) {
    const camera *cam = c->cam;
    for (int p = 0; p < c->P; p++) {
        body_shape *b = &c->shapes[p];
        c->bc[p] = v3_scale(v3_add(b->lo, b->hi), 0.5f);
        c->br[p] = 0.5f * v3_norm(v3_sub(b->hi, b->lo));
        for (int i = 0; i < b->n; i++) {
            const body_prim *q = &b->prim[i];
            float bx[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY};
            if (q->is_cone) { /* inside the capsule between its rims, of the hem radius */
                v3 u = v3_normalize(v3_sub(q->b, q->a));
                float rh = q->h1 * sqrtf(q->k - 1);
                scene__sphere_box(cam, v3_add(q->a, v3_scale(u, q->h0)), rh, bx);
                scene__sphere_box(cam, v3_add(q->a, v3_scale(u, q->h1)), rh, bx);
            } else {
                scene__sphere_box(cam, q->a, q->r, bx);
                scene__sphere_box(cam, q->b, q->r, bx);
            }
            c->box[p][i][0] = scene__clampi(floorf(bx[0]), -1, cam->W);
            c->box[p][i][1] = scene__clampi(ceilf(bx[1]), -1, cam->W);
            c->box[p][i][2] = scene__clampi(floorf(bx[2]), -1, cam->H);
            c->box[p][i][3] = scene__clampi(ceilf(bx[3]), -1, cam->H);
        }
    }
    for (int i = 0; i < c->s->n_prims; i++) c->pcos[i] = cosf(c->s->prim[i].yaw), c->psin[i] = sinf(c->s->prim[i].yaw);
    c->gcos = cosf(c->s->ground_yaw), c->gsin = sinf(c->s->ground_yaw);
    c->wall_front = c->s->has_wall && v3_dot(v3_sub(cam->eye, c->s->wall_p), c->s->wall_n) > 0;
}

/* Nearest scene (non-body) hit: returns t, sets *id and the normal. */
static float scene__trace_scene(const scene__ctx *c, v3 o, v3 d, int *id, v3 *n, int with_flat) {
    const scene_desc *s = c->s;
    float best = INFINITY;
    *id = SCENE_ID_NONE;
    if (with_flat) {
        if (d.y < -1e-7f && o.y > 0) best = -o.y / d.y, *id = SCENE_ID_GROUND, *n = v3_make(0, 1, 0);
        if (c->wall_front) {
            float den = v3_dot(d, s->wall_n);
            if (den < -1e-7f) {
                float t = v3_dot(v3_sub(s->wall_p, o), s->wall_n) / den;
                float y = o.y + t * d.y;
                if (t > SCENE__EPS && t < best && y >= 0 && y <= s->wall_h) best = t, *id = SCENE_ID_WALL, *n = s->wall_n;
            }
        }
    }
    for (int i = 0; i < s->n_prims; i++) {
        const scene_prim *p = &s->prim[i];
        float t;
        int f = 0;
        if (p->kind == SCENE_PRIM_BOX) {
            t = scene__ray_box(o, d, p, c->pcos[i], c->psin[i], &f);
            if (t < best) {
                int ax = (f < 0 ? -f : f) - 1;
                float sg = f < 0 ? -1.0f : 1.0f;
                v3 ln = v3_make(ax == 0 ? sg : 0, ax == 1 ? sg : 0, ax == 2 ? sg : 0);
                /* local to world: x = c lx + s lz, z = -s lx + c lz */
                *n = v3_make(c->pcos[i] * ln.x + c->psin[i] * ln.z, ln.y, -c->psin[i] * ln.x + c->pcos[i] * ln.z);
                best = t, *id = i;
            }
        } else if (p->kind == SCENE_PRIM_CYLINDER) {
            t = scene__ray_cylinder(o, d, p, &f);
            if (t < best) {
                v3 q = v3_add(o, v3_scale(d, t));
                *n = f ? v3_make(0, (float)f, 0) : v3_normalize(v3_make(q.x - p->c.x, 0, q.z - p->c.z));
                best = t, *id = i;
            }
        } else {
            t = scene__ray_capsule(o, d, p->a, p->b, p->r);
            if (t < best) {
                v3 q = v3_add(o, v3_scale(d, t)), ba = v3_sub(p->b, p->a), qa = v3_sub(q, p->a);
                float h = scene__clamp01(v3_dot(qa, ba) / fmaxf(v3_dot(ba, ba), 1e-12f));
                *n = v3_normalize(v3_sub(qa, v3_scale(ba, h)));
                best = t, *id = i;
            }
        }
    }
    return best;
}

/* 1 when the ray from o toward the sun is blocked by a body or an object. */
static int scene__shadowed(const scene__ctx *c, v3 o) {
    v3 d = c->s->L.sun_dir;
    for (int p = 0; p < c->P; p++) {
        v3 oc = v3_sub(o, c->bc[p]);
        float b = v3_dot(oc, d), cc = v3_dot(oc, oc) - c->br[p] * c->br[p];
        if (cc > 0 && (b > 0 || b * b < cc)) continue; /* misses the bounding sphere */
        if (scene_body_intersect(&c->shapes[p], o, d, NULL) < INFINITY) return 1;
    }
    int id;
    v3 n;
    return scene__trace_scene(c, o, d, &id, &n, 0) < INFINITY;
}

/* Colour of a scene primitive at q (rugs get stripes, trunks bark rings). */
static v3 scene__prim_albedo(const scene__ctx *c, int i, v3 q) {
    const scene_prim *p = &c->s->prim[i];
    if (p->object == SCENE_OBJ_RUG) {
        float lx = c->pcos[i] * (q.x - p->c.x) - c->psin[i] * (q.z - p->c.z);
        int band = (int)floorf((lx + p->h.x) / 0.12f);
        return (fabsf(lx) > p->h.x - 0.08f) ? v3_scale(p->color, 0.6f) : (band & 1) ? v3_scale(p->color, 0.8f) : p->color;
    }
    if (p->object == SCENE_OBJ_TRUNK) return v3_scale(p->color, 0.85f + 0.3f * scene__noise(q.x * 12, q.y * 30 + q.z * 12));
    return p->color;
}

static void scene__pixel(const scene__ctx *c, int x, int y, const int16_t *rows, int nrows, uint8_t *rgb, uint8_t *pid,
                         float *dep) {
    const camera *cam = c->cam;
    const scene_desc *s = c->s;
    v3 d = v3_normalize(v3_add(v3_scale(cam->fwd, cam->focal),
                               v3_sub(v3_scale(cam->right, (float)x - cam->cx), v3_scale(cam->up, (float)y - cam->cy))));
    v3 o = cam->eye, n = v3_make(0, 1, 0);
    int id;
    float t = scene__trace_scene(c, o, d, &id, &n, 1);
    int person = -1, prim = -1;
    for (int k = 0; k < nrows; k++) {
        int p = rows[2 * k], i = rows[2 * k + 1];
        const int16_t *bx = c->box[p][i];
        if (x < bx[0] || x > bx[1]) continue;
        const body_prim *q = &c->shapes[p].prim[i];
        float tb = q->is_cone ? scene__ray_cone(o, d, q) : scene__ray_capsule(o, d, q->a, q->b, q->r);
        if (tb < t) t = tb, person = p, prim = i;
    }
    v3 col;
    if (t == INFINITY) {
        col = scene__sky(s, d, c->time_s);
        if (dep) *dep = INFINITY;
    } else {
        v3 hp = v3_add(o, v3_scale(d, t));
        v3 alb;
        float lit;
        if (person >= 0) {
            n = scene__body_normal(&c->shapes[person].prim[prim], hp, d);
            alb = body_shape_color(&c->shapes[person], &c->styles[person], prim, hp, n);
            lit = fmaxf(0, v3_dot(n, s->L.sun_dir));
        } else {
            if (id == SCENE_ID_GROUND) alb = scene__ground_albedo(s, hp.x, hp.z, t, c->time_s, c->gcos, c->gsin);
            else if (id == SCENE_ID_WALL) {
                v3 tg = v3_cross(v3_make(0, 1, 0), s->wall_n);
                float u = v3_dot(v3_sub(hp, s->wall_p), tg);
                alb = v3_scale(s->wall_color, hp.y < 0.12f ? 0.7f : 1.0f);
                if (u > s->win_u0 - 0.06f && u < s->win_u1 + 0.06f && hp.y > s->win_v0 - 0.06f && hp.y < s->win_v1 + 0.06f)
                    alb = v3_make(0.92f, 0.92f, 0.90f); /* window frame */
                if (u > s->win_u0 && u < s->win_u1 && hp.y > s->win_v0 && hp.y < s->win_v1) {
                    v3 wd = v3_normalize(v3_make(-s->wall_n.x + 0.2f * u, 0.25f + 0.3f * (hp.y - s->win_v0), -s->wall_n.z));
                    col = scene__sky(s, wd, c->time_s);
                    goto store; /* a window shows the sky, unshaded */
                }
            } else alb = scene__prim_albedo(c, id, hp);
            lit = fmaxf(0, v3_dot(n, s->L.sun_dir));
            if (lit > 0 && scene__shadowed(c, v3_add(hp, v3_scale(n, 2e-3f)))) lit = 0;
        }
        v3 amb = v3_scale(s->L.ambient, 0.75f + 0.25f * n.y);
        col = scene__mul(alb, v3_add(amb, v3_scale(s->L.sun, lit)));
        float fog = 1 - expf(-t / 60.0f); /* aerial perspective */
        col = v3_lerp(col, s->L.sky_horizon, fog);
    store:
        if (dep) *dep = t * v3_dot(d, cam->fwd);
    }
    if (pid) *pid = (uint8_t)(person + 1);
    rgb[0] = (uint8_t)(scene__clamp01(col.x) * 255.0f + 0.5f);
    rgb[1] = (uint8_t)(scene__clamp01(col.y) * 255.0f + 0.5f);
    rgb[2] = (uint8_t)(scene__clamp01(col.z) * 255.0f + 0.5f);
}

mosa_status scene_render(image *rgb, uint8_t *person_id, float *depth, const scene_desc *s, const camera *cam,
                         const float *joints, const body_style *styles, int P, float time_s) {
    if (!rgb || !rgb->rgb || !s || !cam) return mosa_fail(MOSA_ERR_ARG, "scene_render: NULL argument");
    if (rgb->w != cam->W || rgb->h != cam->H)
        return mosa_fail(MOSA_ERR_ARG, "scene_render: image %dx%d but camera %dx%d", rgb->w, rgb->h, cam->W, cam->H);
    if (P < 0 || P > SCENE_MAX_PEOPLE || (P > 0 && (!joints || !styles)))
        return mosa_fail(MOSA_ERR_ARG, "scene_render: %d people (0..%d, with joints and styles)", P, SCENE_MAX_PEOPLE);
    if (s->n_prims < 0 || s->n_prims > SCENE_MAX_PRIMS)
        return mosa_fail(MOSA_ERR_ARG, "scene_render: %d primitives", s->n_prims);
    for (long i = 0; i < (long)P * 22 * 3; i++)
        if (!isfinite(joints[i])) return mosa_fail(MOSA_ERR_ARG, "scene_render: joint value %ld is not finite", i);
    scene__ctx *c = mosa_malloc(sizeof(scene__ctx));
    if (!c) return MOSA_ERR_NOMEM;
    c->s = s, c->cam = cam, c->styles = styles, c->P = P, c->time_s = time_s;
    for (int p = 0; p < P; p++) body_shape_build(&c->shapes[p], joints + (size_t)p * 22 * 3, &styles[p]);
    scene__ctx_prepare(c);
    const int W = cam->W, H = cam->H;
    MOSA_PARALLEL_FOR(H > 1, schedule(dynamic, 4), for (int y = 0; y < H; y++) {
        int16_t rows[2 * SCENE_MAX_PEOPLE * BODY_PRIM_COUNT];
        int nr = 0;
        for (int p = 0; p < c->P; p++)
            for (int i = 0; i < c->shapes[p].n; i++)
                if (y >= c->box[p][i][2] && y <= c->box[p][i][3]) rows[2 * nr] = (int16_t)p, rows[2 * nr + 1] = (int16_t)i, nr++;
        for (int x = 0; x < W; x++) {
            size_t k = (size_t)y * (size_t)W + (size_t)x;
            scene__pixel(c, x, y, rows, nr, rgb->rgb + 3 * k, person_id ? person_id + k : NULL, depth ? depth + k : NULL);
        }
    });
    mosa_free(c);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Tracks                                                                                      */
/* ------------------------------------------------------------------------------------------ */

int scene_point_visible(const camera *cam, const float *depth, const uint8_t *person_id, int id, v3 p, float tol,
                        float *uvz) {
    float q[3], pp[3] = {p.x, p.y, p.z};
    camera_project(cam, pp, 1, q);
    if (uvz) uvz[0] = q[0], uvz[1] = q[1], uvz[2] = q[2];
    if (!(q[2] > 0) || !isfinite(q[0]) || !isfinite(q[1])) return 0;
    int x = (int)lrintf(q[0]), y = (int)lrintf(q[1]);
    if (x < 0 || y < 0 || x >= cam->W || y >= cam->H) return 0;
    size_t k = (size_t)y * (size_t)cam->W + (size_t)x;
    if (person_id && person_id[k] != id) return 0;
    return q[2] <= depth[k] + tol;
}

void scene_points_sample(const scene_desc *s, float *out, int K, v3 center, float radius, uint64_t seed) {
    mosa_rng r;
    rng_seed(&r, seed);
    int n_box = 0;
    for (int i = 0; i < s->n_prims; i++) n_box += s->prim[i].kind == SCENE_PRIM_BOX;
    for (int k = 0; k < K; k++) {
        float u[4];
        rng_uniform(&r, u, 4);
        v3 p;
        if (n_box > 0 && u[0] < 0.2f) { /* top face of a box */
            int pick = (int)(u[1] * (float)n_box), i = 0;
            for (int j = 0; j < s->n_prims; j++)
                if (s->prim[j].kind == SCENE_PRIM_BOX && pick-- == 0) i = j;
            const scene_prim *b = &s->prim[i];
            float lx = (2 * u[2] - 1) * b->h.x, lz = (2 * u[3] - 1) * b->h.z;
            p = scene__yaw_to_world(b->c.x, b->c.z, b->yaw, lx, b->c.y + b->h.y, lz);
        } else { /* ground, uniform in the disc */
            float rr = radius * sqrtf(u[2]), a = 2 * (float)M_PI * u[3];
            p = v3_make(center.x + rr * sinf(a), 0, center.z + rr * cosf(a));
        }
        v3_store(out + 3 * k, p);
    }
}
