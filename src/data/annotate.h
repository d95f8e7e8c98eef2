/* annotate.h: real videos -> mosa-dataset/1 clips (docs/dataset.md, docs/annotate.md), and the
 * Pose Confidence metric of MoSA App. I.
 *
 * What this is: the pipeline behind `mosa annotate` and `mosa eval pose-confidence`. Per frame,
 * BlazePose (pose.h) inside a region of interest tracked from the previous frame's landmarks
 * (the whole frame for the first frame and whenever the person is lost), mapped to OpenPose-18
 * keypoints (2D, confidence = BlazePose visibility) and SMPL-22 joints (3D, from the world
 * landmarks; approximate, see annotate_frame_joints); a human mask from selfie segmentation or
 * the pose model's own segmentation; then, over the clip, point tracks (track.h), optional dense
 * flow (flow.h), the curation filters (curate.h), a template caption when none is given, and the
 * clip directory written as MoVid-syn's are (video.mp4, skeleton.mp4, masks.npy, keypoints2d.npy,
 * joints3d.npy, tracks.npy, tracks_visible.npy, flow.npy with --flow, meta.json last), first
 * into clips/<id>.tmp.<pid>/ and renamed to clips/<id>/ only when complete.
 *
 * The pure parts (caption files, clip ids, frame geometry and resampling, keypoint/joint mapping,
 * point selection, template captions, clip writing) need no model and are tested on their own.
 *
 * What this is not: a person detector (MediaPipe's detector model is not used: the ROI comes
 * from the previous frame, as pose_landmark_by_roi does, and the whole frame otherwise), a
 * multi-person annotator (BlazePose sees one person: clips have persons = 1), or a body-model fit
 * (SMPL-22 joints are a fixed mapping of landmarks, not SMPL parameters). */
#ifndef MOSA_DATA_ANNOTATE_H
#define MOSA_DATA_ANNOTATE_H

#include "base/base.h"
#include "base/image.h"
#include "data/curate.h"
#include "data/pose.h"

enum {
    ANNOTATE_BODY_POINTS = 48,    /* tracked points sampled inside the first frame's mask */
    ANNOTATE_BG_POINTS = 64,      /* tracked points sampled outside it */
    ANNOTATE_MAX_FRAMES = 100000, /* the loader's limit on meta.json frames */
};
/* Largest T * W * H a clip may have (frames, gray copies and masks are held in memory: about
 * 8 bytes per pixel-frame, 2 GiB at this limit). Larger inputs are refused with a message that
 * suggests --size or --max-frames. */
#define ANNOTATE_MAX_PIXEL_FRAMES ((int64_t)1 << 28)
#define ANNOTATE_MASK_THRESHOLD 0.5f
#define ANNOTATE_TEMPLATE_CAPTION "a person moves."
#define ANNOTATE_GENERATOR "mosa annotate"

/* ------------------------------------------------------------------------------------------ */
/* Captions file: one line per video, "filename<TAB>caption"                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct annotate_caption {
    char *file;    /* the video's file name as written (matched against the input's base name) */
    char *caption; /* UTF-8, 1..DATASET_MAX_CAPTION-1 bytes */
    int line;
} annotate_caption;

typedef struct annotate_captions {
    annotate_caption *items;
    int n;
} annotate_captions;

/* Parses a captions file held in memory (`name` labels messages). Format: UTF-8 text, one line
 * per video "filename<TAB>caption" (CRLF accepted); empty lines and lines starting with '#' are
 * skipped; the file name is a base name (no '/'); spaces around the caption are trimmed. Fails
 * (MOSA_ERR_FORMAT, naming the line) on a line without a tab, an empty name or caption, a caption
 * of DATASET_MAX_CAPTION bytes or more, invalid UTF-8, or a name given twice. */
mosa_status annotate_captions_parse(annotate_captions *c, const char *text, size_t len, const char *name);
mosa_status annotate_captions_load(annotate_captions *c, const char *path); /* at most 64 MiB */
void annotate_captions_free(annotate_captions *c);
/* The caption for a video path (matched by its base name), or NULL. */
const char *annotate_captions_find(const annotate_captions *c, const char *video_path);
/* Fails (MOSA_ERR_ARG) naming every caption file name (up to 5, then a count) that matches none
 * of the n input videos' base names. */
mosa_status annotate_captions_check(const annotate_captions *c, char *const *videos, int n);

/* ------------------------------------------------------------------------------------------ */
/* Inputs and clip ids                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* 1 when name ends in a video extension (.mp4 .mov .mkv .webm .avi .m4v .mpg .mpeg .gif,
 * case-insensitive). */
int annotate_is_video_name(const char *name);
/* Expands the arguments: a file is taken as given (whatever its extension), a directory gives
 * every regular file with a video extension in it (not recursive), sorted by name. Fails
 * (MOSA_ERR_IO) on a missing path, (MOSA_ERR_ARG) on a directory with no video, or, with
 * unique_ids, when two inputs would get the same clip id. Free with annotate_inputs_free. */
mosa_status annotate_inputs_list(char ***paths, int *n, char *const *args, int nargs, int unique_ids);
void annotate_inputs_free(char **paths, int n);
/* The clip id of a video: its base name without the extension, every character outside
 * [A-Za-z0-9_-] replaced by '_', cut to 63 characters ("my clip.mp4" -> "my_clip"). */
void annotate_clip_id(char id[64], const char *video_path);

/* ------------------------------------------------------------------------------------------ */
/* Frame geometry                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* How a source frame becomes an output frame: the centred crop of the source with the output's
 * aspect ratio, scaled to W x H. Output pixel centre (u, v) samples the source at
 * (x0 + (u + 0.5) / scale - 0.5, y0 + (v + 0.5) / scale - 0.5); a source point (x, y) lands at
 * ((x - x0) * scale, (y - y0) * scale) (pixel centres at integers, as pose.h's landmarks are). */
typedef struct annotate_geom {
    int src_w, src_h, W, H;
    float x0, y0, scale;
} annotate_geom;

/* W = H = 0 keeps the source size, cut to even numbers by dropping the last column/row (H.264's
 * yuv420p needs even sizes); otherwise W and H must be even, 16..4096. Fails (MOSA_ERR_ARG) on
 * sizes the dataset cannot hold (16..4096 per side). */
mosa_status annotate_geom_make(annotate_geom *g, int src_w, int src_h, int W, int H);
/* Resamples src (src_w x src_h) into dst (W x H, allocated by the caller): bilinear, averaged
 * over n x n sub-samples per output pixel when downscaling by n or more (n <= 4). */
void annotate_resample_rgb(image *dst, const image *src, const annotate_geom *g);
void annotate_resample_f32(float *dst, const float *src, const annotate_geom *g);

/* ------------------------------------------------------------------------------------------ */
/* Per-frame mapping                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* OpenPose-18 keypoints (18,3): x, y in output pixels (through g), confidence = the BlazePose
 * visibility of the source landmark (map_bp33_to_op18: the neck is the shoulders' middle with the
 * smaller of their visibilities), or 0 for a keypoint outside the output frame (as MoVid-syn's
 * keypoints that leave the frame; x, y are kept). A result with found == 0 gives (0, 0, 0) for
 * every keypoint. */
void annotate_frame_keypoints(float kp[18 * 3], const pose_result *r, const annotate_geom *g);

/* SMPL-22 joints (22,3) in metres from the world landmarks: MediaPipe's world frame (x right, y
 * down, z away from the camera, origin between the hips) turned to Y up by (x, y, z) ->
 * (x, -y, -z), so a person facing the camera faces +Z with their left at +X (mapping.h), then
 * map_bp33_to_smpl22. Approximate: per frame, hip-centred (no global translation), the camera's
 * tilt is not removed (Y is the camera's up, not gravity's), and SMPL's inner joints are fixed
 * interpolations of surface landmarks. found == 0 gives zeros. */
void annotate_frame_joints(float j[22 * 3], const pose_result *r);

/* The Pose Confidence of one frame: the mean of the 18 OpenPose-18 confidences of kp (18,3)
 * (0 for a frame with no person, whose confidences are 0). */
float annotate_frame_confidence(const float kp[18 * 3]);

/* Region-of-interest tracking over a video: the first frame, and any frame after one where the
 * person was lost, uses pose_roi_whole; otherwise the previous result's pose_roi_from_result.
 * When a tracked ROI loses the person, the same frame is tried again on the whole frame. */
typedef struct annotate_tracker {
    pose_roi roi;
    int have; /* roi holds the previous frame's person */
} annotate_tracker;

/* One frame: fills *out (and seg, w*h floats, when not NULL: the pose model's segmentation). */
mosa_status annotate_pose_step(pose_model *m, annotate_tracker *tr, const image *frame, pose_result *out, float *seg);
/* The ROI a frame uses given the tracker's state (pure; what annotate_pose_step starts from). */
pose_roi annotate_tracker_roi(const annotate_tracker *tr, int w, int h);
/* Updates the tracker after a frame's result (pure). */
void annotate_tracker_update(annotate_tracker *tr, const pose_result *r, int w, int h);

/* Temporal smoothing of the landmarks, as MediaPipe's pose_landmark_filtering graph does for
 * video (smooth_landmarks): a One Euro filter per coordinate (frame landmarks: min_cutoff 0.05,
 * beta 80, derivative cutoff 1, values scaled by 1 / the landmarks' bounding-box size (w + h) / 2;
 * world landmarks: min_cutoff 0.1, beta 40, derivative cutoff 1, unscaled) and a low-pass filter
 * of the visibility (alpha 0.1). A frame with no person resets the filters. The auxiliary ROI
 * landmarks are left as the model gave them. */
typedef struct annotate_smoother {
    int have;                              /* a previous frame was filtered */
    double last_t;                         /* its time, seconds */
    float x[POSE_LANDMARKS * 3], dx[POSE_LANDMARKS * 3], raw[POSE_LANDMARKS * 3];
    float w[POSE_LANDMARKS * 3], dw[POSE_LANDMARKS * 3], wraw[POSE_LANDMARKS * 3];
    float vis[POSE_LANDMARKS];
} annotate_smoother;

void annotate_smoother_reset(annotate_smoother *s);
/* Smooths r in place (landmarks x, y, z, visibility, world) given its time t in seconds (t must
 * grow from call to call; a repeated or earlier t returns r unchanged, as MediaPipe does). */
void annotate_smooth(annotate_smoother *s, pose_result *r, double t);

/* ------------------------------------------------------------------------------------------ */
/* Clip-level pure helpers                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Picks up to n_want points on a regular grid of the pixels where (mask != 0) == inside, spread
 * evenly over the candidates (deterministic); returns how many it wrote into pts (n_want,2). */
int annotate_pick_points(float *pts, int n_want, const uint8_t *mask, int W, int H, int inside);

/* The template caption from the keypoints (T,18,3): "a person moves." when the person's legs
 * (knees, ankles) are confidently seen (>= conf_min) in at least half of the frames with a
 * person; "a person moves, seen from the waist up." otherwise; "no person is clearly visible."
 * when fewer than a quarter of the frames have a person. Nothing else is claimed: an action
 * (walks, waves) cannot be told from the keypoints honestly without a recogniser. */
void annotate_template_caption(char *out, size_t cap, const float *kp, int T, float conf_min);

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Everything one clip directory holds. Optional arrays may be NULL. */
typedef struct annotate_clip {
    int T, W, H;
    double fps;
    const image *frames;         /* T RGB8 frames, W x H */
    const float *kp;             /* (T,18,3) */
    const float *joints;         /* (T,22,3) */
    const uint8_t *masks;        /* (T,H,W): 0 or 1 */
    const float *tracks;         /* (N,T,2) or NULL */
    const uint8_t *tracks_vis;   /* (N,T) */
    int n_body, n_bg;            /* N = n_body + n_bg */
    const float *flow;           /* (T-1,H,W,2) or NULL */
    const char *caption;         /* required */
    const char *caption_source;  /* "file" or "template" */
    const char *motion_caption;  /* or NULL */
    const char *source;          /* the video's base name */
    int src_w, src_h;
    double src_fps;
    const char *pose_model;      /* base name of the landmark model */
    const char *mask_source;     /* "selfie" or "pose" */
    int smoothed;                /* landmarks went through annotate_smooth */
    int frames_with_person;
    float pose_confidence;       /* mean of annotate_frame_confidence over the frames */
    const curate_result *curation; /* or NULL */
} annotate_clip;

/* Prepares root as an annotated dataset: creates it and clips/, writes dataset.json
 * ({"format": "mosa-dataset/1", "generator": "mosa annotate", "clips": N}) unless one written
 * by mosa annotate is there; a dataset.json of another generator (MoVid-syn) is refused.
 * Fails (MOSA_ERR_IO) when root cannot be created or written. */
mosa_status annotate_dataset_begin(const char *root);
/* Rewrites dataset.json's "clips" with the number of clips/<id>/meta.json present. */
mosa_status annotate_dataset_finish(const char *root);
/* 1 when root/clips/<id>/meta.json exists (a finished clip). */
int annotate_clip_done(const char *root, const char *id);

/* Writes clip `id` into root/clips/<id>.tmp.<pid>/ (every file, meta.json last), then renames it
 * to root/clips/<id>/. An existing root/clips/<id>/ is replaced only with overwrite (it is moved
 * aside, the new one renamed in, the old one removed); without it the call fails
 * (MOSA_ERR_ARG). Leftover root/clips/<id>.tmp.* directories are removed first. On failure the
 * temporary directory is removed and root/clips/<id>/ is as it was. */
mosa_status annotate_clip_write(const char *root, const char *id, const annotate_clip *c, int overwrite);

/* ------------------------------------------------------------------------------------------ */
/* The pipeline                                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct annotate_opts {
    const char *pose_model_path; /* landmark .tflite (pose_model_path's result) */
    const char *seg_model_path;  /* selfie_segmentation.tflite; unused with mask_from_pose */
    int mask_from_pose;          /* 1: the landmark model's segmentation; 0: selfie (default) */
    int width, height;           /* output size; 0, 0 = the source's (even) size */
    double fps;                  /* output frame rate; 0 = the source's */
    int max_frames;              /* 0 = every frame */
    int flow;                    /* also write flow.npy */
    int overwrite;               /* replace finished clips (else they are kept) */
    int smooth;                  /* 1: annotate_smooth the landmarks before writing (default 0) */
    curate_opts curate;
} annotate_opts;

annotate_opts annotate_opts_default(void);

typedef struct annotate_models {
    pose_model *pose;
    seg_model *seg;
    char pose_name[256];
} annotate_models;

mosa_status annotate_models_open(annotate_models *m, const annotate_opts *o);
void annotate_models_free(annotate_models *m);

/* Called after each output frame with the frames done and the expected total (-1 unknown). */
typedef void (*annotate_progress_fn)(void *user, long done, long total);

typedef struct annotate_report {
    int frames, frames_with_person;
    int W, H;
    float pose_confidence;
    curate_result curation;
    double seconds;              /* wall time of the per-frame models and the whole clip */
} annotate_report;

/* Annotates one video into root/clips/<id>/ (root prepared by annotate_dataset_begin). caption
 * NULL = the template caption. Errors name the video. */
mosa_status annotate_video(annotate_report *rep, annotate_models *m, const char *video, const char *root,
                           const char *id, const char *caption, const annotate_opts *o, annotate_progress_fn fn,
                           void *user);

/* Pose Confidence of a video (MoSA App. I with BlazePose in place of DWPose): the mean over its
 * frames of annotate_frame_confidence, a frame without a person counting 0. max_frames 0 = all. */
mosa_status annotate_pose_confidence(float *score, int *frames, int *frames_with_person, pose_model *m,
                                     const char *video, int max_frames, annotate_progress_fn fn, void *user);

#endif /* MOSA_DATA_ANNOTATE_H */
