/* train_t2v.c: training the base text-to-video model; the recipe is in train_t2v.h.
 * Not here: the model and generation (t2v.c), the dataset format (data/dataset.c). */
#include "train_t2v.h"

#include "../data/dataset.h"
#include "../io/video.h"
#include "../tensor/optim.h"
#include "../tensor/train_state.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_FORMAT "t2v_latents/1"
#define EVAL_BATCH 8
#define MAX_BATCH 1024
#define MAX_CLIP_FRAMES 100000

/* One set of clips: latents and caption ids. */
typedef struct clip_set {
    int n;
    float *lat;    /* (n, C, F, h, w) */
    int32_t *ids;  /* (n, max_len) */
    int *len;      /* (n) non-PAD ids */
} clip_set;

struct t2v_trainer {
    t2v_train_options o;
    t2v_model *m;
    adamw opt;
    int opt_ok;
    ema e;
    int ema_ok;
    mosa_rng data, noise;
    ctx c;
    clip_set train, val;
    int C, F, h, w;
    int64_t nlat;         /* floats of one clip's latent */
    float last_loss;
    /* batch scratch */
    float *x, *tgt, *eps, *tv, *out;
    int32_t *rows, *bids;
    uint8_t *mask;
};

t2v_train_options t2v_train_options_default(void) {
    t2v_train_options o;
    memset(&o, 0, sizeof o);
    o.val_clips = 32;
    o.seed = 1;
    o.steps = 12000;
    o.batch = 8;
    o.lr = 2e-4f;
    o.lr_min = 1e-5f;
    o.warmup = 500;
    o.weight_decay = 0.01f;
    o.grad_clip = 1.0f;
    o.cond_drop = 0.1f;
    o.ema_decay = 0.999f;
    o.pred = DIFF_PRED_EPS;
    o.zero_snr = 0;
    const dit_config d = dit_config_default();
    o.dit_width = d.width, o.dit_layers = d.layers, o.dit_heads = d.heads, o.dit_patch = d.patch;
    o.text_width = 128, o.text_layers = 2, o.max_len = 64;
    o.buckets = 10;
    o.latent_norm = 1;
    return o;
}

void t2v_train_options_format(const t2v_train_options *o, char *buf, size_t cap) {
    snprintf(buf, cap,
             "data=%s val=%s vae=%s size=%dx%dx%d@%d max_clips=%d val_clips=%d seed=%llu steps=%d batch=%d lr=%g "
             "lr_min=%g warmup=%d wd=%g clip=%g cond_drop=%g ema=%g pred=%s zero_snr=%d dit=%dx%dx%d/p%d text=%dx%d/%d "
             "buckets=%d latent_norm=%d",
             o->data ? o->data : "(none)", o->val_data ? o->val_data : "(none)", o->vae_path ? o->vae_path : "(none)",
             o->W, o->H, o->frames, o->fps, o->max_clips, o->val_clips, (unsigned long long)o->seed, o->steps, o->batch,
             (double)o->lr, (double)o->lr_min, o->warmup, (double)o->weight_decay, (double)o->grad_clip,
             (double)o->cond_drop, (double)o->ema_decay, diff_pred_name(o->pred), o->zero_snr, o->dit_width,
             o->dit_layers, o->dit_heads, o->dit_patch, o->text_width, o->text_layers, o->max_len, o->buckets, o->latent_norm);
}

static void say(void (*log)(void *, const char *), void *user, const char *fmt, ...) {
    if (!log) return;
    char b[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    log(user, b);
}

static void set_free(clip_set *s) {
    mosa_free(s->lat);
    mosa_free(s->ids);
    mosa_free(s->len);
    memset(s, 0, sizeof *s);
}

void t2v_trainer_free(t2v_trainer *t) {
    if (!t) return;
    if (t->opt_ok) adamw_free(&t->opt);
    if (t->ema_ok) ema_free(&t->e);
    t2v_free(t->m);
    set_free(&t->train);
    set_free(&t->val);
    ctx_free(&t->c);
    mosa_free(t->x), mosa_free(t->tgt), mosa_free(t->eps), mosa_free(t->tv), mosa_free(t->out);
    mosa_free(t->rows), mosa_free(t->bids), mosa_free(t->mask);
    mosa_free(t);
}

/* ------------------------------------------------------------------------------------------ */
/* Latents: encoding clips once, the cache file                                                */
/* ------------------------------------------------------------------------------------------ */

/* FNV-1a 64 of a file's bytes (identifies the VAE a cache was made with). */
static mosa_status file_hash(const char *path, char *hex, size_t cap) {
    uint8_t *b = NULL;
    size_t n = 0;
    MOSA_TRY(file_read_all(path, (size_t)4 << 30, &b, &n));
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    mosa_free(b);
    snprintf(hex, cap, "%016llx", (unsigned long long)h);
    return MOSA_OK;
}

/* Bilinear sample of an RGB8 frame at pixel coordinates (centres on integers; edges clamp) into
 * 3 floats in [-1, 1]. */
static void sample_px(float *o, const image *im, float x, float y) {
    x = x < 0 ? 0 : (x > (float)(im->w - 1) ? (float)(im->w - 1) : x);
    y = y < 0 ? 0 : (y > (float)(im->h - 1) ? (float)(im->h - 1) : y);
    const int x0 = (int)x, y0 = (int)y, x1 = x0 + 1 < im->w ? x0 + 1 : x0, y1 = y0 + 1 < im->h ? y0 + 1 : y0;
    const float fx = x - (float)x0, fy = y - (float)y0;
    for (int c = 0; c < 3; c++) {
        const float a = image_px(im, x0, y0)[c], b = image_px(im, x1, y0)[c], d = image_px(im, x0, y1)[c],
                    e = image_px(im, x1, y1)[c];
        const float v = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
        o[c] = v / 127.5f - 1.0f;
    }
}

/* video (T,H,W,3) in [-1,1] from the first T frames of a clip's video.mp4. */
static mosa_status read_clip(const char *root, const char *id, int T, int H, int W, float *video) {
    char path[4096];
    snprintf(path, sizeof path, "%s/clips/%s/video.mp4", root, id);
    image *fr = NULL;
    int n = 0;
    MOSA_TRY(video_read_all(path, T, &fr, &n, NULL));
    if (n < T) {
        video_frames_free(fr, n);
        return mosa_fail(MOSA_ERR_FORMAT, "%s: %d frames, fewer than the %d trained on", path, n, T);
    }
    for (int t = 0; t < T; t++) {
        const image *im = &fr[t];
        float *dst = video + (size_t)t * H * W * 3;
        if (im->w == W && im->h == H) {
            for (size_t i = 0; i < (size_t)H * W * 3; i++) dst[i] = (float)im->rgb[i] / 127.5f - 1.0f;
        } else {
            const float kx = (float)im->w / (float)W, ky = (float)im->h / (float)H;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    sample_px(dst + ((size_t)y * W + x) * 3, im, ((float)x + 0.5f) * kx - 0.5f, ((float)y + 0.5f) * ky - 0.5f);
        }
    }
    video_frames_free(fr, n);
    return MOSA_OK;
}

/* The cache's metadata line for this VAE, size and list of clips. */
static char *cache_key(const char *vae_hash, const t2v_config *cfg, const dataset *d, const int *use, int n) {
    size_t cap = 512 + (size_t)n * 66;
    char *k = mosa_malloc(cap);
    if (!k) return NULL;
    char vc[512];
    vae_config_format(&cfg->vae, vc, sizeof vc);
    size_t u = (size_t)snprintf(k, cap, "vae_hash=%s vae=[%s] size=%dx%dx%d clips=", vae_hash, vc, cfg->W, cfg->H,
                                cfg->frames);
    for (int i = 0; i < n && u < cap; i++) u += (size_t)snprintf(k + u, cap - u, "%s%s", i ? "," : "", d->clips[use[i]].id);
    return k;
}

/* Loads the latents of `path` if its key matches; returns how many clips it holds (all of them,
 * or the first ones of an interrupted encoding), 0 when absent or stale (the reason is logged). */
static int cache_load(const char *path, const char *key, float *lat, int64_t total, int n,
                      void (*log)(void *, const char *), void *user) {
    if (!path || access(path, F_OK) != 0) return 0;
    st_file f;
    if (st_open(&f, path) != MOSA_OK) {
        say(log, user, "latents cache %s cannot be read (%s): encoding again", path, mosa_last_error());
        return 0;
    }
    const char *fmt = st_meta_get(&f, "mosa.format"), *k = st_meta_get(&f, "t2v_latents.key"),
               *dn = st_meta_get(&f, "t2v_latents.done");
    const st_tensor *tl = st_find(&f, "latents");
    const int done = dn ? atoi(dn) : -1;
    int ok = fmt && !strcmp(fmt, CACHE_FORMAT) && k && !strcmp(k, key) && tl && (int64_t)tl->nelements == total &&
             done >= 0 && done <= n;
    if (ok) ok = st_read_f32(tl, lat) == MOSA_OK;
    st_close(&f);
    if (!ok) say(log, user, "latents cache %s is for another VAE, size or clip list: encoding again", path);
    return ok ? done : 0;
}

/* Writes the cache with its first `done` clips encoded. */
static mosa_status cache_write(const char *path, const char *key, const t2v_trainer *t, const float *lat, int n,
                               int done) {
    tensor tl;
    memset(&tl, 0, sizeof tl);
    tl.nd = 5;
    tl.shape[0] = n, tl.shape[1] = t->C, tl.shape[2] = t->F, tl.shape[3] = t->h, tl.shape[4] = t->w;
    t_set_contiguous_strides(&tl);
    tl.data = (float *)lat;
    char dn[32];
    snprintf(dn, sizeof dn, "%d", done);
    const char *names[1] = {"latents"};
    const tensor *ts[1] = {&tl};
    st_meta meta[3] = {{"mosa.format", CACHE_FORMAT}, {"t2v_latents.key", key}, {"t2v_latents.done", dn}};
    mosa_status s = st_write(path, 1, names, ts, ST_F32, 3, meta);
    return s == MOSA_OK ? s : mosa_fail_context(s, "latents cache");
}

/* Encodes the chosen clips of d (use[0..n)) into set->lat (or loads them from the cache). */
static mosa_status encode_set(t2v_trainer *t, const dataset *d, const int *use, int n, const char *cache,
                              const char *vae_hash, clip_set *set, const char *what, void (*log)(void *, const char *),
                              void *user) {
    const t2v_config *cfg = t2v_get_config(t->m);
    const int64_t total = t->nlat * n;
    set->lat = mosa_malloc(sizeof(float) * (size_t)total);
    if (!set->lat) return mosa_fail(MOSA_ERR_NOMEM, "t2v training: out of memory for %d clips' latents", n);
    char *key = cache_key(vae_hash, cfg, d, use, n);
    if (!key) return MOSA_ERR_NOMEM;
    memset(set->lat, 0, sizeof(float) * (size_t)total);
    const int have = cache_load(cache, key, set->lat, total, n, log, user);
    if (have == n) {
        say(log, user, "%s: %d clips' latents loaded from %s", what, n, cache);
        mosa_free(key);
        return MOSA_OK;
    }
    if (have > 0) say(log, user, "%s: %d of %d clips' latents loaded from %s; encoding the rest", what, have, n, cache);
    const size_t px = (size_t)cfg->frames * cfg->H * cfg->W * 3;
    float *video = mosa_malloc(sizeof(float) * px);
    if (!video) { mosa_free(key); return MOSA_ERR_NOMEM; }
    mosa_status s = MOSA_OK;
    const double t0 = time_now();
    for (int i = have; i < n && s == MOSA_OK; i++) {
        const dataset_clip *c = &d->clips[use[i]];
        if ((s = read_clip(d->root, c->id, cfg->frames, cfg->H, cfg->W, video)) != MOSA_OK) break;
        s = vae_encode_video(t2v_vae(t->m), video, cfg->frames, cfg->H, cfg->W, 0, NULL, set->lat + (size_t)i * t->nlat);
        if (s != MOSA_OK) s = mosa_fail_context(s, "encoding clip %s", c->id);
        const int done = i + 1;
        if (s == MOSA_OK && (done % 50 == 0 || done == n)) {
            const double el = time_now() - t0, per = el / (done - have);
            say(log, user, "%s: encoded %d/%d clips to latents (%.2f s/clip, %.0f s left)", what, done, n, per,
                per * (n - done));
        }
        /* an interrupted encoding continues from the last partial cache */
        if (s == MOSA_OK && cache && done % 500 == 0 && done < n) s = cache_write(cache, key, t, set->lat, n, done);
    }
    mosa_free(video);
    if (s == MOSA_OK && cache) {
        s = cache_write(cache, key, t, set->lat, n, n);
        if (s == MOSA_OK) say(log, user, "%s: latents cached in %s", what, cache);
    }
    mosa_free(key);
    return s;
}

/* Caption ids of the chosen clips. */
static mosa_status tokenize_set(const t2v_model *m, const dataset *d, const int *use, int n, clip_set *set) {
    const int Lmax = t2v_get_config(m)->text.max_len;
    set->ids = mosa_malloc(sizeof(int32_t) * (size_t)n * Lmax);
    set->len = mosa_malloc(sizeof(int) * (size_t)n);
    if (!set->ids || !set->len) return MOSA_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        set->len[i] = text_tokenize(t2v_vocab(m), d->clips[use[i]].caption, set->ids + (size_t)i * Lmax, Lmax, NULL, NULL);
        if (set->len[i] < 2) return mosa_fail_context(MOSA_ERR_ARG, "caption of clip %s", d->clips[use[i]].id);
    }
    set->n = n;
    return MOSA_OK;
}

/* Per-channel mean and std of the n clips' latents (n, C, plane), in double. */
static void latent_stats(const float *lat, int n, int C, int64_t plane, float *mean, float *std) {
    for (int c = 0; c < C; c++) {
        double s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            const float *x = lat + ((size_t)i * C + c) * (size_t)plane;
            for (int64_t j = 0; j < plane; j++) s1 += x[j];
        }
        const double cnt = (double)n * (double)plane, mu = s1 / cnt;
        for (int i = 0; i < n; i++) {
            const float *x = lat + ((size_t)i * C + c) * (size_t)plane;
            for (int64_t j = 0; j < plane; j++) s2 += (x[j] - mu) * (x[j] - mu);
        }
        const double sd = sqrt(s2 / cnt);
        mean[c] = (float)mu;
        std[c] = (float)(sd > 1e-6 ? sd : 1.0); /* a (nearly) constant channel is only shifted */
    }
}

/* The clips of d long enough for `frames` frames, at most max (0 = all). */
static int pick_clips(const dataset *d, int frames, int max, int *use) {
    int n = 0;
    for (int i = 0; i < d->n && (max <= 0 || n < max); i++)
        if (d->clips[i].frames >= frames) use[n++] = i;
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                       */
/* ------------------------------------------------------------------------------------------ */

mosa_status t2v_trainer_create(t2v_trainer **out, const t2v_train_options *opts, void (*log)(void *, const char *),
                               void *user) {
    *out = NULL;
    const t2v_train_options o = opts ? *opts : t2v_train_options_default();
    if (!o.data || !o.vae_path)
        return mosa_fail(MOSA_ERR_ARG, "t2v training: a dataset directory and a trained VAE file are needed");
    if (o.batch < 1 || o.batch > MAX_BATCH || o.steps < 1 || !(o.lr > 0) || !(o.lr_min >= 0) || o.warmup < 0 ||
        !(o.cond_drop >= 0 && o.cond_drop < 1) || !(o.ema_decay >= 0 && o.ema_decay < 1) || o.buckets < 1 ||
        o.buckets > T2V_MAX_BUCKETS || o.max_clips < 0 || o.val_clips < 0 || o.W < 0 || o.H < 0 || o.frames < 0 ||
        o.fps < 0 || o.max_len < 2 || o.max_len > 512 || (o.pred == DIFF_PRED_EPS && o.zero_snr))
        return mosa_fail(MOSA_ERR_ARG, "t2v training: invalid options (batch 1..%d, steps >= 1, lr > 0, cond_drop and "
                                       "ema_decay in [0,1), buckets 1..%d, max_len 2..512, zero_snr only with pred v)",
                         MAX_BATCH, T2V_MAX_BUCKETS);
    if (o.dit_width < 8 || o.dit_heads < 1 || o.dit_width % o.dit_heads || o.dit_layers < 1 || o.dit_patch < 1 ||
        o.text_width < 8 || o.text_layers < 1 || o.text_width % 4)
        return mosa_fail(MOSA_ERR_ARG, "t2v training: DiT width must be a multiple of its heads and text width a "
                                       "multiple of 4 (the text encoder's heads)");
    t2v_trainer *t = mosa_calloc(1, sizeof *t);
    if (!t) return MOSA_ERR_NOMEM;
    t->o = o;
    ctx_init(&t->c, 32u << 20);
    dataset dtr, dva;
    memset(&dtr, 0, sizeof dtr);
    memset(&dva, 0, sizeof dva);
    int dva_open = 0, dtr_open = 0;
    int *use = NULL, *vuse = NULL;
    const char **texts = NULL;
    text_vocab *vocab = NULL;
    mosa_status s;
    vae_config vc;
    char vhash[32];
    if ((s = vae_file_config(o.vae_path, &vc)) != MOSA_OK || (s = file_hash(o.vae_path, vhash, sizeof vhash)) != MOSA_OK)
        goto fail;
    if ((s = dataset_open(&dtr, o.data, NULL, 0, o.seed)) != MOSA_OK) goto fail;
    dtr_open = 1;
    if (dtr.n_problems) say(log, user, "%s: %d clips skipped (unreadable or incomplete)", o.data, dtr.n_problems);
    /* the training size */
    t2v_config cfg;
    {
        const int tf = vae_temporal_factor(&vc), g = vae_spatial_factor(&vc) * o.dit_patch;
        const int W = o.W ? o.W : dtr.clips[0].width, H = o.H ? o.H : dtr.clips[0].height;
        int F = o.frames ? o.frames : dtr.clips[0].frames;
        if (!o.frames) F = 1 + (F - 1) / tf * tf;
        const int fps = o.fps ? o.fps : (int)lround(dtr.clips[0].fps);
        if (W % g || H % g || W < g || H < g || W > 4096 || H > 4096)
            { s = mosa_fail(MOSA_ERR_ARG, "t2v training: size %dx%d must be multiples of %d (VAE factor x patch), at most 4096", W, H, g); goto fail; }
        if (F < 1 + tf || (F - 1) % tf || F > MAX_CLIP_FRAMES)
            { s = mosa_fail(MOSA_ERR_ARG, "t2v training: %d frames; want 1 + %d*k with k >= 1", F, tf); goto fail; }
        cfg = t2v_config_default(1, &vc);
        cfg.W = W, cfg.H = H, cfg.frames = F, cfg.fps = fps < 1 ? 1 : fps;
    }
    use = mosa_malloc(sizeof(int) * (size_t)dtr.n);
    if (!use) { s = MOSA_ERR_NOMEM; goto fail; }
    const int ntr = pick_clips(&dtr, cfg.frames, o.max_clips, use);
    if (ntr < 1) { s = mosa_fail(MOSA_ERR_ARG, "t2v training: no clip of %s has %d frames", o.data, cfg.frames); goto fail; }
    /* vocabulary from the training captions */
    texts = mosa_malloc(sizeof(char *) * (size_t)ntr);
    if (!texts) { s = MOSA_ERR_NOMEM; goto fail; }
    for (int i = 0; i < ntr; i++) texts[i] = dtr.clips[use[i]].caption;
    if ((s = text_vocab_build(&vocab, texts, ntr, 1, 0)) != MOSA_OK) goto fail;
    /* the model */
    cfg.text = text_encoder_config_default(text_vocab_size(vocab));
    cfg.text.width = o.text_width, cfg.text.layers = o.text_layers, cfg.text.heads = 4, cfg.text.max_len = o.max_len;
    cfg.dit.width = o.dit_width, cfg.dit.layers = o.dit_layers, cfg.dit.heads = o.dit_heads, cfg.dit.patch = o.dit_patch;
    cfg.dit.text_dim = o.text_width;
    cfg.dit.latent_ch = vc.latent_ch;
    cfg.pred = o.pred, cfg.zero_snr = o.zero_snr;
    if ((s = t2v_create(&t->m, &cfg, vocab, o.vae_path, o.seed)) != MOSA_OK) goto fail;
    t->C = vc.latent_ch, t->F = vae_latent_frames(&vc, cfg.frames);
    t->h = cfg.H / vae_spatial_factor(&vc), t->w = cfg.W / vae_spatial_factor(&vc);
    t->nlat = (int64_t)t->C * t->F * t->h * t->w;
    say(log, user, "training data: %d clips of %s at %dx%d, %d frames (latents %dx%dx%dx%d); vocabulary %d words; "
                   "%zu trainable parameters",
        ntr, o.data, cfg.W, cfg.H, cfg.frames, t->C, t->F, t->h, t->w, text_vocab_size(vocab),
        params_count(t2v_params(t->m), 1));
    if ((s = tokenize_set(t->m, &dtr, use, ntr, &t->train)) != MOSA_OK) goto fail;
    if ((s = encode_set(t, &dtr, use, ntr, o.cache_path, vhash, &t->train, "training", log, user)) != MOSA_OK) goto fail;
    const int64_t plane = (int64_t)t->F * t->h * t->w;
    if (o.latent_norm) {
        float mean[VAE_MAX_LATENT], sd[VAE_MAX_LATENT];
        latent_stats(t->train.lat, ntr, t->C, plane, mean, sd);
        if ((s = t2v_set_latent_norm(t->m, mean, sd)) != MOSA_OK) goto fail;
        say(log, user, "latents normalised per channel: std %.3g (channel 0) ... %.3g (channel %d)", (double)sd[0],
            (double)sd[t->C - 1], t->C - 1);
        for (int i = 0; i < ntr; i++) t2v_latents_normalize(t2v_get_config(t->m), t->train.lat + (size_t)i * t->nlat, plane);
    }
    /* held-out */
    if (o.val_data) {
        if ((s = dataset_open(&dva, o.val_data, NULL, 0, o.seed)) != MOSA_OK) goto fail;
        dva_open = 1;
        vuse = mosa_malloc(sizeof(int) * (size_t)dva.n);
        if (!vuse) { s = MOSA_ERR_NOMEM; goto fail; }
        const int nva = pick_clips(&dva, cfg.frames, o.val_clips, vuse);
        if (nva < 1) { s = mosa_fail(MOSA_ERR_ARG, "t2v training: no held-out clip of %s has %d frames", o.val_data, cfg.frames); goto fail; }
        if ((s = tokenize_set(t->m, &dva, vuse, nva, &t->val)) != MOSA_OK) goto fail;
        if ((s = encode_set(t, &dva, vuse, nva, o.val_cache_path, vhash, &t->val, "held-out", log, user)) != MOSA_OK) goto fail;
        for (int i = 0; i < nva; i++) t2v_latents_normalize(t2v_get_config(t->m), t->val.lat + (size_t)i * t->nlat, plane);
    }
    /* optimizer, EMA, RNGs, scratch */
    adamw_cfg ac = adamw_defaults(o.lr);
    ac.weight_decay = o.weight_decay;
    if ((s = adamw_init(&t->opt, t2v_params(t->m), ac)) != MOSA_OK) goto fail;
    t->opt_ok = 1;
    if ((s = ema_init(&t->e, t2v_params(t->m), o.ema_decay)) != MOSA_OK) goto fail;
    t->ema_ok = 1;
    rng_seed(&t->data, o.seed * 7919u + 17u);
    rng_seed(&t->noise, o.seed * 15485863u + 5u);
    rng_seed(&t->c.rng, o.seed * 104729u + 3u);
    {
        const int B = o.batch > EVAL_BATCH ? o.batch : EVAL_BATCH;
        const size_t nb = (size_t)B * (size_t)t->nlat;
        t->x = mosa_malloc(sizeof(float) * nb);
        t->tgt = mosa_malloc(sizeof(float) * nb);
        t->eps = mosa_malloc(sizeof(float) * nb);
        t->out = mosa_malloc(sizeof(float) * nb);
        t->tv = mosa_malloc(sizeof(float) * (size_t)B);
        t->rows = mosa_malloc(sizeof(int32_t) * (size_t)B * o.max_len);
        t->bids = mosa_malloc(sizeof(int32_t) * (size_t)B * o.max_len);
        t->mask = mosa_malloc((size_t)B * o.max_len);
        if (!t->x || !t->tgt || !t->eps || !t->out || !t->tv || !t->rows || !t->bids || !t->mask) { s = MOSA_ERR_NOMEM; goto fail; }
    }
    mosa_free(use), mosa_free(vuse), mosa_free(texts);
    text_vocab_free(vocab);
    dataset_close(&dtr);
    if (dva_open) dataset_close(&dva);
    *out = t;
    return MOSA_OK;
fail:
    mosa_free(use), mosa_free(vuse), mosa_free(texts);
    text_vocab_free(vocab);
    if (dtr_open) dataset_close(&dtr);
    if (dva_open) dataset_close(&dva);
    t2v_trainer_free(t);
    return s;
}

int64_t t2v_trainer_step_count(const t2v_trainer *t) { return t->opt.step; }
t2v_model *t2v_trainer_model(t2v_trainer *t) { return t->m; }
const float *t2v_trainer_ema(const t2v_trainer *t) { return t->e.shadow; }
int t2v_trainer_buckets(const t2v_trainer *t) { return t->o.buckets; }

float t2v_trainer_lr(const t2v_trainer *t) {
    return lr_warmup_cosine(t->opt.step, t->o.warmup, t->o.steps, t->o.lr, t->o.lr_min);
}

void t2v_trainer_sizes(const t2v_trainer *t, int *clips, int *val_clips, int *vocab, long *params) {
    if (clips) *clips = t->train.n;
    if (val_clips) *val_clips = t->val.n;
    if (vocab) *vocab = text_vocab_size(t2v_vocab(t->m));
    if (params) *params = (long)params_count(t2v_params(((t2v_trainer *)t)->m), 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Steps                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Packs rows (B, max_len) into bids (B, L) with L the longest row; returns L. */
static int pack_rows(t2v_trainer *t, int B) {
    const int Lmax = t->o.max_len;
    int L = 2;
    for (int b = 0; b < B; b++)
        for (int i = L; i < Lmax; i++)
            if (t->rows[b * Lmax + i] != TEXT_PAD) L = i + 1;
    for (int b = 0; b < B; b++) memcpy(t->bids + b * L, t->rows + b * Lmax, sizeof(int32_t) * (size_t)L);
    return L;
}

/* DiT output for the batch in t->x / t->bids / t->tv: (B, C, F, h, w). */
static tensor *batch_forward(t2v_trainer *t, int B, int L) {
    ctx *c = &t->c;
    tensor *text = t2v_encode_text(c, t->m, t->bids, B, L, t->mask);
    tensor *x = t_wrap(c, t->x, T_SHAPE(B, t->C, t->F, t->h, t->w));
    return dit_forward(c, t2v_dit(t->m), x, text, t->mask, t->tv);
}

mosa_status t2v_trainer_step(t2v_trainer *t, float *loss) {
    const int B = t->o.batch, Lmax = t->o.max_len, T = t2v_get_config(t->m)->T;
    const diff_schedule *sc = t2v_schedule(t->m);
    const int64_t n = t->nlat;
    for (int b = 0; b < B; b++) {
        const int i = (int)rng_below(&t->data, (uint32_t)t->train.n);
        const int tb = (int)rng_below(&t->data, (uint32_t)T);
        float u;
        rng_uniform(&t->data, &u, 1);
        int32_t *row = t->rows + (size_t)b * Lmax;
        if (u < t->o.cond_drop) { /* caption dropout: the empty caption */
            for (int k = 0; k < Lmax; k++) row[k] = TEXT_PAD;
            row[0] = TEXT_BOS, row[1] = TEXT_EOS;
        } else {
            memcpy(row, t->train.ids + (size_t)i * Lmax, sizeof(int32_t) * (size_t)Lmax);
        }
        float *eps = t->eps + b * n;
        const float *x0 = t->train.lat + (size_t)i * n;
        rng_normal(&t->noise, eps, (size_t)n, 0.0f, 1.0f);
        diff_add_noise(sc, t->x + b * n, x0, eps, n, tb); /* Eq. 1 */
        diff_target(sc, t->tgt + b * n, x0, eps, n, tb);
        t->tv[b] = (float)tb;
    }
    const int L = pack_rows(t, B);
    ctx *c = &t->c;
    c->training = 1;
    ctx_set_grad(c, 1);
    param_store *ps = t2v_params(t->m);
    tensor *y = batch_forward(t, B, L);
    tensor *l = y ? op_mse_loss(c, y, t_wrap(c, t->tgt, T_SHAPE(B, t->C, t->F, t->h, t->w))) : NULL;
    mosa_status s = l ? ctx_backward(c, l) : (c->status ? c->status : MOSA_ERR_INTERNAL);
    if (s != MOSA_OK) {
        ctx_reset(c);
        params_zero_grad(ps);
        return mosa_fail_context(s, "t2v training step %lld", (long long)t->opt.step);
    }
    const float lv = l->data[0];
    if (!isfinite(lv)) {
        ctx_reset(c);
        params_zero_grad(ps);
        return mosa_fail(MOSA_ERR_INTERNAL, "t2v training: the loss became %g at step %lld (lower --lr?)", (double)lv,
                         (long long)t->opt.step);
    }
    const float lr = t2v_trainer_lr(t);
    grad_clip_global_norm(ps, t->o.grad_clip);
    adamw_step(&t->opt, ps, lr);
    ema_update_step(&t->e, ps, t->opt.step); /* after adamw_step: step counts this update */
    params_zero_grad(ps);
    ctx_reset(c);
    t->last_loss = lv;
    if (loss) *loss = lv;
    return MOSA_OK;
}

mosa_status t2v_trainer_eval(t2v_trainer *t, int use_ema, float *losses, float *mean) {
    const int K = t->o.buckets, T = t2v_get_config(t->m)->T, Lmax = t->o.max_len;
    for (int k = 0; k < K; k++) losses[k] = NAN;
    if (mean) *mean = NAN;
    if (!t->val.n) return mosa_fail(MOSA_ERR_ARG, "t2v training: no held-out dataset to evaluate on (--val)");
    const diff_schedule *sc = t2v_schedule(t->m);
    const int64_t n = t->nlat;
    param_store *ps = t2v_params(t->m);
    if (use_ema) ema_swap(&t->e, ps);
    ctx *c = &t->c;
    const int g0 = ctx_no_grad(c);
    c->training = 0;
    double sum[T2V_MAX_BUCKETS] = {0}, all = 0;
    mosa_status s = MOSA_OK;
    const int rows_total = t->val.n * K;
    mosa_rng r;
    for (int r0 = 0; r0 < rows_total && s == MOSA_OK; r0 += EVAL_BATCH) {
        const int B = rows_total - r0 < EVAL_BATCH ? rows_total - r0 : EVAL_BATCH;
        for (int b = 0; b < B; b++) {
            const int i = (r0 + b) / K, k = (r0 + b) % K;
            const int tb = (int)(((double)k + 0.5) * T / K);
            memcpy(t->rows + (size_t)b * Lmax, t->val.ids + (size_t)i * Lmax, sizeof(int32_t) * (size_t)Lmax);
            rng_seed(&r, (uint64_t)i); /* the same noise for a clip at every evaluation */
            rng_normal(&r, t->eps + b * n, (size_t)n, 0.0f, 1.0f);
            const float *x0 = t->val.lat + (size_t)i * n;
            diff_add_noise(sc, t->x + b * n, x0, t->eps + b * n, n, tb);
            diff_target(sc, t->tgt + b * n, x0, t->eps + b * n, n, tb);
            t->tv[b] = (float)tb;
        }
        const int L = pack_rows(t, B);
        tensor *y = batch_forward(t, B, L);
        if (!y) { s = c->status ? c->status : MOSA_ERR_INTERNAL; break; }
        t_copy_to_contiguous(t->out, y);
        for (int b = 0; b < B; b++) {
            double e = 0;
            for (int64_t j = 0; j < n; j++) {
                const double d = (double)t->out[b * n + j] - t->tgt[b * n + j];
                e += d * d;
            }
            sum[(r0 + b) % K] += e / (double)n;
            all += e / (double)n;
        }
        ctx_reset(c);
    }
    ctx_reset(c);
    ctx_set_grad(c, g0);
    if (use_ema) ema_swap(&t->e, ps);
    if (s != MOSA_OK) return mosa_fail_context(s, "t2v held-out evaluation");
    for (int k = 0; k < K; k++) losses[k] = (float)(sum[k] / t->val.n);
    if (mean) *mean = (float)(all / rows_total);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* State and export                                                                            */
/* ------------------------------------------------------------------------------------------ */

mosa_status t2v_trainer_save_state(t2v_trainer *t, const char *path) {
    train_state_rng r[3] = {{"data", &t->data}, {"noise", &t->noise}, {"dropout", &t->c.rng}};
    return train_state_save(path, t2v_params(t->m), &t->opt, &t->e, r, 3, t->opt.step);
}

mosa_status t2v_trainer_load_state(t2v_trainer *t, const char *path) {
    train_state_rng r[3] = {{"data", &t->data}, {"noise", &t->noise}, {"dropout", &t->c.rng}};
    int64_t pos = 0;
    MOSA_TRY(train_state_load(path, t2v_params(t->m), &t->opt, &t->e, r, 3, &pos));
    if (pos != t->opt.step)
        return mosa_fail(MOSA_ERR_FORMAT, "%s: data position %lld differs from the optimizer step %lld", path,
                         (long long)pos, (long long)t->opt.step);
    return MOSA_OK;
}

mosa_status t2v_trainer_export(t2v_trainer *t, const char *path, st_dtype dtype) {
    char info[2048], opts[1536];
    t2v_train_options_format(&t->o, opts, sizeof opts);
    snprintf(info, sizeof info, "weights=ema steps=%lld last_loss=%g %s", (long long)t->opt.step, (double)t->last_loss,
             opts);
    param_store *ps = t2v_params(t->m);
    ema_swap(&t->e, ps);
    mosa_status s = t2v_save(t->m, path, dtype, info);
    ema_swap(&t->e, ps);
    return s;
}
