/* cmd_curate.c: `mosa dataset curate DIR` and `mosa dataset stats DIR`: the curation filters and
 * the Table 8 statistics (MoSA App. C) over the clips of a mosa-dataset/1 directory, synthetic or
 * real. Thin over src/data/curate.h; the per-clip work is in clip_measure(). */
#include "cli.h"
#include "progress.h"

#include "data/curate.h"
#include "data/dataset.h"
#include "io/npy.h"
#include "io/video.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs the filters on one clip: its video, the first person's keypoints, the masks. */
static mosa_status clip_measure(const dataset *d, const dataset_clip *c, const curate_opts *o, curate_result *r) {
    char path[4096];
    image *frames = NULL;
    int n = 0;
    double fps;
    float *kp = NULL, *kp2 = NULL, *conf = NULL;
    npy_array m = {0};
    int64_t sh[NPY_MAX_DIMS];
    int nd;
    mosa_status s;
    snprintf(path, sizeof path, "%s/clips/%s/video.mp4", d->root, c->id);
    if ((s = video_read_all(path, 100000, &frames, &n, &fps)) != MOSA_OK) goto out;
    curate_input in = {n, frames[0].w, frames[0].h, frames, NULL, NULL, NULL};
    snprintf(path, sizeof path, "%s/clips/%s/keypoints2d.npy", d->root, c->id);
    if (npy_read_f32(path, &kp, sh, &nd) == MOSA_OK) {
        if (!(nd == 4 && sh[1] >= n && sh[2] == 18 && sh[3] == 3)) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: expected (P,T>=%d,18,3) keypoints", path, n);
            goto out;
        }
        kp2 = mosa_malloc(sizeof(float) * (size_t)n * 36);
        conf = mosa_malloc(sizeof(float) * (size_t)n * 18);
        if (!kp2 || !conf) { s = MOSA_ERR_NOMEM; goto out; }
        for (int t = 0; t < n; t++)
            for (int j = 0; j < 18; j++) {
                const float *q = kp + ((size_t)t * 18 + j) * 3; /* person 0 */
                kp2[(t * 18 + j) * 2] = q[0], kp2[(t * 18 + j) * 2 + 1] = q[1], conf[t * 18 + j] = q[2];
            }
        in.kp = kp2, in.conf = conf;
    }
    snprintf(path, sizeof path, "%s/clips/%s/masks.npy", d->root, c->id);
    if (npy_load(&m, path, (size_t)1 << 31) == MOSA_OK && m.dtype == NPY_U1 && m.nd == 3 && m.shape[0] >= n &&
        m.shape[1] == in.H && m.shape[2] == in.W)
        in.masks = m.data;
    s = curate_clip(r, &in, o);
out:
    if (frames) video_frames_free(frames, n);
    mosa_free(kp), mosa_free(kp2), mosa_free(conf);
    npy_array_free(&m);
    return s;
}

static int open_dataset(const char *cmd, const char *dir, dataset *d) {
    if (dataset_open(d, dir, NULL, 0, 1) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    if (d->n_problems) fprintf(stderr, "mosa %s: skipped %d clip(s):\n%s", cmd, d->n_problems, d->problems);
    return 0;
}

int dataset_curate_main(int argc, char **argv) {
    const char *cmd = "dataset curate", *dir = NULL;
    curate_opts o = curate_opts_default();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: mosa dataset curate DIR [--dynamic-min PX] [--offset-min PX] [--smooth-max R] [--upper-body-ok]\n"
                   "  runs the curation filters on every clip and writes DIR/curation.tsv (scores, decision, reason)\n"
                   "  and DIR/kept.txt (a split file of the kept clips)\n");
            return 0;
        }
        if (!strcmp(argv[i], "--upper-body-ok")) { o.require_full_body = false; continue; }
        if (argv[i][0] != '-') { dir = argv[i]; continue; }
        if (i + 1 >= argc) return cli_error(cmd, "%s needs a value", argv[i]);
        char *end;
        float v = strtof(argv[i + 1], &end);
        if (*end || !(v >= 0)) return cli_error(cmd, "%s wants a non-negative number, got '%s'", argv[i], argv[i + 1]);
        if (!strcmp(argv[i], "--dynamic-min")) o.dynamic_min = v;
        else if (!strcmp(argv[i], "--offset-min")) o.kp_offset_min = v;
        else if (!strcmp(argv[i], "--smooth-max")) o.smooth_max = v;
        else return cli_error(cmd, "unknown option '%s' (see --help)", argv[i]);
        i++;
    }
    if (!dir) return cli_error(cmd, "no dataset directory given (mosa dataset curate DIR)");
    dataset d;
    if (open_dataset(cmd, dir, &d)) return 1;
    size_t cap = 256 + (size_t)d.n * 320, len = 0, klen = 0;
    char *tsv = mosa_malloc(cap), *kept = mosa_malloc((size_t)d.n * 66 + 1);
    if (!tsv || !kept) { dataset_close(&d); return cli_error(cmd, "out of memory"); }
    len += (size_t)snprintf(tsv, cap, "id\tkeep\tsharpness\tcontrast\tdynamic\tflow_in_mask\tsmooth\tkp_offset\tlower_visible\treason\n");
    int n_keep = 0, n_err = 0;
    progress bar;
    progress_begin(&bar, "curate", d.n);
    for (int i = 0; i < d.n; i++) {
        curate_result r;
        const dataset_clip *c = &d.clips[i];
        if (clip_measure(&d, c, &o, &r) != MOSA_OK) {
            len += (size_t)snprintf(tsv + len, cap - len, "%s\t0\t\t\t\t\t\t\t\terror: %.150s\n", c->id, mosa_last_error());
            n_err++;
        } else {
            len += (size_t)snprintf(tsv + len, cap - len, "%s\t%d\t%.3g\t%.3g\t%.3f\t%.3f\t%.3f\t%.3f\t%.2f\t%s\n", c->id, r.keep,
                                    r.sharpness, r.contrast, r.dynamic_degree, r.flow_in_mask, r.smooth_ratio, r.kp_offset,
                                    r.lower_visible, r.keep ? "" : r.reason);
            if (r.keep) klen += (size_t)sprintf(kept + klen, "%s\n", c->id), n_keep++;
        }
        progress_update(&bar, i + 1);
    }
    progress_end(&bar);
    char path[4096];
    int rc = 0;
    snprintf(path, sizeof path, "%s/curation.tsv", dir);
    if (file_write_atomic(path, tsv, len) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
    snprintf(path, sizeof path, "%s/kept.txt", dir);
    if (!rc && file_write_atomic(path, kept, klen) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
    if (!rc)
        printf("kept %d of %d clips (%d unreadable); reasons in %s/curation.tsv, kept ids in %s/kept.txt\n", n_keep, d.n,
               n_err, dir, dir);
    mosa_free(tsv);
    mosa_free(kept);
    dataset_close(&d);
    return rc;
}

int dataset_stats_main(int argc, char **argv) {
    const char *cmd = "dataset stats";
    if (argc != 2 || argv[1][0] == '-') {
        printf("usage: mosa dataset stats DIR\n"
               "  prints MoSA's Table 8 columns: clips, resolution, action types (distinct verb phrases in\n"
               "  captions; the motion-only caption when a clip has one), action complexity (mean flow magnitude\n"
               "  inside human masks, px/frame), captions present\n");
        return argc == 2 ? 0 : 1;
    }
    dataset d;
    if (open_dataset(cmd, argv[1], &d)) return 1;
    curate_opts o = curate_opts_default();
    curate_stats st;
    curate_stats_init(&st);
    progress bar;
    progress_begin(&bar, "stats", d.n);
    for (int i = 0; i < d.n; i++) {
        const dataset_clip *c = &d.clips[i];
        curate_result r;
        float complexity = clip_measure(&d, c, &o, &r) == MOSA_OK ? r.flow_in_mask : NAN;
        /* verb phrases from the motion-only caption when there is one: the full caption's
         * appearance words ("a man in a red shirt ...") would count as different actions */
        curate_clip_info info = {c->width, c->height, c->motion_caption ? c->motion_caption : c->caption, complexity};
        curate_stats_add(&st, &info);
        progress_update(&bar, i + 1);
    }
    progress_end(&bar);
    curate_summary s;
    curate_stats_finish(&s, &st);
    printf("%-10s %-12s %-13s %-18s %s\n", "clips", "resolution", "action types", "action complexity", "captions");
    char res[32] = "-";
    if (s.n_res) snprintf(res, sizeof res, "%dx%d%s", s.res_w[0], s.res_h[0], s.n_res > 1 ? "+" : "");
    printf("%-10ld %-12s %-13ld %-18.3f %ld (%.0f%%)\n", s.clips, res, s.action_types, s.action_complexity, s.captions,
           100.0 * s.caption_frac);
    curate_stats_free(&st);
    dataset_close(&d);
    return 0;
}
