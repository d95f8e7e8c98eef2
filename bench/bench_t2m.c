/* bench_t2m.c: `mosa bench t2m`: time to generate 10 s of motion (50 tokens with classifier-free
 * guidance, key/value cache, VQ decoding, recover_from_ric, cleanup) with the shipped structure
 * transformer, or with a randomly initialised model of the default configuration when the
 * shipped file is absent (the table says which). Also times sampling without the cache, and
 * one training step (forward + backward + AdamW) of a batch of 32. Prints a table; never a test. */
#include "../tools/cli.h"

#include "motion/t2m.h"
#include "tensor/optim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int bench_t2m_main(int argc, char **argv) {
    int threads = 2, reps = 5;
    const char *model = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else {
            printf("usage: mosa bench t2m [--threads N] [--reps R] [--model FILE]\n");
            return strcmp(argv[i], "--help") ? 1 : 0;
        }
    }
    if (threads < 1 || reps < 1 || reps > 100) return cli_error("bench t2m", "--threads >= 1, --reps 1..100");
    mosa_set_threads(threads);
    char path[4096];
    t2m_model *m = NULL;
    const char *which;
    if (model) snprintf(path, sizeof path, "%s", model);
    if (model || model_path_resolve(path, sizeof path, "motion/t2m.safetensors") == MOSA_OK) {
        if (t2m_load(&m, path) != MOSA_OK) return cli_error("bench t2m", "%s", mosa_last_error());
        which = path;
    } else {
        const char *words[1] = {"a person walks forward and then jumps waves kicks turns around"};
        text_vocab *v = NULL;
        if (text_vocab_build(&v, words, 1, 1, 0) != MOSA_OK) return cli_error("bench t2m", "%s", mosa_last_error());
        t2m_config cfg = t2m_config_default(text_vocab_size(v));
        float mean[263] = {0}, std[263];
        for (int i = 0; i < 263; i++) std[i] = 0.1f;
        if (t2m_create(&m, &cfg, v, mean, std, 1) != MOSA_OK) return cli_error("bench t2m", "%s", mosa_last_error());
        text_vocab_free(v);
        which = "random weights, default config (no shipped model found)";
    }
    const t2m_config *cf = t2m_get_config(m);
    char g[256];
    t2m_gpt_config_format(&cf->gpt, g, sizeof g);
    printf("structure transformer: %s\n  gpt %s\n  parameters %zu (GPT + text encoder trainable: %zu)\n  threads %d\n", which, g,
           params_count(t2m_params(m), 0), params_count(t2m_params(m), 1), threads);

    t2m_sample_options o = t2m_sample_options_default();
    o.seconds = 10.0f;
    const char *prompt = "a person walks forward and then jumps";
    double t_gen[100], t_tok[100], t_full[100];
    for (int r = 0; r < reps; r++) {
        o.seed = (uint64_t)r;
        float *j = NULL;
        int T = 0;
        double t0 = time_now();
        if (t2m_generate(m, prompt, &o, &j, &T, NULL, NULL) != MOSA_OK) return cli_error("bench t2m", "%s", mosa_last_error());
        t_gen[r] = time_now() - t0;
        mosa_free(j);
        int32_t tok[1024];
        int n;
        t0 = time_now();
        t2m_sample_tokens(m, prompt, &o, tok, &n, 1, NULL, NULL);
        t_tok[r] = time_now() - t0;
        t0 = time_now();
        t2m_sample_tokens(m, prompt, &o, tok, &n, 0, NULL, NULL);
        t_full[r] = time_now() - t0;
    }
    qsort(t_gen, (size_t)reps, sizeof(double), cmp_d);
    qsort(t_tok, (size_t)reps, sizeof(double), cmp_d);
    qsort(t_full, (size_t)reps, sizeof(double), cmp_d);
    printf("\n| what (10 s = 200 frames, 50 tokens, CFG 3) | median s | min s |\n|---|---|---|\n");
    printf("| generate: tokens (KV cache) + decode + cleanup | %.3f | %.3f |\n", t_gen[reps / 2], t_gen[0]);
    printf("| tokens only, KV cache | %.3f | %.3f |\n", t_tok[reps / 2], t_tok[0]);
    printf("| tokens only, full recompute each step | %.3f | %.3f |\n", t_full[reps / 2], t_full[0]);

    /* one training step, batch 32, 12 words, 40 tokens */
    {
        enum { B = 32, L = 12, N = 40 };
        ctx c;
        ctx_init(&c, 64u << 20);
        adamw opt;
        adamw_init(&opt, t2m_params(m), adamw_defaults(1e-4f));
        int32_t ids[B * L], tk[B * N], tg[B * (N + 1)];
        mosa_rng r;
        rng_seed(&r, 3);
        const int V = cf->text.vocab, K = cf->gpt.codes;
        for (int i = 0; i < B * L; i++) ids[i] = 2 + (int32_t)rng_below(&r, (uint32_t)(V - 2));
        for (int i = 0; i < B * N; i++) tk[i] = (int32_t)rng_below(&r, (uint32_t)K);
        for (int i = 0; i < B * (N + 1); i++) tg[i] = (int32_t)rng_below(&r, (uint32_t)K);
        double ts[8];
        for (int s = 0; s < 4; s++) {
            double t0 = time_now();
            tensor *pooled;
            tensor *w = text_encoder_forward(&c, t2m_text_encoder(m), ids, B, L, &pooled);
            tensor *lg = t2m_gpt_forward(&c, t2m_gpt_of(m), w, pooled, NULL, NULL, tk, N);
            tensor *loss = op_cross_entropy(&c, lg, tg, K + 1);
            if (!loss || ctx_backward(&c, loss) != MOSA_OK) return cli_error("bench t2m", "%s", mosa_last_error());
            adamw_step(&opt, t2m_params(m), 1e-4f);
            params_zero_grad(t2m_params(m));
            ctx_reset(&c);
            ts[s] = time_now() - t0;
        }
        qsort(ts + 1, 3, sizeof(double), cmp_d);
        printf("| training step, batch 32 x (12 words + 40 tokens) | %.3f | %.3f |\n", ts[2], ts[1]);
        adamw_free(&opt);
        ctx_free(&c);
    }
    t2m_free(m);
    return 0;
}
