/* mosa.c: entry point of the `mosa` command: dispatches to one subcommand per tools/cmd_*.c. */
#include "cli.h"

#include "base/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cli_command k_commands[] = {
    {"annotate", "real videos -> dataset clips: `mosa annotate VIDEO|DIR -o DATASET` (docs/annotate.md)", cmd_annotate},
    {"bench", "benchmarks: `mosa bench engine` times the tensor engine against PyTorch", cmd_bench},
    {"ckpt", "checkpoints: `mosa ckpt info FILE.safetensors` lists tensors and metadata", cmd_ckpt},
    {"dataset", "datasets: `mosa dataset synth -n N --seed S -o DIR` writes MoVid-syn, the synthetic clips", cmd_dataset},
    {"generate", "text to video: `mosa generate \"PROMPT\" --no-structure -o a.mp4` (the base model alone)", cmd_generate},
    {"eval", "metrics: `mosa eval pose-confidence VIDEO...` (MoSA App. I Pose Confidence)", cmd_eval},
    {"motion", "motions: sample procedural actions, render skeleton videos, convert BVH/npy/features", cmd_motion},
    {"train", "training the video models: `mosa train vae|t2v ...`", cmd_train},
    {"vae", "the video VAE: `mosa vae encode|decode|eval`", cmd_vae},
};
enum { N_COMMANDS = sizeof k_commands / sizeof k_commands[0] };

int cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mosa %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static void usage(FILE *f) {
    fprintf(f, "mosa %s: text to human video with structure-appearance decoupling\n\n", mosa_version());
    fprintf(f, "usage: mosa <command> [options]   (mosa <command> --help for its options)\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-8s %s\n", k_commands[i].name, k_commands[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("mosa %s\n", mosa_version());
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], k_commands[i].name)) return k_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mosa: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 1;
}

int cli_parse_i64(const char *cmd, const char *flag, const char *v, int64_t lo, int64_t hi, int64_t *out) {
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi)
        return cli_error(cmd, "%s wants an integer in [%lld, %lld], got '%s'", flag, (long long)lo, (long long)hi, v), 0;
    *out = (int64_t)x;
    return 1;
}

int cli_parse_int(const char *cmd, const char *flag, const char *v, int lo, int hi, int *out) {
    int64_t x;
    if (!cli_parse_i64(cmd, flag, v, lo, hi, &x)) return 0;
    *out = (int)x;
    return 1;
}

int cli_parse_float(const char *cmd, const char *flag, const char *v, double lo, double hi, float *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi))
        return cli_error(cmd, "%s wants a number in [%g, %g], got '%s'", flag, lo, hi, v), 0;
    *out = (float)x;
    return 1;
}

int cli_run_dir(const char *cmd, const char *out, const char *opts, int resume) {
    char runtxt[4096], state[4096], path[4096];
    snprintf(runtxt, sizeof runtxt, "%s/run.txt", out);
    snprintf(state, sizeof state, "%s/state.safetensors", out);
    if (resume) {
        FILE *f = fopen(runtxt, "r");
        if (!f) return cli_error(cmd, "--resume: no run in %s (%s missing)", out, runtxt), 0;
        char old[4096] = "";
        if (!fgets(old, sizeof old, f)) old[0] = 0;
        fclose(f);
        old[strcspn(old, "\n")] = 0;
        if (strcmp(old, opts))
            return cli_error(cmd, "--resume: the options differ from the run's\n  run:  %s\n  now:  %s", old, opts), 0;
        if (access(state, R_OK) != 0)
            return cli_error(cmd, "--resume: no checkpoint %s yet; start the run again without --resume", state), 0;
        return 1;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) return cli_error(cmd, "cannot create %s: %s", out, strerror(errno)), 0;
    if (access(state, F_OK) == 0)
        return cli_error(cmd, "%s already holds a run (state.safetensors); continue it with --resume or pick another --out",
                         out), 0;
    char line[4200];
    snprintf(line, sizeof line, "%s\n", opts);
    if (file_write_atomic(runtxt, line, strlen(line)) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error()), 0;
    snprintf(path, sizeof path, "%s/train.tsv", out);
    unlink(path);
    snprintf(path, sizeof path, "%s/eval.tsv", out);
    unlink(path);
    return 1;
}

int cli_append_line(const char *path, const char *header, const char *line) {
    const int fresh = access(path, F_OK) != 0;
    FILE *f = fopen(path, "a");
    if (!f) return 0;
    if (fresh) fputs(header, f);
    fputs(line, f);
    return fclose(f) == 0;
}
