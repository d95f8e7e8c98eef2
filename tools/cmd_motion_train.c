/* cmd_motion_train.c: `mosa motion train <vqvae|...>`: training the structure branch's models
 * from the command line. motion_train_main dispatches to one function per model; each is thin
 * over its library trainer (src/motion/train_*.h) and only parses options and prints progress. */
#include "cli.h"

#include "motion/train_vqvae.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* shared option parsing                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void fmt_duration(char *buf, size_t n, double s) {
    if (!(s >= 0) || s > 1e7) snprintf(buf, n, "?");
    else if (s >= 3600) snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else if (s >= 60) snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else snprintf(buf, n, "%.0fs", s);
}

/* ------------------------------------------------------------------------------------------ */
/* vqvae                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void vqvae_usage(FILE *f) {
    motion_vqvae_train_opts d = motion_vqvae_train_opts_default();
    fprintf(f,
            "usage: mosa motion train vqvae --out RUN_DIR [options]\n"
            "  trains the motion tokenizer (T2M-GPT-style VQ-VAE over HumanML3D 263-d features) on the\n"
            "  procedural motion corpus, or on a HumanML3D directory; evaluates on held-out motions\n"
            "  (MPJPE in mm, code perplexity) and writes RUN_DIR/{run.txt,state.safetensors,train.tsv,\n"
            "  eval.tsv,vqvae.safetensors}. Interrupted runs continue bit-exactly with --resume.\n"
            "options:\n"
            "  --out DIR           run directory (created; its parent must exist)\n"
            "  --resume            continue the run in --out from its last checkpoint (same options)\n"
            "  --steps N           optimizer steps (default %lld)\n"
            "  --batch B           windows per step (default %d)\n"
            "  --window F          frames per window, a multiple of 4 (default %d)\n"
            "  --seed S            corpus, initialisation and data order (default %llu)\n"
            "  --corpus-size N     procedural training motions (default %d)\n"
            "  --test-size N       procedural held-out motions (default %d)\n"
            "  --humanml3d DIR     train on a HumanML3D root (new_joint_vecs/, texts/, train.txt, val.txt)\n"
            "  --lr X              peak learning rate (default %g), --lr-min X (default %g), --warmup N (%d)\n"
            "  --eval-every N      held-out evaluation every N steps (default %d)\n"
            "  --ckpt-every N      checkpoint every N steps (default %d)\n"
            "  --eval-items N      held-out motions per evaluation (default: all)\n"
            "  --export PATH       also write the final model to PATH (e.g. models/motion/vqvae.safetensors)\n"
            "  --width W --codes K --code-dim D --depth N --down-t N   model size (128 256 128 3 2)\n"
            "  --threads T         CPU threads (default: all)\n",
            (long long)d.steps, d.batch, d.window, (unsigned long long)d.seed, d.corpus_size, d.test_size,
            (double)d.lr, (double)d.lr_min, d.warmup, d.eval_every, d.ckpt_every);
}

typedef struct vq_cli_state {
    int tty;
    double last_print;
    int64_t last_step;
} vq_cli_state;

static void vqvae_report(const motion_vqvae_report *r, void *user) {
    vq_cli_state *cs = user;
    char eta[32];
    switch (r->kind) {
    case VQ_REPORT_MESSAGE:
        fprintf(stderr, "%s%s\n", cs->tty ? "\r" : "", r->message);
        break;
    case VQ_REPORT_STEP: {
        const double now = time_now();
        const int every = cs->tty ? 1 : 25;
        if (r->step != r->steps && r->step % every != 0 && !(cs->tty && now - cs->last_print > 0.5)) break;
        if (cs->tty && now - cs->last_print < 0.2 && r->step != r->steps) break;
        cs->last_print = now;
        fmt_duration(eta, sizeof eta, r->steps_per_s > 0 ? (double)(r->steps - r->step) / r->steps_per_s : -1);
        fprintf(stderr, "%sstep %lld/%lld  loss %.4f  recon %.4f  vel %.4f  commit %.4f  ppl %.1f  used %d  lr %.2e  "
                        "%.2f steps/s  ETA %s%s",
                cs->tty ? "\r" : "", (long long)r->step, (long long)r->steps, (double)r->loss, (double)r->recon,
                (double)r->vel, (double)r->commit, (double)r->perplexity, r->used_codes, (double)r->lr,
                r->steps_per_s, eta, cs->tty ? "   " : "\n");
        fflush(stderr);
        break;
    }
    case VQ_REPORT_EVAL:
        fprintf(stderr, "%seval @ %lld: held-out MPJPE %.1f mm (global %.1f mm), recon %.4f, perplexity %.1f, "
                        "%d codes used, %d motions\n",
                cs->tty ? "\n" : "", (long long)r->step, (double)r->eval.mpjpe_mm, (double)r->eval.mpjpe_global_mm,
                (double)r->eval.recon, (double)r->eval.perplexity, r->eval.used_codes, r->eval.items);
        break;
    case VQ_REPORT_CHECKPOINT:
        if (!cs->tty) fprintf(stderr, "checkpoint @ %lld: %s\n", (long long)r->step, r->message);
        break;
    }
}

int motion_train_vqvae_main(int argc, char **argv) {
    const char *cmd = "motion train vqvae";
    motion_vqvae_train_opts o = motion_vqvae_train_opts_default();
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return vqvae_usage(stdout), 0;
        if (!strcmp(a, "--resume")) { o.resume = 1; continue; }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        int ok = 1;
        if (!strcmp(a, "--out") || !strcmp(a, "-o")) o.out_dir = v;
        else if (!strcmp(a, "--export")) o.export_path = v;
        else if (!strcmp(a, "--humanml3d")) o.humanml3d = v;
        else if (!strcmp(a, "--steps")) ok = cli_parse_i64(cmd, a, v, 1, 100000000, &o.steps);
        else if (!strcmp(a, "--stop-after")) ok = cli_parse_i64(cmd, a, v, 1, 100000000, &o.stop_after);
        else if (!strcmp(a, "--batch")) ok = cli_parse_int(cmd, a, v, 1, 4096, &o.batch);
        else if (!strcmp(a, "--window")) ok = cli_parse_int(cmd, a, v, 4, 196, &o.window);
        else if (!strcmp(a, "--corpus-size")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &o.corpus_size);
        else if (!strcmp(a, "--test-size")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &o.test_size);
        else if (!strcmp(a, "--eval-every")) ok = cli_parse_int(cmd, a, v, 0, 100000000, &o.eval_every);
        else if (!strcmp(a, "--ckpt-every")) ok = cli_parse_int(cmd, a, v, 0, 100000000, &o.ckpt_every);
        else if (!strcmp(a, "--eval-items")) ok = cli_parse_int(cmd, a, v, 0, 10000000, &o.eval_items);
        else if (!strcmp(a, "--warmup")) ok = cli_parse_int(cmd, a, v, 0, 100000000, &o.warmup);
        else if (!strcmp(a, "--threads")) ok = cli_parse_int(cmd, a, v, 1, 1024, &threads);
        else if (!strcmp(a, "--lr")) ok = cli_parse_float(cmd, a, v, 1e-8, 0.5, &o.lr);
        else if (!strcmp(a, "--lr-min")) ok = cli_parse_float(cmd, a, v, 0, 0.5, &o.lr_min);
        else if (!strcmp(a, "--width")) ok = cli_parse_int(cmd, a, v, 1, 4096, &o.cfg.width);
        else if (!strcmp(a, "--codes")) ok = cli_parse_int(cmd, a, v, 2, 65536, &o.cfg.codes);
        else if (!strcmp(a, "--code-dim")) ok = cli_parse_int(cmd, a, v, 1, 4096, &o.cfg.code_dim);
        else if (!strcmp(a, "--depth")) ok = cli_parse_int(cmd, a, v, 1, 8, &o.cfg.depth);
        else if (!strcmp(a, "--down-t")) ok = cli_parse_int(cmd, a, v, 0, 6, &o.cfg.down_t);
        else if (!strcmp(a, "--seed")) {
            int64_t sd;
            ok = cli_parse_i64(cmd, a, v, 0, 9223372036854775807LL, &sd);
            o.seed = (uint64_t)sd;
        } else return cli_error(cmd, "unknown option '%s' (see mosa motion train vqvae --help)", a);
        if (!ok) return 1;
    }
    if (!o.out_dir) return cli_error(cmd, "no run directory given: add --out RUN_DIR");
    if (o.lr_min > o.lr) o.lr_min = o.lr;
    if (o.humanml3d) {
        struct stat sb;
        if (stat(o.humanml3d, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return cli_error(cmd, "--humanml3d '%s' is not a directory (want a HumanML3D root with new_joint_vecs/, "
                             "texts/, train.txt and val.txt)", o.humanml3d);
    }
    if (o.window % (1 << o.cfg.down_t))
        return cli_error(cmd, "--window %d must be a multiple of %d (2^down-t)", o.window, 1 << o.cfg.down_t);
    if (threads > 0) mosa_set_threads(threads);
    vq_cli_state cs = {isatty(2), 0, 0};
    o.report = vqvae_report;
    o.user = &cs;
    const double t0 = time_now();
    mosa_status s = motion_train_vqvae(&o);
    if (cs.tty) fputc('\n', stderr);
    if (s != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    char dur[32];
    fmt_duration(dur, sizeof dur, time_now() - t0);
    if (o.stop_after > 0 && o.stop_after < o.steps)
        fprintf(stderr, "stopped after step %lld as asked (%s); continue with --resume\n", (long long)o.stop_after, dur);
    else
        fprintf(stderr, "done in %s: %s/vqvae.safetensors%s%s\n", dur, o.out_dir, o.export_path ? " and " : "",
                o.export_path ? o.export_path : "");
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* dispatcher                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* motion_train_t2m_main: tools/cmd_motion_t2m.c; motion_train_evaluator_main: tools/cmd_motion_eval.c
 * (both declared in cli.h) */

static void train_usage(FILE *f) {
    fprintf(f, "usage: mosa motion train <model> [options]   (each with --help)\n"
               "  vqvae      the motion tokenizer (VQ-VAE over HumanML3D features)\n"
               "  t2m        the structure transformer (text -> motion tokens, over a trained VQ-VAE)\n"
               "  evaluator  the motion-text evaluator (contrastive encoders + action classifier)\n"
    );
}

int motion_train_main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        train_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "vqvae")) return motion_train_vqvae_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "t2m")) return motion_train_t2m_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "evaluator")) return motion_train_evaluator_main(argc - 1, argv + 1);
    return cli_error("motion train", "unknown model '%s' (mosa motion train --help lists them)", argv[1]);
}
