/* kernels.h: float32 NHWC kernels with TensorFlow Lite's reference semantics, enough to run
 * MediaPipe's pose_landmark_{lite,full,heavy} and selfie_segmentation models.
 *
 * Every kernel works on plain buffers: outputs first, then inputs, then dims and parameters.
 * Activation tensors are NHWC row-major float32 ([N, H, W, C], C fastest); weights use TFLite's
 * layouts: CONV_2D filter [O, KH, KW, C] (OHWI), DEPTHWISE_CONV_2D filter [1, KH, KW, C*M],
 * Convolution2DTransposeBias filter [O, KH, KW, C] (OHWI), bias [O] (NULL = no bias).
 * Enum values are the schema's (CONVENTIONS.md 1.7), so a runner can pass option fields through.
 * Kernels do not depend on the .tflite reader (src/tflite/model.h).
 *
 * Contract for all kernels: buffers are valid for the sizes the dims imply; outputs do not alias
 * inputs unless a kernel says it may (the element-wise ones allow out == in). Bad dims or params
 * return MOSA_ERR_ARG (with the error message set) and write nothing; a failed scratch
 * allocation returns MOSA_ERR_NOMEM. Kernels use OpenMP threads via MOSA_PARALLEL_FOR. */
#ifndef MOSA_TFLITE_KERNELS_H
#define MOSA_TFLITE_KERNELS_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Padding (schema enum Padding). Note MediaPipe's Convolution2DTransposeBias custom options
 * carry TfLitePadding instead (1 = SAME, 2 = VALID): the runner must map those. */
typedef enum { TFL_PAD_SAME = 0, TFL_PAD_VALID = 1 } tfl_padding;

/* Fused activation (schema enum ActivationFunctionType; SIGN_BIT 5 is not supported). */
typedef enum {
    TFL_ACT_NONE = 0,
    TFL_ACT_RELU = 1,
    TFL_ACT_RELU_N1_TO_1 = 2,
    TFL_ACT_RELU6 = 3,
    TFL_ACT_TANH = 4,
} tfl_activation;

/* Output size along one spatial axis, as TFLite's ComputeOutSize: with eff = (k-1)*dil + 1,
 * SAME gives ceil(in/stride), VALID gives (in - eff + stride)/stride. Returns 0 when the
 * arguments are invalid or the output would be empty. */
int tfl_out_size(int in, int k, int stride, int dil, tfl_padding pad);

/* Padding before (top/left) along one axis, as TFLite's ComputePaddingWithOffset: total =
 * max((out-1)*stride + (k-1)*dil + 1 - in, 0), before = total/2 (the odd pixel goes after).
 * 0 for VALID. */
int tfl_pad_before(int in, int k, int stride, int dil, tfl_padding pad);

/* Applies a fused activation in place to n floats. */
void tfl_activate(float *x, size_t n, tfl_activation act);

/* ---- convolutions ------------------------------------------------------------------------ */

typedef struct tfl_conv_params {
    int stride_h, stride_w;   /* >= 1 */
    int dil_h, dil_w;         /* >= 1 */
    tfl_padding padding;
    tfl_activation act;
} tfl_conv_params;

/* CONV_2D: out [N, Ho, Wo, O] = act(conv(in [N, H, W, C], w [O, KH, KW, C]) + bias [O]),
 * Ho/Wo from tfl_out_size. Fast path: im2col (by row tiles) + cblas_sgemm, the tiles spread
 * over threads; a 1x1 stride-1 conv is a plain sgemm on the input. */
mosa_status tfl_conv2d(float *out, const float *in, const float *w, const float *bias, int N, int H, int W, int C,
                       int O, int KH, int KW, const tfl_conv_params *p);
/* The same, as direct loops accumulating in double (the tests' reference). */
mosa_status tfl_conv2d_ref(float *out, const float *in, const float *w, const float *bias, int N, int H, int W,
                           int C, int O, int KH, int KW, const tfl_conv_params *p);

/* DEPTHWISE_CONV_2D: out [N, Ho, Wo, C*M], out[..., c*M + m] = act(sum over taps of
 * in[..., c] * w[0, kh, kw, c*M + m] + bias[c*M + m]). M = depth_multiplier >= 1. Loops are
 * vectorised over the output channels; rows of output are spread over threads. */
mosa_status tfl_depthwise_conv2d(float *out, const float *in, const float *w, const float *bias, int N, int H, int W,
                                 int C, int M, int KH, int KW, const tfl_conv_params *p);

/* MediaPipe's custom Convolution2DTransposeBias (transpose_conv_bias.cc), batch N:
 * in [N, H, W, C], w [O, KH, KW, C] (OHWI), bias [O] -> out [N, Ho, Wo, O].
 * Output size and padding (tfl_transpose_conv_out_size): for SAME,
 *   total = max(0, k - (in-1) % stride - 1), out = stride*(in-1) + k - total, before = total/2;
 * for VALID total = 0, out = stride*(in-1) + k. (out == in*stride whenever k >= stride and
 * (in-1) % stride == stride-1, e.g. the selfie model's 128 -> 256 with k = s = 2.)
 * Semantics: out[oy, ox, o] = bias[o] + sum of in[iy, ix, c] * w[o, fy, fx, c] over
 * oy = iy*stride_h - before_h + fy, ox = ix*stride_w - before_w + fx, c; i.e. the full transposed
 * conv (size stride*(in-1) + k) cropped to [before, before + out). No activation. */
mosa_status tfl_transpose_conv_bias(float *out, const float *in, const float *w, const float *bias, int N, int H,
                                    int W, int C, int O, int KH, int KW, int stride_h, int stride_w,
                                    tfl_padding padding);
/* Output size and padding-before of the above along one axis; false on invalid arguments. */
bool tfl_transpose_conv_out_size(int in, int k, int stride, tfl_padding padding, int *out, int *pad_before);

/* ---- element-wise and broadcasting -------------------------------------------------------- */

#define TFL_MAX_RANK 6

/* numpy broadcasting of two shapes (ranks 0..TFL_MAX_RANK, right-aligned; dims equal or one of
 * them 1). Writes the result's rank and shape; MOSA_ERR_ARG if incompatible. */
mosa_status tfl_broadcast_shape(int *out_rank, int out_shape[TFL_MAX_RANK], int ra, const int *sa, int rb,
                                const int *sb);

/* ADD / MUL: out (broadcast shape) = act(a op b). out may alias a or b when that operand has
 * the output's shape. Fast paths: same shape, scalar, b a vector along the last axis. */
mosa_status tfl_add(float *out, const float *a, int ra, const int *sa, const float *b, int rb, const int *sb,
                    tfl_activation act);
mosa_status tfl_mul(float *out, const float *a, int ra, const int *sa, const float *b, int rb, const int *sb,
                    tfl_activation act);

/* LOGISTIC, RELU, RELU6, HARD_SWISH (x * relu6(x+3) / 6) on n floats; out may equal in. */
void tfl_logistic(float *out, const float *in, size_t n);
void tfl_relu(float *out, const float *in, size_t n);
void tfl_relu6(float *out, const float *in, size_t n);
void tfl_hard_swish(float *out, const float *in, size_t n);

/* DEQUANTIZE FLOAT16 -> FLOAT32: IEEE binary16 (subnormals, +-0, inf, nan) to float, exact. */
void tfl_dequantize_f16(float *out, const uint16_t *in, size_t n);

/* ---- layout -------------------------------------------------------------------------------- */

/* PAD (constant 0): in of `rank` dims (<= TFL_MAX_RANK) `shape`, paddings [rank][2] (before,
 * after; >= 0, as the int32 paddings tensor) -> out of shape[i] + before[i] + after[i]. */
mosa_status tfl_pad(float *out, const float *in, int rank, const int *shape, const int32_t *paddings);

/* RESHAPE: a copy of n floats (nothing when out == in). */
void tfl_reshape(float *out, const float *in, size_t n);

/* CONCATENATION of n_in inputs along `axis` (negative counts from the end). All inputs have
 * `shape` (rank dims) except along axis, where input i has axis_sizes[i]. Then act. */
mosa_status tfl_concat(float *out, const float *const *ins, int n_in, int rank, const int *shape, int axis,
                       const int *axis_sizes, tfl_activation act);

/* ---- pooling and resizing ------------------------------------------------------------------ */

typedef struct tfl_pool_params {
    int filter_h, filter_w;   /* >= 1 */
    int stride_h, stride_w;   /* >= 1 */
    tfl_padding padding;
    tfl_activation act;
} tfl_pool_params;

/* MAX_POOL_2D / AVERAGE_POOL_2D: in [N, H, W, C] -> out [N, Ho, Wo, C], Ho/Wo from
 * tfl_out_size (dilation 1). Padded positions are ignored: the max is over valid elements and
 * the average divides by the number of valid elements (TFLite's reference). */
mosa_status tfl_max_pool2d(float *out, const float *in, int N, int H, int W, int C, const tfl_pool_params *p);
mosa_status tfl_avg_pool2d(float *out, const float *in, int N, int H, int W, int C, const tfl_pool_params *p);

/* MEAN over axes 1 and 2 (keep_dims): in [N, H, W, C] -> out [N, 1, 1, C]. */
mosa_status tfl_mean_hw(float *out, const float *in, int N, int H, int W, int C);

/* RESIZE_BILINEAR: in [N, H, W, C] -> out [N, Ho, Wo, C], TFLite's reference rules: scale =
 * in/out (float), or (in-1)/(out-1) with align_corners and out > 1; source coordinate
 * y = (oy + 0.5)*scale - 0.5 with half_pixel_centers, else oy*scale; y0 = max(floor(y), 0),
 * y1 = min(ceil(y), in-1), and the weights are (y - y0) and 1 - (y - y0) (so a negative
 * half-pixel coordinate reads row 0). align_corners together with half_pixel_centers is
 * MOSA_ERR_ARG, as in TFLite. */
mosa_status tfl_resize_bilinear(float *out, const float *in, int N, int H, int W, int C, int Ho, int Wo,
                                bool align_corners, bool half_pixel_centers);

#endif /* MOSA_TFLITE_KERNELS_H */
