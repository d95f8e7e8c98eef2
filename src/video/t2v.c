/* t2v.c: the base text-to-video model and its generation pipeline; see t2v.h.
 *
 * Generation (t2v_generate): the prompt and the negative prompt (the empty caption "" = BOS EOS
 * when none is given, which is what caption dropout trained as the unconditional input) are
 * tokenized with the model's own vocabulary and encoded once; the latent starts as seeded
 * standard normals; every sampler step runs the DiT on the conditional and unconditional rows
 * as one batch of 2 (one row when cfg_scale == 1), combines them (diff_cfg_combine) and takes a
 * DDIM step (diff_step, paper Eq. 1's schedule); the clean latent is taken back from the
 * diffusion's normalisation (t2v_latents_denormalize), decoded by the VAE in chunks and converted
 * to RGB8. The memory estimate is checked before anything is allocated.
 * Not here: training (train_t2v.c), the DiT (dit.c), the schedule arithmetic (diffusion.c). */
#include "t2v.h"

#include "../tensor/safetensors.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BYTES (16u << 20)
#define T2V_MAX_DIM 16384     /* largest width or height accepted (IMAGE_MAX_DIM) */
#define T2V_MAX_FRAMES 100001 /* largest frame count accepted */

struct t2v_model {
    t2v_config cfg;
    param_store ps;    /* text encoder + DiT */
    text_encoder enc;
    int enc_ok;
    dit_model *dit;
    text_vocab *vocab;
    video_vae *vae;    /* owns its own store (vae_open) */
    diff_schedule sched;
    ctx c;
};

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                               */
/* ------------------------------------------------------------------------------------------ */

t2v_config t2v_config_default(int vocab, const vae_config *vae) {
    t2v_config c;
    memset(&c, 0, sizeof c);
    c.text = text_encoder_config_default(vocab);
    c.text.width = 128;
    c.text.layers = 2;
    c.text.heads = 4;
    c.text.max_len = 64;
    c.dit = dit_config_default();
    c.dit.text_dim = c.text.width;
    c.vae = vae ? *vae : vae_config_default();
    c.dit.latent_ch = c.vae.latent_ch;
    c.T = 1000;
    c.betas = DIFF_BETAS_SCALED_LINEAR;
    c.beta0 = 0.00085;
    c.beta1 = 0.012;
    c.zero_snr = 0;
    c.pred = DIFF_PRED_EPS;
    c.W = 128, c.H = 128, c.frames = 33, c.fps = 16;
    for (int i = 0; i < VAE_MAX_LATENT; i++) c.latent_mean[i] = 0.0f, c.latent_std[i] = 1.0f;
    return c;
}

void t2v_schedule_format(const t2v_config *c, char *buf, size_t cap) {
    snprintf(buf, cap, "T=%d betas=%s beta0=%.9g beta1=%.9g zero_snr=%d pred=%s", c->T, diff_betas_name(c->betas),
             c->beta0, c->beta1, c->zero_snr, diff_pred_name(c->pred));
}

void t2v_size_format(const t2v_config *c, char *buf, size_t cap) {
    snprintf(buf, cap, "W=%d H=%d frames=%d fps=%d", c->W, c->H, c->frames, c->fps);
}

char *t2v_latents_format(const t2v_config *c) {
    const int C = c->vae.latent_ch;
    const size_t cap = 16 + (size_t)C * 2 * 18;
    char *buf = mosa_malloc(cap);
    if (!buf) return NULL;
    size_t o = 0;
    for (int k = 0; k < 2; k++) {
        const float *v = k ? c->latent_std : c->latent_mean;
        o += (size_t)snprintf(buf + o, cap - o, "%s", k ? " std=" : "mean=");
        for (int i = 0; i < C; i++) o += (size_t)snprintf(buf + o, cap - o, "%s%.9g", i ? "," : "", (double)v[i]);
    }
    return buf;
}

mosa_status t2v_latents_parse(t2v_config *cfg, const char *s) {
    const int C = cfg->vae.latent_ch;
    float v[2][VAE_MAX_LATENT];
    const char *p = s;
    for (int k = 0; k < 2; k++) {
        const char *key = k ? " std=" : "mean=";
        if (strncmp(p, key, strlen(key)))
            return mosa_fail(MOSA_ERR_FORMAT, "t2v latents '%.60s': want 'mean=m0,m1,... std=s0,s1,...'", s);
        p += strlen(key);
        for (int i = 0; i < C; i++) {
            char *end;
            const double x = strtod(p, &end);
            if (end == p || !isfinite(x) || fabs(x) > 1e30 || (k && !(x > 0)))
                return mosa_fail(MOSA_ERR_FORMAT, "t2v latents: %s %d is not a %s number", k ? "std" : "mean", i,
                                 k ? "positive finite" : "finite");
            v[k][i] = (float)x;
            p = end;
            if (i + 1 < C && *p++ != ',')
                return mosa_fail(MOSA_ERR_FORMAT, "t2v latents: %d %s values for %d latent channels", i + 1,
                                 k ? "std" : "mean", C);
        }
    }
    if (*p) return mosa_fail(MOSA_ERR_FORMAT, "t2v latents: more than %d values per statistic, or trailing text", C);
    memcpy(cfg->latent_mean, v[0], sizeof(float) * (size_t)C);
    memcpy(cfg->latent_std, v[1], sizeof(float) * (size_t)C);
    return MOSA_OK;
}

void t2v_latents_normalize(const t2v_config *cfg, float *lat, int64_t plane) {
    for (int c = 0; c < cfg->vae.latent_ch; c++) {
        const float m = cfg->latent_mean[c], inv = 1.0f / cfg->latent_std[c];
        float *x = lat + (size_t)c * (size_t)plane;
        for (int64_t i = 0; i < plane; i++) x[i] = (x[i] - m) * inv;
    }
}

void t2v_latents_denormalize(const t2v_config *cfg, float *lat, int64_t plane) {
    for (int c = 0; c < cfg->vae.latent_ch; c++) {
        const float m = cfg->latent_mean[c], sd = cfg->latent_std[c];
        float *x = lat + (size_t)c * (size_t)plane;
        for (int64_t i = 0; i < plane; i++) x[i] = x[i] * sd + m;
    }
}

/* Splits "k=v k=v" into the n known keys (every key required once); values are copied into
 * val[i] (64 bytes each). */
static mosa_status kv_split(const char *what, const char *s, int n, const char *const *keys, char (*val)[64]) {
    int seen[16] = {0};
    if (!s) return mosa_fail(MOSA_ERR_FORMAT, "%s: missing", what);
    const char *p = s;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *eq = strchr(p, '='), *end = strchr(p, ' ');
        if (!end) end = p + strlen(p);
        if (!eq || eq > end) return mosa_fail(MOSA_ERR_FORMAT, "%s '%s': expected key=value", what, s);
        int k = -1;
        for (int i = 0; i < n; i++)
            if ((size_t)(eq - p) == strlen(keys[i]) && !strncmp(p, keys[i], (size_t)(eq - p))) k = i;
        if (k < 0) return mosa_fail(MOSA_ERR_FORMAT, "%s '%s': unknown key '%.*s'", what, s, (int)(eq - p), p);
        if (seen[k]++) return mosa_fail(MOSA_ERR_FORMAT, "%s '%s': %s given twice", what, s, keys[k]);
        const size_t len = (size_t)(end - eq - 1);
        if (len == 0 || len >= 64) return mosa_fail(MOSA_ERR_FORMAT, "%s '%s': bad value for %s", what, s, keys[k]);
        memcpy(val[k], eq + 1, len);
        val[k][len] = 0;
        p = end;
    }
    for (int i = 0; i < n; i++)
        if (!seen[i]) return mosa_fail(MOSA_ERR_FORMAT, "%s '%s': %s missing", what, s, keys[i]);
    return MOSA_OK;
}

static int num_in(const char *v, double lo, double hi, int integer, double *out) {
    char *end;
    const double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi) || (integer && x != floor(x))) return 0;
    *out = x;
    return 1;
}

mosa_status t2v_schedule_parse(t2v_config *cfg, const char *s) {
    static const char *const keys[6] = {"T", "betas", "beta0", "beta1", "zero_snr", "pred"};
    char v[6][64];
    MOSA_TRY(kv_split("t2v schedule", s, 6, keys, v));
    double T, b0, b1, z;
    const int betas = diff_betas_parse(v[1]), pred = diff_pred_parse(v[5]);
    if (!num_in(v[0], 2, DIFF_MAX_TRAIN_STEPS, 1, &T) || !num_in(v[2], 1e-12, 0.999999, 0, &b0) ||
        !num_in(v[3], 1e-12, 0.999999, 0, &b1) || b1 < b0 || !num_in(v[4], 0, 1, 1, &z) || betas < 0 || pred < 0)
        return mosa_fail(MOSA_ERR_FORMAT,
                         "t2v schedule '%s': want T in [2, %d], betas scaled_linear|linear, 0 < beta0 <= beta1 < 1, "
                         "zero_snr 0|1, pred eps|v|flow",
                         s, DIFF_MAX_TRAIN_STEPS);
    cfg->T = (int)T, cfg->betas = (diff_betas)betas, cfg->beta0 = b0, cfg->beta1 = b1, cfg->zero_snr = (int)z;
    cfg->pred = (diff_pred)pred;
    return MOSA_OK;
}

mosa_status t2v_size_parse(t2v_config *cfg, const char *s) {
    static const char *const keys[4] = {"W", "H", "frames", "fps"};
    char v[4][64];
    MOSA_TRY(kv_split("t2v size", s, 4, keys, v));
    double W, H, F, fps;
    if (!num_in(v[0], 1, T2V_MAX_DIM, 1, &W) || !num_in(v[1], 1, T2V_MAX_DIM, 1, &H) ||
        !num_in(v[2], 1, T2V_MAX_FRAMES, 1, &F) || !num_in(v[3], 1, 1000, 1, &fps))
        return mosa_fail(MOSA_ERR_FORMAT, "t2v size '%s': want W, H in [1, %d], frames in [1, %d], fps in [1, 1000]", s,
                         T2V_MAX_DIM, T2V_MAX_FRAMES);
    cfg->W = (int)W, cfg->H = (int)H, cfg->frames = (int)F, cfg->fps = (int)fps;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* The model                                                                                   */
/* ------------------------------------------------------------------------------------------ */

void t2v_free(t2v_model *m) {
    if (!m) return;
    if (m->enc_ok) text_encoder_free(&m->enc);
    if (m->dit) dit_free(m->dit);
    if (m->vae) vae_free(m->vae);
    text_vocab_free(m->vocab);
    params_free(&m->ps);
    ctx_free(&m->c);
    mosa_free(m);
}

/* The VAE at vae_path (config got) must make the latents the DiT was trained on (want). */
static mosa_status vae_agree(const vae_config *want, const vae_config *got, const char *vae_path) {
    const float a = want->scaling_factor, b = got->scaling_factor;
    if (want->latent_ch == got->latent_ch && vae_spatial_factor(want) == vae_spatial_factor(got) &&
        vae_temporal_factor(want) == vae_temporal_factor(got) && fabsf(a - b) <= 1e-6f * fabsf(a))
        return MOSA_OK;
    char w[512], g[512];
    vae_config_format(want, w, sizeof w);
    vae_config_format(got, g, sizeof g);
    return mosa_fail(MOSA_ERR_MISMATCH,
                     "the VAE %s (%s) is not the one the text-to-video model was trained on (%s): latent channels, "
                     "spatial/temporal factors and scaling factor must agree; pass the VAE file it was trained with",
                     vae_path, g, w);
}

mosa_status t2v_create(t2v_model **out, const t2v_config *cfg, const text_vocab *vocab, const char *vae_path,
                       uint64_t seed) {
    *out = NULL;
    if (!cfg || !vocab || !vae_path) return mosa_fail(MOSA_ERR_ARG, "t2v: create needs a config, a vocabulary and a VAE file");
    if (cfg->dit.text_dim != cfg->text.width)
        return mosa_fail(MOSA_ERR_MISMATCH, "t2v: the DiT reads %d-wide text features but the text encoder makes %d",
                         cfg->dit.text_dim, cfg->text.width);
    if (cfg->text.vocab != text_vocab_size(vocab))
        return mosa_fail(MOSA_ERR_MISMATCH, "t2v: the text encoder has %d vocabulary rows but the vocabulary %d words",
                         cfg->text.vocab, text_vocab_size(vocab));
    if (cfg->dit.latent_ch != cfg->vae.latent_ch)
        return mosa_fail(MOSA_ERR_MISMATCH, "t2v: the DiT reads %d latent channels but the VAE config has %d",
                         cfg->dit.latent_ch, cfg->vae.latent_ch);
    if (cfg->pred == DIFF_PRED_EPS && cfg->zero_snr)
        return mosa_fail(MOSA_ERR_ARG, "t2v: zero terminal SNR needs v-prediction (eps is undefined at SNR 0)");
    t2v_model *m = mosa_calloc(1, sizeof *m);
    if (!m) return MOSA_ERR_NOMEM;
    m->cfg = *cfg;
    params_init(&m->ps);
    ctx_init(&m->c, ARENA_BYTES);
    mosa_status s;
    char *ser = NULL;
    mosa_rng r;
    rng_seed(&r, seed);
    if ((s = diff_schedule_init(&m->sched, cfg->T, cfg->betas, cfg->beta0, cfg->beta1, cfg->zero_snr, cfg->pred)) !=
        MOSA_OK)
        goto fail;
    if ((s = vae_open(&m->vae, vae_path)) != MOSA_OK) goto fail;
    if ((s = vae_agree(&cfg->vae, vae_get_config(m->vae), vae_path)) != MOSA_OK) goto fail;
    if ((s = text_vocab_serialize(vocab, &ser)) != MOSA_OK || (s = text_vocab_parse(&m->vocab, ser)) != MOSA_OK) goto fail;
    if ((s = text_encoder_init(&m->enc, &m->ps, "text_encoder", &cfg->text, &r)) != MOSA_OK) goto fail;
    m->enc_ok = 1;
    if ((s = dit_create(&m->dit, &m->ps, "transformer", &cfg->dit, &r)) != MOSA_OK) goto fail;
    if ((s = params_finalize(&m->ps)) != MOSA_OK) goto fail;
    mosa_free(ser);
    *out = m;
    return MOSA_OK;
fail:
    mosa_free(ser);
    t2v_free(m);
    return s;
}

mosa_status t2v_save(const t2v_model *m, const char *path, st_dtype dtype, const char *info) {
    char text[256], dit[512], sched[256], size[128], vae[512];
    char *voc = NULL, *lat = t2v_latents_format(&m->cfg);
    if (!lat) return MOSA_ERR_NOMEM;
    text_encoder_config_format(&m->cfg.text, text, sizeof text);
    dit_config_format(&m->cfg.dit, dit, sizeof dit);
    t2v_schedule_format(&m->cfg, sched, sizeof sched);
    t2v_size_format(&m->cfg, size, sizeof size);
    vae_config_format(&m->cfg.vae, vae, sizeof vae);
    mosa_status s = text_vocab_serialize(m->vocab, &voc);
    if (s != MOSA_OK) {
        mosa_free(lat);
        return s;
    }
    st_meta meta[9] = {{"mosa.format", T2V_FORMAT}, {"t2v.text", text}, {"t2v.dit", dit},
                       {"t2v.schedule", sched},     {"t2v.size", size}, {"t2v.vae", vae},
                       {"t2v.latents", lat},        {"t2v.vocab", voc}, {"t2v.info", info ? info : ""}};
    s = st_save_params(path, &m->ps, dtype, 9, meta);
    mosa_free(voc);
    mosa_free(lat);
    return s;
}

mosa_status t2v_load(t2v_model **out, const char *path, const char *vae_path) {
    *out = NULL;
    if (!path || !vae_path) return mosa_fail(MOSA_ERR_ARG, "t2v: load needs the model file and the VAE file");
    st_file f;
    mosa_status s = st_open(&f, path);
    if (s != MOSA_OK)
        return mosa_fail_context(s, "cannot load the text-to-video model (get the shipped one with ./setup.sh, or train "
                                    "one with mosa train t2v, see docs/video.md)");
    const char *fmt = st_meta_get(&f, "mosa.format");
    if (!fmt || strcmp(fmt, T2V_FORMAT)) {
        s = mosa_fail(MOSA_ERR_MISMATCH,
                      "%s is not a text-to-video model (mosa.format is '%s', want '%s'): pass the file that `mosa train "
                      "t2v` exports (models/video/t2v.safetensors)",
                      path, fmt ? fmt : "(none)", T2V_FORMAT);
        st_close(&f);
        return s;
    }
    static const char *const keys[6] = {"t2v.text", "t2v.dit", "t2v.schedule", "t2v.size", "t2v.vae", "t2v.vocab"};
    const char *v[6];
    for (int i = 0; i < 6; i++)
        if (!(v[i] = st_meta_get(&f, keys[i]))) {
            s = mosa_fail(MOSA_ERR_FORMAT, "%s: metadata %s is missing (the file is incomplete; re-export it)", path, keys[i]);
            st_close(&f);
            return s;
        }
    t2v_config cfg = t2v_config_default(1, NULL); /* no t2v.latents (older files): mean 0, std 1 */
    text_vocab *vocab = NULL;
    const char *lat = st_meta_get(&f, "t2v.latents");
    if ((s = text_encoder_config_parse(&cfg.text, v[0])) != MOSA_OK || (s = dit_config_parse(&cfg.dit, v[1])) != MOSA_OK ||
        (s = t2v_schedule_parse(&cfg, v[2])) != MOSA_OK || (s = t2v_size_parse(&cfg, v[3])) != MOSA_OK ||
        (s = vae_config_parse(&cfg.vae, v[4])) != MOSA_OK || (lat && (s = t2v_latents_parse(&cfg, lat)) != MOSA_OK) ||
        (s = text_vocab_parse(&vocab, v[5])) != MOSA_OK) {
        st_close(&f);
        return mosa_fail_context(s == MOSA_ERR_NOMEM ? s : MOSA_ERR_FORMAT, "%s", path);
    }
    st_close(&f);
    t2v_model *m = NULL;
    s = t2v_create(&m, &cfg, vocab, vae_path, 0);
    text_vocab_free(vocab);
    if (s != MOSA_OK) return mosa_fail_context(s, "%s", path);
    if ((s = st_load_params(&m->ps, path, 1)) != MOSA_OK) {
        t2v_free(m);
        return mosa_fail_context(s, "%s does not match its own configuration", path);
    }
    for (size_t i = 0; i < m->ps.numel; i++)
        if (!isfinite(m->ps.data[i])) {
            t2v_free(m);
            return mosa_fail(MOSA_ERR_FORMAT, "%s: holds NaN or infinite weights (a diverged run?)", path);
        }
    *out = m;
    return MOSA_OK;
}

void t2v_default_size(const t2v_model *m, int *W, int *H, int *frames, int *fps) {
    if (W) *W = m->cfg.W;
    if (H) *H = m->cfg.H;
    if (frames) *frames = m->cfg.frames;
    if (fps) *fps = m->cfg.fps;
}

const video_vae *t2v_vae(const t2v_model *m) { return m->vae; }
const dit_model *t2v_dit(const t2v_model *m) { return m->dit; }
dit_model *t2v_dit_mut(t2v_model *m) { return m->dit; }
param_store *t2v_params(t2v_model *m) { return &m->ps; }
const t2v_config *t2v_get_config(const t2v_model *m) { return &m->cfg; }
text_encoder *t2v_text_encoder(t2v_model *m) { return &m->enc; }
const text_vocab *t2v_vocab(const t2v_model *m) { return m->vocab; }
const diff_schedule *t2v_schedule(const t2v_model *m) { return &m->sched; }

mosa_status t2v_set_latent_norm(t2v_model *m, const float *mean, const float *std) {
    const int C = m->cfg.vae.latent_ch;
    for (int c = 0; c < C; c++)
        if (!isfinite(mean[c]) || !(std[c] > 0.0f) || !isfinite(std[c]))
            return mosa_fail(MOSA_ERR_ARG, "t2v: latent channel %d has mean %g and std %g; want finite, std > 0", c,
                             (double)mean[c], (double)std[c]);
    memcpy(m->cfg.latent_mean, mean, sizeof(float) * (size_t)C);
    memcpy(m->cfg.latent_std, std, sizeof(float) * (size_t)C);
    return MOSA_OK;
}

tensor *t2v_encode_text(ctx *c, const t2v_model *m, const int32_t *ids, int B, int L, uint8_t *mask) {
    for (int i = 0; i < B * L; i++) mask[i] = ids[i] != TEXT_PAD;
    return text_encoder_forward(c, &m->enc, ids, B, L, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Sizes                                                                                       */
/* ------------------------------------------------------------------------------------------ */

t2v_options t2v_options_default(void) {
    t2v_options o;
    memset(&o, 0, sizeof o);
    o.steps = 30;
    o.cfg_scale = 6.0f;
    return o;
}

static int grid_of(const t2v_model *m) { return vae_spatial_factor(&m->cfg.vae) * m->cfg.dit.patch; }

/* Nearest multiple of g (ties up), at least g, at most the largest multiple <= T2V_MAX_DIM. */
static int round_dim(long long v, int g) {
    long long r = (v + g / 2) / g * g;
    if (r < g) r = g;
    const long long mx = (long long)T2V_MAX_DIM / g * g;
    return (int)(r > mx ? mx : r);
}

void t2v_round_size(const t2v_model *m, t2v_options *o, char *note, size_t cap) {
    if (note && cap) note[0] = 0;
    const int g = grid_of(m), tf = vae_temporal_factor(&m->cfg.vae);
    if (o->W <= 0) o->W = m->cfg.W;
    if (o->H <= 0) o->H = m->cfg.H;
    if (o->frames <= 0) o->frames = m->cfg.frames;
    size_t used = 0;
    const int W = round_dim(o->W, g), H = round_dim(o->H, g);
    if (W != o->W && note && used < cap)
        used += (size_t)snprintf(note + used, cap - used, "width %d rounded to %d: must be a multiple of %d. ", o->W, W, g);
    if (H != o->H && note && used < cap)
        used += (size_t)snprintf(note + used, cap - used, "height %d rounded to %d: must be a multiple of %d. ", o->H, H, g);
    long long k = ((long long)o->frames - 1 + tf / 2) / tf;
    if (k < 1) k = 1;
    if (k > (T2V_MAX_FRAMES - 1) / tf) k = (T2V_MAX_FRAMES - 1) / tf;
    const int F = (int)(1 + tf * k);
    if (F != o->frames && note && used < cap)
        used += (size_t)snprintf(note + used, cap - used, "%d frames rounded to %d: must be 1 + %d*k with k >= 1. ",
                                 o->frames, F, tf);
    if (note && used > 0 && used < cap) note[used - 1] = 0; /* drop the trailing space */
    o->W = W, o->H = H, o->frames = F;
}

/* Saturating size arithmetic in double (estimates only). */
static size_t clamp_bytes(double b) { return b >= 1.8e19 ? SIZE_MAX : (size_t)b; }

size_t t2v_generate_bytes(const t2v_model *m, const t2v_options *o) {
    const int W = o->W > 0 ? o->W : m->cfg.W, H = o->H > 0 ? o->H : m->cfg.H,
              T = o->frames > 0 ? o->frames : m->cfg.frames;
    if (W > T2V_MAX_DIM || H > T2V_MAX_DIM || T > T2V_MAX_FRAMES) return SIZE_MAX;
    const int sf = vae_spatial_factor(&m->cfg.vae), tf = vae_temporal_factor(&m->cfg.vae);
    const int h = H / sf, w = W / sf, F = 1 + (T > 1 ? (T - 1) / tf : 0);
    const int B = o->cfg_scale != 1.0f ? 2 : 1, Lt = m->cfg.text.max_len, C = m->cfg.dit.latent_ch;
    const double n = (double)C * F * h * w;
    const double persistent = 4.0 * (double)m->ps.numel                          /* text encoder + DiT */
                              + 4.0 * n * (2.0 * B + 2.0)                        /* latent, DiT input/output */
                              + 4.0 * (double)B * Lt * m->cfg.text.width         /* text features */
                              + (double)T * H * W * 3.0;                         /* the RGB8 result */
    const double dit = (double)dit_forward_bytes(&m->cfg.dit, B, F, h, w, Lt);
    const double dec = (double)vae_video_bytes(&m->cfg.vae, T, H, W, 0) + 4.0 * (double)T * H * W * 3.0;
    return clamp_bytes(persistent + (dit > dec ? dit : dec) + (double)ARENA_BYTES);
}

/* ------------------------------------------------------------------------------------------ */
/* Generation                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static mosa_status check_options(const t2v_model *m, const t2v_options *o) {
    const int g = grid_of(m), tf = vae_temporal_factor(&m->cfg.vae);
    if (o->W < g || o->H < g || o->W % g || o->H % g || o->W > T2V_MAX_DIM || o->H > T2V_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "t2v: size %dx%d: width and height must be multiples of %d in [%d, %d] (round "
                                       "them with t2v_round_size)",
                         o->W, o->H, g, g, T2V_MAX_DIM);
    if (o->frames < 1 + tf || (o->frames - 1) % tf || o->frames > T2V_MAX_FRAMES)
        return mosa_fail(MOSA_ERR_ARG, "t2v: %d frames: must be 1 + %d*k with k >= 1 (round with t2v_round_size)",
                         o->frames, tf);
    if (o->steps < 1 || o->steps > m->cfg.T)
        return mosa_fail(MOSA_ERR_ARG, "t2v: %d sampler steps; want 1..%d", o->steps, m->cfg.T);
    if (!(o->cfg_scale >= 0.0f && o->cfg_scale <= 100.0f))
        return mosa_fail(MOSA_ERR_ARG, "t2v: cfg scale %g; want a number in [0, 100] (1 = no guidance)", (double)o->cfg_scale);
    return MOSA_OK;
}

mosa_status t2v_generate(t2v_model *m, const char *prompt, const t2v_options *opts, size_t max_bytes, uint8_t **frames,
                         text_map_log log, void *log_user, t2v_progress progress, void *progress_user) {
    if (frames) *frames = NULL;
    if (!m || !prompt || !frames) return mosa_fail(MOSA_ERR_ARG, "t2v: generate needs a model, a prompt and an output");
    t2v_options o = opts ? *opts : t2v_options_default();
    if (o.W == 0) o.W = m->cfg.W;
    if (o.H == 0) o.H = m->cfg.H;
    if (o.frames == 0) o.frames = m->cfg.frames;
    MOSA_TRY(check_options(m, &o));
    const size_t need = t2v_generate_bytes(m, &o);
    if (max_bytes && need > max_bytes)
        return mosa_fail(MOSA_ERR_NOMEM,
                         "t2v: %dx%d with %d frames needs about %.2f GiB, more than the %.2f GiB allowed: ask for a "
                         "smaller size or fewer frames",
                         o.W, o.H, o.frames, (double)need / (1u << 30), (double)max_bytes / (1u << 30));
    const int sf = vae_spatial_factor(&m->cfg.vae), tf = vae_temporal_factor(&m->cfg.vae);
    const int h = o.H / sf, w = o.W / sf, F = 1 + (o.frames - 1) / tf, C = m->cfg.dit.latent_ch;
    const int64_t n = (int64_t)C * F * h * w;
    const int guided = o.cfg_scale != 1.0f, B = guided ? 2 : 1, Lmax = m->cfg.text.max_len,
              TW = m->cfg.text.width;
    mosa_status s = MOSA_OK;
    int32_t *ids = mosa_malloc(sizeof(int32_t) * (size_t)Lmax * 2), *ids2 = mosa_malloc(sizeof(int32_t) * (size_t)Lmax * 2);
    uint8_t *mask = mosa_malloc((size_t)Lmax * 2);
    float *tbuf = mosa_malloc(sizeof(float) * (size_t)B * Lmax * TW);
    float *x = mosa_malloc(sizeof(float) * (size_t)n), *xin = mosa_malloc(sizeof(float) * (size_t)(B * n)),
          *out = mosa_malloc(sizeof(float) * (size_t)(B * n));
    int *ts = mosa_malloc(sizeof(int) * (size_t)o.steps);
    float *video = NULL;
    uint8_t *rgb = NULL;
    ctx *c = &m->c;
    ctx_reset(c);
    const int g0 = ctx_no_grad(c);
    c->training = 0;
    if (!ids || !ids2 || !mask || !tbuf || !x || !xin || !out || !ts) { s = MOSA_ERR_NOMEM; goto done; }
    /* text: row 0 the prompt, row 1 the negative prompt (or the empty caption) */
    const int Lc = text_tokenize(m->vocab, prompt, ids, Lmax, log, log_user);
    if (Lc < 0) { s = mosa_fail_context(MOSA_ERR_ARG, "t2v: prompt"); goto done; }
    int L = Lc;
    if (guided) {
        const int Lu = text_tokenize(m->vocab, o.negative ? o.negative : "", ids + Lmax, Lmax, log, log_user);
        if (Lu < 0) { s = mosa_fail_context(MOSA_ERR_ARG, "t2v: negative prompt"); goto done; }
        if (Lu > L) L = Lu;
    }
    for (int b = 0; b < B; b++) memcpy(ids2 + b * L, ids + b * Lmax, sizeof(int32_t) * (size_t)L);
    tensor *tx = t2v_encode_text(c, m, ids2, B, L, mask);
    if (!tx) { s = mosa_fail_context(c->status ? c->status : MOSA_ERR_INTERNAL, "t2v: text encoder"); goto done; }
    t_copy_to_contiguous(tbuf, tx);
    /* the sampler (DDIM with classifier-free guidance) */
    mosa_rng r;
    rng_seed(&r, o.seed);
    diff_initial_noise(x, n, &r);
    if (diff_timesteps(&m->sched, o.steps, ts) != o.steps) { s = mosa_fail_context(MOSA_ERR_ARG, "t2v: sampler"); goto done; }
    for (int i = 0; i < o.steps; i++) {
        ctx_reset(c);
        for (int b = 0; b < B; b++) memcpy(xin + b * n, x, sizeof(float) * (size_t)n);
        const float tv[2] = {(float)ts[i], (float)ts[i]};
        tensor *xt = t_wrap(c, xin, T_SHAPE(B, C, F, h, w));
        tensor *tt = t_wrap(c, tbuf, T_SHAPE(B, L, TW));
        tensor *y = dit_forward(c, m->dit, xt, tt, mask, tv);
        if (!y || t_numel(y) != B * n) {
            s = mosa_fail(c->status ? c->status : MOSA_ERR_INTERNAL, "t2v: DiT at step %d: %s", i + 1, mosa_last_error());
            goto done;
        }
        t_copy_to_contiguous(out, y);
        if (guided) diff_cfg_combine(out, out + n, n, o.cfg_scale);
        diff_step(&m->sched, x, NULL, out, n, ts[i], i + 1 < o.steps ? ts[i + 1] : -1);
        if (progress) progress(progress_user, i + 1, o.steps + 1);
    }
    /* decode; the DiT's activations are given back first so the two peaks do not add up */
    ctx_free(c);
    ctx_init(c, ARENA_BYTES);
    ctx_no_grad(c);
    const size_t px = (size_t)o.frames * o.H * o.W * 3;
    video = mosa_malloc(sizeof(float) * px);
    rgb = mosa_malloc(px);
    if (!video || !rgb) { s = MOSA_ERR_NOMEM; goto done; }
    t2v_latents_denormalize(&m->cfg, x, (int64_t)F * h * w);
    if ((s = vae_decode_video(m->vae, x, F, h, w, 0, video)) != MOSA_OK) {
        s = mosa_fail_context(s, "t2v: VAE decoding");
        goto done;
    }
    for (size_t i = 0; i < px; i++) {
        float v = (video[i] + 1.0f) * 127.5f;
        v = !(v >= 0.0f) ? 0.0f : (v > 255.0f ? 255.0f : v); /* NaN -> 0 */
        rgb[i] = (uint8_t)lrintf(v);
    }
    if (progress) progress(progress_user, o.steps + 1, o.steps + 1);
    *frames = rgb;
    rgb = NULL;
done:
    ctx_reset(c);
    ctx_set_grad(c, g0);
    mosa_free(ids), mosa_free(ids2), mosa_free(mask), mosa_free(tbuf), mosa_free(x), mosa_free(xin), mosa_free(out);
    mosa_free(ts), mosa_free(video), mosa_free(rgb);
    return s;
}
