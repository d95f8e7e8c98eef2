/* test_tflite_runner.c: the TFLite graph runner (src/tflite/runner.c).
 *
 * Part 1 (always): a hand-built graph using every supported op (FP16 weights behind DEQUANTIZE,
 * conv 3x3 stride 2 and 1x1, depthwise with multiplier 2, ADD/MUL broadcasts, PAD, pools, MEAN,
 * LOGISTIC, RESIZE_BILINEAR half-pixel, HARD_SWISH, RELU, RELU6, CONCATENATION, RESHAPE and the
 * custom Convolution2DTransposeBias) run by the runner and, step by step, by the kernels of
 * kernels.h (the naive conv for CONV_2D); the arena plan is smaller than one buffer per tensor and
 * repeated runs agree. Hostile graphs: unsupported builtin and custom ops are named, inconsistent
 * shapes and declared shapes are refused, an op reading an unwritten tensor is refused, inputs of
 * the wrong size are refused.
 * Part 2 (the models in models/mediapipe; exits 77 without them): each of the five MediaPipe models
 * loads and runs; output shapes as CONVENTIONS.md 1.8; outputs finite; two runs bit-identical;
 * the outputs equal those of an independent interpreter (one buffer per tensor, shapes as the
 * file declares them, every op by the kernels of kernels.h; all but heavy); 1 and 2 threads agree
 * closely. */
#include "io/png.h"
#include "test.h"
#include "tflite/kernels.h"
#include "tflite/runner.h"

#include <math.h>
#include <string.h>

/* ---- a tiny graph builder ------------------------------------------------------------------ */

#define MT 40
#define MO 24
typedef struct mini {
    tflite_model m;
    tflite_subgraph g;
    tflite_tensor t[MT];
    tflite_op ops[MO];
    int32_t idx[MO][2][8]; /* per op: inputs, outputs */
    int32_t gin[4], gout[4];
} mini;

static void mini_init(mini *b) {
    memset(b, 0, sizeof *b);
    b->m.n_subgraphs = 1;
    b->m.subgraphs = &b->g;
    b->g.tensors = b->t;
    b->g.ops = b->ops;
    b->g.inputs = b->gin;
    b->g.outputs = b->gout;
}

static int mini_tensor(mini *b, const char *name, int type, int rank, const int *shape, const void *data) {
    int i = b->g.n_tensors++;
    tflite_tensor *t = &b->t[i];
    t->name = name;
    t->type = (tflite_type)type;
    t->has_shape = 1;
    t->rank = rank;
    t->n_elements = 1;
    for (int d = 0; d < rank; d++) t->shape[d] = shape[d], t->n_elements *= shape[d];
    t->data = data;
    t->data_len = data ? (size_t)t->n_elements * tflite_type_size(type) : 0;
    t->buffer = data ? 1 : 0;
    return i;
}

static tflite_op *mini_op(mini *b, int code, int n_in, const int *in, int out) {
    int k = b->g.n_ops++;
    tflite_op *op = &b->ops[k];
    op->code = code;
    op->n_inputs = n_in;
    op->inputs = b->idx[k][0];
    for (int i = 0; i < n_in; i++) op->inputs[i] = in[i];
    op->n_outputs = 1;
    op->outputs = b->idx[k][1];
    op->outputs[0] = out;
    op->stride_w = op->stride_h = 1;
    op->dilation_w = op->dilation_h = 1;
    return op;
}

static uint16_t f32_to_f16(float f) { /* round to nearest for normal values; enough for weights */
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int e = (int)((x >> 23) & 0xff) - 127 + 15;
    uint32_t man = x & 0x7fffffu;
    if (e <= 0) return (uint16_t)sign;
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);
    uint32_t h = sign | ((uint32_t)e << 10) | (man >> 13);
    if (man & 0x1000u) h++;
    return (uint16_t)h;
}

static void fill(float *x, int n, mosa_rng *r, float scale) { rng_normal(r, x, (size_t)n, 0.0f, scale); }

/* ---- part 1: every op against the kernels --------------------------------------------------- */

static void all_ops(void) {
    mosa_rng rng;
    rng_seed(&rng, 11);
    /* constants */
    static float x[1 * 13 * 11 * 5], w1[6 * 3 * 3 * 5], w1q[6 * 3 * 3 * 5], b1[6], wd[3 * 3 * 12], bd[12], bias15[15];
    static float w2[3 * 12], wt[2 * 2 * 2 * 3], bt[2];
    static uint16_t w1h[6 * 3 * 3 * 5];
    fill(x, 13 * 11 * 5, &rng, 1.0f);
    fill(w1, 270, &rng, 0.3f);
    for (int i = 0; i < 270; i++) {
        w1h[i] = f32_to_f16(w1[i]);
        tfl_dequantize_f16(&w1q[i], &w1h[i], 1);
    }
    fill(b1, 6, &rng, 0.5f);
    fill(wd, 108, &rng, 0.4f);
    fill(bd, 12, &rng, 0.2f);
    fill(bias15, 15, &rng, 0.5f);
    fill(w2, 36, &rng, 0.4f);
    fill(wt, 24, &rng, 0.4f);
    fill(bt, 2, &rng, 0.3f);
    static const int32_t pads[8] = {0, 0, 1, 2, 0, 1, 0, 0}, axes[2] = {1, 2}, size[2] = {7, 5};

    mini b;
    mini_init(&b);
    int s_in[4] = {1, 13, 11, 5}, s_w1[4] = {6, 3, 3, 5}, s6[1] = {6}, s_wd[4] = {1, 3, 3, 12}, s12[1] = {12};
    int s_pad[2] = {4, 2}, s2[1] = {2}, s_w2[4] = {3, 1, 1, 12}, s_wt[4] = {2, 2, 2, 3}, s15[1] = {15};
    int t_in = mini_tensor(&b, "input", TFLITE_FLOAT32, 4, s_in, NULL);
    int t_w1h = mini_tensor(&b, "w1_fp16", TFLITE_FLOAT16, 4, s_w1, w1h);
    int t_w1 = mini_tensor(&b, "w1", TFLITE_FLOAT32, 4, s_w1, NULL);
    int t_b1 = mini_tensor(&b, "b1", TFLITE_FLOAT32, 1, s6, b1);
    int t_c1 = mini_tensor(&b, "conv1", TFLITE_FLOAT32, 4, (int[]){1, 7, 6, 6}, NULL);
    int t_wd = mini_tensor(&b, "wd", TFLITE_FLOAT32, 4, s_wd, wd);
    int t_bd = mini_tensor(&b, "bd", TFLITE_FLOAT32, 1, s12, bd);
    int t_dw = mini_tensor(&b, "dw", TFLITE_FLOAT32, 4, (int[]){1, 5, 4, 12}, NULL);
    int t_pads = mini_tensor(&b, "pads", TFLITE_INT32, 2, s_pad, pads);
    int t_pad = mini_tensor(&b, "pad", TFLITE_FLOAT32, 4, (int[]){1, 8, 5, 12}, NULL);
    int t_mp = mini_tensor(&b, "maxpool", TFLITE_FLOAT32, 4, (int[]){1, 4, 2, 12}, NULL);
    int t_axes = mini_tensor(&b, "axes", TFLITE_INT32, 1, s2, axes);
    int t_mean = mini_tensor(&b, "mean", TFLITE_FLOAT32, 4, (int[]){1, 1, 1, 12}, NULL);
    int t_sig = mini_tensor(&b, "sigmoid", TFLITE_FLOAT32, 4, (int[]){1, 1, 1, 12}, NULL);
    int t_mul = mini_tensor(&b, "mul", TFLITE_FLOAT32, 4, (int[]){1, 4, 2, 12}, NULL);
    int t_size = mini_tensor(&b, "size", TFLITE_INT32, 1, s2, size);
    int t_rs = mini_tensor(&b, "resize", TFLITE_FLOAT32, 4, (int[]){1, 7, 5, 12}, NULL);
    int t_hs = mini_tensor(&b, "hswish", TFLITE_FLOAT32, 4, (int[]){1, 7, 5, 12}, NULL);
    int t_w2 = mini_tensor(&b, "w2", TFLITE_FLOAT32, 4, s_w2, w2);
    int t_c2 = mini_tensor(&b, "conv2", TFLITE_FLOAT32, 4, (int[]){1, 7, 5, 3}, NULL);
    int t_cat = mini_tensor(&b, "concat", TFLITE_FLOAT32, 4, (int[]){1, 7, 5, 15}, NULL);
    int t_b15 = mini_tensor(&b, "bias15", TFLITE_FLOAT32, 1, s15, bias15);
    int t_add = mini_tensor(&b, "add", TFLITE_FLOAT32, 4, (int[]){1, 7, 5, 15}, NULL);
    int t_ap = mini_tensor(&b, "avgpool", TFLITE_FLOAT32, 4, (int[]){1, 7, 5, 15}, NULL);
    int t_out1 = mini_tensor(&b, "flat", TFLITE_FLOAT32, 2, (int[]){1, 525}, NULL);
    int t_wt = mini_tensor(&b, "wt", TFLITE_FLOAT32, 4, s_wt, wt);
    int t_bt = mini_tensor(&b, "bt", TFLITE_FLOAT32, 1, s2, bt);
    int t_tc = mini_tensor(&b, "tconv", TFLITE_FLOAT32, 4, (int[]){1, 13, 9, 2}, NULL);
    int t_relu = mini_tensor(&b, "relu", TFLITE_FLOAT32, 4, (int[]){1, 13, 9, 2}, NULL);
    int t_out2 = mini_tensor(&b, "relu6", TFLITE_FLOAT32, 4, (int[]){1, 13, 9, 2}, NULL);
    tflite_op *op;
    mini_op(&b, TFLITE_OP_DEQUANTIZE, 1, (int[]){t_w1h}, t_w1);
    op = mini_op(&b, TFLITE_OP_CONV_2D, 3, (int[]){t_in, t_w1, t_b1}, t_c1);
    op->stride_h = op->stride_w = 2, op->padding = TFLITE_PADDING_SAME, op->activation = TFLITE_ACT_RELU6;
    op = mini_op(&b, TFLITE_OP_DEPTHWISE_CONV_2D, 3, (int[]){t_c1, t_wd, t_bd}, t_dw);
    op->padding = TFLITE_PADDING_VALID, op->activation = TFLITE_ACT_RELU, op->depth_multiplier = 2;
    mini_op(&b, TFLITE_OP_PAD, 2, (int[]){t_dw, t_pads}, t_pad);
    op = mini_op(&b, TFLITE_OP_MAX_POOL_2D, 1, (int[]){t_pad}, t_mp);
    op->filter_h = op->filter_w = 2, op->stride_h = op->stride_w = 2, op->padding = TFLITE_PADDING_VALID;
    op = mini_op(&b, TFLITE_OP_MEAN, 2, (int[]){t_mp, t_axes}, t_mean);
    op->keep_dims = 1;
    mini_op(&b, TFLITE_OP_LOGISTIC, 1, (int[]){t_mean}, t_sig);
    mini_op(&b, TFLITE_OP_MUL, 2, (int[]){t_mp, t_sig}, t_mul);
    op = mini_op(&b, TFLITE_OP_RESIZE_BILINEAR, 2, (int[]){t_mul, t_size}, t_rs);
    op->half_pixel_centers = 1;
    mini_op(&b, TFLITE_OP_HARD_SWISH, 1, (int[]){t_rs}, t_hs);
    op = mini_op(&b, TFLITE_OP_CONV_2D, 3, (int[]){t_hs, t_w2, -1}, t_c2);
    op = mini_op(&b, TFLITE_OP_CONCATENATION, 2, (int[]){t_c2, t_hs}, t_cat);
    op->axis = -1;
    op = mini_op(&b, TFLITE_OP_ADD, 2, (int[]){t_cat, t_b15}, t_add);
    op->activation = TFLITE_ACT_RELU6;
    op = mini_op(&b, TFLITE_OP_AVERAGE_POOL_2D, 1, (int[]){t_add}, t_ap);
    op->filter_h = op->filter_w = 3, op->padding = TFLITE_PADDING_SAME;
    mini_op(&b, TFLITE_OP_RESHAPE, 1, (int[]){t_ap}, t_out1);
    op = mini_op(&b, TFLITE_OP_CUSTOM, 3, (int[]){t_c2, t_wt, t_bt}, t_tc);
    op->custom_name = TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS;
    op->tconv_padding = 1, op->stride_h = op->stride_w = 2;
    mini_op(&b, TFLITE_OP_RELU, 1, (int[]){t_tc}, t_relu);
    mini_op(&b, TFLITE_OP_RELU6, 1, (int[]){t_relu}, t_out2);
    b.g.n_inputs = 1, b.gin[0] = t_in;
    b.g.n_outputs = 2, b.gout[0] = t_out1, b.gout[1] = t_out2;

    tflite_runner *r = NULL;
    mosa_status s = tflite_runner_open(&r, &b.m);
    TEST_COND("hand-built graph opens", s == MOSA_OK);
    if (s != MOSA_OK) {
        printf("  %s\n", mosa_last_error());
        return;
    }
    TEST_COND("set_input: wrong size refused",
              tflite_runner_set_input(r, 0, x, 13 * 11 * 5 - 1) == MOSA_ERR_ARG && strstr(mosa_last_error(), "takes"));
    TEST_COND("set_input: bad index refused", tflite_runner_set_input(r, 1, x, 13 * 11 * 5) == MOSA_ERR_ARG);
    TEST_COND("output out of range is NULL", tflite_runner_output(r, 2, NULL) == NULL);
    TEST_COND("set_input", tflite_runner_set_input(r, 0, x, 13 * 11 * 5) == MOSA_OK);
    TEST_COND("run", tflite_runner_run(r) == MOSA_OK);
    TEST_COND("find output by name", tflite_runner_find_output(r, "relu6") == 1 && tflite_runner_find_output(r, "x") == -1);

    /* the same with the kernels */
    static float c1[7 * 6 * 6], dw[5 * 4 * 12], pd[8 * 5 * 12], mp[4 * 2 * 12], mean[12], mul[96], rs[7 * 5 * 12];
    static float c2[7 * 5 * 3], cat[7 * 5 * 15], add[525], ap[525], tc[13 * 9 * 2];
    tfl_conv_params p1 = {2, 2, 1, 1, TFL_PAD_SAME, TFL_ACT_RELU6}, pdw = {1, 1, 1, 1, TFL_PAD_VALID, TFL_ACT_RELU};
    tfl_conv_params p2 = {1, 1, 1, 1, TFL_PAD_SAME, TFL_ACT_NONE};
    tfl_conv2d_ref(c1, x, w1q, b1, 1, 13, 11, 5, 6, 3, 3, &p1);
    tfl_depthwise_conv2d(dw, c1, wd, bd, 1, 7, 6, 6, 2, 3, 3, &pdw);
    tfl_pad(pd, dw, 4, (int[]){1, 5, 4, 12}, pads);
    tfl_pool_params pp = {2, 2, 2, 2, TFL_PAD_VALID, TFL_ACT_NONE};
    tfl_max_pool2d(mp, pd, 1, 8, 5, 12, &pp);
    tfl_mean_hw(mean, mp, 1, 4, 2, 12);
    tfl_logistic(mean, mean, 12);
    tfl_mul(mul, mp, 4, (int[]){1, 4, 2, 12}, mean, 4, (int[]){1, 1, 1, 12}, TFL_ACT_NONE);
    tfl_resize_bilinear(rs, mul, 1, 4, 2, 12, 7, 5, false, true);
    tfl_hard_swish(rs, rs, 7 * 5 * 12);
    tfl_conv2d_ref(c2, rs, w2, NULL, 1, 7, 5, 12, 3, 1, 1, &p2);
    const float *ins[2] = {c2, rs};
    tfl_concat(cat, ins, 2, 4, (int[]){1, 7, 5, 15}, 3, (int[]){3, 12}, TFL_ACT_NONE);
    tfl_add(add, cat, 4, (int[]){1, 7, 5, 15}, bias15, 1, (int[]){15}, TFL_ACT_RELU6);
    tfl_pool_params pa = {3, 3, 1, 1, TFL_PAD_SAME, TFL_ACT_NONE};
    tfl_avg_pool2d(ap, add, 1, 7, 5, 15, &pa);
    tfl_transpose_conv_bias(tc, c2, wt, bt, 1, 7, 5, 3, 2, 2, 2, 2, 2, TFL_PAD_SAME);
    tfl_relu(tc, tc, 234);
    tfl_relu6(tc, tc, 234);
    size_t n1, n2;
    const float *y1 = tflite_runner_output(r, 0, &n1), *y2 = tflite_runner_output(r, 1, &n2);
    TEST_COND("output sizes", n1 == 525 && n2 == 234);
    TEST_CLOSE("runner == kernels (main chain)", y1, ap, 525, 1e-5, 1e-3);
    TEST_CLOSE("runner == kernels (transposed conv branch)", y2, tc, 234, 1e-5, 1e-3);
    float first[525];
    memcpy(first, y1, sizeof first);
    tflite_runner_run(r);
    TEST_COND("second run identical", memcmp(first, tflite_runner_output(r, 0, NULL), sizeof first) == 0);
    tflite_runner_stats st;
    tflite_runner_get_stats(r, &st);
    printf("hand-built graph: %d ops (%d run), arena %zu B, one buffer per tensor %zu B\n", st.n_ops, st.n_run_ops,
           st.arena_bytes, st.naive_bytes);
    TEST_COND("DEQUANTIZE folded at open", st.n_ops == 18 && st.n_run_ops == 17);
    TEST_COND("arena smaller than one buffer per tensor", st.arena_bytes < st.naive_bytes);
    tflite_shape sh;
    TEST_COND("input shape", tflite_runner_input_shape(r, 0, &sh) == MOSA_OK && sh.rank == 4 && sh.n == 715 &&
                                 !strcmp(sh.name, "input"));
    tflite_runner_free(r);

    /* ---- hostile graphs: each a variant of the one above ---- */
    b.ops[3].code = TFLITE_OP_SOFTMAX;
    s = tflite_runner_open(&r, &b.m);
    TEST_COND("unsupported builtin named", s == MOSA_ERR_UNSUPPORTED && strstr(mosa_last_error(), "SOFTMAX") &&
                                               strstr(mosa_last_error(), "operator 3") && r == NULL);
    b.ops[3].code = TFLITE_OP_PAD;
    b.ops[15].custom_name = "MaxPoolingWithArgmax2D";
    s = tflite_runner_open(&r, &b.m);
    TEST_COND("unsupported custom op named", s == MOSA_ERR_UNSUPPORTED && strstr(mosa_last_error(), "MaxPoolingWithArgmax2D"));
    b.ops[15].custom_name = TFLITE_CUSTOM_TRANSPOSE_CONV_BIAS;
    b.t[t_w1].shape[3] = 4; /* the DEQUANTIZE output now declares another shape */
    s = tflite_runner_open(&r, &b.m);
    TEST_COND("declared shape mismatch refused", s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "declares"));
    b.t[t_w1].shape[3] = 5;
    b.t[t_dw].shape[1] = 6;
    s = tflite_runner_open(&r, &b.m);
    TEST_COND("wrong declared conv output refused", s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "operator 2"));
    b.t[t_dw].shape[1] = 5;
    b.idx[10][0][0] = t_c1; /* 1x1 conv fed with 6 channels, filter wants 12 */
    s = tflite_runner_open(&r, &b.m);
    TEST_COND("filter/input channel mismatch refused", s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "channels"));
    b.idx[10][0][0] = t_hs;
    b.idx[1][0][0] = t_mp; /* conv reads a tensor written later */
    s = tflite_runner_open(&r, &b.m);
    TEST_COND("read before write refused", s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "before"));
    b.idx[1][0][0] = t_in;
    b.idx[12][0][1] = t_mean; /* ADD [1,7,5,15] + [1,1,1,12] */
    s = tflite_runner_open(&r, &b.m);
    TEST_COND("non-broadcastable ADD refused", s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "broadcast"));
    b.idx[12][0][1] = t_b15;
    s = tflite_runner_open(&r, &b.m);
    TEST_COND("restored graph opens again", s == MOSA_OK);
    tflite_runner_free(r);
}

/* The runner's own row-wise depthwise conv (stride 1, multiplier 1) against the kernel. */
static void dw_rows(void) {
    struct { int H, W, C, K; tflite_padding pad; int act; } cs[] = {
        {9, 13, 8, 3, TFLITE_PADDING_SAME, TFLITE_ACT_RELU6},
        {12, 7, 5, 5, TFLITE_PADDING_SAME, TFLITE_ACT_NONE},
        {10, 11, 16, 3, TFLITE_PADDING_VALID, TFLITE_ACT_RELU},
        {40, 33, 24, 3, TFLITE_PADDING_SAME, TFLITE_ACT_NONE}, /* big enough for two threads */
        {6, 6, 3, 7, TFLITE_PADDING_SAME, TFLITE_ACT_NONE},    /* kernel wider than half the row */
        {14, 9, 40, 3, TFLITE_PADDING_SAME, TFLITE_ACT_RELU6}, /* C >= 32: weights not repeated */
        {11, 12, 36, 5, TFLITE_PADDING_VALID, TFLITE_ACT_NONE},
    };
    mosa_rng rng;
    rng_seed(&rng, 21);
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        int H = cs[k].H, W = cs[k].W, C = cs[k].C, K = cs[k].K;
        int Ho = cs[k].pad == TFLITE_PADDING_SAME ? H : H - K + 1, Wo = cs[k].pad == TFLITE_PADDING_SAME ? W : W - K + 1;
        float *x = malloc(sizeof(float) * H * W * C), *w = malloc(sizeof(float) * K * K * C), *bias = malloc(sizeof(float) * C);
        float *want = malloc(sizeof(float) * Ho * Wo * C);
        fill(x, H * W * C, &rng, 1.0f);
        fill(w, K * K * C, &rng, 0.5f);
        fill(bias, C, &rng, 0.5f);
        mini b;
        mini_init(&b);
        int t_in = mini_tensor(&b, "x", TFLITE_FLOAT32, 4, (int[]){1, H, W, C}, NULL);
        int t_w = mini_tensor(&b, "w", TFLITE_FLOAT32, 4, (int[]){1, K, K, C}, w);
        int t_b = mini_tensor(&b, "b", TFLITE_FLOAT32, 1, (int[]){C}, bias);
        int t_y = mini_tensor(&b, "y", TFLITE_FLOAT32, 4, (int[]){1, Ho, Wo, C}, NULL);
        tflite_op *op = mini_op(&b, TFLITE_OP_DEPTHWISE_CONV_2D, 3, (int[]){t_in, t_w, t_b}, t_y);
        op->padding = cs[k].pad, op->activation = cs[k].act, op->depth_multiplier = 1;
        b.g.n_inputs = 1, b.gin[0] = t_in, b.g.n_outputs = 1, b.gout[0] = t_y;
        tfl_conv_params p = {1, 1, 1, 1, (tfl_padding)cs[k].pad, (tfl_activation)cs[k].act};
        tfl_depthwise_conv2d(want, x, w, bias, 1, H, W, C, 1, K, K, &p);
        tflite_runner *r = NULL;
        int ok = tflite_runner_open(&r, &b.m) == MOSA_OK && tflite_runner_set_input(r, 0, x, (size_t)H * W * C) == MOSA_OK &&
                 tflite_runner_run(r) == MOSA_OK;
        TEST_COND("row-wise depthwise runs", ok);
        if (ok) TEST_CLOSE("row-wise depthwise == tfl_depthwise_conv2d", tflite_runner_output(r, 0, NULL), want,
                           (size_t)Ho * Wo * C, 1e-5, 1e-3);
        tflite_runner_free(r);
        free(x), free(w), free(bias), free(want);
    }
}

/* ---- part 2: the MediaPipe models ------------------------------------------------------------ */

/* An independent interpreter of a real model: one malloc'd buffer per tensor, shapes as the
 * file declares them, every op done by the kernels of kernels.h (no planning, no folding, no
 * row-wise depthwise). Returns the buffers (NULL entries for unused tensors), or NULL. */
static float **ref_run(const tflite_model *m, const float *input) {
    const tflite_subgraph *g = &m->subgraphs[0];
    float **buf = calloc((size_t)g->n_tensors, sizeof(float *));
    int32_t **ibuf = calloc((size_t)g->n_tensors, sizeof(int32_t *));
    int ok = 1;
    for (int i = 0; i < g->n_tensors; i++) {
        const tflite_tensor *t = &g->tensors[i];
        if (!t->data) continue;
        if (t->type == TFLITE_FLOAT32) {
            buf[i] = malloc((size_t)t->n_elements * 4);
            memcpy(buf[i], t->data, (size_t)t->n_elements * 4);
        } else if (t->type == TFLITE_FLOAT16) {
            uint16_t *h = malloc((size_t)t->n_elements * 2);
            memcpy(h, t->data, (size_t)t->n_elements * 2);
            buf[i] = malloc((size_t)t->n_elements * 4);
            tfl_dequantize_f16(buf[i], h, (size_t)t->n_elements);
            free(h);
        } else if (t->type == TFLITE_INT32) {
            ibuf[i] = malloc((size_t)t->n_elements * 4);
            memcpy(ibuf[i], t->data, (size_t)t->n_elements * 4);
        }
    }
    const tflite_tensor *ti = &g->tensors[g->inputs[0]];
    buf[g->inputs[0]] = malloc((size_t)ti->n_elements * 4);
    memcpy(buf[g->inputs[0]], input, (size_t)ti->n_elements * 4);
    for (int k = 0; k < g->n_ops && ok; k++) {
        const tflite_op *op = &g->ops[k];
        const tflite_tensor *to = &g->tensors[op->outputs[0]], *t0 = &g->tensors[op->inputs[0]];
        float *y = malloc((size_t)to->n_elements * 4);
        float *x = buf[op->inputs[0]];
        int s0[8], s1[8];
        for (int d = 0; d < t0->rank; d++) s0[d] = t0->shape[d];
        const tflite_tensor *t1 = op->n_inputs > 1 && op->inputs[1] >= 0 ? &g->tensors[op->inputs[1]] : NULL;
        if (t1)
            for (int d = 0; d < t1->rank; d++) s1[d] = t1->shape[d];
        const float *bias = op->n_inputs > 2 && op->inputs[2] >= 0 ? buf[op->inputs[2]] : NULL;
        tfl_conv_params cp = {op->stride_h, op->stride_w, op->dilation_h, op->dilation_w, (tfl_padding)op->padding,
                              (tfl_activation)op->activation};
        tfl_pool_params pp = {op->filter_h, op->filter_w, op->stride_h, op->stride_w, (tfl_padding)op->padding,
                              (tfl_activation)op->activation};
        mosa_status st = MOSA_OK;
        switch (op->code) {
        case TFLITE_OP_DEQUANTIZE: memcpy(y, x, (size_t)to->n_elements * 4); break;
        case TFLITE_OP_CONV_2D:
            st = tfl_conv2d(y, x, buf[op->inputs[1]], bias, s0[0], s0[1], s0[2], s0[3], s1[0], s1[1], s1[2], &cp);
            break;
        case TFLITE_OP_DEPTHWISE_CONV_2D:
            st = tfl_depthwise_conv2d(y, x, buf[op->inputs[1]], bias, s0[0], s0[1], s0[2], s0[3], s1[3] / s0[3], s1[1],
                                      s1[2], &cp);
            break;
        case TFLITE_OP_CUSTOM:
            st = tfl_transpose_conv_bias(y, x, buf[op->inputs[1]], bias, s0[0], s0[1], s0[2], s0[3], s1[0], s1[1], s1[2],
                                         op->stride_h, op->stride_w, op->tconv_padding == 2 ? TFL_PAD_VALID : TFL_PAD_SAME);
            break;
        case TFLITE_OP_ADD: st = tfl_add(y, x, t0->rank, s0, buf[op->inputs[1]], t1->rank, s1, cp.act); break;
        case TFLITE_OP_MUL: st = tfl_mul(y, x, t0->rank, s0, buf[op->inputs[1]], t1->rank, s1, cp.act); break;
        case TFLITE_OP_PAD: st = tfl_pad(y, x, t0->rank, s0, ibuf[op->inputs[1]]); break;
        case TFLITE_OP_MAX_POOL_2D: st = tfl_max_pool2d(y, x, s0[0], s0[1], s0[2], s0[3], &pp); break;
        case TFLITE_OP_AVERAGE_POOL_2D: st = tfl_avg_pool2d(y, x, s0[0], s0[1], s0[2], s0[3], &pp); break;
        case TFLITE_OP_MEAN: st = tfl_mean_hw(y, x, s0[0], s0[1], s0[2], s0[3]); break;
        case TFLITE_OP_RESIZE_BILINEAR:
            st = tfl_resize_bilinear(y, x, s0[0], s0[1], s0[2], s0[3], to->shape[1], to->shape[2], op->align_corners,
                                     op->half_pixel_centers);
            break;
        case TFLITE_OP_RESHAPE: memcpy(y, x, (size_t)to->n_elements * 4); break;
        case TFLITE_OP_LOGISTIC: tfl_logistic(y, x, (size_t)to->n_elements); break;
        case TFLITE_OP_RELU: tfl_relu(y, x, (size_t)to->n_elements); break;
        case TFLITE_OP_RELU6: tfl_relu6(y, x, (size_t)to->n_elements); break;
        case TFLITE_OP_HARD_SWISH: tfl_hard_swish(y, x, (size_t)to->n_elements); break;
        default: st = MOSA_ERR_UNSUPPORTED; break;
        }
        if (st != MOSA_OK) {
            printf("  reference interpreter: op %d (%s) failed: %s\n", k, tflite_op_name(op->code), mosa_last_error());
            ok = 0;
        }
        free(buf[op->outputs[0]]);
        buf[op->outputs[0]] = y;
    }
    for (int i = 0; i < g->n_tensors; i++) free(ibuf[i]);
    free(ibuf);
    if (!ok) {
        for (int i = 0; i < g->n_tensors; i++) free(buf[i]);
        free(buf);
        return NULL;
    }
    return buf;
}

typedef struct { const char *file; int n_out; int out_n[5]; } model_case;

static void real_model(const model_case *mc) {
    char path[512], rel[128];
    snprintf(rel, sizeof rel, "mediapipe/%s", mc->file);
    if (model_path_resolve(path, sizeof path, rel) != MOSA_OK) return;
    mosa_set_threads(2);
    tflite_runner *r = NULL;
    mosa_status s = tflite_runner_load(&r, path);
    TEST_COND(mc->file, s == MOSA_OK);
    if (s != MOSA_OK) {
        printf("  %s\n", mosa_last_error());
        return;
    }
    size_t n;
    float *in = tflite_runner_input(r, 0, &n);
    mosa_rng rng;
    rng_seed(&rng, 3);
    rng_uniform(&rng, in, n);
    /* the selfie models answer ~0 everywhere on noise: give them a photograph when there is one */
    image photo = {0};
    tflite_shape ish;
    tflite_runner_input_shape(r, 0, &ish);
    if (strstr(mc->file, "selfie") &&
        png_read("/usr/lib/python3/dist-packages/skimage/data/astronaut.png", &photo) == MOSA_OK) {
        for (int yy = 0; yy < ish.dims[1]; yy++)
            for (int xx = 0; xx < ish.dims[2]; xx++)
                for (int c = 0; c < 3; c++)
                    in[((size_t)yy * ish.dims[2] + xx) * 3 + c] =
                        image_px(&photo, xx * photo.w / ish.dims[2], yy * photo.h / ish.dims[1])[c] / 255.0f;
        image_free(&photo);
        printf("  (input: the astronaut photograph)\n");
    }
    TEST_COND("run", tflite_runner_run(r) == MOSA_OK);
    TEST_COND("output count", tflite_runner_n_outputs(r) == mc->n_out);
    float *first[5] = {0}, *one[5] = {0};
    int finite = 1, shapes = 1;
    for (int o = 0; o < mc->n_out && o < tflite_runner_n_outputs(r); o++) {
        size_t m;
        const float *y = tflite_runner_output(r, o, &m);
        shapes &= m == (size_t)mc->out_n[o];
        for (size_t i = 0; i < m; i++) finite &= isfinite(y[i]);
        first[o] = malloc(m * sizeof(float));
        memcpy(first[o], y, m * sizeof(float));
    }
    TEST_COND("output sizes as CONVENTIONS 1.8", shapes);
    TEST_COND("outputs finite", finite);
    tflite_runner_run(r);
    int same = 1;
    for (int o = 0; o < mc->n_out; o++) {
        size_t m;
        const float *y = tflite_runner_output(r, o, &m);
        same &= first[o] && memcmp(y, first[o], m * sizeof(float)) == 0;
    }
    TEST_COND("two runs bit-identical", same);
    /* against the independent interpreter (not for heavy: it only adds time) */
    if (!strstr(mc->file, "heavy")) {
        float **ref = ref_run(tflite_runner_model(r), in);
        TEST_COND("reference interpreter ran", ref != NULL);
        const tflite_subgraph *g = &tflite_runner_model(r)->subgraphs[0];
        for (int o = 0; ref && o < mc->n_out; o++) {
            size_t m;
            const float *y = tflite_runner_output(r, o, &m);
            /* summation order (GEMM tiles, fused multiply-adds) differs; a deep net on random input
             * amplifies the rounding, so the max is loose and the mean tight */
            double mad = 0, mag = 0;
            for (size_t i = 0; i < m; i++) mad += fabs(y[i] - ref[g->outputs[o]][i]), mag += fabs(ref[g->outputs[o]][i]);
            printf("  output %d: mean |runner - reference| %.3g (mean |value| %.3g)\n", o, mad / m, mag / m);
            TEST_CLOSE("runner == one-buffer-per-tensor interpreter over the kernels (max)", y, ref[g->outputs[o]], m,
                       1e-2, 1.0);
            TEST_COND("runner == one-buffer-per-tensor interpreter over the kernels (mean)", mad <= 1e-4 * (mag + m));
        }
        if (ref) {
            for (int i = 0; i < g->n_tensors; i++) free(ref[i]);
            free(ref);
        }
    }
    mosa_set_threads(1);
    tflite_runner_run(r);
    for (int o = 0; o < mc->n_out; o++) {
        size_t m;
        const float *y = tflite_runner_output(r, o, &m);
        one[o] = malloc(m * sizeof(float));
        memcpy(one[o], y, m * sizeof(float));
        TEST_CLOSE("1 thread vs 2 threads", one[o], first[o], m, 1e-3, 1.0);
    }
    mosa_set_threads(2);
    tflite_runner_stats st;
    tflite_runner_get_stats(r, &st);
    printf("%-36s ops %d (run %d), arena %.2f MB (one buffer per tensor: %.2f MB), owned constants %.2f MB\n",
           mc->file, st.n_ops, st.n_run_ops, st.arena_bytes / 1e6, st.naive_bytes / 1e6, st.const_bytes / 1e6);
    TEST_COND("arena well below one buffer per tensor", st.arena_bytes * 3 < st.naive_bytes);
    for (int o = 0; o < 5; o++) free(first[o]), free(one[o]);
    tflite_runner_free(r);
}

int main(void) {
    mosa_set_threads(2);
    all_ops();
    dw_rows();
    TEST_COND("missing file", tflite_runner_load(&(tflite_runner *){NULL}, "/nonexistent/m.tflite") != MOSA_OK);

    char probe[512];
    if (model_path_resolve(probe, sizeof probe, "mediapipe/pose_landmark_lite.tflite") != MOSA_OK) {
        printf("SKIP part 2: MediaPipe models missing (scripts/fetch_models.sh)\n");
        test_report();
        return test__failed ? 1 : 77;
    }
    const model_case cases[] = {
        {"pose_landmark_lite.tflite", 5, {195, 1, 65536, 159744, 117}},
        {"pose_landmark_full.tflite", 5, {195, 1, 65536, 159744, 117}},
        {"pose_landmark_heavy.tflite", 5, {195, 1, 65536, 159744, 117}},
        {"selfie_segmentation.tflite", 1, {65536}},
        {"selfie_segmentation_landscape.tflite", 1, {144 * 256}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) real_model(&cases[i]);
    return test_report();
}
