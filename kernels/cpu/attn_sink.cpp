// attn_sink_f32 at every level: one body over the level's dot and axpy primitives (vec_ops.h),
// so the SIMD levels differ from the reference only in the order of the sums. The SIMD
// instances run only from the CPU tables of their level (kernel_table_cpu.cpp).

#include "atelier/kernels/attn_sink.h"

#include <algorithm>
#include <cmath>

#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/kernel_table.h"
#include "atelier/kernels/vec_ops.h"

namespace atelier::kernels {
namespace {

template <float (*Dot)(const float*, const float*, std::int64_t),
          void (*Axpy)(float, const float*, float*, std::int64_t)>
void attnSink(const float* q, int H, int C, const float* const* entries, std::int64_t n,
              const float* sinks, float scale, float* z, float* o) {
    for (int h = 0; h < H; ++h) {
        const float* qh = q + std::int64_t(h) * C;
        float* oh = o + std::int64_t(h) * C;
        float m = sinks[h];
        for (std::int64_t j = 0; j < n; ++j) {
            z[j] = Dot(qh, entries[j], C) * scale;
            m = std::max(m, z[j]);
        }
        float denom = std::exp(sinks[h] - m);
        std::fill(oh, oh + C, 0.0f);
        for (std::int64_t j = 0; j < n; ++j) {
            const float p = std::exp(z[j] - m);
            denom += p;
            Axpy(p, entries[j], oh, C);
        }
        const float inv = 1.0f / denom;
        for (int i = 0; i < C; ++i) oh[i] *= inv;
    }
}

}  // namespace

void attn_sink_f32_ref(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                       const float* sinks, float scale, float* z, float* o) {
    attnSink<dot_f32_ref, axpy_f32_ref>(q, H, C, entries, n, sinks, scale, z, o);
}

#if defined(__x86_64__)
void attn_sink_f32_avx2(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                        const float* sinks, float scale, float* z, float* o) {
    attnSink<dot_f32_avx2, axpy_f32_avx2>(q, H, C, entries, n, sinks, scale, z, o);
}

void attn_sink_f32_avx512(const float* q, int H, int C, const float* const* entries,
                          std::int64_t n, const float* sinks, float scale, float* z, float* o) {
    attnSink<dot_f32_avx512, axpy_f32_avx512>(q, H, C, entries, n, sinks, scale, z, o);
}
#endif

void attn_sink_f32_at(IsaLevel level, const float* q, int H, int C, const float* const* entries,
                      std::int64_t n, const float* sinks, float scale, float* z, float* o) {
    cpuKernels(level).attnSink(q, H, C, entries, n, sinks, scale, z, o);
}

void attn_sink_f32(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                   const float* sinks, float scale, float* z, float* o) {
    cpuKernels().attnSink(q, H, C, entries, n, sinks, scale, z, o);
}

}  // namespace atelier::kernels
