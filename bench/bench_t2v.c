/* bench_t2v.c: `mosa bench t2v`: the default `mosa generate --no-structure` (128x128, 33 frames,
 * 30 DDIM steps with classifier-free guidance, i.e. the DiT on a batch of 2 per step, then the
 * VAE decode), timed in mosa and in PyTorch (bench/bench_t2v.py, the same DiT, text encoder and
 * VAE weights loaded from the same files into ref/ref_dit.py and ref/ref_vae.py modules) in one
 * run, on the same thread count. Measures seconds per denoising step, VAE decode seconds, the end
 * to end time and peak memory (maxrss) of `mosa generate` run as a child process exactly as a user
 * runs it, and the same quantities of the PyTorch pipeline. Uses the shipped models, or random
 * models of the default configuration written to a temporary directory when there are none
 * (the table says which). Prints a table; never a test. */
#define _GNU_SOURCE
#include "../tools/cli.h"

#include "tensor/safetensors.h"
#include "video/t2v.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROMPT "A woman in a red top runs on a gravel path in a park"

typedef struct step_times {
    double t0, last, *at; /* at[step] = time the step ended */
    int n;
} step_times;

static void on_step(void *u, int step, int total) {
    step_times *s = u;
    (void)total;
    if (step >= 1 && step <= s->n) s->at[step - 1] = time_now();
}

static int cmp_d(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

/* Random models of the default configuration in dir: vae.safetensors, t2v.safetensors. */
static mosa_status write_random_models(const char *dir, char *t2v_path, char *vae_path, size_t cap) {
    snprintf(vae_path, cap, "%s/vae.safetensors", dir);
    snprintf(t2v_path, cap, "%s/t2v.safetensors", dir);
    param_store ps;
    params_init(&ps);
    video_vae *v = NULL;
    mosa_rng r;
    rng_seed(&r, 1);
    vae_config vc = vae_config_default();
    mosa_status s = vae_create(&v, &ps, "", &vc, &r);
    if (s == MOSA_OK) s = params_finalize(&ps);
    if (s == MOSA_OK) s = vae_export(v, vae_path, 0, NULL);
    vae_free(v);
    params_free(&ps);
    if (s != MOSA_OK) return s;
    const char *texts[1] = {"a woman in a red top runs on a gravel path in a park man blue shirt walks jumps on the "
                            "grass under bright natural light"};
    text_vocab *voc = NULL;
    MOSA_TRY(text_vocab_build(&voc, texts, 1, 1, 0));
    t2v_config cfg = t2v_config_default(text_vocab_size(voc), &vc);
    t2v_model *m = NULL;
    s = t2v_create(&m, &cfg, voc, vae_path, 2);
    text_vocab_free(voc);
    if (s != MOSA_OK) return s;
    /* proj_out is zero-initialised: give the DiT a non-zero output so the sampler moves */
    param_store *tp = t2v_params(m);
    for (int i = 0; i < tp->n; i++)
        if (strstr(tp->t[i]->name, "proj_out.weight")) rng_normal(&r, tp->t[i]->data, (size_t)t_numel(tp->t[i]), 0, 0.02f);
    s = t2v_save(m, t2v_path, ST_F32, "random weights for mosa bench t2v");
    t2v_free(m);
    return s;
}

/* Runs `mosa generate` (this executable) as a user would; wall seconds and peak RSS in MiB. */
static int run_cli(const char *t2v, const char *vae, const char *out, int threads, int steps, double *wall, double *rss_mib) {
    char th[16], st[16];
    snprintf(th, sizeof th, "%d", threads);
    snprintf(st, sizeof st, "%d", steps);
    const double t0 = time_now();
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        char *argv[] = {"mosa", "generate", PROMPT, "--no-structure", "-o", (char *)out, "--model", (char *)t2v,
                        "--vae", (char *)vae, "--threads", th, "--steps", st, "-q", NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) return 0;
    *wall = time_now() - t0;
    *rss_mib = (double)ru.ru_maxrss / 1024.0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int bench_t2v_main(int argc, char **argv) {
    int threads = 2, steps = 30, no_torch = 0;
    const char *model = NULL, *vae = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--vae") && i + 1 < argc) vae = argv[++i];
        else if (!strcmp(argv[i], "--no-torch")) no_torch = 1;
        else {
            printf("usage: mosa bench t2v [--threads N] [--steps S] [--model T2V --vae VAE] [--no-torch]\n");
            return strcmp(argv[i], "--help") ? 1 : 0;
        }
    }
    if (threads < 1 || threads > 256 || steps < 1 || steps > 1000) return cli_error("bench t2v", "--threads 1..256, --steps 1..1000");
    mosa_set_threads(threads);
    char t2v_path[4096], vae_path[4096], tmp[64] = "/tmp/mosa_bench_t2v_XXXXXX", out[4200];
    const char *which = "shipped models";
    if (!mkdtemp(tmp)) return cli_error("bench t2v", "cannot create a temporary directory: %s", strerror(errno));
    if (model && vae) {
        snprintf(t2v_path, sizeof t2v_path, "%s", model);
        snprintf(vae_path, sizeof vae_path, "%s", vae);
        which = "given models";
    } else if (model_path_resolve(t2v_path, sizeof t2v_path, "video/t2v.safetensors") != MOSA_OK ||
               model_path_resolve(vae_path, sizeof vae_path, "video/vae.safetensors") != MOSA_OK) {
        if (write_random_models(tmp, t2v_path, vae_path, sizeof t2v_path) != MOSA_OK) {
            nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
            return cli_error("bench t2v", "%s", mosa_last_error());
        }
        which = "random weights, default configuration (no shipped models found)";
    }
    snprintf(out, sizeof out, "%s/bench.mp4", tmp);
    int rc = 0;
    t2v_model *m = NULL;
    if (t2v_load(&m, t2v_path, vae_path) != MOSA_OK) {
        rc = cli_error("bench t2v", "%s", mosa_last_error());
        goto done;
    }
    {
        FILE *la = fopen("/proc/loadavg", "r");
        char l[128] = "?";
        if (la) {
            if (!fgets(l, sizeof l, la)) snprintf(l, sizeof l, "?");
            fclose(la);
        }
        l[strcspn(l, "\n")] = 0;
        printf("load average at start: %s (timings are only comparable on an otherwise idle machine)\n", l);
    }
    const t2v_config *cf = t2v_get_config(m);
    char dc[512], vc[512];
    dit_config_format(&cf->dit, dc, sizeof dc);
    vae_config_format(&cf->vae, vc, sizeof vc);
    printf("text-to-video: %s\n  dit %s\n  vae %s\n  parameters: text encoder + DiT %zu\n  %dx%d, %d frames, %d steps, "
           "cfg 6 (batch 2 per step), %d threads\n",
           which, dc, vc, t2v_params(m)->numel, cf->W, cf->H, cf->frames, steps, threads);

    /* in-process breakdown */
    t2v_options o = t2v_options_default();
    o.steps = steps;
    t2v_round_size(m, &o, NULL, 0);
    const size_t est = t2v_generate_bytes(m, &o);
    step_times st = {0};
    st.n = steps;
    st.at = mosa_calloc((size_t)steps + 1, sizeof(double));
    uint8_t *rgb = NULL;
    st.t0 = time_now();
    if (!st.at || t2v_generate(m, PROMPT, &o, 0, &rgb, NULL, NULL, on_step, &st) != MOSA_OK) {
        rc = cli_error("bench t2v", "%s", mosa_last_error());
        mosa_free(st.at);
        t2v_free(m);
        goto done;
    }
    const double t_end = time_now();
    mosa_free(rgb);
    double *d = mosa_malloc(sizeof(double) * (size_t)steps);
    for (int i = 0; d && i < steps; i++) d[i] = st.at[i] - (i ? st.at[i - 1] : st.t0);
    const double first = d ? d[0] : 0;
    if (d) qsort(d + 1, (size_t)(steps - 1), sizeof(double), cmp_d);
    const double step_med = d ? (steps > 1 ? d[1 + (steps - 1) / 2] : d[0]) : 0;
    const double decode = t_end - st.at[steps - 1], inproc = t_end - st.t0;
    mosa_free(d);
    mosa_free(st.at);
    t2v_free(m);

    /* the command as a user runs it */
    double wall = 0, rss = 0;
    const int cli_ok = run_cli(t2v_path, vae_path, out, threads, steps, &wall, &rss);

    /* PyTorch */
    double pt_step = -1, pt_decode = -1, pt_e2e = -1, pt_rss = -1, pt_text = -1;
    char pt_note[512] = "";
    if (!no_torch) {
        char cmd[12000];
        snprintf(cmd, sizeof cmd,
                 "OMP_NUM_THREADS=%d /usr/bin/python3 '%s/bench/bench_t2v.py' --t2v '%s' --vae '%s' --threads %d "
                 "--steps %d 2>&1",
                 threads, MOSA_SOURCE_DIR, t2v_path, vae_path, threads, steps);
        FILE *p = popen(cmd, "r");
        char line[1024];
        while (p && fgets(line, sizeof line, p)) {
            double v;
            char name[64];
            if (sscanf(line, "{\"name\": \"%63[^\"]\", \"value\": %lf", name, &v) == 2) {
                if (!strcmp(name, "step")) pt_step = v;
                else if (!strcmp(name, "decode")) pt_decode = v;
                else if (!strcmp(name, "e2e")) pt_e2e = v;
                else if (!strcmp(name, "maxrss_mib")) pt_rss = v;
                else if (!strcmp(name, "text")) pt_text = v;
            } else if (!pt_note[0]) {
                snprintf(pt_note, sizeof pt_note, "%s", line);
                pt_note[strcspn(pt_note, "\n")] = 0;
            }
        }
        if (p) pclose(p);
    }
    (void)pt_text;
    printf("\n| | mosa (C) | PyTorch %s |\n|---|---|---|\n", no_torch ? "(skipped)" : "(same weights)");
    char b0[32] = "-", b1[32] = "-", b2[32] = "-", b3[32] = "-";
    if (pt_step >= 0) snprintf(b0, sizeof b0, "%.3f", pt_step);
    printf("| seconds per denoising step (DiT x2 + CFG + DDIM), median | %.3f | %s |\n", step_med, b0);
    if (pt_decode >= 0) snprintf(b1, sizeof b1, "%.2f", pt_decode);
    if (pt_e2e >= 0) snprintf(b2, sizeof b2, "%.2f", pt_e2e);
    if (pt_rss >= 0) snprintf(b3, sizeof b3, "%.0f", pt_rss);
    printf("| first step (arena warm-up) | %.3f | |\n", first);
    printf("| VAE decode, seconds | %.2f | %s |\n", decode, b1);
    printf("| generation in process (text + %d steps + decode), seconds | %.2f | %s |\n", steps, inproc, b2);
    if (cli_ok)
        printf("| `mosa generate --no-structure` end to end (load, generate, write mp4), seconds | %.2f | |\n"
               "| peak memory (maxrss), MiB | %.0f | %s |\n"
               "| mosa's own estimate before allocating (t2v_generate_bytes), MiB | %.0f | |\n",
               wall, rss, b3, (double)est / 1048576.0);
    else
        printf("| `mosa generate` child process failed | | |\n");
    if (!no_torch && pt_step < 0) printf("PyTorch half unavailable: %s\n", pt_note[0] ? pt_note : "no output");
    else if (!no_torch && pt_decode < 0) printf("PyTorch VAE decode not timed: %s\n", pt_note[0] ? pt_note : "?");
done:
    nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}
