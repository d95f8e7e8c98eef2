/* camera.h: the pinhole camera that looks at a generated 3D motion, and camera trajectories.
 *
 * What this is: MoSA's rendering camera (App. F.6: "users can freely specify camera poses,
 * including elevation angle, azimuth angle, and distance ... either fixed or time-varying"):
 * a camera placed on a sphere around a look-at target, a projection of 3D points to pixels, a
 * keyframed trajectory (linear or smooth interpolation) with built-in moves (fixed, orbit, zoom,
 * pan), and parsers for the CLI forms "elev=10,azim=30,dist=4,fov=45" and
 * "orbit[:deg_per_s]|zoom-in|zoom-out|pan-left|pan-right".
 * What this is not: lens distortion, a rasterizer (draw.h draws skeletons), or occlusion
 * (project.h turns projected keypoints into keypoints with confidence).
 *
 * Conventions:
 *   world   right-handed, Y up, metres (HumanML3D); motions face +Z at their start.
 *   pose    elevation = degrees above the horizontal plane through the target (positive: the
 *           camera is higher and looks down); azimuth = degrees about +Y, 0 = camera on the +Z
 *           side of the target looking toward -Z, i.e. at the front of a +Z-facing person;
 *           azimuth 90 puts the camera on +X (the person's left side, SMPL left = +X).
 *           eye = target + dist * (cos(el) sin(az), sin(el), cos(el) cos(az)).
 *   image   x grows to the right, y grows downward; pixel centres at integer coordinates (the
 *           OpenPose / OpenCV convention), so the image spans [-0.5, W-0.5] x [-0.5, H-0.5] and
 *           the optical axis hits ((W-1)/2, (H-1)/2). Square pixels; the field of view is
 *           vertical: focal = (H/2) / tan(fov/2) pixels.
 *   depth   distance along the optical axis in metres (positive in front of the camera).
 * A figure facing the default camera therefore has its LEFT side on the RIGHT of the image. */
#ifndef MOSA_RENDER_CAMERA_H
#define MOSA_RENDER_CAMERA_H

#include "base/base.h"
#include "base/geom.h"

/* Where the camera is, relative to what it looks at. Angles in degrees, distances in metres. */
typedef struct camera_pose {
    float elev;  /* [-90, 90] degrees above the horizontal */
    float azim;  /* degrees about +Y, any finite value (not wrapped: 370 is one turn past 10) */
    float dist;  /* (0, 10000] metres from the target */
    float fov;   /* [1, 170] degrees, vertical field of view */
    v3 target;   /* look-at point, metres */
} camera_pose;

/* A camera ready to project: the pose, the image size and the derived frame. */
typedef struct camera {
    camera_pose pose;
    int W, H;            /* image size, pixels */
    v3 eye;              /* camera centre, world metres */
    v3 right, up, fwd;   /* unit world axes of the image x (right), image up, and view direction */
    float focal;         /* pixels */
    float cx, cy;        /* principal point, pixels: ((W-1)/2, (H-1)/2) */
} camera;

/* Defaults: elev 0, azim 0, dist 4 m, fov 45 degrees, target (0, 1, 0). A 1.7 m person then
 * fills about half of the image height. */
camera_pose camera_pose_default(void);

/* Checks a pose (ranges above) and returns MOSA_ERR_ARG naming the bad field otherwise. */
mosa_status camera_pose_check(const camera_pose *pose);

/* Builds the camera of `pose` for a W x H image (1..16384 each). At elevation +-90 the image
 * "right" stays the horizontal direction of the azimuth, so straight-down views are defined. */
mosa_status camera_init(camera *cam, const camera_pose *pose, int W, int H);

/* Projects N world points p3 (N,3) to uvz (N,3): pixel x, pixel y, depth in metres. A point at
 * or behind the camera plane (depth <= 1e-6 m) gets u = v = NAN and its (non-positive) depth. */
void camera_project(const camera *cam, const float *p3, int N, float *uvz);

/* The default look-at target of a motion joints (T,J,3): the mean position of joint `root`
 * over all frames, with its height replaced by `height` metres when height >= 0 (keep the mean
 * root height with height < 0; for a standing HumanML3D motion that is about 0.95 m). */
v3 camera_target_from_motion(const float *joints, int T, int J, int root, float height);

/* Parses "elev=10,azim=30,dist=4,fov=45,target=0:1:0" (any subset, any order; keys also
 * spelled elevation/azimuth/distance) onto *pose, which holds the defaults for keys not given.
 * Errors name the bad key or value. An empty string changes nothing. */
mosa_status camera_pose_parse(const char *s, camera_pose *pose);

/* ------------------------------------------------------------------------------------------ */
/* Trajectories                                                                               */
/* ------------------------------------------------------------------------------------------ */

enum { CAMERA_TRAJ_MAX_KEYS = 64 };

typedef enum {
    CAMERA_INTERP_LINEAR, /* piecewise linear in every field */
    CAMERA_INTERP_SMOOTH, /* cubic Hermite through the keys: Catmull-Rom tangents inside, zero
                           * tangents at the first and last key (two keys: smoothstep) */
} camera_interp;

typedef struct camera_key {
    float t;           /* seconds */
    camera_pose pose;
} camera_key;

/* Keyframes in strictly increasing time. Before the first key the camera is the first key's,
 * after the last key the last key's. */
typedef struct camera_traj {
    int W, H;
    camera_interp interp;
    int n_keys;
    camera_key keys[CAMERA_TRAJ_MAX_KEYS];
} camera_traj;

typedef enum {
    CAMERA_MOVE_FIXED,
    CAMERA_MOVE_ORBIT,     /* amount: degrees per second (azimuth increases; default 30) */
    CAMERA_MOVE_ZOOM_IN,   /* amount: final distance / start distance (default 0.6) */
    CAMERA_MOVE_ZOOM_OUT,  /* amount: final distance / start distance (default 1.5) */
    CAMERA_MOVE_PAN_LEFT,  /* amount: metres the target moves to the camera's left (default 1) */
    CAMERA_MOVE_PAN_RIGHT, /* amount: metres the target moves to the camera's right (default 1) */
} camera_move;

/* Starts an empty trajectory for W x H images. Add keys with camera_traj_add_key. */
mosa_status camera_traj_init(camera_traj *tr, int W, int H, camera_interp interp);

/* Appends a key at time t (seconds, later than the previous key) with a valid pose. */
mosa_status camera_traj_add_key(camera_traj *tr, float t, const camera_pose *pose);

/* A built-in move over [0, duration] seconds starting from `base`: fixed (one key), orbit
 * (linear azimuth sweep, constant rate), zoom in/out (smooth distance ramp), pan left/right
 * (smooth sideways move of the target along the starting camera's right axis; "left" moves it
 * toward image left, so the person drifts right in the frame). amount <= 0 or NAN takes the
 * default listed at camera_move. */
mosa_status camera_traj_builtin(camera_traj *tr, camera_move move, float amount, const camera_pose *base,
                                float duration, int W, int H);

/* Parses a --trajectory value: "fixed", "orbit[:deg_per_s]", "zoom-in[:factor]",
 * "zoom-out[:factor]", "pan-left[:metres]", "pan-right[:metres]", and builds it as
 * camera_traj_builtin does. Errors name the bad word or amount. */
mosa_status camera_traj_parse(camera_traj *tr, const char *spec, const camera_pose *base, float duration, int W,
                              int H);

/* The pose of trajectory `tr` at time t seconds (interpolated, clamped to the key range). */
camera_pose camera_traj_pose_at(const camera_traj *tr, float t);

/* The camera of trajectory `tr` at time t seconds (frame f of a clip at fps: t = f / fps). */
void camera_at(const camera_traj *tr, float t, camera *out);

#endif /* MOSA_RENDER_CAMERA_H */
