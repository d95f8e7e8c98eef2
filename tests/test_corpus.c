/* test_corpus.c: held-out caption phrasings (captions.h *_split) and the text-motion corpus.
 *
 * Held-out phrasings: for every action, over many seeds and parameter sets, no test-split
 * sentence equals a train-split sentence, every test sentence holds a word no train sentence of
 * that action has (the held-out wording), split -1 is exactly the unsplit caption, and the same
 * holds for sequence captions. Procedural corpus: well-formed items (1..196 finite rows,
 * 1..3 lower-case captions), the same bytes for 1 and 2 threads and for the same options,
 * train and test differing in motions and never sharing a caption, bad options refused; the
 * build speed is printed (items/s, no threshold). HumanML3D loader on a tiny directory written
 * here: whole-clip and sub-range captions become items, clips outside 40..196 rows are skipped,
 * a missing file is named in the error. mean/std: finite, positive, feature bias applied. */
#include "../src/io/humanml3d.h"
#include "../src/motion/captions.h"
#include "../src/motion/corpus.h"
#include "../src/motion/features.h"
#include "test.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

/* ---- held-out phrasings ---- */

typedef struct strset {
    char **s;
    int n, cap;
} strset;

static int set_has(const strset *t, const char *s) {
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->s[i], s) == 0) return 1;
    return 0;
}

static void set_add(strset *t, const char *s) {
    if (set_has(t, s)) return;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->s = realloc(t->s, sizeof(char *) * (size_t)t->cap);
    }
    t->s[t->n++] = strdup(s);
}

static void set_free(strset *t) {
    for (int i = 0; i < t->n; i++) free(t->s[i]);
    free(t->s);
    memset(t, 0, sizeof *t);
}

/* Adds the words of s to w. */
static void add_words(strset *w, const char *s) {
    char word[64];
    int n = 0;
    for (const char *p = s;; p++) {
        if (*p && (isalpha((unsigned char)*p) || *p == '-')) {
            if (n < 63) word[n++] = *p;
        } else {
            if (n) word[n] = 0, set_add(w, word);
            n = 0;
            if (!*p) break;
        }
    }
}

/* Whether s has a word outside w. */
static int has_new_word(const strset *w, const char *s) {
    strset mine = {0};
    add_words(&mine, s);
    int found = 0;
    for (int i = 0; i < mine.n && !found; i++) found = !set_has(w, mine.s[i]);
    set_free(&mine);
    return found;
}

static motion_params params_for(int set, uint64_t seed) {
    motion_params p = motion_params_default();
    p.seconds = 6;
    p.speed = set % 3 == 0 ? 0.6f : set % 3 == 1 ? 1.0f : 1.6f;
    p.amplitude = set % 2 == 0 ? 0.6f : 1.4f;
    p.side = set % 2 ? MOTION_LEFT : MOTION_RIGHT;
    p.turn = set == 3 ? 1.2f : set == 4 ? 6.3f : set == 5 ? -1.57f : 0.0f;
    p.seed = seed;
    return p;
}

static void test_heldout_phrasings(void) {
    int disjoint_all = 1, new_word_all = 1, same_unsplit = 1, ok_all = 1, test_varies = 1;
    printf("held-out phrasing per action (test split, seed 0):\n");
    for (int a = 0; a < motion_action_count(); a++) {
        strset tr = {0}, te = {0}, trw = {0};
        char buf[MOTION_CAPTION_MAX], one[MOTION_CAPTION_MAX];
        for (int set = 0; set < 6; set++)
            for (uint64_t seed = 0; seed < 40; seed++) {
                motion_params p = params_for(set, seed);
                if (motion_caption_motion_split(buf, sizeof buf, a, &p, seed, MOTION_SPLIT_TRAIN) != MOSA_OK) ok_all = 0;
                set_add(&tr, buf);
                add_words(&trw, buf);
                if (motion_caption_motion_split(buf, sizeof buf, a, &p, seed, MOTION_SPLIT_TEST) != MOSA_OK) ok_all = 0;
                set_add(&te, buf);
                if (motion_caption_motion_split(buf, sizeof buf, a, &p, seed, -1) != MOSA_OK ||
                    motion_caption_motion(one, sizeof one, a, &p, seed) != MOSA_OK || strcmp(buf, one) != 0)
                    same_unsplit = 0;
            }
        int dis = 1, nw = 1;
        for (int i = 0; i < te.n; i++) {
            if (set_has(&tr, te.s[i])) dis = 0;
            if (!has_new_word(&trw, te.s[i])) {
                if (nw) printf("  %s: test caption with only training words: \"%s\"\n", motion_action_name(a), te.s[i]);
                nw = 0;
            }
        }
        if (!dis) printf("  %s: a test caption equals a train caption\n", motion_action_name(a));
        if (te.n < 3) test_varies = 0;
        disjoint_all &= dis;
        new_word_all &= nw;
        motion_params p0 = params_for(1, 0);
        motion_caption_motion_split(buf, sizeof buf, a, &p0, 0, MOTION_SPLIT_TEST);
        printf("  %-14s %s\n", motion_action_name(a), buf);
        set_free(&tr);
        set_free(&te);
        set_free(&trw);
    }
    TEST_COND("every split caption is made", ok_all);
    TEST_COND("test-split captions never equal a train-split caption (every action, 240 draws)", disjoint_all);
    TEST_COND("every test-split caption has a word no train caption of its action has", new_word_all);
    TEST_COND("split -1 is exactly motion_caption_motion", same_unsplit);
    TEST_COND("test captions still vary (subjects, adverbs, paths)", test_varies);

    /* sequences */
    strset tr = {0}, te = {0};
    int seq_ok = 1, seq_same = 1;
    for (uint64_t seed = 0; seed < 150; seed++) {
        int acts[3] = {(int)(seed % 38), (int)((seed * 7 + 3) % 38), (int)((seed * 13 + 5) % 38)};
        motion_params ps[3] = {params_for((int)seed % 6, seed), params_for((int)(seed + 1) % 6, seed + 1),
                               params_for((int)(seed + 2) % 6, seed + 2)};
        char buf[MOTION_CAPTION_SEQ_MAX], one[MOTION_CAPTION_SEQ_MAX];
        for (int n = 2; n <= 3; n++) {
            if (motion_sequence_caption_motion_split(buf, sizeof buf, acts, ps, n, seed, MOTION_SPLIT_TRAIN) != MOSA_OK)
                seq_ok = 0;
            set_add(&tr, buf);
            if (motion_sequence_caption_motion_split(buf, sizeof buf, acts, ps, n, seed, MOTION_SPLIT_TEST) != MOSA_OK)
                seq_ok = 0;
            set_add(&te, buf);
            if (motion_sequence_caption_motion_split(buf, sizeof buf, acts, ps, n, seed, -1) != MOSA_OK ||
                motion_sequence_caption_motion(one, sizeof one, acts, ps, n, seed) != MOSA_OK || strcmp(buf, one) != 0)
                seq_same = 0;
        }
    }
    int seq_dis = 1;
    for (int i = 0; i < te.n; i++)
        if (set_has(&tr, te.s[i])) seq_dis = 0;
    TEST_COND("sequence split captions are made", seq_ok);
    TEST_COND("sequence test captions never equal train ones", seq_dis);
    TEST_COND("sequence split -1 is exactly the unsplit caption", seq_same);
    set_free(&tr);
    set_free(&te);
    char b[64];
    motion_params p = motion_params_default();
    TEST_COND("split 2 refused", motion_caption_motion_split(b, sizeof b, 0, &p, 0, 2) == MOSA_ERR_ARG);
}

/* ---- procedural corpus ---- */

static int item_ok(const motion_item *it) {
    if (!it->feat || it->T < 1 || it->T > 196 || it->ncap < 1 || it->ncap > MOTION_CORPUS_CAPTIONS) return 0;
    if (it->action < -1 || it->action >= motion_action_count()) return 0;
    for (long k = 0; k < (long)it->T * MOTION_FEAT; k++)
        if (!isfinite(it->feat[k])) return 0;
    for (int k = 0; k < it->ncap; k++) {
        const char *s = it->caption[k];
        size_t n = s ? strlen(s) : 0;
        if (n < 8 || !islower((unsigned char)s[0]) || s[n - 1] != '.') return 0;
        for (const char *q = s; *q; q++)
            if (isupper((unsigned char)*q)) return 0;
    }
    return 1;
}

static int corpus_equal(const motion_corpus *a, const motion_corpus *b) {
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++) {
        const motion_item *x = &a->items[i], *y = &b->items[i];
        if (x->T != y->T || x->action != y->action || x->ncap != y->ncap) return 0;
        if (memcmp(x->feat, y->feat, sizeof(float) * (size_t)x->T * MOTION_FEAT) != 0) return 0;
        for (int k = 0; k < x->ncap; k++)
            if (strcmp(x->caption[k], y->caption[k]) != 0) return 0;
    }
    return 1;
}

static void test_procedural(void) {
    motion_corpus_options o = motion_corpus_options_default(48, 11, MOTION_SPLIT_TRAIN);
    motion_corpus c1, c2, c3, te;
    mosa_set_threads(1);
    TEST_COND("build (1 thread)", motion_corpus_procedural(&c1, &o) == MOSA_OK);
    mosa_set_threads(2);
    TEST_COND("build (2 threads)", motion_corpus_procedural(&c2, &o) == MOSA_OK);
    TEST_COND("build again", motion_corpus_procedural(&c3, &o) == MOSA_OK);
    TEST_COND("1 and 2 threads give the same corpus", corpus_equal(&c1, &c2));
    TEST_COND("same options, same corpus", corpus_equal(&c2, &c3));
    int ok = 1, seqs = 0, capn = 0, minT = 1000, maxT = 0;
    for (int i = 0; i < c1.n; i++) {
        if (!item_ok(&c1.items[i])) ok = 0, printf("bad item %d\n", i);
        seqs += c1.items[i].action < 0;
        capn += c1.items[i].ncap;
        if (c1.items[i].T < minT) minT = c1.items[i].T;
        if (c1.items[i].T > maxT) maxT = c1.items[i].T;
    }
    TEST_COND("items well formed", ok && c1.n == 48);
    TEST_COND("some sequences and some single actions", seqs >= 4 && seqs <= 30);
    TEST_COND("clip lengths spread over the range", minT < 100 && maxT > 120);
    TEST_COND("mostly several captions per item", capn >= 2 * c1.n);
    printf("48 items: %d sequences, %.2f captions each, rows %d..%d; item 0: \"%s\"\n", seqs, (double)capn / c1.n, minT,
           maxT, c1.items[0].caption[0]);

    o.split = MOTION_SPLIT_TEST;
    TEST_COND("test split", motion_corpus_procedural(&te, &o) == MOSA_OK);
    int same_motion = 0, shared_caption = 0;
    for (int i = 0; i < te.n; i++) {
        if (te.items[i].T == c1.items[i].T &&
            memcmp(te.items[i].feat, c1.items[i].feat, sizeof(float) * (size_t)te.items[i].T * MOTION_FEAT) == 0)
            same_motion++;
        for (int k = 0; k < te.items[i].ncap; k++)
            for (int j = 0; j < c1.n; j++)
                for (int l = 0; l < c1.items[j].ncap; l++)
                    if (strcmp(te.items[i].caption[k], c1.items[j].caption[l]) == 0) shared_caption++;
    }
    TEST_COND("train and test draw different motions (same seed)", same_motion == 0);
    TEST_COND("train and test share no caption", shared_caption == 0);
    printf("test item 0: \"%s\"\n", te.items[0].caption[0]);

    float mean[MOTION_FEAT], std[MOTION_FEAT], m2[MOTION_FEAT], s2[MOTION_FEAT];
    TEST_COND("mean/std", motion_corpus_mean_std(&c1, mean, std) == MOSA_OK);
    int fin = 1;
    for (int k = 0; k < MOTION_FEAT; k++)
        if (!isfinite(mean[k]) || !(std[k] > 0)) fin = 0;
    TEST_COND("mean finite, std positive", fin);
    const float *feats[48];
    int lens[48];
    for (int i = 0; i < c1.n; i++) feats[i] = c1.items[i].feat, lens[i] = c1.items[i].T;
    hml_mean_std(m2, s2, feats, lens, c1.n);
    TEST_CLOSE("mean is hml_mean_std's", mean, m2, MOTION_FEAT, 1e-6, 1e-6);
    TEST_COND("feature bias 5 on the root dims", fabsf(std[0] * 5 - s2[0]) <= 1e-5f * s2[0] || s2[0] == 0);
    TEST_COND("no bias on RIC", std[10] == s2[10] || s2[10] == 0);

    /* bad options */
    motion_corpus bad;
    motion_corpus_options b = o;
    b.n = 0;
    TEST_COND("0 items refused", motion_corpus_procedural(&bad, &b) == MOSA_ERR_ARG);
    b = o, b.split = 3;
    TEST_COND("unknown split refused", motion_corpus_procedural(&bad, &b) == MOSA_ERR_ARG);
    b = o, b.max_seconds = 30;
    TEST_COND("clips over 196 rows refused", motion_corpus_procedural(&bad, &b) == MOSA_ERR_ARG);
    b = o, b.sequence_share = NAN;
    TEST_COND("NaN share refused", motion_corpus_procedural(&bad, &b) == MOSA_ERR_ARG);
    TEST_COND("mean/std of an empty corpus refused", motion_corpus_mean_std(&bad, mean, std) == MOSA_ERR_ARG);

    /* speed */
    motion_corpus sp;
    motion_corpus_options so = motion_corpus_options_default(400, 5, MOTION_SPLIT_TRAIN);
    double t0 = time_now();
    TEST_COND("400 items", motion_corpus_procedural(&sp, &so) == MOSA_OK);
    double dt = time_now() - t0;
    printf("speed: 400 items in %.2f s = %.0f items/s on %d threads (20,000 items: about %.0f s)\n", dt, 400 / dt,
           threads_get(), 20000 * dt / 400);
    motion_corpus_free(&sp);
    motion_corpus_free(&c1);
    motion_corpus_free(&c2);
    motion_corpus_free(&c3);
    motion_corpus_free(&te);
}

/* ---- HumanML3D directory ---- */

static float *vecs_of(int T, float base) {
    float *v = malloc(sizeof(float) * (size_t)T * 263);
    for (int i = 0; i < T * 263; i++) v[i] = base + 0.01f * (float)(i % 263) + 0.001f * (float)(i / 263);
    return v;
}

static void test_humanml3d_dir(void) {
    char root[] = "/tmp/mosa_test_corpus_XXXXXX";
    if (!mkdtemp(root)) {
        TEST_COND("temporary directory", 0);
        return;
    }
    float *v0 = vecs_of(80, 0), *v1 = vecs_of(30, 1), *v2 = vecs_of(250, 2);
    hml_text t0[4] = {{"A person walks forward.", NULL, 0, 0},
                      {"someone takes a few steps", NULL, 0, 0},
                      {"the person raises an arm", NULL, 0.5f, 3.0f},
                      {"a man lifts his hand", NULL, 0.5f, 3.0f}};
    hml_text t1[1] = {{"a short clip", NULL, 0, 0}};
    hml_text t2[2] = {{"a long clip", NULL, 0, 0}, {"the middle of a long clip", NULL, 2.0f, 6.0f}};
    hml_motion m0 = {.id = "000000", .T_vecs = 80, .vecs = v0, .n_texts = 4, .texts = t0};
    hml_motion m1 = {.id = "000001", .T_vecs = 30, .vecs = v1, .n_texts = 1, .texts = t1};
    hml_motion m2 = {.id = "000002", .T_vecs = 250, .vecs = v2, .n_texts = 2, .texts = t2};
    TEST_COND("write motions", hml_motion_write(root, &m0) == MOSA_OK && hml_motion_write(root, &m1) == MOSA_OK &&
                                   hml_motion_write(root, &m2) == MOSA_OK);
    char *ids[4] = {"000000", "000001", "000002", "000003"};
    TEST_COND("write splits", hml_split_write(root, "train", ids, 3) == MOSA_OK && hml_split_write(root, "test", ids, 4) == MOSA_OK);
    motion_corpus c;
    TEST_COND("load train", motion_corpus_humanml3d(&c, root, "train") == MOSA_OK);
    /* 000000: whole clip (2 captions) + rows 10..60 (2 captions); 000001 too short; 000002 too
     * long as a whole, its rows 40..120 kept */
    TEST_COND("three items", c.n == 3);
    if (c.n == 3) {
        TEST_COND("whole clip: 80 rows, 2 captions, lower case", c.items[0].T == 80 && c.items[0].ncap == 2 &&
                                                                    strcmp(c.items[0].caption[0], "a person walks forward.") == 0);
        TEST_COND("sub-range: rows 10..60", c.items[1].T == 50 && c.items[1].ncap == 2 && c.items[1].feat[0] == v0[10 * 263]);
        TEST_COND("long clip's sub-range: rows 40..120", c.items[2].T == 80 && c.items[2].feat[5] == v2[40 * 263 + 5] &&
                                                             strcmp(c.items[2].caption[0], "the middle of a long clip") == 0);
        TEST_COND("action is -1", c.items[0].action == -1);
    }
    float mean[263], std[263];
    TEST_COND("mean/std of a HumanML3D corpus", motion_corpus_mean_std(&c, mean, std) == MOSA_OK);
    motion_corpus_free(&c);
    mosa_status st = motion_corpus_humanml3d(&c, root, "test");
    TEST_COND("a missing motion is an error", st != MOSA_OK && c.n == 0 && c.items == NULL);
    TEST_COND("the error names it", strstr(mosa_last_error(), "000003") != NULL);
    printf("missing file: %s\n", mosa_last_error());
    TEST_COND("a missing split is an error", motion_corpus_humanml3d(&c, root, "val") != MOSA_OK);
    TEST_COND("a missing directory is an error", motion_corpus_humanml3d(&c, "/nonexistent/hml", "train") != MOSA_OK);
    free(v0), free(v1), free(v2);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    TEST_COND("cleanup", system(cmd) == 0);
}

int main(void) {
    test_heldout_phrasings();
    test_procedural();
    test_humanml3d_dir();
    return test_report();
}
