/* scene.h: the synthetic scene of the dataset and the analytic renderer of people in it.
 *
 * What this is: a scene description (textured ground plane y = 0, an optional back wall with a
 * window, sky, lighting preset, objects made of signed-distance primitives: box, bench,
 * trampoline, fallen trunk, stairs, rug, and an occluding pillar), its signed distance function
 * for contact labels, and a renderer that casts one ray per pixel of a camera.h pinhole camera
 * against the scene and the people (body.h), with Lambert shading, a sun shadow cast by the
 * bodies and objects, and some background motion (drifting clouds, rippling water). Per frame it
 * writes the RGB image, a person id per pixel (0 background, p+1 person p: the human masks) and
 * depth along the optical axis (metres, +inf for sky), and it tests point-track visibility.
 * What this is not: a general ray tracer (no reflections, one bounce of shadow), an image
 * post-processor, or the dataset writer (src/data/ drives this per clip). Deterministic: no
 * randomness after scene_random, the same inputs give the same bytes at any thread count. */
#ifndef MOSA_RENDER_SCENE_H
#define MOSA_RENDER_SCENE_H

#include "base/base.h"
#include "base/geom.h"
#include "base/image.h"
#include "render/body.h"
#include "render/camera.h"

enum { SCENE_MAX_PRIMS = 48, SCENE_MAX_PEOPLE = 4 };

typedef enum scene_ground {
    SCENE_GROUND_GRASS, SCENE_GROUND_ICE, SCENE_GROUND_WOOD, SCENE_GROUND_GRAVEL, SCENE_GROUND_SAND,
    SCENE_GROUND_GYM, SCENE_GROUND_PIER, SCENE_GROUND_COUNT
} scene_ground;

typedef enum scene_light {
    SCENE_LIGHT_BRIGHT, SCENE_LIGHT_DIM, SCENE_LIGHT_SUNSET, SCENE_LIGHT_INDOOR, SCENE_LIGHT_COUNT
} scene_light;

typedef enum scene_object {
    SCENE_OBJ_BOX, SCENE_OBJ_BENCH, SCENE_OBJ_TRAMPOLINE, SCENE_OBJ_TRUNK, SCENE_OBJ_STAIRS, SCENE_OBJ_RUG,
    SCENE_OBJ_PILLAR, SCENE_OBJ_COUNT
} scene_object;

typedef enum scene_prim_kind { SCENE_PRIM_BOX, SCENE_PRIM_CYLINDER, SCENE_PRIM_CAPSULE } scene_prim_kind;

/* Special primitive ids returned by scene_sdf and scene hits. */
enum { SCENE_ID_GROUND = -1, SCENE_ID_WALL = -2, SCENE_ID_NONE = -3 };

/* One signed-distance primitive. Box: centre c, half extents h, turned by yaw about +Y (its local
 * +Z points along (sin yaw, 0, cos yaw)). Cylinder: vertical, centre c, radius r, half height h.y.
 * Capsule: segment a-b, radius r. */
typedef struct scene_prim {
    int kind;   /* scene_prim_kind */
    int object; /* scene_object it belongs to */
    v3 c, h;
    float yaw;
    v3 a, b;
    float r;
    v3 color;
} scene_prim;

/* Light of a preset: direction toward the sun (unit), its colour, ambient, sky colours. */
typedef struct scene_lighting {
    v3 sun_dir, sun, ambient, sky_top, sky_horizon;
} scene_lighting;

typedef struct scene_desc {
    int ground; /* scene_ground */
    int light;  /* scene_light */
    scene_lighting L;
    float ground_yaw;      /* rotation of the ground texture (planks, lines), radians */
    int has_wall;
    v3 wall_p, wall_n;     /* a point on the wall and its unit normal (horizontal, facing the scene) */
    float wall_h;          /* wall height, metres */
    v3 wall_color;
    float win_u0, win_u1, win_v0, win_v1; /* window on the wall: horizontal and height ranges */
    int n_prims;
    scene_prim prim[SCENE_MAX_PRIMS];
} scene_desc;

/* Where scene_random may put things: the people's area and the camera. */
typedef struct scene_random_opts {
    v3 center;         /* middle of the people's area (on the ground) */
    float radius;      /* the people move within this distance of center; objects go around it */
    float cam_azim;    /* camera azimuth, degrees (the wall goes behind the people) */
    float p_occluder;  /* probability of a pillar between the camera and the people */
    float p_wall;      /* probability of a back wall outdoors (indoor scenes always have one) */
    int n_objects;     /* objects to place (0..4); -1: random 0..2 */
} scene_random_opts;

/* center (0,0,0), radius 1.5, azimuth 0, occluder 0.15, wall 0.3, n_objects -1. */
scene_random_opts scene_random_opts_default(void);

/* An empty scene: grass, bright light, no wall, no objects. */
void scene_init(scene_desc *s, int ground, int light);

/* Sets the lighting of preset `light` (and indoor's wall colour). */
void scene_light_set(scene_desc *s, int light);

/* A random scene: ground, light, wall and window, objects placed outside the people's area. */
void scene_random(scene_desc *s, mosa_rng *r, const scene_random_opts *o);

/* Adds object `kind` at ground position (x, z) turned by yaw, with its size drawn from r (NULL:
 * the middle size). Stairs here are a 4-step flight; use scene_stairs_add for a given layout.
 * Returns MOSA_ERR_ARG when the primitive table is full or the kind is unknown. */
mosa_status scene_object_add(scene_desc *s, int kind, float x, float z, float yaw, mosa_rng *r);

/* Adds the staircase of motion_floor_height: n boxes, step k covering forward distances
 * [first + k tread, first + n tread + landing) at height (k+1) rise, width wide, in the frame
 * turned by heading (forward = (sin heading, 0, cos heading)) from the origin. */
mosa_status scene_stairs_add(scene_desc *s, float heading, float rise, float tread, float first, float width,
                             int n, float landing);

/* Signed distance (metres) from p to the nearest scene surface: the ground (y = 0), the wall and
 * every primitive; *prim (may be NULL) gets its id (primitive index, SCENE_ID_GROUND or
 * SCENE_ID_WALL). A joint with distance < 0.04 touches the scene. */
float scene_sdf(const scene_desc *s, v3 p, int *prim);

/* Renders one frame. rgb: allocated cam->W x cam->H image; person_id (W*H, may be NULL): 0 or
 * p+1; depth (W*H floats, may be NULL): metres along the optical axis, +inf where the ray hits
 * nothing. joints: (P,22,3) of this frame; styles: P styles; P in 0..SCENE_MAX_PEOPLE; time_s
 * moves the clouds and the water. Rows run in parallel (MOSA_PARALLEL_FOR). */
mosa_status scene_render(image *rgb, uint8_t *person_id, float *depth, const scene_desc *s, const camera *cam,
                         const float *joints, const body_style *styles, int P, float time_s);

/* Nearest ray hit against one body: ray o + t d (d unit), returns t > 0 or INFINITY; *prim gets
 * the primitive. Exposed for tests and for callers that cast their own rays. */
float scene_body_intersect(const body_shape *b, v3 o, v3 d, int *prim);

/* Visibility of world point p in a rendered frame: projects it with cam, and returns 1 when it is
 * in the image, its depth is within tol metres of the rendered depth at its pixel (nothing
 * nearer covers it) and, when person_id is not NULL, that pixel's id is `id` (p+1 for a point on
 * person p, 0 for a background point: a point just outside a silhouette then counts as hidden);
 * else 0. uvz (may be NULL) gets the projection (pixel x, y, depth). */
int scene_point_visible(const camera *cam, const float *depth, const uint8_t *person_id, int id, v3 p, float tol,
                        float *uvz);

/* K static background points (for background tracks) on the ground within `radius` of center
 * and on the objects' top faces, drawn deterministically from seed. out is (K,3). */
void scene_points_sample(const scene_desc *s, float *out, int K, v3 center, float radius, uint64_t seed);

#endif /* MOSA_RENDER_SCENE_H */
