/* cmd_ckpt.c: `mosa ckpt info FILE.safetensors`. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_ckpt(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: mosa ckpt info FILE.safetensors\n");
        return argc < 2 ? 1 : 0;
    }
    return cli_error("ckpt", "unknown subcommand '%s' (known: info)", argv[1]);
}
