/* cmd_motion_eval.c: `mosa motion eval` (text-to-motion metrics of a generator, or of the real
 * test motions) and `mosa motion train evaluator` (training the motion-text evaluator). Thin over
 * src/eval/motion_eval.h, action_prompts.h and train_eval.h; prints tables and progress. */
#include "cli.h"
#include "progress.h"

#include "eval/action_prompts.h"
#include "eval/motion_eval.h"
#include "eval/train_eval.h"
#include "motion/library.h"
#include "motion/t2m.h"
#include "text/prompt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* eval                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void eval_usage(FILE *f) {
    fprintf(f,
            "usage: mosa motion eval [options]\n"
            "  text-to-motion metrics as the HumanML3D evaluation defines them, on the procedural test split\n"
            "  (captions phrased differently from training): FID, R-precision top-1/2/3, MM-Dist,\n"
            "  diversity (evaluator embeddings), bone-length variance, foot skating, ground penetration,\n"
            "  jerk, and action accuracy (the evaluator's classifier decides) of hand-written prompts, of\n"
            "  test captions in each action's held-out phrasing and of training captions (3 per action\n"
            "  each; the last is the ceiling: the generator's own phrasings)\n"
            "options:\n"
            "  --model FILE       the generator (default models/motion/t2m.safetensors)\n"
            "  --evaluator FILE   the evaluator (default models/motion/evaluator.safetensors)\n"
            "  --real             evaluate real test motions instead (the literature's \"Real\" row)\n"
            "  --n N              test items (default 256; R-precision uses full pools of 32)\n"
            "  --seed S           test draw and generation seed (default 1)\n"
            "  --samples K        motions per action prompt (default 1)\n"
            "  --cfg-scale S      classifier-free guidance of the generator (default 3)\n"
            "  --top-k K          sample among the K likeliest tokens (default 0 = all)\n"
            "  --temperature T    sampling temperature (default 0.7)\n"
            "  --no-actions       skip the action accuracy\n"
            "  --no-extract       feed the action prompts to the generator as written (default: through\n"
            "                     the motion-prompt extraction, as mosa motion generate does)\n"
            "  --per-action       print the accuracy of every action, with its most frequent confusion\n"
            "  --per-prompt       print every action prompt: how many of its motions came out as its action,\n"
            "                     what the others came out as, and (hand-written) the motion part read\n"
            "  --json FILE        also write the numbers as JSON\n"
            "  --threads N        worker threads\n");
}

typedef struct ev_gen {
    t2m_model *m;
    t2m_sample_options so; /* cfg scale, top-k, temperature from the command line */
} ev_gen;

static mosa_status ev_t2m_gen(void *user, const char *prompt, float seconds, uint64_t seed, float **joints, int *T) {
    const ev_gen *g = user;
    t2m_model *m = g->m;
    t2m_sample_options so = g->so;
    float mx = t2m_max_seconds(m);
    so.seconds = seconds > mx ? mx : seconds;
    so.seed = seed;
    return t2m_generate(m, prompt, &so, joints, T, NULL, NULL);
}

/* An action prompt, read as `mosa motion generate PROMPT` reads it: its motion part (or the
 * default prompt when it has none), then the generator. */
static mosa_status ev_t2m_gen_extract(void *user, const char *prompt, float seconds, uint64_t seed, float **joints,
                                      int *T) {
    char motion[PROMPT_MAX_BYTES + 64];
    MOSA_TRY(prompt_motion_extract(motion, sizeof motion, prompt, NULL));
    if (!motion[0]) snprintf(motion, sizeof motion, "%s", PROMPT_DEFAULT_MOTION);
    return ev_t2m_gen(user, motion, seconds, seed, joints, T);
}

/* --per-prompt: the lines, kept until the progress bars are done. */
typedef struct ev_lines {
    char *buf;
    size_t len, cap;
    int extract; /* hand-written prompts go through the extraction: show what it kept */
} ev_lines;

static void ev_lines_add(ev_lines *l, const char *fmt, ...) {
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    if (l->len + (size_t)n + 1 > l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16384;
        while (cap < l->len + (size_t)n + 1) cap *= 2;
        char *g = mosa_realloc(l->buf, cap);
        if (!g) return; /* a line lost, never the run */
        l->buf = g, l->cap = cap;
    }
    memcpy(l->buf + l->len, line, (size_t)n + 1);
    l->len += (size_t)n;
}

static void ev_prompt_line(void *user, int check, int action, const char *prompt, const int *pred, int samples) {
    static const char *const name[MEVAL_CHECKS] = {"hand-written", "held-out", "training"};
    ev_lines *l = user;
    int ok = 0;
    char others[512] = "";
    size_t on = 0;
    for (int k = 0; k < samples; k++) {
        if (pred[k] == action) { ok++; continue; }
        int seen = 0, count = 0;
        for (int j = 0; j < samples; j++) {
            seen |= j < k && pred[j] == pred[k];
            count += pred[j] == pred[k];
        }
        if (!seen && on < sizeof others)
            on += (size_t)snprintf(others + on, sizeof others - on, "%s%s x%d", on ? ", " : "", motion_action_name(pred[k]),
                                   count);
    }
    char read[PROMPT_MAX_BYTES + 64] = "";
    if (check == MEVAL_CHECK_PROMPTS && l->extract &&
        prompt_motion_extract(read, sizeof read, prompt, NULL) == MOSA_OK && !read[0])
        snprintf(read, sizeof read, "(no motion: %s)", PROMPT_DEFAULT_MOTION);
    ev_lines_add(l, "  %-12s %-14s %d/%d  \"%s\"%s%s%s%s%s\n", check >= 0 && check < MEVAL_CHECKS ? name[check] : "?",
                 motion_action_name(action), ok, samples, prompt, read[0] ? " -> \"" : "", read, read[0] ? "\"" : "",
                 on ? "  made as: " : "", others);
}

typedef struct ev_prog {
    progress bar;
    const char *stage;
} ev_prog;

static void ev_progress(void *user, const char *stage, int done, int total) {
    ev_prog *p = user;
    if (p->stage != stage) {
        if (p->stage) progress_end(&p->bar);
        progress_begin(&p->bar, stage, total);
        p->stage = stage;
    }
    progress_update(&p->bar, done);
}

/* A JSON string body for a path: quotes, backslashes and control characters escaped. */
static void ev_json_str(char *out, size_t cap, const char *s) {
    size_t n = 0;
    for (; s && *s && n + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') out[n++] = '\\', out[n++] = (char)ch;
        else if (ch < 0x20) n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
        else out[n++] = (char)ch;
    }
    out[n] = 0;
}

static mosa_status ev_write_json(const char *path, const meval_report *r, const char *model_raw,
                                 const char *evaluator_raw, uint64_t seed) {
    char model[2048], evaluator[2048];
    ev_json_str(model, sizeof model, model_raw);
    ev_json_str(evaluator, sizeof evaluator, evaluator_raw);
    size_t cap = 8192 + 64 * 256, n = 0;
    char *b = mosa_malloc(cap);
    if (!b) return MOSA_ERR_NOMEM;
#define J(...) n += (size_t)snprintf(b + n, n < cap ? cap - n : 0, __VA_ARGS__)
    J("{\n  \"mode\": \"%s\",\n  \"model\": \"%s\",\n  \"evaluator\": \"%s\",\n  \"n\": %d,\n  \"seed\": %llu,\n",
      r->real ? "real" : "generated", r->real ? "" : model, evaluator, r->n, (unsigned long long)seed);
    J("  \"fid\": %.6g,\n  \"r_precision\": [%.6g, %.6g, %.6g],\n  \"r_precision_items\": %d,\n", r->fid, r->top[0],
      r->top[1], r->top[2], r->rprec_used);
    J("  \"mm_dist\": %.6g,\n  \"diversity\": %.6g,\n  \"diversity_real\": %.6g,\n", r->mm_dist, r->diversity,
      r->diversity_real);
    J("  \"bone_length_variance\": %.6g,\n  \"foot_skating\": %.6g,\n  \"penetration\": %.6g,\n  \"jerk\": %.6g,\n",
      r->phys.bone_var, r->phys.skate, r->phys.penetration, r->phys.jerk);
    /* the hand-written prompts (real mode: real motions), then the caption checks */
    static const char *const acc_key[MEVAL_CHECKS] = {"action_accuracy", "action_accuracy_heldout_phrasings",
                                                      "action_accuracy_training_phrasings"};
    static const char *const n_key[MEVAL_CHECKS] = {"action_motions", "heldout_motions", "training_motions"};
    static const char *const per_key[MEVAL_CHECKS] = {"per_action", "heldout_per_action", "training_per_action"};
    for (int k = 0; k < MEVAL_CHECKS; k++) {
        const meval_action_score *sc = &r->action[k];
        const char *end = k + 1 < MEVAL_CHECKS ? "," : "";
        if (sc->n <= 0) {
            J("  \"%s\": null%s\n", acc_key[k], end);
            continue;
        }
        J("  \"%s\": %.6g,\n  \"%s\": %d,\n  \"%s\": {", acc_key[k], sc->acc, n_key[k], sc->n, per_key[k]);
        for (int a = 0; a < motion_action_count(); a++)
            J("%s\n    \"%s\": %.6g", a ? "," : "", motion_action_name(a), sc->per_action[a]);
        J("\n  }%s\n", end);
    }
    J("}\n");
#undef J
    mosa_status s = n < cap ? file_write_atomic(path, b, n) : mosa_fail(MOSA_ERR_INTERNAL, "JSON too long");
    mosa_free(b);
    return s;
}

int motion_eval_main(int argc, char **argv) {
    const char *cmd = "motion eval", *model_arg = NULL, *ev_arg = NULL, *json = NULL;
    meval_run_options o = meval_run_options_default();
    int per_action = 0, per_prompt = 0;
    int64_t v64;
    ev_gen g = {NULL, t2m_sample_options_default()};
    int extract = 1; /* action prompts through prompt_motion_extract, as in generate */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return eval_usage(stdout), 0;
        if (!strcmp(a, "--real")) { o.real = 1; continue; }
        if (!strcmp(a, "--no-actions")) { o.actions = 0; continue; }
        if (!strcmp(a, "--per-action")) { per_action = 1; continue; }
        if (!strcmp(a, "--per-prompt")) { per_prompt = 1; continue; }
        if (!strcmp(a, "--no-extract")) { extract = 0; continue; }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        if (!strcmp(a, "--model")) model_arg = v;
        else if (!strcmp(a, "--evaluator")) ev_arg = v;
        else if (!strcmp(a, "--json")) json = v;
        else if (!strcmp(a, "--n")) { if (!cli_parse_i64(cmd, a, v, 2, 100000, &v64)) return 1; o.n = (int)v64; }
        else if (!strcmp(a, "--seed")) { if (!cli_parse_i64(cmd, a, v, 0, INT64_MAX, &v64)) return 1; o.seed = (uint64_t)v64; }
        else if (!strcmp(a, "--samples")) { if (!cli_parse_i64(cmd, a, v, 1, 100, &v64)) return 1; o.action_samples = (int)v64; }
        else if (!strcmp(a, "--threads")) { if (!cli_parse_i64(cmd, a, v, 1, 1024, &v64)) return 1; mosa_set_threads((int)v64); }
        else if (!strcmp(a, "--top-k")) { if (!cli_parse_i64(cmd, a, v, 0, 100000, &v64)) return 1; g.so.top_k = (int)v64; }
        else if (!strcmp(a, "--cfg-scale") || !strcmp(a, "--temperature")) {
            char *end;
            double x = strtod(v, &end);
            if (end == v || *end || !(x >= 0 && x <= 100) || (a[2] == 't' && !(x > 0)))
                return cli_error(cmd, "%s wants a number %s, got '%s'", a, a[2] == 't' ? "in (0, 100]" : "in [0, 100]", v);
            if (a[2] == 't') g.so.temperature = (float)x;
            else g.so.cfg_scale = (float)x;
        }
        else return cli_error(cmd, "unknown option '%s' (see mosa motion eval --help)", a);
    }
    char ev_path[4096], model_path[4096];
    if (ev_arg) snprintf(ev_path, sizeof ev_path, "%s", ev_arg);
    else if (model_path_resolve(ev_path, sizeof ev_path, "motion/evaluator.safetensors") != MOSA_OK)
        return cli_error(cmd, "no evaluator: %s (train one: mosa motion train evaluator --out runs/evaluator)",
                         mosa_last_error());
    meval_model ev;
    if (meval_load(&ev, ev_path) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    t2m_model *gen = NULL;
    if (!o.real) {
        if (model_arg) snprintf(model_path, sizeof model_path, "%s", model_arg);
        else if (model_path_resolve(model_path, sizeof model_path, "motion/t2m.safetensors") != MOSA_OK) {
            meval_free(&ev);
            return cli_error(cmd, "no generator: %s (pass --model FILE, or --real to evaluate real motions)",
                             mosa_last_error());
        }
        if (t2m_load(&gen, model_path) != MOSA_OK) {
            meval_free(&ev);
            return cli_error(cmd, "cannot load the generator %s: %s", model_path, mosa_last_error());
        }
        g.m = gen;
        o.gen = ev_t2m_gen;
        o.gen_user = &g;
        if (extract) { /* else the action prompts go to gen as written */
            o.action_gen = ev_t2m_gen_extract;
            o.action_gen_user = &g;
        }
    }
    ev_lines lines = {NULL, 0, 0, extract};
    if (per_prompt) {
        o.prompt_report = ev_prompt_line;
        o.prompt_report_user = &lines;
    }
    ev_prog prog = {0};
    o.progress = ev_progress;
    o.progress_user = &prog;
    meval_report r;
    const double t0 = time_now();
    mosa_status s = meval_run(&r, &ev, &o);
    if (prog.stage) progress_end(&prog.bar);
    if (s != MOSA_OK) {
        mosa_free(lines.buf);
        t2m_free(gen);
        meval_free(&ev);
        return cli_error(cmd, "%s", mosa_last_error());
    }
    printf("%s on %d test items (seed %llu), evaluator %s, %.0f s\n",
           o.real ? "real test motions" : (model_arg ? model_arg : model_path), r.n, (unsigned long long)o.seed, ev_path,
           time_now() - t0);
    printf("%-10s %8s %8s %8s %8s %9s %9s %10s %8s %8s %8s %9s\n", "", "FID", "Top1", "Top2", "Top3", "MM-Dist",
           "Diversity", "BoneVar", "Skate", "Penetr", "Jerk", "ActAcc");
    const meval_action_score *act = r.action;
    char acc[32] = "-";
    if (act[MEVAL_CHECK_PROMPTS].n > 0) snprintf(acc, sizeof acc, "%.3f", act[MEVAL_CHECK_PROMPTS].acc);
    printf("%-10s %8.4f %8.3f %8.3f %8.3f %9.4f %9.4f %10.3g %8.4f %8.4f %8.2f %9s\n", o.real ? "Real" : "Generated",
           r.fid, r.top[0], r.top[1], r.top[2], r.mm_dist, r.diversity, r.phys.bone_var, r.phys.skate, r.phys.penetration,
           r.phys.jerk, acc);
    printf("(diversity of the real reference motions: %.4f; R-precision over %d items; units: BoneVar m^2, Skate m/s, "
           "Penetr m, Jerk m/s^3)\n",
           r.diversity_real, r.rprec_used);
    const int checks = act[MEVAL_CHECK_HELDOUT].n > 0 ? MEVAL_CHECKS : 1; /* real mode: one */
    if (checks > 1)
        printf("action accuracy: hand-written prompts %.3f (%d motions%s), test captions in held-out phrasings %.3f "
               "(%d motions), training captions %.3f (%d motions, the generator's own phrasings)\n",
               act[MEVAL_CHECK_PROMPTS].acc, act[MEVAL_CHECK_PROMPTS].n, extract ? ", through the motion-prompt extraction" : ", as written",
               act[MEVAL_CHECK_HELDOUT].acc, act[MEVAL_CHECK_HELDOUT].n, act[MEVAL_CHECK_TRAINING].acc,
               act[MEVAL_CHECK_TRAINING].n);
    if (per_action && act[MEVAL_CHECK_PROMPTS].n > 0) {
        const char *const head[MEVAL_CHECKS] = {o.real ? "real test motions" : "hand-written prompts",
                                                "held-out phrasings", "training phrasings"};
        printf("  %-18s", "action");
        for (int k = 0; k < checks; k++) printf(" %-*s", k + 1 < checks ? 34 : 0, head[k]);
        printf("\n");
        for (int a = 0; a < motion_action_count(); a++) {
            printf("  %-18s", motion_action_name(a));
            for (int k = 0; k < checks; k++) {
                char cell[64] = "-"; /* "-": nothing of that action in this check */
                const int c = act[k].confusion_top[a];
                if (act[k].per_action[a] >= 0 && c >= 0 && c != a)
                    snprintf(cell, sizeof cell, "%.3f (most often %s)", act[k].per_action[a], motion_action_name(c));
                else if (act[k].per_action[a] >= 0)
                    snprintf(cell, sizeof cell, "%.3f", act[k].per_action[a]);
                printf(" %-*s", k + 1 < checks ? 34 : 0, cell);
            }
            printf("\n");
        }
    }
    if (lines.len) printf("per prompt (check, action, motions made as it, prompt -> motion part read, what the others "
                          "were made as):\n%s", lines.buf);
    mosa_free(lines.buf);
    if (json && (s = ev_write_json(json, &r, model_arg ? model_arg : model_path, ev_path, o.seed)) != MOSA_OK) {
        t2m_free(gen);
        meval_free(&ev);
        return cli_error(cmd, "cannot write %s: %s", json, mosa_last_error());
    }
    if (json) printf("wrote %s\n", json);
    t2m_free(gen);
    meval_free(&ev);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* train evaluator                                                                             */
/* ------------------------------------------------------------------------------------------ */

static void train_ev_usage(FILE *f) {
    meval_train_options d = meval_train_options_default();
    fprintf(f,
            "usage: mosa motion train evaluator --out RUN_DIR [options]\n"
            "  trains the motion-text evaluator (contrastive motion and text encoders + action classifier)\n"
            "  on the procedural corpus; logs held-out R-precision and classifier accuracy; writes\n"
            "  RUN_DIR/{run.cfg,state.safetensors,evaluator.safetensors}. --resume continues bit-exactly.\n"
            "options:\n"
            "  --out DIR          run directory (created; its parent must exist)\n"
            "  --resume           continue the run in --out (its run.cfg; --steps may extend it)\n"
            "  --steps N          optimizer steps (default %d)\n"
            "  --stop-after N     stop at step N with a checkpoint (resume later)\n"
            "  --batch B          items per step (default %d)\n"
            "  --seed S           corpus, initialisation and data order (default %llu)\n"
            "  --corpus-size N    procedural training items (default %d)\n"
            "  --test-size N      held-out items (default %d)\n"
            "  --lr X             peak learning rate (default %g), --warmup N (default %d)\n"
            "  --eval-every N     held-out logging period (default %d), --ckpt-every N (default %d)\n"
            "  --width W --dim D --text-width W --text-layers N   model size (%d %d %d %d)\n"
            "  --export PATH      also copy the final evaluator to PATH\n"
            "  --threads N        worker threads\n",
            d.steps, d.batch, (unsigned long long)d.seed, d.corpus_size, d.test_size, (double)d.lr, d.warmup,
            d.eval_every, d.ckpt_every, d.width, d.dim, d.text_width, d.text_layers);
}

static void train_ev_log(void *user, const char *line) {
    (void)user;
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

int motion_train_evaluator_main(int argc, char **argv) {
    const char *cmd = "motion train evaluator", *export_path = NULL;
    meval_train_options o = meval_train_options_default();
    int steps_given = 0;
    int64_t v64;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return train_ev_usage(stdout), 0;
        if (!strcmp(a, "--resume")) { o.resume = 1; continue; }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        int ok = 1;
#define INT_OPT(flag, lo, hi, dst) else if (!strcmp(a, flag)) { ok = cli_parse_i64(cmd, a, v, lo, hi, &v64); dst = (int)v64; }
        if (!strcmp(a, "--out") || !strcmp(a, "-o")) o.out_dir = v;
        else if (!strcmp(a, "--export")) export_path = v;
        else if (!strcmp(a, "--steps")) { ok = cli_parse_i64(cmd, a, v, 1, 100000000, &v64); o.steps = (int)v64; steps_given = 1; }
        INT_OPT("--stop-after", 1, 100000000, o.stop_after)
        INT_OPT("--batch", 2, 4096, o.batch)
        INT_OPT("--corpus-size", 2, 10000000, o.corpus_size)
        INT_OPT("--test-size", 2, 10000000, o.test_size)
        INT_OPT("--warmup", 0, 100000000, o.warmup)
        INT_OPT("--eval-every", 0, 100000000, o.eval_every)
        INT_OPT("--ckpt-every", 0, 100000000, o.ckpt_every)
        INT_OPT("--width", 8, 4096, o.width)
        INT_OPT("--dim", 2, 4096, o.dim)
        INT_OPT("--text-width", 8, 4096, o.text_width)
        INT_OPT("--text-layers", 1, 32, o.text_layers)
        else if (!strcmp(a, "--threads")) { ok = cli_parse_i64(cmd, a, v, 1, 1024, &v64); if (ok) mosa_set_threads((int)v64); }
        else if (!strcmp(a, "--lr")) ok = cli_parse_float(cmd, a, v, 1e-8, 0.5, &o.lr);
        else if (!strcmp(a, "--seed")) { ok = cli_parse_i64(cmd, a, v, 0, INT64_MAX, &v64); o.seed = (uint64_t)v64; }
        else return cli_error(cmd, "unknown option '%s' (see mosa motion train evaluator --help)", a);
#undef INT_OPT
        if (!ok) return 1;
    }
    if (!o.out_dir) return cli_error(cmd, "no run directory given: add --out RUN_DIR");
    if (o.resume && !steps_given) o.steps = 0; /* from run.cfg */
    o.log = train_ev_log;
    const double t0 = time_now();
    meval_train_result r;
    if (meval_train(&o, &r) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    fprintf(stderr, "done: %lld steps in %.0f s; held-out R-precision %.3f/%.3f/%.3f, MM-Dist %.3f, classifier %.3f, "
                    "FID(test halves) %.4f\n",
            (long long)r.steps, time_now() - t0, r.top[0], r.top[1], r.top[2], r.mm_dist, r.cls_acc, r.fid_halves);
    if (export_path) {
        char src[4096];
        snprintf(src, sizeof src, "%s/evaluator.safetensors", o.out_dir);
        uint8_t *data = NULL;
        size_t len = 0;
        if (file_read_all(src, (size_t)1 << 31, &data, &len) != MOSA_OK ||
            file_write_atomic(export_path, data, len) != MOSA_OK) {
            mosa_free(data);
            return cli_error(cmd, "cannot export to %s: %s", export_path, mosa_last_error());
        }
        mosa_free(data);
        fprintf(stderr, "exported %s\n", export_path);
    }
    return 0;
}
