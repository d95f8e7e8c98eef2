/* train_eval.c: training loop of the motion-text evaluator (see train_eval.h). */
#include "train_eval.h"

#include "../motion/library.h"
#include "../tensor/optim.h"
#include "../tensor/train_state.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

meval_train_options meval_train_options_default(void) {
    meval_train_options o;
    memset(&o, 0, sizeof o);
    o.steps = 3000;
    o.batch = 64;
    o.seed = 1;
    o.corpus_size = 3000;
    o.test_size = 512;
    o.lr = 1e-3f;
    o.warmup = 100;
    o.cls_weight = 1.0f;
    o.eval_every = 250;
    o.ckpt_every = 250;
    o.width = 128;
    o.dim = 128;
    o.text_width = 128;
    o.text_layers = 2;
    return o;
}

static void tr__log(const meval_train_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr__log(const meval_train_options *o, const char *fmt, ...) {
    if (!o->log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    o->log(o->log_user, line);
}

/* ---- run.cfg: the options that define a run ---- */

static mosa_status tr__write_cfg(const char *path, const meval_train_options *o) {
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "steps=%d\nbatch=%d\nseed=%llu\ncorpus_size=%d\ntest_size=%d\nlr=%.9g\nwarmup=%d\ncls_weight=%.9g\n"
                     "width=%d\ndim=%d\ntext_width=%d\ntext_layers=%d\n",
                     o->steps, o->batch, (unsigned long long)o->seed, o->corpus_size, o->test_size, (double)o->lr,
                     o->warmup, (double)o->cls_weight, o->width, o->dim, o->text_width, o->text_layers);
    return file_write_atomic(path, buf, (size_t)n);
}

static mosa_status tr__read_cfg(const char *path, meval_train_options *o) {
    uint8_t *data = NULL;
    size_t len = 0;
    mosa_status s = file_read_all(path, 1 << 16, &data, &len);
    if (s != MOSA_OK) return mosa_fail_context(s, "cannot resume: no run configuration");
    char *txt = mosa_malloc(len + 1);
    if (!txt) {
        mosa_free(data);
        return MOSA_ERR_NOMEM;
    }
    memcpy(txt, data, len);
    txt[len] = 0;
    mosa_free(data);
    char *save = NULL;
    for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        const char *k = line, *v = eq + 1;
        if (!strcmp(k, "steps")) o->steps = atoi(v);
        else if (!strcmp(k, "batch")) o->batch = atoi(v);
        else if (!strcmp(k, "seed")) o->seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "corpus_size")) o->corpus_size = atoi(v);
        else if (!strcmp(k, "test_size")) o->test_size = atoi(v);
        else if (!strcmp(k, "lr")) o->lr = strtof(v, NULL);
        else if (!strcmp(k, "warmup")) o->warmup = atoi(v);
        else if (!strcmp(k, "cls_weight")) o->cls_weight = strtof(v, NULL);
        else if (!strcmp(k, "width")) o->width = atoi(v);
        else if (!strcmp(k, "dim")) o->dim = atoi(v);
        else if (!strcmp(k, "text_width")) o->text_width = atoi(v);
        else if (!strcmp(k, "text_layers")) o->text_layers = atoi(v);
    }
    mosa_free(txt);
    return MOSA_OK;
}

/* ---- held-out numbers ---- */

mosa_status meval_heldout(const meval_model *m, const motion_corpus *test, meval_train_result *res) {
    const int n = test->n, D = m->cfg.dim, A = m->cfg.n_actions;
    if (n < 2) return mosa_fail(MOSA_ERR_ARG, "held-out evaluation needs at least 2 test items");
    const float **f = mosa_malloc(sizeof *f * (size_t)n);
    int *lens = mosa_malloc(sizeof(int) * (size_t)n);
    const char **caps = mosa_malloc(sizeof *caps * (size_t)n);
    float *me = mosa_malloc(sizeof(float) * (size_t)n * D), *te = mosa_malloc(sizeof(float) * (size_t)n * D);
    float *lg = mosa_malloc(sizeof(float) * (size_t)n * A);
    int *pred = mosa_malloc(sizeof(int) * (size_t)n);
    mosa_status s = MOSA_OK;
    if (!f || !lens || !caps || !me || !te || !lg || !pred) s = MOSA_ERR_NOMEM;
    if (s == MOSA_OK) {
        for (int i = 0; i < n; i++) {
            f[i] = test->items[i].feat;
            lens[i] = test->items[i].T;
            caps[i] = test->items[i].caption[0];
        }
        s = meval_embed_motions(m, f, lens, n, me, lg);
    }
    if (s == MOSA_OK) s = meval_embed_texts(m, caps, n, te, NULL, NULL);
    if (s == MOSA_OK) {
        meval_r_precision(me, te, n, D, res->top, &res->mm_dist);
        meval_argmax(pred, lg, n, A);
        int ok = 0, cnt = 0;
        for (int i = 0; i < n; i++)
            if (test->items[i].action >= 0) {
                cnt++;
                ok += pred[i] == test->items[i].action;
            }
        res->cls_acc = cnt ? (double)ok / cnt : 0;
        res->fid_halves = n >= 4 ? meval_fid(me, n / 2, me + (size_t)(n / 2) * D, n - n / 2, D) : 0;
    }
    mosa_free(f);
    mosa_free(lens);
    mosa_free(caps);
    mosa_free(me);
    mosa_free(te);
    mosa_free(lg);
    mosa_free(pred);
    return s;
}

/* ---- training ---- */

static mosa_status tr__mkdir(const char *dir) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return mosa_fail(MOSA_ERR_IO, "cannot create the run directory %s: %s", dir, strerror(errno));
    return MOSA_OK;
}

static mosa_status tr__checkpoint(const char *dir, const meval_model *m, const adamw *opt, train_state_rng *rngs,
                                  int64_t step) {
    char path[4096];
    snprintf(path, sizeof path, "%s/state.safetensors", dir);
    MOSA_TRY(train_state_save(path, &m->ps, opt, NULL, rngs, 2, step));
    snprintf(path, sizeof path, "%s/evaluator.safetensors", dir);
    return meval_save(m, path);
}

mosa_status meval_train(const meval_train_options *opts, meval_train_result *res) {
    memset(res, 0, sizeof *res);
    if (!opts || !opts->out_dir) return mosa_fail(MOSA_ERR_ARG, "meval_train: no run directory");
    meval_train_options o = *opts;
    char path[4096];
    snprintf(path, sizeof path, "%s/run.cfg", o.out_dir);
    if (o.resume) {
        meval_train_options f = o;
        MOSA_TRY(tr__read_cfg(path, &f));
        if (o.steps > 0) f.steps = o.steps;
        o = f;
    }
    if (o.steps < 1 || o.batch < 2 || o.batch > 4096 || o.corpus_size < o.batch || o.test_size < 2 || !(o.lr > 0) ||
        o.warmup < 0 || o.cls_weight < 0)
        return mosa_fail(MOSA_ERR_ARG,
                         "evaluator training options out of range (steps %d, batch %d, corpus %d, test %d): batch >= 2, "
                         "corpus-size >= batch",
                         o.steps, o.batch, o.corpus_size, o.test_size);
    const int stop = o.stop_after > 0 && o.stop_after < o.steps ? o.stop_after : o.steps;
    MOSA_TRY(tr__mkdir(o.out_dir));
    if (!o.resume) MOSA_TRY(tr__write_cfg(path, &o));

    motion_corpus train = {0}, test = {0};
    meval_model m;
    memset(&m, 0, sizeof m);
    adamw opt;
    memset(&opt, 0, sizeof opt);
    ctx c;
    ctx_init(&c, 64u << 20);
    const char **texts = NULL;
    int32_t *ids = NULL, *bids = NULL, *btg = NULL, *bl = NULL, *idx = NULL;
    float *x = NULL;
    mosa_status s;

    double t0 = time_now();
    motion_corpus_options co = motion_corpus_options_default(o.corpus_size, o.seed, MOTION_SPLIT_TRAIN);
    if ((s = motion_corpus_procedural(&train, &co)) != MOSA_OK) goto done;
    co = motion_corpus_options_default(o.test_size, o.seed + 1, MOTION_SPLIT_TEST);
    if ((s = motion_corpus_procedural(&test, &co)) != MOSA_OK) goto done;
    if (train.n < o.batch) {
        s = mosa_fail(MOSA_ERR_ARG, "the corpus has %d items, fewer than a batch (%d)", train.n, o.batch);
        goto done;
    }
    tr__log(&o, "corpus: %d train, %d test items (%.1f s)", train.n, test.n, time_now() - t0);

    float mean[MOTION_FEAT], std[MOTION_FEAT];
    if ((s = motion_corpus_mean_std(&train, mean, std)) != MOSA_OK) goto done;
    int ntext = 0;
    texts = mosa_malloc(sizeof *texts * (size_t)train.n * MOTION_CORPUS_CAPTIONS);
    if (!texts) {
        s = MOSA_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < train.n; i++)
        for (int k = 0; k < train.items[i].ncap; k++) texts[ntext++] = train.items[i].caption[k];
    text_vocab *vocab = NULL;
    if ((s = text_vocab_build(&vocab, texts, ntext, 1, 0)) != MOSA_OK) goto done;
    meval_config cfg = meval_config_default(text_vocab_size(vocab));
    cfg.width = o.width;
    cfg.dim = o.dim;
    cfg.text.width = o.text_width;
    cfg.text.layers = o.text_layers;
    if ((s = meval_init(&m, &cfg, vocab, mean, std, o.seed)) != MOSA_OK) goto done;
    tr__log(&o, "evaluator: %zu parameters, vocabulary %d words", params_count(&m.ps, 1), text_vocab_size(vocab));

    const int Lm = cfg.text.max_len, B = o.batch, F = MOTION_FEAT, maxT = cfg.max_frames;
    ids = mosa_malloc(sizeof(int32_t) * (size_t)train.n * MOTION_CORPUS_CAPTIONS * Lm);
    bids = mosa_malloc(sizeof(int32_t) * (size_t)B * Lm);
    btg = mosa_malloc(sizeof(int32_t) * (size_t)B);
    bl = mosa_malloc(sizeof(int32_t) * (size_t)B);
    idx = mosa_malloc(sizeof(int32_t) * (size_t)B);
    x = mosa_malloc(sizeof(float) * (size_t)B * (maxT + 4) * F);
    if (!ids || !bids || !btg || !bl || !idx || !x) {
        s = MOSA_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < train.n; i++)
        for (int k = 0; k < train.items[i].ncap; k++)
            if (text_tokenize(m.vocab, train.items[i].caption[k], ids + ((size_t)i * MOTION_CORPUS_CAPTIONS + k) * Lm,
                              Lm, NULL, NULL) < 0) {
                s = mosa_fail_context(MOSA_ERR_ARG, "train caption %d", i);
                goto done;
            }

    adamw_cfg ac = adamw_defaults(o.lr);
    ac.weight_decay = 0.01f;
    if ((s = adamw_init(&opt, &m.ps, ac)) != MOSA_OK) goto done;
    mosa_rng drng;
    rng_seed(&drng, o.seed ^ 0xD1B54A32D192ED03ull);
    rng_seed(&c.rng, o.seed + 7);
    train_state_rng rngs[2] = {{"data", &drng}, {"dropout", &c.rng}};
    snprintf(path, sizeof path, "%s/state.safetensors", o.out_dir);
    if (o.resume) {
        int64_t pos = 0;
        if ((s = train_state_load(path, &m.ps, &opt, NULL, rngs, 2, &pos)) != MOSA_OK) goto done;
        tr__log(&o, "resumed from %s at step %lld", path, (long long)opt.step);
    }

    const float *mu = m.feat_mean->data, *sd = m.feat_std->data;
    double win_loss = 0, win_nce = 0, win_ce = 0, tw = time_now();
    int win = 0, first_logged = 0;
    const int log_every = o.steps >= 500 ? 50 : 10;
    for (int64_t step = opt.step; step < stop; step++) {
        /* the batch: B distinct items, one caption each */
        int L = 4;
        for (int b = 0; b < B; b++) {
            int k, dup;
            do {
                k = (int)rng_below(&drng, (uint32_t)train.n);
                dup = 0;
                for (int j = 0; j < b; j++) dup |= idx[j] == k;
            } while (dup);
            idx[b] = k;
            const motion_item *it = &train.items[k];
            int ci = it->ncap > 1 ? (int)rng_below(&drng, (uint32_t)it->ncap) : 0;
            memcpy(bids + (size_t)b * Lm, ids + ((size_t)k * MOTION_CORPUS_CAPTIONS + ci) * Lm, sizeof(int32_t) * Lm);
            bl[b] = it->T < maxT ? it->T : maxT;
            if (bl[b] > L) L = bl[b];
            btg[b] = it->action >= 0 && it->action < cfg.n_actions ? it->action : -1;
        }
        memset(x, 0, sizeof(float) * (size_t)B * L * F);
        int ncls = 0;
        for (int b = 0; b < B; b++) {
            const motion_item *it = &train.items[idx[b]];
            for (int t = 0; t < bl[b]; t++) {
                const float *src = it->feat + (size_t)t * F;
                float *dst = x + ((size_t)b * L + t) * F;
                for (int k = 0; k < F; k++) dst[k] = sd[k] > 0 ? (src[k] - mu[k]) / sd[k] : 0.0f;
            }
            ncls += btg[b] >= 0;
        }
        tensor *logits = NULL;
        tensor *me = meval_motion_forward(&c, &m, x, bl, B, L, &logits);
        tensor *te = meval_text_forward(&c, &m, bids, B);
        tensor *nce = meval_infonce(&c, me, te, cfg.temperature);
        tensor *ce = ncls ? op_cross_entropy(&c, logits, btg, -1) : NULL;
        tensor *loss = ce ? op_add(&c, nce, op_scale(&c, ce, o.cls_weight)) : nce;
        if (!loss || (s = ctx_backward(&c, loss)) != MOSA_OK) {
            if (s == MOSA_OK) s = c.status != MOSA_OK ? c.status : MOSA_ERR_INTERNAL;
            mosa_fail_context(s, "evaluator training step %lld", (long long)step);
            goto done;
        }
        const float lv = loss->data[0];
        if (!isfinite(lv)) {
            s = mosa_fail(MOSA_ERR_INTERNAL, "evaluator training diverged at step %lld (loss %g); lower --lr",
                          (long long)step, (double)lv);
            goto done;
        }
        win_loss += lv;
        win_nce += nce->data[0];
        win_ce += ce ? ce->data[0] : 0;
        win++;
        grad_clip_global_norm(&m.ps, 1.0f);
        adamw_step(&opt, &m.ps, lr_warmup_cosine(step, o.warmup, o.steps, o.lr, o.lr * 0.05f));
        params_zero_grad(&m.ps);
        ctx_reset(&c);
        const int64_t done_steps = step + 1;
        if (done_steps % log_every == 0 || done_steps == stop) {
            double now = time_now();
            if (!first_logged) {
                res->first_loss = (float)(win_loss / win);
                first_logged = 1;
            }
            res->last_loss = (float)(win_loss / win);
            tr__log(&o, "step %lld/%d loss %.4f (infonce %.4f, ce %.4f) %.2f s/step", (long long)done_steps, o.steps,
                    win_loss / win, win_nce / win, win_ce / win, (now - tw) / win);
            win_loss = win_nce = win_ce = 0;
            win = 0;
            tw = now;
        }
        if (o.eval_every > 0 && done_steps % o.eval_every == 0 && done_steps != stop) {
            meval_train_result h;
            memset(&h, 0, sizeof h);
            if ((s = meval_heldout(&m, &test, &h)) != MOSA_OK) goto done;
            tr__log(&o, "held-out @%lld: R-precision %.3f %.3f %.3f  MM-Dist %.3f  classifier %.3f  FID(halves) %.4f",
                    (long long)done_steps, h.top[0], h.top[1], h.top[2], h.mm_dist, h.cls_acc, h.fid_halves);
        }
        if (o.ckpt_every > 0 && done_steps % o.ckpt_every == 0 && done_steps != stop)
            if ((s = tr__checkpoint(o.out_dir, &m, &opt, rngs, done_steps)) != MOSA_OK) goto done;
    }
    res->steps = opt.step;
    if ((s = tr__checkpoint(o.out_dir, &m, &opt, rngs, opt.step)) != MOSA_OK) goto done;
    if ((s = meval_heldout(&m, &test, res)) != MOSA_OK) goto done;
    res->steps = opt.step;
    tr__log(&o, "held-out @%lld: R-precision %.3f %.3f %.3f  MM-Dist %.3f  classifier %.3f  FID(halves) %.4f",
            (long long)opt.step, res->top[0], res->top[1], res->top[2], res->mm_dist, res->cls_acc, res->fid_halves);
done:
    mosa_free(texts);
    mosa_free(ids);
    mosa_free(bids);
    mosa_free(btg);
    mosa_free(bl);
    mosa_free(idx);
    mosa_free(x);
    adamw_free(&opt);
    meval_free(&m);
    ctx_free(&c);
    motion_corpus_free(&train);
    motion_corpus_free(&test);
    return s;
}
