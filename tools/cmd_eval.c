/* cmd_eval.c: `mosa eval pose-confidence VIDEO [...]`: MoSA's Pose Confidence metric (App. I,
 * with BlazePose in place of DWPose): the pose model runs over each video with ROI tracking and
 * the mean OpenPose-18 keypoint confidence per frame is averaged over the frames, a frame with no
 * person counting 0 (definition: docs/annotate.md). Thin over src/data/annotate.h. */
#include "cli.h"
#include "progress.h"

#include "data/annotate.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *k_cmd = "eval pose-confidence";

static void usage(FILE *f) {
    fprintf(f,
            "usage: mosa eval pose-confidence VIDEO|DIR [...] [--pose-model lite|full|heavy|FILE.tflite] [--json]\n"
            "  MoSA's Pose Confidence (App. I): per video, the mean over frames of the mean confidence of\n"
            "  the 18 OpenPose keypoints (BlazePose visibility; a frame with no person counts 0); then the\n"
            "  mean over videos. Higher = poses the estimator is surer of (no missing limbs).\n"
            "options:\n"
            "  --pose-model M   landmark model (default full)\n"
            "  --max-frames N   at most N frames per video (default: all)\n"
            "  --json           print a JSON object instead of the table\n");
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

static int pose_confidence_main(int argc, char **argv) {
    const char *model = "full";
    int json = 0, max_frames = 0, nargs = 0;
    char **args = mosa_calloc((size_t)argc, sizeof *args);
    if (!args) return cli_error(k_cmd, "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            mosa_free(args);
            return 0;
        }
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (a[0] != '-' || !a[1]) { args[nargs++] = argv[i]; continue; }
        if (i + 1 >= argc || (strcmp(a, "--pose-model") && strcmp(a, "--max-frames"))) {
            mosa_free(args);
            return cli_error(k_cmd, "unknown option or missing value: '%s' (see --help)", a);
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--pose-model")) model = v;
        else {
            char *end;
            long n = strtol(v, &end, 10);
            if (end == v || *end || n < 1 || n > ANNOTATE_MAX_FRAMES) {
                mosa_free(args);
                return cli_error(k_cmd, "--max-frames wants an integer in 1..%d, got '%s'", ANNOTATE_MAX_FRAMES, v);
            }
            max_frames = (int)n;
        }
    }
    if (!nargs) {
        usage(stderr);
        mosa_free(args);
        return cli_error(k_cmd, "no video given");
    }
    char **videos = NULL;
    int nv = 0;
    mosa_status st = annotate_inputs_list(&videos, &nv, args, nargs, 0);
    mosa_free(args);
    if (st != MOSA_OK) return cli_error(k_cmd, "%s", mosa_last_error());
    char path[4096];
    pose_model *m = NULL;
    if (pose_model_path(path, sizeof path, model) != MOSA_OK || pose_model_open(&m, path) != MOSA_OK) {
        annotate_inputs_free(videos, nv);
        return cli_error(k_cmd, "%s", mosa_last_error());
    }
    cJSON *root = cJSON_CreateObject(), *arr = NULL;
    cJSON_AddStringToObject(root, "metric", "pose_confidence");
    const char *slash = strrchr(path, '/');
    cJSON_AddStringToObject(root, "pose_model", slash ? slash + 1 : path);
    arr = cJSON_AddArrayToObject(root, "videos");
    if (!json) printf("%-40s %10s %8s %8s\n", "video", "pose_conf", "frames", "person");
    double sum = 0;
    int ok = 0, failed = 0;
    for (int i = 0; i < nv; i++) {
        cli_prog p;
        memset(&p, 0, sizeof p);
        char id[64];
        annotate_clip_id(id, videos[i]);
        snprintf(p.label, sizeof p.label, "pose-confidence %s", id);
        float score;
        int frames, found;
        st = annotate_pose_confidence(&score, &frames, &found, m, videos[i], max_frames, on_frame, &p);
        if (p.begun) progress_end(&p.bar);
        if (st != MOSA_OK) {
            cli_error(k_cmd, "%s", mosa_last_error());
            failed++;
            continue;
        }
        sum += score, ok++;
        if (json) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "video", videos[i]);
            cJSON_AddNumberToObject(e, "pose_confidence", round((double)score * 1e4) / 1e4);
            cJSON_AddNumberToObject(e, "frames", frames);
            cJSON_AddNumberToObject(e, "frames_with_person", found);
            cJSON_AddItemToArray(arr, e);
        } else {
            printf("%-40s %10.4f %8d %8d\n", videos[i], (double)score, frames, found);
            fflush(stdout);
        }
    }
    if (ok) {
        if (json) cJSON_AddNumberToObject(root, "mean", round(sum / ok * 1e4) / 1e4);
        else printf("%-40s %10.4f %8s %8s\n", "mean", sum / ok, "", "");
    } else if (json) cJSON_AddNullToObject(root, "mean");
    if (json) {
        cJSON_AddNumberToObject(root, "failed", failed);
        char *s = cJSON_Print(root);
        if (s) printf("%s\n", s);
        free(s);
    }
    cJSON_Delete(root);
    pose_model_free(m);
    annotate_inputs_free(videos, nv);
    if (failed) return cli_error(k_cmd, "%d of %d video(s) could not be evaluated (messages above)", failed, nv);
    return 0;
}

int cmd_eval(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: mosa eval <metric> ...\nmetrics:\n"
                   "  pose-confidence   MoSA App. I Pose Confidence of videos (mosa eval pose-confidence --help)\n");
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "pose-confidence")) return pose_confidence_main(argc - 1, argv + 1);
    return cli_error("eval", "unknown subcommand '%s' (pose-confidence)", argv[1]);
}
