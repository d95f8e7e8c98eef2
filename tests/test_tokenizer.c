/* test_tokenizer.c: the tokenizer (src/text/tokenizer.h).
 *
 * Word splitting (case, punctuation, hyphens, inner apostrophes, UTF-8 letters, typographic
 * quotes, dashes and emoji as separators, U+2019 as an apostrophe), vocabulary building
 * (min_count, max_words, order by count then alphabet), serialize/parse round trip and hostile
 * vocabulary strings refused, BOS/EOS/PAD layout and truncation with EOS kept, errors for bad
 * arguments and invalid UTF-8. WordNet: with a vocabulary built from the training captions of a
 * procedural corpus (held-out phrasings excluded), out-of-vocabulary motion verbs ("sprints",
 * "strolls", "leaps", "applauds", ...) map to sensible vocabulary words (the table is printed;
 * docs/text.md has it), nonsense becomes UNK, every mapping is logged once, and tokenizing from
 * two threads at once gives the same ids as one thread. MOSA_TEST_BIG=1 also reports the
 * vocabulary size of a 20,000-item corpus. */
#include "../src/motion/corpus.h"
#include "../src/text/tokenizer.h"
#include "test.h"

#include <string.h>

typedef struct logrec {
    char from[64], to[64];
    int how, n;
} logrec;

typedef struct logbook {
    logrec r[64];
    int n;
} logbook;

static void logger(void *user, const char *from, const char *to, text_map_kind how) {
    logbook *b = (logbook *)user;
    if (b->n >= 64) return;
    snprintf(b->r[b->n].from, 64, "%s", from);
    snprintf(b->r[b->n].to, 64, "%s", to ? to : "<unk>");
    b->r[b->n].how = (int)how;
    b->n++;
}

static const char *how_name(int h) {
    return h < 0 ? "in vocabulary" : text_map_kind_name((text_map_kind)h);
}

/* The words of text as the tokenizer sees them, joined by '|', via a vocabulary of those words. */
static void test_splitting(void) {
    const char *texts[] = {"A man's LEFT-hand waves, twice!! (2 times)", "walk walk walk run run jump", "café naïve"};
    text_vocab *v = NULL;
    TEST_COND("build", text_vocab_build(&v, texts, 3, 1, 0) == MOSA_OK);
    TEST_COND("specials", text_vocab_size(v) >= TEXT_SPECIALS && strcmp(text_vocab_word(v, TEXT_PAD), "<pad>") == 0 &&
                              strcmp(text_vocab_word(v, TEXT_UNK), "<unk>") == 0 &&
                              strcmp(text_vocab_word(v, TEXT_BOS), "<bos>") == 0 &&
                              strcmp(text_vocab_word(v, TEXT_EOS), "<eos>") == 0);
    TEST_COND("most frequent first", text_vocab_find(v, "walk") == TEXT_SPECIALS && text_vocab_find(v, "run") == TEXT_SPECIALS + 1);
    TEST_COND("lower case, inner apostrophe kept", text_vocab_find(v, "man's") > 0 && text_vocab_find(v, "man") < 0);
    TEST_COND("hyphen splits", text_vocab_find(v, "left") > 0 && text_vocab_find(v, "hand") > 0);
    TEST_COND("digits are words", text_vocab_find(v, "2") > 0);
    TEST_COND("UTF-8 letters stay in words", text_vocab_find(v, "café") > 0 && text_vocab_find(v, "naïve") > 0);
    TEST_COND("no punctuation words", text_vocab_find(v, "!!") < 0 && text_vocab_find(v, "(2") < 0);
    TEST_COND("specials are not words", text_vocab_find(v, "<pad>") < 0 && text_vocab_size(v) == TEXT_SPECIALS + 13);
    TEST_COND("out of range id", text_vocab_word(v, -1) == NULL && text_vocab_word(v, text_vocab_size(v)) == NULL);
    /* equal counts: alphabetical */
    int a = text_vocab_find(v, "a"), ca = text_vocab_find(v, "café");
    TEST_COND("ties broken alphabetically", a >= 0 && ca > a);

    int32_t ids[12];
    int n = text_tokenize(v, "Walk, run... JUMP", ids, 12, NULL, NULL);
    TEST_COND("BOS words EOS PAD", n == 5 && ids[0] == TEXT_BOS && ids[1] == text_vocab_find(v, "walk") &&
                                       ids[2] == text_vocab_find(v, "run") && ids[3] == text_vocab_find(v, "jump") &&
                                       ids[4] == TEXT_EOS && ids[5] == TEXT_PAD && ids[11] == TEXT_PAD);
    int32_t q[12];
    n = text_tokenize(v, "\xE2\x80\x9CWalk\xE2\x80\x9D\xE2\x80\x94run\xE2\x80\xA6 jump \xF0\x9F\x99\x82 \xC2\xABjump\xC2\xBB", q, 12, NULL, NULL);
    TEST_COND("typographic quotes, dashes, ellipsis, emoji, guillemets separate",
              n == 6 && q[1] == ids[1] && q[2] == ids[2] && q[3] == ids[3] && q[4] == ids[3]);
    n = text_tokenize(v, "A MAN\xE2\x80\x99S walk", q, 12, NULL, NULL);
    TEST_COND("a typographic apostrophe inside a word is '", n == 5 && q[1] == text_vocab_find(v, "a") &&
                                                             q[2] == text_vocab_find(v, "man's"));
    n = text_tokenize(v, "", ids, 12, NULL, NULL);
    TEST_COND("empty text: BOS EOS", n == 2 && ids[0] == TEXT_BOS && ids[1] == TEXT_EOS && ids[2] == TEXT_PAD);
    char longtext[4000] = "";
    for (int i = 0; i < 300; i++) strcat(longtext, i % 2 ? "run " : "walk ");
    int32_t big[16];
    n = text_tokenize(v, longtext, big, 16, NULL, NULL);
    TEST_COND("long text cut to max_len with EOS kept", n == 16 && big[0] == TEXT_BOS && big[15] == TEXT_EOS &&
                                                          big[14] == text_vocab_find(v, "run"));
    n = text_tokenize(v, longtext, big, 2, NULL, NULL);
    TEST_COND("max_len 2: BOS EOS", n == 2 && big[0] == TEXT_BOS && big[1] == TEXT_EOS);
    TEST_COND("max_len 1 refused", text_tokenize(v, "walk", big, 1, NULL, NULL) == -1);
    TEST_COND("NULL text refused", text_tokenize(v, NULL, big, 8, NULL, NULL) == -1);
    TEST_COND("invalid UTF-8 refused", text_tokenize(v, "walk \xC3\x28 run", big, 8, NULL, NULL) == -1);
    TEST_COND("overlong UTF-8 refused", text_tokenize(v, "\xC0\xAF", big, 8, NULL, NULL) == -1);
    char huge[200];
    memset(huge, 'w', 120);
    huge[120] = 0;
    logbook lb = {0};
    n = text_tokenize(v, huge, big, 8, logger, &lb);
    TEST_COND("a word over 47 bytes is UNK and logged", n == 3 && big[1] == TEXT_UNK && lb.n == 1 && lb.r[0].how == TEXT_MAP_UNKNOWN);

    /* round trip */
    char *s = NULL;
    TEST_COND("serialize", text_vocab_serialize(v, &s) == MOSA_OK && s);
    text_vocab *w = NULL;
    TEST_COND("parse", text_vocab_parse(&w, s) == MOSA_OK);
    int same = text_vocab_size(w) == text_vocab_size(v);
    for (int i = 0; same && i < text_vocab_size(v); i++) same = strcmp(text_vocab_word(v, i), text_vocab_word(w, i)) == 0;
    TEST_COND("round trip keeps every id", same);
    char *s2 = NULL;
    TEST_COND("serialize again: same string", text_vocab_serialize(w, &s2) == MOSA_OK && strcmp(s, s2) == 0);
    printf("vocabulary string: \"%s\"\n", s);
    mosa_free(s), mosa_free(s2);
    text_vocab_free(w);

    /* min_count and max_words */
    TEST_COND("min_count 2", text_vocab_build(&w, texts, 3, 2, 0) == MOSA_OK && text_vocab_size(w) == TEXT_SPECIALS + 2);
    text_vocab_free(w);
    TEST_COND("max_words 1", text_vocab_build(&w, texts, 3, 1, 1) == MOSA_OK && text_vocab_size(w) == TEXT_SPECIALS + 1 &&
                                 text_vocab_find(w, "walk") == TEXT_SPECIALS);
    text_vocab_free(w);
    const char *bad_utf8[] = {"ok \xFF"};
    TEST_COND("build refuses invalid UTF-8", text_vocab_build(&w, bad_utf8, 1, 1, 0) == MOSA_ERR_ARG && w == NULL);
    text_vocab_free(v);

    /* hostile vocabulary strings */
    const char *hostile[] = {"walk walk", "walk  run", " walk", "walk ", "Walk", "<unk>", "walk\trun", "walk\nrun",
                             "'walk", "walk'", "wa''lk", "wa-lk", "walk,", "\xC3\x28", "\xC0\xAF", "walk\xE2\x80\x94run", "\xE2\x80\x9Cwalk", "man\xE2\x80\x99s", NULL};
    int refused = 1;
    for (int i = 0; hostile[i]; i++) {
        text_vocab *h = NULL;
        if (text_vocab_parse(&h, hostile[i]) != MOSA_ERR_ARG || h) {
            printf("FAIL: hostile vocabulary accepted: \"%s\"\n", hostile[i]);
            refused = 0;
            text_vocab_free(h);
        }
    }
    TEST_COND("hostile vocabulary strings refused", refused);
    char overlong[100];
    memset(overlong, 'a', 60);
    overlong[60] = 0;
    TEST_COND("a 60-byte word refused", text_vocab_parse(&w, overlong) == MOSA_ERR_ARG && w == NULL);
    TEST_COND("NULL refused", text_vocab_parse(&w, NULL) == MOSA_ERR_ARG);
    TEST_COND("empty string: specials only", text_vocab_parse(&w, "") == MOSA_OK && text_vocab_size(w) == TEXT_SPECIALS);
    text_vocab_free(w);
    TEST_COND("valid words accepted", text_vocab_parse(&w, "walk can't 2 café") == MOSA_OK && text_vocab_size(w) == 8 &&
                                          text_vocab_find(w, "can't") == 5);
    text_vocab_free(w);

    /* direct-only words: read when written, never the reading of another word */
    {
        text_vocab *pa = NULL, *d = NULL, *d2 = NULL;
        int32_t dids[8];
        char *ser = NULL;
        TEST_COND("a '+' word parses as direct-only", text_vocab_parse(&pa, "runs walks") == MOSA_OK &&
                                                          text_vocab_parse(&d, "+runs walks") == MOSA_OK &&
                                                          text_vocab_is_direct(d, TEXT_SPECIALS) &&
                                                          !text_vocab_is_direct(d, TEXT_SPECIALS + 1) &&
                                                          !text_vocab_is_direct(pa, TEXT_SPECIALS));
        int na = pa ? text_tokenize(pa, "sprints", dids, 8, NULL, NULL) : 0;
        const int sprint_a = na == 3 ? dids[1] : -1;
        int nd = d ? text_tokenize(d, "sprints", dids, 8, NULL, NULL) : 0;
        const int sprint_d = nd == 3 ? dids[1] : -1;
        TEST_COND("an unknown word is read as a plain word ('sprints' -> 'runs') but not as a direct-only one",
                  sprint_a == TEXT_SPECIALS && nd == 3 && sprint_d != TEXT_SPECIALS);
        nd = d ? text_tokenize(d, "runs", dids, 8, NULL, NULL) : 0;
        TEST_COND("a direct-only word is read when written", nd == 3 && dids[1] == TEXT_SPECIALS);
        TEST_COND("serialized with its '+', parsed back the same",
                  d && text_vocab_serialize(d, &ser) == MOSA_OK && !strcmp(ser, "+runs walks") &&
                      text_vocab_parse(&d2, ser) == MOSA_OK && text_vocab_is_direct(d2, TEXT_SPECIALS));
        TEST_COND("marking after the vocabulary has read text refused", d && text_vocab_set_direct(d, TEXT_SPECIALS + 1) == MOSA_ERR_ARG);
        TEST_COND("marking a special refused", d2 && text_vocab_set_direct(d2, TEXT_UNK) == MOSA_ERR_ARG);
        text_vocab *h = NULL;
        TEST_COND("'+' alone or doubled refused", text_vocab_parse(&h, "+ walks") == MOSA_ERR_ARG && !h &&
                                                      text_vocab_parse(&h, "++walks") == MOSA_ERR_ARG && !h);
        mosa_free(ser);
        text_vocab_free(pa), text_vocab_free(d), text_vocab_free(d2);
    }
}

/* Builds a vocabulary from the captions of a training corpus of n items. */
static text_vocab *corpus_vocab(int n, int *ncaps) {
    motion_corpus c;
    motion_corpus_options o = motion_corpus_options_default(n, 1, MOTION_SPLIT_TRAIN);
    if (motion_corpus_procedural(&c, &o) != MOSA_OK) return NULL;
    long rows = 0;
    for (int i = 0; i < c.n; i++) rows += c.items[i].T;
    printf("corpus of %d items: %ld feature rows (mean %.1f), %.0f MB of features\n", n, rows, (double)rows / n,
           (double)rows * MOTION_FEAT * 4 / 1e6);
    const char **caps = malloc(sizeof(char *) * (size_t)n * MOTION_CORPUS_CAPTIONS);
    int k = 0;
    for (int i = 0; i < c.n; i++)
        for (int j = 0; j < c.items[i].ncap; j++) caps[k++] = c.items[i].caption[j];
    text_vocab *v = NULL;
    if (text_vocab_build(&v, caps, k, 1, 0) != MOSA_OK) v = NULL;
    free(caps);
    motion_corpus_free(&c);
    *ncaps = k;
    return v;
}

/* What a word became: the vocabulary word (or "<unk>"), or the words of a definition reading
 * joined by spaces, and how. Not reentrant (one static buffer). */
static const char *mapped(const text_vocab *v, const char *word, int *how) {
    static char out[256];
    int32_t ids[8];
    logbook lb = {0};
    *how = -1;
    int n = text_tokenize(v, word, ids, 8, logger, &lb);
    if (n < 3) return "(error)";
    *how = lb.n ? lb.r[0].how : -1; /* -1: in the vocabulary */
    size_t k = 0;
    out[0] = 0;
    for (int i = 1; i < n - 1; i++) k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", i > 1 ? " " : "", text_vocab_word(v, ids[i]));
    return out;
}

static int one_of(const char *w, const char *const *ok) {
    for (int i = 0; ok[i]; i++)
        if (strcmp(w, ok[i]) == 0) return 1;
    return 0;
}

static void test_wordnet(void) {
    int ncaps = 0;
    text_vocab *v = corpus_vocab(2000, &ncaps);
    TEST_COND("vocabulary from 2000 training items", v != NULL);
    if (!v) printf("error: %s\n", mosa_last_error());
    if (!v) return;
    printf("vocabulary of 2000 training items (%d captions): %d ids\n", ncaps, text_vocab_size(v));
    TEST_COND("held-out verbs are not in the training vocabulary",
              text_vocab_find(v, "sprints") < 0 && text_vocab_find(v, "strolls") < 0 && text_vocab_find(v, "applauds") < 0);
    struct {
        const char *word;
        const char *ok[8];
    } cases[] = {
        {"sprints", {"runs", "run", "races", "dashes", "running", "run fast", NULL}}, /* "run very fast, usually..." */
        {"sprinted", {"runs", "run", "races", "dashes", "running", "run fast", NULL}},
        {"strolls", {"walks", "walk", "walking", "paces", NULL}},
        {"ambles", {"walks", "walk", "walking", "paces", NULL}},
        {"leaps", {"jumps", NULL}},   /* the inflection kept: not the bare "jump", a noun in captions */
        {"leaped", {"jumps", NULL}},  /* past -> the captions' present */
        {"leaping", {"jumping", NULL}},
        {"jogs", {"jogs", "jog", NULL}},
        {"jogged", {"jogs", "jog", "jogging", NULL}},
        {"hops", {"hops", "hop", NULL}},
        {"dashes", {"dashes", "runs", "races", NULL}},
        {"applauds", {"claps", "clapping", "applause", NULL}},
        {"trots", {"jogs", NULL}},
        {"twirls", {"spins", "twirls", "turns", "spinning", NULL}},
        {"saunters", {"walks", "walk", "strolls", NULL}},
        {"squatted", {"squats", "squat", NULL}},
        {"kicked", {"kicks", "kick", NULL}},
        {"man", {"person", NULL}},     /* a person, not the verb "to man" (-> "give") */
        {"dancer", {"person", NULL}},
        {"climber", {"person", NULL}}, /* the first noun sense is a plant */
        {"staircase", {"stairs", "steps", "flight", "stair", NULL}}, /* one step down: stairs are a staircase */
        {"opposite", {"reverse", "other", "back", "<unk>", NULL}},   /* an adjective first, not an opponent */
        {"hurries", {"moves fast", "runs fast", NULL}},  /* its definition, not its bare hypernym "goes" */
        {"creeps", {"sneaks", "moves slowly", "walks", NULL}}, /* mostly a verb: not "person" (a creep) */
        {"ascends", {"up", "climbs", NULL}}, /* "travel up": a definition's words are not re-inflected ("ups") */
        {"tiptoes", {"walks", "walks toes", NULL}},      /* a kind of walk: its hypernym */
        {"palms", {"hands", NULL}},   /* a body part as the part it belongs to, plural kept; not "to palm" */
        {"ankle", {"leg", NULL}},
        {"heel", {"foot", NULL}},     /* its first sense is a shoe's heel: the first body sense counts */
        {"stomach", {"<unk>", "body", NULL}}, /* a body part: never the verb "to stomach" ("stands") */
        {"upstairs", {"up stairs", NULL}},    /* two known words, not the definition "floor above" */
        {NULL, {NULL}},
    };
    printf("WordNet mappings (vocabulary from training captions):\n");
    printf("  | word | becomes | how |\n");
    int all_ok = 1;
    for (int i = 0; cases[i].word; i++) {
        int how;
        const char *to = mapped(v, cases[i].word, &how);
        int ok = one_of(to, cases[i].ok);
        printf("  | %s | %s | %s |%s\n", cases[i].word, to, how_name(how), ok ? "" : "  <-- unexpected");
        all_ok &= ok;
    }
    TEST_COND("out-of-vocabulary motion verbs map to sensible words", all_ok);
    {
        int how;
        const char *to = mapped(v, "hurries", &how);
        TEST_COND("a definition reading is logged as one", how == TEXT_MAP_GLOSS && strchr(to, ' ') != NULL);
        /* "sky" is mostly a noun: its verb definition ("throw with a light motion") is not read */
        mapped(v, "sky", &how);
        TEST_COND("no definition of a part of speech the word is rarely used as", how != TEXT_MAP_GLOSS);
        mapped(v, "palms", &how);
        TEST_COND("a body part's whole is logged as a holonym", how == TEXT_MAP_HOLONYM);
        mapped(v, "upstairs", &how);
        TEST_COND("a split word is logged as one", how == TEXT_MAP_SPLIT);
    }
    const char *extra[] = {"gallops", "prances", "tiptoes", "somersaults", "shimmies", "pirouettes", "stomps", "skips",
                           "crawls", "lunged", "strides", "wiggles", NULL};
    for (int i = 0; extra[i]; i++) {
        int how;
        const char *to = mapped(v, extra[i], &how);
        printf("  | %s | %s | %s |\n", extra[i], to, how_name(how));
    }

    /* what the model reads for a word's WordNet neighbours (paraphrase augmentation) */
    {
        int32_t pid[32], pid2[32];
        int self = text_vocab_find(v, "throws");
        int np = text_vocab_paraphrase_ids(v, "throws", pid, 32);
        int np2 = text_vocab_paraphrase_ids(v, "throws", pid2, 32);
        int ok = self >= 0 && np >= 1 && np == np2 && memcmp(pid, pid2, sizeof(int32_t) * (size_t)(np > 0 ? np : 0)) == 0;
        printf("  'throws' neighbours read as:");
        for (int i = 0; i < np; i++) {
            ok &= pid[i] != self && pid[i] >= TEXT_UNK && pid[i] < text_vocab_size(v);
            printf(" %s", text_vocab_word(v, pid[i]));
        }
        printf("\n");
        TEST_COND("paraphrase readings: some, never the word itself, deterministic", ok);
        TEST_COND("paraphrase readings: max respected", text_vocab_paraphrase_ids(v, "throws", pid, 1) <= 1);
    }

    /* the WordNet relatives of a verb form, in its form (vocabulary expansion for training) */
    {
        static char rel[128][TEXT_WORD_MAX], rel2[128][TEXT_WORD_MAX];
        int n3 = text_verb_relatives("walks", rel, 128), n3b = text_verb_relatives("walks", rel2, 128);
        int has_stroll = 0, has_self = 0, has_proc = 0;
        for (int i = 0; i < n3; i++) {
            has_stroll |= !strcmp(rel[i], "strolls");
            has_self |= !strcmp(rel[i], "walks");
            has_proc |= !strcmp(rel[i], "processes"); /* a troponym whose first sense is not bodily */
        }
        printf("  'walks' relatives: %d (%s %s %s ...)\n", n3, n3 > 0 ? rel[0] : "", n3 > 1 ? rel[1] : "", n3 > 2 ? rel[2] : "");
        TEST_COND("relatives of 'walks': troponyms in the third person, not itself, no non-bodily senses",
                  n3 > 10 && has_stroll && !has_self && !has_proc);
        TEST_COND("relatives are deterministic", n3 == n3b && memcmp(rel, rel2, sizeof rel[0] * (size_t)(n3 > 0 ? n3 : 0)) == 0);
        int ng = text_verb_relatives("walking", rel, 128), ing = ng > 0;
        for (int i = 0; i < ng; i++) ing &= strlen(rel[i]) > 3 && !strcmp(rel[i] + strlen(rel[i]) - 3, "ing");
        int hop = 0;
        int nj = text_verb_relatives("jumping", rel2, 128);
        for (int i = 0; i < nj; i++) hop |= !strcmp(rel2[i], "hopping"); /* doubled consonant */
        TEST_COND("relatives of an -ing form are -ing forms, 'hopping' spelt right", ing && hop);
        TEST_COND("relatives: max respected", text_verb_relatives("walks", rel, 3) == 3);
        TEST_COND("relatives of a non-verb: none", text_verb_relatives("zzqx", rel, 128) == 0 &&
                                                       text_verb_relatives("the", rel, 128) == 0);
    }

    /* nonsense and logging */
    logbook lb = {0};
    int32_t ids[16];
    int n = text_tokenize(v, "a person florbixes the zzqx and florbixes", ids, 16, logger, &lb);
    TEST_COND("nonsense becomes UNK", n == 9 && ids[3] == TEXT_UNK && ids[5] == TEXT_UNK && ids[7] == TEXT_UNK);
    TEST_COND("logged once per word, as unknown", lb.n == 2 && strcmp(lb.r[0].from, "florbixes") == 0 &&
                                                     strcmp(lb.r[0].to, "<unk>") == 0 && lb.r[0].how == TEXT_MAP_UNKNOWN &&
                                                     strcmp(lb.r[1].from, "zzqx") == 0);
    lb.n = 0;
    n = text_tokenize(v, "someone sprints and then leaps", ids, 16, logger, &lb);
    TEST_COND("known words are not logged, mapped ones are", lb.n == 2 && strcmp(lb.r[0].from, "sprints") == 0 &&
                                                                 strcmp(lb.r[1].from, "leaps") == 0);
    for (int i = 0; i < lb.n; i++) printf("  log: '%s' read as '%s' (%s)\n", lb.r[i].from, lb.r[i].to, how_name(lb.r[i].how));
    /* two OOV words that WordNet knows as one noun are read as that compound */
    int32_t ids2[16];
    lb.n = 0;
    n = text_tokenize(v, "a human being walks", ids, 16, logger, &lb);
    int n2 = text_tokenize(v, "a person walks", ids2, 16, NULL, NULL);
    int same_ids = n == n2;
    for (int i = 0; i < 16 && same_ids; i++) same_ids = ids[i] == ids2[i];
    TEST_COND("'a human being walks' reads as 'a person walks' (compound)", same_ids);
    TEST_COND("the compound alone is logged (not 'human' as unknown first)",
              lb.n == 1 && strcmp(lb.r[0].from, "human being") == 0 && strcmp(lb.r[0].to, "person") == 0);
    lb.n = 0;
    n = text_tokenize(v, "a person florbixes", ids, 16, logger, &lb);
    TEST_COND("an unknown last word is still logged", lb.n == 1 && strcmp(lb.r[0].from, "florbixes") == 0);

    /* thread safety: a fresh vocabulary (lemma index built under contention), 2 threads */
    char *s;
    text_vocab_serialize(v, &s);
    text_vocab *w = NULL;
    text_vocab_parse(&w, s);
    mosa_free(s);
    const char *texts[] = {"someone sprints and then leaps", "a person ambles forward", "the figure gallops and prances",
                           "a man saunters then applauds", "someone tiptoes and twirls", "a person jogged and squatted",
                           "florbix zzqx", "a woman strolls, hops and kicked"};
    enum { NT = 8, REP = 24, L = 12 };
    int32_t serial[NT][L], par[REP * NT][L];
    for (int t = 0; t < NT; t++) text_tokenize(v, texts[t], serial[t], L, NULL, NULL);
    int bad = 0;
#pragma omp parallel for num_threads(2) reduction(+ : bad)
    for (int k = 0; k < REP * NT; k++)
        if (text_tokenize(w, texts[k % NT], par[k], L, NULL, NULL) < 2) bad++;
    int same = bad == 0;
    for (int k = 0; k < REP * NT; k++) same &= memcmp(par[k], serial[k % NT], sizeof serial[0]) == 0;
    TEST_COND("two threads tokenize like one", same);
    text_vocab_free(w);
    text_vocab_free(v);

    if (getenv("MOSA_TEST_BIG")) {
        double t0 = time_now();
        text_vocab *b = corpus_vocab(20000, &ncaps);
        printf("20,000 training items: %d captions, vocabulary %d ids (%.1f s)\n", ncaps, text_vocab_size(b), time_now() - t0);
        text_vocab_free(b);
    }
}

static int shares_key(char (*a)[TEXT_CONCEPT_KEY], int na, char (*b)[TEXT_CONCEPT_KEY], int nb) {
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (!strcmp(a[i], b[j])) return 1;
    return 0;
}

static void test_concepts(void) {
    char a[64][TEXT_CONCEPT_KEY], b[64][TEXT_CONCEPT_KEY];
    int na = text_word_concepts("bends", a, 64), nb = text_word_concepts("leans", b, 64);
    TEST_COND("concepts of 'bends' and 'leans'", na > 0 && nb > 0 && a[0][0] == 'v' && strlen(a[0]) == 9);
    TEST_COND("'bends' and 'leans' share a concept (lean is a kind of bend)", shares_key(a, na, b, nb));
    na = text_word_concepts("quickly", a, 64), nb = text_word_concepts("rapidly", b, 64);
    TEST_COND("'quickly' and 'rapidly' share their adverb synset", na > 0 && a[0][0] == 'r' && shares_key(a, na, b, nb));
    nb = text_word_concepts("claps", b, 64);
    TEST_COND("'quickly' and 'claps' share none", nb > 0 && !shares_key(a, na, b, nb));
    TEST_COND("a word WordNet lacks has none", text_word_concepts("florbix", a, 64) == 0);
    TEST_COND("max is kept", text_word_concepts("bends", a, 2) == 2);
    text_vocab *v = NULL;
    const char *texts[] = {"a person bends and leans quickly", "someone walks rapidly", "the person marches florbix"};
    TEST_COND("vocabulary", text_vocab_build(&v, texts, 3, 1, 0) == MOSA_OK);
    int32_t *t = NULL, *t2 = NULL;
    int nc = 0, nc2 = 0, K = 6;
    TEST_COND("concept table", text_vocab_concept_table(v, K, &t, &nc) == MOSA_OK && nc > 0);
    TEST_COND("the same table twice", text_vocab_concept_table(v, K, &t2, &nc2) == MOSA_OK && nc2 == nc &&
                                          !memcmp(t, t2, sizeof(int32_t) * (size_t)text_vocab_size(v) * (size_t)K));
    const int V = text_vocab_size(v);
    int in_range = 1, specials_none = 1, each_shared = 1;
    for (int i = 0; i < V * K; i++) in_range &= t[i] >= 0 && t[i] <= nc;
    for (int i = 0; i < TEXT_SPECIALS * K; i++) specials_none &= t[i] == 0;
    for (int c = 1; c <= nc; c++) { /* every numbered concept belongs to two or more words */
        int words = 0;
        for (int id = 0; id < V; id++) {
            int has = 0;
            for (int k = 0; k < K; k++) has |= t[id * K + k] == c;
            words += has;
        }
        each_shared &= words >= 2;
    }
    TEST_COND("rows in 0..concepts, none for the specials", in_range && specials_none);
    TEST_COND("every concept is shared by two or more words", each_shared);
    const int ib = text_vocab_find(v, "bends"), il = text_vocab_find(v, "leans"), ifl = text_vocab_find(v, "florbix");
    int common = 0, none = 1;
    for (int x = 0; x < K; x++)
        for (int y = 0; y < K; y++) common |= t[ib * K + x] > 0 && t[ib * K + x] == t[il * K + y];
    for (int x = 0; x < K; x++) none &= t[ifl * K + x] == 0;
    TEST_COND("'bends' and 'leans' share a row; 'florbix' has none", common && none);
    int32_t *t3 = NULL;
    TEST_COND("k 0 refused", text_vocab_concept_table(v, 0, &t3, &nc2) == MOSA_ERR_ARG && !t3);
    mosa_free(t);
    mosa_free(t2);
    text_vocab_free(v);
}

int main(void) {
    test_splitting();
    test_wordnet();
    test_concepts();
    return test_report();
}
