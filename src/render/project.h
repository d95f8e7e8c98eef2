/* project.h: 3D keypoints -> 2D keypoints in pixels with a per-keypoint confidence that knows
 * about occlusion by the body and about the image border.
 *
 * What this is: the step between the structure generator's 3D joints and the skeleton drawing
 * (MoSA Sec. 3.1: "by operating in 3D space, it can exploit implicit depth information to
 * maintain structural plausibility in the presence of limb occlusions"). The body that may hide
 * keypoints is a set of capsules along the SMPL-22 bones plus a sphere for the head (radii in
 * project.c: torso 0.13-0.14 m, upper arm 0.05, forearm 0.04, thigh 0.08, shin 0.06, head 0.10);
 * the keypoints can be any 3D points (OpenPose-18 from the mapping, SMPL-22 joints, ...).
 * What this is not: a renderer of the body (no pixels), or a pose detector model.
 *
 * Confidence of one keypoint, a product of three factors, each in [0,1]:
 *   in front:   0 if the keypoint is at or behind the camera's near plane (0.05 m); its kp2 is
 *               then (0,0), the OpenPose "missing" value.
 *   occlusion:  the camera ray to the keypoint is tested against every occluder of every body.
 *               A capsule containing the keypoint is the keypoint's own body part and is skipped.
 *               For another capsule, pen = r - (closest distance between the ray segment
 *               eye->keypoint and the capsule's axis), so pen > 0 means the ray passes through the
 *               capsule in front of the keypoint. The head sphere hides a keypoint near it (within
 *               1.5 r of its centre: face points) when the keypoint is on its far side: pen =
 *               depth of the keypoint behind the centre along the ray, less r/4 (so points on
 *               the silhouette, like the ears seen from the front, stay visible); farther
 *               keypoints are tested against it as against a capsule. The factor is
 *               1 - (1 - occluded_conf) * smoothstep(min(1, pen / (full_occlusion * r))),
 *               the smallest over all occluders: 1 when nothing is in front, occluded_conf
 *               (0.4) when the ray passes through the middle half of a limb or the torso,
 *               backface_conf (0.1) for a face point on the far side of the head.
 *   border:     smoothstep(e / border_px), e = distance from the keypoint to the nearest image
 *               edge (negative outside): 0 on and outside the edge, 1 from border_px inside.
 * With the default drawing threshold 0.3 this mimics what DWPose gives the video model: a body
 * joint hidden behind the body is still drawn (a detector infers it: dropping it would cut a
 * limb off the skeleton) and is drawn darker by the confidence-aware (MimicMotion) drawing; a
 * face point on the back of the head (the far ear in profile, nose and eyes from behind) is
 * dropped; a keypoint leaving the image fades out over the border ramp. */
#ifndef MOSA_RENDER_PROJECT_H
#define MOSA_RENDER_PROJECT_H

#include "render/camera.h"

typedef struct project_opts {
    float occluded_conf;  /* confidence factor of a keypoint fully hidden by a body part (0.4) */
    float backface_conf;  /* ... of a point on the far side of the head sphere (0.1) */
    float full_occlusion; /* penetration, as a fraction of the occluder's radius, at which the
                           * occlusion is full (0.5) */
    float border_px;      /* width in pixels of the confidence ramp at the image edge; < 0 means
                           * 2% of min(W, H), at least 2 px (the default); 0 = hard edge */
    float near;           /* metres: keypoints nearer than this (or behind) get confidence 0 (0.05) */
} project_opts;

project_opts project_opts_default(void);

/* Projects K keypoints kp3 (K,3) through `cam` to kp2 (K,2) pixels and conf (K) in [0,1], with
 * occlusion by the body body22 (22,3) SMPL-22 joints (NULL: no occluders) and default options. */
void project_keypoints(const camera *cam, const float *kp3, int K, const float *body22, float *kp2, float *conf);

/* As project_keypoints, with occluders from n_bodies bodies (bodies[i] is a (22,3) SMPL-22
 * pose; several people occlude each other) and explicit options (NULL: defaults). */
void project_keypoints_multi(const camera *cam, const float *kp3, int K, const float *const *bodies, int n_bodies,
                             const project_opts *opts, float *kp2, float *conf);

/* Projects a whole clip of P people: kp3 (P,T,K,3) at frame rate fps through the trajectory
 * (frame t is seen by camera_at(tr, t / fps)), occluded by body22 (P,T,22,3) (all P bodies of the
 * frame occlude every person; NULL: no occluders), into kp2 (P,T,K,2) and conf (P,T,K).
 * Frames run in parallel (MOSA_PARALLEL_FOR). P is at most PROJECT_MAX_PERSONS. */
enum { PROJECT_MAX_PERSONS = 64 };
mosa_status project_sequence(const camera_traj *tr, float fps, const float *kp3, const float *body22, int P, int T,
                             int K, const project_opts *opts, float *kp2, float *conf);

/* The occluders of one SMPL-22 body: PROJECT_N_OCCLUDERS capsules (a, b joint indices and a
 * radius in metres; a == b is a sphere around joint a). Exposed for tests and for renderers. */
typedef struct project_occluder {
    int a, b;
    float r;
} project_occluder;
enum { PROJECT_N_OCCLUDERS = 24 };
extern const project_occluder project_occluders[PROJECT_N_OCCLUDERS];

#endif /* MOSA_RENDER_PROJECT_H */
