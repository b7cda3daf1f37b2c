// attn_sink_f32's scalar level: one body over the level's dot and axpy primitives (vec_ops.h).
// The SIMD levels (attn_sink_simd.inl, built into gemm_avx2.cpp and gemm_avx512.cpp) give the
// bits this body gives over their dot_f32 and axpy_f32, with several heads per entry load.

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
    for (int g0 = 0; g0 < H; g0 += kAttnHeadGroup) {
        const int g1 = std::min(H, g0 + kAttnHeadGroup);
        float m[kAttnHeadGroup], denom[kAttnHeadGroup];
        for (int h = g0; h < g1; ++h) m[h - g0] = sinks[h];
        for (std::int64_t j = 0; j < n; ++j)
            for (int h = g0; h < g1; ++h) {
                float& zj = z[std::int64_t(h) * n + j];
                zj = Dot(q + std::int64_t(h) * C, entries[j], C) * scale;
                m[h - g0] = std::max(m[h - g0], zj);
            }
        for (int h = g0; h < g1; ++h) {
            denom[h - g0] = std::exp(sinks[h] - m[h - g0]);
            float* oh = o + std::int64_t(h) * C;
            std::fill(oh, oh + C, 0.0f);
        }
        for (std::int64_t j = 0; j < n; ++j)
            for (int h = g0; h < g1; ++h) {
                const float p = std::exp(z[std::int64_t(h) * n + j] - m[h - g0]);
                denom[h - g0] += p;
                Axpy(p, entries[j], o + std::int64_t(h) * C, C);
            }
        for (int h = g0; h < g1; ++h) {
            const float inv = 1.0f / denom[h - g0];
            float* oh = o + std::int64_t(h) * C;
            for (int i = 0; i < C; ++i) oh[i] *= inv;
        }
    }
}

}  // namespace

void attn_sink_f32_ref(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                       const float* sinks, float scale, float* z, float* o) {
    attnSink<dot_f32_ref, axpy_f32_ref>(q, H, C, entries, n, sinks, scale, z, o);
}

void attn_sink_f32_at(IsaLevel level, const float* q, int H, int C, const float* const* entries,
                      std::int64_t n, const float* sinks, float scale, float* z, float* o) {
    cpuKernels(level).attnSink(q, H, C, entries, n, sinks, scale, z, o);
}

void attn_sink_f32(const float* q, int H, int C, const float* const* entries, std::int64_t n,
                   const float* sinks, float scale, float* z, float* o) {
    cpuKernels().attnSink(q, H, C, entries, n, sinks, scale, z, o);
}

}  // namespace atelier::kernels
