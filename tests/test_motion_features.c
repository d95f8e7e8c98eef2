/* test_motion_features.c: every motion of the procedural library survives the HumanML3D round
 * trip: joints -> 263-d features -> recover_from_ric -> joints reproduces the canonicalized
 * motion's frames 0..T-2 within 1e-4 m (frame T-1 has no feature row, as in HumanML3D), for
 * every action with default parameters and with a second seed and parameter setting. */
#include "motion/features.h"
#include "motion/library.h"
#include "test.h"

#include <string.h>

int main(void) {
    double worst = 0;
    const char *worst_name = "";
    for (int a = 0; a < motion_action_count(); a++) {
        for (int setting = 0; setting < 2; setting++) {
            motion_params p = motion_params_default();
            if (setting) p.seed = 11, p.speed = 1.3f, p.amplitude = 0.8f, p.heading = 0.7f, p.side = MOTION_LEFT;
            if (p.seconds < motion_action_min_seconds(a)) p.seconds = motion_action_min_seconds(a);
            float *j = NULL;
            int T = 0;
            if (motion_generate(&j, &T, a, &p) != MOSA_OK || T < 2) {
                TEST_COND(motion_action_name(a), 0);
                mosa_free(j);
                continue;
            }
            float *canon = mosa_malloc(sizeof(float) * (size_t)T * 66);
            float *feat = mosa_malloc(sizeof(float) * (size_t)(T - 1) * HML_DIM);
            float *back = mosa_malloc(sizeof(float) * (size_t)(T - 1) * 66);
            int ok = hml_canonicalize(canon, j, T) == MOSA_OK && hml_features_from_joints(feat, j, T, 1) == MOSA_OK &&
                     hml_joints_from_features(back, feat, T - 1) == MOSA_OK;
            double err = 0;
            for (size_t k = 0; ok && k < (size_t)(T - 1) * 66; k++) {
                double d = fabs((double)back[k] - (double)canon[k]);
                if (!(d <= err)) err = d;
            }
            char descr[128];
            snprintf(descr, sizeof descr, "%s (setting %d): round-trip error %.2g m", motion_action_name(a), setting, err);
            if (!(ok && err < 1e-4)) printf("FAIL %s\n", descr);
            TEST_COND(descr, ok && err < 1e-4);
            if (err > worst) worst = err, worst_name = motion_action_name(a);
            mosa_free(j), mosa_free(canon), mosa_free(feat), mosa_free(back);
        }
    }
    printf("worst round-trip error over %d actions x 2 settings: %.3g m (%s)\n", motion_action_count(), worst, worst_name);
    return test_report();
}
