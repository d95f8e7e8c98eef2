/* ops_conv.h: declarations for this op group (see ops.h). */
#ifndef MOSA_OPS_CONV_H
#define MOSA_OPS_CONV_H
#include "tensor.h"

#endif
