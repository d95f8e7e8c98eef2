/* cmd_ckpt.c: `mosa ckpt info FILE.safetensors`: what a checkpoint holds.
 *
 * Prints one row per tensor (name, dtype, shape, bytes; sorted by name), the totals and the
 * metadata. The file is validated completely first (src/tensor/safetensors.c), so a corrupt or
 * hostile file gives "mosa ckpt: FILE: <what is wrong>" and exit status 1. Names and metadata
 * are printed with control characters escaped, so a file cannot drive the terminal. This is not
 * a converter or editor of checkpoints. */
#include "cli.h"

#include "tensor/safetensors.h"

#include <stdio.h>
#include <string.h>

#define META_VALUE_SHOWN 200 /* longer metadata values are cut unless --full */

static void usage(FILE *f) {
    fprintf(f, "usage: mosa ckpt info [--full] FILE.safetensors\n"
               "  lists the tensors (name, dtype, shape, bytes), totals and metadata of a safetensors file\n"
               "  --full   print long metadata values whole (default: first %d bytes)\n",
            META_VALUE_SHOWN);
}

/* Columns print_escaped(s, 0) takes: one per character (wide CJK characters count as one),
 * the escapes as printed. */
static int escaped_cols(const char *s) {
    int cols = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' || c == '\t') cols += 2;
        else if (c < 0x20 || c == 0x7F) cols += 4;
        else if ((c & 0xC0) != 0x80) cols++;
    }
    return cols;
}

/* Prints s with control bytes escaped; at most `max` bytes of s (0 = all), cut at a UTF-8
 * character boundary. Returns the number of columns written (see escaped_cols). */
static int print_escaped(const char *s, size_t max) {
    int cols = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (max && i >= max && (c & 0xC0) != 0x80) break;
        if (c == '\n') cols += printf("\\n");
        else if (c == '\t') cols += printf("\\t");
        else if (c < 0x20 || c == 0x7F) cols += printf("\\x%02x", c);
        else {
            putchar(c);
            if ((c & 0xC0) != 0x80) cols++;
        }
    }
    if (s[i]) cols += printf("... (%zu bytes; --full shows all)", strlen(s));
    return cols;
}

/* 1234567 -> "1,234,567" */
static const char *thousands(unsigned long long v, char *buf, size_t n) {
    char raw[32];
    int len = snprintf(raw, sizeof raw, "%llu", v);
    size_t k = 0;
    for (int i = 0; i < len && k + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0) buf[k++] = ',';
        buf[k++] = raw[i];
    }
    buf[k] = 0;
    return buf;
}

static int ckpt_info(int argc, char **argv) {
    int full = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--full")) full = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_error("ckpt", "unknown option '%s' (see mosa ckpt --help)", argv[i]);
        } else if (path) {
            return cli_error("ckpt", "give one file (got '%s' and '%s')", path, argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        usage(stderr);
        return 1;
    }

    st_file f;
    if (st_open(&f, path) != MOSA_OK) return cli_error("ckpt", "%s", mosa_last_error());

    /* column widths */
    int wname = 4, wdtype = 5, wshape = 5, wbytes = 5;
    char sb[256], nb[32];
    for (int i = 0; i < f.n_tensors; i++) {
        const st_tensor *t = &f.tensors[i];
        int ln = escaped_cols(t->name), ld = (int)strlen(st_dtype_name(t->dtype));
        int ls = (int)strlen(st_shape_str(t, sb, sizeof sb));
        int lb = (int)strlen(thousands(t->end - t->begin, nb, sizeof nb));
        if (ln > wname) wname = ln;
        if (ld > wdtype) wdtype = ld;
        if (ls > wshape) wshape = ls;
        if (lb > wbytes) wbytes = lb;
    }
    if (wname > 72) wname = 72;

    unsigned long long params = 0, bytes = 0;
    printf("%-*s  %-*s  %-*s  %*s\n", wname, "name", wdtype, "dtype", wshape, "shape", wbytes, "bytes");
    for (int i = 0; i < f.n_tensors; i++) {
        const st_tensor *t = &f.tensors[i];
        int cols = print_escaped(t->name, 0);
        printf("%*s  %-*s  %-*s  %*s\n", cols < wname ? wname - cols : 0, "", wdtype, st_dtype_name(t->dtype), wshape,
               st_shape_str(t, sb, sizeof sb), wbytes, thousands(t->end - t->begin, nb, sizeof nb));
        params += t->nelements;
        bytes += t->end - t->begin;
    }
    char tb[32], pb[32], bb[32], fb[32], hb[32];
    printf("\ntotal: %s tensor%s, %s parameters, %s bytes of data (file %s bytes, header %s bytes)\n",
           thousands((unsigned long long)f.n_tensors, tb, sizeof tb), f.n_tensors == 1 ? "" : "s",
           thousands(params, pb, sizeof pb), thousands(bytes, bb, sizeof bb), thousands(f.size, fb, sizeof fb),
           thousands(f.header_len, hb, sizeof hb));
    if (f.n_meta == 0) {
        printf("metadata: none\n");
    } else {
        printf("metadata (%d):\n", f.n_meta);
        for (int i = 0; i < f.n_meta; i++) {
            printf("  ");
            print_escaped(f.meta[i].key, 0);
            printf(": ");
            print_escaped(f.meta[i].value, full ? 0 : META_VALUE_SHOWN);
            printf("\n");
        }
    }
    st_close(&f);
    return 0;
}

int cmd_ckpt(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "info")) return ckpt_info(argc - 1, argv + 1);
    return cli_error("ckpt", "unknown subcommand '%s' (known: info)", argv[1]);
}
