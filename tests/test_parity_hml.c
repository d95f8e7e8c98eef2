/* test_parity_hml.c: HumanML3D features against the numpy reference (fixture from
 * ref/ref_hml.py, an independent float64 implementation of process_file, recover_from_ric and
 * cal_mean_variance).
 *
 * For three motions (a turning walk off the origin; a full turn in place, which crosses facing
 * -Z and so exercises the arcsin quirk; a crouch with a twisting torso and raised arms) it
 * checks the canonicalized joints, the root rotations, all 263 features (foot contacts exactly)
 * and the decoded joints, then Mean/Std over the three feature sets. */
#include "motion/features.h"
#include "tensor/safetensors.h"
#include "test.h"

#include <string.h>
#include <unistd.h>

static st_file g_f;

/* Reads tensor `name` (n floats) into a new buffer; NULL (and a failed check) if absent. */
static float *load(const char *name, size_t n) {
    const st_tensor *t = st_find(&g_f, name);
    char d[128];
    snprintf(d, sizeof d, "fixture has %s with %zu values", name, n);
    TEST_COND(d, t && t->nelements == n);
    if (!t || t->nelements != n) return NULL;
    float *x = malloc(n * sizeof(float));
    st_read_f32(t, x);
    return x;
}

static void check_motion(const char *name) {
    char key[64];
    snprintf(key, sizeof key, "%s.joints", name);
    const st_tensor *t = st_find(&g_f, key);
    TEST_COND(key, t && t->nd == 3 && t->shape[1] == 22 && t->shape[2] == 3);
    if (!t || t->nd != 3) return;
    int T = (int)t->shape[0];
    size_t nj = (size_t)T * 66, nf = (size_t)(T - 1) * HML_DIM;
    float *j = load(key, nj);
    snprintf(key, sizeof key, "%s.canon", name);
    float *canon = load(key, nj);
    snprintf(key, sizeof key, "%s.rq", name);
    float *rq = load(key, (size_t)T * 4);
    snprintf(key, sizeof key, "%s.feat", name);
    float *feat = load(key, nf);
    snprintf(key, sizeof key, "%s.rec", name);
    float *rec = load(key, (size_t)(T - 1) * 66);
    float *c = malloc(nj * sizeof(float)), *q = malloc((size_t)T * 4 * sizeof(float));
    float *f = malloc(nf * sizeof(float)), *dec = malloc(nj * sizeof(float));
    char d[128];
    if (j && canon && rq && feat && rec) {
        TEST_COND("canonicalize", hml_canonicalize(c, j, T) == MOSA_OK);
        snprintf(d, sizeof d, "%s: canonical joints", name);
        TEST_CLOSE(d, c, canon, nj, 1e-5, 1.0);
        TEST_COND("root rotations", hml_root_rotations(q, c, T) == MOSA_OK);
        snprintf(d, sizeof d, "%s: root rotations", name);
        TEST_CLOSE(d, q, rq, (size_t)T * 4, 1e-5, 1.0);
        TEST_COND("features", hml_features_from_joints(f, j, T, 1) == MOSA_OK);
        /* Group by group, so a failure names the group. Contacts must match exactly; 6D gets 5e-5:
         * a float32 position 12 m from the origin is only good to 1e-6 m, which turns an 0.11 m
         * spine bone by up to 1e-5 rad (the notebook's own torch float32 has the same limit). */
        static const int g[8] = {0, 1, 3, 4, 67, 193, 259, 263};
        static const char *gn[7] = {"root rot vel", "root lin vel", "root y", "ric", "rot 6D", "local vel", "contacts"};
        for (int k = 0; k < 7; k++) {
            double w = 0;
            size_t wi = 0;
            for (int r = 0; r < T - 1; r++)
                for (int i = g[k]; i < g[k + 1]; i++) {
                    size_t at = (size_t)r * HML_DIM + i;
                    double e = fabs((double)f[at] - feat[at]);
                    if (e > w) w = e, wi = at;
                }
            snprintf(d, sizeof d, "%s: features %s (max abs err %.3g at row %zu, dim %zu)", name, gn[k], w, wi / HML_DIM,
                     wi % HML_DIM);
            double tol = k == 6 ? 0 : k == 4 ? 5e-5 : 1e-5;
            TEST_COND(d, w <= tol);
            if (w > tol) printf("  %s\n", d);
        }
        TEST_COND("decode", hml_joints_from_features(dec, feat, T - 1) == MOSA_OK);
        snprintf(d, sizeof d, "%s: recover_from_ric", name);
        TEST_CLOSE(d, dec, rec, (size_t)(T - 1) * 66, 1e-5, 1.0);
    }
    free(j), free(canon), free(rq), free(feat), free(rec), free(c), free(q), free(f), free(dec);
}

int main(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/hml.safetensors", MOSA_FIXTURE_DIR);
    if (access(path, R_OK) != 0) {
        printf("skipped: %s not found (ref_fixtures needs python3-numpy; run ./setup.sh)\n", path);
        return 77;
    }
    TEST_COND("open fixture", st_open(&g_f, path) == MOSA_OK);
    check_motion("walk");
    check_motion("spin");
    check_motion("twist");
    /* Mean/Std over the three reference feature sets. */
    static const char *names[3] = {"walk.feat", "spin.feat", "twist.feat"};
    const float *seqs[3];
    int lens[3];
    float *own[3] = {0};
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        const st_tensor *t = st_find(&g_f, names[i]);
        ok &= t && t->nd == 2 && t->shape[1] == HML_DIM;
        if (!ok) break;
        lens[i] = (int)t->shape[0];
        own[i] = load(names[i], (size_t)lens[i] * HML_DIM);
        seqs[i] = own[i];
    }
    float mean[HML_DIM], std[HML_DIM];
    float *wm = load("meanstd.mean", HML_DIM), *ws = load("meanstd.std", HML_DIM);
    if (ok && wm && ws) {
        TEST_COND("mean_std", hml_mean_std(mean, std, seqs, lens, 3) == MOSA_OK);
        TEST_CLOSE("Mean", mean, wm, HML_DIM, 1e-5, 1.0);
        TEST_CLOSE("Std", std, ws, HML_DIM, 1e-5, 1e-3);
    }
    for (int i = 0; i < 3; i++) free(own[i]);
    free(wm), free(ws);
    st_close(&g_f);
    return test_report();
}
