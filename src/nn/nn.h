/* nn.h: layers built from tensor ops, with parameters named like PyTorch state_dict keys.
 *
 * Each layer is a plain struct holding tensor pointers into a param_store, created by
 * `nn_<layer>_init(layer, ps, "prefix", dims..., rng)` (which adds "<prefix>.weight" etc. and
 * initialises them as PyTorch's default does) and run by `nn_<layer>_forward(c, layer, x...)`.
 * There is no free: the param_store owns all memory. Loading a safetensors file into the store
 * is then a name lookup.
 *
 * Blocks provided: Linear, LayerNorm, GroupNorm, an attention layer (fused qkv, optional RoPE),
 * an MLP, a pre-LN transformer block (GPT style), a DiT block with adaLN-Zero modulation (as in
 * facebookresearch/DiT), and a causal-conv3d ResNet block (CogVideoX VAE style). */
#ifndef MOSA_NN_H
#define MOSA_NN_H

#include "../tensor/ops.h"

/* "<prefix>.<name>" into buf (or just name when prefix is empty). */
const char *nn_name(char *buf, size_t n, const char *prefix, const char *name);

typedef struct nn_linear {
    tensor *w, *b; /* (out,in), (out) or NULL */
    int in, out;
} nn_linear;
/* PyTorch default init: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)). */
mosa_status nn_linear_init(nn_linear *l, param_store *ps, const char *prefix, int in, int out, int bias, mosa_rng *r);
tensor *nn_linear_forward(ctx *c, const nn_linear *l, tensor *x);

typedef struct nn_layernorm {
    tensor *w, *b; /* (C) or NULL when elementwise_affine is off */
    float eps;
} nn_layernorm;
mosa_status nn_layernorm_init(nn_layernorm *l, param_store *ps, const char *prefix, int C, int affine, float eps);
tensor *nn_layernorm_forward(ctx *c, const nn_layernorm *l, tensor *x);

typedef struct nn_groupnorm {
    tensor *w, *b;
    int G;
    float eps;
} nn_groupnorm;
mosa_status nn_groupnorm_init(nn_groupnorm *l, param_store *ps, const char *prefix, int G, int C, float eps);
tensor *nn_groupnorm_forward(ctx *c, const nn_groupnorm *l, tensor *x);

/* Multi-head self-attention with a fused qkv projection (timm/DiT naming: qkv, proj). */
typedef struct nn_attention {
    nn_linear qkv, proj;
    int C, NH;
} nn_attention;
mosa_status nn_attention_init(nn_attention *a, param_store *ps, const char *prefix, int C, int NH, mosa_rng *r);
/* x (B,T,C) -> (B,T,C). rope_cos/rope_sin: (T, D/2) tables or NULL; key_mask (B,T) or NULL. */
tensor *nn_attention_forward(ctx *c, const nn_attention *a, tensor *x, int causal, const uint8_t *key_mask,
                             const float *rope_cos, const float *rope_sin);

typedef struct nn_mlp {
    nn_linear fc1, fc2;
    int gelu_tanh;
} nn_mlp;
mosa_status nn_mlp_init(nn_mlp *m, param_store *ps, const char *prefix, int C, int hidden, int gelu_tanh, mosa_rng *r);
tensor *nn_mlp_forward(ctx *c, const nn_mlp *m, tensor *x);

/* Pre-LN transformer block: x += attn(ln1(x)); x += mlp(ln2(x)). Keys: ln1, attn, ln2, mlp. */
typedef struct nn_transformer_block {
    nn_layernorm ln1, ln2;
    nn_attention attn;
    nn_mlp mlp;
} nn_transformer_block;
mosa_status nn_transformer_block_init(nn_transformer_block *b, param_store *ps, const char *prefix, int C, int NH,
                                      int mlp_ratio, mosa_rng *r);
tensor *nn_transformer_block_forward(ctx *c, const nn_transformer_block *b, tensor *x, int causal,
                                     const uint8_t *key_mask);

/* DiT block with adaLN-Zero (Peebles & Xie): cond (B,C) -> SiLU -> Linear(C, 6C) gives shift,
 * scale and gate for attention and MLP; norms have no affine, eps 1e-6; MLP uses tanh GELU.
 * Keys: norm1, attn.{qkv,proj}, norm2, mlp.{fc1,fc2}, adaLN_modulation.1. The modulation linear
 * is zero-initialised as in DiT, so a fresh block is the identity. */
typedef struct nn_dit_block {
    nn_layernorm norm1, norm2;
    nn_attention attn;
    nn_mlp mlp;
    nn_linear ada;
    int C;
} nn_dit_block;
mosa_status nn_dit_block_init(nn_dit_block *b, param_store *ps, const char *prefix, int C, int NH, int mlp_ratio,
                              mosa_rng *r);
/* x (B,T,C), cond (B,C); rope tables as in nn_attention_forward (may be NULL). */
tensor *nn_dit_block_forward(ctx *c, const nn_dit_block *b, tensor *x, tensor *cond, const float *rope_cos,
                             const float *rope_sin);

/* Causal conv3d layer (CogVideoX CausalConv3d): temporal replicate/cache padding, spatial zero
 * padding k/2. Keys: conv.weight, conv.bias. */
typedef struct nn_causal_conv3d {
    tensor *w, *b;
    int C, F, k;
} nn_causal_conv3d;
mosa_status nn_causal_conv3d_init(nn_causal_conv3d *l, param_store *ps, const char *prefix, int C, int F, int k,
                                  mosa_rng *r);
/* x (N,C,T,H,W) -> (N,F,T,H,W); cache: previous chunk's last k-1 frames or NULL. */
tensor *nn_causal_conv3d_forward(ctx *c, const nn_causal_conv3d *l, tensor *x, tensor *cache);

/* ResNet block: norm1 -> SiLU -> conv1 -> norm2 -> SiLU -> conv2, plus the input (a 1x1x1
 * conv_shortcut when C != F). Keys: norm1, conv1.conv, norm2, conv2.conv, conv_shortcut. */
typedef struct nn_resnet3d {
    nn_groupnorm norm1, norm2;
    nn_causal_conv3d conv1, conv2;
    tensor *short_w, *short_b; /* NULL when C == F */
    int C, F;
} nn_resnet3d;
mosa_status nn_resnet3d_init(nn_resnet3d *b, param_store *ps, const char *prefix, int C, int F, int groups,
                             mosa_rng *r);
tensor *nn_resnet3d_forward(ctx *c, const nn_resnet3d *b, tensor *x);

#endif
