/* cmd_annotate.c: `mosa annotate VIDEO|DIR ... -o DATASET`: real videos -> mosa-dataset/1 clips
 * (BlazePose keypoints and 3D joints, human masks, point tracks, curation scores, captions), so
 * `mosa train` reads them as it reads MoVid-syn. Thin over src/data/annotate.h; docs/annotate.md. */
#include "cli.h"
#include "progress.h"

#include "data/annotate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *k_cmd = "annotate";

static void usage(FILE *f) {
    fprintf(f,
            "usage: mosa annotate VIDEO|DIR [...] -o DATASET [options]\n"
            "  annotates each video (a DIR: every video file in it) into DATASET/clips/<id>/ in the\n"
            "  mosa-dataset/1 format (docs/dataset.md): video, OpenPose-18 keypoints and skeleton video,\n"
            "  SMPL-22 joints, human masks, point tracks, curation scores; <id> is the file name without\n"
            "  its extension. Finished clips are kept (rerun to resume); see docs/annotate.md\n"
            "options:\n"
            "  -o DIR              output dataset directory (required)\n"
            "  --captions FILE     one line per video: filename<TAB>caption (default: a template caption)\n"
            "  --pose-model M      lite | full | heavy | FILE.tflite (default full)\n"
            "  --mask selfie|pose  human masks from selfie segmentation (default) or the pose model\n"
            "  --size WxH          output size, even, 16..4096: centred crop to its aspect ratio, then\n"
            "                      scaled (default: the video's size, cut to even numbers)\n"
            "  --fps R             output frame rate 1..240: frames dropped or repeated (default: the video's)\n"
            "  --max-frames N      at most N output frames per video (default: all)\n"
            "  --flow              also write flow.npy, dense optical flow between frames\n"
            "  --overwrite         annotate again videos whose clip is finished\n"
            "  --smooth            smooth the landmarks over time (MediaPipe's One Euro filter settings)\n"
            "  -h, --help          this help\n");
}

static int parse_size(const char *s, int *w, int *h) {
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X')) return 0;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || a < 16 || b < 16 || a > 4096 || b > 4096 || (a & 1) || (b & 1)) return 0;
    *w = (int)a, *h = (int)b;
    return 1;
}

typedef struct cli_prog {
    progress bar;
    int begun;
    char label[96];
} cli_prog;

static void on_frame(void *user, long done, long total) {
    cli_prog *p = user;
    if (!p->begun) {
        progress_begin(&p->bar, p->label, total > 0 ? total : done);
        p->begun = 1;
    }
    if (done > p->bar.total) p->bar.total = done;
    progress_update(&p->bar, done);
}

int cmd_annotate(int argc, char **argv) {
    annotate_opts o = annotate_opts_default();
    const char *out = NULL, *captions = NULL, *model = "full", *mask = "selfie";
    char **args = mosa_calloc((size_t)argc, sizeof *args);
    int nargs = 0;
    if (!args) return cli_error(k_cmd, "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            mosa_free(args);
            return 0;
        }
        if (!strcmp(a, "--flow")) { o.flow = 1; continue; }
        if (!strcmp(a, "--overwrite")) { o.overwrite = 1; continue; }
        if (!strcmp(a, "--smooth")) { o.smooth = 1; continue; }
        if (a[0] != '-' || !a[1]) { args[nargs++] = argv[i]; continue; }
        if (i + 1 >= argc) {
            mosa_free(args);
            return cli_error(k_cmd, "unknown option or missing value: '%s' (see --help)", a);
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--captions")) captions = v;
        else if (!strcmp(a, "--pose-model")) model = v;
        else if (!strcmp(a, "--mask")) {
            mask = v;
            bad = strcmp(v, "selfie") && strcmp(v, "pose");
            if (bad) { mosa_free(args); return cli_error(k_cmd, "--mask wants selfie or pose, got '%s'", v); }
        } else if (!strcmp(a, "--size")) {
            if (!parse_size(v, &o.width, &o.height)) {
                mosa_free(args);
                return cli_error(k_cmd, "--size wants WxH with even W and H in 16..4096, got '%s'", v);
            }
        } else if (!strcmp(a, "--fps")) {
            char *end;
            o.fps = strtod(v, &end);
            if (end == v || *end || !(o.fps >= 1 && o.fps <= 240)) {
                mosa_free(args);
                return cli_error(k_cmd, "--fps wants a number in 1..240, got '%s'", v);
            }
        } else if (!strcmp(a, "--max-frames")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (end == v || *end || n < 1 || n > ANNOTATE_MAX_FRAMES) {
                mosa_free(args);
                return cli_error(k_cmd, "--max-frames wants an integer in 1..%d, got '%s'", ANNOTATE_MAX_FRAMES, v);
            }
            o.max_frames = (int)n;
        } else {
            mosa_free(args);
            return cli_error(k_cmd, "unknown option '%s' (see --help)", a);
        }
    }
    if (!nargs) {
        usage(stderr);
        mosa_free(args);
        return cli_error(k_cmd, "no input video or directory given");
    }
    if (!out) {
        mosa_free(args);
        return cli_error(k_cmd, "no output dataset directory given (-o DATASET)");
    }
    o.mask_from_pose = !strcmp(mask, "pose");

    /* everything that can be checked before writing anything */
    char **videos = NULL;
    int nv = 0;
    mosa_status st = annotate_inputs_list(&videos, &nv, args, nargs, 1);
    mosa_free(args);
    if (st != MOSA_OK) return cli_error(k_cmd, "%s", mosa_last_error());
    annotate_captions caps = {NULL, 0};
    int rc = 0;
    if (captions && (annotate_captions_load(&caps, captions) != MOSA_OK || annotate_captions_check(&caps, videos, nv) != MOSA_OK))
        rc = cli_error(k_cmd, "%s", mosa_last_error());
    char pose_path[4096], seg_path[4096] = "";
    if (!rc && pose_model_path(pose_path, sizeof pose_path, model) != MOSA_OK) rc = cli_error(k_cmd, "%s", mosa_last_error());
    if (!rc && !o.mask_from_pose &&
        model_path_resolve(seg_path, sizeof seg_path, "mediapipe/selfie_segmentation.tflite") != MOSA_OK)
        rc = cli_error(k_cmd, "%s", mosa_last_error());
    o.pose_model_path = pose_path, o.seg_model_path = seg_path;
    annotate_models models;
    memset(&models, 0, sizeof models);
    if (!rc && annotate_models_open(&models, &o) != MOSA_OK) rc = cli_error(k_cmd, "%s", mosa_last_error());
    const int created = access(out, F_OK) != 0; /* removed again if no clip gets written */
    if (!rc && annotate_dataset_begin(out) != MOSA_OK) rc = cli_error(k_cmd, "%s", mosa_last_error());
    if (rc) {
        annotate_models_free(&models);
        annotate_captions_free(&caps);
        annotate_inputs_free(videos, nv);
        return rc;
    }

    int done = 0, skipped = 0, failed = 0;
    long frames_total = 0;
    double secs_total = 0;
    for (int i = 0; i < nv; i++) {
        char id[64];
        annotate_clip_id(id, videos[i]);
        if (!o.overwrite && annotate_clip_done(out, id)) {
            printf("%s: already annotated in %s/clips/%s (--overwrite to redo)\n", videos[i], out, id);
            skipped++;
            continue;
        }
        cli_prog p;
        memset(&p, 0, sizeof p);
        snprintf(p.label, sizeof p.label, "annotate %s", id);
        annotate_report rep;
        st = annotate_video(&rep, &models, videos[i], out, id, captions ? annotate_captions_find(&caps, videos[i]) : NULL,
                            &o, on_frame, &p);
        if (p.begun) progress_end(&p.bar);
        if (st != MOSA_OK) {
            cli_error(k_cmd, "%s", mosa_last_error());
            failed++;
            continue;
        }
        done++;
        frames_total += rep.frames, secs_total += rep.seconds;
        printf("%s -> clips/%s: %d frames %dx%d, person in %d, pose confidence %.3f, curation: %s%s, %.1f frames/s\n",
               videos[i], id, rep.frames, rep.W, rep.H, rep.frames_with_person, (double)rep.pose_confidence,
               rep.curation.keep ? "kept" : "dropped: ", rep.curation.keep ? "" : rep.curation.reason,
               rep.seconds > 0 ? rep.frames / rep.seconds : 0.0);
        fflush(stdout);
    }
    if (created && done == 0) { /* nothing written: leave no empty dataset behind */
        char p[4200];
        snprintf(p, sizeof p, "%s/dataset.json", out);
        unlink(p);
        snprintf(p, sizeof p, "%s/clips", out);
        rmdir(p);
        rmdir(out);
    } else if (annotate_dataset_finish(out) != MOSA_OK)
        rc = cli_error(k_cmd, "%s", mosa_last_error());
    printf("annotated %d of %d video(s) into %s (%d already there, %d failed); %ld frames at %.1f frames/s\n", done, nv,
           out, skipped, failed, frames_total, secs_total > 0 ? frames_total / secs_total : 0.0);
    annotate_models_free(&models);
    annotate_captions_free(&caps);
    annotate_inputs_free(videos, nv);
    if (failed && !rc) rc = cli_error(k_cmd, "%d of %d video(s) failed (messages above); their clips were not written",
                                      failed, nv);
    return rc;
}
