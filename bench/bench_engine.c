/* bench_engine.c: `mosa bench engine` (filled in with the DiT and VAE benchmarks). */
#include <stdio.h>
int bench_engine_main(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "mosa bench engine: not built yet\n");
    return 1;
}
