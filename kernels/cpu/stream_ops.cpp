// Dispatch of the stream ops (stream_ops.h): AVX2 where the CPU has it (AVX-512 machines too),
// else the scalar references.

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/rmsnorm_ref.h"
#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {
namespace {

#if defined(__x86_64__)
bool useAvx2() {
    const IsaLevel level = activeIsaLevel();
    return level == IsaLevel::Avx2 || level == IsaLevel::Avx512;
}
#define ATELIER_AVX2(call) \
    if (useAvx2()) return call
#else
#define ATELIER_AVX2(call) (void)0
#endif

}  // namespace

void rmsnorm_f32(const float* x, const float* w, std::int64_t n, float eps, float* y) {
    ATELIER_AVX2(rmsnorm_f32_avx2(x, w, n, eps, y));
    rmsnorm_f32_ref(x, w, n, eps, y);
}

void rope_f32(float* x, const float* cos, const float* sin, int rope, bool inverse) {
    ATELIER_AVX2(rope_f32_avx2(x, cos, sin, rope, inverse));
    rope_f32_ref(x, cos, sin, rope, inverse);
}

void hc_collapse_f32(const float* X, std::int64_t n, const float w[4], float* y) {
    ATELIER_AVX2(hc_collapse_f32_avx2(X, n, w, y));
    hc_collapse_f32_ref(X, n, w, y);
}

void hc_expand_f32(const float post[4], const float comb[16], const float* F, float* X,
                   std::int64_t n) {
    ATELIER_AVX2(hc_expand_f32_avx2(post, comb, F, X, n));
    hc_expand_f32_ref(post, comb, F, X, n);
}

void compress_pool_f32(const float* K, const float* Z, int c, int kc, int rows, bool overlap,
                       float* E) {
    ATELIER_AVX2(compress_pool_f32_avx2(K, Z, c, kc, rows, overlap, E));
    compress_pool_f32_ref(K, Z, c, kc, rows, overlap, E);
}

}  // namespace atelier::kernels
