/* action_prompts.c: prompts in new words for every library action, and the action-accuracy
 * check (see action_prompts.h). The prompts were written after reading captions.c's verb
 * phrases, to avoid them: other subjects ("somebody", "an individual", "a human being"),
 * synonyms ("ambles", "lopes", "whirls", "hurls", "genuflects") and other sentence shapes
 * ("is out for ...", "... and rises again"). tests/test_motion_eval.c checks that none of them
 * equals a caption the generator produces. */
#include "action_prompts.h"

#include "../motion/features.h"
#include "../motion/library.h"

#include <string.h>

static const char *const ap_table[MOTION_ACTION_COUNT][ACTION_PROMPTS_MAX] = {
    [MOTION_IDLE] = {"somebody just stands there without moving", "an individual remains motionless on the spot",
                     "a human being loiters quietly, barely moving"},
    [MOTION_WALK] = {"somebody ambles ahead at an easy pace", "an individual wanders onward leisurely",
                     "a human being is walking along calmly"},
    [MOTION_JOG] = {"somebody lopes along at a gentle pace", "an individual is jogging leisurely around",
                    "a human being runs lightly at a relaxed tempo"},
    [MOTION_RUN] = {"somebody hurries ahead at full speed", "an individual bolts forward as fast as possible",
                    "a human being is running flat out"},
    [MOTION_MARCH] = {"somebody stomps ahead in military fashion, knees up high",
                      "an individual strides like a trooper on parade", "a human being is marching in step"},
    [MOTION_SIDE_STEP] = {"somebody shifts laterally with a few quick steps", "an individual edges sideways toward the right",
                          "a human being moves laterally, stepping to the left"},
    [MOTION_CROUCH_WALK] = {"somebody tiptoes forward while hunched low", "an individual stalks ahead in a low posture",
                            "a human being walks while bent down low"},
    [MOTION_WALK_BACKWARD] = {"somebody is walking backwards", "an individual steps rearward while facing front",
                              "a human being moves back away while still looking ahead"},
    [MOTION_CLIMB_STEPS] = {"somebody mounts a staircase", "an individual heads upstairs step by step",
                            "a human being walks upstairs"},
    [MOTION_TURN_AROUND] = {"somebody faces the opposite direction by rotating", "an individual swivels round to look behind",
                            "a human being turns back the way they came"},
    [MOTION_SPIN] = {"somebody whirls around in a circle on the spot", "an individual rotates rapidly in place",
                     "a human being gyrates around in place"},
    [MOTION_SKATE_GLIDE] = {"somebody mimics ice skating across the floor", "an individual glides along like a speed skater",
                            "a human being is skating on an imaginary rink"},
    [MOTION_DANCE] = {"somebody boogies in place", "an individual moves rhythmically to a beat",
                      "a human being is dancing happily"},
    [MOTION_JUMP] = {"somebody springs upward several times on the spot", "an individual bounces up into the air repeatedly",
                     "a human being leaps vertically a few times"},
    [MOTION_JUMP_FORWARD] = {"somebody springs ahead with feet together", "an individual does a long jump forward",
                             "a human being leaps a distance ahead"},
    [MOTION_HOP] = {"somebody hops along on a single leg", "an individual bounces on just one foot",
                    "a human being is hopping on the left leg"},
    [MOTION_JUMPING_JACKS] = {"somebody exercises with a few jumping jacks",
                              "an individual jumps spreading arms and legs out wide then together",
                              "a human being does some jumping jack exercises"},
    [MOTION_SQUAT] = {"somebody drops into a deep knee bend and rises again", "an individual performs several squatting exercises",
                      "a human being crouches down low and straightens back up"},
    [MOTION_LUNGE] = {"somebody steps ahead and sinks low on the front knee", "an individual performs a forward lunge exercise",
                      "a human being lunges with the left foot in front"},
    [MOTION_FRONT_KICK] = {"somebody kicks straight out in front", "an individual delivers a forward kick with the right foot",
                           "a human being strikes ahead with a kick"},
    [MOTION_SIDE_KICK] = {"somebody kicks out sideways", "an individual delivers a lateral kick with the right leg",
                          "a human being strikes to the side with one foot"},
    [MOTION_LEG_STRETCH] = {"somebody grips an ankle behind them to stretch the thigh",
                            "an individual stretches the quadriceps standing on one leg",
                            "a human being pulls one heel toward the buttocks"},
    [MOTION_TREE_POSE] = {"somebody holds the yoga tree position",
                          "an individual balances on one foot with the other foot against the knee",
                          "a human being practices tree pose in yoga"},
    [MOTION_WARRIOR] = {"somebody assumes the warrior yoga stance", "an individual takes a wide yoga lunge with arms outstretched",
                        "a human being practices the warrior two position"},
    [MOTION_SIT_DOWN] = {"somebody lowers themselves onto a seat", "an individual sits on a chair",
                         "a human being settles down into a chair"},
    [MOTION_STAND_UP] = {"somebody rises to their feet from a chair", "an individual gets up out of a seat",
                         "a human being stands from a sitting position"},
    [MOTION_PUNCH] = {"somebody throws jabs at an invisible opponent", "an individual strikes forward with a fist",
                      "a human being is boxing and punching"},
    [MOTION_WAVE] = {"somebody greets a friend by waving one hand", "an individual waves the right hand in greeting",
                     "a human being lifts a hand and waves hi"},
    [MOTION_WAVE_BOTH] = {"somebody waves both arms high above the head", "an individual waves with two hands overhead",
                          "a human being flails both arms in the air in greeting"},
    [MOTION_CLAP] = {"somebody claps along", "an individual applauds enthusiastically",
                     "a human being strikes the palms together repeatedly"},
    [MOTION_RAISE_ARMS] = {"somebody lifts both hands up high", "an individual puts both arms in the air",
                           "a human being stretches the arms straight up toward the sky"},
    [MOTION_SIDE_STRETCH] = {"somebody bends the torso sideways to stretch", "an individual leans over to one side with an arm overhead",
                             "a human being does a lateral stretch to the left"},
    [MOTION_TOE_TOUCH] = {"somebody folds forward to reach the toes", "an individual bends down and reaches for the feet",
                          "a human being touches the toes with straight legs"},
    [MOTION_BOW] = {"somebody bends at the waist to greet respectfully", "an individual makes a polite bow",
                    "a human being bows deeply"},
    [MOTION_THROW] = {"somebody hurls a ball overhand", "an individual tosses an object with the right arm",
                      "a human being pitches something far away"},
    [MOTION_PUSH_UP] = {"somebody performs push-ups on the ground", "an individual gets on the floor and does press-ups",
                        "a human being does a set of push-ups"},
    [MOTION_CARTWHEEL] = {"somebody turns cartwheels sideways", "an individual does a gymnastic cartwheel",
                          "a human being flips over sideways on the hands"},
    [MOTION_KNEEL] = {"somebody drops down on one knee", "an individual genuflects briefly",
                      "a human being goes down onto a knee and rises again"},
};

int action_prompt_count(int action) {
    if (action < 0 || action >= MOTION_ACTION_COUNT) return 0;
    int n = 0;
    while (n < ACTION_PROMPTS_MAX && ap_table[action][n]) n++;
    return n;
}

const char *action_prompt(int action, int i) {
    if (i < 0 || i >= action_prompt_count(action)) return NULL;
    return ap_table[action][i];
}

void action_prompt_set_handwritten(action_prompt_set *s) {
    memset(s, 0, sizeof *s);
    s->n_actions = MOTION_ACTION_COUNT;
    for (int a = 0; a < MOTION_ACTION_COUNT; a++) {
        s->count[a] = action_prompt_count(a);
        for (int i = 0; i < s->count[a]; i++) s->prompt[a][i] = ap_table[a][i];
    }
}

mosa_status meval_action_accuracy(meval_action_result *r, const meval_model *ev, const action_prompt_set *set,
                                  meval_generator gen, void *gen_user, int samples, uint64_t seed,
                                  meval_progress progress, void *progress_user, const meval_prompt_hook *hook) {
    memset(r, 0, sizeof *r);
    const int A = motion_action_count();
    action_prompt_set handwritten; /* ~17 KB of pointers */
    if (!set) {
        action_prompt_set_handwritten(&handwritten);
        set = &handwritten;
    }
    if (!ev || !gen || samples < 1 || A > 256 || ev->cfg.n_actions != A || set->n_actions != A)
        return mosa_fail(MOSA_ERR_ARG, "meval_action_accuracy: bad arguments (samples %d, %d classes and %d prompt "
                                       "sets for %d actions)",
                         samples, ev ? ev->cfg.n_actions : 0, set->n_actions, A);
    r->n_actions = A;
    int total = 0;
    for (int a = 0; a < A; a++) total += set->count[a] * samples;
    float *emb = mosa_malloc(sizeof(float) * ev->cfg.dim), *logits = mosa_malloc(sizeof(float) * A);
    int *votes = mosa_calloc((size_t)A, sizeof(int)), *preds = mosa_calloc((size_t)samples, sizeof(int));
    if (!emb || !logits || !votes || !preds) {
        mosa_free(emb);
        mosa_free(logits);
        mosa_free(votes);
        mosa_free(preds);
        return MOSA_ERR_NOMEM;
    }
    mosa_status s = MOSA_OK;
    int done = 0;
    for (int a = 0; a < A && s == MOSA_OK; a++) {
        memset(votes, 0, sizeof(int) * (size_t)A);
        int ok = 0, n = 0;
        float sec = motion_action_min_seconds(a) + 1.0f;
        if (sec < 4.0f) sec = 4.0f;
        for (int i = 0; i < set->count[a] && s == MOSA_OK; i++) {
            for (int k = 0; k < samples; k++) {
                const char *prompt = set->prompt[a][i];
                float *J = NULL;
                int T = 0;
                s = gen(gen_user, prompt, sec, seed + (uint64_t)k, &J, &T);
                if (s != MOSA_OK) {
                    mosa_fail_context(s, "generating '%s'", prompt);
                    break;
                }
                if (T < 2) {
                    mosa_free(J);
                    s = mosa_fail(MOSA_ERR_INTERNAL, "the generator made %d frames for '%s'", T, prompt);
                    break;
                }
                float *feat = mosa_malloc(sizeof(float) * (size_t)(T - 1) * MOTION_FEAT);
                if (!feat) s = MOSA_ERR_NOMEM;
                if (s == MOSA_OK) s = hml_features_from_joints(feat, J, T, 1);
                const float *fp = feat;
                int len = T - 1;
                if (s == MOSA_OK) s = meval_embed_motions(ev, &fp, &len, 1, emb, logits);
                mosa_free(J);
                mosa_free(feat);
                if (s != MOSA_OK) break;
                int pred;
                meval_argmax(&pred, logits, 1, A);
                votes[pred]++;
                preds[k] = pred;
                ok += pred == a;
                n++;
                if (progress) progress(progress_user, "action accuracy", ++done, total);
            }
            if (s == MOSA_OK && hook && hook->fn) hook->fn(hook->user, hook->check, a, set->prompt[a][i], preds, samples);
        }
        r->per_action[a] = n ? (double)ok / n : -1;
        r->prompts += n;
        r->correct += ok;
        int top = -1;
        for (int b = 0; b < A; b++)
            if (b != a && votes[b] > 0 && (top < 0 || votes[b] > votes[top])) top = b;
        r->confusion_top[a] = top;
    }
    mosa_free(emb);
    mosa_free(logits);
    mosa_free(votes);
    mosa_free(preds);
    return s;
}
