/* openpose_json.h: OpenPose-18 keypoints as JSON, in the form ComfyUI's comfyui_controlnet_aux
 * uses for POSE_KEYPOINT (CONVENTIONS 3.3): a writer (one file per frame, or one list for a whole
 * video) and a validating reader.
 *
 * A frame is
 *   {"people": [{"pose_keypoints_2d": [x0, y0, c0, ... 54 numbers], "face_keypoints_2d": null,
 *                "hand_left_keypoints_2d": null, "hand_right_keypoints_2d": null}, ...],
 *    "canvas_height": H, "canvas_width": W}
 * with x and y normalised to [0,1] (x/W, y/H), a present point written [x, y, 1.0] (or its
 * confidence when asked) and a missing one [0.0, 0.0, 0.0]; a video is a JSON list of frames.
 * Text is laid out as Python's json.dumps writes it (", " and ": " separators); numbers are the
 * shortest decimal that reads back as the same float32, so round trips are exact.
 *
 * The reader takes a frame or a list of frames. It also reads CMU OpenPose's own output: extra
 * keys (version, person_id, *_3d) are skipped; BODY_25 pose arrays (75 numbers) are mapped to
 * the 18 COCO points; a file without canvas_width/canvas_height holds pixel coordinates and needs
 * the image size from the caller. It is a purpose-built parser (no JSON library): UTF-8 checked,
 * nesting at most 64 deep, at most 1000 people a frame and 1,000,000 frames, every number finite.
 * What this is not: a general JSON library, or a reader of face and hand points (they are
 * validated and skipped). */
#ifndef MOSA_IO_OPENPOSE_JSON_H
#define MOSA_IO_OPENPOSE_JSON_H

#include "../base/base.h"

enum {
    OPJ_MAX_PEOPLE = 1000,
    OPJ_MAX_FRAMES = 1000000,
    OPJ_MAX_DEPTH = 64,
    OPJ_MAX_CANVAS = 65536,
};
#define OPJ_MAX_FILE_BYTES ((size_t)1 << 30)

/* One frame: canvas size and n_people x 18 points (x/W, y/H, confidence); a missing point is
 * (0, 0, 0). */
typedef struct opj_frame {
    int width, height;
    int n_people;
    float *kp;          /* (n_people, 18, 3) */
} opj_frame;

typedef struct opj_write_opts {
    int write_confidence;   /* write c instead of 1.0 for present points */
    float min_confidence;   /* a point is present if c > min_confidence (default 0) */
} opj_write_opts;

typedef struct opj_read_opts {
    int width, height;      /* image size for frames without a canvas size (pixel coordinates) */
} opj_read_opts;

/* Fills f from pixel coordinates kp_px (n_people,18,3: x, y, confidence): allocates f->kp with
 * x/width, y/height; points with confidence <= 0 become (0,0,0). Free f->kp with mosa_free. */
mosa_status opj_frame_from_pixels(opj_frame *f, const float *kp_px, int n_people, int width, int height);

/* The JSON text of one frame / of a list of frames (no trailing newline): *text is a new
 * NUL-terminated string (mosa_free it). opts may be NULL. */
mosa_status opj_frame_format(const opj_frame *f, const opj_write_opts *opts, char **text, size_t *len);
mosa_status opj_video_format(const opj_frame *frames, int n, const opj_write_opts *opts, char **text, size_t *len);
/* Atomic file writers (text plus a newline). opj_dir_write creates DIR if needed and writes
 * DIR/frame_000000.json, DIR/frame_000001.json, ... */
mosa_status opj_frame_write(const char *path, const opj_frame *f, const opj_write_opts *opts);
mosa_status opj_video_write(const char *path, const opj_frame *frames, int n, const opj_write_opts *opts);
mosa_status opj_dir_write(const char *dir, const opj_frame *frames, int n, const opj_write_opts *opts);

/* Parses a frame or a list of frames held in buf[0..len) (`name` is used in messages): *frames
 * = new array of *n frames (free with opj_frames_free). opts may be NULL. */
mosa_status opj_parse(const char *name, const uint8_t *buf, size_t len, const opj_read_opts *opts, opj_frame **frames,
                      int *n);
mosa_status opj_read(const char *path, const opj_read_opts *opts, opj_frame **frames, int *n);
/* Reads DIR/frame_000000.json ... (numbered from 0 without gaps; other files are ignored), one
 * frame per file. */
mosa_status opj_dir_read(const char *dir, const opj_read_opts *opts, opj_frame **frames, int *n);
void opj_frames_free(opj_frame *frames, int n);

#endif /* MOSA_IO_OPENPOSE_JSON_H */
