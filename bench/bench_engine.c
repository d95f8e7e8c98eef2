/* bench_engine.c: `mosa bench engine`: the tensor engine against PyTorch, side by side.
 *
 * Times, on this machine and in one run, the same models in mosa and in PyTorch (the PyTorch
 * half is bench/bench_engine.py, started from here with the same thread count):
 *   - a DiT stack: 12 blocks (adaLN-Zero), width 384, 6 heads, 608 tokens, batch 1:
 *     inference (no grad) and a training step (forward + backward of sum(y * r));
 *   - a causal conv3d VAE decoder stage: 2 ResNet blocks at 64 channels, 33 frames, 32x32,
 *     nearest x2 spatial upsampling, a causal conv at 64x64;
 *   - the linear layers of the DiT block against raw cblas_sgemm at the same shapes;
 *   - the scratch memory of attention forward + backward at 8192 tokens, 8 heads of 64.
 * Prints a table (GFLOP/s from analytic FLOP counts) and, last, `ratio inference=X training=Y`
 * for the DiT stack (mosa's speed over PyTorch's). A benchmark, never a test. */
#include "nn/nn.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef MOSA_SOURCE_DIR
#define MOSA_SOURCE_DIR "."
#endif

typedef struct bench_opts {
    int quick, threads, reps, no_torch;
    const char *markdown;
} bench_opts;

typedef struct row {
    const char *name;
    double gflop;          /* per iteration */
    double mosa_s, torch_s; /* median seconds per iteration; <0 = not measured */
} row;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- DiT stack ---- */

typedef struct dit_stack {
    param_store ps;
    nn_dit_block *blocks;
    int depth, C, NH, T;
} dit_stack;

static mosa_status dit_build(dit_stack *m, int depth, int C, int NH, int T) {
    memset(m, 0, sizeof *m);
    m->depth = depth, m->C = C, m->NH = NH, m->T = T;
    params_init(&m->ps);
    m->blocks = mosa_calloc((size_t)depth, sizeof *m->blocks);
    if (!m->blocks) return MOSA_ERR_NOMEM;
    mosa_rng r;
    rng_seed(&r, 0);
    char name[64];
    for (int i = 0; i < depth; i++) {
        snprintf(name, sizeof name, "blocks.%d", i);
        MOSA_TRY(nn_dit_block_init(&m->blocks[i], &m->ps, name, C, NH, 4, &r));
        /* non-zero modulation so the whole block does work, as the PyTorch half does */
        rng_normal(&r, m->blocks[i].ada.w->data, (size_t)t_numel(m->blocks[i].ada.w), 0.0f, 0.02f);
    }
    return params_finalize(&m->ps);
}

static void dit_free(dit_stack *m) {
    params_free(&m->ps);
    mosa_free(m->blocks);
}

static double dit_flops(int depth, int C, int T) {
    const double lin = 2.0 * T * C * (3.0 * C + C + 4.0 * C + 4.0 * C) + 2.0 * C * 6.0 * C;
    const double att = 4.0 * T * (double)T * C;
    return depth * (lin + att);
}

static double time_median(double *ts, int n) {
    qsort(ts, (size_t)n, sizeof *ts, cmp_double);
    return ts[n / 2];
}

static mosa_status dit_run(dit_stack *m, ctx *c, int train, const float *x0, const float *cond0, const float *r) {
    ctx_reset(c);
    ctx_set_grad(c, train);
    tensor *x = t_from(c, x0, T_SHAPE(1, m->T, m->C));
    tensor *cond = t_from(c, cond0, T_SHAPE(1, m->C));
    if (!x || !cond) return c->status;
    x->requires_grad = (uint8_t)train;
    tensor *h = x;
    for (int i = 0; i < m->depth; i++) h = nn_dit_block_forward(c, &m->blocks[i], h, cond, NULL, NULL);
    if (!h) return c->status;
    if (train) {
        MOSA_TRY(ctx_backward_seed(c, h, r));
        params_zero_grad(&m->ps);
    }
    return MOSA_OK;
}

/* ---- VAE stage ---- */

typedef struct vae_stage {
    param_store ps;
    nn_resnet3d res0, res1;
    nn_causal_conv3d up;
    int F, T, H;
} vae_stage;

static mosa_status vae_build(vae_stage *v, int F, int T, int H) {
    memset(v, 0, sizeof *v);
    v->F = F, v->T = T, v->H = H;
    params_init(&v->ps);
    mosa_rng r;
    rng_seed(&r, 1);
    MOSA_TRY(nn_resnet3d_init(&v->res0, &v->ps, "res0", F, F, 32, &r));
    MOSA_TRY(nn_resnet3d_init(&v->res1, &v->ps, "res1", F, F, 32, &r));
    MOSA_TRY(nn_causal_conv3d_init(&v->up, &v->ps, "up", F, F, 3, &r));
    return params_finalize(&v->ps);
}

static double vae_flops(int F, int T, int H) {
    const double conv = 2.0 * F * F * 27.0 * T * H * H;
    return 4.0 * conv + 4.0 * conv; /* 4 convs at HxH, one at 2Hx2H (4x the pixels) */
}

static mosa_status vae_run(vae_stage *v, ctx *c, int train, const float *x0, const float *r) {
    ctx_reset(c);
    ctx_set_grad(c, train);
    tensor *x = t_from(c, x0, T_SHAPE(1, v->F, v->T, v->H, v->H));
    if (!x) return c->status;
    x->requires_grad = (uint8_t)train;
    tensor *h = nn_resnet3d_forward(c, &v->res1, nn_resnet3d_forward(c, &v->res0, x));
    const int f[3] = {1, 2, 2};
    h = nn_causal_conv3d_forward(c, &v->up, op_upsample_nearest(c, h, f), NULL);
    if (!h) return c->status;
    if (train) {
        MOSA_TRY(ctx_backward_seed(c, h, r));
        params_zero_grad(&v->ps);
    }
    return MOSA_OK;
}

/* ---- PyTorch half ---- */

static int run_torch(const bench_opts *o, row *rows, int n_rows) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=%d /usr/bin/python3 '%s/bench/bench_engine.py' --threads %d --reps %d %s 2>&1",
             o->threads, MOSA_SOURCE_DIR, o->threads, o->reps, o->quick ? "--quick" : "");
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    char line[512];
    int got = 0;
    while (fgets(line, sizeof line, p)) {
        char name[64];
        double sec;
        if (sscanf(line, "{\"name\": \"%63[^\"]\", \"seconds\": %lf}", name, &sec) == 2) {
            for (int i = 0; i < n_rows; i++)
                if (!strcmp(rows[i].name, name)) rows[i].torch_s = sec, got++;
        } else {
            fprintf(stderr, "  torch: %s", line);
        }
    }
    int rc = pclose(p);
    return rc == 0 ? got : -got - 1;
}

/* ---- linear layers vs raw sgemm ---- */

/* op_linear (forward, and forward + backward) against the raw sgemm calls it needs, at the
 * DiT block's shapes. */
static void bench_linear(FILE *out, FILE *md, int T, int reps) {
    static const int shapes[4][2] = {{384, 1152}, {384, 384}, {384, 1536}, {1536, 384}};
    ctx c;
    ctx_init(&c, 64u << 20);
    mosa_rng r;
    rng_seed(&r, 3);
    fprintf(out, "\nlinear layers inside mosa vs raw OpenBLAS sgemm at the same shapes (M=%d tokens; mosa adds the bias)\n", T);
    fprintf(out, "  %-16s %10s %10s %8s   %10s %10s %8s\n", "K -> N", "sgemm", "op_linear", "fwd", "3 sgemms",
            "fwd+bwd", "train");
    if (md)
        fprintf(md, "\n| linear K→N (M=%d) | raw sgemm GFLOP/s | op_linear fwd GFLOP/s | ratio | raw 3 sgemms GFLOP/s | "
                    "op_linear fwd+bwd GFLOP/s | ratio |\n|---|---|---|---|---|---|---|\n", T);
    for (int s = 0; s < 4; s++) {
        const int K = shapes[s][0], N = shapes[s][1];
        float *x = mosa_malloc(sizeof(float) * T * K), *w = mosa_malloc(sizeof(float) * N * K);
        float *b = mosa_malloc(sizeof(float) * N), *seed = mosa_malloc(sizeof(float) * T * N);
        float *y = mosa_malloc(sizeof(float) * T * N), *gx = mosa_malloc(sizeof(float) * T * K);
        float *gw = mosa_calloc((size_t)N * K, sizeof(float));
        rng_normal(&r, x, (size_t)T * K, 0, 1);
        rng_normal(&r, w, (size_t)N * K, 0, 0.05f);
        rng_normal(&r, b, (size_t)N, 0, 0.05f);
        rng_normal(&r, seed, (size_t)T * N, 0, 1);
        double ts_raw[48], ts_op[48], ts_raw3[48], ts_op3[48];
        const int n = reps * 3;
        for (int i = 0; i <= n; i++) { /* i == 0 warms up */
            double t0 = time_now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, N, K, 1.0f, x, K, w, K, 0.0f, y, N);
            if (i) ts_raw[i - 1] = time_now() - t0;
            ctx_reset(&c);
            ctx_set_grad(&c, 0);
            tensor *tx = t_wrap(&c, x, T_SHAPE(T, K)), *tw = t_wrap(&c, w, T_SHAPE(N, K)), *tb = t_wrap(&c, b, T_SHAPE(N));
            t0 = time_now();
            op_linear(&c, tx, tw, tb);
            if (i) ts_op[i - 1] = time_now() - t0;
            /* training: y = x W^T, dX = dY W, dW += dY^T X (the bias sum is extra work for mosa) */
            t0 = time_now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, N, K, 1.0f, x, K, w, K, 0.0f, y, N);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, K, N, 1.0f, seed, N, w, K, 0.0f, gx, K);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, T, 1.0f, seed, N, x, K, 1.0f, gw, K);
            if (i) ts_raw3[i - 1] = time_now() - t0;
            ctx_reset(&c);
            ctx_set_grad(&c, 1);
            tx = t_wrap(&c, x, T_SHAPE(T, K)), tw = t_wrap(&c, w, T_SHAPE(N, K)), tb = t_wrap(&c, b, T_SHAPE(N));
            tx->requires_grad = tw->requires_grad = tb->requires_grad = 1;
            t0 = time_now();
            ctx_backward_seed(&c, op_linear(&c, tx, tw, tb), seed);
            if (i) ts_op3[i - 1] = time_now() - t0;
        }
        const double fl = 2.0 * T * K * N / 1e9, raw = fl / time_median(ts_raw, n), opg = fl / time_median(ts_op, n);
        const double raw3 = 3 * fl / time_median(ts_raw3, n), op3 = 3 * fl / time_median(ts_op3, n);
        fprintf(out, "  %5d -> %-7d %8.1f G %8.1f G %7.0f%%   %8.1f G %8.1f G %7.0f%%\n", K, N, raw, opg,
                100.0 * opg / raw, raw3, op3, 100.0 * op3 / raw3);
        if (md)
            fprintf(md, "| %d→%d | %.1f | %.1f | %.0f%% | %.1f | %.1f | %.0f%% |\n", K, N, raw, opg, 100.0 * opg / raw, raw3,
                    op3, 100.0 * op3 / raw3);
        mosa_free(x), mosa_free(w), mosa_free(b), mosa_free(seed), mosa_free(y), mosa_free(gx), mosa_free(gw);
    }
    ctx_free(&c);
}

/* ---- attention memory at 8192 tokens ---- */

static void bench_attention_memory(FILE *out, FILE *md, int T) {
    const int NH = 8, D = 64;
    ctx c;
    ctx_init(&c, 256u << 20);
    mosa_rng r;
    rng_seed(&r, 4);
    tensor *q = t_randn(&c, &r, 1.0f, T_SHAPE(1, NH, T, D));
    tensor *k = t_randn(&c, &r, 1.0f, T_SHAPE(1, NH, T, D));
    tensor *v = t_randn(&c, &r, 1.0f, T_SHAPE(1, NH, T, D));
    q->requires_grad = k->requires_grad = v->requires_grad = 1;
    const size_t tb = (size_t)NH * T * D * sizeof(float);
    float *seed = mosa_malloc(tb);
    rng_normal(&r, seed, tb / sizeof(float), 0, 1);
    const size_t before = c.mem.used_total;
    c.mem.peak = before;
    double t0 = time_now();
    tensor *o = op_attention(&c, q, k, v, 0, NULL, 0.0f);
    double tf = time_now() - t0;
    t0 = time_now();
    ctx_backward_seed(&c, o, seed);
    double tb_s = time_now() - t0;
    /* beyond inputs and output: subtract the output, its gradient and the 3 input gradients */
    const double extra = ((double)c.mem.peak - (double)before - 5.0 * (double)tb) / (1 << 20);
    const double fl = 4.0 * NH * (double)T * T * D;
    fprintf(out, "\nattention %d tokens, %d heads of %d: forward %.2f s (%.1f GFLOP/s), backward %.2f s; "
                 "scratch beyond inputs, output and their grads: %.2f MiB (target < 64)\n",
            T, NH, D, tf, fl / tf / 1e9, tb_s, extra);
    if (md) fprintf(md, "\nAttention forward+backward at %d tokens, %d heads of %d: forward %.2f s, backward %.2f s, "
                        "scratch beyond inputs/outputs/grads **%.2f MiB** (target < 64 MiB).\n", T, NH, D, tf, tb_s, extra);
    mosa_free(seed);
    ctx_free(&c);
}

static void print_row(FILE *out, FILE *md, const row *rw) {
    const double mg = rw->gflop / rw->mosa_s;
    if (rw->torch_s > 0) {
        const double tg = rw->gflop / rw->torch_s;
        fprintf(out, "  %-26s %8.3f s %7.1f G   %8.3f s %7.1f G   %5.2fx\n", rw->name, rw->mosa_s, mg, rw->torch_s, tg,
                rw->torch_s / rw->mosa_s);
        if (md) fprintf(md, "| %s | %.3f | %.1f | %.3f | %.1f | %.2f× |\n", rw->name, rw->mosa_s, mg, rw->torch_s, tg,
                        rw->torch_s / rw->mosa_s);
    } else {
        fprintf(out, "  %-26s %8.3f s %7.1f G   %10s %9s   %6s\n", rw->name, rw->mosa_s, mg, "-", "-", "-");
        if (md) fprintf(md, "| %s | %.3f | %.1f | - | - | - |\n", rw->name, rw->mosa_s, mg);
    }
}

int bench_engine_main(int argc, char **argv) {
    bench_opts o = {0, 2, 3, 0, NULL};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) o.quick = 1;
        else if (!strcmp(argv[i], "--no-torch")) o.no_torch = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) o.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) o.reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--markdown") && i + 1 < argc) o.markdown = argv[++i];
        else {
            fprintf(stderr, "mosa bench engine: unknown option '%s'\n"
                            "usage: mosa bench engine [--quick] [--threads N] [--reps N] [--no-torch] [--markdown FILE]\n",
                    argv[i]);
            return 1;
        }
    }
    if (o.threads < 1 || o.threads > 256 || o.reps < 1 || o.reps > 15) {
        fprintf(stderr, "mosa bench engine: --threads must be 1..256 and --reps 1..15\n");
        return 1;
    }
    mosa_set_threads(o.threads);
    FILE *md = NULL;
    if (o.markdown && !(md = fopen(o.markdown, "w"))) {
        fprintf(stderr, "mosa bench engine: cannot write '%s'\n", o.markdown);
        return 1;
    }
    const int depth = o.quick ? 2 : 12, C = 384, NH = 6, T = 608;
    const int VF = 64, VT = o.quick ? 9 : 33, VH = 32;
    row rows[4] = {{"dit_infer", dit_flops(depth, C, T) / 1e9, -1, -1},
                   {"dit_train", 3 * dit_flops(depth, C, T) / 1e9, -1, -1},
                   {"vae_infer", vae_flops(VF, VT, VH) / 1e9, -1, -1},
                   {"vae_train", 3 * vae_flops(VF, VT, VH) / 1e9, -1, -1}};
    printf("mosa bench engine: %d threads, %s\n", o.threads, o.quick ? "quick (reduced sizes)" : "full sizes");
    printf("  DiT stack: %d blocks, width %d, %d heads, %d tokens, batch 1\n", depth, C, NH, T);
    printf("  VAE stage: 2 causal ResNet3d blocks + nearest x2 + causal conv, %d channels, %d frames, %dx%d\n", VF, VT, VH, VH);
    fflush(stdout);

    /* mosa */
    mosa_rng r;
    rng_seed(&r, 7);
    dit_stack m;
    vae_stage v;
    ctx c;
    ctx_init(&c, 512u << 20);
    if (dit_build(&m, depth, C, NH, T) != MOSA_OK || vae_build(&v, VF, VT, VH) != MOSA_OK) {
        fprintf(stderr, "mosa bench engine: %s\n", mosa_last_error());
        return 1;
    }
    const size_t nx = (size_t)T * C, nv = (size_t)VF * VT * VH * VH;
    float *x0 = mosa_malloc(nx * 4), *cond0 = mosa_malloc((size_t)C * 4), *rx = mosa_malloc(nx * 4);
    float *v0 = mosa_malloc(nv * 4), *rv = mosa_malloc(nv * 4 * 4);
    rng_normal(&r, x0, nx, 0, 1);
    rng_normal(&r, cond0, (size_t)C, 0, 1);
    rng_normal(&r, rx, nx, 0, 1);
    rng_normal(&r, v0, nv, 0, 1);
    rng_normal(&r, rv, nv * 4, 0, 1);
    double ts[32];
    for (int job = 0; job < 4; job++) {
        const int train = job & 1, reps = job < 2 ? o.reps : (o.reps > 1 ? o.reps - 1 : 1);
        for (int i = 0; i <= reps; i++) { /* i == 0 is the warm-up */
            double t0 = time_now();
            mosa_status s = job < 2 ? dit_run(&m, &c, train, x0, cond0, rx) : vae_run(&v, &c, train, v0, rv);
            if (s != MOSA_OK) {
                fprintf(stderr, "mosa bench engine: %s failed: %s\n", rows[job].name, mosa_last_error());
                return 1;
            }
            if (i) ts[i - 1] = time_now() - t0;
        }
        rows[job].mosa_s = time_median(ts, reps);
    }
    ctx_free(&c);
    dit_free(&m);
    params_free(&v.ps);

    /* PyTorch */
    int have_torch = 0;
    if (!o.no_torch) {
        printf("  running the PyTorch half (bench/bench_engine.py) ...\n");
        fflush(stdout);
        int got = run_torch(&o, rows, 4);
        have_torch = got == 4;
        if (!have_torch) printf("  PyTorch half unavailable (python3-torch missing? run ./setup.sh); mosa only\n");
    }

    printf("\n  %-26s %10s %9s   %10s %9s   %6s\n", "model", "mosa", "GFLOP/s", "pytorch", "GFLOP/s", "speedup");
    if (md) {
        fprintf(md, "| benchmark | mosa s/iter | mosa GFLOP/s | PyTorch s/iter | PyTorch GFLOP/s | mosa speedup |\n");
        fprintf(md, "|---|---|---|---|---|---|\n");
    }
    for (int i = 0; i < 4; i++) print_row(stdout, md, &rows[i]);
    bench_linear(stdout, md, T, o.reps);
    bench_attention_memory(stdout, md, o.quick ? 2048 : 8192);
    if (md) fclose(md);
    mosa_free(x0), mosa_free(cond0), mosa_free(rx), mosa_free(v0), mosa_free(rv);
    if (have_torch)
        printf("ratio inference=%.2f training=%.2f\n", rows[0].torch_s / rows[0].mosa_s, rows[1].torch_s / rows[1].mosa_s);
    else
        printf("ratio inference=n/a training=n/a\n");
    return 0;
}
