/* cmd_dataset.c: `mosa dataset synth`: writes MoVid-syn, the synthetic text-to-human-video
 * dataset (src/data/synth.h), in the mosa-dataset/1 format of docs/dataset.md. Resumable (clips
 * with a meta.json are kept) and parallel over clips; prints a progress line every few clips
 * and the speed in clips per minute. */
#include "cli.h"

#include "data/synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void synth_usage(FILE *f) {
    fprintf(f,
            "usage: mosa dataset synth -n N --seed S -o DIR [options]\n"
            "  renders N synthetic clips (MoVid-syn: procedural motions of 1-3 people, random bodies,\n"
            "  scenes, lights and cameras) into DIR/clips/<id>/ (docs/dataset.md); an interrupted run\n"
            "  continues where it stopped (clips with a meta.json are kept, the same seed gives the\n"
            "  same clips)\n"
            "options:\n"
            "  -n N            clips to write (default 1000)\n"
            "  --seed S        dataset seed, 0..2^53 (default 1)\n"
            "  -o DIR          output directory (required)\n"
            "  --size WxH      frame size, multiples of 8 in 32..1024 (default 128x128)\n"
            "  --frames F      frames per clip, >= 1 (default 33)\n"
            "  --fps R         frame rate, 1..120 (default 16)\n"
            "  --threads N     clips rendered at once (default: all threads; output is the same)\n"
            "  --png-frames    also write each clip's raw frames as frames/0000.png ...\n"
            "  -h, --help      this help\n");
}

typedef struct synth_cli_progress {
    double t0;
    int every;
} synth_cli_progress;

static void on_progress(void *user, int done, int total, int generated) {
    synth_cli_progress *p = user;
    if (done % p->every && done != total) return;
    double el = time_now() - p->t0;
    printf("dataset synth: %d/%d clips (%d generated), %.1f clips/min\n", done, total, generated,
           el > 0 ? 60.0 * generated / el : 0.0);
    fflush(stdout);
}

static int parse_int(const char *flag, const char *s, long lo, long hi, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        cli_error("dataset", "%s wants an integer in [%ld, %ld], got '%s'", flag, lo, hi, s);
        return 0;
    }
    *out = v;
    return 1;
}

static int dataset_synth(int argc, char **argv) {
    synth_opts o = synth_opts_default();
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            synth_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--png-frames")) {
            o.png_frames = 1;
            continue;
        }
        if (i + 1 >= argc) {
            synth_usage(stderr);
            return cli_error("dataset", "unknown option or missing value: '%s'", a);
        }
        const char *v = argv[++i];
        long n;
        if (!strcmp(a, "-n")) {
            if (!parse_int("-n", v, 1, 10000000, &n)) return 1;
            o.n = (int)n;
        } else if (!strcmp(a, "--seed")) {
            char *end;
            unsigned long long s = strtoull(v, &end, 10);
            if (end == v || *end || v[0] == '-' || s > (1ull << 53))
                return cli_error("dataset", "--seed wants an integer in [0, 2^53], got '%s'", v);
            o.seed = s;
        } else if (!strcmp(a, "-o")) {
            out = v;
        } else if (!strcmp(a, "--size")) {
            int w, h;
            char c;
            if (sscanf(v, "%dx%d%c", &w, &h, &c) != 2 || w < 32 || h < 32 || w > 1024 || h > 1024 || w % 8 || h % 8)
                return cli_error("dataset", "--size wants WxH with multiples of 8 in 32..1024, got '%s'", v);
            o.width = w, o.height = h;
        } else if (!strcmp(a, "--frames")) {
            if (!parse_int("--frames", v, 1, SYNTH_MAX_FRAMES, &n)) return 1;
            o.frames = (int)n;
        } else if (!strcmp(a, "--fps")) {
            char *end;
            double f = strtod(v, &end);
            if (end == v || *end || !(f >= 1 && f <= 120)) return cli_error("dataset", "--fps wants a number in [1, 120], got '%s'", v);
            o.fps = (float)f;
        } else if (!strcmp(a, "--threads")) {
            if (!parse_int("--threads", v, 1, 1024, &n)) return 1;
            o.threads = (int)n;
        } else {
            synth_usage(stderr);
            return cli_error("dataset", "unknown option '%s'", a);
        }
    }
    if (!out) {
        synth_usage(stderr);
        return cli_error("dataset", "synth needs an output directory: -o DIR");
    }
    if (synth_opts_check(&o) != MOSA_OK) return cli_error("dataset", "%s", mosa_last_error());
    synth_cli_progress pr = {time_now(), o.n >= 100 ? o.n / 20 : 10};
    printf("dataset synth: %d clips of %d frames %dx%d at %g fps, seed %llu -> %s\n", o.n, o.frames, o.width, o.height,
           (double)o.fps, (unsigned long long)o.seed, out);
    int gen = 0;
    mosa_status st = synth_dataset_write(out, &o, on_progress, &pr, &gen);
    double el = time_now() - pr.t0;
    if (st != MOSA_OK) return cli_error("dataset", "%s", mosa_last_error());
    printf("dataset synth: done: %d clips generated, %d kept, %.1f s, %.1f clips/min\n", gen, o.n - gen, el,
           el > 0 ? 60.0 * gen / el : 0.0);
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: mosa dataset <synth|curate|stats> ...   (each with --help)\n"
               "  synth   write MoVid-syn, the synthetic training set: synth -n N --seed S -o DIR [--size WxH] [--frames F] [--fps R]\n"
               "  curate  run the curation filters on DIR: curation.tsv (scores, reasons) and kept.txt\n"
               "  stats   print MoSA's Table 8 columns for DIR\n");
}

int cmd_dataset(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "synth")) return dataset_synth(argc - 1, argv + 1);
    if (!strcmp(argv[1], "curate")) return dataset_curate_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "stats")) return dataset_stats_main(argc - 1, argv + 1);
    usage(stderr);
    return cli_error("dataset", "unknown subcommand '%s'", argv[1]);
}
