/* fuzz_npy.c: libFuzzer target for the .npy reader (src/io/npy.c).
 *
 * Feeds each input to npy_parse as a whole file. When a file is accepted it checks the reader's
 * promises (the data lies inside the input and ends exactly at its end, the element count is the
 * shape's product, at most 8 dims) and converts every element with npy_array_to_f32 (and
 * npy_array_to_i64 for integer arrays), so ASan sees any read outside the input; then it encodes
 * the float32 values again and parses that, which must succeed with the same shape. A broken
 * promise aborts (a crash for libFuzzer). Build and run: docs/reliability.md. */
#include "io/npy.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    npy_array a;
    if (npy_parse(&a, data, size) != MOSA_OK) {
        CHECK(mosa_last_error()[0] != 0); /* every rejection says why */
        CHECK(a.data == NULL && a.count == 0);
        return 0;
    }
    CHECK(a.nd >= 0 && a.nd <= NPY_MAX_DIMS);
    size_t count = 1;
    for (int i = 0; i < a.nd; i++) {
        CHECK(a.shape[i] >= 0);
        count *= (size_t)a.shape[i];
    }
    CHECK(count == a.count);
    CHECK(a.data == data + a.data_offset && a.data_offset + a.count * a.itemsize == size);
    float *f = malloc(a.count ? a.count * sizeof(float) : 1); /* bounded: count <= size */
    CHECK(f != NULL);
    npy_array_to_f32(&a, f);
    if (a.dtype == NPY_I4 || a.dtype == NPY_I8 || a.dtype == NPY_U1 || a.dtype == NPY_B1) {
        int64_t *iv = malloc(a.count ? a.count * sizeof(int64_t) : 1);
        CHECK(iv != NULL);
        CHECK(npy_array_to_i64(&a, iv) == MOSA_OK);
        free(iv);
    }
    uint8_t *enc;
    size_t enc_len;
    CHECK(npy_encode(&enc, &enc_len, NPY_F4, f, a.shape, a.nd) == MOSA_OK);
    npy_array b;
    CHECK(npy_parse(&b, enc, enc_len) == MOSA_OK);
    CHECK(b.nd == a.nd && b.count == a.count && !memcmp(b.shape, a.shape, sizeof a.shape[0] * (size_t)a.nd));
    CHECK(a.count == 0 || !memcmp(b.data, f, a.count * sizeof(float)));
    mosa_free(enc);
    free(f);
    return 0;
}
