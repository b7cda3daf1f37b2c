// The stream ops (stream_ops.h) at activeIsaLevel(): the slots of cpuKernels().

#include "atelier/kernels/kernel_table.h"
#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {

void rmsnorm_f32(const float* x, const float* w, std::int64_t n, float eps, float* y) {
    cpuKernels().rmsnorm(x, w, n, eps, y);
}

void rope_f32(float* x, const float* cos, const float* sin, int rope, bool inverse) {
    cpuKernels().rope(x, cos, sin, rope, inverse);
}

void hc_collapse_f32(const float* X, std::int64_t n, const float w[4], float* y) {
    cpuKernels().hcCollapse(X, n, w, y);
}

void hc_expand_f32(const float post[4], const float comb[16], const float* F, float* X,
                   std::int64_t n) {
    cpuKernels().hcExpand(post, comb, F, X, n);
}

void compress_pool_f32(const float* K, const float* Z, int c, int kc, int rows, bool overlap,
                       float* E) {
    cpuKernels().compressPool(K, Z, c, kc, rows, overlap, E);
}

}  // namespace atelier::kernels
