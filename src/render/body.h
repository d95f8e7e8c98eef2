/* body.h: the synthetic person of the dataset renderer: an articulated body of analytic
 * primitives over the SMPL-22 skeleton, its appearance (build, skin, hair, clothing), and body
 * surface points for point tracks.
 *
 * What this is: for one frame of joints (22,3) (HumanML3D conventions: metres, Y up, left = +X
 * when facing +Z), body_shape_build places BODY_PRIM_COUNT capsules and spheres (and a cone for a
 * skirt) along the bones, each tagged with a body part; body_shape_color gives the clothing or
 * skin colour of a surface point from the style and the primitive's local coordinates (stripes
 * run along the bone axis). A body point (primitive, axial fraction, angle) names the same spot
 * of the body in every frame, so its world position over time is a point track.
 * What this is not: a mesh or skinning model, a ray tracer (scene.h intersects these
 * primitives), or a motion generator (the skeleton comes from motion/library.h). */
#ifndef MOSA_RENDER_BODY_H
#define MOSA_RENDER_BODY_H

#include "base/base.h"
#include "base/geom.h"

typedef enum body_part {
    BODY_PART_HIPS, BODY_PART_TORSO, BODY_PART_SHOULDERS, BODY_PART_NECK, BODY_PART_HEAD, BODY_PART_UPPER_ARM,
    BODY_PART_FOREARM, BODY_PART_HAND, BODY_PART_THIGH, BODY_PART_SHIN, BODY_PART_FOOT, BODY_PART_SKIRT,
    BODY_PART_COUNT
} body_part;

/* Primitive slots, the same for every style (a skirt adds the cone in the last slot). */
enum body_prim_index {
    BODY_PRIM_HIPS, BODY_PRIM_BELLY, BODY_PRIM_CHEST, BODY_PRIM_SHOULDERS, BODY_PRIM_NECK, BODY_PRIM_HEAD,
    BODY_PRIM_L_UPPER_ARM, BODY_PRIM_R_UPPER_ARM, BODY_PRIM_L_FOREARM, BODY_PRIM_R_FOREARM, BODY_PRIM_L_HAND,
    BODY_PRIM_R_HAND, BODY_PRIM_L_THIGH, BODY_PRIM_R_THIGH, BODY_PRIM_L_SHIN, BODY_PRIM_R_SHIN, BODY_PRIM_L_FOOT,
    BODY_PRIM_R_FOOT, BODY_PRIM_SKIRT,
    BODY_PRIM_CAPSULES = BODY_PRIM_SKIRT, /* slots 0..17 are capsules or spheres (a == b) */
    BODY_PRIM_COUNT
};

typedef enum { BODY_SLEEVES_SHORT, BODY_SLEEVES_LONG, BODY_SLEEVES_COUNT } body_sleeves;
typedef enum { BODY_BOTTOM_TROUSERS, BODY_BOTTOM_SHORTS, BODY_BOTTOM_SKIRT, BODY_BOTTOM_COUNT } body_bottom;
typedef enum { BODY_PATTERN_SOLID, BODY_PATTERN_STRIPES, BODY_PATTERN_CHECKS, BODY_PATTERN_COUNT } body_pattern;
typedef enum { BODY_HAIR_SHORT, BODY_HAIR_LONG, BODY_HAIR_BALD, BODY_HAIR_COUNT } body_hair;

/* Appearance of one person. Colours are display RGB in [0,1]. */
typedef struct body_style {
    float height;                 /* metres, 1.5..1.95: pass it to motion_params.height */
    float build;                  /* radius scale of torso and limbs, 0.8 (slim) .. 1.3 (broad) */
    v3 skin, hair, top, top2, bottom, shoes; /* top2: the pattern's second colour */
    int sleeves, bottom_kind, pattern, hair_kind; /* body_sleeves, body_bottom, body_pattern, body_hair */
} body_style;

/* One primitive: a capsule from a to b of radius r (a sphere when a == b), or for the skirt a
 * cone: apex a, axis toward b, radius r at axial distance h0 from the apex, up to h1. */
typedef struct body_prim {
    v3 a, b;
    float r;
    float h0, h1, k; /* cone only: axial range and 1 + tan^2 of the half angle */
    v3 e1, e2;       /* unit frame perpendicular to the axis (angle 0 along e1, 90 deg along e2) */
    int part;        /* body_part */
    int is_cone;
} body_prim;

/* One person's primitives in one frame, and its world bounding box. */
typedef struct body_shape {
    int n; /* BODY_PRIM_CAPSULES, or BODY_PRIM_COUNT with a skirt */
    body_prim prim[BODY_PRIM_COUNT];
    v3 fwd, left, up; /* body frame: facing, the body's left (SMPL left), up the spine */
    v3 lo, hi;        /* world AABB of all primitives */
} body_shape;

/* A neutral style: 1.70 m, build 1, light grey t-shirt, blue trousers, short brown hair. */
body_style body_style_default(void);

/* A random style (height, build, skin tone, hair, clothing kinds, colours, pattern) drawn from r. */
body_style body_style_random(mosa_rng *r);

/* Places the primitives of a person with skeleton joints (22,3) and style st. Radii scale with the
 * skeleton's size (its spine and leg lengths against the default body) and, for torso and limbs,
 * with st->build. */
void body_shape_build(body_shape *out, const float *joints, const body_style *st);

/* Colour (display RGB, unshaded) of the surface point p of primitive `prim` of body b with outward
 * unit normal n: skin, hair (a cap over the top and back of the head), eyes, or clothing with the
 * style's pattern. */
v3 body_shape_color(const body_shape *b, const body_style *st, int prim, v3 p, v3 n);

/* A point fixed on the body surface: on capsule `prim` (0..BODY_PRIM_CAPSULES-1) at axial fraction
 * s in [0,1] from a to b and angle theta (radians) about the axis from e1 toward e2; on a sphere
 * s is the latitude fraction (0 = bottom, 1 = top along the body's up axis). */
typedef struct body_point {
    int prim;
    float s, theta;
} body_point;

/* World position of body point q on the body b (the point track at that frame). */
v3 body_point_world(const body_shape *b, body_point q);

/* K deterministic body points spread over the capsules by approximate surface area (the same
 * list for every style and frame); seed picks the spread. */
void body_points_sample(body_point *out, int K, uint64_t seed);

#endif /* MOSA_RENDER_BODY_H */
