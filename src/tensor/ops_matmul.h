/* ops_matmul.h: declarations for this op group (see ops.h). */
#ifndef MOSA_OPS_MATMUL_H
#define MOSA_OPS_MATMUL_H
#include "tensor.h"

#endif
