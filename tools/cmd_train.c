/* cmd_train.c: `mosa train vae|t2v ...`: dispatches to the trainer of each video model (the
 * motion models train under `mosa motion train`). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: mosa train <model> [options]   (mosa train <model> --help)\n"
               "models:\n"
               "  vae   the causal 3D video VAE on a dataset's videos (docs/video.md)\n"
               "  t2v   the text-to-video DiT on VAE latents of a dataset (docs/video.md)\n"
               "(the motion models: mosa motion train vqvae|t2m|evaluator)\n");
}

int cmd_train(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "vae")) return train_vae_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "t2v")) return train_t2v_main(argc - 1, argv + 1);
    fprintf(stderr, "mosa train: unknown model '%s'\n", argv[1]);
    usage(stderr);
    return 1;
}
