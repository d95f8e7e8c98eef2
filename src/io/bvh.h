/* bvh.h: Biovision Hierarchy (.bvh) motion files: a validating parser, forward kinematics,
 * import retargeted to SMPL-22 (HumanML3D conventions) and export of SMPL-22 joint positions as
 * MoMask writes them (CONVENTIONS 1.5, 3.4).
 *
 * What this is: a token-based reader with limits (at most 256 joints and 256 End Sites, 6
 * channels a joint, 1,000,000 frames, names of 63 bytes, tokens of 256 bytes, data lines of
 * 1 MiB; Frames equal to the number of data rows; every row exactly the channel count; numbers
 * plain decimals, NaN/inf and |v| > 1e9 rejected), `{` on the same line or the next, CRLF,
 * tabs, several ROOTs; forward kinematics with any Euler channel order; a retargeting importer
 * and an exporter. Every error names the line and what was expected.
 * What this is not: a writer of arbitrary skeletons, a foot-contact cleaner (MoMask's foot IK)
 * or a mesh skinner.
 *
 * Conventions. The rotation channels of a joint, in the order listed, are the order of
 * multiplication: local = T * R(ch1) * R(ch2) * R(ch3) on column vectors, angles in degrees
 * (e.g. "Zrotation Xrotation Yrotation" is Rz * Rx * Ry). T is the OFFSET with each position
 * channel REPLACING the matching OFFSET component, as Blender's importer and the BVH code of
 * HumanML3D/MoMask (Holden's BVH.py) do; BVH_POS_ADD_OFFSET adds them instead. For the usual
 * files (root OFFSET 0, as mosa writes) both readings agree. */
#ifndef MOSA_IO_BVH_H
#define MOSA_IO_BVH_H

#include "../base/base.h"

enum {
    BVH_MAX_JOINTS = 256,       /* ROOT and JOINT nodes */
    BVH_MAX_END_SITES = 256,
    BVH_MAX_NODES = BVH_MAX_JOINTS + BVH_MAX_END_SITES,
    BVH_MAX_FRAMES = 1000000,
    BVH_MAX_NAME = 64,          /* bytes of a joint name, NUL included */
    BVH_MAX_TOKEN = 256,        /* bytes of any hierarchy token */
    BVH_MAX_LINE = 1 << 20,     /* bytes of one data row */
};
#define BVH_MAX_FILE_BYTES ((size_t)2 << 30)

typedef enum bvh_channel { BVH_XPOS, BVH_YPOS, BVH_ZPOS, BVH_XROT, BVH_YROT, BVH_ZROT } bvh_channel;

/* A node of the hierarchy: a ROOT, a JOINT or an End Site, in declaration (depth-first) order,
 * so a parent always comes before its children. */
typedef struct bvh_node {
    char name[BVH_MAX_NAME];    /* End Sites are named "<parent>/End Site" */
    int parent;                 /* -1 for a ROOT */
    int end_site;
    double offset[3];
    int n_channels;             /* 0..6 (End Sites: 0) */
    uint8_t channels[6];        /* bvh_channel values, in file order */
    int first_channel;          /* column of the first channel in a frame row */
} bvh_node;

typedef struct bvh_file {
    int n_nodes;
    bvh_node *nodes;
    int n_joints;               /* ROOT + JOINT nodes */
    int n_channels;             /* numbers per frame row */
    int n_frames;
    double frame_time;          /* seconds per frame */
    float *motion;              /* (n_frames, n_channels), as written */
} bvh_file;

/* Parses a whole BVH text held in buf[0..len); `name` is used in messages. Free with bvh_free.
 * On failure f is zeroed and the error names the line. */
mosa_status bvh_parse(bvh_file *f, const char *name, const uint8_t *buf, size_t len);
mosa_status bvh_read(bvh_file *f, const char *path);
void bvh_free(bvh_file *f);

enum {
    BVH_POS_ADD_OFFSET = 8,     /* position channels add to the OFFSET instead of replacing it */
};
/* Global positions of every node at `frame` in file units and axes: pos is (n_nodes,3).
 * frame -1 gives the rest pose (OFFSETs only, every channel ignored). flags: BVH_POS_ADD_OFFSET. */
void bvh_fk(const bvh_file *f, int frame, unsigned flags, double *pos);

/* ------------------------------------------------------------------------------------------ */
/* Import to SMPL-22                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef enum bvh_up { BVH_UP_AUTO, BVH_UP_Y, BVH_UP_Z } bvh_up;
enum {
    BVH_FACE_Z = 1,             /* rotate about Y so the first frame faces +Z (HumanML3D) */
    BVH_ORIGIN_XZ = 2,          /* put the first frame's pelvis at X = Z = 0 */
    BVH_ON_FLOOR = 4,           /* shift Y so the lowest joint of the whole motion is at 0 */
    BVH_HUMANML3D = BVH_FACE_Z | BVH_ORIGIN_XZ | BVH_ON_FLOOR,
};

typedef struct bvh_import_opts {
    float scale;        /* metres per file unit; 0 = detect (metres, centimetres, millimetres, inches,
                           or CMU's 1/0.45 inch) from the skeleton's height */
    bvh_up up;          /* BVH_UP_AUTO: Y up unless the rest pose stands along +Z */
    float fps;          /* output frame rate; 0 = 20 (HumanML3D) */
    unsigned flags;     /* BVH_FACE_Z | BVH_ORIGIN_XZ | BVH_ON_FLOOR | BVH_POS_ADD_OFFSET */
} bvh_import_opts;

typedef struct bvh_import_info {
    float scale;        /* metres per file unit used */
    const char *unit;   /* "m", "cm", "mm", "in", "cmu" or "given" */
    bvh_up up;          /* the up axis used (Y or Z) */
    int src_frames;
    double src_fps;
    int map[22];        /* node index of each SMPL-22 joint, -1 where it was estimated */
    uint32_t estimated; /* bit j set: joint j had no matching node and was estimated */
} bvh_import_info;

/* Maps the skeleton to SMPL-22 by joint names (CMU, Mixamo, MoMask, SMPL and mosa's own names;
 * namespaces like "mixamorig:" ignored; case, '_', '-', '.', ' ' ignored), detects or applies
 * the unit and up axis, resamples to opts->fps from the file's Frame Time (linear interpolation
 * of positions) and writes *joints = new (T,22,3) float32 array (mosa_free it): Y up, metres.
 * Spine joints the file lacks are interpolated along pelvis-neck, collars placed between spine3
 * and the shoulder, toes placed forward of the ankle (approximations, flagged in info). Hips,
 * knees, ankles, neck, head, shoulders, elbows and wrists must exist. opts NULL = defaults with
 * BVH_HUMANML3D. info may be NULL. */
mosa_status bvh_import_smpl22(const bvh_file *f, const bvh_import_opts *opts, float **joints, int *T,
                              bvh_import_info *info);
mosa_status bvh_read_smpl22(const char *path, const bvh_import_opts *opts, float **joints, int *T,
                            bvh_import_info *info);

/* ------------------------------------------------------------------------------------------ */
/* Export of SMPL-22                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct bvh_export_opts {
    float units_per_metre;  /* 0 = 1 (metres, as MoMask); 100 for centimetres */
    float fps;              /* 0 = 20: "Frame Time: 0.050000" */
} bvh_export_opts;

/* Writes (T,22,3) joint positions (metres, Y up) as MoMask's BVH: ROOT Hips with CHANNELS 6
 * Xposition Yposition Zposition Zrotation Yrotation Xrotation, 21 JOINTs with CHANNELS 3
 * Zrotation Yrotation Xrotation in MoMask's order and names (LeftUpLeg ... RightHand), End Sites
 * at the five leaves, root OFFSET 0.
 * Rest skeleton: each bone of a single-child chain lies along HumanML3D's rest direction
 * (smpl22_raw_offsets) with its frame-0 length; the children of the two branching joints
 * (pelvis: hips and spine1; spine3: neck and collars) keep their frame-0 layout, expressed in
 * the branching joint's own frame (up = towards spine1/neck, across = right to left).
 * Rotations by per-bone inverse kinematics: a branching joint's rotation is that frame at each
 * frame; every other joint takes the minimal rotation (no twist) that turns its child's rest
 * direction onto the observed direction, in its parent's frame; leaves get none. Positions
 * are reproduced exactly (to rounding) for motions whose bones keep their frame-0 lengths and
 * whose branching joints move rigidly; otherwise bone directions are exact and lengths are
 * those of frame 0. Twist about a bone cannot be recovered from positions: it is always the
 * minimal rotation. *text: new NUL-terminated string (mosa_free it). */
mosa_status bvh_format_smpl22(char **text, size_t *len, const float *joints, int T, const bvh_export_opts *opts);
mosa_status bvh_write_smpl22(const char *path, const float *joints, int T, const bvh_export_opts *opts);

#endif /* MOSA_IO_BVH_H */
