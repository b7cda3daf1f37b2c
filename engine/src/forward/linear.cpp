// Matrix products over stored weights, dispatched on the stored dtype to the kernels.

#include <cstdint>
#include <algorithm>
#include <cstring>

#include "atelier/engine/kv_entry.h"
#include "atelier/kernels/gemm_kquant.h"
#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/rmsnorm_ref.h"
#include "forward/forward_internal.h"
#include "forward/thread_pool.h"

namespace atelier::engine::fwd {

float* grow(std::vector<float>& v, std::size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
}

void matmul(const Linear& w, const float* x, std::int64_t T, float* y, Numerics numerics,
            Workspace& ws, std::int64_t rowBegin, std::int64_t rowEnd, std::int64_t ldy) {
    const StoredMatrix& m = w.m;
    const std::int64_t cols = m.cols;
    if (rowEnd < 0) rowEnd = m.rows;
    if (ldy < 0) ldy = rowEnd - rowBegin;
    if (w.fp8Input && numerics == Numerics::Release) {
        float* q = grow(ws.actQ, std::size_t(T * cols));
        std::memcpy(q, x, std::size_t(T * cols) * sizeof(float));
        for (std::int64_t t = 0; t < T; ++t) simulateFp8Activations(q + t * cols, cols);
        x = q;
    }
    const int threads = ws.pool ? ws.pool->threads() : 1;
    if (ws.rowScratch.size() < std::size_t(threads)) ws.rowScratch.resize(std::size_t(threads));
    const std::int64_t rows = rowEnd - rowBegin;
    // Rows are independent, so any split gives the same bits; small products stay on one thread.
    const int parts = rows * cols * T < (1 << 16) ? 1 : int(std::min<std::int64_t>(threads, rows));
    if (parts == 1) {
        multiply(m, x, T, y, grow(ws.rowScratch[0], std::size_t(cols)), rowBegin, rowEnd, ldy);
    } else {
        for (int p = 0; p < parts; ++p) grow(ws.rowScratch[std::size_t(p)], std::size_t(cols));
        auto part = [&](int p) {
            const std::int64_t b = rowBegin + rows * p / parts, e = rowBegin + rows * (p + 1) / parts;
            multiply(m, x, T, y + (b - rowBegin), ws.rowScratch[std::size_t(p)].data(), b, e, ldy);
        };
        ws.pool->run(parts, part);
    }
    if (w.fp8Input && numerics == Numerics::Release)  // FP8/FP4 products produce bf16
        for (std::int64_t t = 0; t < T; ++t) roundToBf16(y + t * ldy, rowEnd - rowBegin);
}

void multiply(const StoredMatrix& m, const float* x, std::int64_t T, float* y, float* row,
              std::int64_t rowBegin, std::int64_t rowEnd, std::int64_t ldy) {
    const std::int64_t cols = m.cols;
    const auto* data = m.weight->data;
    const auto address = reinterpret_cast<std::uintptr_t>(data);
    if ((m.weight->dtype == DType::F32 && address % alignof(float) != 0) ||
        (m.weight->dtype == DType::BF16 && address % alignof(std::uint16_t) != 0)) {
        // A file whose tensor data is not aligned (another writer's safetensors, a GGUF with
        // general.alignment 1): copy each row out, then the same product as the aligned path.
        for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
            decodeRow(m, r, row);
            kernels::gemm_f32_ref(row, cols, 0, 1, x, T, y + (r - rowBegin), ldy);
        }
        return;
    }
    switch (m.weight->dtype) {
    case DType::F32:
        kernels::gemm_f32_ref(reinterpret_cast<const float*>(data), cols, rowBegin, rowEnd, x, T,
                              y, ldy);
        return;
    case DType::BF16:
        kernels::gemm_bf16_ref(reinterpret_cast<const std::uint16_t*>(data), cols, rowBegin,
                               rowEnd, x, T, y, ldy, row);
        return;
    case DType::F8_E4M3:
        kernels::gemm_e4m3_ref(reinterpret_cast<const std::uint8_t*>(data),
                               reinterpret_cast<const std::uint8_t*>(m.scale->data), cols,
                               rowBegin, rowEnd, x, T, y, ldy, row);
        return;
    case DType::I8:
        kernels::gemm_e2m1_ref(reinterpret_cast<const std::uint8_t*>(data),
                               reinterpret_cast<const std::uint8_t*>(m.scale->data), cols,
                               rowBegin, rowEnd, x, T, y, ldy, row);
        return;
    case DType::Q4_K:
    case DType::Q6_K:
    case DType::Q2_K: {
        // GGUF K-quants read in place; the activations are rounded to Q8_K blocks as llama.cpp
        // does ([T, cols/256] blocks, per calling thread).
        thread_local std::vector<kernels::BlockQ8K> q8;
        q8.resize(std::size_t(T * (cols / kernels::kQK_K)));
        const DType dt = m.weight->dtype;
        const auto type = dt == DType::Q4_K   ? kernels::KQuant::Q4_K
                          : dt == DType::Q6_K ? kernels::KQuant::Q6_K
                                              : kernels::KQuant::Q2_K;
        kernels::gemm_kquant(type, reinterpret_cast<const std::uint8_t*>(data), cols, rowBegin,
                             rowEnd, x, T, y, ldy, q8.data());
        return;
    }
    default:  // F16, Q8_0, MXFP4, Q4_0, Q5_0 (GGUF): the generic row decoder
        for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
            decodeRow(m, r, row);
            for (std::int64_t t = 0; t < T; ++t)
                y[t * ldy + (r - rowBegin)] = kernels::dot_f32_ref(row, x + t * cols, cols);
        }
        return;
    }
}

void rmsnormRows(float* x, std::int64_t T, std::int64_t n, const float* w, float eps,
                 Numerics numerics) {
    for (std::int64_t t = 0; t < T; ++t) {
        kernels::rmsnorm_f32_ref(x + t * n, w, n, eps, x + t * n);
        if (numerics == Numerics::Release) roundToBf16(x + t * n, n);
    }
}

}  // namespace atelier::engine::fwd
