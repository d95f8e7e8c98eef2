/* fuzz_tflite.c: libFuzzer target for the .tflite reader (src/tflite/model.c).
 *
 * Feeds each input to tflite_model_parse as a whole file. A rejection must leave an error message
 * and an empty model. An accepted model must keep the reader's promises, checked here so that a
 * broken one aborts (a crash for libFuzzer): subgraph 0 exists; every tensor's rank is <= 8 with
 * dims >= 0 and its constant data lies inside the input; every op's tensor indices are in range
 * (inputs may be -1); decoded strides, dilations and paddings are sane; the summary printer and
 * tflite_model_unsupported_op run on it. Each tensor's data is read end to end so ASan sees any
 * byte outside the input. Build and run: docs/reliability.md. */
#include "tflite/model.h"

#include <string.h>

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tflite_model m;
    if (tflite_model_parse(&m, data, size) != MOSA_OK) {
        CHECK(mosa_last_error()[0] != 0); /* every rejection says why */
        CHECK(m.subgraphs == NULL && m.n_subgraphs == 0 && m.metadata == NULL);
        return 0;
    }
    CHECK(m.n_subgraphs >= 1 && m.subgraphs != NULL);
    unsigned sum = 0;
    for (int s = 0; s < m.n_subgraphs; s++) {
        const tflite_subgraph *g = &m.subgraphs[s];
        for (int i = 0; i < g->n_tensors; i++) {
            const tflite_tensor *t = &g->tensors[i];
            CHECK(t->name != NULL && t->rank >= 0 && t->rank <= TFLITE_MAX_RANK);
            CHECK((int)t->type >= 0 && t->type < TFLITE_TYPE_COUNT);
            for (int d = 0; d < t->rank; d++) CHECK(t->shape[d] >= 0);
            if (t->data) {
                CHECK(t->data >= data && t->data + t->data_len <= data + size);
                for (size_t b = 0; b < t->data_len; b++) sum += t->data[b];
            }
        }
        for (int i = 0; i < g->n_inputs; i++) CHECK(g->inputs[i] >= 0 && g->inputs[i] < g->n_tensors);
        for (int i = 0; i < g->n_outputs; i++) CHECK(g->outputs[i] >= 0 && g->outputs[i] < g->n_tensors);
        for (int i = 0; i < g->n_ops; i++) {
            const tflite_op *op = &g->ops[i];
            for (int k = 0; k < op->n_inputs; k++) CHECK(op->inputs[k] >= -1 && op->inputs[k] < g->n_tensors);
            for (int k = 0; k < op->n_outputs; k++) CHECK(op->outputs[k] >= 0 && op->outputs[k] < g->n_tensors);
            CHECK(op->stride_w >= 1 && op->stride_h >= 1 && op->dilation_w >= 1 && op->dilation_h >= 1);
            CHECK(op->padding == TFLITE_PADDING_SAME || op->padding == TFLITE_PADDING_VALID);
            CHECK(op->new_shape_rank >= 0 && op->new_shape_rank <= TFLITE_MAX_RANK);
            CHECK(op->code != TFLITE_OP_CUSTOM || op->custom_name != NULL);
            if (op->custom_options) CHECK(op->custom_options >= data && op->custom_options + op->custom_options_len <= data + size);
        }
    }
    for (int i = 0; i < m.n_metadata; i++) CHECK(m.metadata[i].name != NULL && m.metadata[i].buffer < (uint32_t)m.n_buffers);
    if (!devnull) devnull = fopen("/dev/null", "w");
    if (devnull) {
        tflite_model_print_summary(&m, devnull);
        fprintf(devnull, "%u\n", sum);
    }
    const char *u = tflite_model_unsupported_op(&m);
    CHECK(u == NULL || strlen(u) > 0);
    tflite_model_free(&m);
    return 0;
}
