/* runner.h: an interpreter for subgraph 0 of a parsed TFLite model (src/tflite/model.h), float32
 * only, enough to run MediaPipe's pose_landmark_{lite,full,heavy} and selfie_segmentation(_landscape)
 * models end to end (CONVENTIONS.md 1.8).
 *
 * At open, the runner:
 *   - checks every op is one it implements (CONV_2D, DEPTHWISE_CONV_2D, ADD, MUL, PAD, MAX_POOL_2D,
 *     AVERAGE_POOL_2D, MEAN (axes 1,2), RESIZE_BILINEAR, RESHAPE, LOGISTIC, RELU, RELU6, HARD_SWISH,
 *     DEQUANTIZE, CONCATENATION, custom Convolution2DTransposeBias) and names the first other one
 *     in the error (MOSA_ERR_UNSUPPORTED);
 *   - infers every tensor's shape from the graph inputs and checks it against the shape the file
 *     declares, and checks operand shapes of every op (conv filter channels == input channels,
 *     bias size, broadcastable ADD/MUL, ...): a mismatch is MOSA_ERR_FORMAT naming the operator;
 *   - dequantizes FLOAT16 constants once (DEQUANTIZE of a constant becomes a constant; the op
 *     is not run; RESHAPE of a constant likewise), copies misaligned float constants, uses aligned
 *     FP32 constants in place, and repeats the weights of stride-1 depthwise convs with few
 *     channels along a row for the row-wise depthwise kernel;
 *   - plans activation buffers in one arena: each buffer lives from the op that writes it to the
 *     last op that reads it, and buffers whose lifetimes do not overlap share memory (greedy by
 *     size, as TFLite's arena planner). RESHAPE outputs alias their input (no copy). Graph inputs
 *     live through the whole run, so an input set once serves several runs.
 * Running allocates nothing (the im2col scratch of CONV_2D is sized at open, one slot per thread;
 * if more threads are set after open, convs run on one thread). A runner is not thread-safe (one run at a time); kernels use the
 * threads set by mosa_set_threads. Only little-endian hosts are supported. */
#ifndef MOSA_TFLITE_RUNNER_H
#define MOSA_TFLITE_RUNNER_H

#include "tflite/model.h"

typedef struct tflite_runner tflite_runner;

/* Prepares a runner for subgraph 0 of `m`. BORROWS m: it must outlive the runner. */
mosa_status tflite_runner_open(tflite_runner **out, const tflite_model *m);
/* Loads the .tflite at `path` and prepares a runner that owns the model. */
mosa_status tflite_runner_load(tflite_runner **out, const char *path);
void tflite_runner_free(tflite_runner *r); /* NULL is fine */

const tflite_model *tflite_runner_model(const tflite_runner *r);
int tflite_runner_n_inputs(const tflite_runner *r);
int tflite_runner_n_outputs(const tflite_runner *r);

/* Shape of graph input / output i (rank, dims, element count). NULL tensor for i out of range. */
typedef struct tflite_shape {
    int rank;
    int dims[TFLITE_MAX_RANK];
    size_t n;             /* product of dims */
    const char *name;     /* the tensor's name in the file */
} tflite_shape;
mosa_status tflite_runner_input_shape(const tflite_runner *r, int i, tflite_shape *s);
mosa_status tflite_runner_output_shape(const tflite_runner *r, int i, tflite_shape *s);

/* The buffer of graph input i (write n floats into it before tflite_runner_run), or NULL when i
 * is out of range. Valid until the runner is freed. */
float *tflite_runner_input(tflite_runner *r, int i, size_t *n);
/* Copies n floats into input i: MOSA_ERR_ARG when i is out of range or n is not its size. */
mosa_status tflite_runner_set_input(tflite_runner *r, int i, const float *data, size_t n);

/* Executes every op in order. */
mosa_status tflite_runner_run(tflite_runner *r);

/* Graph output i after a run (n floats), or NULL when out of range. Valid until the next run. */
const float *tflite_runner_output(const tflite_runner *r, int i, size_t *n);
/* Index of the graph output whose tensor is named `name`, or -1. */
int tflite_runner_find_output(const tflite_runner *r, const char *name);

typedef struct tflite_runner_stats {
    size_t arena_bytes;   /* the planned activation arena (peak activation memory) */
    size_t naive_bytes;   /* what one buffer per activation tensor would take */
    size_t const_bytes;   /* constants the runner owns (dequantized FP16, prepacked weights) */
    size_t scratch_bytes; /* per-thread im2col scratch */
    int n_ops;            /* ops in the file */
    int n_run_ops;        /* ops executed per run (constant DEQUANTIZE ops folded away) */
} tflite_runner_stats;
void tflite_runner_get_stats(const tflite_runner *r, tflite_runner_stats *s);

/* Profiling: when `seconds` is not NULL, every run adds the wall time of file operator i to
 * seconds[i] (n_ops entries; folded ops stay 0). NULL turns it off. */
void tflite_runner_profile(tflite_runner *r, double *seconds);

#endif /* MOSA_TFLITE_RUNNER_H */
