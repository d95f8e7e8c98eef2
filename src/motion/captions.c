/* captions.c: HumanML3D-style sentences for the procedural motions (see captions.h).
 *
 * Templates are verb phrases in the simple present with the finite verbs marked by '^' (so the
 * progressive "is walking" can be made from "^walks") and slots in braces:
 *   {side} {oside}  the active side and the other one ("left", "right")
 *   {tside}         the turning direction
 *   {pos}           the subject's possessive ("his", "her", "their")
 *   {dir}           the path ("forward", "in a circle", "to the left", ...)
 *   {n} {num}       repetitions: "three times" / "three" (templates with {num} need >= 2)
 * No prompt parsing and no appearance words here. */
#include "captions.h"

#include "actions_common.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Phrase tables                                                                              */
/* ------------------------------------------------------------------------------------------ */

enum { CAP_SPEED = 1, CAP_AMP = 2, CAP_LOCO = 4 };

#define CAP_MAX_VP 10
#define CAP_MAX_DETAIL 6

typedef struct cap_action {
    const char *vp[CAP_MAX_VP];
    const char *detail[CAP_MAX_DETAIL];
    int adverbs;
} cap_action;

static const cap_action cap_table[MOTION_ACTION_COUNT] = {
    [MOTION_IDLE] = {{"^stands still", "^stands in place", "^stands and ^looks around", "^waits in one spot",
                      "^stands idle, shifting {pos} weight from foot to foot", "^remains standing in the same place",
                      "^stands around casually"},
                     {"with {pos} arms at {pos} sides", "breathing calmly", "glancing to the side"},
                     0},
    [MOTION_WALK] = {{"^walks {dir}", "^takes several steps {dir}", "^strolls {dir}", "^moves on foot {dir}",
                      "^paces {dir}", "^makes {pos} way {dir}", "^walks {dir}, one step after another"},
                     {"swinging {pos} arms", "with {pos} arms swinging at {pos} sides", "with a relaxed stride"},
                     CAP_SPEED | CAP_AMP | CAP_LOCO},
    [MOTION_JOG] = {{"^jogs {dir}", "^does a light jog {dir}", "^trots {dir}", "^jogs lightly {dir}", "^goes for a jog",
                     "^moves at a jog {dir}"},
                    {"with {pos} elbows bent", "swinging {pos} bent arms"},
                    CAP_SPEED | CAP_AMP | CAP_LOCO},
    [MOTION_RUN] = {{"^runs {dir}", "^sprints {dir}", "^dashes {dir}", "^races {dir}", "^breaks into a run {dir}",
                     "^takes off running {dir}"},
                    {"pumping {pos} arms", "leaning forward", "with long strides"},
                    CAP_SPEED | CAP_AMP | CAP_LOCO},
    [MOTION_MARCH] = {{"^marches {dir}", "^marches {dir}, lifting {pos} knees high", "^walks in a marching style {dir}",
                       "^steps with high knees {dir}", "^marches like a soldier {dir}", "^parades {dir}"},
                      {"swinging {pos} arms high", "keeping {pos} back straight"},
                      CAP_SPEED | CAP_AMP | CAP_LOCO},
    [MOTION_SIDE_STEP] = {{"^sidesteps to the {side}", "^steps sideways to the {side}", "^shuffles to the {side}",
                           "^moves sideways to the {side}", "^takes several steps to the {side}",
                           "^sidesteps toward {pos} {side}"},
                          {"keeping {pos} knees slightly bent", "facing forward the whole time"},
                          CAP_SPEED | CAP_AMP | CAP_LOCO},
    [MOTION_CROUCH_WALK] = {{"^walks in a crouch {dir}", "^sneaks {dir}, crouching", "^crouches and ^walks {dir}",
                             "^moves with bent knees {dir}, staying low", "^creeps {dir}", "^crouches down and ^sneaks {dir}"},
                            {"bending over", "with {pos} knees bent", "keeping {pos} body low"},
                            CAP_SPEED | CAP_AMP | CAP_LOCO},
    [MOTION_WALK_BACKWARD] = {{"^walks {dir}", "^steps {dir}", "^moves {dir}", "^backs up {dir}", "^retreats {dir}",
                               "^takes a few steps {dir}"},
                              {"looking ahead", "with careful steps"},
                              CAP_SPEED | CAP_AMP | CAP_LOCO},
    [MOTION_CLIMB_STEPS] = {{"^climbs up the stairs", "^walks up some steps", "^goes up a flight of stairs",
                             "^climbs stairs", "^ascends the steps", "^steps up the stairs one at a time"},
                            {"leaning slightly forward", "lifting {pos} knees"},
                            CAP_SPEED},
    [MOTION_TURN_AROUND] = {{"^turns around to the {tside}", "^turns around", "^turns to face the other way",
                             "^pivots to the {tside} and ^faces backward", "^turns {pos} body around to the {tside}",
                             "^does an about-face to the {tside}"},
                            {"with small steps", "stepping in place"},
                            CAP_SPEED},
    [MOTION_SPIN] = {{"^spins around", "^spins in place to the {tside}", "^does a pirouette", "^twirls around",
                      "^turns a full circle on one foot", "^spins on {pos} {side} foot"},
                     {"with {pos} arms held in front", "balancing on the ball of {pos} foot"},
                     CAP_SPEED},
    [MOTION_SKATE_GLIDE] = {{"^skates {dir}", "^glides as if on ice skates {dir}", "^does a skating motion {dir}",
                             "^pretends to skate {dir}", "^slides like a skater {dir}", "^skates {dir}, pushing off with each foot"},
                            {"swinging {pos} arms", "bending {pos} knees", "pushing off to the sides"},
                            CAP_SPEED | CAP_AMP | CAP_LOCO},
    [MOTION_DANCE] = {{"^dances", "^does a step-touch dance", "^dances from side to side", "^sways and ^steps from side to side",
                       "^grooves to the music", "^does a simple dance, stepping side to side"},
                      {"starting to the {side}", "bouncing on {pos} knees", "moving {pos} arms to the beat"},
                      CAP_SPEED | CAP_AMP},
    [MOTION_JUMP] = {{"^jumps {n}", "^jumps up and down {n}", "^jumps in place {n}", "^does {num} vertical jumps",
                      "^jumps straight up {n}", "^leaps up with both feet {n}", "^jumps in place"},
                     {"swinging {pos} arms up", "bending {pos} knees before each jump"},
                     CAP_SPEED | CAP_AMP},
    [MOTION_JUMP_FORWARD] = {{"^jumps forward {n}", "^leaps forward {n}", "^does {num} broad jumps",
                              "^jumps ahead with both feet {n}", "^bounds forward {n}", "^jumps forward with both feet"},
                             {"swinging {pos} arms forward", "landing with bent knees"},
                             CAP_SPEED | CAP_AMP},
    [MOTION_HOP] = {{"^hops on {pos} {side} leg", "^hops on one foot", "^jumps on the {side} foot {n}",
                     "^hops {n} on {pos} {side} foot", "^balances on the {side} leg and ^hops", "^hops on one leg {n}"},
                    {"holding {pos} {oside} foot up", "with {pos} {oside} leg bent behind"},
                    CAP_SPEED | CAP_AMP},
    [MOTION_JUMPING_JACKS] = {{"^does {num} jumping jacks", "^does jumping jacks", "^performs jumping jacks",
                               "^does star jumps", "^jumps while spreading {pos} arms and legs {n}",
                               "^does {num} star jumps"},
                              {"clapping {pos} hands above {pos} head", "raising {pos} arms over {pos} head"},
                              CAP_SPEED | CAP_AMP},
    [MOTION_SQUAT] = {{"^squats {n}", "^does {num} squats", "^squats down and ^stands back up",
                       "^bends {pos} knees into a squat {n}", "^does squats", "^lowers into a squat and ^rises {n}"},
                      {"holding {pos} arms out in front", "keeping {pos} back straight"},
                      CAP_SPEED | CAP_AMP},
    [MOTION_LUNGE] = {{"^lunges forward with {pos} {side} leg", "^does {num} lunges with the {side} leg",
                       "^steps forward into a lunge", "^lunges {n} with the {side} leg",
                       "^takes a lunge step with {pos} {side} foot", "^does lunges"},
                      {"bending both knees", "keeping {pos} back upright"},
                      CAP_SPEED | CAP_AMP},
    [MOTION_FRONT_KICK] = {{"^kicks forward with {pos} {side} leg", "^does a front kick with the {side} foot",
                            "^kicks {n} with {pos} {side} leg", "^kicks straight ahead {n}", "^throws {num} front kicks",
                            "^kicks the air in front of {pos} body"},
                           {"holding {pos} fists up", "with {pos} hands up in a guard"},
                           CAP_SPEED | CAP_AMP},
    [MOTION_SIDE_KICK] = {{"^kicks to the side with {pos} {side} leg", "^does a side kick", "^kicks sideways {n}",
                           "^throws {num} side kicks with the {side} leg", "^kicks out to the {side}",
                           "^lifts {pos} {side} leg and ^kicks sideways"},
                          {"leaning away from the kick", "with {pos} fists raised"},
                          CAP_SPEED | CAP_AMP},
    [MOTION_LEG_STRETCH] = {{"^stretches {pos} {side} leg", "^holds {pos} {side} foot behind {pos} back",
                             "^stretches {pos} thigh, holding {pos} foot", "^pulls {pos} {side} foot up behind {pos} body",
                             "^does a quad stretch", "^grabs {pos} {side} ankle and ^stretches"},
                            {"placing one hand on {pos} foot", "balancing on {pos} {oside} leg",
                             "holding {pos} {side} foot with {pos} {side} hand"},
                            CAP_SPEED},
    [MOTION_TREE_POSE] = {{"^does the tree pose", "^stands in a yoga tree pose", "^balances on {pos} {oside} leg in tree pose",
                           "^holds a tree pose with {pos} {side} foot on {pos} {oside} leg", "^does a yoga pose on one leg",
                           "^stands on one leg with {pos} palms together"},
                          {"with {pos} {side} knee pointing out", "keeping {pos} balance"},
                          0},
    [MOTION_WARRIOR] = {{"^does a warrior pose", "^gets into warrior two", "^holds the warrior pose",
                         "^steps out to the {side} into a yoga warrior pose", "^stretches {pos} arms out in a warrior stance",
                         "^does a yoga warrior pose"},
                        {"bending {pos} {side} knee", "looking over {pos} {side} hand", "with a wide stance"},
                        CAP_SPEED},
    [MOTION_SIT_DOWN] = {{"^sits down", "^takes a seat", "^sits down on a chair", "^lowers into a chair",
                          "^bends {pos} knees and ^sits", "^sits down on a seat behind"},
                         {"leaning forward", "resting {pos} hands on {pos} thighs"},
                         CAP_SPEED},
    [MOTION_STAND_UP] = {{"^stands up", "^gets up from a chair", "^rises from a seated position", "^stands up from sitting",
                          "^gets up on {pos} feet", "^pushes up from the seat and ^stands"},
                         {"leaning forward first", "straightening {pos} legs"},
                         CAP_SPEED},
    [MOTION_PUNCH] = {{"^punches with {pos} {side} fist", "^throws {num} punches", "^punches {n} with the {side} hand",
                       "^boxes, punching forward", "^jabs with {pos} {side} hand", "^throws punches in the air",
                       "^punches forward with the {side} arm {n}"},
                      {"in a boxing stance", "keeping {pos} guard up"},
                      CAP_SPEED | CAP_AMP},
    [MOTION_WAVE] = {{"^waves {pos} {side} hand", "^waves with the {side} hand", "^waves hello", "^raises {pos} {side} hand and ^waves",
                      "^waves goodbye", "^waves hello with the {side} hand"},
                     {"raising the {side} arm", "with {pos} {side} arm up"},
                     CAP_SPEED | CAP_AMP},
    [MOTION_WAVE_BOTH] = {{"^waves both hands", "^waves with both arms above {pos} head", "^raises both arms and ^waves",
                           "^waves {pos} arms in the air", "^waves both hands overhead", "^waves with both hands"},
                          {"swaying {pos} arms from side to side", "as if greeting a crowd"},
                          CAP_SPEED | CAP_AMP},
    [MOTION_CLAP] = {{"^claps {pos} hands", "^claps {n}", "^claps {pos} hands {num} times", "^applauds",
                      "^claps {pos} hands together", "^gives a round of applause"},
                     {"in front of {pos} chest", "with {pos} arms in front"},
                     CAP_SPEED | CAP_AMP},
    [MOTION_RAISE_ARMS] = {{"^raises {pos} arms", "^lifts both arms above {pos} head", "^raises both hands up {n}",
                            "^puts {pos} arms up {n}", "^reaches up with both arms", "^lifts {pos} arms overhead and ^lowers them"},
                           {"stretching upward", "keeping {pos} arms straight"},
                           CAP_SPEED | CAP_AMP},
    [MOTION_SIDE_STRETCH] = {{"^stretches to the {side}", "^leans to the {side}, stretching {pos} side",
                              "^does a side stretch to the {side}", "^bends sideways to the {side}",
                              "^reaches up and ^leans to the {side}",
                              "^stretches {pos} {oside} side by leaning to the {side}"},
                             {"with {pos} {oside} arm over {pos} head", "raising the {oside} arm above {pos} head"},
                             CAP_SPEED | CAP_AMP},
    [MOTION_TOE_TOUCH] = {{"^touches {pos} toes", "^bends down to touch {pos} toes", "^reaches down to {pos} feet",
                           "^bends forward and ^touches {pos} toes {n}", "^does {num} toe touches", "^bends over to reach {pos} toes"},
                          {"keeping {pos} legs straight", "stretching {pos} hamstrings"},
                          CAP_SPEED | CAP_AMP},
    [MOTION_BOW] = {{"^bows", "^takes a bow", "^bows {n}", "^bends forward in a bow", "^bows politely", "^bows at the waist {n}"},
                    {"lowering {pos} head", "with {pos} arms at {pos} sides"},
                    CAP_SPEED | CAP_AMP},
    [MOTION_THROW] = {{"^throws something with {pos} {side} hand", "^throws a ball", "^makes an overhand throw with the {side} arm",
                       "^winds up and ^throws", "^pitches a ball with the {side} hand", "^throws an object forward"},
                      {"stepping forward", "following through with {pos} {side} arm"},
                      CAP_SPEED | CAP_AMP},
    [MOTION_PUSH_UP] = {{"^does {num} push-ups", "^does push-ups", "^gets down and ^does push-ups",
                         "^drops to the floor and ^does {num} push-ups", "^does push-ups and ^stands back up",
                         "^lowers to the ground and ^does push-ups", "^does {num} push-ups on the floor"},
                        {"keeping {pos} body straight", "with {pos} hands under {pos} shoulders"},
                        CAP_SPEED | CAP_AMP},
    [MOTION_CARTWHEEL] = {{"^does a cartwheel", "^does a cartwheel to the {side}", "^cartwheels to the {side}",
                           "^turns a cartwheel", "^performs a cartwheel", "^flips sideways in a cartwheel to the {side}"},
                          {"placing {pos} hands on the ground", "with {pos} legs spread wide"},
                          CAP_SPEED | CAP_AMP},
    [MOTION_KNEEL] = {{"^kneels down on {pos} {side} knee", "^kneels on one knee", "^goes down on the {side} knee and ^gets back up",
                       "^takes a knee", "^drops to one knee", "^kneels briefly and then ^stands up"},
                      {"resting a hand on {pos} knee", "stepping forward first"},
                      CAP_SPEED},
};

/* turn_around by other angles than half a turn */
static const char *const cap_turn_quarter[] = {"^turns to the {tside}", "^turns 90 degrees to the {tside}",
                                               "^makes a quarter turn to the {tside}", "^turns {pos} body to the {tside}",
                                               "^pivots to the {tside}", NULL};
static const char *const cap_turn_most[] = {"^turns most of the way around to the {tside}", "^turns three quarters around",
                                            "^makes a three-quarter turn to the {tside}", "^turns far to the {tside}",
                                            "^rotates to the {tside} almost all the way around", NULL};
static const char *const cap_turn_full[] = {"^turns all the way around", "^turns a full circle to the {tside}",
                                            "^spins all the way around", "^rotates in a full circle",
                                            "^turns around completely", NULL};

/* The verb phrasing of each action held out of training (MOTION_SPLIT_TEST uses only it,
 * MOTION_SPLIT_TRAIN never): an index into the action's vp[], chosen so that its wording (the
 * verb, where the table allows) appears in no training phrasing of the action. turn_around's
 * other tables hold out their own entry (cap_heldout_turn: quarter, most, full). */
static const signed char cap_heldout[MOTION_ACTION_COUNT] = {
    [MOTION_IDLE] = 3,          /* waits in one spot */
    [MOTION_WALK] = 2,          /* strolls */
    [MOTION_JOG] = 2,           /* trots */
    [MOTION_RUN] = 1,           /* sprints */
    [MOTION_MARCH] = 5,         /* parades */
    [MOTION_SIDE_STEP] = 2,     /* shuffles */
    [MOTION_CROUCH_WALK] = 4,   /* creeps */
    [MOTION_WALK_BACKWARD] = 4, /* retreats */
    [MOTION_CLIMB_STEPS] = 4,   /* ascends the steps */
    [MOTION_TURN_AROUND] = 5,   /* does an about-face */
    [MOTION_SPIN] = 3,          /* twirls around */
    [MOTION_SKATE_GLIDE] = 4,   /* slides like a skater */
    [MOTION_DANCE] = 4,         /* grooves to the music */
    [MOTION_JUMP] = 5,          /* leaps up with both feet */
    [MOTION_JUMP_FORWARD] = 1,  /* leaps forward */
    [MOTION_HOP] = 4,           /* balances on the leg and hops */
    [MOTION_JUMPING_JACKS] = 4, /* jumps while spreading arms and legs */
    [MOTION_SQUAT] = 5,         /* lowers into a squat and rises */
    [MOTION_LUNGE] = 2,         /* steps forward into a lunge */
    [MOTION_FRONT_KICK] = 5,    /* kicks the air in front of the body */
    [MOTION_SIDE_KICK] = 4,     /* kicks out to the side */
    [MOTION_LEG_STRETCH] = 5,   /* grabs the ankle and stretches */
    [MOTION_TREE_POSE] = 5,     /* stands on one leg with palms together */
    [MOTION_WARRIOR] = 1,       /* gets into warrior two */
    [MOTION_SIT_DOWN] = 1,      /* takes a seat */
    [MOTION_STAND_UP] = 2,      /* rises from a seated position */
    [MOTION_PUNCH] = 4,         /* jabs */
    [MOTION_WAVE] = 4,          /* waves goodbye */
    [MOTION_WAVE_BOTH] = 3,     /* waves arms in the air */
    [MOTION_CLAP] = 3,          /* applauds */
    [MOTION_RAISE_ARMS] = 3,    /* puts arms up */
    [MOTION_SIDE_STRETCH] = 3,  /* bends sideways */
    [MOTION_TOE_TOUCH] = 2,     /* reaches down to the feet */
    [MOTION_BOW] = 4,           /* bows politely */
    [MOTION_THROW] = 4,         /* pitches a ball */
    [MOTION_PUSH_UP] = 5,       /* lowers to the ground and does push-ups */
    [MOTION_CARTWHEEL] = 5,     /* flips sideways in a cartwheel */
    [MOTION_KNEEL] = 3,         /* takes a knee */
};
static const signed char cap_heldout_turn[3] = {2, 4, 3}; /* quarter: makes a quarter turn; most, full: rotates */

static const char *const cap_subjects[] = {"a person", "a man", "a woman", "someone", "the figure", "the person", "a human"};
static const char *const cap_subjects_motion[] = {"a person", "someone", "the person"};

static const char *const cap_straight[] = {"forward", "straight ahead", "forward in a straight line", "ahead"};
static const char *const cap_curve[] = {"forward, curving to the {tside}", "in a curve to the {tside}",
                                        "while turning to the {tside}", "along a path that bends to the {tside}"};
static const char *const cap_circle_l[] = {"in a circle", "in a full circle", "around in a circle", "in a circle counterclockwise"};
static const char *const cap_circle_r[] = {"in a circle", "in a full circle", "around in a circle", "in a circle clockwise"};
static const char *const cap_back[] = {"backward", "backwards", "in reverse"};

static const char *const cap_slow[] = {"slowly", "at a slow pace", "unhurriedly"};
static const char *const cap_fast[] = {"quickly", "fast", "rapidly", "at a fast pace"};
static const char *const cap_big[] = {"energetically", "vigorously", "with big movements"};
static const char *const cap_small[] = {"gently", "with small movements", "calmly"};
static const char *const cap_big_loco[] = {"with long strides", "with big steps", "energetically"};
static const char *const cap_small_loco[] = {"with short steps", "with small steps", "carefully"};
static const char *const cap_stops[] = {" and ^stops", " and then ^stops", " and ^comes to a stop", ", then ^stops"};
static const char *const cap_joiners[] = {", then ", " and then ", ", and after that ", " then ", ". after that, {subj2} "};

static const char *const cap_count[] = {"", "once", "twice", "three times", "four times", "five times", "six times",
                                        "seven times", "eight times", "nine times", "ten times"};
static const char *const cap_card[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};

#define CAP_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------------------------------------------ */
/* Expansion                                                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct cap_ctx {
    const char *subj, *subj2, *pos; /* subject, its later mention ("he", "the person"), possessive */
    const char *side, *oside, *tside;
    char dir[96];
    int reps;
} cap_ctx;

typedef struct cap_buf {
    char *p;
    size_t cap, len;
    int overflow;
} cap_buf;

static void cap__put(cap_buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void cap__puts(cap_buf *b, const char *s) { cap__put(b, s, strlen(s)); }

static int cap__in(const char *w, const char *const *list) {
    for (int i = 0; list[i]; i++)
        if (strcmp(w, list[i]) == 0) return 1;
    return 0;
}

/* The -ing form of a third-person verb ("walks" -> "walking", "runs" -> "running"). */
static void cap__ing(cap_buf *b, const char *verb, size_t n) {
    static const char *const doubling[] = {"run", "jog", "hop", "clap", "step", "squat", "sit", "spin", "get", "put",
                                           "drop", "grab", "jab", "skip", "stop", "trot", "nod", "flip", "sidestep", NULL};
    static const char *const irregular[][2] = {{"does", "doing"}, {"goes", "going"}, {"lies", "lying"}};
    for (size_t i = 0; i < sizeof irregular / sizeof irregular[0]; i++)
        if (strlen(irregular[i][0]) == n && strncmp(verb, irregular[i][0], n) == 0) {
            cap__puts(b, irregular[i][1]);
            return;
        }
    char stem[48];
    if (n >= sizeof stem - 4) n = sizeof stem - 5;
    memcpy(stem, verb, n);
    stem[n] = 0;
    size_t l = n;
    if (l > 3 && strcmp(stem + l - 3, "ies") == 0) { /* lies -> lying */
        stem[l - 3] = 'y', stem[l - 2] = 0;
        cap__puts(b, stem);
        cap__puts(b, "ing");
        return;
    }
    if (l > 4 && (strcmp(stem + l - 4, "ches") == 0 || strcmp(stem + l - 4, "shes") == 0 || strcmp(stem + l - 4, "sses") == 0))
        stem[l - 2] = 0, l -= 2;
    else if (l > 3 && strcmp(stem + l - 3, "xes") == 0)
        stem[l - 2] = 0, l -= 2;
    else if (l > 1 && stem[l - 1] == 's')
        stem[--l] = 0;
    if (cap__in(stem, doubling)) {
        cap__puts(b, stem);
        cap__put(b, stem + l - 1, 1);
        cap__puts(b, "ing");
        return;
    }
    if (l > 2 && stem[l - 1] == 'e' && !strchr("eoy", stem[l - 2])) stem[--l] = 0;
    cap__puts(b, stem);
    cap__puts(b, "ing");
}

/* Expands a template: slots filled, '^' verbs as they are or in the -ing form. */
static void cap__expand(cap_buf *b, const char *tpl, const cap_ctx *c, int ing) {
    for (const char *s = tpl; *s;) {
        if (*s == '^') {
            const char *w = ++s;
            while (*s && (isalpha((unsigned char)*s) || *s == '-')) s++;
            if (ing) cap__ing(b, w, (size_t)(s - w));
            else cap__put(b, w, (size_t)(s - w));
        } else if (*s == '{') {
            const char *e = strchr(s, '}');
            if (!e) { b->overflow = 1; return; }
            size_t n = (size_t)(e - s - 1);
            const char *name = s + 1;
            char num[24];
            if (n == 4 && strncmp(name, "side", 4) == 0) cap__puts(b, c->side);
            else if (n == 5 && strncmp(name, "oside", 5) == 0) cap__puts(b, c->oside);
            else if (n == 5 && strncmp(name, "tside", 5) == 0) cap__puts(b, c->tside);
            else if (n == 3 && strncmp(name, "pos", 3) == 0) cap__puts(b, c->pos);
            else if (n == 4 && strncmp(name, "subj", 4) == 0) cap__puts(b, c->subj);
            else if (n == 5 && strncmp(name, "subj2", 5) == 0) cap__puts(b, c->subj2);
            else if (n == 3 && strncmp(name, "dir", 3) == 0) cap__expand(b, c->dir, c, 0);
            else if (n == 1 && name[0] == 'n') {
                if (c->reps >= 1 && c->reps <= 10) cap__puts(b, cap_count[c->reps]);
                else if (c->reps > 10) snprintf(num, sizeof num, "%d times", c->reps), cap__puts(b, num);
            } else if (n == 3 && strncmp(name, "num", 3) == 0) {
                if (c->reps >= 0 && c->reps <= 10) cap__puts(b, cap_card[c->reps]);
                else snprintf(num, sizeof num, "%d", c->reps), cap__puts(b, num);
            } else b->overflow = 1; /* unknown slot: a bug in a table */
            s = e + 1;
        } else {
            cap__put(b, s, 1);
            s++;
        }
    }
}

/* Collapses double spaces and spaces before punctuation, trims the ends. */
static void cap__tidy(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == ' ' && (w == s || w[-1] == ' ')) continue;
        if ((*r == ',' || *r == '.') && w > s && w[-1] == ' ') w--;
        if (*r == ',' && w > s && w[-1] == ',') continue;
        *w++ = *r;
    }
    while (w > s && w[-1] == ' ') w--;
    *w = 0;
}

static float cap__rand(mosa_rng *r) {
    float u;
    rng_uniform(r, &u, 1);
    return u;
}

static int cap__pick(mosa_rng *r, int n) { return (int)rng_below(r, (uint32_t)n); }

/* Whether template t can be used with `reps` repetitions. */
static int cap__usable(const char *t, int reps) {
    if (strstr(t, "{num}") && reps < 2) return 0;
    if (strstr(t, "{n}") && reps < 1) return 0;
    return 1;
}

static int cap__count_vp(const char *const *vp, int max) {
    int n = 0;
    while (n < max && vp[n]) n++;
    return n;
}

/* The turn angle of turn_around (as act_turn_around computes it) and the table to use. */
static const char *const *cap__turn_table(const motion_params *p, float *angle) {
    float sg = p->side == MOTION_LEFT ? 1.0f : -1.0f;
    float turn = p->turn != 0 ? p->turn : sg * (float)M_PI * (p->amplitude > 1.3f ? 1.5f : 1.0f);
    *angle = turn;
    float a = fabsf(turn);
    if (a < 2.3f) return cap_turn_quarter;
    if (a > 5.5f) return cap_turn_full;
    if (a > 4.0f) return cap_turn_most;
    return NULL; /* the action's own table: about half a turn */
}

/* Fills the context for one action (side words, path, repetitions). */
static void cap__context(cap_ctx *c, mosa_rng *r, int action, const motion_params *p) {
    unsigned fl = motion_action_flags(action);
    c->side = p->side == MOTION_LEFT ? "left" : "right";
    c->oside = p->side == MOTION_LEFT ? "right" : "left";
    c->tside = c->side;
    c->reps = motion_action_reps(action, p);
    if (action == MOTION_SPIN && p->amplitude > 1.35f) c->reps = 2;
    c->dir[0] = 0;
    float turn = p->turn;
    if (action == MOTION_TURN_AROUND) {
        float ang;
        cap__turn_table(p, &ang);
        c->tside = ang > 0 ? "left" : "right";
    }
    if (fl & MOTION_F_TURNS && action != MOTION_TURN_AROUND) {
        if (fabsf(turn) >= 0.6f) c->tside = turn > 0 ? "left" : "right";
        const char *d;
        if (action == MOTION_WALK_BACKWARD) {
            d = cap_back[cap__pick(r, CAP_N(cap_back))];
            snprintf(c->dir, sizeof c->dir, "%s%s", d, fabsf(turn) >= 5.0f ? " in a circle" : fabsf(turn) >= 0.6f ? ", curving to the {tside}" : "");
            return;
        }
        if (fabsf(turn) >= 5.0f) d = turn > 0 ? cap_circle_l[cap__pick(r, 4)] : cap_circle_r[cap__pick(r, 4)];
        else if (fabsf(turn) >= 0.6f) d = cap_curve[cap__pick(r, CAP_N(cap_curve))];
        else d = cap_straight[cap__pick(r, CAP_N(cap_straight))];
        snprintf(c->dir, sizeof c->dir, "%s", d);
    }
}

/* An adverb for the parameters, or NULL. *one_word says whether it may precede the verb. */
static const char *cap__adverb(mosa_rng *r, int action, const motion_params *p, int *one_word) {
    int adv = cap_table[action].adverbs;
    const char *cand[2];
    int n = 0;
    if ((adv & CAP_SPEED) && p->speed < 0.75f) cand[n++] = cap_slow[cap__pick(r, CAP_N(cap_slow))];
    if ((adv & CAP_SPEED) && p->speed > 1.3f) cand[n++] = cap_fast[cap__pick(r, CAP_N(cap_fast))];
    if ((adv & CAP_AMP) && p->amplitude > 1.25f)
        cand[n++] = (adv & CAP_LOCO) ? cap_big_loco[cap__pick(r, 3)] : cap_big[cap__pick(r, CAP_N(cap_big))];
    if ((adv & CAP_AMP) && p->amplitude < 0.75f)
        cand[n++] = (adv & CAP_LOCO) ? cap_small_loco[cap__pick(r, 3)] : cap_small[cap__pick(r, CAP_N(cap_small))];
    if (n == 0) return NULL;
    const char *a = cand[n == 1 ? 0 : cap__pick(r, n)];
    size_t l = strlen(a);
    *one_word = strchr(a, ' ') == NULL && l > 2 && strcmp(a + l - 2, "ly") == 0;
    return a;
}

/* The verb phrase of one action (simple present, '^' verbs, slots unexpanded but {dir}) and
 * its optional adverb and detail, into a cap_buf as a template. */
static void cap__phrase(cap_buf *b, cap_buf *detail, mosa_rng *r, int action, const motion_params *p, int allow_detail,
                        int split, const char **adv, int *adv_one, int *reps_out) {
    const cap_action *ca = &cap_table[action];
    const char *const *vp = ca->vp;
    float ang;
    int reps = motion_action_reps(action, p);
    if (action == MOTION_SPIN && p->amplitude > 1.35f) reps = 2;
    if (action == MOTION_TURN_AROUND) {
        const char *const *alt = cap__turn_table(p, &ang);
        if (alt) vp = alt;
    }
    int nvp = cap__count_vp(vp, CAP_MAX_VP);
    const char *t = vp[0];
    if (split < 0) {
        for (int tries = 0; tries < 20; tries++) {
            t = vp[cap__pick(r, nvp)];
            if (cap__usable(t, reps)) break;
        }
        if (!cap__usable(t, reps)) t = vp[0];
    } else {
        int held = vp == cap_turn_quarter ? cap_heldout_turn[0] : vp == cap_turn_most ? cap_heldout_turn[1]
                   : vp == cap_turn_full  ? cap_heldout_turn[2] : cap_heldout[action];
        if (split == 1) {
            t = vp[held]; /* the one held-out phrasing, whatever the counts (none needs {num}) */
        } else {
            int first = held == 0 ? 1 : 0;
            t = vp[first];
            for (int tries = 0; tries < 20; tries++) {
                int k = cap__pick(r, nvp - 1);
                t = vp[k >= held ? k + 1 : k];
                if (cap__usable(t, reps)) break;
            }
            if (!cap__usable(t, reps)) t = vp[first];
        }
    }
    cap__puts(b, t);
    if (action == MOTION_SPIN && reps == 2 && !strstr(t, "{n}") && cap__rand(r) < 0.7f) cap__puts(b, " twice");
    if ((motion_action_flags(action) & MOTION_F_TRAVELS) && cap_table[action].adverbs & CAP_LOCO &&
        mg_ends_stopped(action, p) && cap__rand(r) < 0.6f)
        cap__puts(b, cap_stops[cap__pick(r, CAP_N(cap_stops))]);
    *adv_one = 0;
    *adv = cap__rand(r) < 0.75f ? cap__adverb(r, action, p, adv_one) : NULL;
    int nd = cap__count_vp(ca->detail, CAP_MAX_DETAIL);
    if (allow_detail && nd > 0 && cap__rand(r) < 0.35f) {
        const char *d = ca->detail[cap__pick(r, nd)];
        /* no second "with ..." phrase after one in the verb phrase or the adverb */
        if (strncmp(d, "with", 4) == 0 && (strstr(b->p, " with ") || (*adv && strncmp(*adv, "with", 4) == 0))) d = NULL;
        if (d) {
        cap__puts(detail, (strncmp(d, "with", 4) == 0 || strncmp(d, "in ", 3) == 0) ? " " : ", ");
        cap__puts(detail, d);
        }
    }
    *reps_out = reps;
}

/* Picks the subject and its possessive and later mention. */
static void cap__subject(cap_ctx *c, mosa_rng *r, int motion_only) {
    if (motion_only) c->subj = cap_subjects_motion[cap__pick(r, CAP_N(cap_subjects_motion))];
    else c->subj = cap_subjects[cap__pick(r, CAP_N(cap_subjects))];
    int man = strcmp(c->subj, "a man") == 0, woman = strcmp(c->subj, "a woman") == 0;
    c->pos = man ? "his" : woman ? "her" : "their";
    c->subj2 = man ? "he" : woman ? "she" : strcmp(c->subj, "the figure") == 0 ? "the figure" : strcmp(c->subj, "a human") == 0 ? "the human" : "the person";
}

/* One sentence for one action. motion_only limits subjects. */
static int cap__sentence(char *out, size_t cap, mosa_rng *r, int action, const motion_params *p, int motion_only,
                         int split) {
    cap_ctx c;
    memset(&c, 0, sizeof c);
    cap__subject(&c, r, motion_only);
    cap__context(&c, r, action, p);
    char tpl[MOTION_CAPTION_MAX], det[MOTION_CAPTION_MAX];
    cap_buf tb = {tpl, sizeof tpl, 0, 0}, db = {det, sizeof det, 0, 0};
    tpl[0] = det[0] = 0;
    const char *adv;
    int one;
    cap__phrase(&tb, &db, r, action, p, !motion_only || cap__rand(r) < 0.5f, split, &adv, &one, &c.reps);
    int style = cap__pick(r, motion_only ? 3 : 4);
    if (style == 1 && !(adv && one)) style = 0;
    cap_buf b = {out, cap, 0, 0};
    out[0] = 0;
    cap__puts(&b, c.subj);
    cap__puts(&b, " ");
    if (style == 1) cap__puts(&b, adv), cap__puts(&b, " ");
    if (style == 2) cap__puts(&b, "is ");
    /* an adverb goes after the main verb phrase: before a comma clause or a detail */
    char *comma = strchr(tpl, ',');
    char tail[MOTION_CAPTION_MAX] = "";
    if (comma && adv && style != 1) snprintf(tail, sizeof tail, "%s", comma), *comma = 0;
    cap__expand(&b, tpl, &c, style >= 2);
    if (adv && style != 1) {
        cap__puts(&b, " ");
        cap__puts(&b, adv);
    }
    cap__expand(&b, tail, &c, style >= 2);
    cap__expand(&b, det, &c, 0);
    cap__puts(&b, ".");
    if (b.overflow || tb.overflow || db.overflow) return -1;
    cap__tidy(out);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static uint64_t cap__mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static void cap__seed(mosa_rng *r, uint64_t seed, uint64_t salt) {
    uint64_t x = cap__mix(seed ^ cap__mix(salt));
    rng_seed(r, (x ^ (x >> 32)) & 0xffffffffu);
}

static mosa_status cap__check(int action, const motion_params *p) {
    if (action < 0 || action >= MOTION_ACTION_COUNT)
        return mosa_fail(MOSA_ERR_ARG, "captions: unknown action %d (valid: 0..%d)", action, MOTION_ACTION_COUNT - 1);
    if (!p) return mosa_fail(MOSA_ERR_ARG, "captions: NULL parameters (use motion_params_default())");
    if (p->side != MOTION_LEFT && p->side != MOTION_RIGHT)
        return mosa_fail(MOSA_ERR_ARG, "captions: side %d; use MOTION_LEFT or MOTION_RIGHT", p->side);
    if (!isfinite(p->speed) || !isfinite(p->amplitude) || !isfinite(p->turn) || !isfinite(p->seconds))
        return mosa_fail(MOSA_ERR_ARG, "captions: parameters must be finite");
    return MOSA_OK;
}

int motion_caption_phrasings(int action) {
    if (action < 0 || action >= MOTION_ACTION_COUNT) return 0;
    return cap__count_vp(cap_table[action].vp, CAP_MAX_VP);
}

/* Fills up to max distinct sentences made by gen(). */
typedef int (*cap_gen_fn)(char *out, size_t cap, mosa_rng *r, const void *ctx);

static int cap__many(char **out, int max, mosa_rng *r, cap_gen_fn gen, const void *ctx) {
    int n = 0;
    char buf[MOTION_CAPTION_SEQ_MAX];
    for (int tries = 0; n < max && tries < 40 * max + 40; tries++) {
        if (gen(buf, sizeof buf, r, ctx) != 0) {
            for (int k = 0; k < n; k++) mosa_free(out[k]), out[k] = NULL;
            mosa_fail(MOSA_ERR_ARG, "captions: the sentence would pass %d bytes (too many parts?)", MOTION_CAPTION_SEQ_MAX);
            return -1;
        }
        int dup = 0;
        for (int k = 0; k < n && !dup; k++) dup = strcmp(out[k], buf) == 0;
        if (dup) continue;
        out[n] = mosa_strdup(buf);
        if (!out[n]) {
            for (int k = 0; k < n; k++) mosa_free(out[k]), out[k] = NULL;
            mosa_fail(MOSA_ERR_NOMEM, "captions: out of memory");
            return -1;
        }
        n++;
    }
    return n;
}

typedef struct cap_one_ctx {
    int action;
    const motion_params *p;
    int motion_only;
} cap_one_ctx;

static int cap__gen_one(char *out, size_t cap, mosa_rng *r, const void *ctx) {
    const cap_one_ctx *c = (const cap_one_ctx *)ctx;
    return cap__sentence(out, cap, r, c->action, c->p, c->motion_only, -1);
}

int motion_captions(char **out, int max, int action, const motion_params *p, uint64_t seed) {
    if (!out || max < 0) {
        mosa_fail(MOSA_ERR_ARG, "motion_captions: need an output array and max >= 0");
        return -1;
    }
    if (cap__check(action, p) != MOSA_OK) return -1;
    mosa_rng r;
    cap__seed(&r, seed, 0xCA9710000ull + (uint64_t)action);
    cap_one_ctx c = {action, p, 0};
    return cap__many(out, max, &r, cap__gen_one, &c);
}

mosa_status motion_caption_motion(char *buf, size_t cap, int action, const motion_params *p, uint64_t seed) {
    return motion_caption_motion_split(buf, cap, action, p, seed, -1);
}

mosa_status motion_caption_motion_split(char *buf, size_t cap, int action, const motion_params *p, uint64_t seed,
                                        int split) {
    if (!buf || cap == 0) return mosa_fail(MOSA_ERR_ARG, "motion_caption_motion: need a buffer");
    if (split < -1 || split > 1)
        return mosa_fail(MOSA_ERR_ARG, "motion_caption_motion: split %d; use -1 (all), 0 (train) or 1 (test)", split);
    buf[0] = 0;
    MOSA_TRY(cap__check(action, p));
    mosa_rng r;
    cap__seed(&r, seed, 0x0707100ull + (uint64_t)action);
    char tmp[MOTION_CAPTION_MAX];
    if (cap__sentence(tmp, sizeof tmp, &r, action, p, 1, split) != 0)
        return mosa_fail(MOSA_ERR_INTERNAL, "motion_caption_motion: template too long");
    if (strlen(tmp) + 1 > cap)
        return mosa_fail(MOSA_ERR_ARG, "motion_caption_motion: buffer of %zu bytes too small; use MOTION_CAPTION_MAX", cap);
    memcpy(buf, tmp, strlen(tmp) + 1);
    return MOSA_OK;
}

/* ---- sequences ---- */

typedef struct cap_seq_ctx {
    int parts[3 * 64];
    motion_params pp[3 * 64];
    int np;
    int motion_only;
    int split; /* -1 all phrasings, 0 training ones, 1 the held-out one */
} cap_seq_ctx;

/* The parts motion_sequence will generate, insertions included. */
static mosa_status cap__seq_parts(cap_seq_ctx *s, const int *actions, const motion_params *ps, int n) {
    s->np = 0;
    for (int k = 0; k < n; k++) {
        MOSA_TRY(cap__check(actions[k], &ps[k]));
        motion_params cur = ps[k];
        if (s->np > 0) {
            int seated = (motion_action_flags(s->parts[s->np - 1]) & MOTION_F_ENDS_SEATED) != 0;
            int wants = (motion_action_flags(actions[k]) & MOTION_F_STARTS_SEATED) != 0;
            if (seated != wants) {
                motion_params q = cur;
                q.speed = 1, q.amplitude = 1, q.turn = 0, q.heading = 0;
                s->parts[s->np] = seated ? MOTION_STAND_UP : MOTION_SIT_DOWN, s->pp[s->np++] = q;
            }
            if (fabsf(cur.heading) > 0.6f && !wants) {
                motion_params q = cur;
                q.turn = cur.heading, q.heading = 0, q.speed = 1, q.amplitude = 1;
                s->parts[s->np] = MOTION_TURN_AROUND, s->pp[s->np++] = q;
            }
        }
        s->parts[s->np] = actions[k], s->pp[s->np++] = cur;
    }
    return MOSA_OK;
}

static int cap__gen_seq(char *out, size_t cap, mosa_rng *r, const void *ctx) {
    const cap_seq_ctx *s = (const cap_seq_ctx *)ctx;
    cap_ctx c;
    memset(&c, 0, sizeof c);
    cap__subject(&c, r, s->motion_only);
    cap_buf b = {out, cap, 0, 0};
    out[0] = 0;
    cap__puts(&b, c.subj);
    cap__puts(&b, " ");
    for (int k = 0; k < s->np; k++) {
        if (k > 0) {
            int j = cap__pick(r, CAP_N(cap_joiners));
            if (k < s->np - 1 && j == 4) j = 0; /* a new sentence only before the last part */
            cap__expand(&b, cap_joiners[j], &c, 0);
        }
        cap__context(&c, r, s->parts[k], &s->pp[k]);
        char tpl[MOTION_CAPTION_MAX], det[8];
        cap_buf tb = {tpl, sizeof tpl, 0, 0}, db = {det, sizeof det, 0, 0};
        tpl[0] = det[0] = 0;
        const char *adv;
        int one;
        cap__phrase(&tb, &db, r, s->parts[k], &s->pp[k], 0, s->split, &adv, &one, &c.reps);
        cap__expand(&b, tpl, &c, 0);
        if (adv) cap__puts(&b, " "), cap__puts(&b, adv);
        if (tb.overflow) b.overflow = 1;
    }
    cap__puts(&b, ".");
    if (b.overflow) return -1;
    cap__tidy(out);
    return 0;
}

int motion_sequence_captions(char **out, int max, const int *actions, const motion_params *ps, int n, uint64_t seed) {
    if (!out || max < 0 || !actions || !ps || n <= 0 || n > 64) {
        mosa_fail(MOSA_ERR_ARG, "motion_sequence_captions: need outputs, max >= 0 and 1..64 actions (n = %d)", n);
        return -1;
    }
    cap_seq_ctx *s = mosa_malloc(sizeof *s);
    if (!s) return -1;
    if (cap__seq_parts(s, actions, ps, n) != MOSA_OK) {
        mosa_free(s);
        return -1;
    }
    s->motion_only = 0;
    s->split = -1;
    mosa_rng r;
    cap__seed(&r, seed, 0x5E9u + (uint64_t)n);
    int got = cap__many(out, max, &r, cap__gen_seq, s);
    mosa_free(s);
    return got;
}

mosa_status motion_sequence_caption_motion(char *buf, size_t cap, const int *actions, const motion_params *ps, int n,
                                           uint64_t seed) {
    return motion_sequence_caption_motion_split(buf, cap, actions, ps, n, seed, -1);
}

mosa_status motion_sequence_caption_motion_split(char *buf, size_t cap, const int *actions, const motion_params *ps,
                                                 int n, uint64_t seed, int split) {
    if (!buf || cap == 0 || !actions || !ps || n <= 0 || n > 64)
        return mosa_fail(MOSA_ERR_ARG, "motion_sequence_caption_motion: need a buffer and 1..64 actions (n = %d)", n);
    if (split < -1 || split > 1)
        return mosa_fail(MOSA_ERR_ARG, "motion_sequence_caption_motion: split %d; use -1 (all), 0 (train) or 1 (test)",
                         split);
    buf[0] = 0;
    cap_seq_ctx *s = mosa_malloc(sizeof *s);
    if (!s) return MOSA_ERR_NOMEM;
    mosa_status st = cap__seq_parts(s, actions, ps, n);
    if (st == MOSA_OK) {
        s->motion_only = 1;
        s->split = split;
        mosa_rng r;
        cap__seed(&r, seed, 0x5E9A0u + (uint64_t)n);
        char tmp[MOTION_CAPTION_SEQ_MAX];
        if (cap__gen_seq(tmp, sizeof tmp, &r, s) != 0) st = mosa_fail(MOSA_ERR_ARG, "motion_sequence_caption_motion: too many parts for one sentence");
        else if (strlen(tmp) + 1 > cap)
            st = mosa_fail(MOSA_ERR_ARG, "motion_sequence_caption_motion: buffer of %zu bytes too small (need %zu)", cap, strlen(tmp) + 1);
        else memcpy(buf, tmp, strlen(tmp) + 1);
    }
    mosa_free(s);
    return st;
}

/* Adds the '^' verbs of template t (both forms) to out[] unless present. */
static void cap__verbs_of(const char *t, char (*out)[MOTION_VERB_MAX], int *n, int max) {
    for (const char *s = strchr(t, '^'); s && *n < max; s = strchr(s, '^')) {
        const char *w = ++s;
        while (*s && (isalpha((unsigned char)*s) || *s == '-')) s++;
        char buf[2][MOTION_VERB_MAX];
        cap_buf b = {buf[1], sizeof buf[1], 0, 0};
        buf[1][0] = 0;
        cap__ing(&b, w, (size_t)(s - w));
        if (s - w >= MOTION_VERB_MAX || b.overflow) continue;
        snprintf(buf[0], sizeof buf[0], "%.*s", (int)(s - w), w);
        for (int f = 0; f < 2 && *n < max; f++) {
            int dup = 0;
            for (int k = 0; k < *n && !dup; k++) dup = strcmp(out[k], buf[f]) == 0;
            if (!dup) memcpy(out[(*n)++], buf[f], strlen(buf[f]) + 1);
        }
    }
}

int motion_caption_verbs(char (*out)[MOTION_VERB_MAX], int max) {
    int n = 0;
    for (int a = 0; a < MOTION_ACTION_COUNT; a++)
        for (int i = 0; i < CAP_MAX_VP && cap_table[a].vp[i]; i++) cap__verbs_of(cap_table[a].vp[i], out, &n, max);
    const char *const *const turns[] = {cap_turn_quarter, cap_turn_most, cap_turn_full};
    for (int k = 0; k < 3; k++)
        for (int i = 0; turns[k][i]; i++) cap__verbs_of(turns[k][i], out, &n, max);
    return n;
}
