/* action_prompts.h: hand-written prompts for every action of the motion library, phrased in
 * words and sentence shapes that the caption generator (motion/captions.c) does not use, and
 * the action-accuracy check built on them: each prompt is turned into motion by a generator,
 * the evaluator's classifier (motion_eval.h) names the action, and the share of prompts whose
 * motion is classified as the prompt's action is reported per action and overall.
 *
 * Not here: the generator itself (it is a callback, so any model, or a test double, can be
 * checked) and printing. */
#ifndef MOSA_EVAL_ACTION_PROMPTS_H
#define MOSA_EVAL_ACTION_PROMPTS_H

#include "motion_eval.h"

#define ACTION_PROMPTS_MAX 8

/* Number of prompts of an action (>= 3 for every action of the library; 0 if out of range). */
int action_prompt_count(int action);
/* Prompt i of an action (lower case, one phrase), or NULL if out of range. */
const char *action_prompt(int action, int i);

/* Prompts per action for the accuracy check: the hand-written ones above, or others (the CLI
 * also measures captions in each action's held-out phrasing, motion_eval.h). Pointers only; the
 * strings belong to whoever filled the set. */
typedef struct action_prompt_set {
    int n_actions;
    int count[256];
    const char *prompt[256][ACTION_PROMPTS_MAX];
} action_prompt_set;

/* Fills s with this file's hand-written prompts. */
void action_prompt_set_handwritten(action_prompt_set *s);

typedef struct meval_action_result {
    int n_actions;
    int prompts;                       /* motions generated and classified in all */
    int correct;
    double per_action[256];            /* accuracy of each action (prompts x samples); -1 = no prompt */
    int confusion_top[256];            /* most frequent wrong prediction of each action, -1 = none */
} meval_action_result;

/* Where meval_action_accuracy reports each prompt's outcome (see meval_prompt_report). */
typedef struct meval_prompt_hook {
    meval_prompt_report fn;
    void *user;
    int check; /* passed through: which check this is (MEVAL_CHECK_*) */
} meval_prompt_hook;

/* Generates `samples` motions (seeds seed, seed+1, ...) for every prompt of every action of the
 * set (NULL = the hand-written prompts), each max(4 s, the action's minimum length + 1 s) long,
 * classifies them with the evaluator and fills r; hook (nullable) hears every prompt's outcome. */
mosa_status meval_action_accuracy(meval_action_result *r, const meval_model *ev, const action_prompt_set *set,
                                  meval_generator gen, void *gen_user, int samples, uint64_t seed,
                                  meval_progress progress, void *progress_user, const meval_prompt_hook *hook);

#endif /* MOSA_EVAL_ACTION_PROMPTS_H */
