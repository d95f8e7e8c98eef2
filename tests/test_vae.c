/* test_vae.c: the causal 3D video VAE (src/video/vae.c) and its trainer (train_vae.c).
 *
 *   - config: defaults, format/parse round trip, bad strings refused; latent frame counts;
 *   - shapes and factors of the whole-clip passes; bad sizes refused with a message;
 *   - chunked encode / decode (vae_encode_video / vae_decode_video) equal the whole-clip passes
 *     to 1e-5 for several chunk sizes, including videos longer than one chunk;
 *   - causality: changing input frame t leaves encoder and decoder outputs before t unchanged;
 *   - finite-difference gradients of the training loss on a tiny model (input and parameters);
 *   - export/load round trip (scaling factor kept); a mismatched config refused naming both;
 *     a file that is not a VAE refused;
 *   - trainer: a few steps on a tiny synthetic dataset reduce the loss; stop + resume is
 *     bit-exact (logged losses and exported model); changed options refused on resume. */
#include "video/train_vae.h"
#include "data/synth.h"
#include "tensor/optim.h"
#include "gradcheck.h"
#include "test.h"
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static vae_config tiny_config(void) {
    vae_config c = vae_config_default();
    c.latent_ch = 3;
    c.levels = 3;
    c.ch[0] = 4, c.ch[1] = 8, c.ch[2] = 8, c.ch[3] = 0;
    c.layers = 1;
    c.time_levels = 2;
    c.groups = 2;
    c.scaling_factor = 1.5f;
    return c;
}

static video_vae *build(param_store *ps, const vae_config *cfg, uint64_t seed) {
    params_init(ps);
    mosa_rng r;
    rng_seed(&r, seed);
    video_vae *m = NULL;
    if (vae_create(&m, ps, "", cfg, &r) != MOSA_OK || params_finalize(ps) != MOSA_OK) return NULL;
    /* non-trivial norm affines so the tests see them */
    for (int i = 0; i < ps->n; i++) {
        tensor *t = ps->t[i];
        if (strstr(t->name, "norm")) {
            float u[512];
            const int64_t n = t_numel(t);
            rng_uniform(&r, u, (size_t)n);
            for (int64_t k = 0; k < n; k++) t->data[k] += 0.4f * (u[k] - 0.5f);
        }
    }
    return m;
}

/* ---- config ---- */

static void test_config(void) {
    vae_config d = vae_config_default(), p;
    TEST_COND("default config as documented", d.in_ch == 3 && d.latent_ch == 8 && d.levels == 4 && d.ch[0] == 32 &&
                                                  d.ch[1] == 64 && d.ch[2] == 128 && d.ch[3] == 128 &&
                                                  d.layers == 1 && d.time_levels == 2 && d.groups == 8 &&
                                                  d.scaling_factor == 1.0f && d.spatial_norm == 1);
    char buf[256];
    vae_config_format(&d, buf, sizeof buf);
    TEST_COND("format as documented", !strcmp(buf, "in_ch=3 latent_ch=8 levels=4 ch=32,64,128,128 layers=1 "
                                                    "time_levels=2 groups=8 scaling_factor=1 spatial_norm=1 linear_path=1"));
    TEST_COND("parse(format) round trip", vae_config_parse(&p, buf) == MOSA_OK && !memcmp(&p, &d, sizeof d));
    vae_config t = tiny_config();
    vae_config_format(&t, buf, sizeof buf);
    TEST_COND("tiny round trip", vae_config_parse(&p, buf) == MOSA_OK && !memcmp(&p, &t, sizeof t));
    TEST_COND("factors", vae_spatial_factor(&d) == 8 && vae_temporal_factor(&d) == 4 && vae_spatial_factor(&t) == 4);
    TEST_COND("latent frames", vae_latent_frames(&d, 33) == 9 && vae_latent_frames(&d, 1) == 1 &&
                                   vae_latent_frames(&d, 32) == 0 && vae_latent_frames(&d, 0) == 0);
    TEST_COND("unknown key refused",
              vae_config_parse(&p, "in_ch=3 latent_chh=8") != MOSA_OK && strstr(mosa_last_error(), "latent_chh"));
    TEST_COND("missing key refused", vae_config_parse(&p, "in_ch=3 latent_ch=8") != MOSA_OK);
    TEST_COND("spatial_norm absent: the plain decoder of older files",
              vae_config_parse(&p, "in_ch=3 latent_ch=8 levels=2 ch=32,64 layers=1 time_levels=1 groups=8 "
                                   "scaling_factor=1") == MOSA_OK && p.spatial_norm == 0);
    TEST_COND("spatial_norm other than 0/1 refused",
              vae_config_parse(&p, "in_ch=3 latent_ch=8 levels=2 ch=32,64 layers=1 time_levels=1 groups=8 "
                                   "scaling_factor=1 spatial_norm=2") != MOSA_OK &&
                  strstr(mosa_last_error(), "spatial_norm"));
    TEST_COND("channel count mismatch refused",
              vae_config_parse(&p, "in_ch=3 latent_ch=8 levels=4 ch=32,64,128 layers=1 time_levels=2 groups=8 "
                                   "scaling_factor=1") != MOSA_OK);
    TEST_COND("groups not dividing refused",
              vae_config_parse(&p, "in_ch=3 latent_ch=8 levels=2 ch=32,60 layers=1 time_levels=1 groups=8 "
                                   "scaling_factor=1") != MOSA_OK &&
                  strstr(mosa_last_error(), "divide"));
    TEST_COND("time_levels > levels-1 refused",
              vae_config_parse(&p, "in_ch=3 latent_ch=8 levels=2 ch=32,64 layers=1 time_levels=2 groups=8 "
                                   "scaling_factor=1") != MOSA_OK);
    TEST_COND("non-positive scale refused",
              vae_config_parse(&p, "in_ch=3 latent_ch=8 levels=2 ch=32,64 layers=1 time_levels=1 groups=8 "
                                   "scaling_factor=0") != MOSA_OK);
    TEST_COND("non-integer refused",
              vae_config_parse(&p, "in_ch=3 latent_ch=8.5 levels=2 ch=32,64 layers=1 time_levels=1 groups=8 "
                                   "scaling_factor=1") != MOSA_OK);
}

/* ---- whole-clip shapes; chunked == whole; causality ---- */

static void fill_video(float *v, int T, int H, int W, uint64_t seed) {
    mosa_rng r;
    rng_seed(&r, seed);
    rng_uniform(&r, v, (size_t)T * H * W * 3);
    for (size_t i = 0; i < (size_t)T * H * W * 3; i++) v[i] = 2.0f * v[i] - 1.0f;
}

/* (T,H,W,3) -> (1,3,T,H,W) tensor */
static tensor *video_tensor(ctx *c, const float *v, int T, int H, int W) {
    tensor *x = t_new(c, T_SHAPE(1, 3, T, H, W));
    for (int t = 0; t < T; t++)
        for (int i = 0; i < H * W; i++)
            for (int k = 0; k < 3; k++) x->data[((size_t)k * T + t) * H * W + i] = v[((size_t)t * H * W + i) * 3 + k];
    return x;
}

static void test_shapes_and_chunks(int spatial_norm) {
    vae_config cfg = tiny_config();
    cfg.spatial_norm = spatial_norm;
    printf("-- spatial_norm=%d\n", spatial_norm);
    param_store ps;
    video_vae *m = build(&ps, &cfg, 3);
    TEST_COND("build tiny", m != NULL);
    if (!m) return;
    const int T = 17, H = 8, W = 12, L = cfg.latent_ch, Tl = 5, h = 2, w = 3;
    float *v = malloc(sizeof(float) * T * H * W * 3);
    fill_video(v, T, H, W, 7);
    ctx c;
    ctx_init(&c, 1 << 22);
    ctx_no_grad(&c);
    tensor *x = video_tensor(&c, v, T, H, W);
    tensor *mom = vae_encode_moments(&c, m, x);
    TEST_COND("moments shape", mom && mom->nd == 5 && mom->shape[0] == 1 && mom->shape[1] == 2 * L &&
                                   mom->shape[2] == Tl && mom->shape[3] == h && mom->shape[4] == w);
    if (!mom) return;
    /* the whole-clip latent mean, scaled, as vae_encode_video writes it: (L,Tl,h,w) */
    float *want = malloc(sizeof(float) * L * Tl * h * w), *got = malloc(sizeof(float) * L * Tl * h * w);
    for (int i = 0; i < L * Tl * h * w; i++) want[i] = mom->data[i] * cfg.scaling_factor;
    const int chunks[3] = {4, 8, 16};
    for (int k = 0; k < 3; k++) {
        memset(got, 0, sizeof(float) * L * Tl * h * w);
        TEST_COND("chunked encode runs", vae_encode_video(m, v, T, H, W, chunks[k], NULL, got) == MOSA_OK);
        char d[80];
        snprintf(d, sizeof d, "chunked encode (chunk %d) == whole clip", chunks[k]);
        TEST_CLOSE(d, got, want, L * Tl * h * w, 1e-5, 1.0);
    }
    /* decode: the whole-clip pass of the (unscaled) means */
    tensor *z = t_new(&c, T_SHAPE(1, L, Tl, h, w));
    memcpy(z->data, mom->data, sizeof(float) * L * Tl * h * w);
    tensor *y = vae_decode(&c, m, z);
    TEST_COND("decode shape", y && y->shape[1] == 3 && y->shape[2] == T && y->shape[3] == H && y->shape[4] == W);
    float *vw = malloc(sizeof(float) * T * H * W * 3), *vg = malloc(sizeof(float) * T * H * W * 3);
    if (y)
        for (int t = 0; t < T; t++)
            for (int i = 0; i < H * W; i++)
                for (int k = 0; k < 3; k++) {
                    float e = y->data[((size_t)k * T + t) * H * W + i];
                    vw[((size_t)t * H * W + i) * 3 + k] = e < -1 ? -1 : e > 1 ? 1 : e;
                }
    const int lchunks[3] = {1, 2, 3};
    for (int k = 0; k < 3; k++) {
        TEST_COND("chunked decode runs", vae_decode_video(m, want, Tl, h, w, lchunks[k], vg) == MOSA_OK);
        char d[80];
        snprintf(d, sizeof d, "chunked decode (chunk %d latents) == whole clip", lchunks[k]);
        TEST_CLOSE(d, vg, vw, T * H * W * 3, 1e-5, 1.0);
    }
    /* a one-frame video */
    float one[3 * 2 * 3];
    TEST_COND("one-frame encode", vae_encode_video(m, v, 1, H, W, 0, NULL, one) == MOSA_OK);
    TEST_COND("one-frame decode", vae_decode_video(m, one, 1, h, w, 0, vg) == MOSA_OK);

    /* causality: change frame 9 of the input; encoder latents 0..2 (frames 0..8) and decoder
     * frames 0..8 (from latents 0..2) must not change */
    float *v2 = malloc(sizeof(float) * T * H * W * 3);
    memcpy(v2, v, sizeof(float) * T * H * W * 3);
    for (int i = 0; i < H * W * 3; i++) v2[9 * H * W * 3 + i] = -v2[9 * H * W * 3 + i];
    ctx_reset(&c);
    tensor *m1 = vae_encode_moments(&c, m, video_tensor(&c, v, T, H, W));
    tensor *m2 = vae_encode_moments(&c, m, video_tensor(&c, v2, T, H, W));
    int same_before = 1, differs_after = 0;
    for (int ch = 0; ch < 2 * L; ch++)
        for (int t = 0; t < Tl; t++)
            for (int i = 0; i < h * w; i++) {
                const size_t o = ((size_t)ch * Tl + t) * h * w + i;
                if (t <= 2) same_before &= m1->data[o] == m2->data[o];
                else differs_after |= m1->data[o] != m2->data[o];
            }
    TEST_COND("encoder: latents before the changed frame unchanged", same_before);
    TEST_COND("encoder: later latents changed", differs_after);
    tensor *z2 = t_new(&c, T_SHAPE(1, L, Tl, h, w));
    memcpy(z2->data, m1->data, sizeof(float) * L * Tl * h * w);
    for (int i = 0; i < h * w; i++) z2->data[(size_t)3 * h * w + i] += 1.0f; /* channel 0, latent 3 */
    tensor *z1 = t_new(&c, T_SHAPE(1, L, Tl, h, w));
    memcpy(z1->data, m1->data, sizeof(float) * L * Tl * h * w);
    tensor *y1 = vae_decode(&c, m, z1), *y2 = vae_decode(&c, m, z2);
    same_before = 1, differs_after = 0;
    for (int k = 0; k < 3; k++)
        for (int t = 0; t < T; t++)
            for (int i = 0; i < H * W; i++) {
                const size_t o = ((size_t)k * T + t) * H * W + i;
                if (t <= 8) same_before &= y1->data[o] == y2->data[o];
                else differs_after |= y1->data[o] != y2->data[o];
            }
    if (!same_before) {
        double md = 0;
        int mt = -1;
        for (int k = 0; k < 3; k++)
            for (int t = 0; t <= 8; t++)
                for (int i = 0; i < H * W; i++) {
                    const size_t o = ((size_t)k * T + t) * H * W + i;
                    double d = fabs(y1->data[o] - y2->data[o]);
                    if (d > md) md = d, mt = t;
                }
        printf("decoder causality: max diff %g at frame %d\n", md, mt);
    }
    TEST_COND("decoder: frames before the changed latent unchanged", same_before);
    TEST_COND("decoder: later frames changed", differs_after);

    /* bad sizes */
    ctx_reset(&c);
    TEST_COND("16 frames refused", vae_encode_video(m, v, 16, H, W, 0, NULL, got) != MOSA_OK &&
                                       strstr(mosa_last_error(), "1 + 4*k"));
    TEST_COND("width not a multiple of 4 refused", vae_encode_video(m, v, 5, H, 10, 0, NULL, got) != MOSA_OK &&
                                                       strstr(mosa_last_error(), "multiples of 4"));
    TEST_COND("chunk not a multiple of tf refused", vae_encode_video(m, v, 5, H, W, 6, NULL, got) != MOSA_OK);
    TEST_COND("0 latent frames refused", vae_decode_video(m, want, 0, h, w, 0, vg) != MOSA_OK);
    TEST_COND("whole-clip pass refuses 6 frames", vae_encode_moments(&c, m, t_zeros(&c, T_SHAPE(1, 3, 6, 8, 8))) == NULL);
    mosa_clear_error();
    TEST_COND("bytes estimate grows with size", vae_video_bytes(&cfg, 33, 128, 128, 8) > vae_video_bytes(&cfg, 33, 64, 64, 8) &&
                                                    vae_video_bytes(&cfg, 33, 64, 64, 8) > 0);

    ctx_free(&c);
    free(v), free(v2), free(want), free(got), free(vw), free(vg);
    vae_free(m);
    params_free(&ps);
}

/* ---- gradients ---- */

typedef struct gc_user {
    video_vae *m;
    uint64_t seed;
} gc_user;

static tensor *enc_dec(ctx *c, tensor *const *in, void *user) {
    gc_user *u = user;
    const int L = vae_get_config(u->m)->latent_ch;
    tensor *mom = vae_encode_moments(c, u->m, in[0]);
    return vae_decode(c, u->m, op_slice(c, mom, 1, 0, L, 1));
}

/* the training loss with the same noise every call */
static tensor *train_loss(ctx *c, tensor *const *in, void *user) {
    gc_user *u = user;
    mosa_rng r;
    rng_seed(&r, u->seed);
    return vae_train_forward(c, u->m, in[0], 0.5f, &r, NULL);
}

static void test_grads(void) {
    vae_config cfg = tiny_config();
    param_store ps;
    video_vae *m = build(&ps, &cfg, 4);
    if (!m) return;
    TEST_COND("diffusers-style names", params_find(&ps, "encoder.conv_in.conv.weight") &&
                                           params_find(&ps, "encoder.down_blocks.0.resnets.0.norm1.weight") &&
                                           params_find(&ps, "encoder.down_blocks.0.downsamplers.0.conv.weight") &&
                                           params_find(&ps, "encoder.down_blocks.1.resnets.0.conv_shortcut.weight") &&
                                           params_find(&ps, "encoder.mid_block.resnets.1.conv2.conv.bias") &&
                                           params_find(&ps, "encoder.norm_out.weight") &&
                                           params_find(&ps, "encoder.conv_out.conv.weight") &&
                                           params_find(&ps, "decoder.up_blocks.0.resnets.1.norm2.norm_layer.bias") &&
                                           params_find(&ps, "decoder.up_blocks.2.resnets.0.norm1.conv_y.conv.weight") &&
                                           params_find(&ps, "decoder.mid_block.resnets.0.norm2.conv_b.conv.bias") &&
                                           params_find(&ps, "decoder.norm_out.norm_layer.weight") &&
                                           params_find(&ps, "decoder.norm_out.conv_b.conv.weight") &&
                                           !params_find(&ps, "encoder.norm_out.conv_y.conv.weight") &&
                                           params_find(&ps, "decoder.up_blocks.1.upsamplers.0.conv.weight") &&
                                           params_find(&ps, "decoder.conv_out.conv.weight") &&
                                           !params_find(&ps, "decoder.up_blocks.2.upsamplers.0.conv.weight"));
    gc_user u = {m, 9};
    gc_opts go = {0};
    go.eps = 1e-2, go.atol = 2e-3, go.rtol = 3e-2, go.max_checks = 40, go.seed = 5;
    gc_input in = {.nd = 5, .shape = {1, 3, 5, 4, 4}};
    TEST_COND("gradcheck encoder+decoder wrt x", gradcheck("vae enc+dec", enc_dec, 1, &in, &u, &go) == 0);
    gc_input in2 = {.nd = 5, .shape = {2, 3, 5, 4, 4}};
    TEST_COND("gradcheck training loss wrt x", gradcheck("vae loss", train_loss, 1, &in2, &u, &go) == 0);
    vae_free(m);
    params_free(&ps);
}

/* A fresh spatial-norm decoder is the plain one: its z convs start at weight 0, bias 1 / 0 and
 * draw nothing from the RNG, so the same seed gives the same other weights. */
static void test_fresh_spatial_norm(void) {
    vae_config a = tiny_config(), b = tiny_config();
    b.spatial_norm = 0;
    param_store pa, pb;
    params_init(&pa), params_init(&pb);
    mosa_rng ra, rb;
    rng_seed(&ra, 21), rng_seed(&rb, 21);
    video_vae *ma = NULL, *mb = NULL;
    TEST_COND("build both", vae_create(&ma, &pa, "", &a, &ra) == MOSA_OK && params_finalize(&pa) == MOSA_OK &&
                                vae_create(&mb, &pb, "", &b, &rb) == MOSA_OK && params_finalize(&pb) == MOSA_OK);
    TEST_COND("the spatial norms add 4 tensors per norm", pa.n > pb.n && (pa.n - pb.n) % 4 == 0);
    if (!ma || !mb) return;
    const int L = a.latent_ch, Tl = 3, h = 2, w = 3, T = 9, H = 8, W = 12;
    float *z = malloc(sizeof(float) * L * Tl * h * w), *va = malloc(sizeof(float) * T * H * W * 3),
          *vb = malloc(sizeof(float) * T * H * W * 3);
    mosa_rng r;
    rng_seed(&r, 4);
    rng_normal(&r, z, (size_t)L * Tl * h * w, 0.0f, 1.0f);
    TEST_COND("decode both", vae_decode_video(ma, z, Tl, h, w, 0, va) == MOSA_OK &&
                                 vae_decode_video(mb, z, Tl, h, w, 0, vb) == MOSA_OK);
    TEST_CLOSE("fresh spatial-norm decoder == plain decoder", va, vb, T * H * W * 3, 1e-6, 1e-3);
    free(z), free(va), free(vb);
    vae_free(ma), vae_free(mb);
    params_free(&pa), params_free(&pb);
}

/* Videos whose every tf x sf x sf patch (the first frame repeated in front) lies in a
 * latent_ch-dimensional affine subspace: each group of tf frames (and the first frame) is
 * constant in time, and each sf x sf block a mix of latent_ch fixed patterns plus a mean. */
static void subspace_videos(float *v, int n, int T, int H, int W, int k, int sf, uint64_t seed) {
    mosa_rng r;
    rng_seed(&r, 77); /* the subspace: the same for every call */
    float base[8][3 * 16 * 16], mean[3 * 16 * 16];
    rng_normal(&r, mean, 3 * sf * sf, 0.0f, 0.3f);
    for (int j = 0; j < k; j++) rng_normal(&r, base[j], 3 * sf * sf, 0.0f, 0.3f);
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++)
        for (int g = 0; g <= (T - 1) / 4; g++)
            for (int by = 0; by < H / sf; by++)
                for (int bx = 0; bx < W / sf; bx++) {
                    float a[8];
                    rng_normal(&r, a, (size_t)k, 0.0f, 1.0f);
                    for (int t = g ? 1 + 4 * (g - 1) : 0; t < (g ? 1 + 4 * g : 1); t++)
                        for (int c = 0; c < 3; c++)
                            for (int dy = 0; dy < sf; dy++)
                                for (int dx = 0; dx < sf; dx++) {
                                    const int q = (c * sf + dy) * sf + dx;
                                    float val = mean[q];
                                    for (int j = 0; j < k; j++) val += a[j] * base[j][q];
                                    v[((((size_t)i * 3 + c) * T + t) * H + by * sf + dy) * W + bx * sf + dx] = val;
                                }
                }
}

/* The PCA fit of the linear path: on videos inside a latent_ch-dimensional patch subspace the
 * fitted model (network silenced by the fit) reconstructs a new such video exactly, through the
 * chunked passes. */
static void test_linear_path_fit(void) {
    vae_config cfg = tiny_config(); /* latent 3, tf 4, sf 4 */
    param_store ps;
    video_vae *m = build(&ps, &cfg, 12);
    TEST_COND("build", m != NULL);
    if (!m) return;
    const int n = 4, T = 9, H = 16, W = 16, k = cfg.latent_ch, sf = vae_spatial_factor(&cfg);
    float *train = malloc(sizeof(float) * n * 3 * T * H * W), *video = malloc(sizeof(float) * T * H * W * 3);
    float *lat = malloc(sizeof(float) * k * 3 * (H / sf) * (W / sf)), *out = malloc(sizeof(float) * T * H * W * 3);
    subspace_videos(train, n, T, H, W, k, sf, 1);
    TEST_COND("fit", vae_fit_linear_path(m, train, n, T, H, W) == MOSA_OK);
    float *one = malloc(sizeof(float) * 3 * T * H * W);
    subspace_videos(one, 1, T, H, W, k, sf, 2); /* (3,T,H,W) -> (T,H,W,3) */
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < T * H * W; i++) video[(size_t)i * 3 + c] = one[(size_t)c * T * H * W + i];
    float mx = 0;
    for (int i = 0; i < T * H * W * 3; i++) mx = fabsf(video[i]) > mx ? fabsf(video[i]) : mx;
    for (int i = 0; i < T * H * W * 3; i++) video[i] *= 0.9f / mx; /* inside [-1,1]: decode clamps */
    /* scaling the video scales the mean patch too: refit on the scaled training videos */
    for (int i = 0; i < n * 3 * T * H * W; i++) train[i] *= 0.9f / mx;
    TEST_COND("refit", vae_fit_linear_path(m, train, n, T, H, W) == MOSA_OK);
    TEST_COND("encode", vae_encode_video(m, video, T, H, W, 4, NULL, lat) == MOSA_OK);
    TEST_COND("decode", vae_decode_video(m, lat, 3, H / sf, W / sf, 1, out) == MOSA_OK);
    TEST_CLOSE("a video in the fitted patch subspace comes back exactly", out, video, T * H * W * 3, 1e-4, 1e-2);
    vae_config plain = tiny_config();
    plain.linear_path = 0;
    param_store ps2;
    video_vae *m2 = build(&ps2, &plain, 12);
    TEST_COND("fit without a linear path refused",
              m2 && vae_fit_linear_path(m2, train, n, T, H, W) != MOSA_OK && strstr(mosa_last_error(), "linear_path"));
    TEST_COND("fit on too few patches refused", vae_fit_linear_path(m, train, 1, 1, 4, 4) != MOSA_OK);
    free(train), free(video), free(lat), free(out), free(one);
    vae_free(m), vae_free(m2);
    params_free(&ps), params_free(&ps2);
}

/* ---- model file ---- */

static void test_files(const char *dir) {
    vae_config cfg = tiny_config();
    param_store ps;
    video_vae *m = build(&ps, &cfg, 5);
    if (!m) return;
    const char *path = test_path(dir, "vae.safetensors");
    st_meta meta[1] = {{"note", "test"}};
    TEST_COND("export", vae_export(m, path, 1, meta) == MOSA_OK);
    vae_config fc;
    TEST_COND("file config", vae_file_config(path, &fc) == MOSA_OK && !memcmp(&fc, &cfg, sizeof cfg));
    video_vae *m2 = NULL;
    TEST_COND("open", vae_open(&m2, path) == MOSA_OK && m2);
    if (m2) {
        TEST_COND("scaling factor kept", vae_get_config(m2)->scaling_factor == 1.5f);
        /* same outputs */
        float v[5 * 8 * 8 * 3], l1[3 * 2 * 2 * 2], l2[3 * 2 * 2 * 2];
        fill_video(v, 5, 8, 8, 3);
        TEST_COND("encode both", vae_encode_video(m, v, 5, 8, 8, 0, NULL, l1) == MOSA_OK &&
                                     vae_encode_video(m2, v, 5, 8, 8, 0, NULL, l2) == MOSA_OK);
        TEST_COND("loaded model encodes identically", !memcmp(l1, l2, sizeof l1));
        vae_free(m2);
    }
    /* another architecture is refused, naming both configs; the model is untouched */
    vae_config other = cfg;
    other.ch[2] = 16;
    param_store ps2;
    video_vae *m3 = build(&ps2, &other, 6);
    const float before = ps2.t[0]->data[0];
    TEST_COND("mismatched config refused", m3 && vae_load(m3, path) == MOSA_ERR_MISMATCH &&
                                               strstr(mosa_last_error(), "ch=4,8,8") &&
                                               strstr(mosa_last_error(), "ch=4,8,16"));
    TEST_COND("refused load leaves the model unchanged", ps2.t[0]->data[0] == before);
    vae_free(m3);
    params_free(&ps2);
    /* a safetensors file that is not a VAE */
    const char *bad = test_path(dir, "notvae.safetensors");
    TEST_COND("write a parameter file", st_save_params(bad, &ps, ST_F32, 0, NULL) == MOSA_OK);
    video_vae *m4 = NULL;
    TEST_COND("non-VAE file refused", vae_open(&m4, bad) != MOSA_OK && strstr(mosa_last_error(), "video_vae/1") && !m4);
    TEST_COND("missing file refused", vae_open(&m4, test_path(dir, "nope.safetensors")) != MOSA_OK);
    vae_free(m);
    params_free(&ps);
}

/* ---- trainer ---- */

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = calloc(1, 1 << 20);
    size_t n = fread(b, 1, (1 << 20) - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

/* train.tsv without the seconds column */
static void strip_seconds(char *s) {
    char *o = s;
    for (char *line = s; *line;) {
        char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        char *tab = end;
        while (tab > line && *tab != '\t') tab--;
        const size_t keep = (size_t)(tab > line ? tab - line : end - line);
        memmove(o, line, keep);
        o += keep;
        *o++ = '\n';
        line = *end ? end + 1 : end;
    }
    *o = 0;
}

static vae_train_opts tiny_opts(const char *data, const char *out) {
    vae_train_opts o = vae_train_opts_default();
    o.data = data;
    o.val_data = data;
    o.out_dir = out;
    o.cfg = tiny_config();
    o.cfg.scaling_factor = 1.0f;
    o.steps = 8;
    o.batch = 2;
    o.crop_w = o.crop_h = 16;
    o.crop_frames = 5;
    o.lr = 3e-3f;
    o.lr_min = 3e-3f;
    o.warmup = 0;
    o.skeleton_prob = 0.3f;
    o.mask_prob = 0.2f;
    o.eval_every = 4;
    o.eval_clips = 1;
    o.ckpt_every = 3;
    o.scale_clips = 2;
    return o;
}

static void test_trainer(const char *dir) {
    char data[512], ra[512], rb[512];
    snprintf(data, sizeof data, "%s", test_path(dir, "data"));
    snprintf(ra, sizeof ra, "%s", test_path(dir, "run_a"));
    snprintf(rb, sizeof rb, "%s", test_path(dir, "run_b"));
    synth_opts so = synth_opts_default();
    so.n = 3, so.seed = 4, so.width = 32, so.height = 32, so.frames = 9, so.fps = 8, so.threads = 1;
    TEST_COND("tiny dataset", synth_dataset_write(data, &so, NULL, NULL, NULL) == MOSA_OK);

    /* the loss goes down over 30 steps (means of the first and last 8) */
    vae_train_opts o = tiny_opts(data, NULL);
    o.steps = 30;
    vae_trainer *t = NULL;
    TEST_COND("trainer", vae_trainer_create(&t, &o) == MOSA_OK);
    if (!t) return;
    double first = 0, last = 0;
    int ok = 1;
    for (int i = 0; i < 30 && ok; i++) {
        vae_train_report r;
        ok = vae_trainer_step(t, &r) == MOSA_OK;
        if (i < 8) first += r.loss / 8;
        if (i >= 22) last += r.loss / 8;
    }
    TEST_COND("30 steps run", ok && vae_trainer_steps_done(t) == 30);
    printf("trainer: loss %.4f (steps 1-8) -> %.4f (steps 23-30)\n", first, last);
    TEST_COND("the loss goes down", last < 0.85 * first);
    vae_trainer_free(t);

    /* bit-exact resume: 8 steps at once == 4 steps, stop, resume to 8 */
    vae_train_opts oa = tiny_opts(data, ra);
    TEST_COND("uninterrupted run", vae_train(&oa) == MOSA_OK);
    vae_train_opts ob = tiny_opts(data, rb);
    ob.stop_after = 4;
    TEST_COND("interrupted run", vae_train(&ob) == MOSA_OK);
    TEST_COND("no model before the end", access(test_path(rb, "vae.safetensors"), F_OK) != 0);
    ob.stop_after = 0;
    TEST_COND("a new run over an existing one refused", vae_train(&ob) != MOSA_OK &&
                                                           strstr(mosa_last_error(), "--resume"));
    vae_train_opts changed = ob;
    changed.resume = 1;
    changed.kl_weight = 0.5f;
    TEST_COND("resume with other options refused", vae_train(&changed) == MOSA_ERR_MISMATCH);
    ob.resume = 1;
    TEST_COND("resumed run", vae_train(&ob) == MOSA_OK);
    char *ta = read_text(test_path(ra, "train.tsv")), *tb = read_text(test_path(rb, "train.tsv"));
    TEST_COND("logs exist", ta && tb);
    if (ta && tb) {
        strip_seconds(ta), strip_seconds(tb);
        TEST_COND("resumed losses == uninterrupted losses", !strcmp(ta, tb));
    }
    free(ta), free(tb);
    ta = read_text(test_path(ra, "eval.tsv")), tb = read_text(test_path(rb, "eval.tsv"));
    TEST_COND("eval logs equal", ta && tb && !strcmp(ta, tb) && strstr(ta, "\n8\t"));
    free(ta), free(tb);
    /* a dataset that grows during a run: the resume keeps the run's clips (clips.txt) */
    char rf[512], cmd[1200];
    snprintf(rf, sizeof rf, "%s", test_path(dir, "run_f"));
    vae_train_opts of = tiny_opts(data, rf);
    of.stop_after = 4;
    TEST_COND("run f, interrupted", vae_train(&of) == MOSA_OK);
    snprintf(cmd, sizeof cmd, "cp -r '%s/clips/000001' '%s/clips/000009'", data, data);
    TEST_COND("the dataset grows", system(cmd) == 0);
    of.stop_after = 0;
    of.resume = 1;
    TEST_COND("run f resumes on the grown dataset", vae_train(&of) == MOSA_OK);
    ta = read_text(test_path(ra, "train.tsv")), tb = read_text(test_path(rf, "train.tsv"));
    if (ta && tb) strip_seconds(ta), strip_seconds(tb);
    TEST_COND("and trains on the run's clips only (same losses)", ta && tb && !strcmp(ta, tb));
    free(ta), free(tb);
    vae_train_opts og = tiny_opts(data, test_path(dir, "run_g"));
    og.clip_list = test_path(dir, "nolist.txt");
    TEST_COND("a missing clip list refused", vae_train(&og) != MOSA_OK);
    snprintf(cmd, sizeof cmd, "printf '000000\\n000077\\n' > '%s'", test_path(dir, "list.txt"));
    TEST_COND("write a list", system(cmd) == 0);
    og.clip_list = test_path(dir, "list.txt");
    TEST_COND("a list naming an absent clip refused", vae_train(&og) == MOSA_ERR_MISMATCH &&
                                                         strstr(mosa_last_error(), "000077"));

    video_vae *ma = NULL, *mb = NULL;
    TEST_COND("models open", vae_open(&ma, test_path(ra, "vae.safetensors")) == MOSA_OK &&
                                 vae_open(&mb, test_path(rb, "vae.safetensors")) == MOSA_OK);
    if (ma && mb) {
        const vae_config *ga = vae_get_config(ma), *gb = vae_get_config(mb);
        TEST_COND("scaling factor measured and equal", ga->scaling_factor == gb->scaling_factor &&
                                                           ga->scaling_factor != 1.0f);
        float v[9 * 32 * 32 * 3], la[3 * 3 * 8 * 8], lb[3 * 3 * 8 * 8];
        fill_video(v, 9, 32, 32, 2);
        TEST_COND("encode", vae_encode_video(ma, v, 9, 32, 32, 0, NULL, la) == MOSA_OK &&
                                vae_encode_video(mb, v, 9, 32, 32, 0, NULL, lb) == MOSA_OK);
        TEST_COND("resumed model == uninterrupted model", !memcmp(la, lb, sizeof la));
        /* --init: a trainer that starts from the model file has its weights */
        vae_train_opts oi = tiny_opts(data, NULL);
        oi.init = test_path(ra, "vae.safetensors");
        vae_trainer *ti = NULL;
        TEST_COND("trainer from --init", vae_trainer_create(&ti, &oi) == MOSA_OK);
        if (ti) {
            TEST_COND("encode", vae_encode_video(vae_trainer_model(ti), v, 9, 32, 32, 0, NULL, lb) == MOSA_OK);
            for (size_t i = 0; i < sizeof la / sizeof la[0]; i++) lb[i] *= ga->scaling_factor;
            TEST_CLOSE("--init starts from the file's weights", lb, la, sizeof la / sizeof la[0], 1e-5, 1.0);
            vae_trainer_free(ti);
        }
        oi.init = test_path(dir, "vae.safetensors"); /* test_files' model: another config */
        oi.cfg.ch[2] = 16;
        TEST_COND("--init of another architecture refused", vae_trainer_create(&ti, &oi) == MOSA_ERR_MISMATCH);
    }
    vae_free(ma), vae_free(mb);
    vae_eval ev;
    vae_open(&ma, test_path(ra, "vae.safetensors"));
    TEST_COND("evaluate", ma && vae_evaluate_dataset(ma, data, 2, 1, &ev) == MOSA_OK && ev.clips == 2 &&
                              ev.frames == 18 && ev.psnr > 5 && ev.psnr < 60 && ev.ssim > -1 && ev.ssim <= 1 &&
                              ev.mask_iou >= 0 && ev.mask_iou <= 1);
    vae_free(ma);

    /* bad options */
    vae_train_opts bad = tiny_opts(data, test_path(dir, "run_c"));
    bad.crop_frames = 6;
    TEST_COND("crop frames not 1+4k refused", vae_train(&bad) != MOSA_OK && strstr(mosa_last_error(), "1 + 4*k"));
    bad = tiny_opts(data, test_path(dir, "run_c"));
    bad.crop_w = 18;
    TEST_COND("crop not a multiple of sf refused", vae_train(&bad) != MOSA_OK);
    bad = tiny_opts(data, test_path(dir, "run_c"));
    bad.crop_w = bad.crop_h = 64;
    TEST_COND("crop larger than the clips refused", vae_train(&bad) != MOSA_OK && strstr(mosa_last_error(), "smaller"));
    bad = tiny_opts(data, test_path(dir, "run_c"));
    bad.crop_frames = 13;
    TEST_COND("crop longer than the clips refused", vae_train(&bad) != MOSA_OK && strstr(mosa_last_error(), "fewer"));
    bad = tiny_opts(test_path(dir, "nodata"), test_path(dir, "run_d"));
    TEST_COND("missing dataset refused", vae_train(&bad) != MOSA_OK);
    bad = tiny_opts(data, test_path(dir, "no/such/dir"));
    TEST_COND("unwritable run dir refused", vae_train(&bad) != MOSA_OK);
    bad = tiny_opts(data, test_path(dir, "run_e"));
    bad.resume = 1;
    TEST_COND("resume without a state refused", vae_train(&bad) != MOSA_OK && strstr(mosa_last_error(), "resume"));
}

int main(void) {
    mosa_set_threads(2);
    char dir[] = "/tmp/test_vae_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    test_config();
    test_shapes_and_chunks(1);
    test_shapes_and_chunks(0);
    test_fresh_spatial_norm();
    test_linear_path_fit();
    test_grads();
    test_files(dir);
    test_trainer(dir);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return test_report();
}
