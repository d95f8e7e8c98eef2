/* test_dataset.c: the mosa-dataset/1 loader on a small dataset written here: listing and
 * validation (bad clips named and skipped, or refused in strict mode), batch shapes and content
 * (consecutive frames of one clip, masks resized by nearest neighbour, captions), the seeded
 * shuffle (same seed, same batches; every clip once per epoch) and the skeleton augmentation. */
#include "data/dataset.h"
#include "io/npy.h"
#include "io/video.h"
#include "test.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { NF = 12, W0 = 64, H0 = 48 };

static char g_root[256];

static void write_text(const char *path, const char *text) { file_write_atomic(path, text, strlen(text)); }

/* clip k: video frame t is a flat grey of level 10*t + 40*k; skeleton frame: a white 8x8
 * square at the centre; masks: left half 1, right half 0 (person 1). */
static void make_clip(int k, int bad_meta, int no_skeleton) {
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/clips/%06d", g_root, k);
    mkdir(dir, 0755);
    image fr[NF], sk[NF];
    for (int t = 0; t < NF; t++) {
        image_alloc(&fr[t], W0, H0);
        image_alloc(&sk[t], W0, H0);
        memset(fr[t].rgb, 10 * t + 40 * k, (size_t)W0 * H0 * 3);
        memset(sk[t].rgb, 0, (size_t)W0 * H0 * 3);
        for (int y = H0 / 2 - 4; y < H0 / 2 + 4; y++) memset(sk[t].rgb + ((size_t)y * W0 + W0 / 2 - 4) * 3, 255, 8 * 3);
    }
    snprintf(path, sizeof path, "%s/video.mp4", dir);
    video_write_auto(path, fr, NF, 16, NULL);
    if (!no_skeleton) {
        snprintf(path, sizeof path, "%s/skeleton.mp4", dir);
        video_write_auto(path, sk, NF, 16, NULL);
    }
    for (int t = 0; t < NF; t++) image_free(&fr[t]), image_free(&sk[t]);
    uint8_t *m = mosa_calloc((size_t)NF * H0 * W0, 1);
    for (int t = 0; t < NF; t++)
        for (int y = 0; y < H0; y++) memset(m + ((size_t)t * H0 + y) * W0, 1, W0 / 2);
    const int64_t shape[3] = {NF, H0, W0};
    snprintf(path, sizeof path, "%s/masks.npy", dir);
    npy_write_u8(path, m, shape, 3);
    mosa_free(m);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    char meta[512];
    if (bad_meta) snprintf(meta, sizeof meta, "{\"caption\": \"\", \"frames\": 12}");
    else snprintf(meta, sizeof meta,
                  "{\"caption\": \"a person number %d waves.\", \"motion_caption\": \"a person waves.\", "
                  "\"frames\": %d, \"fps\": 16, \"width\": %d, \"height\": %d, \"persons\": 1}", k, NF, W0, H0);
    write_text(path, meta);
}

int main(void) {
    snprintf(g_root, sizeof g_root, "/tmp/mosa_test_dataset_%d", (int)getpid());
    char path[600];
    mkdir(g_root, 0755);
    snprintf(path, sizeof path, "%s/clips", g_root);
    mkdir(path, 0755);
    for (int k = 0; k < 4; k++) make_clip(k, 0, 0);
    make_clip(4, 1, 0); /* empty caption, missing fields */
    make_clip(5, 0, 1); /* no skeleton video */

    dataset d;
    TEST_COND("open (skipping bad clips)", dataset_open(&d, g_root, NULL, 0, 7) == MOSA_OK);
    TEST_COND("4 usable clips", d.n == 4);
    TEST_COND("2 problems", d.n_problems == 2);
    TEST_COND("bad meta named", d.problems && strstr(d.problems, "000004: meta.json: \"caption\""));
    TEST_COND("missing skeleton named", d.problems && strstr(d.problems, "000005: skeleton.mp4 is missing"));

    dataset strict;
    TEST_COND("strict open refuses", dataset_open(&strict, g_root, NULL, 1, 7) == MOSA_ERR_FORMAT);
    TEST_COND("strict message names the clip", strstr(mosa_last_error(), "000004") != NULL);
    TEST_COND("missing dataset", dataset_open(&strict, "/nonexistent/ds", NULL, 0, 1) == MOSA_ERR_IO);
    snprintf(path, sizeof path, "%s/train.txt", g_root);
    write_text(path, "000001\n000003\r\n\n");
    dataset sp;
    TEST_COND("split file", dataset_open(&sp, g_root, "train.txt", 0, 1) == MOSA_OK && sp.n == 2);
    dataset_close(&sp);
    write_text(path, "000001\n../../etc\n");
    TEST_COND("hostile split id refused", dataset_open(&sp, g_root, "train.txt", 0, 1) == MOSA_ERR_FORMAT &&
                                              strstr(mosa_last_error(), "train.txt:2") != NULL);

    /* batches */
    dataset_batch b = {0};
    dataset_batch_opts o = {2, 8, 32, 24, 0, 0, 1, 1};
    int seen[4] = {0};
    for (int it = 0; it < 2; it++) {
        mosa_status bs = dataset_next_batch(&d, &b, &o);
        if (bs != MOSA_OK) printf("batch: %s\n", mosa_last_error());
        TEST_COND("batch", bs == MOSA_OK);
        if (bs != MOSA_OK) break;
        for (int i = 0; i < 2; i++) {
            int k = b.clip[i];
            seen[k]++;
            char want[64];
            snprintf(want, sizeof want, "a person number %d waves.", atoi(d.clips[k].id));
            TEST_COND("caption", strcmp(b.caption[i], want) == 0 && strcmp(b.motion_caption[i], "a person waves.") == 0);
            /* consecutive frames: grey levels step by 10 (H.264 may move them by a few levels) */
            const float *v = b.video + (size_t)i * 8 * 24 * 32 * 3;
            float l0 = (v[(12 * 32 + 16) * 3] + 1) * 127.5f, l1 = (v[(size_t)24 * 32 * 3 + (12 * 32 + 16) * 3] + 1) * 127.5f;
            TEST_COND("consecutive frames", fabsf(l1 - l0 - 10.0f) < 4.0f);
            const uint8_t *m = b.mask + (size_t)i * 8 * 24 * 32;
            TEST_COND("mask resized", m[5 * 32 + 3] == 1 && m[5 * 32 + 28] == 0);
            int inr = 1;
            for (size_t q = 0; q < (size_t)8 * 24 * 32 * 3; q++) inr &= v[q] >= -1.0f && v[q] <= 1.0f;
            TEST_COND("video in [-1,1]", inr);
        }
    }
    TEST_COND("each clip once per epoch", seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1);
    TEST_COND("next epoch", dataset_next_batch(&d, &b, &o) == MOSA_OK && d.epoch == 1);

    /* determinism: the same seed gives the same clips and windows */
    dataset d2, d3;
    dataset_batch b2 = {0}, b3 = {0};
    dataset_open(&d2, g_root, NULL, 0, 99);
    dataset_open(&d3, g_root, NULL, 0, 99);
    dataset_next_batch(&d2, &b2, &o);
    dataset_next_batch(&d3, &b3, &o);
    TEST_COND("same seed, same batch", b2.clip[0] == b3.clip[0] && b2.clip[1] == b3.clip[1] &&
                                           memcmp(b2.video, b3.video, sizeof(float) * 2 * 8 * 24 * 32 * 3) == 0);

    /* augmentation moves the skeleton square but not the video */
    dataset_batch_opts oa = {1, 4, 32, 24, 1, 0.25f, 0.8f, 1.2f};
    float cx_sum = 0;
    int moved = 0;
    for (int it = 0; it < 4; it++) {
        dataset_next_batch(&d2, &b2, &oa);
        double sx = 0, sw = 0;
        for (int y = 0; y < 24; y++)
            for (int x = 0; x < 32; x++) {
                float w = b2.skeleton[((size_t)y * 32 + x) * 3] + 1;
                sx += w * x, sw += w;
            }
        float cx = sw > 0 ? (float)(sx / sw) : 0;
        cx_sum += cx;
        if (fabsf(cx - 15.5f) > 0.5f) moved++;
    }
    TEST_COND("augmentation shifts the skeleton", moved >= 2);
    TEST_COND("bad batch options refused", dataset_next_batch(&d2, &b2, &(dataset_batch_opts){0, 8, 32, 24}) == MOSA_ERR_ARG);
    dataset_batch_opts too_long = {1, 50, 32, 24};
    TEST_COND("too few frames named", dataset_next_batch(&d3, &b3, &too_long) == MOSA_ERR_FORMAT &&
                                          strstr(mosa_last_error(), "fewer than the 50") != NULL);
    dataset_batch_free(&b);
    dataset_batch_free(&b2);
    dataset_batch_free(&b3);
    dataset_close(&d);
    dataset_close(&d2);
    dataset_close(&d3);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
    if (system(cmd) != 0) printf("could not remove %s\n", g_root);
    (void)cx_sum;
    return test_report();
}
