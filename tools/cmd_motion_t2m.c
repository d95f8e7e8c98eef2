/* cmd_motion_t2m.c: `mosa motion train t2m`: trains the structure transformer (text -> motion
 * tokens) over a trained VQ-VAE. Thin over src/motion/train_t2m.h: parses options, keeps the run
 * directory (run.txt with the options, state.safetensors checkpoints, train.tsv, eval.tsv,
 * t2m.safetensors = the exported model) and prints progress. */
#include "cli.h"

#include "motion/train_t2m.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
    t2m_train_options d = t2m_train_options_default();
    fprintf(f,
            "usage: mosa motion train t2m --vqvae VQVAE.safetensors --out RUN_DIR [options]\n"
            "  trains the structure transformer (text encoder + GPT over motion tokens, T2M-GPT style) on\n"
            "  the procedural motion corpus (or a HumanML3D directory), with the VQ-VAE frozen; writes\n"
            "  RUN_DIR/{run.txt,state.safetensors,train.tsv,eval.tsv,t2m.safetensors}. Interrupted runs\n"
            "  continue bit-exactly with --resume.\n"
            "options:\n"
            "  --vqvae FILE        the trained VQ-VAE (mosa motion train vqvae exports it)\n"
            "  --out DIR           run directory (created; its parent must exist)\n"
            "  --resume            continue the run in --out from its last checkpoint (same options)\n"
            "  --steps N           optimizer steps (default %d)      --batch B   (default %d)\n"
            "  --seed S            corpus, initialisation, batches (default %llu)\n"
            "  --corpus-size N     procedural training motions (default %d)   --test-size N (default %d)\n"
            "  --humanml3d DIR     train on a HumanML3D root instead (train.txt / test.txt splits)\n"
            "  --lr X              peak learning rate (default %g), --lr-min X (%g), --warmup N (%d)\n"
            "  --pkeep P           keep probability of input tokens (T2M-GPT corruption; default %g)\n"
            "  --cond-drop P       text dropped for classifier-free guidance (default %g)\n"
            "  --word-drop P       caption words replaced by <unk> in training (default 0)\n"
            "  --para-aug P        caption words replaced by the reading of a WordNet synonym (default 0)\n"
            "  --verb-aug P        caption verbs replaced by a WordNet synonym or troponym, which joins the\n"
            "                      vocabulary (\"walks\" -> \"strolls\"; default 0; not with --para-aug)\n"
            "  --concepts K        each word also adds learned rows for up to K of its WordNet concepts\n"
            "                      (synsets and hypernyms shared with other words; default 0 = off)\n"
            "  --offsets N         crop offsets encoded per motion, 1..4 (default %d)\n"
            "  --width W --layers N --heads H         GPT size (default %d %d %d)\n"
            "  --text-width W --text-layers N        text encoder size (default %d %d)\n"
            "  --eval-every N      held-out loss/accuracy every N steps (default 250)\n"
            "  --ckpt-every N      checkpoint every N steps (default 250)\n"
            "  --stop-after N      stop (with a checkpoint) after step N, to continue later with --resume\n"
            "  --export PATH       also write the final model to PATH (e.g. models/motion/t2m.safetensors)\n"
            "  --threads N         threads (default 2)\n",
            d.steps, d.batch, (unsigned long long)d.seed, d.corpus_size, d.test_size, (double)d.lr, (double)d.lr_min,
            d.warmup, (double)d.pkeep, (double)d.cond_drop, d.offsets, d.gpt_width, d.gpt_layers, d.gpt_heads,
            d.text_width, d.text_layers);
}

static void log_line(void *u, const char *s) {
    (void)u;
    fprintf(stderr, "%s\n", s);
}

int motion_train_t2m_main(int argc, char **argv) {
    const char *cmd = "motion train t2m", *out = NULL, *export_path = NULL;
    t2m_train_options o = t2m_train_options_default();
    int resume = 0, eval_every = 250, ckpt_every = 250, stop_after = 0, threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout), 0;
        if (!strcmp(a, "--resume")) { resume = 1; continue; }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        int ok = 1;
        if (!strcmp(a, "--vqvae")) o.vqvae_path = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--export")) export_path = v;
        else if (!strcmp(a, "--humanml3d")) o.humanml3d = v;
        else if (!strcmp(a, "--steps")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &o.steps);
        else if (!strcmp(a, "--batch")) ok = cli_parse_int(cmd, a, v, 1, 4096, &o.batch);
        else if (!strcmp(a, "--seed")) {
            char *end;
            unsigned long long s = strtoull(v, &end, 10);
            if (end == v || *end) return cli_error(cmd, "--seed wants a non-negative integer, got '%s'", v);
            o.seed = s;
        } else if (!strcmp(a, "--corpus-size")) ok = cli_parse_int(cmd, a, v, 1, 1000000, &o.corpus_size);
        else if (!strcmp(a, "--test-size")) ok = cli_parse_int(cmd, a, v, 0, 100000, &o.test_size);
        else if (!strcmp(a, "--lr")) ok = cli_parse_float(cmd, a, v, 1e-7, 1.0, &o.lr);
        else if (!strcmp(a, "--lr-min")) ok = cli_parse_float(cmd, a, v, 0.0, 1.0, &o.lr_min);
        else if (!strcmp(a, "--warmup")) ok = cli_parse_int(cmd, a, v, 0, 10000000, &o.warmup);
        else if (!strcmp(a, "--pkeep")) ok = cli_parse_float(cmd, a, v, 0.05, 1.0, &o.pkeep);
        else if (!strcmp(a, "--cond-drop")) ok = cli_parse_float(cmd, a, v, 0.0, 0.9, &o.cond_drop);
        else if (!strcmp(a, "--word-drop")) ok = cli_parse_float(cmd, a, v, 0.0, 0.9, &o.word_drop);
        else if (!strcmp(a, "--para-aug")) ok = cli_parse_float(cmd, a, v, 0.0, 0.9, &o.para_aug);
        else if (!strcmp(a, "--verb-aug")) ok = cli_parse_float(cmd, a, v, 0.0, 0.9, &o.verb_aug);
        else if (!strcmp(a, "--concepts")) ok = cli_parse_int(cmd, a, v, 0, 64, &o.concepts);
        else if (!strcmp(a, "--offsets")) ok = cli_parse_int(cmd, a, v, 1, 4, &o.offsets);
        else if (!strcmp(a, "--width")) ok = cli_parse_int(cmd, a, v, 8, 4096, &o.gpt_width);
        else if (!strcmp(a, "--layers")) ok = cli_parse_int(cmd, a, v, 1, 64, &o.gpt_layers);
        else if (!strcmp(a, "--heads")) ok = cli_parse_int(cmd, a, v, 1, 64, &o.gpt_heads);
        else if (!strcmp(a, "--text-width")) ok = cli_parse_int(cmd, a, v, 8, 4096, &o.text_width);
        else if (!strcmp(a, "--text-layers")) ok = cli_parse_int(cmd, a, v, 1, 64, &o.text_layers);
        else if (!strcmp(a, "--eval-every")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &eval_every);
        else if (!strcmp(a, "--ckpt-every")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &ckpt_every);
        else if (!strcmp(a, "--stop-after")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &stop_after);
        else if (!strcmp(a, "--threads")) ok = cli_parse_int(cmd, a, v, 1, 256, &threads);
        else return cli_error(cmd, "unknown option '%s' (see mosa motion train t2m --help)", a);
        if (!ok) return 1;
    }
    if (!o.vqvae_path) return cli_error(cmd, "no --vqvae given: the trained VQ-VAE (models/motion/vqvae.safetensors, from mosa motion train vqvae)");
    if (!out) return cli_error(cmd, "no --out RUN_DIR given");
    if (o.gpt_width % o.gpt_heads) return cli_error(cmd, "--width %d is not a multiple of --heads %d", o.gpt_width, o.gpt_heads);
    if (access(o.vqvae_path, R_OK) != 0)
        return cli_error(cmd, "cannot read the VQ-VAE '%s': %s (train one with mosa motion train vqvae, see scripts/train_motion.sh)",
                         o.vqvae_path, strerror(errno));
    mosa_set_threads(threads);

    char state[4096], ttsv[4096], etsv[4096], model[4096];
    snprintf(state, sizeof state, "%s/state.safetensors", out);
    snprintf(ttsv, sizeof ttsv, "%s/train.tsv", out);
    snprintf(etsv, sizeof etsv, "%s/eval.tsv", out);
    snprintf(model, sizeof model, "%s/t2m.safetensors", out);
    char opts[2048];
    t2m_train_options_format(&o, opts, sizeof opts);
    if (!cli_run_dir(cmd, out, opts, resume)) return 1;

    double t0 = time_now();
    t2m_trainer *t = NULL;
    if (t2m_trainer_create(&t, &o, log_line, NULL) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    if (resume) {
        if (t2m_trainer_load_state(t, state) != MOSA_OK) {
            t2m_trainer_free(t);
            return cli_error(cmd, "%s", mosa_last_error());
        }
        fprintf(stderr, "resumed at step %lld\n", (long long)t2m_trainer_step_count(t));
    }
    fprintf(stderr, "setup took %.1f s; training %d steps of %d\n", time_now() - t0, o.steps, o.batch);
    int rc = 0;
    double ts = time_now(), lsum = 0;
    int ln = 0;
    int64_t step0 = t2m_trainer_step_count(t);
    char line[512];
    while (t2m_trainer_step_count(t) < o.steps) {
        float loss;
        const float lr = t2m_trainer_lr(t);
        if (t2m_trainer_step(t, &loss) != MOSA_OK) { rc = cli_error(cmd, "%s", mosa_last_error()); break; }
        const int64_t s = t2m_trainer_step_count(t);
        lsum += loss, ln++;
        if (s % 25 == 0 || s == o.steps) {
            const double el = time_now() - ts, sps = (double)(s - step0) / (el > 0 ? el : 1e-9);
            snprintf(line, sizeof line, "%lld\t%.5f\t%.3g\t%.1f\n", (long long)s, lsum / ln, (double)lr, time_now() - t0);
            cli_append_line(ttsv, "step\tloss\tlr\tseconds\n", line);
            fprintf(stderr, "step %lld/%d loss %.4f lr %.3g  %.2f steps/s, %.0f s left\n", (long long)s, o.steps, lsum / ln,
                    (double)lr, sps, (o.steps - s) / (sps > 0 ? sps : 1e-9));
            lsum = 0, ln = 0;
        }
        if (s % eval_every == 0 || s == o.steps) {
            float el, ea;
            if (t2m_trainer_eval(t, &el, &ea) == MOSA_OK) {
                snprintf(line, sizeof line, "%lld\t%.5f\t%.4f\n", (long long)s, el, ea);
                cli_append_line(etsv, "step\ttest_loss\ttest_token_acc\n", line);
                fprintf(stderr, "eval step %lld: held-out loss %.4f, next-token accuracy %.3f\n", (long long)s, el, ea);
            }
        }
        const int stop = stop_after && s >= stop_after;
        if (s % ckpt_every == 0 || s == o.steps || stop) {
            if (t2m_trainer_save_state(t, state) != MOSA_OK) { rc = cli_error(cmd, "%s", mosa_last_error()); break; }
        }
        if (stop) {
            fprintf(stderr, "stopped after step %lld as asked; continue with --resume\n", (long long)s);
            t2m_trainer_free(t);
            return 0;
        }
    }
    if (rc == 0) {
        if (t2m_trainer_export(t, model) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
        else printf("wrote %s\n", model);
        if (rc == 0 && export_path) {
            if (t2m_trainer_export(t, export_path) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
            else printf("wrote %s\n", export_path);
        }
    }
    t2m_trainer_free(t);
    return rc;
}
