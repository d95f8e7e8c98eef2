/* mosa.c: entry point of the `mosa` command: dispatches to one subcommand per tools/cmd_*.c. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
