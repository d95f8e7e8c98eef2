/* synth.h: MoVid-syn, the synthetic text-to-human-video dataset: procedural motions (motion/)
 * of one to three people, rendered with random bodies, scenes, lights and cameras (render/),
 * written clip by clip in the mosa-dataset/1 format of docs/dataset.md.
 *
 * What this is: a clip plan (every random decision of one clip, drawn from ONE mosa_rng seeded
 * with a mix of the dataset seed and the clip index, so a clip never depends on another clip or
 * on the thread count), a clip writer (renders the plan frame by frame into video.mp4,
 * skeleton.mp4, masks.npy, depth.npy, keypoints2d.npy, joints3d.npy, camera_K.npy,
 * camera_Rt.npy, tracks.npy, tracks_visible.npy, contacts.npy, scene.json, and meta.json LAST),
 * and a resumable, parallel driver over the clips of a dataset.
 *
 * Conventions of the written files (beyond docs/dataset.md):
 *   - motion: the library's 20 fps joints resampled to the output fps by linear interpolation
 *     of joint positions: frame f shows the motion at time rate * f / fps (past the motion's
 *     end the last pose holds). rate is 1 unless the action (or the sequence of two) needs more
 *     than the clip's duration (motion_action_min_seconds): then it plays faster, up to
 *     SYNTH_MAX_RATE, so the clip shows the whole motion its caption describes; meta.json
 *     records it as motion_rate. Actions that need more than SYNTH_MAX_RATE x the clip are
 *     not drawn (a 2 s clip gets no push-ups); a clip shorter than every action (a few frames)
 *     gets a wave at SYNTH_MAX_RATE and shows only its start.
 *   - camera_K (T,3,3): [[f,0,cx],[0,f,cy],[0,0,1]] with camera.h's focal and principal point;
 *     camera_Rt (T,3,4): world-to-camera [R|t] in the OpenCV frame (x right, y DOWN, z forward):
 *     R's rows are camera.right, -camera.up, camera.fwd and t = -R eye, so K (R p + t) divided
 *     by its third component is camera_project's pixel (pixel centres at integers).
 *   - keypoints2d (P,T,18,3): project_keypoints_multi of map_smpl22_to_op18, every person of the
 *     frame occluding; x, y = (0, 0) for a keypoint behind the camera (confidence 0).
 *   - tracks (N,T,2): N = P * SYNTH_BODY_POINTS body points (person-major, body_points_sample
 *     with the clip seed, the same points for every person) then SYNTH_BG_POINTS background
 *     points (scene_points_sample); pixel positions from camera_project, NaN when the point is
 *     behind the camera; tracks_visible from scene_point_visible (tolerance 0.05 m, id p+1 for
 *     body points, 0 for background points).
 *   - contacts (P,T,22): 1 where scene_sdf of the joint < SYNTH_CONTACT_DIST.
 *   - depth (T,H,W): scene_render's depth (metres along the optical axis, +inf for sky).
 *   - captions: "A man in a red t-shirt and blue shorts <motion> on the grass, all under the
 *     bright natural light." where <motion> is motion_caption_motion's sentence without its
 *     subject and period; several people: "Two people, a man in ... and a woman in ..., are on
 *     the grass: the man <motion> and the woman <motion>, <light>." The renderer's bodies have no
 *     gender: a person with a skirt or long hair is called a woman, any other a man. Colour
 *     words are the nearest names of a fixed palette. motion_caption: the motion-only sentence
 *     of person 0 (motion_caption_motion / motion_sequence_caption_motion); with several people
 *     the persons' sentences joined by spaces.
 *
 * What this is not: a real-video annotator (that writes the same format from videos), or the
 * loader (dataset.h). */
#ifndef MOSA_SYNTH_H
#define MOSA_SYNTH_H

#include "base/base.h"
#include "render/camera.h"
#include "render/scene.h"

enum {
    SYNTH_MAX_PERSONS = 3,
    SYNTH_MAX_PARTS = 2,     /* actions per person (a sequence of two for some single-person clips) */
    SYNTH_BODY_POINTS = 48,  /* tracked body points per person */
    SYNTH_BG_POINTS = 64,    /* tracked background points */
    SYNTH_MAX_FRAMES = 2000,
};
#define SYNTH_CONTACT_DIST 0.04f
#define SYNTH_MAX_RATE 1.6f

/* Generator parameters (what dataset.json records). */
typedef struct synth_opts {
    int n;              /* clips, 1..DATASET_MAX_CLIPS (ids 000000, 000001, ...) */
    uint64_t seed;
    int width, height;  /* multiples of 8 in 32..1024 */
    int frames;         /* 1..SYNTH_MAX_FRAMES, and frames / fps <= 50 s */
    float fps;          /* 1..120 */
    int threads;        /* clips rendered at once: 0 = threads_get(); 1 = one clip at a time with
                           the renderer's own row parallelism (output identical either way) */
    int png_frames;     /* also write the raw frames, lossless: clips/<id>/frames/0000.png ... */
} synth_opts;

/* n 1000, seed 1, 128x128, 33 frames at 16 fps, threads 0. */
synth_opts synth_opts_default(void);
/* MOSA_ERR_ARG naming the bad field. */
mosa_status synth_opts_check(const synth_opts *o);

/* Every random decision of one clip, and its motion at the output frame rate. */
typedef struct synth_plan {
    int index;
    uint64_t clip_seed;
    int W, H, T;                   /* T = frames */
    float fps;
    float rate;                    /* motion playback rate (>= 1, see the top of this file) */
    int P;                         /* persons, 1..SYNTH_MAX_PERSONS */
    int n_parts[SYNTH_MAX_PERSONS];
    int actions[SYNTH_MAX_PERSONS][SYNTH_MAX_PARTS];
    body_style styles[SYNTH_MAX_PERSONS];
    float *joints;                 /* (P,T,22,3) mosa_malloc'd, at fps */
    scene_desc scene;
    float elev, azim, azim_rel, dist, fov; /* starting camera pose (azim absolute; azim_rel from
                                              person 0's initial facing) */
    const char *trajectory;        /* "fixed", "orbit", "pan-left", "pan-right", "zoom-in", "zoom-out" */
    float traj_amount;
    camera_traj traj;
    v3 center;                     /* middle of the people's area (y: the camera target height) */
    float radius;
    int interaction;               /* SCENE_OBJ_BENCH, _TRAMPOLINE, _TRUNK placed where the motion
                                      uses it (see synth_plan_make), or -1 */
    float lift;                    /* metres the motion was raised (a trampoline's bed), else 0 */
    int half_body;                 /* 1: framed from the hips up (meta.json "framing": "half") */
    char caption[2048];
    char motion_caption[2048];
} synth_plan;

/* Draws clip `index` of the dataset (o->seed). Deterministic: same (opts, index), same plan.
 * Free with synth_plan_free.
 * Scene interactions (single person, single action): sit_down / stand_up always get a bench
 * behind the person, its seat top 1 cm under the lowest hip joint of the seated pose (the
 * action's own seat height, within 2 cm) and centred under the seated hips; jump and hop (50%)
 * and jump_forward (30%, when every foot stays 0.15 m inside the bed) a trampoline under the
 * person, the whole motion raised by the bed's top (0.485 m) so the feet land on the bed;
 * walk (35%) and jump_forward (30%) a fallen trunk (radius 0.05..0.12 m) across the path where
 * every joint clears it by 2 cm or more, else no trunk. The caption names the object.
 * Half-body framing (about 10% of clips: 20% of the single-person clips whose action does not
 * travel): the camera targets the chest and comes as close as keeps the upper body (pelvis,
 * spine, arms, head) in frame; legs may leave the frame (their keypoints get confidence 0). */
mosa_status synth_plan_make(synth_plan *pl, const synth_opts *o, int index);

/* Forced choices for tests and previews: action >= 0 makes a single-person, single-action clip
 * of that action; interaction (SCENE_OBJ_BENCH, _TRAMPOLINE, _TRUNK) asks for that object when
 * the action can use it (-1: none, -2: drawn as usual); half_body 0 or 1 (-1: drawn). */
typedef struct synth_force {
    int action, interaction, half_body;
} synth_force;
mosa_status synth_plan_make_forced(synth_plan *pl, const synth_opts *o, int index, const synth_force *f);
void synth_plan_free(synth_plan *pl);

/* The camera of frame t of the plan, its intrinsics K (3,3) and OpenCV extrinsics Rt (3,4)
 * (see the top of this file; K and Rt may be NULL). */
void synth_plan_camera(const synth_plan *pl, int t, camera *cam, float *K, float *Rt);

/* Renders and writes clip `index` into dir (created if missing; leftover temporary files of
 * an interrupted writer are removed first), meta.json last. Single-threaded when called inside
 * a parallel region; uses the renderer's row parallelism otherwise. */
mosa_status synth_clip_write(const char *dir, const synth_opts *o, int index);

/* Progress: called after each clip (from one thread at a time) with the clips done so far
 * (skipped ones included) and how many of them were generated by this run. */
typedef void (*synth_progress_fn)(void *user, int done, int total, int generated);

/* Writes the whole dataset into root: dataset.json (the parameters; an existing one with other
 * parameters is refused, so a resumed run continues the same dataset) and clips/<id>/ for
 * every id; clips whose meta.json exists are skipped, incomplete ones regenerated. Clips run in
 * parallel (o->threads); the result is identical for any thread count and equals an
 * uninterrupted run. *generated (may be NULL) gets the number of clips written by this call.
 * On failure the error names the first clip that failed (the others are still attempted). */
mosa_status synth_dataset_write(const char *root, const synth_opts *o, synth_progress_fn progress, void *user,
                                int *generated);

#endif /* MOSA_SYNTH_H */
