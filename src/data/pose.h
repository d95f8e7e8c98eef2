/* pose.h: people in real frames, through the MediaPipe models run by src/tflite: BlazePose's 33
 * landmarks (pose_landmark_lite/full/heavy.tflite) with visibility and 3D world landmarks, and
 * a human mask (selfie_segmentation.tflite, or the pose model's own segmentation output).
 *
 * Pipeline per frame, as MediaPipe's pose_landmark_by_roi graph does it on CPU:
 *   1. a region of interest (ROI): a rotated square around the person. The first frame uses the
 *      whole frame (pose_roi_whole); later frames use the previous frame's auxiliary landmarks
 *      (pose_roi_from_result), so no person detector is needed.
 *   2. the ROI is cropped, rotated and letterboxed to 256x256 RGB in [0,1] (bilinear, zero border);
 *   3. the landmark model runs; landmarks are decoded (x, y in pixels of the 256 input, z / 256,
 *      sigmoid of visibility and presence logits), refined with the 64x64 heatmap (kernel 7),
 *      and projected back to frame pixels; the pose flag (already a sigmoid) says whether a person
 *      is there (>= POSE_FLAG_THRESHOLD).
 *
 * Coordinates: landmark x, y in pixels of the frame (0,0 = top-left corner of the top-left
 * pixel); z in the same pixel scale, relative to the hips' depth, smaller = nearer the camera
 * (MediaPipe's convention). World landmarks: metres, origin at the centre of the hips, axes as the
 * model outputs them (y down like the image, z towards the camera negative) turned by the ROI
 * rotation about z, as MediaPipe's WorldLandmarkProjectionCalculator.
 *
 * Without a person detector, the first frame's ROI is a weak start when the person is small or
 * off centre: BlazePose expects the hips at the ROI centre and the whole body inside it. Callers
 * that know roughly where the person is should pass that ROI (centre on the hips, side about 2.5x
 * the hips-to-head-top distance) and iterate once with pose_roi_from_result.
 * Not here: the mapping to OpenPose-18 / SMPL-22 (src/motion/mapping.h) and dataset writing
 * (tools/cmd_annotate.c uses src/data). */
#ifndef MOSA_DATA_POSE_H
#define MOSA_DATA_POSE_H

#include "../base/base.h"
#include "../base/image.h"

#define POSE_LANDMARKS 33          /* BlazePose order, CONVENTIONS.md 3.5 */
#define POSE_INPUT 256             /* side of the landmark and segmentation models' input */
#define POSE_FLAG_THRESHOLD 0.5f

typedef struct pose_landmark {
    float x, y, z;        /* frame pixels (see above) */
    float visibility;     /* sigmoid, 0..1: the point is visible (not occluded) */
    float presence;       /* sigmoid, 0..1: the point is inside the frame */
} pose_landmark;

/* A rotated square region of the frame: centre, side (pixels), rotation (radians, as MediaPipe's
 * NormalizedRect.rotation, 0 = upright). A point (u, v) of the ROI, offsets from its centre in
 * pixels with v down, lies at centre + (u cos r - v sin r, u sin r + v cos r) in the frame: with
 * the frame's y axis pointing down, a positive rotation turns the ROI clockwise on screen. */
typedef struct pose_roi {
    float cx, cy, size, rotation;
} pose_roi;

typedef struct pose_result {
    int found;                        /* flag >= POSE_FLAG_THRESHOLD */
    float flag;                       /* the model's pose-presence score, 0..1 */
    pose_landmark lm[POSE_LANDMARKS]; /* frame pixels */
    float world[POSE_LANDMARKS][3];   /* metres, hip-centred */
    float aux[2][2];                  /* the two auxiliary ROI landmarks (33, 34), frame pixels */
    pose_roi roi;                     /* the ROI this result was computed in */
} pose_result;

typedef struct pose_model pose_model; /* opaque: a loaded landmark model and its buffers */

/* Loads a landmark model (.tflite): checks it has the 256x256x3 input and the five outputs of
 * CONVENTIONS.md 1.8 (names the mismatch otherwise) and prepares its buffers. */
mosa_status pose_model_open(pose_model **out, const char *tflite_path);
void pose_model_free(pose_model *m);

/* "lite" | "full" | "heavy" -> the shipped model's path (model_path_resolve of
 * "mediapipe/pose_landmark_<name>.tflite"); anything ending in .tflite is returned as given.
 * Fails with a message listing the choices otherwise. */
mosa_status pose_model_path(char *buf, size_t cap, const char *name);

/* The ROI covering the whole frame (a square of side max(w, h) centred on the frame). */
pose_roi pose_roi_whole(int w, int h);
/* The next frame's ROI from a result's auxiliary landmarks (centre = aux[0], side = 2 * |aux[1] -
 * aux[0]| * 1.25 as MediaPipe's pose_landmarks_to_roi, rotation so aux[1] is straight above). */
pose_roi pose_roi_from_result(const pose_result *r);

/* Runs the landmark model on one frame inside `roi`. If seg is not NULL it receives the model's
 * segmentation as probabilities (frame-sized w*h floats, 0 outside the ROI). */
mosa_status pose_estimate(pose_model *m, const image *frame, const pose_roi *roi, pose_result *out, float *seg);

typedef struct seg_model seg_model; /* opaque: selfie segmentation */

/* Checks the model maps one [1,H,W,3] input to a [1,H,W,1] output (256x256 for
 * selfie_segmentation.tflite, 144x256 for the landscape variant). */
mosa_status seg_model_open(seg_model **out, const char *tflite_path);
void seg_model_free(seg_model *m);
/* Person probability per frame pixel (w*h floats in [0,1]); the whole frame is resized to the
 * model's input (256x256) without keeping the aspect ratio, as MediaPipe's selfie graph does, and
 * the model's mask (already a sigmoid) is resized back (bilinear). */
mosa_status seg_estimate(seg_model *m, const image *frame, float *mask);

#endif /* MOSA_DATA_POSE_H */
