/* train_vqvae.c: the motion VQ-VAE training loop, its held-out evaluation and its run directory
 * (train_vqvae.h). Data: random windows of normalised features drawn by the "data" RNG; the step
 * count is the data position. Everything that changes during training (parameters, the frozen
 * codebook and EMA statistics, AdamW moments, both RNGs) is in state.safetensors, so a resumed
 * run continues with the same bytes as an uninterrupted one. */
#include "train_vqvae.h"

#include "../tensor/optim.h"
#include "../tensor/train_state.h"
#include "features.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EVAL_MAX_ROWS 196

motion_vqvae_train_opts motion_vqvae_train_opts_default(void) {
    motion_vqvae_train_opts o;
    memset(&o, 0, sizeof o);
    o.corpus_size = 2000;
    o.test_size = 128;
    o.seed = 1;
    o.steps = 3000;
    o.batch = 64;
    o.window = 64;
    o.lr = 1e-3f;
    o.lr_min = 5e-5f;
    o.warmup = 100;
    o.vel_weight = 0.5f;
    o.beta = 0.02f;
    o.clip = 0.0f;
    o.eval_every = 250;
    o.ckpt_every = 250;
    o.eval_items = 0;
    o.cfg = vqvae_config_default();
    return o;
}

static void report(const motion_vqvae_train_opts *o, motion_vqvae_report *r) {
    if (o->report) o->report(r, o->user);
}

static void message(const motion_vqvae_train_opts *o, const char *msg) {
    motion_vqvae_report r;
    memset(&r, 0, sizeof r);
    r.kind = VQ_REPORT_MESSAGE;
    r.message = msg;
    report(o, &r);
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation                                                                                  */
/* ------------------------------------------------------------------------------------------ */

mosa_status motion_vqvae_evaluate(vqvae *m, const motion_corpus *test, const float *mean, const float *std,
                                  int max_items, motion_vqvae_eval *out) {
    memset(out, 0, sizeof *out);
    const vqvae_config *g = vqvae_get_config(m);
    const int unit = 1 << g->down_t, F = g->in_dim;
    if (F != MOTION_FEAT)
        return mosa_fail(MOSA_ERR_ARG, "motion_vqvae_evaluate: the model's in_dim is %d, HumanML3D features have %d", F,
                         MOTION_FEAT);
    int n = test->n;
    if (max_items > 0 && max_items < n) n = max_items;
    const int rows_max = EVAL_MAX_ROWS / unit * unit;
    float *xn = mosa_malloc(sizeof(float) * (size_t)rows_max * F);
    float *xr = mosa_malloc(sizeof(float) * (size_t)rows_max * F);
    float *jg = mosa_malloc(sizeof(float) * (size_t)rows_max * 66);
    float *jr = mosa_malloc(sizeof(float) * (size_t)rows_max * 66);
    int32_t *codes = mosa_malloc(sizeof(int32_t) * ((size_t)n * (rows_max / unit) + 1));
    ctx c;
    ctx_init(&c, 1 << 24);
    mosa_status st = (xn && xr && jg && jr && codes) ? MOSA_OK : MOSA_ERR_NOMEM;
    ctx_no_grad(&c);
    double err = 0, err_g = 0, rec = 0;
    int64_t frames = 0, ntok = 0, nrec = 0;
    for (int i = 0; i < n && st == MOSA_OK; i++) {
        const motion_item *it = &test->items[i];
        int T = it->T < rows_max ? it->T : rows_max;
        T = T / unit * unit;
        if (T < unit) continue;
        for (int64_t k = 0; k < (int64_t)T * F; k++) xn[k] = (it->feat[k] - mean[k % F]) / std[k % F];
        tensor *x = t_wrap(&c, xn, T_SHAPE(1, T, F));
        tensor *z = vqvae_encode(&c, m, x);
        if (!z) {
            st = c.status;
            break;
        }
        const int N = T / unit;
        vqvae_quantize(m, z->data, N, codes + ntok);
        tensor *y = vqvae_decode(&c, m, codes + ntok, 1, N);
        if (!y) {
            st = c.status;
            break;
        }
        ntok += N;
        for (int64_t k = 0; k < (int64_t)T * F; k++) {
            const double d = fabs((double)y->data[k] - xn[k]);
            rec += d < 1.0 ? 0.5 * d * d : d - 0.5;
            xr[k] = y->data[k] * std[k % F] + mean[k % F];
        }
        nrec += (int64_t)T * F;
        /* joints of the reference and of the reconstruction (from the raw features) */
        st = hml_joints_from_features(jg, it->feat, T);
        if (st == MOSA_OK) st = hml_joints_from_features(jr, xr, T);
        if (st != MOSA_OK) {
            /* a reconstruction can be non-finite early in training: count it as a large error */
            mosa_clear_error();
            st = MOSA_OK;
            err += 1.0 * T * 22, err_g += 1.0 * T * 22;
            frames += T;
            ctx_reset(&c);
            continue;
        }
        for (int t = 0; t < T; t++) {
            const float *a = jg + t * 66, *b = jr + t * 66;
            for (int j = 0; j < 22; j++) {
                double dx = (double)b[j * 3] - a[j * 3], dy = (double)b[j * 3 + 1] - a[j * 3 + 1],
                       dz = (double)b[j * 3 + 2] - a[j * 3 + 2];
                err_g += sqrt(dx * dx + dy * dy + dz * dz);
                dx -= (double)b[0] - a[0], dy -= (double)b[1] - a[1], dz -= (double)b[2] - a[2];
                err += sqrt(dx * dx + dy * dy + dz * dz);
            }
        }
        frames += T;
        ctx_reset(&c);
    }
    if (st == MOSA_OK && frames == 0)
        st = mosa_fail(MOSA_ERR_ARG, "motion_vqvae_evaluate: no held-out motion of at least %d frames", unit);
    if (st == MOSA_OK) {
        out->mpjpe_mm = (float)(1000.0 * err / (frames * 22.0));
        out->mpjpe_global_mm = (float)(1000.0 * err_g / (frames * 22.0));
        out->recon = (float)(rec / (double)nrec);
        out->perplexity = vqvae_perplexity(codes, (int)ntok, g->codes, &out->used_codes);
        out->items = n;
        out->frames = (int)frames;
    }
    ctx_free(&c);
    mosa_free(xn), mosa_free(xr), mosa_free(jg), mosa_free(jr), mosa_free(codes);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Run directory                                                                               */
/* ------------------------------------------------------------------------------------------ */

static void run_description(const motion_vqvae_train_opts *o, char *buf, size_t cap) {
    char cfg[256];
    vqvae_config_format(&o->cfg, cfg, sizeof cfg);
    snprintf(buf, cap,
             "format=mosa_vqvae_run/1\nconfig=%s\ndata=%s\ncorpus_size=%d\ntest_size=%d\nseed=%llu\nsteps=%lld\n"
             "batch=%d\nwindow=%d\nlr=%.9g\nlr_min=%.9g\nwarmup=%d\nvel_weight=%.9g\nbeta=%.9g\nclip=%.9g\n",
             cfg, o->humanml3d ? o->humanml3d : "procedural", o->corpus_size, o->test_size,
             (unsigned long long)o->seed, (long long)o->steps, o->batch, o->window, (double)o->lr,
             (double)o->lr_min, o->warmup, (double)o->vel_weight, (double)o->beta, (double)o->clip);
}


/* ------------------------------------------------------------------------------------------ */
/* Training                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct trainer {
    motion_corpus train, test;
    float mean[MOTION_FEAT], std[MOTION_FEAT];
    float **norm;   /* normalised features of the usable training items */
    int *len;
    int n_use;
    param_store ps;
    vqvae *m;
    adamw opt;
    mosa_rng data_rng, reset_rng;
    ctx c;
    float *batch;
} trainer;

static void trainer_free(trainer *t) {
    ctx_free(&t->c);
    adamw_free(&t->opt);
    vqvae_free(t->m);
    params_free(&t->ps);
    if (t->norm)
        for (int i = 0; i < t->n_use; i++) mosa_free(t->norm[i]);
    mosa_free(t->norm);
    mosa_free(t->len);
    mosa_free(t->batch);
    motion_corpus_free(&t->train);
    motion_corpus_free(&t->test);
}

static mosa_status check_opts(const motion_vqvae_train_opts *o) {
    if (!o->out_dir || !o->out_dir[0]) return mosa_fail(MOSA_ERR_ARG, "no run directory given (--out RUN_DIR)");
    if (o->steps < 1 || o->steps > 100000000)
        return mosa_fail(MOSA_ERR_ARG, "steps %lld: train for 1..1e8 steps", (long long)o->steps);
    if (o->batch < 1 || o->batch > 4096) return mosa_fail(MOSA_ERR_ARG, "batch %d: use 1..4096", o->batch);
    const int unit = 1 << o->cfg.down_t;
    if (o->window < unit || o->window % unit || o->window > 196)
        return mosa_fail(MOSA_ERR_ARG, "window %d: use a multiple of %d frames up to 196", o->window, unit);
    if (!o->humanml3d && (o->corpus_size < 1 || o->test_size < 1))
        return mosa_fail(MOSA_ERR_ARG, "corpus size %d / test size %d: both must be >= 1", o->corpus_size,
                         o->test_size);
    if (!(o->lr > 0 && o->lr < 1) || !(o->lr_min >= 0 && o->lr_min <= o->lr))
        return mosa_fail(MOSA_ERR_ARG, "learning rate %g (min %g): need 0 < lr < 1 and 0 <= lr_min <= lr",
                         (double)o->lr, (double)o->lr_min);
    if (o->warmup < 0 || o->eval_every < 0 || o->ckpt_every < 0 || o->stop_after < 0)
        return mosa_fail(MOSA_ERR_ARG, "warmup, eval_every, ckpt_every and stop_after must be >= 0");
    if (o->cfg.in_dim != MOTION_FEAT)
        return mosa_fail(MOSA_ERR_ARG, "the VQ-VAE's in_dim is %d; HumanML3D features have %d", o->cfg.in_dim,
                         MOTION_FEAT);
    return MOSA_OK;
}

static mosa_status load_data(trainer *t, const motion_vqvae_train_opts *o) {
    if (o->humanml3d) {
        message(o, "loading the HumanML3D train split");
        MOSA_TRY(motion_corpus_humanml3d(&t->train, o->humanml3d, "train"));
        message(o, "loading the HumanML3D val split (held out)");
        MOSA_TRY(motion_corpus_humanml3d(&t->test, o->humanml3d, "val"));
    } else {
        char msg[160];
        snprintf(msg, sizeof msg, "drawing %d training and %d held-out procedural motions", o->corpus_size,
                 o->test_size);
        message(o, msg);
        motion_corpus_options co = motion_corpus_options_default(o->corpus_size, o->seed, MOTION_SPLIT_TRAIN);
        MOSA_TRY(motion_corpus_procedural(&t->train, &co));
        co = motion_corpus_options_default(o->test_size, o->seed, MOTION_SPLIT_TEST);
        MOSA_TRY(motion_corpus_procedural(&t->test, &co));
    }
    MOSA_TRY(motion_corpus_mean_std(&t->train, t->mean, t->std));
    t->norm = mosa_calloc((size_t)t->train.n, sizeof *t->norm);
    t->len = mosa_calloc((size_t)t->train.n, sizeof *t->len);
    if (!t->norm || !t->len) return MOSA_ERR_NOMEM;
    for (int i = 0; i < t->train.n; i++) {
        const motion_item *it = &t->train.items[i];
        if (it->T < o->window) continue;
        float *x = mosa_malloc(sizeof(float) * (size_t)it->T * MOTION_FEAT);
        if (!x) return MOSA_ERR_NOMEM;
        for (int64_t k = 0; k < (int64_t)it->T * MOTION_FEAT; k++)
            x[k] = (it->feat[k] - t->mean[k % MOTION_FEAT]) / t->std[k % MOTION_FEAT];
        t->norm[t->n_use] = x;
        t->len[t->n_use++] = it->T;
    }
    if (t->n_use == 0)
        return mosa_fail(MOSA_ERR_ARG, "no training motion has the %d frames of a window; use a shorter --window",
                         o->window);
    char msg[160];
    snprintf(msg, sizeof msg, "%d of %d training motions are long enough for %d-frame windows; %d held out", t->n_use,
             t->train.n, o->window, t->test.n);
    message(o, msg);
    return MOSA_OK;
}

static void fill_batch(trainer *t, const motion_vqvae_train_opts *o) {
    const size_t row = MOTION_FEAT;
    for (int b = 0; b < o->batch; b++) {
        const int i = (int)rng_below(&t->data_rng, (uint32_t)t->n_use);
        const int s = (int)rng_below(&t->data_rng, (uint32_t)(t->len[i] - o->window + 1));
        memcpy(t->batch + (size_t)b * o->window * row, t->norm[i] + (size_t)s * row, sizeof(float) * o->window * row);
    }
}

static mosa_status save_state(trainer *t, const char *path, int64_t step) {
    train_state_rng rngs[2] = {{"data", &t->data_rng}, {"reset", &t->reset_rng}};
    return train_state_save(path, &t->ps, &t->opt, NULL, rngs, 2, step);
}

mosa_status motion_train_vqvae(const motion_vqvae_train_opts *o) {
    MOSA_TRY(check_opts(o));
    /* the run directory: create it, and fix or check its options */
    char path[4096], state_path[4096], desc[2048];
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST)
        return mosa_fail(MOSA_ERR_IO, "cannot create the run directory %s: %s (does its parent exist and is it "
                         "writable?)", o->out_dir, strerror(errno));
    snprintf(state_path, sizeof state_path, "%s/state.safetensors", o->out_dir);
    snprintf(path, sizeof path, "%s/run.txt", o->out_dir);
    run_description(o, desc, sizeof desc);
    if (o->resume) {
        uint8_t *old = NULL;
        size_t n = 0;
        if (access(state_path, R_OK) != 0)
            return mosa_fail(MOSA_ERR_IO, "cannot resume: %s has no state.safetensors (start the run without "
                             "--resume)", o->out_dir);
        MOSA_TRY(file_read_all(path, 1 << 20, &old, &n));
        int same = n == strlen(desc) && !memcmp(old, desc, n);
        mosa_free(old);
        if (!same)
            return mosa_fail(MOSA_ERR_MISMATCH, "cannot resume %s: its options (run.txt) differ from these; resume "
                             "with the same options, or start a new run directory", o->out_dir);
    } else {
        if (access(state_path, F_OK) == 0)
            return mosa_fail(MOSA_ERR_ARG, "%s already holds a run (state.safetensors); add --resume to continue it "
                             "or choose another --out", o->out_dir);
        mosa_status s = file_write_atomic(path, desc, strlen(desc));
        if (s != MOSA_OK) return mosa_fail_context(s, "the run directory %s is not writable", o->out_dir);
    }

    trainer t;
    memset(&t, 0, sizeof t);
    params_init(&t.ps);
    mosa_status s = load_data(&t, o);
    mosa_rng init_rng;
    rng_seed(&init_rng, o->seed);
    if (s == MOSA_OK) s = vqvae_create(&t.m, &t.ps, "", &o->cfg, &init_rng);
    if (s == MOSA_OK) s = params_finalize(&t.ps);
    adamw_cfg acfg = adamw_defaults(o->lr);
    acfg.beta2 = 0.99f;
    acfg.weight_decay = 0.0f;
    if (s == MOSA_OK) s = adamw_init(&t.opt, &t.ps, acfg);
    rng_seed(&t.data_rng, o->seed * 1000003ull + 17);
    rng_seed(&t.reset_rng, o->seed * 1000003ull + 29);
    ctx_init(&t.c, (size_t)1 << 26);
    rng_seed(&t.c.rng, o->seed);
    t.batch = mosa_malloc(sizeof(float) * (size_t)o->batch * o->window * MOTION_FEAT);
    if (s == MOSA_OK && !t.batch) s = MOSA_ERR_NOMEM;
    int64_t step = 0;
    if (s == MOSA_OK && o->resume) {
        train_state_rng rngs[2] = {{"data", &t.data_rng}, {"reset", &t.reset_rng}};
        s = train_state_load(state_path, &t.ps, &t.opt, NULL, rngs, 2, &step);
        if (s == MOSA_OK && (step < 0 || step > o->steps))
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: the state is at step %lld, outside 0..%lld", state_path,
                          (long long)step, (long long)o->steps);
        if (s == MOSA_OK) {
            char msg[256];
            snprintf(msg, sizeof msg, "resuming %s at step %lld", o->out_dir, (long long)step);
            message(o, msg);
        }
    }
    char train_log[4096], eval_log[4096];
    snprintf(train_log, sizeof train_log, "%s/train.tsv", o->out_dir);
    snprintf(eval_log, sizeof eval_log, "%s/eval.tsv", o->out_dir);
    if (s == MOSA_OK && o->resume) s = train_log_truncate(train_log, step);
    if (s == MOSA_OK && o->resume) s = train_log_truncate(eval_log, step);
    FILE *ft = NULL, *fe = NULL;
    if (s == MOSA_OK) {
        ft = train_log_open(train_log, "step\tloss\trecon\tvel\tcommit\tperplexity\tused_codes\tlr\tseconds\n", o->resume);
        fe = train_log_open(eval_log, "step\tmpjpe_mm\tmpjpe_global_mm\trecon\tperplexity\tused_codes\n", o->resume);
        if (!ft || !fe) s = mosa_fail(MOSA_ERR_IO, "cannot write the logs in %s: %s", o->out_dir, strerror(errno));
    }

    const double t0 = time_now();
    const int64_t start = step;
    const int64_t end = o->stop_after > 0 && o->stop_after < o->steps ? o->stop_after : o->steps;
    const int eval_every = o->eval_every, ckpt_every = o->ckpt_every;
    while (s == MOSA_OK && step < end) {
        ctx *c = &t.c;
        fill_batch(&t, o);
        tensor *x = t_wrap(c, t.batch, T_SHAPE(o->batch, o->window, MOTION_FEAT));
        vqvae_loss_stats ls;
        tensor *loss = vqvae_train_forward(c, t.m, x, o->vel_weight, o->beta, &ls);
        if (!loss) {
            s = c->status != MOSA_OK ? c->status : MOSA_ERR_INTERNAL;
            break;
        }
        const float lv = loss->data[0];
        if (!isfinite(lv)) {
            s = mosa_fail(MOSA_ERR_ARG, "training diverged at step %lld (loss %g); resume from the last checkpoint "
                          "with a lower learning rate", (long long)step, (double)lv);
            break;
        }
        s = ctx_backward(c, loss);
        if (s != MOSA_OK) break;
        if (o->clip > 0) grad_clip_global_norm(&t.ps, o->clip);
        const float lr = lr_warmup_cosine(step, o->warmup, o->steps, o->lr, o->lr_min);
        adamw_step(&t.opt, &t.ps, lr);
        params_zero_grad(&t.ps);
        vqvae_ema_update(t.m, &t.reset_rng);
        ctx_reset(c);
        step++;

        const double sec = time_now() - t0;
        fprintf(ft, "%lld\t%.9g\t%.9g\t%.9g\t%.9g\t%.6g\t%d\t%.6g\t%.1f\n", (long long)step, (double)lv,
                (double)ls.recon, (double)ls.vel, (double)ls.commit, (double)ls.perplexity, ls.used_codes,
                (double)lr, sec);
        motion_vqvae_report r;
        memset(&r, 0, sizeof r);
        r.kind = VQ_REPORT_STEP;
        r.step = step, r.steps = o->steps;
        r.loss = lv, r.recon = ls.recon, r.vel = ls.vel, r.commit = ls.commit, r.perplexity = ls.perplexity;
        r.used_codes = ls.used_codes, r.lr = lr, r.seconds = sec;
        r.steps_per_s = sec > 0 ? (double)(step - start) / sec : 0;
        report(o, &r);

        if ((eval_every > 0 && step % eval_every == 0) || step == o->steps) {
            fflush(ft);
            s = motion_vqvae_evaluate(t.m, &t.test, t.mean, t.std, o->eval_items, &r.eval);
            if (s != MOSA_OK) break;
            fprintf(fe, "%lld\t%.4f\t%.4f\t%.6g\t%.4f\t%d\n", (long long)step, (double)r.eval.mpjpe_mm,
                    (double)r.eval.mpjpe_global_mm, (double)r.eval.recon, (double)r.eval.perplexity,
                    r.eval.used_codes);
            fflush(fe);
            r.kind = VQ_REPORT_EVAL;
            report(o, &r);
        }
        if ((ckpt_every > 0 && step % ckpt_every == 0) || step == end) {
            fflush(ft);
            s = save_state(&t, state_path, step);
            if (s != MOSA_OK) break;
            r.kind = VQ_REPORT_CHECKPOINT;
            r.message = state_path;
            report(o, &r);
        }
    }
    if (ft) fclose(ft);
    if (fe) fclose(fe);
    if (s == MOSA_OK && step == o->steps) {
        char steps_s[32], data_s[64];
        snprintf(steps_s, sizeof steps_s, "%lld", (long long)o->steps);
        snprintf(data_s, sizeof data_s, "%s", o->humanml3d ? "humanml3d" : "procedural");
        st_meta meta[2] = {{"train.steps", steps_s}, {"train.data", data_s}};
        snprintf(path, sizeof path, "%s/vqvae.safetensors", o->out_dir);
        s = vqvae_export(t.m, path, t.mean, t.std, 2, meta);
        if (s == MOSA_OK && o->export_path) s = vqvae_export(t.m, o->export_path, t.mean, t.std, 2, meta);
    }
    trainer_free(&t);
    return s;
}
