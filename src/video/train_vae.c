/* train_vae.c: the video VAE training loop, its held-out evaluation and its run directory
 * (train_vae.h). What this is not: the network (vae.c) or option parsing (tools/cmd_train_vae.c).
 *
 * Determinism: the dataset loader walks its own seeded shuffled order (dataset.h) and draws the
 * frame window; the trainer's "data" RNG draws the kind of sample (video, skeleton, mask) and the
 * crop, the "noise" RNG the reparameterisation noise. The state file holds all of them, the
 * loader's position, and the loader RNG as it was before the current epoch's shuffle (from which
 * the epoch's order is re-drawn on resume), so a resumed run continues with the same bytes. */
#include "train_vae.h"

#include "../data/dataset.h"
#include "../tensor/optim.h"
#include "../tensor/train_state.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

vae_train_opts vae_train_opts_default(void) {
    vae_train_opts o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    o.steps = 600;
    o.batch = 4;
    o.crop_w = o.crop_h = 64;
    o.crop_frames = 9;
    o.lr = 1e-3f;
    o.lr_min = 1e-4f;
    o.warmup = 50;
    o.kl_weight = 1e-4f;
    o.skeleton_prob = 0.2f;
    o.mask_prob = 0.05f;
    o.clip = 1.0f;
    o.eval_every = 100;
    o.ckpt_every = 25;
    o.eval_clips = 4;
    o.scale_clips = 16;
    o.cfg = vae_config_default();
    return o;
}

void vae_train_opts_format(const vae_train_opts *o, char *buf, size_t cap) {
    char cfg[256];
    vae_config_format(&o->cfg, cfg, sizeof cfg);
    snprintf(buf, cap,
             "format=mosa_vae_run/1\nconfig=%s\ndata=%s\nseed=%llu\nsteps=%lld\nbatch=%d\ncrop=%dx%dx%d\nlr=%.9g\n"
             "lr_min=%.9g\nwarmup=%d\nkl_weight=%.9g\nskeleton_prob=%.9g\nmask_prob=%.9g\nclip=%.9g\n%s%s%s",
             cfg, o->data ? o->data : "", (unsigned long long)o->seed, (long long)o->steps, o->batch, o->crop_w,
             o->crop_h, o->crop_frames, (double)o->lr, (double)o->lr_min, o->warmup, (double)o->kl_weight,
             (double)o->skeleton_prob, (double)o->mask_prob, (double)o->clip, o->init ? "init=" : "",
             o->init ? o->init : "", o->init ? "\n" : "");
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* PSNR in dB of two (n) arrays in [-1,1], seen as [0,1] pixels. */
static double psnr_of(const float *a, const float *b, size_t n) {
    double se = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = 0.5 * ((double)a[i] - b[i]);
        se += d * d;
    }
    const double mse = se / (double)n;
    return mse > 1e-12 ? -10.0 * log10(mse) : 120.0;
}

/* Mean SSIM (Wang et al. 2004) of the luma of two (H,W,3) frames in [-1,1], 7x7 uniform
 * windows, C1 = (0.01)^2, C2 = (0.03)^2 on [0,1] pixels. */
static double ssim_frame(const float *a, const float *b, int H, int W, float *ya, float *yb) {
    for (int i = 0; i < H * W; i++) {
        ya[i] = 0.5f * (0.299f * a[3 * i] + 0.587f * a[3 * i + 1] + 0.114f * a[3 * i + 2]) + 0.5f;
        yb[i] = 0.5f * (0.299f * b[3 * i] + 0.587f * b[3 * i + 1] + 0.114f * b[3 * i + 2]) + 0.5f;
    }
    const int R = 3;
    const double C1 = 1e-4, C2 = 9e-4;
    double sum = 0;
    int n = 0;
    for (int y = R; y < H - R; y++)
        for (int x = R; x < W - R; x++) {
            double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
            for (int dy = -R; dy <= R; dy++)
                for (int dx = -R; dx <= R; dx++) {
                    const double p = ya[(y + dy) * W + x + dx], q = yb[(y + dy) * W + x + dx];
                    ma += p, mb += q, saa += p * p, sbb += q * q, sab += p * q;
                }
            const double k = 1.0 / ((2 * R + 1) * (2 * R + 1));
            ma *= k, mb *= k;
            const double va = saa * k - ma * ma, vb = sbb * k - mb * mb, cab = sab * k - ma * mb;
            sum += ((2 * ma * mb + C1) * (2 * cab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
            n++;
        }
    return n ? sum / n : 1.0;
}

mosa_status vae_evaluate_dataset(const video_vae *m, const char *root, int max_clips, int masks, vae_eval *out) {
    if (!m || !root || !out) return mosa_fail(MOSA_ERR_ARG, "vae_evaluate_dataset: NULL argument");
    memset(out, 0, sizeof *out);
    const vae_config *g = vae_get_config(m);
    const int tf = vae_temporal_factor(g), sf = vae_spatial_factor(g);
    dataset d;
    MOSA_TRY(dataset_open(&d, root, NULL, 0, 0));
    for (int i = 0; i < d.n; i++) d.order[i] = (uint32_t)i; /* sorted clip order */
    d.pos = 0;
    int n = d.n;
    if (max_clips > 0 && max_clips < n) n = max_clips;
    dataset_batch b;
    memset(&b, 0, sizeof b);
    float *lat = NULL, *rec = NULL, *ya = NULL, *yb = NULL, *mv = NULL;
    size_t lat_cap = 0, rec_cap = 0;
    int64_t inter = 0, uni = 0;
    double ps = 0, pk = 0, ss = 0;
    int64_t frames = 0, ssim_frames = 0;
    mosa_status s = MOSA_OK;
    for (int i = 0; i < n && s == MOSA_OK; i++) {
        const dataset_clip *cl = &d.clips[i];
        dataset_batch_opts bo;
        memset(&bo, 0, sizeof bo);
        bo.B = 1;
        bo.T = 1 + (cl->frames - 1) / tf * tf;
        bo.W = cl->width / sf * sf;
        bo.H = cl->height / sf * sf;
        if (bo.W < 8 || bo.H < 8 || bo.T < 1) {
            s = mosa_fail(MOSA_ERR_ARG, "%s: clip %s is %dx%d; the VAE needs at least 8 pixels and multiples of %d", root,
                          cl->id, cl->width, cl->height, sf);
            break;
        }
        if ((s = dataset_next_batch(&d, &b, &bo)) != MOSA_OK) break;
        const int T = bo.T, H = bo.H, W = bo.W, Tl = vae_latent_frames(g, T);
        const size_t nl = (size_t)g->latent_ch * Tl * (H / sf) * (W / sf), nv = (size_t)T * H * W * 3;
        if (nl > lat_cap) {
            mosa_free(lat);
            lat = mosa_malloc(sizeof(float) * nl);
            lat_cap = lat ? nl : 0;
        }
        if (nv > rec_cap) {
            mosa_free(rec), mosa_free(ya), mosa_free(yb), mosa_free(mv);
            rec = mosa_malloc(sizeof(float) * nv);
            mv = mosa_malloc(sizeof(float) * nv);
            ya = mosa_malloc(sizeof(float) * (size_t)H * W);
            yb = mosa_malloc(sizeof(float) * (size_t)H * W);
            rec_cap = rec && ya && yb && mv ? nv : 0;
        }
        if (!lat || !rec || !ya || !yb || !mv) {
            s = MOSA_ERR_NOMEM;
            break;
        }
        if (masks)
            for (size_t p = 0; p < (size_t)T * H * W; p++) mv[3 * p] = mv[3 * p + 1] = mv[3 * p + 2] = b.mask[p] ? 1.0f : -1.0f;
        for (int kind = 0; kind < (masks ? 3 : 2) && s == MOSA_OK; kind++) {
            const float *src = kind == 0 ? b.video : kind == 1 ? b.skeleton : mv;
            s = vae_encode_video(m, src, T, H, W, 0, NULL, lat);
            if (s == MOSA_OK) s = vae_decode_video(m, lat, Tl, H / sf, W / sf, 0, rec);
            if (s != MOSA_OK) break;
            const double p = psnr_of(rec, src, nv);
            if (kind == 0) {
                ps += p;
                for (int t = 0; t < T; t++, ssim_frames++)
                    ss += ssim_frame(rec + (size_t)t * H * W * 3, src + (size_t)t * H * W * 3, H, W, ya, yb);
                frames += T;
            } else if (kind == 1) {
                pk += p;
            } else {
                for (size_t q = 0; q < (size_t)T * H * W; q++) {
                    const int want = b.mask[q] != 0, got = rec[3 * q] + rec[3 * q + 1] + rec[3 * q + 2] > 0;
                    inter += want && got;
                    uni += want || got;
                }
            }
        }
    }
    if (s == MOSA_OK && n > 0) {
        out->psnr = (float)(ps / n);
        out->psnr_skeleton = (float)(pk / n);
        out->ssim = ssim_frames ? (float)(ss / ssim_frames) : 0.0f;
        out->mask_iou = masks ? (uni ? (float)((double)inter / (double)uni) : 1.0f) : 0.0f;
        out->clips = n;
        out->frames = (int)frames;
    }
    mosa_free(lat), mosa_free(rec), mosa_free(ya), mosa_free(yb), mosa_free(mv);
    dataset_batch_free(&b);
    dataset_close(&d);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Trainer                                                                                     */
/* ------------------------------------------------------------------------------------------ */

struct vae_trainer {
    vae_train_opts o;
    dataset ds;
    mosa_rng epoch_rng; /* the loader RNG before the current epoch's shuffle */
    dataset_batch db;
    int W, H;           /* frames are loaded at this size (the first clip's) */
    param_store ps;
    video_vae *m;
    adamw opt;
    mosa_rng data_rng, noise_rng;
    ctx c;
    float *batch;       /* (B,3,T,crop_h,crop_w) */
};

static mosa_status check_opts(const vae_train_opts *o) {
    if (!o->data || !o->data[0]) return mosa_fail(MOSA_ERR_ARG, "no training data given (--data DIR)");
    if (o->steps < 1 || o->steps > 100000000)
        return mosa_fail(MOSA_ERR_ARG, "steps %lld: train for 1..1e8 steps", (long long)o->steps);
    if (o->batch < 1 || o->batch > 1024) return mosa_fail(MOSA_ERR_ARG, "batch %d: use 1..1024", o->batch);
    const int sf = vae_spatial_factor(&o->cfg), tf = vae_temporal_factor(&o->cfg);
    if (o->crop_w < sf || o->crop_h < sf || o->crop_w % sf || o->crop_h % sf || o->crop_w > 4096 || o->crop_h > 4096)
        return mosa_fail(MOSA_ERR_ARG, "crop %dx%d: width and height must be multiples of %d (the spatial factor)",
                         o->crop_w, o->crop_h, sf);
    if (o->crop_frames < 1 || (o->crop_frames - 1) % tf || o->crop_frames > 10000)
        return mosa_fail(MOSA_ERR_ARG, "crop of %d frames: use 1 + %d*k frames", o->crop_frames, tf);
    if (!(o->lr > 0 && o->lr < 1) || !(o->lr_min >= 0 && o->lr_min <= o->lr))
        return mosa_fail(MOSA_ERR_ARG, "learning rate %g (min %g): need 0 < lr < 1 and 0 <= lr_min <= lr",
                         (double)o->lr, (double)o->lr_min);
    if (!(o->kl_weight >= 0 && o->kl_weight < 1e3))
        return mosa_fail(MOSA_ERR_ARG, "kl weight %g: use a small non-negative number", (double)o->kl_weight);
    if (!(o->skeleton_prob >= 0 && o->mask_prob >= 0 && o->skeleton_prob + o->mask_prob <= 1))
        return mosa_fail(MOSA_ERR_ARG, "skeleton (%g) and mask (%g) probabilities must be >= 0 and sum to <= 1",
                         (double)o->skeleton_prob, (double)o->mask_prob);
    if (!(o->clip >= 0)) return mosa_fail(MOSA_ERR_ARG, "gradient clip %g must be >= 0", (double)o->clip);
    if (o->warmup < 0 || o->eval_every < 0 || o->ckpt_every < 0 || o->stop_after < 0 || o->eval_clips < 0 ||
        o->scale_clips < 1)
        return mosa_fail(MOSA_ERR_ARG, "warmup, eval_every, ckpt_every, eval_clips and stop_after must be >= 0, "
                         "scale_clips >= 1");
    if (o->cfg.in_ch != 3) return mosa_fail(MOSA_ERR_ARG, "the VAE's in_ch is %d; videos have 3", o->cfg.in_ch);
    return MOSA_OK;
}

void vae_trainer_free(vae_trainer *t) {
    if (!t) return;
    ctx_free(&t->c);
    adamw_free(&t->opt);
    vae_free(t->m);
    params_free(&t->ps);
    mosa_free(t->batch);
    dataset_batch_free(&t->db);
    dataset_close(&t->ds);
    mosa_free(t);
}

/* Keeps only the clips listed in `path` (one id a line, each present), in the list's order, and
 * redraws the first epoch's order as dataset_open does. */
static mosa_status keep_listed_clips(dataset *d, const char *path, uint64_t seed) {
    uint8_t *buf = NULL;
    size_t len = 0;
    MOSA_TRY(file_read_all(path, (size_t)1 << 28, &buf, &len));
    dataset_clip *keep = mosa_calloc((size_t)d->n, sizeof *keep);
    uint8_t *used = mosa_calloc((size_t)d->n, 1);
    mosa_status s = keep && used ? MOSA_OK : MOSA_ERR_NOMEM;
    int m = 0;
    size_t i = 0;
    while (s == MOSA_OK && i < len) {
        size_t e = i;
        while (e < len && buf[e] != '\n') e++;
        size_t k = e;
        while (k > i && (buf[k - 1] == '\r' || buf[k - 1] == ' ')) k--;
        if (k > i) {
            int found = -1;
            for (int c = 0; c < d->n && found < 0; c++)
                if (!used[c] && strlen(d->clips[c].id) == k - i && !memcmp(d->clips[c].id, buf + i, k - i)) found = c;
            if (found < 0) {
                s = mosa_fail(MOSA_ERR_MISMATCH, "%s lists clip '%.*s', which %s does not have (usable); resume on the "
                              "same data", path, (int)(k - i > 64 ? 64 : k - i), (const char *)buf + i, d->root);
            } else if (m >= d->n) {
                s = mosa_fail(MOSA_ERR_FORMAT, "%s lists more clips than the dataset has", path);
            } else {
                used[found] = 1;
                keep[m++] = d->clips[found];
            }
        }
        i = e + 1;
    }
    if (s == MOSA_OK && m == 0) s = mosa_fail(MOSA_ERR_FORMAT, "%s lists no clip", path);
    if (s == MOSA_OK) {
        for (int c = 0; c < d->n; c++)
            if (!used[c]) {
                mosa_free(d->clips[c].caption);
                mosa_free(d->clips[c].motion_caption);
            }
        memcpy(d->clips, keep, sizeof *keep * (size_t)m);
        d->n = m;
        d->epoch = d->pos = 0;
        rng_seed(&d->rng, seed);
        for (int c = 0; c < m; c++) d->order[c] = (uint32_t)c;
        rng_shuffle_u32(&d->rng, d->order, (size_t)m);
    }
    mosa_free(keep);
    mosa_free(used);
    mosa_free(buf);
    return s;
}

static mosa_status write_clip_list(const dataset *d, const char *path) {
    size_t cap = (size_t)d->n * 66 + 1, o = 0;
    char *b = mosa_malloc(cap);
    if (!b) return MOSA_ERR_NOMEM;
    for (int c = 0; c < d->n; c++) o += (size_t)snprintf(b + o, cap - o, "%s\n", d->clips[c].id);
    mosa_status s = file_write_atomic(path, b, o);
    mosa_free(b);
    return s;
}

mosa_status vae_trainer_create(vae_trainer **out, const vae_train_opts *o) {
    if (!out || !o) return mosa_fail(MOSA_ERR_ARG, "vae_trainer_create: NULL argument");
    *out = NULL;
    MOSA_TRY(check_opts(o));
    vae_trainer *t = mosa_calloc(1, sizeof *t);
    if (!t) return MOSA_ERR_NOMEM;
    t->o = *o;
    params_init(&t->ps);
    ctx_init(&t->c, (size_t)1 << 26);
    mosa_status s = dataset_open(&t->ds, o->data, NULL, 0, o->seed);
    if (s == MOSA_OK && o->clip_list) s = keep_listed_clips(&t->ds, o->clip_list, o->seed);
    if (s == MOSA_OK) {
        rng_seed(&t->epoch_rng, o->seed); /* dataset_open shuffled from this state */
        t->W = t->ds.clips[0].width, t->H = t->ds.clips[0].height;
        for (int i = 0; i < t->ds.n && s == MOSA_OK; i++)
            if (t->ds.clips[i].frames < o->crop_frames)
                s = mosa_fail(MOSA_ERR_ARG, "%s: clip %s has %d frames, fewer than the %d of a training crop", o->data,
                              t->ds.clips[i].id, t->ds.clips[i].frames, o->crop_frames);
        if (s == MOSA_OK && (t->W < o->crop_w || t->H < o->crop_h))
            s = mosa_fail(MOSA_ERR_ARG, "%s: clips are %dx%d, smaller than the %dx%d crop", o->data, t->W, t->H,
                          o->crop_w, o->crop_h);
    }
    mosa_rng init_rng;
    rng_seed(&init_rng, o->seed);
    if (s == MOSA_OK) s = vae_create(&t->m, &t->ps, "", &o->cfg, &init_rng);
    if (s == MOSA_OK) s = params_finalize(&t->ps);
    if (s == MOSA_OK && o->init) {
        s = vae_load(t->m, o->init);
        vae_set_scaling_factor(t->m, o->cfg.scaling_factor); /* measured again at export */
    }
    /* the linear path is fitted (PCA), not trained */
    if (s == MOSA_OK && o->cfg.linear_path) {
        params_set_frozen(&t->ps, "encoder.linear_path.", 1);
        params_set_frozen(&t->ps, "decoder.linear_path.", 1);
    }
    adamw_cfg acfg = adamw_defaults(o->lr);
    acfg.weight_decay = 0.0f;
    if (s == MOSA_OK) s = adamw_init(&t->opt, &t->ps, acfg);
    rng_seed(&t->data_rng, o->seed * 1000003ull + 17);
    rng_seed(&t->noise_rng, o->seed * 1000003ull + 29);
    if (s == MOSA_OK) {
        t->batch = mosa_malloc(sizeof(float) * 3 * (size_t)o->batch * o->crop_frames * o->crop_h * o->crop_w);
        if (!t->batch) s = MOSA_ERR_NOMEM;
    }
    if (s != MOSA_OK) {
        vae_trainer_free(t);
        return s;
    }
    *out = t;
    return MOSA_OK;
}

video_vae *vae_trainer_model(vae_trainer *t) { return t->m; }
int64_t vae_trainer_steps_done(const vae_trainer *t) { return t->opt.step; }

/* One training sample from the clip in db (frames W x H): its video, skeleton video or mask
 * stream (drawn with the run's probabilities), a random crop, written (3,T,crop_h,crop_w) to dst. */
static void crop_sample(const vae_train_opts *o, const dataset_batch *db, int W, int H, mosa_rng *r, float *dst) {
    float u;
    rng_uniform(r, &u, 1);
    const int kind = u < o->skeleton_prob ? 1 : u < o->skeleton_prob + o->mask_prob ? 2 : 0;
    const int x0 = (int)rng_below(r, (uint32_t)(W - o->crop_w + 1));
    const int y0 = (int)rng_below(r, (uint32_t)(H - o->crop_h + 1));
    const int T = o->crop_frames, ch = o->crop_h, cw = o->crop_w;
    const float *src = kind == 1 ? db->skeleton : db->video;
    for (int f = 0; f < T; f++)
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) {
                const size_t p = ((size_t)f * H + y0 + y) * W + x0 + x;
                for (int k = 0; k < 3; k++) {
                    const float v = kind == 2 ? (db->mask[p] ? 1.0f : -1.0f) : src[p * 3 + k];
                    dst[(((size_t)k * T + f) * ch + y) * cw + x] = v;
                }
            }
}

static dataset_batch_opts one_clip_opts(const vae_trainer *t) {
    dataset_batch_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.B = 1, bo.T = t->o.crop_frames, bo.W = t->W, bo.H = t->H;
    return bo;
}

/* Fills sample b of the batch from the next clip of the loader. */
static mosa_status fill_sample(vae_trainer *t, int b) {
    const vae_train_opts *o = &t->o;
    if (t->ds.pos >= t->ds.n) t->epoch_rng = t->ds.rng; /* the loader reshuffles from this state */
    const dataset_batch_opts bo = one_clip_opts(t);
    MOSA_TRY(dataset_next_batch(&t->ds, &t->db, &bo));
    crop_sample(o, &t->db, t->W, t->H, &t->data_rng, t->batch + (size_t)b * 3 * o->crop_frames * o->crop_h * o->crop_w);
    return MOSA_OK;
}

mosa_status vae_trainer_fit_linear_path(vae_trainer *t, int n_crops) {
    const vae_train_opts *o = &t->o;
    if (!o->cfg.linear_path) return MOSA_OK;
    if (n_crops < 1) return mosa_fail(MOSA_ERR_ARG, "vae_trainer_fit_linear_path: %d crops", n_crops);
    /* a loader and RNG of its own, so the training data order is the same with or without it */
    dataset d;
    MOSA_TRY(dataset_open(&d, o->data, NULL, 0, o->seed + 7));
    mosa_status s = o->clip_list ? keep_listed_clips(&d, o->clip_list, o->seed + 7) : MOSA_OK;
    if (n_crops > d.n) n_crops = d.n;
    const size_t each = (size_t)3 * o->crop_frames * o->crop_h * o->crop_w;
    float *x = s == MOSA_OK ? mosa_malloc(sizeof(float) * each * (size_t)n_crops) : NULL;
    if (s == MOSA_OK && !x) s = MOSA_ERR_NOMEM;
    dataset_batch db;
    memset(&db, 0, sizeof db);
    mosa_rng r;
    rng_seed(&r, o->seed * 1000003ull + 41);
    const dataset_batch_opts bo = one_clip_opts(t);
    for (int i = 0; i < n_crops && s == MOSA_OK; i++) {
        s = dataset_next_batch(&d, &db, &bo);
        if (s == MOSA_OK) crop_sample(o, &db, t->W, t->H, &r, x + each * i);
    }
    if (s == MOSA_OK) s = vae_fit_linear_path(t->m, x, n_crops, o->crop_frames, o->crop_h, o->crop_w);
    dataset_batch_free(&db);
    dataset_close(&d);
    mosa_free(x);
    return s;
}

mosa_status vae_trainer_step(vae_trainer *t, vae_train_report *r) {
    const vae_train_opts *o = &t->o;
    for (int b = 0; b < o->batch; b++) MOSA_TRY(fill_sample(t, b));
    ctx *c = &t->c;
    const int64_t step = t->opt.step;
    tensor *x = t_wrap(c, t->batch, T_SHAPE(o->batch, 3, o->crop_frames, o->crop_h, o->crop_w));
    vae_loss_stats ls;
    tensor *loss = vae_train_forward(c, t->m, x, o->kl_weight, &t->noise_rng, &ls);
    if (!loss) {
        mosa_status s = c->status != MOSA_OK ? c->status : MOSA_ERR_INTERNAL;
        ctx_reset(c);
        return s;
    }
    const float lv = loss->data[0];
    if (!isfinite(lv)) {
        ctx_reset(c);
        return mosa_fail(MOSA_ERR_ARG, "training diverged at step %lld (loss %g); resume from the last checkpoint "
                         "with a lower learning rate", (long long)step, (double)lv);
    }
    mosa_status s = ctx_backward(c, loss);
    if (s != MOSA_OK) {
        ctx_reset(c);
        return s;
    }
    if (o->clip > 0) grad_clip_global_norm(&t->ps, o->clip);
    const float lr = lr_warmup_cosine(step, o->warmup, o->steps, o->lr, o->lr_min);
    adamw_step(&t->opt, &t->ps, lr);
    params_zero_grad(&t->ps);
    ctx_reset(c);
    if (r) {
        r->kind = VAE_REPORT_STEP;
        r->step = t->opt.step, r->steps = o->steps;
        r->loss = lv, r->recon = ls.recon, r->kl = ls.kl, r->psnr = ls.psnr, r->lr = lr;
    }
    return MOSA_OK;
}

mosa_status vae_trainer_save_state(vae_trainer *t, const char *path) {
    train_state_rng rngs[4] = {{"data", &t->data_rng}, {"noise", &t->noise_rng}, {"loader", &t->ds.rng},
                               {"loader_epoch", &t->epoch_rng}};
    const int64_t pos = t->ds.epoch * ((int64_t)t->ds.n + 1) + t->ds.pos;
    return train_state_save(path, &t->ps, &t->opt, NULL, rngs, 4, pos);
}

mosa_status vae_trainer_load_state(vae_trainer *t, const char *path) {
    mosa_rng data = t->data_rng, noise = t->noise_rng, loader = t->ds.rng, epoch = t->epoch_rng;
    train_state_rng rngs[4] = {{"data", &data}, {"noise", &noise}, {"loader", &loader}, {"loader_epoch", &epoch}};
    int64_t pos = 0;
    MOSA_TRY(train_state_load(path, &t->ps, &t->opt, NULL, rngs, 4, &pos));
    if (pos < 0) return mosa_fail(MOSA_ERR_FORMAT, "%s: negative data position %lld", path, (long long)pos);
    t->data_rng = data, t->noise_rng = noise, t->ds.rng = loader, t->epoch_rng = epoch;
    t->ds.epoch = pos / ((int64_t)t->ds.n + 1);
    t->ds.pos = pos % ((int64_t)t->ds.n + 1);
    /* the current epoch's order, drawn as the loader draws it (dataset.c shuffle) */
    mosa_rng e = epoch;
    for (int i = 0; i < t->ds.n; i++) t->ds.order[i] = (uint32_t)i;
    rng_shuffle_u32(&e, t->ds.order, (size_t)t->ds.n);
    return MOSA_OK;
}

/* The model file with what it was trained on in its metadata. */
static mosa_status write_model(vae_trainer *t, const char *path) {
    char steps_s[32], clips_s[32], crop_s[64];
    snprintf(steps_s, sizeof steps_s, "%lld", (long long)t->opt.step);
    snprintf(clips_s, sizeof clips_s, "%d", t->o.scale_clips);
    snprintf(crop_s, sizeof crop_s, "%dx%dx%d", t->o.crop_w, t->o.crop_h, t->o.crop_frames);
    st_meta meta[4] = {{"train.steps", steps_s}, {"train.data", t->o.data}, {"train.scale_clips", clips_s},
                       {"train.crop", crop_s}};
    return vae_export(t->m, path, 4, meta);
}

mosa_status vae_trainer_export(vae_trainer *t, const char *path, float *scaling_factor) {
    const vae_train_opts *o = &t->o;
    const vae_config *g = vae_get_config(t->m);
    const int tf = vae_temporal_factor(g), sf = vae_spatial_factor(g);
    dataset d;
    MOSA_TRY(dataset_open(&d, o->data, NULL, 0, o->seed + 7));
    dataset_batch b;
    memset(&b, 0, sizeof b);
    vae_set_scaling_factor(t->m, 1.0f);
    const int n = o->scale_clips < d.n ? o->scale_clips : d.n;
    double sum = 0, sq = 0;
    int64_t count = 0;
    float *lat = NULL;
    size_t cap = 0;
    mosa_status s = MOSA_OK;
    for (int i = 0; i < n && s == MOSA_OK; i++) {
        dataset_batch_opts bo;
        memset(&bo, 0, sizeof bo);
        bo.B = 1, bo.W = t->W / sf * sf, bo.H = t->H / sf * sf;
        bo.T = 1 + (d.clips[d.order[d.pos < d.n ? d.pos : 0]].frames - 1) / tf * tf;
        if ((s = dataset_next_batch(&d, &b, &bo)) != MOSA_OK) break;
        const size_t nl = (size_t)g->latent_ch * vae_latent_frames(g, bo.T) * (bo.H / sf) * (bo.W / sf);
        if (nl > cap) {
            mosa_free(lat);
            lat = mosa_malloc(sizeof(float) * nl);
            cap = lat ? nl : 0;
            if (!lat) {
                s = MOSA_ERR_NOMEM;
                break;
            }
        }
        if ((s = vae_encode_video(t->m, b.video, bo.T, bo.H, bo.W, 0, NULL, lat)) != MOSA_OK) break;
        for (size_t k = 0; k < nl; k++) sum += lat[k], sq += (double)lat[k] * lat[k];
        count += (int64_t)nl;
    }
    mosa_free(lat);
    dataset_batch_free(&b);
    dataset_close(&d);
    if (s != MOSA_OK) return s;
    const double mean = sum / (double)count, var = sq / (double)count - mean * mean;
    const float scale = var > 1e-12 ? (float)(1.0 / sqrt(var)) : 1.0f;
    vae_set_scaling_factor(t->m, scale);
    if (scaling_factor) *scaling_factor = scale;
    return write_model(t, path);
}

/* ------------------------------------------------------------------------------------------ */
/* Run directory                                                                               */
/* ------------------------------------------------------------------------------------------ */

static void report(const vae_train_opts *o, vae_train_report *r) {
    if (o->report) o->report(r, o->user);
}

static void message(const vae_train_opts *o, const char *msg) {
    vae_train_report r;
    memset(&r, 0, sizeof r);
    r.kind = VAE_REPORT_MESSAGE;
    r.message = msg;
    report(o, &r);
}

mosa_status vae_train(const vae_train_opts *o) {
    if (!o) return mosa_fail(MOSA_ERR_ARG, "vae_train: NULL options");
    if (!o->out_dir || !o->out_dir[0]) return mosa_fail(MOSA_ERR_ARG, "no run directory given (--out RUN_DIR)");
    if (o->export_only && !o->resume)
        return mosa_fail(MOSA_ERR_ARG, "exporting a checkpoint needs --resume (the run in --out)");
    MOSA_TRY(check_opts(o));
    char path[4096], state_path[4096], desc[2048];
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST)
        return mosa_fail(MOSA_ERR_IO, "cannot create the run directory %s: %s (does its parent exist and is it "
                         "writable?)", o->out_dir, strerror(errno));
    snprintf(state_path, sizeof state_path, "%s/state.safetensors", o->out_dir);
    snprintf(path, sizeof path, "%s/run.txt", o->out_dir);
    vae_train_opts_format(o, desc, sizeof desc);
    if (o->resume) {
        uint8_t *old = NULL;
        size_t n = 0;
        if (access(state_path, R_OK) != 0)
            return mosa_fail(MOSA_ERR_IO, "cannot resume: %s has no state.safetensors (start the run without "
                             "--resume)", o->out_dir);
        MOSA_TRY(file_read_all(path, 1 << 20, &old, &n));
        const int same = n >= strlen(desc) && !memcmp(old, desc, strlen(desc)); /* + "clips=N", checked below */
        mosa_free(old);
        if (!same)
            return mosa_fail(MOSA_ERR_MISMATCH, "cannot resume %s: its options (run.txt) differ from these; resume "
                             "with the same options, or start a new run directory", o->out_dir);
    } else {
        if (access(state_path, F_OK) == 0)
            return mosa_fail(MOSA_ERR_ARG, "%s already holds a run (state.safetensors); add --resume to continue it "
                             "or choose another --out", o->out_dir);
    }

    char list_path[4096];
    snprintf(list_path, sizeof list_path, "%s/clips.txt", o->out_dir);
    vae_train_opts oc = *o;
    if (o->resume && !o->clip_list && access(list_path, R_OK) == 0) oc.clip_list = list_path;
    vae_trainer *t = NULL;
    MOSA_TRY(vae_trainer_create(&t, &oc));
    mosa_status s = MOSA_OK;
    if (!o->resume) s = write_clip_list(&t->ds, list_path);
    {
        char msg[512];
        snprintf(msg, sizeof msg, "%d training clips in %s (%dx%d); model %zu parameters", t->ds.n, o->data, t->W,
                 t->H, params_count(&t->ps, 1));
        message(o, msg);
    }
    /* the clip count is part of the run: a resume on a dataset that changed is refused */
    {
        char line[64];
        snprintf(line, sizeof line, "clips=%d\n", t->ds.n);
        strncat(desc, line, sizeof desc - strlen(desc) - 1);
    }
    if (o->resume) {
        uint8_t *old = NULL;
        size_t n = 0;
        s = file_read_all(path, 1 << 20, &old, &n);
        if (s == MOSA_OK && !(n == strlen(desc) && !memcmp(old, desc, n)))
            s = mosa_fail(MOSA_ERR_MISMATCH, "cannot resume %s: the dataset %s now has %d clips, not the run's; resume "
                          "on the same data", o->out_dir, o->data, t->ds.n);
        mosa_free(old);
        if (s == MOSA_OK) s = vae_trainer_load_state(t, state_path);
        if (s == MOSA_OK && t->opt.step > o->steps)
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: the state is at step %lld, past the run's %lld steps", state_path,
                          (long long)t->opt.step, (long long)o->steps);
        if (s == MOSA_OK) {
            char msg[256];
            snprintf(msg, sizeof msg, "resuming %s at step %lld", o->out_dir, (long long)t->opt.step);
            message(o, msg);
        }
    } else {
        s = file_write_atomic(path, desc, strlen(desc));
        if (s != MOSA_OK) mosa_fail_context(s, "the run directory %s is not writable", o->out_dir);
        if (s == MOSA_OK && o->cfg.linear_path && !o->init) {
            message(o, "fitting the linear path: PCA of the patches of 256 training crops");
            s = vae_trainer_fit_linear_path(t, 256);
        }
    }
    char train_log[4096], eval_log[4096];
    snprintf(train_log, sizeof train_log, "%s/train.tsv", o->out_dir);
    snprintf(eval_log, sizeof eval_log, "%s/eval.tsv", o->out_dir);
    /* export_only touches no log: a run may still be writing them */
    if (s == MOSA_OK && o->resume && !o->export_only) s = train_log_truncate(train_log, t->opt.step);
    if (s == MOSA_OK && o->resume && !o->export_only) s = train_log_truncate(eval_log, t->opt.step);
    FILE *ft = NULL, *fe = NULL;
    if (s == MOSA_OK && !o->export_only) {
        ft = train_log_open(train_log, "step\tloss\trecon\tkl\tpsnr\tlr\tseconds\n", o->resume);
        fe = train_log_open(eval_log, "step\tpsnr\tpsnr_skeleton\tssim\tclips\n", o->resume);
        if (!ft || !fe) s = mosa_fail(MOSA_ERR_IO, "cannot write the logs in %s: %s", o->out_dir, strerror(errno));
    }
    const double t0 = time_now();
    const int64_t start = t->opt.step;
    int64_t end = o->stop_after > 0 && o->stop_after < o->steps ? o->stop_after : o->steps;
    if (o->export_only) end = t->opt.step;
    while (s == MOSA_OK && t->opt.step < end) {
        vae_train_report r;
        memset(&r, 0, sizeof r);
        if ((s = vae_trainer_step(t, &r)) != MOSA_OK) break;
        const int64_t step = t->opt.step;
        const double sec = time_now() - t0;
        fprintf(ft, "%lld\t%.9g\t%.9g\t%.9g\t%.4f\t%.6g\t%.1f\n", (long long)step, (double)r.loss, (double)r.recon,
                (double)r.kl, (double)r.psnr, (double)r.lr, sec);
        r.seconds = sec;
        r.sec_per_step = step > start ? sec / (double)(step - start) : 0;
        report(o, &r);
        if (o->val_data && o->eval_clips > 0 && ((o->eval_every > 0 && step % o->eval_every == 0) || step == o->steps)) {
            fflush(ft);
            s = vae_evaluate_dataset(t->m, o->val_data, o->eval_clips, 0, &r.eval);
            if (s != MOSA_OK) break;
            fprintf(fe, "%lld\t%.4f\t%.4f\t%.4f\t%d\n", (long long)step, (double)r.eval.psnr,
                    (double)r.eval.psnr_skeleton, (double)r.eval.ssim, r.eval.clips);
            fflush(fe);
            r.kind = VAE_REPORT_EVAL;
            report(o, &r);
        }
        if ((o->ckpt_every > 0 && step % o->ckpt_every == 0) || step == end) {
            fflush(ft);
            if ((s = vae_trainer_save_state(t, state_path)) != MOSA_OK) break;
            r.kind = VAE_REPORT_CHECKPOINT;
            r.message = state_path;
            report(o, &r);
        }
    }
    if (ft) fclose(ft);
    if (fe) fclose(fe);
    if (s == MOSA_OK && (t->opt.step == o->steps || o->export_only)) {
        message(o, "measuring the latent scale on training clips and exporting the model");
        float scale = 1;
        if (t->opt.step == o->steps) snprintf(path, sizeof path, "%s/vae.safetensors", o->out_dir);
        else snprintf(path, sizeof path, "%s/vae_step%lld.safetensors", o->out_dir, (long long)t->opt.step);
        s = vae_trainer_export(t, path, &scale);
        if (s == MOSA_OK && o->export_path) s = write_model(t, o->export_path);
        if (s == MOSA_OK) {
            char msg[128];
            snprintf(msg, sizeof msg, "scaling_factor = %.6g (1 / std of the latent means)", (double)scale);
            message(o, msg);
        }
    }
    vae_trainer_free(t);
    return s;
}
