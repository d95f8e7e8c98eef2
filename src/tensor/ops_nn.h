/* ops_nn.h: declarations for this op group (see ops.h). */
#ifndef MOSA_OPS_NN_H
#define MOSA_OPS_NN_H
#include "tensor.h"

#endif
