/* ops_conv.h: convolutions (1D/2D/3D, the causal 3D conv of video VAEs with its frame cache),
 * upsampling (nearest, trilinear/bilinear) and average pooling; declarations (see ops.h).
 *
 * Layouts and semantics are PyTorch's: x is (N,C,L), (N,C,H,W) or (N,C,T,H,W); conv weights are
 * (F,C,K...), the conv is a cross-correlation with zero padding; no groups, no transposed conv.
 * The naive reference kernels (*_ref) declared here are the oracles the tests compare the fast
 * kernels against; they are plain loops, slow, and kept on purpose. */
#ifndef MOSA_OPS_CONV_H
#define MOSA_OPS_CONV_H
#include "tensor.h"

/* ---- op_conv.c: convolutions ---- */

/* x (N,C,L), w (F,C,K), b (F) or NULL -> (N,F,Lo), Lo = (L + 2p - d(K-1) - 1)/s + 1. */
tensor *op_conv1d(ctx *c, tensor *x, tensor *w, tensor *b, int stride, int padding, int dilation);
/* x (N,C,H,W), w (F,C,KH,KW), b (F) or NULL -> (N,F,Ho,Wo); arrays are {h, w}. */
tensor *op_conv2d(ctx *c, tensor *x, tensor *w, tensor *b, const int stride[2], const int padding[2],
                  const int dilation[2]);
/* x (N,C,T,H,W), w (F,C,KT,KH,KW), b (F) or NULL -> (N,F,To,Ho,Wo); arrays are {t, h, w};
 * zero padding on both sides of every dim. */
tensor *op_conv3d(ctx *c, tensor *x, tensor *w, tensor *b, const int stride[3], const int padding[3],
                  const int dilation[3]);
/* The causal 3D conv of CogVideoX's CausalConv3d: before the first frame come P = (KT-1)*dil_t
 * frames that are copies of x's first frame (replicate padding) or, when cache (N,C,P,H,W) is
 * given, the last P frames of the previous chunk; H and W get zero padding padding_hw {h, w}.
 * Output (N,F,(T-1)/stride_t+1,Ho,Wo). cache may be NULL; it gets a gradient if it requires one. */
tensor *op_conv3d_causal(ctx *c, tensor *x, tensor *w, tensor *b, const int stride[3], const int padding_hw[2],
                         const int dilation[3], tensor *cache);
/* The cache for the next chunk: the last P = (KT-1)*dilation_t frames of concat(cache or P copies
 * of x's first frame, x) along T, as a new (N,C,P,H,W) tensor. Not differentiable (records
 * nothing). Decoding chunk by chunk with it gives the same frames as decoding the whole video
 * (for stride_t 1). */
tensor *conv3d_causal_next_cache(ctx *c, tensor *x, tensor *cache, int KT, int dilation_t);

/* Geometry of one conv seen as 3D: a 1D conv has T = H = KT = KH = 1, a 2D conv T = KT = 1.
 * causal = 1: the pt frames before the first come from the cache (or replicate frame 0) and no
 * frames are padded after the last; causal = 0: pt zero frames on both sides. */
typedef struct conv_dims {
    int N, C, T, H, W;    /* input */
    int F, KT, KH, KW;    /* weight (F,C,KT,KH,KW) */
    int st, sh, sw;       /* strides */
    int pt, ph, pw;       /* padding */
    int dt, dh, dw;       /* dilations */
    int causal;
    int To, Ho, Wo;       /* output, filled by conv_dims_output */
} conv_dims;
/* Fills To, Ho, Wo from the rest (PyTorch floor formula); returns 0 if any is < 1. */
int conv_dims_output(conv_dims *d);

/* out is (N,F,To,Ho,Wo); inp (N,C,T,H,W); cache (N,C,pt,H,W) or NULL (causal only);
 * w (F,C,KT,KH,KW); b (F) or NULL. Overwrites out. */
void conv3d_forward_ref(float *out, const float *inp, const float *cache, const float *w, const float *b,
                        const conv_dims *d);
/* Accumulates (+=) d loss / d {inp, cache, w, b} from dout (N,F,To,Ho,Wo); any output may be NULL. */
void conv3d_backward_ref(float *dinp, float *dcache, float *dw, float *db, const float *dout, const float *inp,
                         const float *cache, const float *w, const conv_dims *d);
/* out (N,F,Lo) = conv1d(inp (N,C,L), w (F,C,K), b (F) or NULL); overwrites out. */
void conv1d_forward_ref(float *out, const float *inp, const float *w, const float *b, int N, int C, int L, int F,
                        int K, int stride, int pad, int dil);
/* Accumulates d {inp, w, b} from dout (N,F,Lo); any output may be NULL. */
void conv1d_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         int N, int C, int L, int F, int K, int stride, int pad, int dil);
/* out (N,F,Ho,Wo) = conv2d(inp (N,C,H,W), w (F,C,KH,KW), b (F) or NULL); overwrites out. */
void conv2d_forward_ref(float *out, const float *inp, const float *w, const float *b, int N, int C, int H, int W,
                        int F, int KH, int KW, const int stride[2], const int pad[2], const int dil[2]);
void conv2d_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         int N, int C, int H, int W, int F, int KH, int KW, const int stride[2], const int pad[2],
                         const int dil[2]);

/* ---- op_pool.c: upsampling and pooling ---- */

/* x (N,C,L), (N,C,H,W) or (N,C,T,H,W); factors has one integer >= 1 per spatial dim:
 * out[..., i, j, k] = x[..., i/ft, j/fh, k/fw] (PyTorch mode='nearest' with integer scales). */
tensor *op_upsample_nearest(ctx *c, tensor *x, const int *factors);
/* x (N,C,T,H,W) -> (N,C,out_t,out_h,out_w), PyTorch F.interpolate(size=..., mode='trilinear',
 * align_corners=...). With T == out_t == 1 it is bilinear on each frame; a 4-D x (N,C,H,W) with
 * out_t == 1 is accepted too and gives (N,C,out_h,out_w) (mode='bilinear'). */
tensor *op_upsample_trilinear(ctx *c, tensor *x, int out_t, int out_h, int out_w, int align_corners);
/* PyTorch AvgPool1d/2d/3d with padding 0, floor mode: kernel and stride have one entry per
 * spatial dim (x->nd - 2); stride NULL means stride = kernel. */
tensor *op_avgpool(ctx *c, tensor *x, const int *kernel, const int *stride);

/* Reference kernels; every tensor is seen as (NC,T,H,W) planes (use T = H = 1 for 1D, T = 1 for 2D).
 * out is (NC,T*ft,H*fh,W*fw). */
void upsample_nearest_forward_ref(float *out, const float *inp, int NC, int T, int H, int W, int ft, int fh, int fw);
void upsample_nearest_backward_ref(float *dinp, const float *dout, int NC, int T, int H, int W, int ft, int fh,
                                   int fw);
/* out (NC,To,Ho,Wo) from inp (NC,T,H,W). */
void upsample_trilinear_forward_ref(float *out, const float *inp, int NC, int T, int H, int W, int To, int Ho,
                                    int Wo, int align_corners);
void upsample_trilinear_backward_ref(float *dinp, const float *dout, int NC, int T, int H, int W, int To, int Ho,
                                     int Wo, int align_corners);
/* out (NC,To,Ho,Wo), To = (T - k[0])/s[0] + 1 etc.; k and s are {t, h, w}. */
void avgpool_forward_ref(float *out, const float *inp, int NC, int T, int H, int W, const int k[3], const int s[3]);
void avgpool_backward_ref(float *dinp, const float *dout, int NC, int T, int H, int W, const int k[3],
                          const int s[3]);

#endif
