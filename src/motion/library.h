/* library.h: the procedural motion library: 38 parametrised human actions as SMPL-22 joint
 * sequences, their composition into sequences with smooth transitions, multi-person scenes, and
 * the physical-plausibility metrics every generated motion is tested against.
 *
 * Output convention (HumanML3D, CONVENTIONS 3.1): (T,22,3) float32, metres, Y up, 20 fps, the
 * person starts with the pelvis above the origin, facing +Z (rotated by motion_params.heading),
 * feet on the floor (y = 0). T = max(1, round(seconds * 20)).
 * Bones keep their lengths exactly (forward kinematics of fixed bones); planted feet do not
 * slide (skate_glide slides on purpose); the pelvis follows a ballistic path (g = 9.81) while no
 * foot or hand touches the floor; no joint goes below the floor.
 *
 * Not here: captions (captions.h), HumanML3D features (features.h), rendering (render/). */
#ifndef MOSA_LIBRARY_H
#define MOSA_LIBRARY_H

#include "../base/base.h"

enum motion_action {
    MOTION_IDLE, MOTION_WALK, MOTION_JOG, MOTION_RUN, MOTION_MARCH, MOTION_SIDE_STEP, MOTION_CROUCH_WALK,
    MOTION_WALK_BACKWARD, MOTION_CLIMB_STEPS, MOTION_TURN_AROUND, MOTION_SPIN, MOTION_SKATE_GLIDE, MOTION_DANCE,
    MOTION_JUMP, MOTION_JUMP_FORWARD, MOTION_HOP, MOTION_JUMPING_JACKS, MOTION_SQUAT, MOTION_LUNGE,
    MOTION_FRONT_KICK, MOTION_SIDE_KICK, MOTION_LEG_STRETCH, MOTION_TREE_POSE, MOTION_WARRIOR, MOTION_SIT_DOWN,
    MOTION_STAND_UP, MOTION_PUNCH, MOTION_WAVE, MOTION_WAVE_BOTH, MOTION_CLAP, MOTION_RAISE_ARMS,
    MOTION_SIDE_STRETCH, MOTION_TOE_TOUCH, MOTION_BOW, MOTION_THROW, MOTION_PUSH_UP, MOTION_CARTWHEEL,
    MOTION_KNEEL, MOTION_ACTION_COUNT
};

/* What `side` selects: side_step, turn_around (when turn is 0), spin, dance (first step),
 * cartwheel: the direction; hop: the hopping leg; lunge, front/side kick: the working leg;
 * leg_stretch, tree_pose: the lifted foot; warrior_pose: the leg that steps out; kneel: the knee
 * that goes down; punch, wave, throw: the arm; side_stretch: the side leaned towards. */
enum { MOTION_LEFT = 0, MOTION_RIGHT = 1 };

/* What an action does with the parameters, and what it is allowed to do. */
enum motion_action_flag {
    MOTION_F_SIDED = 1 << 0,      /* `side` picks a limb or a direction */
    MOTION_F_TRAVELS = 1 << 1,    /* the body moves across the floor */
    MOTION_F_TURNS = 1 << 2,      /* `turn` curves the path */
    MOTION_F_FLIGHT = 1 << 3,     /* has airborne phases (ballistic) */
    MOTION_F_SLIDES = 1 << 4,     /* feet slide on purpose (exempt from the skating limit) */
    MOTION_F_HANDS_FLOOR = 1 << 5,/* hands rest on the floor */
    MOTION_F_REPEATS = 1 << 6,    /* a counted repetition (motion_action_reps) */
    MOTION_F_ENDS_SEATED = 1 << 7,
    MOTION_F_STARTS_SEATED = 1 << 8,
};

typedef struct motion_params {
    float seconds;   /* clip length, motion_action_min_seconds(action)..60 s (a clip too short
                        for one repetition at the asked speed gets a quicker one) */
    float speed;     /* 1 = natural pace: locomotion speed and the tempo of repetitions, 0.3..3
                        (locomotion saturates at plausible human speeds, e.g. a run at 1.8) */
    float amplitude; /* 1 = natural range of motion (stride, jump height, kick height, depth of a
                        squat or bow, arm swing), 0.2..2 */
    float heading;   /* initial facing, radians about +Y (+Z turned towards +X); in a sequence,
                        the turn relative to where the previous action ended */
    float turn;      /* total heading change of the path, radians, + = to the left (locomotion:
                        2 pi walks a full circle); turn_around: the angle (0 = half a turn) */
    float height;    /* body height, metres, 1.0..2.5; every length scales with it */
    int side;        /* MOTION_LEFT or MOTION_RIGHT: active limb, or direction where it applies */
    uint64_t seed;   /* style: timing, posture, arm swing, stance (deterministic) */
} motion_params;

/* seconds 4, speed 1, amplitude 1, heading 0, turn 0, height 1.70, side right, seed 0. */
motion_params motion_params_default(void);

int motion_action_count(void);
const char *motion_action_name(int action);        /* "walk", "jump_forward", ...; NULL if out of range */
int motion_action_find(const char *name);          /* -1 if unknown */
unsigned motion_action_flags(int action);          /* motion_action_flag bits; 0 if out of range */
float motion_action_min_seconds(int action);       /* shortest clip allowed (one repetition at speed 1) */
/* Number of repetitions (jumps, squats, push-ups, punches, ...) the generator performs for these
 * parameters; 0 for actions that are not counted. Captions use it ("jumps three times"). */
int motion_action_reps(int action, const motion_params *p);

/* Generates one action: *joints_out is (T,22,3) float32, mosa_malloc'd (free with mosa_free). */
mosa_status motion_generate(float **joints_out, int *T_out, int action, const motion_params *p);

/* Generates n actions one after the other: each starts where the previous one ended (position
 * and facing; ps[k].heading turns relative to it), and 0.5 s of transition between two parts
 * blends the poses (rotations by slerp, pelvis by smoothstep), stepping the feet to their new
 * places one at a time. One person: the style (posture, stance) comes from ps[0].seed, each
 * part's own variations from ps[k].seed. A standing action after a seated one gets a stand_up (2.5 s) inserted, a
 * seated start a sit_down, and a heading change over 0.6 rad a turn_around. Every part ends at
 * rest (locomotion slows to a stop). T = the parts' frame counts (inserted parts included) +
 * 10 per transition. */
mosa_status motion_sequence(float **joints_out, int *T_out, const int *actions, const motion_params *ps, int n);

/* P people, each doing actions[p] with ps[p] (seconds taken from ps[0]), placed so that their
 * pelvises stay more than min_dist apart (>= 0.8 m) in every frame; positions are drawn from
 * the seed. *joints_out is (P,T,22,3). origins_out (P,3) may be NULL. */
mosa_status motion_scene(float **joints_out, int *T_out, float *origins_out, int P, const int *actions,
                         const motion_params *ps, float min_dist, uint64_t seed);

/* Physical-plausibility measurements of a (T,22,3) motion of a body `height` metres tall. */
typedef struct motion_metrics {
    float bone_err;     /* max |bone length - expected| over bones and frames, metres */
    float skate;        /* mean horizontal speed (m/s) of foot joints (7, 8, 10, 11) over frame
                           pairs where the joint is below MOTION_CONTACT_HEIGHT in both frames
                           (no speed condition: a foot moving that low counts as sliding) */
    int contact_pairs;  /* how many such (joint, frame pair) samples */
    float hand_skate;   /* the same for the wrists (20, 21) */
    int hand_pairs;
    float min_height;   /* lowest joint height, metres */
    float max_height;   /* highest joint height, metres */
    float max_root_height;
    float flight_err;   /* max |a_y + 9.81| (m/s^2) of the pelvis over airborne frames */
    int flight_frames;  /* airborne frames checked: at t-1, t and t+1 every joint is above
                           MOTION_CONTACT_HEIGHT (nothing touches the ground) */
    float travel;       /* horizontal pelvis distance, first to last frame */
    float path_length;  /* horizontal pelvis path length */
    float max_step;     /* largest per-frame displacement of any joint, metres */
    float min_root_dist;/* scenes only: closest approach of two pelvises (else 0) */
} motion_metrics;

#define MOTION_CONTACT_HEIGHT 0.05f
/* Heights are measured above a flat floor at y = 0. */
void motion_metrics_compute(motion_metrics *m, const float *joints /*(T,22,3)*/, int T, float height);
/* The same above the ground the action stands on (motion_floor_height: stairs for climb_steps). */
void motion_metrics_compute_on(motion_metrics *m, const float *joints, int T, int action, const motion_params *p);

/* Height of the ground under (x, z) in the world frame of motion_generate(action, p): 0 for every
 * action except climb_steps, whose staircase (rise 0.16 m x height/1.7 x (0.8 + 0.2 amplitude),
 * tread 0.30 m x height/1.7, first riser 0.27 m x height/1.7 ahead of the start, 1.2 m wide,
 * as many steps as wanted) a renderer can draw from this. */
float motion_floor_height(int action, const motion_params *p, float x, float z);
/* Closest horizontal approach of any two pelvises in a (P,T,22,3) scene. */
float motion_scene_min_distance(const float *joints, int P, int T);

#endif /* MOSA_LIBRARY_H */
