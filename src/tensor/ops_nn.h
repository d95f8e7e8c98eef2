/* ops_nn.h: declarations for this op group (see ops.h): normalisation (layer, RMS, group),
 * adaLN modulation, embedding lookup, shape ops (concat, split, pad), vector quantization and
 * bilinear grid sampling.
 *
 * Each op is followed by the kernels it runs: the fast kernel and its naive *_ref oracle, with
 * the same signature (outputs, then caches, then inputs, then dims). Kernels take contiguous
 * buffers; backward kernels ACCUMULATE (+=) into every non-NULL gradient they are given and
 * skip the NULL ones. Ops accept any strides and copy to contiguous where a kernel needs it. */
#ifndef MOSA_OPS_NN_H
#define MOSA_OPS_NN_H
#include "tensor.h"

/* ------------------------------------------------------------------------------------------ */
/* op_norm.c: LayerNorm, RMSNorm, GroupNorm, adaLN modulate                                    */
/* ------------------------------------------------------------------------------------------ */

/* PyTorch LayerNorm over the last dim C (biased variance); w and b (C) are each nullable. */
tensor *op_layernorm(ctx *c, tensor *x, tensor *w, tensor *b, float eps);
/* x * rsqrt(mean(x^2) + eps) * w over the last dim C; w (C) nullable. */
tensor *op_rmsnorm(ctx *c, tensor *x, tensor *w, float eps);
/* PyTorch GroupNorm: x (N,C,*) with 0-3 spatial dims, C % G == 0; w and b (C) nullable. */
tensor *op_groupnorm(ctx *c, tensor *x, int G, tensor *w, tensor *b, float eps);
/* DiT adaLN: x (B,T,C), shift and scale (B,C) -> x * (1 + scale) + shift, broadcast over T. */
tensor *op_modulate(ctx *c, tensor *x, tensor *shift, tensor *scale);

/* inp is (N,C) rows; mean and rstd (N) are nullable caches; w, b (C) nullable. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                       int64_t N, int64_t C, float eps);
void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                           int64_t N, int64_t C, float eps);
/* dout, inp are (N,C); mean, rstd (N) from the forward; dinp, dw, db nullable. */
void layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                        const float *mean, const float *rstd, int64_t N, int64_t C);
void layernorm_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                            const float *mean, const float *rstd, int64_t N, int64_t C);

/* inp is (N,C) rows; rstd (N) nullable cache; w (C) nullable. */
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *w, int64_t N, int64_t C, float eps);
void rmsnorm_forward_ref(float *out, float *rstd, const float *inp, const float *w, int64_t N, int64_t C, float eps);
void rmsnorm_backward(float *dinp, float *dw, const float *dout, const float *inp, const float *w, const float *rstd,
                      int64_t N, int64_t C);
void rmsnorm_backward_ref(float *dinp, float *dw, const float *dout, const float *inp, const float *w,
                          const float *rstd, int64_t N, int64_t C);

/* inp is (N,C,S) with S the product of the spatial dims; mean, rstd (N,G) nullable caches. */
void groupnorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                       int64_t N, int64_t C, int64_t G, int64_t S, float eps);
void groupnorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                           int64_t N, int64_t C, int64_t G, int64_t S, float eps);
/* work holds 2*N*C floats of scratch (per-channel partial sums); dinp, dw, db nullable. */
void groupnorm_backward(float *dinp, float *dw, float *db, float *work, const float *dout, const float *inp,
                        const float *w, const float *mean, const float *rstd, int64_t N, int64_t C, int64_t G,
                        int64_t S);
void groupnorm_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                            const float *mean, const float *rstd, int64_t N, int64_t C, int64_t G, int64_t S);

/* inp is (B,T,C); shift, scale are (B,C). */
void modulate_forward(float *out, const float *inp, const float *shift, const float *scale, int64_t B, int64_t T,
                      int64_t C);
void modulate_forward_ref(float *out, const float *inp, const float *shift, const float *scale, int64_t B,
                          int64_t T, int64_t C);
/* dinp, dshift, dscale nullable. */
void modulate_backward(float *dinp, float *dshift, float *dscale, const float *dout, const float *inp,
                       const float *scale, int64_t B, int64_t T, int64_t C);
void modulate_backward_ref(float *dinp, float *dshift, float *dscale, const float *dout, const float *inp,
                           const float *scale, int64_t B, int64_t T, int64_t C);

/* ------------------------------------------------------------------------------------------ */
/* op_shape.c: embedding, concat, split, pad                                                   */
/* ------------------------------------------------------------------------------------------ */

/* weight (V,C), ids of the given shape (nd <= 4, copied) in [0,V) -> out shape + (C). */
tensor *op_embedding(ctx *c, tensor *weight, const int32_t *ids, int nd, const int64_t *shape);
/* n >= 1 tensors with the same dims except `axis` (may be negative), joined along it. */
tensor *op_concat(ctx *c, tensor *const *xs, int n, int axis);
/* n pieces of x along axis with the given sizes (summing to the dim) into out[0..n-1]; the
 * pieces are views (op_slice). Returns 0, or -1 with the reason in c->status and out[] NULL. */
int op_split(ctx *c, tensor *x, int axis, int n, const int64_t *sizes, tensor **out);
/* Constant padding: before/after have x->nd entries, each >= 0. */
tensor *op_pad(ctx *c, tensor *x, const int64_t *before, const int64_t *after, float value);

/* ------------------------------------------------------------------------------------------ */
/* op_vq.c: vector quantization with the straight-through estimator                            */
/* ------------------------------------------------------------------------------------------ */

/* z (N,D), codebook (K,D): returns z_q (N,D) = the nearest codebook rows (squared L2, ties to
 * the lowest index), whose gradient passes to z unchanged. indices_out (N) and loss_out are
 * nullable; *loss_out = beta * mean((z - sg(q))^2) + mean((sg(z) - q)^2), a scalar tensor. */
tensor *op_vq(ctx *c, tensor *z, tensor *codebook, int32_t *indices_out, float beta, tensor **loss_out);

/* z (N,D), cb (K,D) -> idx (N). work holds vq_argmin_work_floats(N,K) floats of scratch. */
void vq_argmin(int32_t *idx, float *work, const float *z, const float *cb, int64_t N, int64_t K, int64_t D);
void vq_argmin_ref(int32_t *idx, const float *z, const float *cb, int64_t N, int64_t K, int64_t D);
int64_t vq_argmin_work_floats(int64_t N, int64_t K);

/* ------------------------------------------------------------------------------------------ */
/* op_gridsample.c: F.grid_sample(mode='bilinear', padding_mode='zeros')                        */
/* ------------------------------------------------------------------------------------------ */

/* x (N,C,H,W), grid (N,Ho,Wo,2) holding (x,y) in [-1,1] -> (N,C,Ho,Wo). */
tensor *op_grid_sample(ctx *c, tensor *x, tensor *grid, int align_corners);

/* inp is (N,C,H,W), grid (N,Ho,Wo,2), out (N,C,Ho,Wo), H*W < 2^31. The fast kernels take
 * scratch `work` of grid_sample_work_bytes(N,Ho,Wo) bytes for the per-pixel taps. */
int64_t grid_sample_work_bytes(int64_t N, int64_t Ho, int64_t Wo);
void grid_sample_forward(float *out, void *work, const float *inp, const float *grid, int64_t N, int64_t C,
                         int64_t H, int64_t W, int64_t Ho, int64_t Wo, int align_corners);
void grid_sample_forward_ref(float *out, const float *inp, const float *grid, int64_t N, int64_t C, int64_t H,
                             int64_t W, int64_t Ho, int64_t Wo, int align_corners);
/* dinp (N,C,H,W) and dgrid (N,Ho,Wo,2) nullable. */
void grid_sample_backward(float *dinp, float *dgrid, void *work, const float *dout, const float *inp,
                          const float *grid, int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                          int align_corners);
void grid_sample_backward_ref(float *dinp, float *dgrid, const float *dout, const float *inp, const float *grid,
                              int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                              int align_corners);

#endif
