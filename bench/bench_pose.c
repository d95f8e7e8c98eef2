/* bench_pose.c: `mosa bench pose`: the MediaPipe models through mosa's TFLite runner.
 *
 * For pose_landmark_lite/full/heavy and selfie_segmentation at 256x256 (and the 144x256
 * landscape variant): frames per second of the model alone (tflite_runner_run on a fixed input,
 * after one warm-up run; the mean and the best single run), the planned activation arena (peak activation memory) against one
 * buffer per tensor, and the constants the runner owns (dequantized FP16 weights, repacked conv
 * weights). Then the whole per-frame path on a 640x480 frame: pose_estimate (ROI crop, model,
 * decode, heatmap refinement, mask projected back) and seg_estimate. `--profile` adds the time
 * per op type and the slowest ops. Targets on 2 threads: pose_landmark_full >= 30 fps,
 * selfie_segmentation >= 100 fps. A benchmark, never a test. */
#include "data/pose.h"
#include "tflite/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bench__model(const char *file, int iters, int profile) {
    char rel[128], path[512];
    snprintf(rel, sizeof rel, "mediapipe/%s.tflite", file);
    if (model_path_resolve(path, sizeof path, rel) != MOSA_OK) {
        printf("  %-30s missing (scripts/fetch_models.sh)\n", file);
        return 0;
    }
    tflite_runner *r;
    if (tflite_runner_load(&r, path) != MOSA_OK) {
        fprintf(stderr, "mosa bench pose: %s\n", mosa_last_error());
        return 1;
    }
    size_t n;
    float *in = tflite_runner_input(r, 0, &n);
    for (size_t i = 0; i < n; i++) in[i] = (float)((i * 2654435761u) >> 24) / 255.0f;
    tflite_runner_stats st;
    tflite_runner_get_stats(r, &st);
    double *prof = profile ? calloc((size_t)st.n_ops, sizeof(double)) : NULL;
    if (tflite_runner_run(r) != MOSA_OK) {
        fprintf(stderr, "mosa bench pose: %s\n", mosa_last_error());
        tflite_runner_free(r);
        free(prof);
        return 1;
    }
    tflite_runner_profile(r, prof);
    double t0 = time_now(), best = 1e30;
    for (int i = 0; i < iters; i++) {
        double t1 = time_now();
        tflite_runner_run(r);
        t1 = time_now() - t1;
        if (t1 < best) best = t1;
    }
    double dt = (time_now() - t0) / iters;
    tflite_shape sh;
    tflite_runner_input_shape(r, 0, &sh);
    printf("  %-30s %3dx%-3d %7.2f ms %7.1f fps (best %6.2f ms %6.1f fps)  arena %5.2f MB (per-tensor %6.2f MB)  "
           "constants %6.2f MB\n", file, sh.dims[2], sh.dims[1], dt * 1e3, 1.0 / dt, best * 1e3, 1.0 / best,
           st.arena_bytes / 1e6, st.naive_bytes / 1e6, (st.const_bytes + st.scratch_bytes) / 1e6);
    if (prof) {
        const tflite_subgraph *g = &tflite_runner_model(r)->subgraphs[0];
        double by[256] = {0};
        for (int i = 0; i < st.n_ops; i++) by[g->ops[i].code & 255] += prof[i] / iters;
        for (int c = 0; c < 256; c++)
            if (by[c] > 0) printf("      %-22s %8.3f ms\n", c == TFLITE_OP_CUSTOM ? "CUSTOM" : tflite_op_name(c), by[c] * 1e3);
        for (int k = 0; k < 6; k++) {
            int b = 0;
            for (int i = 1; i < st.n_ops; i++)
                if (prof[i] > prof[b]) b = i;
            const tflite_op *op = &g->ops[b];
            const tflite_tensor *x = &g->tensors[op->inputs[0]];
            printf("      op %3d %-18s %7.3f ms  input [%d,%d,%d,%d]\n", b, tflite_op_name(op->code), prof[b] / iters * 1e3,
                   x->shape[0], x->shape[1], x->shape[2], x->shape[3]);
            prof[b] = 0;
        }
    }
    free(prof);
    tflite_runner_free(r);
    return 0;
}

static void bench__frame(image *im) {
    /* a smooth synthetic 640x480 frame (the content does not change the cost) */
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            uint8_t *p = image_px(im, x, y);
            p[0] = (uint8_t)(x * 255 / im->w), p[1] = (uint8_t)(y * 255 / im->h), p[2] = (uint8_t)((x + y) & 255);
        }
}

static int bench__pipeline(int iters) {
    char path[512];
    image im;
    if (image_alloc(&im, 640, 480) != MOSA_OK) return 1;
    bench__frame(&im);
    float *mask = malloc((size_t)im.w * im.h * sizeof(float));
    pose_model *pm = NULL;
    seg_model *sm = NULL;
    int rc = 0;
    if (pose_model_path(path, sizeof path, "full") == MOSA_OK && pose_model_open(&pm, path) == MOSA_OK) {
        pose_roi roi = pose_roi_whole(im.w, im.h);
        pose_result res;
        pose_estimate(pm, &im, &roi, &res, mask);
        double t0 = time_now();
        for (int i = 0; i < iters; i++) pose_estimate(pm, &im, &roi, &res, mask);
        double dt = (time_now() - t0) / iters;
        printf("  pose_estimate (full) 640x480 + mask  %8.2f ms %8.1f fps\n", dt * 1e3, 1.0 / dt);
    } else {
        printf("  pose_estimate: %s\n", mosa_last_error());
    }
    char rel[] = "mediapipe/selfie_segmentation.tflite";
    if (model_path_resolve(path, sizeof path, rel) == MOSA_OK && seg_model_open(&sm, path) == MOSA_OK) {
        seg_estimate(sm, &im, mask);
        double t0 = time_now();
        for (int i = 0; i < iters; i++) seg_estimate(sm, &im, mask);
        double dt = (time_now() - t0) / iters;
        printf("  seg_estimate 640x480                 %8.2f ms %8.1f fps\n", dt * 1e3, 1.0 / dt);
    } else {
        printf("  seg_estimate: %s\n", mosa_last_error());
    }
    pose_model_free(pm);
    seg_model_free(sm);
    free(mask);
    image_free(&im);
    return rc;
}

int bench_pose_main(int argc, char **argv) {
    int iters = 50, threads = 2, profile = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--profile")) profile = 1;
        else {
            fprintf(stderr, "mosa bench pose: unknown option '%s'\n"
                            "usage: mosa bench pose [--iters N] [--threads N] [--model NAME] [--profile]\n", argv[i]);
            return 1;
        }
    }
    if (iters < 1 || iters > 100000 || threads < 1 || threads > 256) {
        fprintf(stderr, "mosa bench pose: want --iters 1..100000, --threads 1..256\n");
        return 1;
    }
    mosa_set_threads(threads);
    const char *models[] = {"pose_landmark_lite", "pose_landmark_full", "pose_landmark_heavy", "selfie_segmentation",
                            "selfie_segmentation_landscape"};
    printf("mosa bench pose: MediaPipe models on mosa's TFLite runner, %d threads, %d runs each (mean, and the best\n"
           "  single run, which is closer to an unloaded machine when other processes share the cores)\n", threads, iters);
    int rc = 0;
    for (int k = 0; k < 5; k++) {
        if (only && !strstr(models[k], only)) continue;
        rc |= bench__model(models[k], iters, profile);
    }
    if (!only) rc |= bench__pipeline(iters);
    printf("  targets (2 threads): pose_landmark_full >= 30 fps, selfie_segmentation >= 100 fps\n");
    return rc;
}
