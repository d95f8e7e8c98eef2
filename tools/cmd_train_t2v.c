/* cmd_train_t2v.c: `mosa train t2v`: trains the base text-to-video model (text encoder + DiT over
 * VAE latents) on a dataset. Thin over src/video/train_t2v.h: parses options, keeps the run
 * directory (run.txt with the options, latents.safetensors and latents_val.safetensors caches,
 * state.safetensors checkpoints, train.tsv, eval.tsv with the held-out loss per timestep bucket,
 * t2v.safetensors = the exported EMA model) and prints progress. */
#include "cli.h"

#include "video/train_t2v.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
    t2v_train_options d = t2v_train_options_default();
    fprintf(f,
            "usage: mosa train t2v --data DATASET --vae VAE.safetensors --out RUN_DIR [options]\n"
            "  trains the base text-to-video model: its own text encoder (vocabulary from the captions) and\n"
            "  the DiT on VAE latents of the dataset's clips (encoded once into RUN_DIR/latents.safetensors),\n"
            "  noise prediction on the DDPM schedule, caption dropout for classifier-free guidance, EMA.\n"
            "  Writes RUN_DIR/{run.txt,state.safetensors,train.tsv,eval.tsv,t2v.safetensors}; interrupted\n"
            "  runs continue bit-exactly with --resume.\n"
            "options:\n"
            "  --data DIR          training dataset (mosa dataset synth writes MoVid-syn)\n"
            "  --val DIR           held-out dataset: loss per timestep bucket every --eval-every steps\n"
            "  --vae FILE          the trained VAE (mosa train vae)\n"
            "  --out DIR           run directory (created; its parent must exist)\n"
            "  --resume            continue the run in --out from its last checkpoint (same options)\n"
            "  --steps N           optimizer steps (default %d)      --batch B   (default %d)\n"
            "  --seed S            initialisation and batches (default %llu)\n"
            "  --size WxH --frames N --fps F   training size (default: the dataset's)\n"
            "  --max-clips N       use the first N clips (default all)  --val-clips N (default %d)\n"
            "  --lr X              peak learning rate (default %g), --lr-min X (%g), --warmup N (%d)\n"
            "  --cond-drop P       captions replaced by the empty one (default %g)\n"
            "  --ema D             EMA decay (default %g)\n"
            "  --pred eps|v        the model's target (default eps); --zero-snr (with v)\n"
            "  --width W --layers N --heads H --patch P   DiT size (default %d %d %d %d)\n"
            "  --text-width W --text-layers N --max-len L  text encoder (default %d %d %d)\n"
            "  --buckets K         timestep buckets of the held-out loss (default %d)\n"
            "  --latent-norm channel|none  normalise each latent channel by its measured mean and std\n"
            "                      (default channel; none: only the VAE's scaling factor)\n"
            "  --eval-every N      held-out loss every N steps (default 500)\n"
            "  --ckpt-every N      checkpoint every N steps (default 250)\n"
            "  --stop-after N      stop (with a checkpoint) after step N, to continue later with --resume\n"
            "  --export PATH       also write the final model to PATH in bf16 (models/video/t2v.safetensors)\n"
            "  --export-checkpoint with the run's options: no training, write the last checkpoint's EMA model\n"
            "                      to RUN_DIR/t2v_step<N>.safetensors in bf16 (to look at a run midway)\n"
            "  --threads N         threads (default 2)\n",
            d.steps, d.batch, (unsigned long long)d.seed, d.val_clips, (double)d.lr, (double)d.lr_min, d.warmup,
            (double)d.cond_drop, (double)d.ema_decay, d.dit_width, d.dit_layers, d.dit_heads, d.dit_patch,
            d.text_width, d.text_layers, d.max_len, d.buckets);
}

static void log_line(void *u, const char *s) {
    (void)u;
    fprintf(stderr, "%s\n", s);
}

/* One eval.tsv row: step, weights, mean, then every bucket. */
static void write_eval(t2v_trainer *t, const char *etsv, int64_t s, int use_ema) {
    const int K = t2v_trainer_buckets(t);
    float l[T2V_MAX_BUCKETS], mean;
    if (t2v_trainer_eval(t, use_ema, l, &mean) != MOSA_OK) {
        fprintf(stderr, "held-out evaluation failed: %s\n", mosa_last_error());
        return;
    }
    char header[2048], line[2048];
    size_t hu = (size_t)snprintf(header, sizeof header, "step\tweights\tmean");
    size_t lu = (size_t)snprintf(line, sizeof line, "%lld\t%s\t%.5f", (long long)s, use_ema ? "ema" : "live", mean);
    for (int k = 0; k < K; k++) {
        hu += (size_t)snprintf(header + hu, sizeof header - hu, "\tbucket%d", k);
        lu += (size_t)snprintf(line + lu, sizeof line - lu, "\t%.5f", l[k]);
    }
    snprintf(header + hu, sizeof header - hu, "\n");
    snprintf(line + lu, sizeof line - lu, "\n");
    cli_append_line(etsv, header, line);
    fprintf(stderr, "eval step %lld (%s weights): held-out loss %.4f; per bucket (t low -> high):", (long long)s,
            use_ema ? "EMA" : "live", mean);
    for (int k = 0; k < K; k++) fprintf(stderr, " %.3f", l[k]);
    fputc('\n', stderr);
}

int train_t2v_main(int argc, char **argv) {
    const char *cmd = "train t2v", *out = NULL, *export_path = NULL;
    t2v_train_options o = t2v_train_options_default();
    int resume = 0, export_only = 0, eval_every = 500, ckpt_every = 250, stop_after = 0, threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout), 0;
        if (!strcmp(a, "--resume")) { resume = 1; continue; }
        if (!strcmp(a, "--export-checkpoint")) { resume = export_only = 1; continue; }
        if (!strcmp(a, "--zero-snr")) { o.zero_snr = 1; continue; }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        int ok = 1;
        if (!strcmp(a, "--data")) o.data = v;
        else if (!strcmp(a, "--val")) o.val_data = v;
        else if (!strcmp(a, "--vae")) o.vae_path = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--export")) export_path = v;
        else if (!strcmp(a, "--steps")) ok = cli_parse_int(cmd, a, v, 1, 100000000, &o.steps);
        else if (!strcmp(a, "--batch")) ok = cli_parse_int(cmd, a, v, 1, 1024, &o.batch);
        else if (!strcmp(a, "--seed")) {
            int64_t s;
            ok = cli_parse_i64(cmd, a, v, 0, INT64_MAX, &s);
            o.seed = (uint64_t)s;
        } else if (!strcmp(a, "--size")) {
            char *x = strchr(v, 'x');
            if (!x) return cli_error(cmd, "--size wants WxH, got '%s'", v);
            char wbuf[32];
            snprintf(wbuf, sizeof wbuf, "%.*s", (int)(x - v), v);
            ok = cli_parse_int(cmd, a, wbuf, 8, 4096, &o.W) && cli_parse_int(cmd, a, x + 1, 8, 4096, &o.H);
        } else if (!strcmp(a, "--frames")) ok = cli_parse_int(cmd, a, v, 2, 100000, &o.frames);
        else if (!strcmp(a, "--fps")) ok = cli_parse_int(cmd, a, v, 1, 240, &o.fps);
        else if (!strcmp(a, "--max-clips")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &o.max_clips);
        else if (!strcmp(a, "--val-clips")) ok = cli_parse_int(cmd, a, v, 1, 10000000, &o.val_clips);
        else if (!strcmp(a, "--lr")) ok = cli_parse_float(cmd, a, v, 1e-7, 1.0, &o.lr);
        else if (!strcmp(a, "--lr-min")) ok = cli_parse_float(cmd, a, v, 0.0, 1.0, &o.lr_min);
        else if (!strcmp(a, "--warmup")) ok = cli_parse_int(cmd, a, v, 0, 100000000, &o.warmup);
        else if (!strcmp(a, "--cond-drop")) ok = cli_parse_float(cmd, a, v, 0.0, 0.9, &o.cond_drop);
        else if (!strcmp(a, "--ema")) ok = cli_parse_float(cmd, a, v, 0.0, 0.999999, &o.ema_decay);
        else if (!strcmp(a, "--pred")) {
            const int p = diff_pred_parse(v);
            if (p != DIFF_PRED_EPS && p != DIFF_PRED_V) return cli_error(cmd, "--pred wants eps or v, got '%s'", v);
            o.pred = (diff_pred)p;
        } else if (!strcmp(a, "--width")) ok = cli_parse_int(cmd, a, v, 8, 4096, &o.dit_width);
        else if (!strcmp(a, "--layers")) ok = cli_parse_int(cmd, a, v, 1, 64, &o.dit_layers);
        else if (!strcmp(a, "--heads")) ok = cli_parse_int(cmd, a, v, 1, 64, &o.dit_heads);
        else if (!strcmp(a, "--patch")) ok = cli_parse_int(cmd, a, v, 1, 8, &o.dit_patch);
        else if (!strcmp(a, "--text-width")) ok = cli_parse_int(cmd, a, v, 8, 4096, &o.text_width);
        else if (!strcmp(a, "--text-layers")) ok = cli_parse_int(cmd, a, v, 1, 64, &o.text_layers);
        else if (!strcmp(a, "--max-len")) ok = cli_parse_int(cmd, a, v, 2, 512, &o.max_len);
        else if (!strcmp(a, "--latent-norm")) {
            if (strcmp(v, "channel") && strcmp(v, "none"))
                return cli_error(cmd, "--latent-norm wants channel or none, got '%s'", v);
            o.latent_norm = !strcmp(v, "channel");
        } else if (!strcmp(a, "--buckets")) ok = cli_parse_int(cmd, a, v, 1, T2V_MAX_BUCKETS, &o.buckets);
        else if (!strcmp(a, "--eval-every")) ok = cli_parse_int(cmd, a, v, 1, 100000000, &eval_every);
        else if (!strcmp(a, "--ckpt-every")) ok = cli_parse_int(cmd, a, v, 1, 100000000, &ckpt_every);
        else if (!strcmp(a, "--stop-after")) ok = cli_parse_int(cmd, a, v, 1, 100000000, &stop_after);
        else if (!strcmp(a, "--threads")) ok = cli_parse_int(cmd, a, v, 1, 256, &threads);
        else return cli_error(cmd, "unknown option '%s' (see mosa train t2v --help)", a);
        if (!ok) return 1;
    }
    if (!o.data) return cli_error(cmd, "no --data DATASET given (mosa dataset synth -o DIR writes one)");
    if (!o.vae_path) return cli_error(cmd, "no --vae given: the trained VAE (models/video/vae.safetensors, from mosa train vae)");
    if (!out) return cli_error(cmd, "no --out RUN_DIR given");
    if (o.dit_width % o.dit_heads) return cli_error(cmd, "--width %d is not a multiple of --heads %d", o.dit_width, o.dit_heads);
    if (o.zero_snr && o.pred != DIFF_PRED_V) return cli_error(cmd, "--zero-snr needs --pred v");
    if (access(o.vae_path, R_OK) != 0) return cli_error(cmd, "cannot read the VAE '%s': %s", o.vae_path, strerror(errno));
    mosa_set_threads(threads);

    char state[4096], ttsv[4096], etsv[4096], model[4096], cache[4096], vcache[4096];
    snprintf(state, sizeof state, "%s/state.safetensors", out);
    snprintf(ttsv, sizeof ttsv, "%s/train.tsv", out);
    snprintf(etsv, sizeof etsv, "%s/eval.tsv", out);
    snprintf(model, sizeof model, "%s/t2v.safetensors", out);
    snprintf(cache, sizeof cache, "%s/latents.safetensors", out);
    snprintf(vcache, sizeof vcache, "%s/latents_val.safetensors", out);
    o.cache_path = cache;
    o.val_cache_path = o.val_data ? vcache : NULL;
    char opts[2048];
    t2v_train_options_format(&o, opts, sizeof opts);
    if (!cli_run_dir(cmd, out, opts, resume)) return 1;

    double t0 = time_now();
    t2v_trainer *t = NULL;
    if (t2v_trainer_create(&t, &o, log_line, NULL) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    if (resume) {
        if (t2v_trainer_load_state(t, state) != MOSA_OK) {
            t2v_trainer_free(t);
            return cli_error(cmd, "%s", mosa_last_error());
        }
        fprintf(stderr, "resumed at step %lld\n", (long long)t2v_trainer_step_count(t));
    }
    if (export_only) {
        char path[4200];
        snprintf(path, sizeof path, "%s/t2v_step%lld.safetensors", out, (long long)t2v_trainer_step_count(t));
        int rc = 0;
        if (t2v_trainer_export(t, path, ST_BF16) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
        else printf("wrote %s (bf16, EMA weights of step %lld)\n", path, (long long)t2v_trainer_step_count(t));
        t2v_trainer_free(t);
        return rc;
    }
    int nval = 0;
    t2v_trainer_sizes(t, NULL, &nval, NULL, NULL);
    fprintf(stderr, "setup took %.1f s; training %d steps of %d clips\n", time_now() - t0, o.steps, o.batch);
    int rc = 0;
    double ts = time_now(), lsum = 0;
    int ln = 0;
    const int64_t step0 = t2v_trainer_step_count(t);
    char line[512];
    while (t2v_trainer_step_count(t) < o.steps) {
        float loss;
        const float lr = t2v_trainer_lr(t);
        if (t2v_trainer_step(t, &loss) != MOSA_OK) { rc = cli_error(cmd, "%s", mosa_last_error()); break; }
        const int64_t s = t2v_trainer_step_count(t);
        lsum += loss, ln++;
        if (s % 25 == 0 || s == o.steps) {
            const double el = time_now() - ts, per = el / (double)(s - step0);
            snprintf(line, sizeof line, "%lld\t%.5f\t%.3g\t%.1f\n", (long long)s, lsum / ln, (double)lr, time_now() - t0);
            cli_append_line(ttsv, "step\tloss\tlr\tseconds\n", line);
            fprintf(stderr, "step %lld/%d loss %.4f lr %.3g  %.2f s/step, ETA %.0f s\n", (long long)s, o.steps, lsum / ln,
                    (double)lr, per, per * (double)(o.steps - s));
            lsum = 0, ln = 0;
        }
        if (nval && (s % eval_every == 0 || s == o.steps)) {
            write_eval(t, etsv, s, 0);
            write_eval(t, etsv, s, 1);
        }
        const int stop = stop_after && s >= stop_after;
        if (s % ckpt_every == 0 || s == o.steps || stop) {
            if (t2v_trainer_save_state(t, state) != MOSA_OK) { rc = cli_error(cmd, "%s", mosa_last_error()); break; }
        }
        if (stop && s < o.steps) {
            fprintf(stderr, "stopped after step %lld as asked; continue with --resume\n", (long long)s);
            t2v_trainer_free(t);
            return 0;
        }
    }
    if (rc == 0) {
        if (t2v_trainer_export(t, model, ST_F32) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
        else printf("wrote %s\n", model);
        if (rc == 0 && export_path) {
            if (t2v_trainer_export(t, export_path, ST_BF16) != MOSA_OK) rc = cli_error(cmd, "%s", mosa_last_error());
            else printf("wrote %s (bf16)\n", export_path);
        }
    }
    t2v_trainer_free(t);
    return rc;
}
