/* ops_matmul.h: matmul and linear (op_matmul.c), fused flash-style attention (op_attention.c),
 * rotary position embeddings (op_rope.c), and the naive reference kernels the tests check them
 * against. See ops.h for the rules every op follows. */
#ifndef MOSA_OPS_MATMUL_H
#define MOSA_OPS_MATMUL_H
#include "tensor.h"

/* ---- op_matmul.c ---- */

/* Batched matrix product: a is (...,M,K) (or (...,K,M) when trans_a), b is (...,K,N) (or
 * (...,N,K) when trans_b); both 2-D to 5-D, the batch dims (up to 3) broadcast numpy-style;
 * out is (...,M,N). The GEMMs are OpenBLAS sgemm calls on the inputs' own strides (a transposed
 * view costs nothing); backward sums a broadcast operand's gradient over the broadcast batches. */
tensor *op_matmul(ctx *c, tensor *a, tensor *b, int trans_a, int trans_b);

/* PyTorch nn.Linear: x (...,IN), w (OUT,IN), b (OUT) or NULL; out (...,OUT) = x w^T + b, done as
 * one sgemm over all leading rows. */
tensor *op_linear(ctx *c, tensor *x, tensor *w, tensor *b);

/* out (M,N) = op(a) op(b) with op(a) (M,K), op(b) (K,N); a is (M,K) or (K,M) if trans_a, b is
 * (K,N) or (N,K) if trans_b; all contiguous. Naive triple loop, sums in double. */
void matmul_forward_ref(float *out, const float *a, const float *b, int M, int K, int N, int trans_a, int trans_b);
/* out (N,OUT) = inp (N,IN) w^T + bias; w is (OUT,IN), bias (OUT) or NULL. Naive, double sums. */
void linear_forward_ref(float *out, const float *inp, const float *w, const float *bias, int N, int IN, int OUT);

/* ---- op_attention.c ---- */

/* Multi-head scaled dot-product attention, fused and flash-style: q (B,NH,T,D), k and v
 * (B,NH,S,D), out (B,NH,T,D) = softmax(scale q k^T + mask) v per head.
 *   causal: query i sees keys j <= i + (S - T) (PyTorch's is_causal when T == S).
 *   key_mask: (B,S) bytes or NULL; 1 = attend, 0 = padding (copied into the arena).
 *   scale: 0 means 1/sqrt(D).
 * A query row that sees no key outputs zeros and gets zero gradient. Memory is linear in T and
 * S: only the output and the per-row log-sum-exp are kept for backward, which recomputes the
 * scores tile by tile (FlashAttention-2). q, k, v may be strided views (unit stride along D
 * avoids a copy), e.g. slices of a fused qkv projection. */
tensor *op_attention(ctx *c, tensor *q, tensor *k, tensor *v, int causal, const uint8_t *key_mask, float scale);

/* The oracle: naive softmax over each query's full row of S scores, every score recomputed in
 * double. out (B,NH,T,D), lse (B,NH,T) (-INFINITY for rows that see no key; lse may be NULL),
 * q (B,NH,T,D), k, v (B,NH,S,D), all contiguous; key_mask (B,S) or NULL; scale as given (not
 * defaulted). */
void attention_forward_ref(float *out, float *lse, const float *q, const float *k, const float *v,
                           const uint8_t *key_mask, int B, int NH, int T, int S, int D, int causal, float scale);
/* Accumulates (+=) dq (B,NH,T,D), dk, dv (B,NH,S,D) from dout (B,NH,T,D); any of dq, dk, dv may
 * be NULL. Recomputes each query's full softmax row (naive, double). */
void attention_backward_ref(float *dq, float *dk, float *dv, const float *dout, const float *q, const float *k,
                            const float *v, const uint8_t *key_mask, int B, int NH, int T, int S, int D,
                            int causal, float scale);

/* ---- op_rope.c ---- */

/* Rotary position embedding, interleaved pairs (diffusers apply_rotary_emb with
 * use_real_unbind_dim=-1, as in CogVideoX): for each pair i < D/2 of the last dim at position t,
 *   out[2i]   = x[2i] cos[t,i] - x[2i+1] sin[t,i]
 *   out[2i+1] = x[2i+1] cos[t,i] + x[2i] sin[t,i].
 * x is (B,NH,T,D) (any 2-D to 5-D shape ending in (T,D) works), D even; cos_tab and sin_tab are
 * (T, D/2), copied into the arena. Backward applies the inverse rotation. */
tensor *op_rope(ctx *c, tensor *x, const float *cos_tab, const float *sin_tab);

/* Tables for positions 0..T-1: angle[t,i] = t * theta^(-2i/D), i < D/2 (D even). */
void rope_table_1d(float *cos_tab, float *sin_tab, int T, int D, float theta);
/* CogVideoX's 3D RoPE tables for T = F*H*W tokens in (f,h,w) row-major order: of the D/2 pairs
 * (D = d_t + d_h + d_w, each even), the first d_t/2 rotate by the frame index f with
 * freq_i = theta^(-2i/d_t), the next d_h/2 by the row h (theta^(-2i/d_h)), the last d_w/2 by
 * the column w (theta^(-2i/d_w)). Tables are (F*H*W, D/2). */
void rope_table_3d(float *cos_tab, float *sin_tab, int F, int H, int W, int d_t, int d_h, int d_w, float theta);

/* out (L,T,D) = rotation of x (L,T,D) by the (T,D/2) tables; contiguous; the oracle. */
void rope_forward_ref(float *out, const float *x, const float *cos_tab, const float *sin_tab, int L, int T, int D);

#endif
