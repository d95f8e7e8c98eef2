/* captions.h: natural-language descriptions of the motions of the procedural library, in the
 * style of HumanML3D's texts ("a person walks forward slowly.", "someone does three jumping
 * jacks.", "a man jumps twice and then turns around to the left.").
 *
 * Every caption is one lower-case sentence ending with a period. The wording follows the
 * generator's parameters: the side (left/right), counts of repetitions (motion_action_reps),
 * adverbs from speed and amplitude ("slowly", "quickly", "energetically", "gently"), the path
 * ("forward", "in a circle", "curving to the left") and body-part details ("raising the left arm
 * above the head"). The choice of subject, verb phrase, word order and details is drawn from a
 * seeded RNG, so the same (action, parameters, seed) always gives the same sentences.
 *
 * Not here: appearance or scene text (the video prompt's other half), and parsing prompts. */
#ifndef MOSA_CAPTIONS_H
#define MOSA_CAPTIONS_H

#include "library.h"

#define MOTION_CAPTION_MAX 320      /* bytes, NUL included, of any single-action caption */
#define MOTION_CAPTION_SEQ_MAX 4096 /* bytes of any sequence caption (up to 64 parts) */

/* Up to `max` different captions of motion_generate(action, p); each out[i] is mosa_malloc'd
 * (free each with mosa_free). Subjects vary ("a person", "a man", "a woman", "someone", "the
 * figure"). Returns how many were written (at least 1 when max >= 1), or -1 with the error set
 * (bad action, parameters or arguments). */
int motion_captions(char **out, int max, int action, const motion_params *p, uint64_t seed);

/* One motion-only description for training text-to-motion: subject "a person", "someone" or
 * "the person" (no gender, no appearance) and the motion. Writes into buf (cap bytes, at least
 * MOTION_CAPTION_MAX is always enough). */
mosa_status motion_caption_motion(char *buf, size_t cap, int action, const motion_params *p, uint64_t seed);

/* Captions of motion_sequence(actions, ps, n): the parts' verb phrases joined with "then", "and
 * then", "after that" (parts the sequence inserts, such as standing up after sitting, are
 * described too). Same memory rules as motion_captions. */
int motion_sequence_captions(char **out, int max, const int *actions, const motion_params *ps, int n, uint64_t seed);
/* The motion-only form of a sequence caption. */
mosa_status motion_sequence_caption_motion(char *buf, size_t cap, const int *actions, const motion_params *ps, int n,
                                           uint64_t seed);

/* Held-out phrasings, for evaluating text-to-motion on wording it was not trained on: one verb
 * phrasing of every action (turn_around: of each of its turn-angle tables) is held out.
 * split 0 (MOTION_SPLIT_TRAIN) draws only from the other phrasings, 1 (MOTION_SPLIT_TEST) uses
 * only the held-out one, -1 all of them (exactly motion_caption_motion /
 * motion_sequence_caption_motion). The held-out phrasing was chosen so its verb or wording
 * appears in no training phrasing of that action ("strolls" for walk, "sprints" for run,
 * "applauds" for clap). Same seeds and memory rules as the unsplit forms. */
mosa_status motion_caption_motion_split(char *buf, size_t cap, int action, const motion_params *p, uint64_t seed,
                                        int split);
mosa_status motion_sequence_caption_motion_split(char *buf, size_t cap, const int *actions, const motion_params *ps,
                                                 int n, uint64_t seed, int split);

/* Number of distinct verb phrasings the captions of an action draw from (>= 5 for every
 * action); 0 for an unknown action. */
int motion_caption_phrasings(int action);

/* The verbs the captions conjugate ('^' in the templates of every phrasing): each in the third
 * person ("walks") and in the -ing form the progressive uses ("walking"), distinct, up to max
 * words of fewer than MOTION_VERB_MAX bytes. Returns how many were written. */
#define MOTION_VERB_MAX 32
int motion_caption_verbs(char (*out)[MOTION_VERB_MAX], int max);

#endif /* MOSA_CAPTIONS_H */
