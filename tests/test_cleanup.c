/* test_cleanup.c: motion cleanup (cleanup.h) on synthetic corrupted motions: bone lengths become
 * constant, foot skating falls, no joint jumps, a clean motion is barely touched. */
#include "base/skeleton.h"
#include "motion/cleanup.h"
#include "motion/library.h"
#include "test.h"

#include <string.h>

static float max_step(const float *j, int T) { /* largest per-frame move of any joint */
    float m = 0;
    for (int t = 1; t < T; t++)
        for (int k = 0; k < 22; k++) {
            const float *a = j + ((size_t)(t - 1) * 22 + k) * 3, *b = j + ((size_t)t * 22 + k) * 3;
            const float d = sqrtf((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
            if (d > m) m = d;
        }
    return m;
}

static float max_diff(const float *a, const float *b, int n) {
    float m = 0;
    for (int i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

int main(void) {
    mosa_set_threads(1);
    const int acts[3] = {MOTION_WALK, MOTION_IDLE, MOTION_JUMP};
    for (int ai = 0; ai < 3; ai++) {
        motion_params p = motion_params_default();
        p.seconds = 4.0f;
        p.seed = 3;
        float *clean = NULL;
        int T = 0;
        TEST_COND("procedural motion", motion_generate(&clean, &T, acts[ai], &p) == MOSA_OK);
        if (!clean) continue;
        const size_t n = (size_t)T * 66;
        float *j = mosa_malloc(n * sizeof(float));

        /* a clean motion changes little */
        memcpy(j, clean, n * sizeof(float));
        motion_cleanup_report r;
        TEST_COND("cleanup runs", motion_cleanup(j, T, NULL, &r) == MOSA_OK);
        printf("  %-5s clean: bone std %.2e -> %.2e, skate %.3f -> %.3f m/s, %d spans, max move %.3f m\n",
               motion_action_name(acts[ai]), r.bone_std_before, r.bone_std_after, r.skate_before, r.skate_after,
               r.contact_spans, max_diff(j, clean, (int)n));
        TEST_COND("clean motion: bones stay constant", r.bone_std_after < 1e-4f);
        TEST_COND("clean motion: barely moved (< 3 cm)", max_diff(j, clean, (int)n) < 0.03f);

        /* corrupted as decoded motions are: per-frame jitter of every joint (stretches bones) and
         * feet that wander smoothly by a few centimetres (skating while planted) */
        mosa_rng rng;
        rng_seed(&rng, 7 + ai);
        memcpy(j, clean, n * sizeof(float));
        float *noise = mosa_malloc(n * sizeof(float));
        rng_normal(&rng, noise, n, 0.0f, 0.004f);
        for (size_t i = 0; i < n; i++) j[i] += noise[i];
        const int leg[2][3] = {{J_L_KNEE, J_L_ANKLE, J_L_FOOT}, {J_R_KNEE, J_R_ANKLE, J_R_FOOT}};
        for (int t = 0; t < T; t++)
            for (int f = 0; f < 2; f++) {
                const float dx = 0.04f * sinf(2.0f * (float)M_PI * t / (31.0f + 7 * f)), dz = 0.04f * cosf(2.0f * (float)M_PI * t / (43.0f - 5 * f));
                for (int k = 0; k < 3; k++) {
                    const float w = k == 0 ? 0.5f : 1.0f;
                    float *q = j + ((size_t)t * 22 + leg[f][k]) * 3;
                    q[0] += w * dx, q[2] += w * dz;
                }
            }
        const float step_before = max_step(j, T);
        int pairs = 0;
        const float sk0 = motion_foot_skate(j, T, 0.05f, &pairs);
        TEST_COND("cleanup of a corrupted motion", motion_cleanup(j, T, NULL, &r) == MOSA_OK);
        const float sk1 = motion_foot_skate(j, T, 0.05f, NULL);
        printf("  %-5s corrupted: bone std %.2e -> %.2e, skate %.3f -> %.3f m/s (%d pairs), %d spans, largest "
               "frame step %.3f -> %.3f m\n",
               motion_action_name(acts[ai]), r.bone_std_before, r.bone_std_after, sk0, sk1, pairs, r.contact_spans,
               step_before, max_step(j, T));
        TEST_COND("bone variance ~ 0", r.bone_std_after < 1e-4f && r.bone_std_before > 5e-3f);
        TEST_COND("skating reduced by half or more", sk1 <= 0.5f * sk0 || sk0 < 0.02f);
        TEST_COND("no big jumps introduced", max_step(j, T) <= step_before + 0.03f);
        int finite = 1;
        for (size_t i = 0; i < n; i++) finite &= isfinite(j[i]) != 0;
        TEST_COND("finite", finite);
        mosa_free(noise);
        mosa_free(j);
        mosa_free(clean);
    }

    /* bone fixing alone: one frame's forearm twice as long is brought back to the median */
    {
        motion_params p = motion_params_default();
        float *m = NULL;
        int T = 0;
        motion_generate(&m, &T, MOTION_WAVE, &p);
        float *w = m + ((size_t)10 * 22 + J_R_WRIST) * 3, *e = m + ((size_t)10 * 22 + J_R_ELBOW) * 3;
        const float len0 = sqrtf((w[0] - e[0]) * (w[0] - e[0]) + (w[1] - e[1]) * (w[1] - e[1]) + (w[2] - e[2]) * (w[2] - e[2]));
        for (int i = 0; i < 3; i++) w[i] = e[i] + 2.0f * (w[i] - e[i]);
        motion_cleanup_opts o = motion_cleanup_opts_default();
        o.fix_skate = 0;
        TEST_COND("bones only", motion_cleanup(m, T, &o, NULL) == MOSA_OK);
        const float len1 = sqrtf((w[0] - e[0]) * (w[0] - e[0]) + (w[1] - e[1]) * (w[1] - e[1]) + (w[2] - e[2]) * (w[2] - e[2]));
        TEST_CLOSE("stretched forearm restored", &len1, &len0, 1, 1e-4, 1e-3);
        mosa_free(m);
    }

    /* bad input */
    float one[66] = {0};
    TEST_COND("T = 0 refused", motion_cleanup(one, 0, NULL, NULL) == MOSA_ERR_ARG);
    one[5] = NAN;
    TEST_COND("NaN refused", motion_cleanup(one, 1, NULL, NULL) == MOSA_ERR_ARG);
    one[5] = 0;
    TEST_COND("single frame ok", motion_cleanup(one, 1, NULL, NULL) == MOSA_OK);
    return test_report();
}
