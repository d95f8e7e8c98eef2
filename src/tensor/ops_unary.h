/* ops_unary.h: declarations for this op group (see ops.h). */
#ifndef MOSA_OPS_UNARY_H
#define MOSA_OPS_UNARY_H
#include "tensor.h"

#endif
