/* test_captions.c: captions of the motion library: several different, well-formed sentences
 * per motion (no unfilled slots, one lower-case sentence ending with a period), deterministic
 * per seed, the side named correctly (left and right captions are mirror images word for
 * word), counts, adverbs and paths that match the parameters, at least 5 verb phrasings per
 * action, motion-only descriptions without appearance words, and sequence captions joined with
 * "then" / "after that". Prints one caption per action. */
#include "../src/motion/captions.h"
#include "test.h"

#include <ctype.h>
#include <string.h>

/* A well-formed caption: lower case start, no slots or markers left, no double spaces or
 * stray punctuation, exactly one final period (or two sentences for "after that"). */
static int well_formed(const char *s) {
    size_t n = strlen(s);
    if (n < 8 || n >= MOTION_CAPTION_SEQ_MAX) return 0;
    if (!islower((unsigned char)s[0])) return 0;
    if (s[n - 1] != '.') return 0;
    if (strpbrk(s, "{}^")) return 0;
    if (strstr(s, "  ") || strstr(s, " ,") || strstr(s, " .") || strstr(s, ",,") || strstr(s, "..")) return 0;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || *p == ' ' || *p == ',' || *p == '.' || *p == '-' || isdigit((unsigned char)*p)))
            return 0;
    return 1;
}

/* Whether the word w starts at p (whole word). */
static int word_at(const char *s, const char *p, const char *w) {
    size_t n = strlen(w);
    return strncmp(p, w, n) == 0 && (p == s || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[n]);
}

/* Swaps the words "left" and "right" (and the turning senses). */
static void swap_sides(char *dst, const char *src, size_t cap) {
    size_t o = 0;
    for (const char *p = src; *p && o + 17 < cap;) {
        if (word_at(src, p, "left")) memcpy(dst + o, "right", 5), o += 5, p += 4;
        else if (word_at(src, p, "right")) memcpy(dst + o, "left", 4), o += 4, p += 5;
        else if (word_at(src, p, "counterclockwise")) memcpy(dst + o, "clockwise", 9), o += 9, p += 16;
        else if (word_at(src, p, "clockwise")) memcpy(dst + o, "counterclockwise", 16), o += 16, p += 9;
        else dst[o++] = *p++;
    }
    dst[o] = 0;
}

static int any_contains(char **caps, int n, const char *const *words) {
    for (int i = 0; i < n; i++)
        for (int w = 0; words[w]; w++)
            if (strstr(caps[i], words[w])) return 1;
    return 0;
}

static void free_all(char **caps, int n) {
    for (int i = 0; i < n; i++) mosa_free(caps[i]);
}

static void test_each_action(void) {
    printf("one caption per action (default parameters, seed 3):\n");
    for (int a = 0; a < motion_action_count(); a++) {
        const char *name = motion_action_name(a);
        char what[160];
        unsigned fl = motion_action_flags(a);
        snprintf(what, sizeof what, "%s: at least 5 verb phrasings", name);
        TEST_COND(what, motion_caption_phrasings(a) >= 5);
        int formed = 1, distinct = 1, enough = 1, det = 1, seeds_differ = 0, mirror = 1, names_side = 0;
        /* distinct verb phrases produced across seeds: the caption minus its subject */
        char seen[64][96];
        int nseen = 0;
        for (int set = 0; set < 3; set++)
            for (uint64_t seed = 0; seed < 6; seed++) {
                motion_params p = motion_params_default();
                p.seconds = 6;
                p.speed = set == 0 ? 0.6f : set == 1 ? 1.0f : 1.6f;
                p.amplitude = set == 0 ? 0.6f : set == 1 ? 1.0f : 1.4f;
                p.seed = seed + 10;
                char *c[8], *d[8];
                int n = motion_captions(c, 8, a, &p, seed);
                int n2 = motion_captions(d, 8, a, &p, seed);
                if (n < 5) enough = 0;
                if (n != n2) det = 0;
                for (int i = 0; i < n && i < n2; i++)
                    if (strcmp(c[i], d[i]) != 0) det = 0;
                for (int i = 0; i < n; i++) {
                    if (!well_formed(c[i])) {
                        if (formed) printf("  malformed: \"%s\"\n", c[i]);
                        formed = 0;
                    }
                    for (int k = 0; k < i; k++)
                        if (strcmp(c[i], c[k]) == 0) distinct = 0;
                    const char *sp = strchr(c[i], ' ');
                    const char *vp = sp ? sp + 1 : c[i];
                    if (strncmp(c[i], "a ", 2) == 0 || strncmp(c[i], "the ", 4) == 0) vp = strchr(vp, ' ') ? strchr(vp, ' ') + 1 : vp;
                    if (strncmp(vp, "is ", 3) == 0) continue;
                    char key[96];
                    snprintf(key, sizeof key, "%.*s", (int)strcspn(vp, " ,."), vp);
                    int found = 0;
                    for (int k = 0; k < nseen && !found; k++) found = strcmp(seen[k], key) == 0;
                    if (!found && nseen < 64) snprintf(seen[nseen++], sizeof seen[0], "%s", key);
                }
                char *e[8];
                int n3 = motion_captions(e, 8, a, &p, seed + 1000);
                for (int i = 0; i < n3 && i < n; i++)
                    if (strcmp(e[i], c[i]) != 0) seeds_differ = 1;
                /* the side: left captions are right captions with the words swapped */
                if (fl & MOTION_F_SIDED) {
                    motion_params q = p;
                    q.side = MOTION_LEFT;
                    char *l[8];
                    p.side = MOTION_RIGHT;
                    char *r[8];
                    int nl = motion_captions(l, 8, a, &q, seed), nr = motion_captions(r, 8, a, &p, seed);
                    if (nl != nr) mirror = 0;
                    for (int i = 0; i < nl && i < nr; i++) {
                        char sw[MOTION_CAPTION_SEQ_MAX];
                        swap_sides(sw, r[i], sizeof sw);
                        if (strcmp(sw, l[i]) != 0) {
                            if (mirror) printf("  not mirrored: \"%s\" vs \"%s\"\n", l[i], r[i]);
                            mirror = 0;
                        }
                        for (const char *w = l[i]; *w; w++)
                            if (word_at(l[i], w, "left")) names_side = 1;
                    }
                    free_all(l, nl), free_all(r, nr);
                }
                free_all(c, n), free_all(d, n2), free_all(e, n3);
            }
        snprintf(what, sizeof what, "%s: captions well formed (no unfilled slots)", name);
        TEST_COND(what, formed);
        snprintf(what, sizeof what, "%s: captions differ from each other", name);
        TEST_COND(what, distinct);
        snprintf(what, sizeof what, "%s: 5 or more captions", name);
        TEST_COND(what, enough);
        snprintf(what, sizeof what, "%s: deterministic per seed", name);
        TEST_COND(what, det);
        snprintf(what, sizeof what, "%s: another seed, other captions", name);
        TEST_COND(what, seeds_differ);
        snprintf(what, sizeof what, "%s: at least 5 distinct verbs used (%d)", name, nseen);
        TEST_COND(what, nseen >= 5);
        if (fl & MOTION_F_SIDED) {
            snprintf(what, sizeof what, "%s: left/right captions mirror each other", name);
            TEST_COND(what, mirror);
            snprintf(what, sizeof what, "%s: the side is named", name);
            TEST_COND(what, names_side);
        }
        motion_params p = motion_params_default();
        char one[MOTION_CAPTION_MAX];
        TEST_COND("motion-only caption", motion_caption_motion(one, sizeof one, a, &p, 3) == MOSA_OK);
        printf("  %-14s %s\n", name, one);
        int neutral = (strncmp(one, "a person ", 9) == 0 || strncmp(one, "someone ", 8) == 0 ||
                       strncmp(one, "the person ", 11) == 0) &&
                      !strstr(one, " man") && !strstr(one, "woman") && !strstr(one, " his ") && !strstr(one, " her ") &&
                      !strstr(one, "figure");
        snprintf(what, sizeof what, "%s: motion-only caption has a neutral subject, no appearance", name);
        TEST_COND(what, neutral && well_formed(one));
    }
}

static void test_parameters(void) {
    char *c[8];
    motion_params p = motion_params_default();
    /* adverbs follow speed */
    p.speed = 0.5f;
    int n = motion_captions(c, 8, MOTION_WALK, &p, 1);
    TEST_COND("slow walk said to be slow", any_contains(c, n, (const char *const[]){"slow", "unhurried", NULL}));
    free_all(c, n);
    p.speed = 1.8f;
    n = motion_captions(c, 8, MOTION_WALK, &p, 1);
    TEST_COND("fast walk said to be fast", any_contains(c, n, (const char *const[]){"quick", "fast", "rapid", NULL}));
    TEST_COND("fast walk never said to be slow", !any_contains(c, n, (const char *const[]){"slow", NULL}));
    free_all(c, n);
    p = motion_params_default();
    p.amplitude = 1.5f;
    n = motion_captions(c, 8, MOTION_JUMPING_JACKS, &p, 2);
    TEST_COND("big jumping jacks are energetic", any_contains(c, n, (const char *const[]){"energetic", "vigorous", "big", NULL}));
    free_all(c, n);
    /* paths */
    p = motion_params_default();
    p.turn = 6.28f;
    n = motion_captions(c, 8, MOTION_WALK, &p, 4);
    TEST_COND("walk with a full turn: in a circle", any_contains(c, n, (const char *const[]){"circle", NULL}));
    free_all(c, n);
    p.turn = -1.2f;
    n = motion_captions(c, 8, MOTION_RUN, &p, 4);
    TEST_COND("run curving right", any_contains(c, n, (const char *const[]){"right", NULL}) &&
                                       !any_contains(c, n, (const char *const[]){"left", NULL}));
    free_all(c, n);
    p = motion_params_default();
    n = motion_captions(c, 8, MOTION_RUN, &p, 4);
    TEST_COND("straight run: forward or ahead", any_contains(c, n, (const char *const[]){"forward", "ahead", NULL}));
    free_all(c, n);
    /* counts agree with the generator */
    p = motion_params_default();
    p.seconds = 6;
    int reps = motion_action_reps(MOTION_JUMP, &p);
    const char *words[] = {"", "once", "twice", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
    n = motion_captions(c, 8, MOTION_JUMP, &p, 5);
    TEST_COND("jump count is said", reps >= 1 && reps <= 10 && any_contains(c, n, (const char *const[]){words[reps], NULL}));
    free_all(c, n);
    /* turning around by a quarter */
    p = motion_params_default();
    p.turn = -1.57f;
    n = motion_captions(c, 8, MOTION_TURN_AROUND, &p, 6);
    TEST_COND("quarter turn to the right", any_contains(c, n, (const char *const[]){"right", NULL}) &&
                                               !any_contains(c, n, (const char *const[]){"around", NULL}));
    free_all(c, n);
    /* errors */
    TEST_COND("unknown action", motion_captions(c, 8, -1, &p, 0) == -1);
    TEST_COND("NULL params", motion_captions(c, 8, MOTION_WALK, NULL, 0) == -1);
    char small[8];
    TEST_COND("buffer too small", motion_caption_motion(small, sizeof small, MOTION_WALK, &p, 0) == MOSA_ERR_ARG);
    TEST_COND("max 0 gives 0", motion_captions(c, 0, MOTION_WALK, &p, 0) == 0);
}

static void test_sequences(void) {
    int acts[3] = {MOTION_WALK, MOTION_JUMP, MOTION_WAVE};
    motion_params ps[3];
    for (int k = 0; k < 3; k++) ps[k] = motion_params_default();
    ps[2].side = MOTION_LEFT;
    char *c[6];
    int n = motion_sequence_captions(c, 6, acts, ps, 3, 9);
    TEST_COND("sequence: several captions", n >= 4);
    int ok = 1;
    for (int i = 0; i < n; i++) {
        int joins = 0;
        for (const char *p = c[i]; (p = strstr(p, "then")) != NULL; p += 4) joins++;
        for (const char *p = c[i]; (p = strstr(p, "after that")) != NULL; p += 10) joins++;
        if (joins != 2 || !well_formed(c[i])) ok = 0;
        if (i < 3) printf("  sequence: %s\n", c[i]);
    }
    TEST_COND("sequence: parts joined by then / after that, well formed", ok);
    TEST_COND("sequence: the wave is on the left", any_contains(c, n, (const char *const[]){"left", NULL}));
    free_all(c, n);
    /* sitting then walking: the inserted standing up is described */
    int acts2[2] = {MOTION_SIT_DOWN, MOTION_WALK};
    motion_params ps2[2] = {motion_params_default(), motion_params_default()};
    n = motion_sequence_captions(c, 4, acts2, ps2, 2, 1);
    TEST_COND("sit then walk: stands up in between",
              any_contains(c, n, (const char *const[]){"stand", "gets up", "rises", "get up", NULL}));
    free_all(c, n);
    char one[MOTION_CAPTION_SEQ_MAX];
    TEST_COND("sequence motion-only", motion_sequence_caption_motion(one, sizeof one, acts, ps, 3, 2) == MOSA_OK &&
                                          well_formed(one));
    printf("  sequence, motion only: %s\n", one);
}

/* The conjugated verbs of the templates, in both forms. */
static void test_verbs(void) {
    static char v[512][MOTION_VERB_MAX];
    int n = motion_caption_verbs(v, 512);
    int walks = 0, walking = 0, running = 0, dup = 0, jog = 0;
    for (int i = 0; i < n; i++) {
        walks |= !strcmp(v[i], "walks"), walking |= !strcmp(v[i], "walking"), running |= !strcmp(v[i], "running");
        jog |= !strcmp(v[i], "jog"); /* "does a light jog": a noun, not a '^' verb */
        for (int k = 0; k < i; k++) dup |= !strcmp(v[i], v[k]);
    }
    printf("  %d conjugated verb forms (%s %s %s ...)\n", n, v[0], v[1], v[2]);
    TEST_COND("caption verbs: both forms, distinct, no nouns", n > 80 && walks && walking && running && !dup && !jog);
    TEST_COND("caption verbs: max respected", motion_caption_verbs(v, 5) == 5);
}

int main(void) {
    test_each_action();
    test_verbs();
    test_parameters();
    test_sequences();
    return test_report();
}
