/* test_parity_rng.c: mosa_rng against torch's CPU generator (fixture from ref/ref_rng.py):
 * randn on both of torch's paths (16-wide Box-Muller for n >= 16 and the scalar double path with
 * its cached second sample), rand, mean/std scaling, and sequences of calls after one seed. */
#include "tensor/safetensors.h"
#include "test.h"

#include <string.h>
#include <unistd.h>

static st_file g_f;

static void check(const char *name, const float *got, size_t n) {
    const st_tensor *t = st_find(&g_f, name);
    TEST_COND(name, t && t->nelements == n);
    if (!t || t->nelements != n) return;
    float want[1000];
    st_read_f32(t, want);
    /* torch computes Box-Muller with its vectorised (Sleef) log/cos/sin, we with libm: values
     * agree to a few ulp of the inputs, i.e. about 1e-6 absolute for N(0,1) samples. */
    TEST_CLOSE(name, got, want, n, 1e-5, 1.0);
}

int main(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/rng.safetensors", MOSA_FIXTURE_DIR);
    if (access(path, R_OK) != 0) {
        printf("skipped: %s not found (ref_fixtures needs python3-torch; run ./setup.sh)\n", path);
        return 77;
    }
    TEST_COND("open fixture", st_open(&g_f, path) == MOSA_OK);
    mosa_rng r;
    float x[1000];
    rng_seed(&r, 0);
    rng_normal(&r, x, 20, 0, 1), check("seed0.randn20", x, 20);
    rng_normal(&r, x, 3, 0, 1), check("seed0.then.randn3", x, 3);
    rng_seed(&r, 42);
    rng_normal(&r, x, 1000, 0, 1), check("seed42.randn1000", x, 1000);
    rng_seed(&r, 7);
    rng_normal(&r, x, 17, 0, 1), check("seed7.randn17", x, 17);
    rng_normal(&r, x, 5, 0, 1), check("seed7.then.randn5", x, 5);
    rng_normal(&r, x, 5, 0, 1), check("seed7.then.randn5b", x, 5);
    rng_uniform(&r, x, 100), check("seed7.then.rand100", x, 100);
    rng_seed(&r, 123456789);
    rng_uniform(&r, x, 7), check("seed123456789.rand7", x, 7);
    rng_normal(&r, x, 64, 2.0f, 0.5f), check("seed123456789.then.randn64", x, 64);
    st_close(&g_f);
    return test_report();
}
