/* cli.h: the subcommands of the `mosa` command. Each lives in its own tools/cmd_*.c file and is
 * listed in the table in tools/mosa.c. Subcommands print and return an exit code; the library
 * below them never prints or exits. */
#ifndef MOSA_CLI_H
#define MOSA_CLI_H

#include "mosa.h"

typedef struct cli_command {
    const char *name;   /* "bench", "ckpt", ... */
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cli_command;

int cmd_annotate(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_ckpt(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_motion(int argc, char **argv);
int cmd_generate(int argc, char **argv); /* cmd_generate.c: mosa generate PROMPT --no-structure */
int cmd_vae(int argc, char **argv);      /* cmd_vae.c: mosa vae encode|decode|eval */
int cmd_train(int argc, char **argv);    /* cmd_train.c: mosa train vae|t2v */
int train_vae_main(int argc, char **argv); /* cmd_train_vae.c: mosa train vae */
int train_t2v_main(int argc, char **argv); /* cmd_train_t2v.c: mosa train t2v */
int motion_train_main(int argc, char **argv); /* cmd_motion_train.c: mosa motion train <model> */
int motion_train_t2m_main(int argc, char **argv); /* cmd_motion_t2m.c: mosa motion train t2m */
int motion_generate_main(int argc, char **argv); /* cmd_motion_generate.c: mosa motion generate */
int motion_eval_main(int argc, char **argv); /* cmd_motion_eval.c: mosa motion eval */
int motion_train_evaluator_main(int argc, char **argv); /* cmd_motion_eval.c: mosa motion train evaluator */
int dataset_curate_main(int argc, char **argv); /* cmd_curate.c */
int dataset_stats_main(int argc, char **argv);

/* Option values: an integer / a number in [lo, hi]. On anything else (empty, trailing text,
 * out of range, NaN) prints "mosa <cmd>: <flag> wants an integer in [lo, hi], got 'v'" and
 * returns 0; returns 1 with *out set otherwise. */
int cli_parse_i64(const char *cmd, const char *flag, const char *v, int64_t lo, int64_t hi, int64_t *out);
int cli_parse_int(const char *cmd, const char *flag, const char *v, int lo, int hi, int *out);
int cli_parse_float(const char *cmd, const char *flag, const char *v, double lo, double hi, float *out);

/* A training run directory: RUN_DIR/run.txt holds the options line `opts`. Without resume the
 * directory is created (its parent must exist), a directory already holding a checkpoint
 * (state.safetensors) is refused, run.txt is written and train.tsv/eval.tsv are removed; with
 * resume, run.txt must exist and match `opts`, and a checkpoint must exist. Prints the reason and
 * returns 0 on any problem, 1 when the run may start. */
int cli_run_dir(const char *cmd, const char *out, const char *opts, int resume);
/* Appends `line` to a TSV log, writing `header` first when the file is new; 1 on success. */
int cli_append_line(const char *path, const char *header, const char *line);

/* Prints "mosa <cmd>: <message>" and the library's last error to stderr; returns 1. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
