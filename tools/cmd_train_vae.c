/* cmd_train_vae.c: `mosa train vae`: training the causal video VAE from the command line. Thin
 * over the library trainer (src/video/train_vae.h): parses options, prints progress. */
#include "cli.h"

#include "video/train_vae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fmt_duration(char *buf, size_t n, double s) {
    if (!(s >= 0) || s > 1e7) snprintf(buf, n, "?");
    else if (s >= 3600) snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else if (s >= 60) snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else snprintf(buf, n, "%.0fs", s);
}

static void usage(FILE *f) {
    vae_train_opts d = vae_train_opts_default();
    char cfg[256];
    vae_config_format(&d.cfg, cfg, sizeof cfg);
    fprintf(f,
            "usage: mosa train vae --data DIR --out RUN_DIR [options]\n"
            "  trains the causal 3D video VAE (docs/video_vae.md) on random crops of a mosa dataset's clips\n"
            "  (videos, and with some probability skeleton videos and human masks); evaluates held-out PSNR\n"
            "  on full clips of --val DIR; writes RUN_DIR/{run.txt,state.safetensors,train.tsv,eval.tsv,\n"
            "  vae.safetensors}. Interrupted runs continue bit-exactly with --resume.\n"
            "options:\n"
            "  --data DIR          training dataset (mosa-dataset/1)\n"
            "  --val DIR           held-out dataset for evaluation (e.g. made with another --seed)\n"
            "  --out DIR           run directory (created; its parent must exist)\n"
            "  --resume            continue the run in --out from its last checkpoint (same options)\n"
            "  --steps N           optimizer steps (default %lld)\n"
            "  --batch B           crops per step (default %d)\n"
            "  --crop WxH          crop size, multiples of 8 (default %dx%d)\n"
            "  --crop-frames F     frames per crop, 1 + 4k (default %d)\n"
            "  --lr X              peak learning rate (default %g), --lr-min X (default %g), --warmup N (%d)\n"
            "  --kl X              KL weight (default %g)\n"
            "  --skeleton-prob P   probability that a sample is the skeleton video (default %g)\n"
            "  --mask-prob P       probability that a sample is the human mask video (default %g)\n"
            "  --clip X            gradient-norm clip, 0 = off (default %g)\n"
            "  --eval-every N      held-out evaluation every N steps (default %d), --eval-clips N (default %d)\n"
            "  --ckpt-every N      checkpoint every N steps (default %d)\n"
            "  --scale-clips N     training clips for measuring the latent scale (default %d)\n"
            "  --seed S            initialisation, data order, crops, noise (default %llu)\n"
            "  --config \"...\"      model config (default \"%s\")\n"
            "  --export PATH       also write the final model to PATH (e.g. models/video/vae.safetensors)\n"
            "  --init FILE         start from this model (same --config) instead of a random initialisation\n"
            "  --stop-after N      stop (checkpointed) after step N, as if interrupted\n"
            "  --export-checkpoint with the run's options: no training, export the last checkpoint's model to\n"
            "                      RUN_DIR/vae_step<N>.safetensors (latent scale measured as at the end)\n"
            "  --threads T         CPU threads (default: all)\n",
            (long long)d.steps, d.batch, d.crop_w, d.crop_h, d.crop_frames, (double)d.lr, (double)d.lr_min, d.warmup,
            (double)d.kl_weight, (double)d.skeleton_prob, (double)d.mask_prob, (double)d.clip, d.eval_every,
            d.eval_clips, d.ckpt_every, d.scale_clips, (unsigned long long)d.seed, cfg);
}

typedef struct cli_state {
    int tty;
    double last_print;
    int every;
} cli_state;

static void on_report(const vae_train_report *r, void *user) {
    cli_state *cs = user;
    char eta[32];
    switch (r->kind) {
    case VAE_REPORT_MESSAGE:
        fprintf(stderr, "%s%s\n", cs->tty ? "\r" : "", r->message);
        break;
    case VAE_REPORT_STEP: {
        const double now = time_now();
        if (cs->tty ? (now - cs->last_print < 0.2 && r->step != r->steps) : (r->step % cs->every && r->step != r->steps))
            break;
        cs->last_print = now;
        fmt_duration(eta, sizeof eta, r->sec_per_step > 0 ? (double)(r->steps - r->step) * r->sec_per_step : -1);
        fprintf(stderr, "%sstep %lld/%lld  loss %.4f  recon %.4f  kl %.3f  psnr %.2f dB  lr %.2e  %.2f s/step  ETA %s%s",
                cs->tty ? "\r" : "", (long long)r->step, (long long)r->steps, (double)r->loss, (double)r->recon,
                (double)r->kl, (double)r->psnr, (double)r->lr, r->sec_per_step, eta, cs->tty ? "   " : "\n");
        fflush(stderr);
        break;
    }
    case VAE_REPORT_EVAL:
        fprintf(stderr, "%seval @ %lld: held-out PSNR %.2f dB (skeleton videos %.2f dB), SSIM %.4f, %d clips\n",
                cs->tty ? "\n" : "", (long long)r->step, (double)r->eval.psnr, (double)r->eval.psnr_skeleton,
                (double)r->eval.ssim, r->eval.clips);
        break;
    case VAE_REPORT_CHECKPOINT:
        if (!cs->tty) fprintf(stderr, "checkpoint @ %lld: %s\n", (long long)r->step, r->message);
        break;
    }
}

static int parse_crop(const char *cmd, const char *v, int *w, int *h) {
    char *e;
    long a = strtol(v, &e, 10);
    if (e == v || (*e != 'x' && *e != 'X')) return cli_error(cmd, "--crop wants WxH (e.g. 64x64), got '%s'", v), 0;
    const char *p = e + 1;
    long b = strtol(p, &e, 10);
    if (e == p || *e || a < 1 || b < 1 || a > 4096 || b > 4096)
        return cli_error(cmd, "--crop wants WxH with both in 1..4096 (e.g. 64x64), got '%s'", v), 0;
    *w = (int)a, *h = (int)b;
    return 1;
}

int train_vae_main(int argc, char **argv) {
    const char *cmd = "train vae";
    vae_train_opts o = vae_train_opts_default();
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout), 0;
        if (!strcmp(a, "--resume")) { o.resume = 1; continue; }
        if (!strcmp(a, "--export-checkpoint")) { o.resume = o.export_only = 1; continue; }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        int ok = 1;
        if (!strcmp(a, "--out") || !strcmp(a, "-o")) o.out_dir = v;
        else if (!strcmp(a, "--data")) o.data = v;
        else if (!strcmp(a, "--val")) o.val_data = v;
        else if (!strcmp(a, "--export")) o.export_path = v;
        else if (!strcmp(a, "--init")) o.init = v;
        else if (!strcmp(a, "--steps")) ok = cli_parse_i64(cmd, a, v, 1, 100000000, &o.steps);
        else if (!strcmp(a, "--stop-after")) ok = cli_parse_i64(cmd, a, v, 1, 100000000, &o.stop_after);
        else if (!strcmp(a, "--batch")) ok = cli_parse_int(cmd, a, v, 1, 1024, &o.batch);
        else if (!strcmp(a, "--crop")) ok = parse_crop(cmd, v, &o.crop_w, &o.crop_h);
        else if (!strcmp(a, "--crop-frames")) ok = cli_parse_int(cmd, a, v, 1, 10000, &o.crop_frames);
        else if (!strcmp(a, "--lr")) ok = cli_parse_float(cmd, a, v, 1e-8, 0.5, &o.lr);
        else if (!strcmp(a, "--lr-min")) ok = cli_parse_float(cmd, a, v, 0, 0.5, &o.lr_min);
        else if (!strcmp(a, "--warmup")) ok = cli_parse_int(cmd, a, v, 0, 100000000, &o.warmup);
        else if (!strcmp(a, "--kl")) ok = cli_parse_float(cmd, a, v, 0, 100, &o.kl_weight);
        else if (!strcmp(a, "--skeleton-prob")) ok = cli_parse_float(cmd, a, v, 0, 1, &o.skeleton_prob);
        else if (!strcmp(a, "--mask-prob")) ok = cli_parse_float(cmd, a, v, 0, 1, &o.mask_prob);
        else if (!strcmp(a, "--clip")) ok = cli_parse_float(cmd, a, v, 0, 1e6, &o.clip);
        else if (!strcmp(a, "--eval-every")) ok = cli_parse_int(cmd, a, v, 0, 100000000, &o.eval_every);
        else if (!strcmp(a, "--eval-clips")) ok = cli_parse_int(cmd, a, v, 0, 10000000, &o.eval_clips);
        else if (!strcmp(a, "--ckpt-every")) ok = cli_parse_int(cmd, a, v, 0, 100000000, &o.ckpt_every);
        else if (!strcmp(a, "--scale-clips")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &o.scale_clips);
        else if (!strcmp(a, "--threads")) ok = cli_parse_int(cmd, a, v, 1, 1024, &threads);
        else if (!strcmp(a, "--config")) {
            if (vae_config_parse(&o.cfg, v) != MOSA_OK) return cli_error(cmd, "--config: %s", mosa_last_error());
        } else if (!strcmp(a, "--seed")) {
            int64_t sd;
            ok = cli_parse_i64(cmd, a, v, 0, 9223372036854775807LL, &sd);
            o.seed = (uint64_t)sd;
        } else return cli_error(cmd, "unknown option '%s' (see mosa train vae --help)", a);
        if (!ok) return 1;
    }
    if (!o.data) return cli_error(cmd, "no training data given: add --data DIR (a mosa dataset)");
    if (!o.out_dir) return cli_error(cmd, "no run directory given: add --out RUN_DIR");
    struct stat sb;
    if (stat(o.data, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return cli_error(cmd, "--data '%s' is not a directory (want a mosa dataset, e.g. from mosa dataset synth)",
                         o.data);
    if (o.val_data && (stat(o.val_data, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        return cli_error(cmd, "--val '%s' is not a directory (want a held-out mosa dataset)", o.val_data);
    if (o.lr_min > o.lr) o.lr_min = o.lr;
    if (threads > 0) mosa_set_threads(threads);
    cli_state cs = {isatty(2), 0, 10};
    o.report = on_report;
    o.user = &cs;
    const double t0 = time_now();
    mosa_status s = vae_train(&o);
    if (cs.tty) fputc('\n', stderr);
    if (s != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    char dur[32];
    fmt_duration(dur, sizeof dur, time_now() - t0);
    if (o.export_only)
        fprintf(stderr, "exported the checkpoint in %s (%s)\n", o.out_dir, dur);
    else if (o.stop_after > 0 && o.stop_after < o.steps)
        fprintf(stderr, "stopped after step %lld as asked (%s); continue with --resume\n", (long long)o.stop_after, dur);
    else
        fprintf(stderr, "done in %s: %s/vae.safetensors%s%s\n", dur, o.out_dir, o.export_path ? " and " : "",
                o.export_path ? o.export_path : "");
    return 0;
}
