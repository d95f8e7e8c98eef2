/* cmd_bench.c: `mosa bench engine` (bench/bench_engine.c), `mosa bench render` (bench/bench_render.c),
 * `mosa bench pose` (bench/bench_pose.c), `mosa bench t2v` (bench/bench_t2v.c). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int bench_engine_main(int argc, char **argv);
int bench_render_main(int argc, char **argv);
int bench_t2m_main(int argc, char **argv); /* bench/bench_t2m.c */
int bench_pose_main(int argc, char **argv);
int bench_t2v_main(int argc, char **argv); /* bench/bench_t2v.c */

int cmd_bench(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: mosa bench engine [--quick] [--threads N] [--no-torch]\n"
               "  times a DiT stack and a causal conv3d VAE stage in mosa and in PyTorch, side by side\n"
               "usage: mosa bench render [--frames N] [--size WxH] [--threads N] [--supersample S] [--png PATTERN]\n"
               "  times 3D keypoints -> occlusion-aware 2D keypoints -> OpenPose skeleton frames\n"
               "usage: mosa bench t2m [--threads N] [--reps R] [--model FILE]\n"
               "  times generating 10 s of motion with the structure transformer (and one training step)\n"
               "usage: mosa bench t2v [--threads N] [--steps S] [--model T2V --vae VAE] [--no-torch]\n"
               "  times the default mosa generate --no-structure (per step, VAE decode, end to end, peak memory)\n"
               "  beside the same DiT and VAE in PyTorch\n"
               "usage: mosa bench pose [--iters N] [--threads N] [--model NAME] [--profile]\n"
               "  times the MediaPipe pose and selfie segmentation models on mosa's TFLite runner\n");
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "engine")) return bench_engine_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "render")) return bench_render_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "t2m")) return bench_t2m_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "pose")) return bench_pose_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "t2v")) return bench_t2v_main(argc - 1, argv + 1);
    return cli_error("bench", "unknown benchmark '%s' (known: engine, render, pose, t2m, t2v)", argv[1]);
}
