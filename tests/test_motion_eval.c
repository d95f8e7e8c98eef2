/* test_motion_eval.c: the motion-text evaluator and the text-to-motion metrics.
 *   - symmetric eigen-decomposition, Fréchet distance of known Gaussians (closed forms), FID of
 *     samples;
 *   - R-precision on hand-built embeddings (perfect -> 1, random -> 1/32, 2/32, 3/32), MM-Dist,
 *     diversity;
 *   - physical checks on library motions (fixed bones, feet on the floor) and on a sunk copy;
 *   - gradient check of the InfoNCE loss;
 *   - a tiny training run: the loss falls, resume is bit-exact, export/load round trip, the
 *     classifier learns, the whole evaluation runs (real and with a stand-in generator);
 *   - every action has >= 3 prompts, none equal to a caption captions.c produces. */
#include "eval/action_prompts.h"
#include "eval/motion_eval.h"
#include "eval/train_eval.h"
#include "gradcheck.h"
#include "motion/captions.h"
#include "motion/library.h"
#include "test.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- linear algebra and FID ---- */

static void test_eig_fid(void) {
    const int d = 5;
    double A[25], w[5], V[25];
    mosa_rng r;
    rng_seed(&r, 3);
    float g[25];
    rng_normal(&r, g, 25, 0, 1);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++) acc += (double)g[i * d + k] * g[j * d + k];
            A[i * d + j] = acc; /* G G^T: symmetric PSD */
        }
    TEST_COND("eig runs", meval_sym_eig(A, d, w, V) == MOSA_OK);
    double err = 0, orth = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0, o = 0;
            for (int k = 0; k < d; k++) {
                acc += V[i * d + k] * w[k] * V[j * d + k];
                o += V[k * d + i] * V[k * d + j];
            }
            err = fmax(err, fabs(acc - A[i * d + j]));
            orth = fmax(orth, fabs(o - (i == j)));
        }
    TEST_COND("V diag(w) V^T reconstructs A", err < 1e-9);
    TEST_COND("eigenvectors orthonormal", orth < 1e-9);
    /* known 2x2: [[2,1],[1,2]] has eigenvalues 1 and 3 */
    double B[4] = {2, 1, 1, 2}, wb[2];
    meval_sym_eig(B, 2, wb, NULL);
    TEST_COND("2x2 eigenvalues 1 and 3",
              fabs(fmin(wb[0], wb[1]) - 1) < 1e-12 && fabs(fmax(wb[0], wb[1]) - 3) < 1e-12);

    /* Fréchet distance of N(0, a I) and N(m, b I): |m|^2 + d (a + b - 2 sqrt(ab)) */
    double mu1[5] = {0}, mu2[5] = {1, -2, 0, 0.5, 0}, S1[25] = {0}, S2[25] = {0};
    for (int i = 0; i < d; i++) S1[i * d + i] = 2.0, S2[i * d + i] = 0.5;
    double want = 1 + 4 + 0.25 + d * (2.0 + 0.5 - 2 * 1.0);
    TEST_COND("Frechet of isotropic Gaussians", fabs(meval_frechet(mu1, S1, mu2, S2, d) - want) < 1e-9);
    TEST_COND("Frechet of a Gaussian with itself is 0", fabs(meval_frechet(mu1, A, mu1, A, d)) < 1e-8);
    /* non-commuting covariances: S1 = diag(4, 1), S2 = R diag(1, 9) R^T, R a 30 degree rotation.
     * tr sqrt(S1 S2) = sqrt(l1) + sqrt(l2) with l the eigenvalues of S1 S2: tr = l1 + l2,
     * det = l1 l2 = 36, so tr sqrt = sqrt(tr(S1 S2) + 2 sqrt(det)). */
    double c = cos(M_PI / 6), s = sin(M_PI / 6);
    double P1[4] = {4, 0, 0, 1};
    double P2[4] = {c * c * 1 + s * s * 9, c * s * (1 - 9), c * s * (1 - 9), s * s * 1 + c * c * 9};
    double trp = P1[0] * P2[0] + P1[1] * P2[2] + P1[2] * P2[1] + P1[3] * P2[3];
    double trsq = sqrt(trp + 2 * sqrt(36.0));
    double z2[2] = {0, 0};
    double want2 = 4 + 1 + 1 + 9 - 2 * trsq;
    TEST_COND("Frechet of non-commuting covariances", fabs(meval_frechet(z2, P1, z2, P2, 2) - want2) < 1e-9);

    /* FID of samples: N(0, I) vs N(1, 4 I) in 4 dims -> 4 + 4 (1 + 4 - 4) = 8 */
    const int n = 20000, dd = 4;
    float *a = malloc(sizeof(float) * n * dd), *b = malloc(sizeof(float) * n * dd);
    rng_normal(&r, a, (size_t)n * dd, 0, 1);
    rng_normal(&r, b, (size_t)n * dd, 1, 2);
    double fid = meval_fid(a, n, b, n, dd);
    TEST_COND("FID of samples near the closed form", fabs(fid - 8.0) < 0.25);
    TEST_COND("FID of a set with itself is 0", fabs(meval_fid(a, n, a, n, dd)) < 1e-6);
    TEST_COND("FID refuses one sample", meval_fid(a, 1, b, n, dd) < 0);
    free(a);
    free(b);
}

/* ---- R-precision, MM-Dist, diversity ---- */

static void test_rprec(void) {
    const int n = 32 * 300 + 5, d = 16;
    float *m = malloc(sizeof(float) * n * d), *t = malloc(sizeof(float) * n * d);
    mosa_rng r;
    rng_seed(&r, 5);
    rng_normal(&r, m, (size_t)n * d, 0, 1);
    double top[3], mm;
    int used = meval_r_precision(m, m, n, d, top, &mm);
    TEST_COND("full pools only", used == 32 * 300);
    TEST_COND("perfect embeddings: R-precision 1", top[0] == 1.0 && top[1] == 1.0 && top[2] == 1.0);
    TEST_COND("perfect embeddings: MM-Dist 0", mm == 0);
    rng_normal(&r, t, (size_t)n * d, 0, 1);
    meval_r_precision(m, t, n, d, top, &mm);
    printf("  random embeddings: R-precision %.4f %.4f %.4f (expect %.4f %.4f %.4f)\n", top[0], top[1], top[2], 1 / 32.,
           2 / 32., 3 / 32.);
    TEST_COND("random: top-1 ~ 1/32", fabs(top[0] - 1 / 32.) < 0.012);
    TEST_COND("random: top-2 ~ 2/32", fabs(top[1] - 2 / 32.) < 0.015);
    TEST_COND("random: top-3 ~ 3/32", fabs(top[2] - 3 / 32.) < 0.018);
    TEST_COND("random: MM-Dist ~ sqrt(2 d)", fabs(mm - sqrt(2.0 * d)) < 0.3);
    TEST_COND("too few items: nothing used", meval_r_precision(m, t, 31, d, top, &mm) == 0);
    /* diversity: points at +-e0 alternate; pairs are random so the mean is 2 x P(different) */
    float pts[8 * 2] = {0};
    for (int i = 0; i < 8; i++) pts[i * 2] = 1;
    TEST_COND("diversity of identical points is 0", meval_diversity(pts, 8, 2, 300, 1) == 0);
    double dv = meval_diversity(m, n, d, 300, 1);
    TEST_COND("diversity of N(0,I) ~ sqrt(2 d)", fabs(dv - sqrt(2.0 * d)) < 0.3);
    TEST_COND("diversity is seeded", dv == meval_diversity(m, n, d, 300, 1));
    free(m);
    free(t);
}

/* ---- physics ---- */

static void test_physics(void) {
    motion_params p = motion_params_default();
    p.seconds = 3;
    float *J = NULL;
    int T = 0;
    TEST_COND("generate a walk", motion_generate(&J, &T, MOTION_WALK, &p) == MOSA_OK);
    meval_physics ph;
    meval_physics_compute(&ph, J, T);
    printf("  walk: bone var %.3g, skate %.4f, penetration %.4f, jerk %.2f\n", ph.bone_var, ph.skate, ph.penetration,
           ph.jerk);
    TEST_COND("library bones keep their length", ph.bone_var < 1e-9);
    TEST_COND("library feet do not go below the floor", ph.penetration < 1e-6);
    TEST_COND("jerk finite and positive", isfinite(ph.jerk) && ph.jerk > 0);
    for (int i = 0; i < T * 22; i++) J[i * 3 + 1] -= 0.1f;
    meval_physics sunk;
    meval_physics_compute(&sunk, J, T);
    printf("  sunk by 10 cm: penetration %.4f\n", sunk.penetration);
    TEST_COND("sunk by 10 cm: penetration appears (<= 0.1)", sunk.penetration > 0.05 && sunk.penetration < 0.1001);
    TEST_COND("translation keeps jerk", fabs(sunk.jerk - ph.jerk) < 1e-3 * ph.jerk + 1e-3);
    /* stretch one bone every other frame: bone variance appears */
    for (int t = 0; t < T; t += 2) J[(t * 22 + 15) * 3 + 1] += 0.05f; /* head */
    meval_physics_compute(&sunk, J, T);
    TEST_COND("stretched bone: variance > 0", sunk.bone_var > 1e-5);
    mosa_free(J);
}

/* ---- InfoNCE gradient ---- */

static tensor *gc_infonce(ctx *c, tensor *const *in, void *user) {
    (void)user;
    tensor *l = meval_infonce(c, in[0], in[1], 0.5f);
    return op_reshape(c, l, T_SHAPE(1));
}

static void test_grad(void) {
    gc_input in[2] = {{2, {4, 6}}, {2, {4, 6}}};
    gc_opts o = {0};
    TEST_COND("InfoNCE gradient", gradcheck("infonce", gc_infonce, 2, in, NULL, &o) == 0);
}

/* ---- prompts ---- */

static void test_prompts(void) {
    const int A = motion_action_count();
    int ok_count = 1, distinct = 1;
    for (int a = 0; a < A; a++) {
        if (action_prompt_count(a) < 3) {
            ok_count = 0;
            printf("  action %s has %d prompts\n", motion_action_name(a), action_prompt_count(a));
        }
        for (int i = 0; i < action_prompt_count(a); i++)
            for (int b = 0; b <= a; b++)
                for (int j = 0; j < action_prompt_count(b); j++)
                    if ((b != a || j != i) && !strcmp(action_prompt(a, i), action_prompt(b, j))) distinct = 0;
    }
    TEST_COND("every action has >= 3 prompts", ok_count);
    TEST_COND("prompts are distinct", distinct);
    TEST_COND("out of range", action_prompt_count(-1) == 0 && action_prompt(0, 99) == NULL);
    /* no prompt equals a caption (with or without its period) over many seeds and parameters */
    int clash = 0, checked = 0;
    mosa_rng r;
    rng_seed(&r, 11);
    for (int a = 0; a < A; a++)
        for (int k = 0; k < 60; k++) {
            motion_params p = motion_params_default();
            float u[4];
            rng_uniform(&r, u, 4);
            p.seconds = motion_action_min_seconds(a) + 4 * u[0];
            p.speed = 0.6f + 0.9f * u[1];
            p.amplitude = 0.6f + 0.9f * u[2];
            p.side = u[3] < 0.5f ? MOTION_LEFT : MOTION_RIGHT;
            p.seed = (uint64_t)k;
            char *caps[9] = {0};
            int nc = motion_captions(caps, 8, a, &p, (uint64_t)k * 7 + 1);
            char mo[MOTION_CAPTION_MAX];
            if (nc < 0) nc = 0;
            if (motion_caption_motion(mo, sizeof mo, a, &p, (uint64_t)k) == MOSA_OK) caps[nc++] = mosa_strdup(mo);
            for (int i = 0; i < nc; i++) {
                char c2[MOTION_CAPTION_MAX + 8];
                snprintf(c2, sizeof c2, "%s", caps[i]);
                size_t l = strlen(c2);
                if (l && c2[l - 1] == '.') c2[l - 1] = 0;
                for (int b = 0; b < A; b++)
                    for (int j = 0; j < action_prompt_count(b); j++) {
                        checked++;
                        if (!strcmp(c2, action_prompt(b, j)) || !strcmp(caps[i], action_prompt(b, j))) {
                            clash++;
                            printf("  prompt equals a caption: '%s'\n", caps[i]);
                        }
                    }
                mosa_free(caps[i]);
            }
        }
    TEST_COND("no prompt equals a generated caption", clash == 0 && checked > 0);
}

/* ---- training, resume, round trip, classifier, the whole evaluation ---- */

static int files_equal(const char *a, const char *b) {
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int eq = file_read_all(a, 1 << 30, &x, &nx) == MOSA_OK && file_read_all(b, 1 << 30, &y, &ny) == MOSA_OK &&
             nx == ny && memcmp(x, y, nx) == 0;
    mosa_free(x);
    mosa_free(y);
    return eq;
}

static meval_train_options tiny_opts(const char *dir, int steps) {
    meval_train_options o = meval_train_options_default();
    o.out_dir = dir;
    o.steps = steps;
    o.batch = 16;
    o.corpus_size = 64;
    o.test_size = 40;
    o.lr = 2e-3f;
    o.warmup = 5;
    o.eval_every = 0;
    o.ckpt_every = 0;
    o.width = 32;
    o.dim = 32;
    o.text_width = 32;
    o.text_layers = 1;
    return o;
}

/* A stand-in generator: the library motion of the action whose prompt this is (walk otherwise). */
typedef struct hook_tally {
    int calls, samples, correct, bad;
} hook_tally;

/* meval_prompt_report that counts what it hears (bad: a wrong check, action or prompt). */
static void count_prompt(void *user, int check, int action, const char *prompt, const int *pred, int samples) {
    hook_tally *t = user;
    t->calls++;
    t->bad += check != MEVAL_CHECK_PROMPTS || action < 0 || action >= motion_action_count() || !prompt || samples != 2;
    for (int k = 0; k < samples; k++) {
        t->samples++;
        t->correct += pred[k] == action;
        t->bad += pred[k] < 0 || pred[k] >= motion_action_count();
    }
}

static mosa_status fake_gen(void *user, const char *prompt, float seconds, uint64_t seed, float **J, int *T) {
    (void)user;
    int act = MOTION_WALK;
    for (int a = 0; a < motion_action_count(); a++)
        for (int i = 0; i < action_prompt_count(a); i++)
            if (!strcmp(prompt, action_prompt(a, i))) act = a;
    motion_params p = motion_params_default();
    p.seconds = seconds > 0 ? seconds : 4;
    if (p.seconds < motion_action_min_seconds(act)) p.seconds = motion_action_min_seconds(act);
    p.seed = seed;
    return motion_generate(J, T, act, &p);
}

static void test_training(void) {
    char dir_a[256], dir_b[256], pa[512], pb[512], px[512];
    snprintf(dir_a, sizeof dir_a, "/tmp/mosa_test_meval_a_%d", (int)getpid());
    snprintf(dir_b, sizeof dir_b, "/tmp/mosa_test_meval_b_%d", (int)getpid());

    /* a straight run of 40 steps */
    meval_train_options o = tiny_opts(dir_a, 40);
    meval_train_result ra;
    mosa_status s = meval_train(&o, &ra);
    if (s != MOSA_OK) printf("  train: %s\n", mosa_last_error());
    TEST_COND("tiny training run", s == MOSA_OK);
    printf("  tiny run: loss %.4f -> %.4f; held-out R-precision %.3f %.3f %.3f, classifier %.3f\n", ra.first_loss,
           ra.last_loss, ra.top[0], ra.top[1], ra.top[2], ra.cls_acc);
    TEST_COND("the contrastive + classifier loss falls", ra.last_loss < ra.first_loss * 0.85f);
    TEST_COND("classifier beats chance on held-out motions", ra.cls_acc > 3.0 / motion_action_count());

    /* the same run stopped at step 20 and resumed */
    meval_train_options ob = tiny_opts(dir_b, 40);
    ob.stop_after = 20;
    meval_train_result rb;
    TEST_COND("stop at 20", meval_train(&ob, &rb) == MOSA_OK && rb.steps == 20);
    ob = tiny_opts(dir_b, 0);
    ob.resume = 1;
    s = meval_train(&ob, &rb);
    if (s != MOSA_OK) printf("  resume: %s\n", mosa_last_error());
    TEST_COND("resume to 40", s == MOSA_OK && rb.steps == 40);
    snprintf(pa, sizeof pa, "%s/state.safetensors", dir_a);
    snprintf(pb, sizeof pb, "%s/state.safetensors", dir_b);
    TEST_COND("resumed training state is bit-identical", files_equal(pa, pb));
    snprintf(pa, sizeof pa, "%s/evaluator.safetensors", dir_a);
    snprintf(pb, sizeof pb, "%s/evaluator.safetensors", dir_b);
    TEST_COND("resumed evaluator is bit-identical", files_equal(pa, pb));

    /* export / load round trip */
    meval_model m, m2;
    s = meval_load(&m, pa);
    if (s != MOSA_OK) printf("  load: %s\n", mosa_last_error());
    TEST_COND("load the evaluator", s == MOSA_OK);
    if (s == MOSA_OK) {
        snprintf(px, sizeof px, "%s/copy.safetensors", dir_a);
        TEST_COND("save again", meval_save(&m, px) == MOSA_OK);
        TEST_COND("saved file identical to the trained export", files_equal(pa, px));
        TEST_COND("load the copy", meval_load(&m2, px) == MOSA_OK);
        motion_corpus test = {0};
        motion_corpus_options co = motion_corpus_options_default(40, 77, MOTION_SPLIT_TEST);
        TEST_COND("test draw", motion_corpus_procedural(&test, &co) == MOSA_OK);
        const float *f[40];
        int lens[40];
        const char *caps[40];
        for (int i = 0; i < test.n; i++) f[i] = test.items[i].feat, lens[i] = test.items[i].T, caps[i] = test.items[i].caption[0];
        float e1[40 * 32], e2[40 * 32], e3[32], t1[40 * 32], t2[40 * 32];
        TEST_COND("embed motions", meval_embed_motions(&m, f, lens, test.n, e1, NULL) == MOSA_OK);
        TEST_COND("embed motions (copy)", meval_embed_motions(&m2, f, lens, test.n, e2, NULL) == MOSA_OK);
        TEST_COND("same embeddings after the round trip", memcmp(e1, e2, sizeof(float) * test.n * 32) == 0);
        TEST_COND("embed texts", meval_embed_texts(&m, caps, test.n, t1, NULL, NULL) == MOSA_OK);
        TEST_COND("embed texts (copy)", meval_embed_texts(&m2, caps, test.n, t2, NULL, NULL) == MOSA_OK);
        TEST_COND("same text embeddings after the round trip", memcmp(t1, t2, sizeof(float) * test.n * 32) == 0);
        /* a motion's embedding does not depend on its batch */
        TEST_COND("embed one motion alone", meval_embed_motions(&m, f + 7, lens + 7, 1, e3, NULL) == MOSA_OK);
        TEST_CLOSE("embedding independent of the batch", e3, e1 + 7 * 32, 32, 1e-4, 1e-3);
        double nrm = 0;
        for (int k = 0; k < 32; k++) nrm += (double)e1[k] * e1[k];
        TEST_COND("unit embeddings", fabs(nrm - 1) < 1e-4);
        motion_corpus_free(&test);

        /* the whole evaluation: real, and with a stand-in generator */
        meval_run_options ro = meval_run_options_default();
        ro.n = 33;
        ro.seed = 5;
        ro.real = 1;
        meval_report rep;
        s = meval_run(&rep, &m, &ro);
        if (s != MOSA_OK) printf("  run (real): %s\n", mosa_last_error());
        TEST_COND("evaluation of real motions", s == MOSA_OK);
        printf("  real: FID %.4f R-precision %.3f %.3f %.3f MM-Dist %.3f diversity %.3f bone var %.3g skate %.4f "
               "penetration %.4f jerk %.2f classifier %.3f (%d)\n",
               rep.fid, rep.top[0], rep.top[1], rep.top[2], rep.mm_dist, rep.diversity, rep.phys.bone_var,
               rep.phys.skate, rep.phys.penetration, rep.phys.jerk, rep.action[0].acc, rep.action[0].n);
        TEST_COND("real: numbers finite", isfinite(rep.fid) && rep.fid >= 0 && rep.rprec_used == 32 &&
                                              isfinite(rep.mm_dist) && rep.diversity > 0 && rep.action[0].n > 0 &&
                                              rep.action[MEVAL_CHECK_HELDOUT].n == 0);
        ro.real = 0;
        ro.gen = fake_gen;
        s = meval_run(&rep, &m, &ro);
        if (s != MOSA_OK) printf("  run (generated): %s\n", mosa_last_error());
        TEST_COND("evaluation with a generator", s == MOSA_OK);
        int prompts = 0;
        for (int a = 0; a < motion_action_count(); a++) prompts += action_prompt_count(a);
        printf("  stand-in generator: FID %.4f R-precision %.3f action accuracy %.3f over %d prompts\n", rep.fid,
               rep.top[0], rep.action[0].acc, rep.action[0].n);
        TEST_COND("every prompt generated and classified", rep.action[0].n == prompts);
        TEST_COND("generated: numbers finite", isfinite(rep.fid) && rep.fid >= 0 && rep.action[0].acc >= 0);
        for (int k = MEVAL_CHECK_HELDOUT; k <= MEVAL_CHECK_TRAINING; k++) {
            const meval_action_score *sc = &rep.action[k];
            int covered = 0;
            for (int a = 0; a < motion_action_count(); a++) covered += sc->per_action[a] >= 0;
            printf("  %s phrasings: accuracy %.3f over %d motions, %d actions covered\n",
                   k == MEVAL_CHECK_HELDOUT ? "held-out" : "training", sc->acc, sc->n, covered);
            TEST_COND(k == MEVAL_CHECK_HELDOUT ? "held-out-phrasing captions generated and classified"
                                               : "training-phrasing captions generated and classified",
                      sc->n > 0 && sc->n <= MEVAL_CHECK_CAPTIONS * motion_action_count() && sc->acc >= 0 &&
                          sc->acc <= 1 && covered > motion_action_count() / 2);
        }
        /* an explicit prompt set: the hand-written one gives what NULL gives; an empty action is -1 */
        action_prompt_set *set = calloc(1, sizeof *set);
        action_prompt_set_handwritten(set);
        meval_action_result r1, r2;
        hook_tally tally = {0};
        const meval_prompt_hook hook = {count_prompt, &tally, MEVAL_CHECK_PROMPTS};
        TEST_COND("action accuracy, default set",
                  meval_action_accuracy(&r1, &m, NULL, fake_gen, NULL, 2, 3, NULL, NULL, &hook) == MOSA_OK);
        int nprompts = 0;
        for (int a = 0; a < motion_action_count(); a++) nprompts += action_prompt_count(a);
        TEST_COND("the prompt hook hears every prompt once, with every sample's prediction",
                  tally.calls == nprompts && tally.samples == r1.prompts && tally.correct == r1.correct &&
                      tally.bad == 0);
        meval_action_accuracy(&r1, &m, NULL, fake_gen, NULL, 1, 3, NULL, NULL, NULL);
        set->count[MOTION_JUMP] = 0;
        TEST_COND("action accuracy, explicit set",
                  meval_action_accuracy(&r2, &m, set, fake_gen, NULL, 1, 3, NULL, NULL, NULL) == MOSA_OK);
        int same = r2.prompts == r1.prompts - action_prompt_count(MOTION_JUMP) && r2.per_action[MOTION_JUMP] == -1;
        for (int a = 0; a < motion_action_count(); a++)
            if (a != MOTION_JUMP) same &= r1.per_action[a] == r2.per_action[a];
        TEST_COND("explicit set: same results, the emptied action unmeasured", same);
        free(set);
        meval_free(&m2);
        meval_free(&m);
    }

    /* files that are not evaluators */
    meval_model bad;
    s = meval_load(&bad, "/nonexistent/evaluator.safetensors");
    TEST_COND("missing file is an i/o error", s == MOSA_ERR_IO);
    snprintf(pb, sizeof pb, "%s/state.safetensors", dir_a);
    s = meval_load(&bad, pb);
    TEST_COND("a training state is not an evaluator", s == MOSA_ERR_MISMATCH &&
                                                           strstr(mosa_last_error(), "not a motion evaluator"));
    /* resume without a run */
    meval_train_options oc = tiny_opts("/tmp/mosa_test_meval_none_xyz", 0);
    oc.resume = 1;
    TEST_COND("resume without a run is refused", meval_train(&oc, &rb) != MOSA_OK);

    char cmdline[1024];
    snprintf(cmdline, sizeof cmdline, "rm -rf %s %s", dir_a, dir_b);
    if (system(cmdline) != 0) printf("  could not remove the run directories\n");
}

static void test_config(void) {
    meval_config c = meval_config_default(100), d = meval_config_default(100);
    c.width = 64;
    c.dim = 48;
    c.temperature = 0.07f;
    char buf[256];
    meval_config_format(&c, buf, sizeof buf);
    TEST_COND("config parses back", meval_config_parse(&d, buf) == MOSA_OK && d.width == 64 && d.dim == 48 &&
                                         d.temperature == 0.07f && d.n_actions == motion_action_count());
    TEST_COND("bad config refused", meval_config_parse(&d, "width=10 heads=4") != MOSA_OK);
    TEST_COND("unknown key refused", meval_config_parse(&d, "colour=3") != MOSA_OK);
}

int main(void) {
    mosa_set_threads(2);
    void (*const parts[])(void) = {test_eig_fid, test_rprec, test_physics, test_grad, test_config, test_prompts,
                                   test_training};
    const char *names[] = {"eig/fid", "r-precision", "physics", "grad", "config", "prompts", "training"};
    for (int i = 0; i < 7; i++) {
        double t0 = time_now();
        clock_t c0 = clock();
        parts[i]();
        printf("  [%s: %.1f s wall, %.1f s cpu]\n", names[i], time_now() - t0, (double)(clock() - c0) / CLOCKS_PER_SEC);
    }
    return test_report();
}
