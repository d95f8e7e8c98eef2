/* prompt.c: motion-prompt extraction over WordNet (see prompt.h and docs/prompt.md).
 *
 * Steps: tokenise (words keep letters, digits, '-' and '\''; punctuation tokens are clause
 * boundaries), look each word up in WordNet (morphstr lemmas; the lexicographer class of the
 * first senses), find the subject (the first noun phrase headed by a noun.person noun or a
 * person pronoun), then scan for motion clauses: a motion verb in a verb position, its aux,
 * particles, adverbs, object and the prepositional phrases that are targets, paths or body
 * parts; scene, lighting and appearance phrases are dropped. Closed word classes (determiners,
 * prepositions, conjunctions, auxiliaries) are small fixed lists; open classes come from
 * WordNet. */
#include "prompt.h"
#include "tokenizer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wn.h>

/* ---- WordNet ---- */

static int g_wn_ready = 0;

static int quiet_message(char *msg) {
    (void)msg;
    return 0;
}

static const char *wn_dir(void) {
    const char *d = getenv("WNSEARCHDIR");
    return d && *d ? d : "/usr/share/wordnet";
}

mosa_status prompt_wordnet_init(void) {
    if (g_wn_ready) return MOSA_OK;
    const char *dir = wn_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/data.verb", dir);
    if (access(path, R_OK) != 0)
        return mosa_fail(MOSA_ERR_IO, "WordNet database not found in %s (no readable data.verb): install wordnet-base "
                         "(./setup.sh does), or set WNSEARCHDIR", dir);
    display_message = quiet_message;
    if (wninit() != 0)
        return mosa_fail(MOSA_ERR_IO, "cannot open the WordNet database in %s: install wordnet-base (./setup.sh does)", dir);
    g_wn_ready = 1;
    return MOSA_OK;
}

/* Lexicographer class numbers (lexnames(5WN)); looked up by name so no number is hard-coded. */
static int lexclass_is(int fnum, const char *name) {
    return fnum >= 0 && fnum < 45 && lexfiles[fnum] && strcmp(lexfiles[fnum], name) == 0;
}

/* Lemma of word for pos into lem (cap bytes); 1 when WordNet knows the lemma for pos. */
static int wn_lemma(const char *word, int pos, char *lem, size_t cap) {
    char buf[PROMPT_WORD_MAX];
    snprintf(buf, sizeof buf, "%s", word);
    char *m = morphstr(buf, pos);
    snprintf(lem, cap, "%s", m ? m : word);
    snprintf(buf, sizeof buf, "%s", lem);
    return in_wn(buf, pos) != 0;
}

/* Lexicographer classes of the first `max` senses of lem (pos); returns how many. */
static int wn_classes(const char *lem, int pos, int *fnums, int max) {
    char buf[PROMPT_WORD_MAX];
    snprintf(buf, sizeof buf, "%s", lem);
    IndexPtr ix = index_lookup(buf, pos);
    if (!ix) return 0;
    int n = 0;
    for (int i = 0; i < ix->off_cnt && n < max; i++) {
        SynsetPtr s = read_synset(pos, (long)ix->offset[i], buf);
        if (!s) continue;
        fnums[n++] = s->fnum;
        free_synset(s);
    }
    free_index(ix);
    return n;
}

/* 1 when a noun sense of lem (among its first `senses`) has the first sense of `target` among
 * its hypernyms within `levels` steps, or is it: wn_noun_kind_of("speed", "rate", ..) = 1. */
static int wn_noun_kind_of(const char *lem, const char *target, int senses, int levels) {
    char buf[PROMPT_WORD_MAX];
    snprintf(buf, sizeof buf, "%s", target);
    IndexPtr tx = index_lookup(buf, NOUN);
    if (!tx) return 0;
    long goal = tx->off_cnt > 0 ? (long)tx->offset[0] : -1;
    free_index(tx);
    snprintf(buf, sizeof buf, "%s", lem);
    IndexPtr ix = index_lookup(buf, NOUN);
    if (!ix) return 0;
    int hit = 0;
    enum { FRONTIER = 32 };
    for (int sn = 0; sn < ix->off_cnt && sn < senses && !hit; sn++) {
        long frontier[FRONTIER], next[FRONTIER];
        int nf = 1;
        frontier[0] = (long)ix->offset[sn];
        for (int l = 0; l <= levels && nf > 0 && !hit; l++) {
            int nn = 0;
            for (int f = 0; f < nf && !hit; f++) {
                if (frontier[f] == goal) {
                    hit = 1;
                    break;
                }
                SynsetPtr sy = read_synset(NOUN, frontier[f], "");
                if (!sy) continue;
                for (int q = 0; q < sy->ptrcount; q++)
                    if (sy->ptrtyp[q] == HYPERPTR && sy->ppos[q] == NOUN && nn < FRONTIER) next[nn++] = sy->ptroff[q];
                free_synset(sy);
            }
            memcpy(frontier, next, sizeof(long) * (size_t)nn);
            nf = nn;
        }
    }
    free_index(ix);
    return hit;
}

/* ---- closed classes ---- */

static int in_list(const char *w, const char *const *list) {
    for (int i = 0; list[i]; i++)
        if (strcmp(w, list[i]) == 0) return 1;
    return 0;
}

static const char *const k_det[] = {"a", "an", "the", "this", "that", "these", "those", "his", "her", "their", "its", "my",
                                    "your", "our", "one", "two", "three", "four", "five", "six", "some", "both", "each",
                                    "every", "another", "either", "several", "many", "few", "all", "no", "any", NULL};
static const char *const k_prep[] = {"in", "on", "at", "to", "toward", "towards", "onto", "into", "over", "across",
                                     "through", "around", "along", "past", "off", "up", "down", "from", "with", "without",
                                     "under", "above", "below", "beneath", "behind", "beside", "near", "by", "for", "of",
                                     "during", "against", "between", "among", "amid", "inside", "outside", "upon",
                                     "within", "like", "under", "underneath", "out", "next", "amidst", "throughout",
                                     "beyond", "atop", "via", NULL};
static const char *const k_conn[] = {"and", "then", "while", "before", "after", "as", "or", "but", "until", "afterwards",
                                     "finally", "also", NULL};
static const char *const k_aux[] = {"is", "are", "was", "were", "be", "been", "being", "am", "will", "would", "can",
                                    "could", "has", "have", "had", "starts", "start", "started", "starting", "begins",
                                    "begin", "began", "continues", "continue", "keeps", "keep", "tries", "try", "to",
                                    "proceeds", NULL};
static const char *const k_pron[] = {"he", "she", "they", "someone", "somebody", "everyone", "it", NULL};
/* Person words WordNet files outside noun.person (people is noun.group, person noun.Tops...). */
static const char *const k_person_extra[] = {"someone", "somebody", "person", "people", "figure", "he", "she",
                                             "couple", "everyone", "individual", "human", NULL};
static const char *const k_relative[] = {"who", "which", "that", "whose", "where", "whom", "when", NULL};
/* Verbs of appearance (verb.body in WordNet but they describe clothing, not motion). */
static const char *const k_appearance_verb[] = {"wear", "dress", "clothe", "don", "sport", "garb", "clad", NULL};
/* Light verbs taking a motion noun as object ("does a cartwheel", "performs three squats"). */
static const char *const k_light_verb[] = {"do", "perform", "execute", "practice", "practise", "take", "make", NULL};
/* Words that open an appearance phrase right after the subject. */
static const char *const k_appearance_open[] = {"in", "with", "wearing", "dressed", "clad", "who", "whose", "sporting",
                                                "having", "holding", "carrying", NULL};
/* Adverbs of place that are scene, not motion. */
static const char *const k_scene_adv[] = {"outside", "outdoors", "indoors", "inside", "here", "there", "nearby",
                                          "today", "tonight", NULL};
/* Surfaces that are the scene's ground (artifacts in WordNet, but scene here: "on the floor"). */
static const char *const k_ground[] = {"floor", "ground", "stage", "studio", "room", "gym", "street", "road", "court",
                                       "field", "pier", "deck", "sidewalk", "pavement", "hall", "background",
                                       "backdrop", "track", "rooftop", "roof", "platform", "lawn", "yard", NULL};
/* Heads of "in" phrases that describe the path or manner of the motion ("in a circle"). */
static const char *const k_in_path[] = {"place", "air", "line", "circle", "circles", "zigzag", "spiral", "unison",
                                        "rhythm", "time", "slow", "motion", NULL};
/* Prepositions of direction, target or path: their phrase is part of the motion. */
static const char *const k_path_prep[] = {"to", "toward", "towards", "onto", "into", "over", "across", "through",
                                          "around", "along", "past", "off", "up", "down", "from", "upon", "out",
                                          "against", "between", "atop", "beyond", "via", NULL};

/* ---- tokens ---- */

typedef struct tok {
    char w[PROMPT_WORD_MAX]; /* lower case */
    int punct;               /* 1 for a punctuation token */
    int kept;
    const char *why;
    /* WordNet facts, filled once */
    int is_verb, motion_fnum, is_noun, noun_fnum, noun_fnum2, is_adv, is_adj;
    char vlem[PROMPT_WORD_MAX];
} tok;

static int tok_closed(const tok *t) {
    return in_list(t->w, k_det) || in_list(t->w, k_prep) || in_list(t->w, k_conn) || in_list(t->w, k_aux) ||
           in_list(t->w, k_relative);
}

/* Verb classes (of a verb's first sense) that say nothing about the body: a subject's verb in
 * them is not taken as its motion when no motion verb is found. */
static const char *const k_mental_class[] = {"verb.cognition", "verb.creation", "verb.emotion", "verb.perception",
                                             "verb.possession", "verb.consumption", "verb.weather", NULL};
/* Particles that make a phrasal verb with the verb before them ("gets up", "kneels down"). */
static const char *const k_particle[] = {"up", "down", "out", "off", "over", "around", "round", "back", "away", NULL};

static int is_motion_class(int fnum) {
    return lexclass_is(fnum, "verb.motion") || lexclass_is(fnum, "verb.body") || lexclass_is(fnum, "verb.contact") ||
           lexclass_is(fnum, "verb.competition");
}

static void tok_lookup(tok *t) {
    t->motion_fnum = -1;
    t->noun_fnum = t->noun_fnum2 = -1;
    if (t->punct) return;
    char lem[PROMPT_WORD_MAX];
    int f[3];
    if (wn_lemma(t->w, VERB, t->vlem, sizeof t->vlem)) {
        t->is_verb = 1;
        int n = wn_classes(t->vlem, VERB, f, 3);
        if (!in_list(t->vlem, k_appearance_verb))
            for (int i = 0; i < n; i++)
                if (is_motion_class(f[i])) {
                    t->motion_fnum = f[i];
                    break;
                }
        if (t->motion_fnum < 0 && in_list(t->vlem, k_light_verb) && n > 0) t->motion_fnum = f[0];
    }
    if (wn_lemma(t->w, NOUN, lem, sizeof lem)) {
        t->is_noun = 1;
        int n = wn_classes(lem, NOUN, f, 2);
        if (n > 0) t->noun_fnum = f[0];
        if (n > 1) t->noun_fnum2 = f[1];
    }
    char b[PROMPT_WORD_MAX];
    snprintf(b, sizeof b, "%s", t->w);
    t->is_adv = in_wn(b, ADV) != 0;
    t->is_adj = in_wn(b, ADJ) != 0 || wn_lemma(t->w, ADJ, lem, sizeof lem);
}

static int is_person(const tok *t) {
    if (t->punct) return 0;
    if (in_list(t->w, k_person_extra)) return 1;
    if (tok_closed(t)) return 0;
    return t->is_noun && lexclass_is(t->noun_fnum, "noun.person");
}

static int is_body(const tok *t) {
    if (t->punct || !t->is_noun || strcmp(t->w, "hair") == 0) return 0;
    return lexclass_is(t->noun_fnum, "noun.body") || lexclass_is(t->noun_fnum2, "noun.body");
}

static int is_scene_noun(const tok *t) {
    if (in_list(t->w, k_ground)) return 1;
    int f = t->noun_fnum;
    return lexclass_is(f, "noun.time") || lexclass_is(f, "noun.phenomenon") || lexclass_is(f, "noun.location") ||
           lexclass_is(f, "noun.plant") || lexclass_is(f, "noun.substance") || lexclass_is(f, "noun.object") ||
           lexclass_is(f, "noun.state") || lexclass_is(f, "noun.event");
}

/* 1 when t is a noun for a bodily posture (a kind of posture.n.01: "posture", "stance", "pose"). */
static int is_posture(const tok *t) {
    char lem[PROMPT_WORD_MAX];
    return t->is_noun && wn_lemma(t->w, NOUN, lem, sizeof lem) && wn_noun_kind_of(lem, "posture", 2, 3);
}

static int ends_with(const char *w, const char *suf) {
    size_t n = strlen(w), m = strlen(suf);
    return n > m && strcmp(w + n - m, suf) == 0;
}

/* 1 when token k is a motion gerund that opens a participle clause ("walks forward waving"),
 * 0 when a determiner or a number before it makes it a modifier of a noun ("some jumping jack
 * exercises", "from a sitting position", "several squatting exercises"). */
static int gerund_clause_at(const tok *t, int k) {
    if (t[k].motion_fnum < 0 || !ends_with(t[k].w, "ing")) return 0;
    return !(k > 0 && in_list(t[k - 1].w, k_det));
}

/* ---- the extractor ---- */

typedef struct ctx {
    tok *t;
    int n;
    int subj_head;      /* index of the subject's head word, -1 if none */
    int first_clause;   /* 1 until the first motion clause starts */
} ctx;

/* Whether token i may be a motion verb of the subject: a motion verb (or, right after the
 * subject, an unknown word) in a verb position. */
static int verb_at(const ctx *c, int i, int after_appearance) {
    const tok *t = &c->t[i];
    if (t->punct || tok_closed(t)) return 0;
    int known_motion = t->motion_fnum >= 0;
    int after_subject = c->subj_head >= 0 && i == c->subj_head + 1;
    if (!known_motion) {
        /* An unknown word right after the subject ("a man florbles") counts as its verb. */
        return after_subject && !t->is_verb && !t->is_noun && !t->is_adj && !t->is_adv && isalpha((unsigned char)t->w[0]);
    }
    if (after_subject || i == 0) return 1;
    const tok *p = &c->t[i - 1];
    if (p->punct || in_list(p->w, k_conn) || in_list(p->w, k_aux) || in_list(p->w, k_pron) || (is_person(p) && !p->is_adj)) return 1;
    if (strcmp(p->w, "by") == 0 && ends_with(t->w, "ing")) return 1; /* the means: "greets her by waving" */
    if (in_list(p->w, k_det) || in_list(p->w, k_prep) || in_list(p->w, k_relative)) return 0;
    int inflected = strcmp(t->w, t->vlem) != 0;
    if (inflected && p->is_adv && (ends_with(p->w, "ly") || (!p->is_noun && !p->is_adj))) return 1; /* "then quickly jumps" */
    /* The end of an appearance phrase after the subject: "a man in red shorts jumps". Clothing
     * nouns there are not verbs ("shirt", "pants": noun.artifact first), nor uninflected words. */
    if (after_appearance && c->first_clause)
        return strcmp(t->w, t->vlem) != 0 && !lexclass_is(t->noun_fnum, "noun.artifact");
    return 0;
}

static void keep(ctx *c, int i, const char *why) {
    c->t[i].kept = 1;
    c->t[i].why = why;
}

/* End (exclusive) of the prepositional phrase opened at i. */
static int pp_end(const ctx *c, int i) {
    int k = i + 1;
    /* compound prepositions: "in front of", "next to", "in the middle of" continue with "of"/"to" */
    while (k < c->n) {
        const tok *t = &c->t[k];
        if (t->punct || in_list(t->w, k_conn) || in_list(t->w, k_relative)) break;
        if (in_list(t->w, k_prep) && strcmp(t->w, "of") != 0 && !(k == i + 1 && strcmp(c->t[i].w, "next") == 0)) break;
        if (gerund_clause_at(c->t, k) && k > i + 1) break;
        k++;
    }
    return k;
}

/* 1 when tokens [i, e) joined by '_' are one adverb or adjective in WordNet: a fixed phrase of
 * manner ("on the spot", "in place", "in front", "step by step"), kept as the motion's. */
static int wn_fixed_manner(const ctx *c, int i, int e) {
    char b[4 * PROMPT_WORD_MAX];
    size_t n = 0;
    if (i < 0 || e - i < 2 || e - i > 4) return 0;
    for (int k = i; k < e; k++) {
        if (c->t[k].punct) return 0;
        n += (size_t)snprintf(b + n, n < sizeof b ? sizeof b - n : 0, "%s%s", k > i ? "_" : "", c->t[k].w);
    }
    if (n >= sizeof b) return 0;
    return in_wn(b, ADV) != 0 || in_wn(b, ADJ) != 0;
}

/* Decides a prepositional phrase [i, e): 1 keep (target, path, body part, fixed manner), 0 drop
 * (scene). */
static int pp_keep(const ctx *c, int i, int e) {
    const char *p = c->t[i].w;
    if (wn_fixed_manner(c, i, e) || wn_fixed_manner(c, i - 1, e)) return 1; /* "on the spot", "step by step" */
    for (int k = i + 1; k < e; k++)
        if (is_body(&c->t[k])) return 1;
    if (e == i + 1) return strcmp(p, "next") != 0; /* a particle: "up", "down", "off" */
    const tok *head = &c->t[e - 1];
    int compound = 0; /* "in front of", "next to", "in the middle of" */
    for (int k = i + 1; k < e; k++)
        if (strcmp(c->t[k].w, "of") == 0 || strcmp(c->t[k].w, "front") == 0) compound = 1;
    if (strcmp(p, "next") == 0) return 0;
    if (strcmp(p, "in") == 0) {
        if (compound) return 0;
        /* a path ("in a circle") or a bodily posture ("in a low posture"; not "in a crouch", an act) */
        return in_list(head->w, k_in_path) || lexclass_is(head->noun_fnum, "noun.shape") || is_posture(head);
    }
    if (in_list(p, k_path_prep)) {
        if (compound && strcmp(p, "out") != 0) return 0;
        return !(lexclass_is(head->noun_fnum, "noun.time") || lexclass_is(head->noun_fnum, "noun.phenomenon"));
    }
    if (strcmp(p, "on") == 0) return !compound && !is_scene_noun(head);
    /* manner: "at full speed", "at a gentle pace" (a kind of rate in WordNet, unlike "at
     * sunset"), "like a soldier" (a person or an act), "by rotating" (a motion gerund) */
    if (strcmp(p, "at") == 0) {
        char lem[PROMPT_WORD_MAX];
        return head->is_noun && wn_lemma(head->w, NOUN, lem, sizeof lem) && wn_noun_kind_of(lem, "rate", 3, 3);
    }
    if (strcmp(p, "like") == 0)
        return is_person(head) || lexclass_is(head->noun_fnum, "noun.act");
    /* a motion gerund as the means ("greets her by waving") or left out ("stands without moving") */
    if (strcmp(p, "by") == 0 || strcmp(p, "without") == 0)
        return e == i + 2 && head->motion_fnum >= 0 && ends_with(head->w, "ing");
    /* the rest of the object's noun phrase: "does a set of push-ups", "a couple of jumps" */
    if (strcmp(p, "of") == 0) return 1;
    /* an act as the means: "strikes ahead with a kick", "warms up with a few jumping jacks" */
    if (strcmp(p, "with") == 0) {
        for (int k = i + 1; k < e; k++)
            if (lexclass_is(c->t[k].noun_fnum, "noun.act") || (c->t[k].motion_fnum >= 0 && ends_with(c->t[k].w, "ing")))
                return 1;
        return 0;
    }
    return 0; /* under, near, by (a place), with (no body part or act), during, for, ... */
}

/* Consumes one motion clause starting at verb v; returns the index after it. */
static int clause(ctx *c, int v, prompt_info *info) {
    keep(c, v, "motion verb");
    if (info && info->n_verbs < PROMPT_MAX_VERBS) {
        prompt_verb *pv = &info->verbs[info->n_verbs++];
        snprintf(pv->lemma, sizeof pv->lemma, "%s", c->t[v].is_verb ? c->t[v].vlem : c->t[v].w);
        pv->lexclass = c->t[v].motion_fnum >= 0 ? lexfiles[c->t[v].motion_fnum] : "unknown";
        pv->word = v;
    }
    c->first_clause = 0;
    int j = v + 1;
    while (j < c->n) {
        tok *t = &c->t[j];
        if (t->punct || in_list(t->w, k_relative)) return j;
        if (in_list(t->w, k_conn)) {
            /* "up and down", "back and forth", "left and right": the conjunction joins particles */
            if (strcmp(t->w, "and") == 0 && j + 1 < c->n && !c->t[j + 1].punct && j > v + 1 &&
                (c->t[j - 1].is_adv || in_list(c->t[j - 1].w, k_prep)) &&
                (c->t[j + 1].is_adv || in_list(c->t[j + 1].w, k_prep)) &&
                (!c->t[j + 1].is_verb || strcmp(c->t[j + 1].w, c->t[j + 1].vlem) == 0)) {
                keep(c, j, "conjunction of particles");
                j++;
                continue;
            }
            /* "spreading his arms and legs": the conjunction joins body parts */
            if (strcmp(t->w, "and") == 0 && j + 1 < c->n && j > v + 1 && is_body(&c->t[j - 1]) &&
                (is_body(&c->t[j + 1]) ||
                 (j + 2 < c->n && in_list(c->t[j + 1].w, k_det) && is_body(&c->t[j + 2])))) {
                keep(c, j, "conjunction of body parts");
                j++;
                continue;
            }
            return j;
        }
        if (j > v + 1 && gerund_clause_at(c->t, j)) return j; /* "walks forward waving" */
        if (in_list(t->w, k_prep)) {
            int e = pp_end(c, j);
            int k = pp_keep(c, j, e);
            for (int q = j; q < e; q++) {
                if (k) keep(c, q, e == j + 1 ? "particle" : "motion target or body part");
                else c->t[q].why = "scene or lighting phrase";
            }
            j = e;
            continue;
        }
        if (in_list(t->w, k_scene_adv)) {
            t->why = "scene adverb";
            j++;
            continue;
        }
        keep(c, j, t->is_adv && !t->is_noun ? "adverb" : "object or complement");
        j++;
    }
    return j;
}

/* Appends s to out (tracking the length; sets *overflow when it does not fit). */
static void put(char *out, size_t cap, size_t *len, const char *s, int *overflow) {
    size_t n = strlen(s);
    if (*len + n + 1 > cap) {
        *overflow = 1;
        return;
    }
    memcpy(out + *len, s, n + 1);
    *len += n;
}

static mosa_status extract_locked(char *out, size_t cap, const char *prompt, prompt_info *info) {
    if (!out || cap == 0) return mosa_fail(MOSA_ERR_ARG, "prompt_motion_extract: no output buffer");
    out[0] = 0;
    if (info) memset(info, 0, sizeof *info);
    if (!prompt) return mosa_fail(MOSA_ERR_ARG, "prompt_motion_extract: the prompt is NULL");
    size_t plen = strlen(prompt);
    if (plen > PROMPT_MAX_BYTES)
        return mosa_fail(MOSA_ERR_ARG, "the prompt is %zu bytes, longer than the %d accepted: shorten it", plen,
                         PROMPT_MAX_BYTES);
    int any = 0;
    for (size_t i = 0; i < plen; i++)
        if (!isspace((unsigned char)prompt[i])) any = 1;
    if (!any) return mosa_fail(MOSA_ERR_ARG, "the prompt is empty: give a sentence such as \"a man walks forward\"");
    mosa_status st = prompt_wordnet_init();
    if (st != MOSA_OK) return st;

    tok *t = mosa_malloc(sizeof(tok) * PROMPT_MAX_WORDS);
    if (!t) return MOSA_ERR_NOMEM;
    memset(t, 0, sizeof(tok) * PROMPT_MAX_WORDS);
    int n = 0;
    for (size_t i = 0; i < plen && n < PROMPT_MAX_WORDS;) {
        unsigned char ch = (unsigned char)prompt[i];
        if (isspace(ch) || ch == '"' || ch == '(' || ch == ')') {
            i++;
            continue;
        }
        if (isalnum(ch) || ch >= 0x80) {
            size_t o = 0;
            while (i < plen) {
                unsigned char d = (unsigned char)prompt[i];
                int inner = (d == '-' || d == '\'') && i + 1 < plen && isalnum((unsigned char)prompt[i + 1]);
                if (!(isalnum(d) || d >= 0x80 || inner)) break;
                if (o + 1 < sizeof t[n].w) t[n].w[o++] = (char)tolower(d);
                i++;
            }
            t[n].w[o] = 0;
            /* possessive 's is part of the word ("man's"): keep the word as written */
        } else {
            t[n].w[0] = (char)ch;
            t[n].w[1] = 0;
            t[n].punct = 1;
            i++;
        }
        t[n].why = "dropped";
        n++;
    }
    for (int i = 0; i < n; i++) tok_lookup(&t[i]);
    /* a verb that is not a motion verb alone may be one with its particle, as WordNet lists the
     * collocation: "gets up" (get_up: rise to one's feet), "settles down" */
    for (int i = 0; i + 1 < n; i++)
        if (t[i].is_verb && t[i].motion_fnum < 0 && !t[i + 1].punct && in_list(t[i + 1].w, k_particle) &&
            !in_list(t[i].vlem, k_appearance_verb)) {
            char col[2 * PROMPT_WORD_MAX];
            int f[3];
            snprintf(col, sizeof col, "%s_%s", t[i].vlem, t[i + 1].w);
            if (strlen(col) >= PROMPT_WORD_MAX) continue;
            int nf = wn_classes(col, VERB, f, 3);
            for (int k = 0; k < nf && t[i].motion_fnum < 0; k++)
                if (is_motion_class(f[k])) t[i].motion_fnum = f[k];
        }
    /* a verb of any class whose object is a bodily posture is a motion: "assumes the warrior
     * yoga stance", "strikes a pose" (the object: determiners, adjectives and nouns up to its
     * head, at most 5 words) */
    for (int i = 0; i + 1 < n; i++) {
        if (!t[i].is_verb || t[i].motion_fnum >= 0 || in_list(t[i].vlem, k_appearance_verb)) continue;
        int head = -1;
        for (int j = i + 1; j < n && j <= i + 5; j++) {
            if (t[j].punct || in_list(t[j].w, k_prep) || in_list(t[j].w, k_conn)) break;
            if (t[j].is_noun) head = j;
            else if (!in_list(t[j].w, k_det) && !t[j].is_adj) break;
        }
        int f[1];
        if (head >= 0 && is_posture(&t[head]) && wn_classes(t[i].vlem, VERB, f, 1) == 1) t[i].motion_fnum = f[0];
    }

    ctx c = {t, n, -1, 1};
    /* the subject: the first person noun phrase */
    int s0 = -1, s1 = -1;
    for (int i = 0; i < n; i++)
        if (is_person(&t[i]) && strcmp(t[i].w, "it") != 0) {
            c.subj_head = i;
            s0 = s1 = i;
            for (int j = i - 1; j >= 0 && i - j <= 4; j--) {
                if (t[j].punct || in_list(t[j].w, k_prep) || in_list(t[j].w, k_conn) || t[j].motion_fnum >= 0) break;
                s0 = j;
                if (in_list(t[j].w, k_det)) break;
            }
            /* "a human being" */
            if (i + 1 < n && strcmp(t[i].w, "human") == 0 && strcmp(t[i + 1].w, "being") == 0) {
                s1 = i + 1;
                c.subj_head = i + 1;
            }
            /* "a man and a woman": a second person joined by "and" */
            if (i + 2 < n && strcmp(t[i + 1].w, "and") == 0) {
                for (int j = i + 2; j < n && j <= i + 6; j++) {
                    if (t[j].punct || in_list(t[j].w, k_prep)) break;
                    if (is_person(&t[j])) {
                        s1 = j;
                        c.subj_head = j;
                        break;
                    }
                }
            }
            break;
        }
    for (int i = s0; i >= 0 && i <= s1; i++) keep(&c, i, "subject");

    /* the motion clauses */
    int after_appearance = 0;
    int start = c.subj_head >= 0 ? c.subj_head + 1 : 0;
    if (c.subj_head >= 0 && start < n && in_list(t[start].w, k_appearance_open)) after_appearance = 1;
    if (c.subj_head >= 0 && start < n && t[start].punct && start + 1 < n && in_list(t[start + 1].w, k_appearance_open))
        after_appearance = 1;
    const int had_appearance = after_appearance;
    int nclauses = 0;
    for (int i = start; i < n;) {
        if (c.first_clause && after_appearance && i > start && t[i].punct && strcmp(t[i].w, ",") != 0)
            after_appearance = 0; /* a sentence end closes the appearance phrase */
        if (verb_at(&c, i, after_appearance && i > start + 1)) {
            /* aux before the verb ("is running", "starts to walk") */
            int a = i;
            while (a - 1 >= start && in_list(t[a - 1].w, k_aux) && !t[a - 1].kept) a--;
            for (int q = a; q < i; q++) keep(&c, q, "auxiliary");
            /* connectors between this clause and the previous one */
            if (nclauses > 0) {
                int b = a;
                while (b - 1 >= start && !t[b - 1].kept &&
                       (t[b - 1].punct || in_list(t[b - 1].w, k_conn) ||
                        (strcmp(t[b - 1].w, "that") == 0 && b - 2 >= 0 && strcmp(t[b - 2].w, "after") == 0)))
                    b--;
                for (int q = b; q < a; q++)
                    if (!t[q].punct) keep(&c, q, "conjunction");
            }
            i = clause(&c, i, info);
            nclauses++;
            continue;
        }
        /* an absolute phrase after a motion clause: ", knees up high", ", arms outstretched" (a
         * body part and its position, no verb) describes that motion's posture */
        if (nclauses > 0 && t[i].punct && strcmp(t[i].w, ",") == 0) {
            int b = i + 1;
            if (b < n && (in_list(t[b].w, k_det) || !strcmp(t[b].w, "both") || !strcmp(t[b].w, "one"))) b++;
            int e = b + 1;
            while (e < n && !t[e].punct &&
                   (in_list(t[e].w, k_particle) || (!t[e].is_verb && (t[e].is_adv || t[e].is_adj))))
                e++;
            /* participles count as positions ("outstretched", "bent") */
            while (e < n && !t[e].punct && t[e].is_verb && (ends_with(t[e].w, "ed") || !strcmp(t[e].w, "bent")) &&
                   t[e].motion_fnum < 0)
                e++;
            if (b < n && is_body(&t[b]) && e > b + 1 && (e == n || t[e].punct)) {
                for (int q = i + 1; q < e; q++) keep(&c, q, "body-part posture");
                i = e;
                continue;
            }
        }
        if (t[i].why && strcmp(t[i].why, "dropped") == 0)
            t[i].why = c.first_clause && after_appearance ? "appearance" : c.subj_head >= 0 && i < c.subj_head ? "before the subject" : "not motion";
        i++;
    }
    /* No motion verb, but the subject does something: its own verb, right after it (past
     * adverbs and auxiliaries), is what the person does ("applauds enthusiastically", "remains
     * motionless"): the motion model reads it (through WordNet
     * when it does not know it) instead of the default prompt. Not a verb of the mind
     * (k_mental_class: "sings", "thinks", "assumes the warrior stance" keep the default). */
    if (nclauses == 0 && c.subj_head >= 0 && !had_appearance) {
        int j = start, aux = 0;
        while (j < n && j < start + 3 && !t[j].punct &&
               (in_list(t[j].w, k_aux) || (t[j].is_adv && !t[j].is_verb && !tok_closed(&t[j])))) {
            aux |= in_list(t[j].w, k_aux);
            j++;
        }
        if (j < n && !t[j].punct && t[j].is_verb && !tok_closed(&t[j]) && !in_list(t[j].vlem, k_appearance_verb) &&
            (strcmp(t[j].w, t[j].vlem) != 0 || aux)) {
            int f[1];
            if (wn_classes(t[j].vlem, VERB, f, 1) == 1 && !in_list(lexfiles[f[0]], k_mental_class)) {
                t[j].motion_fnum = f[0];
                for (int q = start; q < j; q++)
                    if (in_list(t[q].w, k_aux)) keep(&c, q, "auxiliary");
                clause(&c, j, info);
                t[j].why = "the subject's verb";
                nclauses++;
            }
        }
    }

    int overflow = 0;
    size_t len = 0;
    if (nclauses > 0) {
        if (s0 < 0) put(out, cap, &len, "a person", &overflow);
        int prev_kept = s0 < 0 ? 0 : -1, prev_idx = -1;
        for (int i = 0; i < n; i++) {
            if (!t[i].kept) continue;
            if (len > 0) {
                /* what separates this kept word from the previous one */
                int gap_conn = 0, gap_comma = 0, gap = prev_idx >= 0 && i > prev_idx + 1;
                for (int q = prev_idx + 1; q < i && prev_idx >= 0; q++) {
                    if (t[q].punct && t[q].w[0] == ',') gap_comma = 1;
                }
                if (strcmp(t[i].why, "conjunction") == 0) gap_conn = 1;
                int new_clause = strcmp(t[i].why, "motion verb") == 0 || strcmp(t[i].why, "auxiliary") == 0;
                int prev_is_subject = prev_idx >= 0 && strcmp(t[prev_idx].why, "subject") == 0;
                if (gap && new_clause && !prev_is_subject && strcmp(t[prev_idx].why, "conjunction") != 0 && !gap_conn) {
                    if (gap_comma && ends_with(t[i].w, "ing")) put(out, cap, &len, ",", &overflow);
                    else put(out, cap, &len, " and", &overflow);
                } else if (gap_conn && gap_comma && strcmp(t[i].w, "then") == 0 && strcmp(t[prev_idx].why, "conjunction") != 0) {
                    put(out, cap, &len, ",", &overflow);
                }
                if (!strcmp(t[i].why, "body-part posture") && strcmp(t[prev_idx].why, "body-part posture") != 0)
                    put(out, cap, &len, ",", &overflow);
                put(out, cap, &len, " ", &overflow);
            }
            put(out, cap, &len, t[i].w, &overflow);
            prev_kept = 1;
            prev_idx = i;
        }
        (void)prev_kept;
        put(out, cap, &len, ".", &overflow);
    }

    if (info) {
        info->n_words = n;
        for (int i = 0; i < n; i++) {
            snprintf(info->words[i].text, sizeof info->words[i].text, "%s", t[i].w);
            info->words[i].kept = t[i].kept;
            info->words[i].why = t[i].why;
        }
        size_t o = 0;
        if (s0 >= 0)
            for (int i = s0; i <= s1 && o + 1 < sizeof info->subject; i++)
                o += (size_t)snprintf(info->subject + o, sizeof info->subject - o, "%s%s", i > s0 ? " " : "", t[i].w);
        else snprintf(info->subject, sizeof info->subject, "a person");
        if (o >= sizeof info->subject) info->subject[sizeof info->subject - 1] = 0;
        info->subject_found = s0 >= 0;
        info->no_motion = nclauses == 0;
    }
    mosa_free(t);
    if (overflow) {
        out[0] = 0;
        return mosa_fail(MOSA_ERR_ARG, "prompt_motion_extract: the output buffer (%zu bytes) is too small", cap);
    }
    return MOSA_OK;
}

/* WordNet's C library keeps global state, so every use of it (here and in tokenizer.c) holds
 * the one lock of text_wordnet_lock. */
mosa_status prompt_motion_extract(char *out, size_t cap, const char *prompt, prompt_info *info) {
    text_wordnet_lock();
    mosa_status st = extract_locked(out, cap, prompt, info);
    text_wordnet_unlock();
    return st;
}
