/* ops.h: every differentiable op of the tensor engine, grouped by file.
 *
 * Each op: `tensor *op_xxx(ctx *c, inputs..., params...)`, returns a new tensor from the arena
 * (NULL on error, with the reason in c->status / mosa_last_error()), records its backward on the
 * tape when gradients are wanted. Shapes use the letters B T H W C F NH D. The naive reference
 * kernels (`*_ref`) are declared in each group header beside the fast ones; tests compare them. */
#ifndef MOSA_OPS_H
#define MOSA_OPS_H

#include "tensor.h"

/* ---- op_elementwise.c: broadcasting binary ops (numpy rules) and scalar ops ---- */
tensor *op_add(ctx *c, tensor *a, tensor *b);
tensor *op_sub(ctx *c, tensor *a, tensor *b);
tensor *op_mul(ctx *c, tensor *a, tensor *b);
tensor *op_div(ctx *c, tensor *a, tensor *b);
tensor *op_scale(ctx *c, tensor *x, float s);       /* x * s */
tensor *op_add_scalar(ctx *c, tensor *x, float s);  /* x + s */
/* Broadcast shape of a and b into out_shape; returns nd or -1 if incompatible. */
int t_broadcast_shape(const tensor *a, const tensor *b, int64_t *out_shape);

#include "ops_unary.h"
#include "ops_nn.h"
#include "ops_matmul.h"
#include "ops_conv.h"

#endif /* MOSA_OPS_H */
