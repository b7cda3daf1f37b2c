#pragma once
// Internal to kernels/cpu: the product slots of gemm_quant.h's formats, for the CPU tables
// (kernel_table_cpu.cpp). They live beside that format table (gemm_quant.cpp), whose dot
// columns they read.

#include "atelier/kernels/kernel_table.h"

namespace atelier::kernels {

// The slot of `type` at `level`: the body quantDot(type, level, vnni) names (a level without
// one of its own runs the next lower level's), rows × tokens, token-inner.
MatmulFn gemm_quant_slot(QuantType type, IsaLevel level, bool vnni);

}  // namespace atelier::kernels
