/* test_vqvae.c: the motion VQ-VAE (src/motion/vqvae.c) and its trainer (train_vqvae.c).
 *
 *   - config: defaults, format/parse round trip, bad strings refused;
 *   - shapes of encode/decode, a window that is not a multiple of 2^down_t refused;
 *   - finite-difference gradients of the encoder+decoder (input and a sample of every
 *     parameter tensor) on a tiny config;
 *   - vqvae_quantize equals the brute-force nearest code;
 *   - the codebook is initialised from the first batch, deterministically;
 *   - EMA update and dead-code reset on a hand case;
 *   - 30 training steps (train forward, AdamW, EMA update) on one fixed batch of real motion
 *     windows: the loss goes down;
 *   - a 30-step tiny run through motion_train_vqvae (corpus, windows, logs, checkpoints, eval);
 *   - bit-exact resume: stopped at step 10 and resumed == uninterrupted (losses, exported model);
 *   - export/load round trip; a model file of another config refused with a clear message;
 *   - bad options (0 steps, missing parent dir, resume without state, changed options). */
#include "motion/train_vqvae.h"
#include "tensor/optim.h"
#include "gradcheck.h"
#include "test.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static vqvae_config tiny_config(void) {
    vqvae_config c = vqvae_config_default();
    c.width = 8;
    c.depth = 2;
    c.down_t = 1;
    c.codes = 8;
    c.code_dim = 4;
    return c;
}

/* ---- config ---- */

static void test_config(void) {
    vqvae_config d = vqvae_config_default(), p;
    TEST_COND("default config as documented", d.in_dim == 263 && d.width == 128 && d.depth == 3 &&
                                                  d.dilation_growth == 3 && d.down_t == 2 && d.codes == 256 &&
                                                  d.code_dim == 128 && d.mu == 0.99f);
    char buf[256];
    vqvae_config_format(&d, buf, sizeof buf);
    TEST_COND("format starts as documented", !strncmp(buf, "in_dim=263 width=128 ", 21));
    TEST_COND("parse(format) round trip", vqvae_config_parse(&p, buf) == MOSA_OK && !memcmp(&p, &d, sizeof d));
    TEST_COND("unknown key refused", vqvae_config_parse(&p, "in_dim=263 widht=128") != MOSA_OK &&
                                         strstr(mosa_last_error(), "widht"));
    TEST_COND("missing key refused", vqvae_config_parse(&p, "in_dim=263 width=128") != MOSA_OK);
    TEST_COND("non-integer refused",
              vqvae_config_parse(&p, "in_dim=263 width=12.5 depth=3 dilation_growth=3 down_t=2 codes=256 "
                                     "code_dim=128 mu=0.99") != MOSA_OK);
    TEST_COND("absurd value refused",
              vqvae_config_parse(&p, "in_dim=263 width=128 depth=3 dilation_growth=3 down_t=2 codes=1 "
                                     "code_dim=128 mu=0.99") != MOSA_OK);
}

/* ---- shapes, gradients ---- */

typedef struct gc_user {
    vqvae *m;
    tensor *param; /* the parameter being checked, or NULL */
} gc_user;

static tensor *enc_dec(ctx *c, tensor *const *in, void *user) {
    gc_user *u = user;
    return vqvae_decode_latent(c, u->m, vqvae_encode(c, u->m, in[0]));
}

static tensor *dec_only(ctx *c, tensor *const *in, void *user) {
    gc_user *u = user;
    return vqvae_decode_latent(c, u->m, in[0]);
}

/* sum(enc_dec(x) * r) in double, for finite differences of parameters */
static double probe_loss(ctx *c, vqvae *m, const float *x, const float *r, int B, int T) {
    ctx_reset(c);
    int g = ctx_no_grad(c);
    tensor *xt = t_from(c, x, T_SHAPE(B, T, 263));
    tensor *y = vqvae_decode_latent(c, m, vqvae_encode(c, m, xt));
    double s = 0;
    for (int64_t i = 0; y && i < t_numel(y); i++) s += (double)y->data[i] * r[i];
    ctx_set_grad(c, g);
    return s;
}

static void test_shapes_and_grads(void) {
    param_store ps;
    params_init(&ps);
    vqvae *m = NULL;
    mosa_rng r;
    rng_seed(&r, 3);
    vqvae_config cfg = tiny_config();
    TEST_COND("create tiny model", vqvae_create(&m, &ps, "vq", &cfg, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    if (!m) return;
    TEST_COND("parameter names follow T2M-GPT", params_find(&ps, "vq.encoder.model.0.weight") &&
                                                    params_find(&ps, "vq.encoder.model.2.1.model.1.conv2.bias") &&
                                                    params_find(&ps, "vq.decoder.model.2.0.model.0.conv1.weight") &&
                                                    params_find(&ps, "vq.decoder.model.2.2.weight") &&
                                                    params_find(&ps, "vq.decoder.model.5.weight") &&
                                                    params_find(&ps, "vq.quantizer.codebook"));
    /* dilations: Resnet1D reversed, model.0 has growth^(depth-1) */
    TEST_COND("conv shapes", params_find(&ps, "vq.encoder.model.2.0.weight")->shape[2] == 4 &&
                                 params_find(&ps, "vq.decoder.model.5.weight")->shape[0] == 263);
    ctx c;
    ctx_init(&c, 1 << 22);
    const int B = 2, T = 8;
    tensor *x = t_randn(&c, &r, 1.0f, T_SHAPE(B, T, 263));
    tensor *z = vqvae_encode(&c, m, x);
    TEST_COND("encode shape (B, T/2, D)", z && z->nd == 3 && z->shape[0] == B && z->shape[1] == T / 2 && z->shape[2] == 4);
    int32_t codes[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    tensor *y = vqvae_decode(&c, m, codes, B, 4);
    TEST_COND("decode shape (B, N*2, 263)", y && y->shape[0] == B && y->shape[1] == 8 && y->shape[2] == 263);
    codes[3] = 99;
    TEST_COND("decode refuses an out-of-range code", vqvae_decode(&c, m, codes, B, 4) == NULL &&
                                                         strstr(mosa_last_error(), "outside"));
    ctx_reset(&c);
    tensor *x7 = t_randn(&c, &r, 1.0f, T_SHAPE(1, 7, 263));
    TEST_COND("encode refuses T not a multiple of 2^down_t",
              vqvae_encode(&c, m, x7) == NULL && strstr(mosa_last_error(), "multiple of 2"));
    ctx_reset(&c);

    gc_user u = {m, NULL};
    gc_opts go = {0};
    go.eps = 1e-3, go.atol = 1e-3, go.rtol = 2e-2, go.max_checks = 48, go.seed = 5;
    gc_input in1 = {.nd = 3, .shape = {1, 8, 263}};
    TEST_COND("gradcheck encoder+decoder wrt x", gradcheck("vqvae enc+dec", enc_dec, 1, &in1, &u, &go) == 0);
    gc_input in2 = {.nd = 3, .shape = {2, 3, 4}};
    TEST_COND("gradcheck decoder wrt latent", gradcheck("vqvae dec", dec_only, 1, &in2, &u, &go) == 0);

    /* parameters: analytic gradient of sum(y*r) against central differences, a few elements of
     * every trainable tensor (elements whose one-sided differences disagree sit on a ReLU kink
     * and are skipped) */
    const int PB = 1, PT = 8;
    float *xv = mosa_malloc(sizeof(float) * PB * PT * 263), *rv = mosa_malloc(sizeof(float) * PB * PT * 263);
    rng_normal(&r, xv, PB * PT * 263, 0, 1);
    rng_normal(&r, rv, PB * PT * 263, 0, 1);
    params_zero_grad(&ps);
    ctx_reset(&c);
    tensor *xt = t_from(&c, xv, T_SHAPE(PB, PT, 263));
    tensor *yt = vqvae_decode_latent(&c, m, vqvae_encode(&c, m, xt));
    TEST_COND("param probe forward", yt != NULL);
    if (yt) ctx_backward_seed(&c, yt, rv);
    int bad = 0, checked = 0, skipped = 0;
    for (int i = 0; i < ps.n; i++) {
        tensor *p = ps.t[i];
        if (!p->requires_grad) continue;
        for (int k = 0; k < 3; k++) {
            const int64_t e = (int64_t)rng_below(&r, (uint32_t)t_numel(p));
            const float keep = p->data[e];
            const double h = 1e-3;
            p->data[e] = keep + (float)h;
            const double lp = probe_loss(&c, m, xv, rv, PB, PT);
            p->data[e] = keep - (float)h;
            const double lm = probe_loss(&c, m, xv, rv, PB, PT);
            p->data[e] = keep;
            const double l0 = probe_loss(&c, m, xv, rv, PB, PT);
            const double num = (lp - lm) / (2 * h), fwd = (lp - l0) / h, bwd = (l0 - lm) / h;
            if (fabs(fwd - bwd) > 0.05 * (fabs(fwd) + fabs(bwd)) + 1e-2) {
                skipped++;
                continue;
            }
            const double ana = p->grad[e];
            checked++;
            if (fabs(ana - num) > 2e-2 + 2e-2 * fmax(fabs(ana), fabs(num))) {
                bad++;
                printf("  %s[%lld]: analytic %.6g numeric %.6g\n", p->name, (long long)e, ana, num);
            }
        }
    }
    printf("  parameter gradients: %d checked, %d skipped at kinks\n", checked, skipped);
    TEST_COND("parameter gradients match finite differences", bad == 0 && checked > 30);
    TEST_COND("frozen quantizer gets no gradient", params_find(&ps, "vq.quantizer.codebook")->requires_grad == 0);
    mosa_free(xv);
    mosa_free(rv);
    ctx_free(&c);
    vqvae_free(m);
    params_free(&ps);
}

/* ---- quantizer ---- */

static void test_quantize_and_ema(void) {
    param_store ps;
    params_init(&ps);
    vqvae *m = NULL;
    mosa_rng r;
    rng_seed(&r, 11);
    vqvae_config cfg = tiny_config();
    cfg.codes = 37;
    cfg.code_dim = 5;
    TEST_COND("create", vqvae_create(&m, &ps, "", &cfg, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    if (!m) return;
    tensor *cb = params_find(&ps, "quantizer.codebook");
    rng_normal(&r, cb->data, 37 * 5, 0, 1);
    float z[101 * 5];
    rng_normal(&r, z, 101 * 5, 0, 1);
    int32_t got[101], want[101];
    vqvae_quantize(m, z, 101, got);
    vq_argmin_ref(want, z, cb->data, 101, 37, 5);
    TEST_COND("quantize == brute-force nearest code", !memcmp(got, want, sizeof got));

    /* first training forward initialises the codebook from the batch, deterministically */
    TEST_COND("fresh model: codebook not initialised", !vqvae_codebook_initialized(m));
    memset(cb->data, 0, sizeof(float) * 37 * 5);
    ctx c;
    ctx_init(&c, 1 << 22);
    tensor *x = t_randn(&c, &r, 1.0f, T_SHAPE(3, 8, 263));
    vqvae_loss_stats st;
    tensor *loss = vqvae_train_forward(&c, m, x, 0.5f, 0.02f, &st);
    TEST_COND("train forward", loss && isfinite(loss->data[0]));
    TEST_COND("codebook initialised by the first batch", vqvae_codebook_initialized(m));
    TEST_COND("perplexity and used codes reported", st.perplexity >= 1.0f && st.used_codes >= 1 && st.used_codes <= 12);
    ctx_free(&c);
    vqvae_free(m);
    params_free(&ps);

    /* hand case: K 4 codes of 2 dims, mu 0.5 */
    params_init(&ps);
    cfg = tiny_config();
    cfg.codes = 4;
    cfg.code_dim = 2;
    cfg.mu = 0.5f;
    TEST_COND("create hand model", vqvae_create(&m, &ps, "", &cfg, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    float *book = params_find(&ps, "quantizer.codebook")->data;
    float *sum = params_find(&ps, "quantizer.code_sum")->data;
    float *cnt = params_find(&ps, "quantizer.code_count")->data;
    const float sum0[8] = {2, 2, 4, 0, 0, 6, 1, 1}, cnt0[4] = {2, 2, 3, 1.5f};
    memcpy(sum, sum0, sizeof sum0);
    memcpy(cnt, cnt0, sizeof cnt0);
    /* 5 encoder outputs: three to code 0, one to code 1, one to code 2, none to code 3 */
    const float zz[10] = {1, 1, 3, 1, 2, 4, 5, 5, 0, 2};
    const int32_t cc[5] = {0, 0, 0, 1, 2};
    vqvae_ema_update_from(m, zz, cc, 5, &r);
    /* counts: 0.5*cnt0 + 0.5*n = {2.5, 1.5, 2, 0.75}; sums 0.5*sum0 + 0.5*sum_k */
    TEST_COND("EMA counts", cnt[0] == 2.5f && cnt[1] == 1.5f && cnt[2] == 2.0f && cnt[3] == 0.75f);
    /* code 0: sum_k = (1+3+2, 1+1+4) = (6, 6) -> sum (4, 4) / 2.5 */
    TEST_COND("EMA sums", sum[0] == 4.0f && sum[1] == 4.0f && sum[2] == 4.5f && sum[3] == 2.5f && sum[4] == 0.0f &&
                              sum[5] == 4.0f && sum[6] == 0.5f && sum[7] == 0.5f);
    TEST_COND("live code moves to sum/count", fabsf(book[0] - 1.6f) < 1e-6f && fabsf(book[1] - 1.6f) < 1e-6f &&
                                                  fabsf(book[2] - 3.0f) < 1e-6f && fabsf(book[3] - 2.5f / 1.5f) < 1e-6f &&
                                                  book[4] == 0.0f && book[5] == 2.0f);
    /* code 3 (count 0.75 < 1) is dead: reset to one of the 5 outputs (exactly: 5 >= K) */
    int hit = 0;
    for (int i = 0; i < 5; i++) hit |= book[6] == zz[2 * i] && book[7] == zz[2 * i + 1];
    TEST_COND("dead code reset to an encoder output of the batch", hit);
    /* with fewer outputs than codes the reset adds the _tile noise (std 0.01/sqrt(D)) */
    memcpy(cnt, (float[4]){0, 0, 0, 0}, sizeof cnt0);
    vqvae_ema_update_from(m, zz, cc + 3, 2, &r); /* codes 1 and 2: counts 0.5 */
    int near = 0;
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 2; i++)
            near += fabsf(book[2 * k] - zz[2 * i]) < 0.05f && fabsf(book[2 * k + 1] - zz[2 * i + 1]) < 0.05f &&
                    !(book[2 * k] == zz[2 * i] && book[2 * k + 1] == zz[2 * i + 1]);
    TEST_COND("all dead (count < 1): every code reset near an output, with noise", near == 4);
    vqvae_free(m);
    params_free(&ps);
}

/* ---- 30 steps on one fixed batch of real motion windows: the loss must go down ---- */

static void test_overfit(void) {
    motion_corpus mc;
    motion_corpus_options co = motion_corpus_options_default(6, 3, MOTION_SPLIT_TRAIN);
    co.min_seconds = 3.0f;
    TEST_COND("corpus of 6 motions", motion_corpus_procedural(&mc, &co) == MOSA_OK);
    if (mc.n != 6) return;
    float mean[263], std[263];
    motion_corpus_mean_std(&mc, mean, std);
    enum { NB = 6, W = 32 };
    float *xb = mosa_malloc(sizeof(float) * NB * W * 263);
    for (int b = 0; b < NB; b++)
        for (int k = 0; k < W * 263; k++) xb[b * W * 263 + k] = (mc.items[b].feat[k] - mean[k % 263]) / std[k % 263];
    param_store ps;
    params_init(&ps);
    vqvae *m = NULL;
    mosa_rng r;
    rng_seed(&r, 5);
    vqvae_config cfg = tiny_config();
    cfg.width = 32;
    cfg.down_t = 2;
    cfg.codes = 16;
    cfg.code_dim = 8;
    TEST_COND("create", vqvae_create(&m, &ps, "", &cfg, &r) == MOSA_OK && params_finalize(&ps) == MOSA_OK);
    adamw opt;
    adamw_cfg ac = adamw_defaults(2e-3f);
    ac.beta2 = 0.99f;
    ac.weight_decay = 0.0f;
    adamw_init(&opt, &ps, ac);
    ctx c;
    ctx_init(&c, 1 << 22);
    float losses[30];
    for (int step = 0; step < 30; step++) {
        tensor *x = t_wrap(&c, xb, T_SHAPE(NB, W, 263));
        tensor *loss = vqvae_train_forward(&c, m, x, 0.5f, 0.02f, NULL);
        losses[step] = loss ? loss->data[0] : NAN;
        if (!loss || ctx_backward(&c, loss) != MOSA_OK) break;
        adamw_step(&opt, &ps, 2e-3f);
        params_zero_grad(&ps);
        vqvae_ema_update(m, &r);
        ctx_reset(&c);
    }
    printf("  fixed batch: loss %.4f at step 1, %.4f at step 30\n", losses[0], losses[29]);
    TEST_COND("loss on a fixed batch goes down (step 30 < 0.85 x step 1)", losses[29] < 0.85f * losses[0]);
    ctx_free(&c);
    adamw_free(&opt);
    vqvae_free(m);
    params_free(&ps);
    motion_corpus_free(&mc);
    mosa_free(xb);
}

/* ---- trainer ---- */

static char g_dir[256];

static motion_vqvae_train_opts tiny_opts(const char *sub) {
    motion_vqvae_train_opts o = motion_vqvae_train_opts_default();
    static char out[8][320];
    static int k = 0;
    char *p = out[k++ & 7];
    snprintf(p, 320, "%s/%s", g_dir, sub);
    o.out_dir = p;
    o.corpus_size = 24;
    o.test_size = 6;
    o.seed = 7;
    o.steps = 30;
    o.batch = 16;
    o.window = 16;
    o.lr = 5e-3f;
    o.lr_min = 5e-4f;
    o.warmup = 3;
    o.eval_every = 10;
    o.ckpt_every = 10;
    o.cfg.width = 24;
    o.cfg.depth = 2;
    o.cfg.codes = 16;
    o.cfg.code_dim = 8;
    return o;
}

/* Reads column 1..4 (loss, recon, vel, commit) and perplexity of train.tsv. */
static int read_losses(const char *dir, double *loss, int max) {
    char path[400], line[512];
    snprintf(path, sizeof path, "%s/train.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        if (line[0] < '0' || line[0] > '9') continue;
        long step;
        double l;
        if (sscanf(line, "%ld\t%lf", &step, &l) == 2 && step == n + 1) loss[n++] = l;
    }
    fclose(f);
    return n;
}

/* The train.tsv rows without the wall-clock column. */
static char *read_rows(const char *dir) {
    char path[400];
    snprintf(path, sizeof path, "%s/train.tsv", dir);
    uint8_t *buf = NULL;
    size_t n = 0;
    if (file_read_all(path, 1 << 24, &buf, &n) != MOSA_OK) return NULL;
    char *out = mosa_malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && buf[e] != '\n') e++;
        size_t last_tab = e;
        for (size_t j = i; j < e; j++)
            if (buf[j] == '\t') last_tab = j;
        memcpy(out + o, buf + i, last_tab - i);
        o += last_tab - i;
        out[o++] = '\n';
        i = e + 1;
    }
    out[o] = 0;
    mosa_free(buf);
    return out;
}

static int same_file(const char *a, const char *b) {
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int ok = file_read_all(a, 1 << 28, &x, &nx) == MOSA_OK && file_read_all(b, 1 << 28, &y, &ny) == MOSA_OK &&
             nx == ny && !memcmp(x, y, nx);
    mosa_free(x);
    mosa_free(y);
    return ok;
}

static void test_training(void) {
    /* 30 steps, uninterrupted */
    motion_vqvae_train_opts a = tiny_opts("a");
    mosa_status s = motion_train_vqvae(&a);
    if (s != MOSA_OK) printf("  training failed: %s\n", mosa_last_error());
    TEST_COND("30-step tiny run", s == MOSA_OK);
    double loss[64];
    int n = read_losses(a.out_dir, loss, 64);
    TEST_COND("30 finite losses logged", n == 30 && isfinite(loss[0]) && isfinite(loss[29]));
    char pa[400], pb[400];
    snprintf(pa, sizeof pa, "%s/eval.tsv", a.out_dir);
    TEST_COND("eval log written", access(pa, R_OK) == 0);

    /* the same run stopped after 10 steps, then resumed to 30 */
    motion_vqvae_train_opts b = tiny_opts("b");
    b.stop_after = 10;
    TEST_COND("run stopped at step 10", motion_train_vqvae(&b) == MOSA_OK);
    snprintf(pb, sizeof pb, "%s/vqvae.safetensors", b.out_dir);
    TEST_COND("no model exported before the end", access(pb, F_OK) != 0);
    b.stop_after = 0;
    TEST_COND("resume without --resume refused", motion_train_vqvae(&b) != MOSA_OK &&
                                                     strstr(mosa_last_error(), "--resume"));
    b.resume = 1;
    b.steps = 40;
    TEST_COND("resume with other options refused", motion_train_vqvae(&b) == MOSA_ERR_MISMATCH &&
                                                       strstr(mosa_last_error(), "options"));
    b.steps = 30;
    s = motion_train_vqvae(&b);
    if (s != MOSA_OK) printf("  resume failed: %s\n", mosa_last_error());
    TEST_COND("resume to step 30", s == MOSA_OK);
    char *ra = read_rows(a.out_dir), *rb = read_rows(b.out_dir);
    TEST_COND("resumed losses bit-identical to the uninterrupted run (all 30 rows)",
              ra && rb && !strcmp(ra, rb) && strlen(ra) > 30 * 20);
    mosa_free(ra);
    mosa_free(rb);
    snprintf(pa, sizeof pa, "%s/vqvae.safetensors", a.out_dir);
    TEST_COND("resumed model bit-identical (exported files equal)", same_file(pa, pb));
    snprintf(pa, sizeof pa, "%s/state.safetensors", a.out_dir);
    snprintf(pb, sizeof pb, "%s/state.safetensors", b.out_dir);
    TEST_COND("final training states equal", same_file(pa, pb));

    /* export / load round trip */
    snprintf(pa, sizeof pa, "%s/vqvae.safetensors", a.out_dir);
    vqvae_config fc;
    TEST_COND("file config", vqvae_file_config(pa, &fc) == MOSA_OK && fc.width == 24 && fc.codes == 16 &&
                                 fc.code_dim == 8 && fc.depth == 2);
    param_store ps;
    params_init(&ps);
    vqvae *m = NULL;
    mosa_rng r;
    rng_seed(&r, 1);
    TEST_COND("build from the file's config", vqvae_create(&m, &ps, "motion.vq", &fc, &r) == MOSA_OK &&
                                                  params_finalize(&ps) == MOSA_OK);
    float mean[263], std[263];
    s = vqvae_load(m, pa, mean, std);
    if (s != MOSA_OK) printf("  load: %s\n", mosa_last_error());
    TEST_COND("load under another prefix", s == MOSA_OK);
    st_file st;
    int same = st_open(&st, pa) == MOSA_OK;
    for (int i = 0; same && i < ps.n; i++) {
        const st_tensor *t = st_find(&st, ps.t[i]->name + strlen("motion.vq."));
        float buf[263 * 24 * 3];
        same = t && (int64_t)t->nelements == t_numel(ps.t[i]) && t->nelements <= 263 * 24 * 3 &&
               st_read_f32(t, buf) == MOSA_OK && !memcmp(buf, ps.t[i]->data, t->nelements * sizeof(float));
    }
    TEST_COND("loaded parameters equal the file", same);
    int std_ok = 1;
    for (int k = 0; k < 263; k++) std_ok &= isfinite(mean[k]) && std[k] > 0;
    TEST_COND("mean/std loaded", std_ok);
    st_close(&st);
    TEST_COND("decoded file is usable (initialised codebook)", vqvae_codebook_initialized(m));
    vqvae_free(m);
    params_free(&ps);

    /* a model of another config refuses the file, naming both configs, and changes nothing */
    params_init(&ps);
    fc.width = 16;
    vqvae_create(&m, &ps, "", &fc, &r);
    params_finalize(&ps);
    const float keep = ps.t[0]->data[0];
    s = vqvae_load(m, pa, mean, std);
    TEST_COND("mismatched config refused", s == MOSA_ERR_MISMATCH && strstr(mosa_last_error(), "width=24") &&
                                               strstr(mosa_last_error(), "width=16"));
    TEST_COND("nothing modified", ps.t[0]->data[0] == keep);
    vqvae_free(m);
    params_free(&ps);
    TEST_COND("a non-model file refused", vqvae_file_config(pb, &fc) == MOSA_ERR_FORMAT);

    /* bad options */
    motion_vqvae_train_opts e = tiny_opts("e");
    e.steps = 0;
    TEST_COND("0 steps refused", motion_train_vqvae(&e) == MOSA_ERR_ARG && strstr(mosa_last_error(), "steps"));
    e = tiny_opts("no/such/dir");
    TEST_COND("missing parent directory refused", motion_train_vqvae(&e) == MOSA_ERR_IO &&
                                                      strstr(mosa_last_error(), "no/such/dir"));
    e = tiny_opts("e");
    e.resume = 1;
    TEST_COND("resume without a state refused", motion_train_vqvae(&e) != MOSA_OK &&
                                                    strstr(mosa_last_error(), "state.safetensors"));
    e = tiny_opts("f");
    e.humanml3d = "/nonexistent/humanml3d";
    TEST_COND("missing HumanML3D directory refused", motion_train_vqvae(&e) != MOSA_OK &&
                                                         strstr(mosa_last_error(), "/nonexistent/humanml3d"));
}

static void rm_rf(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("  (could not remove %s)\n", dir);
}

int main(void) {
    mosa_set_threads(2);
    snprintf(g_dir, sizeof g_dir, "/tmp/mosa_test_vqvae_%d", (int)getpid());
    mkdir(g_dir, 0777);
    test_config();
    test_shapes_and_grads();
    test_quantize_and_ema();
    test_overfit();
    test_training();
    rm_rf(g_dir);
    return test_report();
}
