/* fuzz_safetensors.c: libFuzzer target for the safetensors reader (src/tensor/safetensors.c).
 *
 * Feeds each input to st_parse as a whole file. When a file is accepted, it checks the
 * reader's promises (the tensors tile the data section exactly, each tensor's bytes lie inside
 * the input, st_find finds every name) and converts every float tensor with st_read_f32, so
 * ASan sees any read outside the input. A broken promise aborts (a crash for libFuzzer).
 * Not a test of the writer. Build and run: docs/reliability.md. */
#include "tensor/safetensors.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_file f;
    if (st_parse(&f, data, size) != MOSA_OK) {
        CHECK(mosa_last_error()[0] != 0); /* every rejection says why */
        CHECK(f.tensors == NULL && f.meta == NULL && f.n_tensors == 0);
        return 0;
    }
    CHECK(f.header_len <= ST_MAX_HEADER_BYTES && 8 + f.header_len + f.data_len == size);
    uint64_t covered = 0;
    for (int i = 0; i < f.n_tensors; i++) {
        const st_tensor *t = &f.tensors[i];
        CHECK(t->begin <= t->end && t->end <= f.data_len);
        CHECK(t->data == f.data + t->begin);
        CHECK(st_find(&f, t->name) == t);
        CHECK(i == 0 || strcmp(f.tensors[i - 1].name, t->name) < 0);
        CHECK(t->nd >= 0 && t->nd <= ST_MAX_DIMS);
        covered += t->end - t->begin;
        if (t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16) {
            /* bounded by the input size: at most size/2 elements */
            float *out = malloc(t->nelements ? (size_t)t->nelements * sizeof(float) : 1);
            CHECK(out != NULL);
            CHECK(st_read_f32(t, out) == MOSA_OK);
            free(out);
        } else {
            float dummy;
            CHECK(st_read_f32(t, &dummy) == MOSA_ERR_UNSUPPORTED);
        }
    }
    CHECK(covered == f.data_len); /* no hole, no overlap, nothing trailing */
    for (int i = 0; i < f.n_meta; i++) CHECK(st_meta_get(&f, f.meta[i].key) == f.meta[i].value);
    st_close(&f);
    return 0;
}
