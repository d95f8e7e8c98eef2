/* cmd_bench.c: `mosa bench engine` (bench/bench_engine.c) and `mosa bench render` (bench/bench_render.c). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int bench_engine_main(int argc, char **argv);
int bench_render_main(int argc, char **argv);

int cmd_bench(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: mosa bench engine [--quick] [--threads N] [--no-torch]\n"
               "  times a DiT stack and a causal conv3d VAE stage in mosa and in PyTorch, side by side\n"
               "usage: mosa bench render [--frames N] [--size WxH] [--threads N] [--supersample S] [--png PATTERN]\n"
               "  times 3D keypoints -> occlusion-aware 2D keypoints -> OpenPose skeleton frames\n");
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "engine")) return bench_engine_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "render")) return bench_render_main(argc - 1, argv + 1);
    return cli_error("bench", "unknown benchmark '%s' (known: engine, render)", argv[1]);
}
