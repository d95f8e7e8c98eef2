/* actions_common.h: the machinery shared by the procedural action generators (actions_*.c),
 * private to the motion library (library.c). Not a public API.
 *
 * An action fills, for every frame, an mspec: the pelvis position and orientation, spine, head
 * and collar angles, a target for each foot (a foot joint position on the floor or in the air)
 * and for each wrist (or anatomical arm angles). mgen_emit turns the spec into a kin_pose with
 * IK, after lowering the pelvis just enough that every weight-bearing foot can be reached, so
 * planted feet stay exactly where they were put. Everything is in the action's own frame: it
 * starts at the origin facing +Z; library.c applies the heading and places it in sequences. */
#ifndef MOSA_ACTIONS_COMMON_H
#define MOSA_ACTIONS_COMMON_H

#include "kinematics.h"
#include "library.h"

#define MG_G 9.81f /* gravity, m/s^2 */

/* Per-seed style: small deterministic variations of posture and timing. */
typedef struct mstyle {
    float tempo;   /* 0.92..1.08, multiplies rates */
    float width;   /* lateral distance between the feet, metres (default body) */
    float toe_out; /* radians each foot turns out */
    float lean;    /* pelvis pitch, radians */
    float spine;   /* spine flexion, radians */
    float head;    /* neck flexion, radians */
    float arm_abd; /* resting arm abduction */
    float elbow;   /* resting elbow flexion */
    float swing;   /* arm swing factor */
    float knee;    /* pelvis lowered below the standing height, metres (default body) */
    float lift;    /* swing clearance factor */
    float delay;   /* 0..1: where leftover time goes (start vs end) */
    float phase;   /* 0..1 */
    float asym;    /* -1..1: one arm swings more than the other */
    float shrug;   /* collar elevation */
    float r[8];    /* extra uniforms in [0,1) for action-specific choices */
} mstyle;

enum { MF_WORLD, MF_BODY, MF_PELVIS };         /* foot target frames */
enum { MA_ANAT, MA_CHEST, MA_BODY, MA_WORLD }; /* arm modes */

typedef struct mfoot {
    int mode;     /* MF_WORLD: toe in the world; MF_BODY: toe relative to (root, yaw);
                     MF_PELVIS: toe, foot direction and pole in the pelvis frame */
    v3 toe;       /* target of the foot joint (10/11) */
    float pitch;  /* foot bone below horizontal (body.flat_pitch = flat) */
    float yaw;    /* foot heading (MF_BODY: relative to the body yaw) */
    v3 pole;      /* knee direction (world for MF_WORLD, body frame for MF_BODY); 0 = forward */
    int planted;  /* bears weight (recorded as support) */
    float slack;  /* reach limit of the pelvis from this foot: < 0 none, else extra metres allowed */
} mfoot;

typedef struct marm {
    int mode;
    float flex, abd, twist, elbow; /* MA_ANAT (kin_joint_rot angles) */
    v3 wrist;                      /* target: chest frame, body (root, yaw) frame or world */
    v3 pole;                       /* elbow direction in the same frame */
} marm;

typedef struct mspec {
    v3 root;
    float yaw, pitch, roll;
    float sp_flex, sp_lat, sp_twist; /* whole spine, spread over spine1..3 */
    float nk_flex, nk_lat, nk_twist;
    float col_fwd[2], col_up[2];
    mfoot foot[2]; /* 0 left, 1 right */
    marm arm[2];
    int hands_support; /* wrists bear weight (push-up, cartwheel): recorded as support */
    int resolved;      /* the pelvis height has already been limited (mg_spec_resolve) */
} mspec;

/* A planted interval of one foot and the step after it. */
typedef struct mplant {
    float t0, t1;   /* on the floor from t0 to t1 (seconds) */
    v3 toe;         /* world position of the foot joint */
    float yaw;      /* foot heading */
    float pitch0;   /* extra foot pitch for the whole stance (toes tucked: push-up) */
    float heel_t;   /* the heel starts rising at heel_t (>= t1: never) ... */
    float heel;     /* ... to this extra pitch at t1 */
    float land;     /* extra pitch at touchdown (toes first), settling over land_dur */
    float land_dur;
    float lift;     /* clearance of the swing after this plant */
    float strike;   /* toes-up angle just before the next touchdown */
    int flight;     /* the swing after this plant happens in the air: body-relative path */
    v3 rel_off;     /* flight: toe relative to (root, yaw) at t1 */
    v3 rel_on;      /* flight: toe relative to (root, yaw) at t0 (landing) */
    float yaw_off, yaw_on; /* flight: foot yaw relative to the body yaw at t1 and at landing */
    float tuck;     /* flight: how far the feet pull up mid-air */
    float swing_slack; /* walking: pelvis reach limit kept near liftoff/touchdown (< 0: off) */
} mplant;

#define MG_MAX_PLANTS 160
typedef struct mtrack {
    mplant p[MG_MAX_PLANTS];
    int n;
} mtrack;

/* Cubic Hermite keys (time, value, slope). */
typedef struct mkey { float t, y, v; } mkey;
#define MG_MAX_KEYS 256
typedef struct mkeys {
    mkey k[MG_MAX_KEYS];
    int n;
} mkeys;

typedef struct mgen {
    motion_params p;  /* sanitized */
    int action;
    kin_body body;
    float s;          /* body scale */
    float dt;         /* 1/20 s */
    int T;
    float dur;        /* (T-1)*dt: time of the last frame */
    int side;         /* 0 left, 1 right */
    float sg;         /* +1 if the active side is the left (+X), else -1 */
    float sp, amp;    /* speed, amplitude */
    float ystand;     /* pelvis height standing */
    float flat;       /* flat foot pitch */
    float toe_fwd;    /* toe ahead of the ankle, flat foot */
    mosa_rng rng;
    mstyle st;
    int end_rest;     /* end standing with both feet planted (used in sequences) */
    kin_pose *pose;   /* (T) */
    uint8_t *support; /* (T,4): left foot, right foot, left hand, right hand bear weight */
    void *ctx;        /* the running action's data, for its root function */
} mgen;

typedef void (*mroot_fn)(const mgen *g, float t, v3 *pos, float *yaw);

/* ---- small math ---- */
float mg_clamp(float x, float lo, float hi);
float mg_smooth(float x);  /* smoothstep on [0,1], clamped */
float mg_smoother(float x); /* smootherstep on [0,1], clamped */
float mg_lerp(float a, float b, float t);
float mg_wrap(float a);     /* to (-pi, pi] */
float mg_bump(float x);     /* sin(pi x) on [0,1], 0 outside */
/* 0 -> 1 on [0,1] with a trapezoidal speed: accelerate over a fraction a, cruise, decelerate. */
float mg_trapezoid(float x, float a);
/* A window rising over [a, a+r] and falling over [b-r, b] (smoothstep ramps). */
float mg_window(float t, float a, float b, float r);
float mg_rand(mgen *g, float lo, float hi);
v3 mg_body_to_world(v3 root, float yaw, v3 rel);
v3 mg_rot_yaw(float yaw, v3 v);

/* ---- keys ---- */
void mkeys_add(mkeys *k, float t, float y, float v);
float mkeys_eval(const mkeys *k, float t);
/* Adds a key whose slope is filled in by mkeys_finish (Catmull-Rom; 0 at the ends). */
void mkeys_add_auto(mkeys *k, float t, float y);
void mkeys_finish(mkeys *k);
/* Initial and final vertical speeds of a ballistic flight from height y0 at t0 to y1 at t1. */
void mg_flight_speeds(float *v0, float *v1, float t0, float y0, float t1, float y1);

/* ---- spec ---- */
/* The standing spec of the generator's style: pelvis at the standing height, feet planted at
 * the stance positions in the world (relative to `origin` and `yaw`), arms hanging. */
void mspec_stand(mspec *s, const mgen *g, v3 origin, float yaw);
/* Stance toe position (world) of foot `side` for a body standing at `origin` facing `yaw`. */
v3 mg_stance_toe(const mgen *g, int side, v3 origin, float yaw, float width);
/* Evaluates foot track `ft` of foot `side` at time t into s->foot[side]; `root` gives the pelvis
 * path for flights. */
void mtrack_eval(mfoot *f, const mgen *g, const mtrack *ft, float t, mroot_fn root);
/* Appends a plant; returns it (defaults: no heel raise, no flight, style lift). */
mplant *mtrack_add(mtrack *ft, const mgen *g, float t0, float t1, v3 toe, float yaw);
/* Fills rel_off/rel_on of flight plants from the root path. */
void mtrack_flights(mtrack *ft, const mgen *g, mroot_fn root);
/* Lowers the pelvis just enough that every weight-bearing world foot is reachable (C1 cap);
 * idempotent (marks the spec resolved). mgen_emit calls it. */
void mg_spec_resolve(const mgen *g, mspec *s);
/* Builds the pose of a (resolved) spec. */
void mg_spec_pose(kin_pose *P, const mgen *g, const mspec *s);
/* World position and rotation of the chest (spine3) for a resolved spec. */
void mg_chest_frame(const mgen *g, const mspec *s, v3 *pos, quat *rot);
/* World position of wrist `side` for a resolved spec (its arm as the spec says). */
v3 mg_spec_wrist(const mgen *g, const mspec *s, int side);
/* Builds the pose of frame i from the spec and records the support flags. */
void mgen_emit(mgen *g, int i, const mspec *s);
/* Highest pelvis height at which foot `side` (toe, pitch, yaw) is reachable, given the spec's
 * pelvis orientation and XZ position, keeping the leg at `ext` of its length. */
float mg_reach_height(const mgen *g, const mspec *s, int side, v3 toe, float pitch, float yaw, float ext);
/* Elbow pole of a hanging arm (elbows point back and a little out), chest or body frame; and
 * the pole of a gesture blended in from it with weight w, so an arm leaving the rest pose keeps
 * its elbow where it was (an IK elbow must not flip). */
v3 mg_rest_pole(int side);
v3 mg_pole_blend(int side, v3 pole, float w);
/* Where the wrist of the standing style pose is, in the chest (spine3) frame: the start and
 * end point of chest-frame arm gestures. */
v3 mg_rest_wrist_chest(const mgen *g, int side);
/* Arm swing of walking-like gaits at gait phase `ph` (radians, 0 = left foot forward). */
void mg_arm_swing(mspec *s, const mgen *g, float ph, float amp, float elbow);

/* ---- gaits (walk, jog, run, march, side steps, crouch walk, turning on the spot) ---- */
typedef struct mgait {
    float v, cadence, duty, duty0;  /* cruise speed, steps/s, stance fraction (duty0 at start/stop) */
    float width, toe_out, lift, heel, strike;
    float t_go, t_stop, ramp;       /* travel starts at t_go, ramps over `ramp`, is 0 after t_stop */
    v3 dir;                         /* travel direction in the body frame */
    float turn;                     /* total heading change */
    float turn_t0, turn_t1;         /* turning on the spot (v == 0): over this time */
    int lead;                       /* first foot to step */
    float y_nom, bob;               /* walking pelvis height and bob */
    int run;                        /* flight phases: ballistic pelvis */
    float lean;                     /* pelvis pitch at full speed */
    float stop_t;                   /* after this, no more steps (computed) */
    /* derived */
    int nsamp;
    float hs;                       /* sampling step of the path */
    float *px, *pz, *pyaw, *pdist;  /* path samples (nsamp) */
    mtrack ft[2];
    mkeys ky;                       /* run: pelvis height keys */
    float *lo, *td;                 /* liftoff and touchdown of step k */
    int nsteps;
    int *step_foot;
} mgait;

mosa_status mgait_build(mgait *gt, mgen *g);
void mgait_free(mgait *gt);
void mgait_path(const mgait *gt, float t, v3 *pos, float *yaw);
/* Gait phase (radians) at time t: 0 when the left foot is at mid-swing forward. */
float mgait_phase(const mgait *gt, float t);
/* Travel speed at time t (m/s). */
float mgait_speed(const mgait *gt, float t);
/* Fills the locomotion part of a spec at time t (root, feet, pelvis yaw/pitch). */
void mgait_spec(mspec *s, const mgait *gt, const mgen *g, float t);

/* ---- the actions ---- */
typedef mosa_status (*maction_fn)(mgen *g);
mosa_status act_idle(mgen *g);
mosa_status act_walk(mgen *g);
mosa_status act_jog(mgen *g);
mosa_status act_run(mgen *g);
mosa_status act_march(mgen *g);
mosa_status act_side_step(mgen *g);
mosa_status act_crouch_walk(mgen *g);
mosa_status act_walk_backward(mgen *g);
mosa_status act_climb_steps(mgen *g);
mosa_status act_turn_around(mgen *g);
mosa_status act_spin(mgen *g);
mosa_status act_skate(mgen *g);
mosa_status act_dance(mgen *g);
mosa_status act_jump(mgen *g);
mosa_status act_jump_forward(mgen *g);
mosa_status act_hop(mgen *g);
mosa_status act_jumping_jacks(mgen *g);
mosa_status act_squat(mgen *g);
mosa_status act_lunge(mgen *g);
mosa_status act_front_kick(mgen *g);
mosa_status act_side_kick(mgen *g);
mosa_status act_leg_stretch(mgen *g);
mosa_status act_tree_pose(mgen *g);
mosa_status act_warrior(mgen *g);
mosa_status act_sit_down(mgen *g);
mosa_status act_stand_up(mgen *g);
mosa_status act_punch(mgen *g);
mosa_status act_wave(mgen *g);
mosa_status act_wave_both(mgen *g);
mosa_status act_clap(mgen *g);
mosa_status act_raise_arms(mgen *g);
mosa_status act_side_stretch(mgen *g);
mosa_status act_toe_touch(mgen *g);
mosa_status act_bow(mgen *g);
mosa_status act_throw(mgen *g);
mosa_status act_push_up(mgen *g);
mosa_status act_cartwheel(mgen *g);
mosa_status act_kneel(mgen *g);

/* The style of a seed (what mgen.st holds for it). */
void mg_style_init(mstyle *st, uint64_t seed);
/* Locomotion: whether the action slows to a stop before the clip ends (always in sequences,
 * otherwise decided by the style); shared with the captions ("... and stops"). */
int mg_stops(const mgen *g);
int mg_ends_stopped(int action, const motion_params *p);

/* Repetition timing, shared with the captions (they must agree with what is generated):
 * `lead` seconds before the first repetition, `tail` after the last, `period` each. The count
 * depends on seconds, speed and amplitude only, never on the seed. */
typedef struct mrep { float period, lead, tail; } mrep;
/* Pelvis rise (metres) of one jump of a jumping action at amplitude a; never so low that the
 * feet would shuffle along the floor instead of leaving it. */
float mg_jump_apex(int action, float a);
/* The speed parameter, capped where a faster human motion would not be plausible. */
float mg_speed(const mgen *g, float cap);
mrep mg_rep_timing(int action, const motion_params *p);
int mg_reps(int action, const motion_params *p);
/* Start time of the first repetition: the spare time is split by the style's delay. */
float mg_rep_start(const mgen *g, mrep r, int n);

#endif /* MOSA_ACTIONS_COMMON_H */
