/* prompt.h: the motion part of a video prompt, for the structure branch (MoSA Sec. 3.2.1,
 * App. A: the structure branch "filters the prompt down to its motion part").
 *
 * A full prompt ("A male gymnast in red shorts walks to the blue trampoline and jumps, all under
 * the bright natural light.") mixes the subject, the motion, appearance, scene and lighting. The
 * structure branch only needs the subject and the motion ("a male gymnast walks to the blue
 * trampoline and jumps."). This module does that filtering with rules over WordNet (the C
 * library of Debian's wordnet-dev, database from wordnet-base): words are lemmatised with
 * morphstr, a verb is a motion verb when one of its first three senses is in the lexicographer
 * classes verb.motion, verb.body, verb.contact or verb.competition (so unseen verbs such as
 * "pirouettes" or "shimmies" work without a hand list), and prepositional phrases are kept or
 * dropped by the WordNet class of their head noun (noun.body kept, noun.time/phenomenon/
 * location/plant/substance dropped, ...). The rule, with examples: docs/prompt.md.
 *
 * A user-given motion prompt overrides this extraction: the command line passes it through to
 * the structure branch unchanged and calls prompt_motion_extract only when none is given.
 *
 * Not thread-safe: WordNet's library keeps global state (open files, static buffers); call from
 * one thread at a time. */
#ifndef MOSA_PROMPT_H
#define MOSA_PROMPT_H

#include "base/base.h"

#include <stddef.h>

#define PROMPT_MAX_BYTES 2000 /* longest accepted prompt, bytes (NUL not counted) */
#define PROMPT_MAX_WORDS 1024 /* tokens (words and punctuation) a prompt can hold */
#define PROMPT_MAX_VERBS 32   /* motion verbs reported in prompt_info */
#define PROMPT_WORD_MAX 48    /* bytes of one reported word (longer words are cut) */
/* What the structure branch generates when a prompt has no motion in it. */
#define PROMPT_DEFAULT_MOTION "a person stands."

/* One token of the prompt and what happened to it. */
typedef struct prompt_word {
    char text[PROMPT_WORD_MAX]; /* the token, lower case ("," for punctuation) */
    int kept;                   /* 1 when it is in the output */
    const char *why;            /* a static phrase: "subject", "motion verb", "object", "scene", ... */
} prompt_word;

/* One motion verb of the output. */
typedef struct prompt_verb {
    char lemma[PROMPT_WORD_MAX]; /* WordNet lemma ("walk") */
    const char *lexclass;        /* its lexicographer class ("verb.motion"); static */
    int word;                    /* index into prompt_info.words */
} prompt_verb;

/* What prompt_motion_extract decided. Large (~60 KB): allocate it on the heap or statically. */
typedef struct prompt_info {
    int n_words;
    prompt_word words[PROMPT_MAX_WORDS];
    char subject[256];   /* the subject noun phrase, lower case ("a male gymnast"); "a person" when none */
    int subject_found;   /* 0 when the prompt names no person and "a person" was used */
    int n_verbs;
    prompt_verb verbs[PROMPT_MAX_VERBS];
    int no_motion;       /* 1 when no motion verb was found (the output is then "") */
} prompt_info;

/* Opens WordNet's database once (later calls are free). MOSA_ERR_IO naming the directory
 * ($WNSEARCHDIR, else /usr/share/wordnet) when it is missing: install wordnet-base. */
mosa_status prompt_wordnet_init(void);

/* Writes the motion part of `prompt` into out (cap bytes): the subject and the motion clauses,
 * lower case, one sentence ending with a period ("a man walks to the blue trampoline and
 * jumps."). When no motion verb is found: MOSA_OK, out = "" and info->no_motion = 1 (the caller
 * picks a default). info (nullable) says which words were kept or dropped and why, the subject
 * and the verbs with their lexicographer classes.
 * Errors: MOSA_ERR_ARG for a NULL/empty (or whitespace-only) prompt, one longer than
 * PROMPT_MAX_BYTES, or out too small for the result (out is then ""); MOSA_ERR_IO when the
 * WordNet database is missing; MOSA_ERR_NOMEM. */
mosa_status prompt_motion_extract(char *out, size_t cap, const char *prompt, prompt_info *info);

#endif /* MOSA_PROMPT_H */
