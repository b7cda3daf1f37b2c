// Matrix products over stored weights, dispatched on the stored dtype to the kernels.

#include <cstdint>
#include <algorithm>
#include <cstring>

#include "atelier/engine/kv_entry.h"
#include "atelier/kernels/gemm.h"
#include "atelier/kernels/gemm_kquant.h"
#include "atelier/kernels/gemm_quant.h"
#include "atelier/kernels/gemv_ref.h"
#include "atelier/kernels/stream_ops.h"
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
    if (ws.jobRounded.empty()) ws.jobRounded.resize(1);
    // Integer kernels: x rounded once here, not once per row chunk.
    const RoundedActivations xq = roundActivations(m, x, T, ws.jobRounded[0]);
    const std::int64_t rows = rowEnd - rowBegin;
    const std::size_t scratchFloats = kernels::gemmScratchFloats(cols);
    // Rows are independent, so any split gives the same bits; small products stay on one thread.
    const int parts = rows * cols * T < (1 << 16) ? 1 : int(std::min<std::int64_t>(threads, rows));
    if (parts == 1) {
        multiply(m, x, T, y, grow(ws.rowScratch[0], scratchFloats), rowBegin, rowEnd, ldy, xq);
    } else {
        for (int p = 0; p < parts; ++p) grow(ws.rowScratch[std::size_t(p)], scratchFloats);
        auto part = [&](int p) {
            const std::int64_t b = rowBegin + rows * p / parts, e = rowBegin + rows * (p + 1) / parts;
            multiply(m, x, T, y + (b - rowBegin), ws.rowScratch[std::size_t(p)].data(), b, e, ldy, xq);
        };
        ws.pool->run(parts, part);
    }
    if (w.fp8Input && numerics == Numerics::Release)  // FP8/FP4 products produce bf16
        for (std::int64_t t = 0; t < T; ++t) roundToBf16(y + t * ldy, rowEnd - rowBegin);
}

ActivationRounding activationRounding(const StoredMatrix& m) {
    switch (m.weight->dtype) {
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q2_K: return ActivationRounding::Q8K;
    case DType::Q8_0:
    case DType::MXFP4: return ActivationRounding::Q8A;
    default:
        if (kernels::QuantType q; dtypeQuantType(m.weight->dtype, q))
            return kernels::quantFormat(q).activation == kernels::ActivationBlock::Q8A ? ActivationRounding::Q8A
                                                                                       : ActivationRounding::Q8K;
        return ActivationRounding::None;
    }
}

namespace {

// x [T, cols] → out [T, cols / kElems] blocks by Quantize (grown on demand).
template <class Block, std::int64_t kElems, void (*Quantize)(const float*, std::int64_t, Block*)>
const Block* roundRows(const float* x, std::int64_t T, std::int64_t cols, std::vector<Block>& out) {
    const std::int64_t nb = cols / kElems;
    if (out.size() < std::size_t(T * nb)) out.resize(std::size_t(T * nb));
    for (std::int64_t t = 0; t < T; ++t) Quantize(x + t * cols, cols, out.data() + t * nb);
    return out.data();
}

}  // namespace

RoundedActivations roundActivations(const StoredMatrix& m, const float* x, std::int64_t T,
                                    ActivationBlocks& store) {
    RoundedActivations r;
    switch (activationRounding(m)) {
    case ActivationRounding::None: break;
    case ActivationRounding::Q8K:
        r.q8k = roundRows<kernels::BlockQ8K, kernels::kQK_K, kernels::quantize_row_q8_k>(x, T, m.cols, store.q8k);
        break;
    case ActivationRounding::Q8A:
        r.q8a = roundRows<kernels::BlockQ8A, kernels::kQ8Block, kernels::quantize_row_q8a>(x, T, m.cols, store.q8a);
        break;
    }
    return r;
}

void multiply(const StoredMatrix& m, const float* x, std::int64_t T, float* y, float* row,
              std::int64_t rowBegin, std::int64_t rowEnd, std::int64_t ldy,
              RoundedActivations xr) {
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
    kernels::WeightMatrix km;
    km.data = data;
    km.scale = m.scale ? reinterpret_cast<const std::uint8_t*>(m.scale->data) : nullptr;
    km.rows = m.rows;
    km.cols = cols;
    switch (m.weight->dtype) {
    case DType::F32: km.format = kernels::WeightFormat::F32; break;
    case DType::BF16: km.format = kernels::WeightFormat::BF16; break;
    case DType::F16: km.format = kernels::WeightFormat::F16; break;
    case DType::F8_E4M3: km.format = kernels::WeightFormat::E4M3; break;
    case DType::I8: km.format = kernels::WeightFormat::E2M1; break;
    case DType::Q8_0:
    case DType::MXFP4: {
        // Integer products over activations rounded to blocks of 32, at every token count
        // ([T, cols/32]; per calling thread unless the caller rounded them).
        thread_local ActivationBlocks own;
        if (!xr.q8a) xr = roundActivations(m, x, T, own);
        const auto* w = reinterpret_cast<const std::uint8_t*>(data);
        if (m.weight->dtype == DType::Q8_0)
            kernels::gemm_q8_0_q8a(kernels::activeIsaLevel(), w, cols, rowBegin, rowEnd, xr.q8a, T, y, ldy);
        else
            kernels::gemm_mxfp4_q8a(kernels::activeIsaLevel(), w, cols, rowBegin, rowEnd, xr.q8a, T, y, ldy);
        return;
    }
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q2_K: {
        // GGUF K-quants read in place; the activations are rounded to Q8_K blocks as llama.cpp
        // does ([T, cols/256] blocks; per calling thread unless the caller rounded them).
        thread_local ActivationBlocks own;
        if (!xr.q8k) xr = roundActivations(m, x, T, own);
        const DType dt = m.weight->dtype;
        const auto type = dt == DType::Q4_K   ? kernels::KQuant::Q4_K
                          : dt == DType::Q5_K ? kernels::KQuant::Q5_K
                          : dt == DType::Q6_K ? kernels::KQuant::Q6_K
                                              : kernels::KQuant::Q2_K;
        kernels::gemm_kquant_q8_k(kernels::activeIsaLevel(), type,
                                  reinterpret_cast<const std::uint8_t*>(data), cols, rowBegin,
                                  rowEnd, xr.q8k, T, y, ldy);
        return;
    }
    default: {
        // The other ggml block formats (gemm_quant.h) on the activation blocks they read.
        kernels::QuantType q;
        if (!dtypeQuantType(m.weight->dtype, q)) {  // bindMatrix admits no other type
            for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
                decodeRow(m, r, row);
                for (std::int64_t t = 0; t < T; ++t)
                    y[t * ldy + (r - rowBegin)] = kernels::dot_f32_ref(row, x + t * cols, cols);
            }
            return;
        }
        thread_local ActivationBlocks own;
        if (!xr.q8a && !xr.q8k) xr = roundActivations(m, x, T, own);
        const void* xq = xr.q8a ? static_cast<const void*>(xr.q8a) : static_cast<const void*>(xr.q8k);
        kernels::gemm_quant(kernels::activeIsaLevel(), q, reinterpret_cast<const std::uint8_t*>(data), cols,
                            rowBegin, rowEnd, xq, T, y, ldy);
        return;
    }
    }
    kernels::gemm(km, rowBegin, rowEnd, x, T, y, ldy, row);
}

void matmulMany(const MatmulJob* jobs, std::size_t count, Numerics numerics, Workspace& ws) {
    const int threads = ws.pool ? ws.pool->threads() : 1;
    // Release: FP8-quantized inputs, one copy per distinct input (w1 and w3 share theirs).
    if (ws.jobInputs.size() < count) ws.jobInputs.resize(count);
    std::int64_t total = 0, maxCols = 1;
    std::vector<const float*>& inputs = ws.jobInputPtrs;  // the input each job reads
    inputs.resize(count);
    for (std::size_t j = 0; j < count; ++j) {
        const MatmulJob& job = jobs[j];
        const std::int64_t cols = job.w->m.cols;
        total += job.w->m.rows * cols * job.T;
        maxCols = std::max(maxCols, cols);
        inputs[j] = job.x;
        if (!(job.w->fp8Input && numerics == Numerics::Release)) continue;
        if (j > 0 && job.x == jobs[j - 1].x && inputs[j - 1] != jobs[j - 1].x) {
            inputs[j] = inputs[j - 1];
            continue;
        }
        float* q = grow(ws.jobInputs[j], std::size_t(job.T * cols));
        std::memcpy(q, job.x, std::size_t(job.T * cols) * sizeof(float));
        for (std::int64_t t = 0; t < job.T; ++t) simulateFp8Activations(q + t * cols, cols);
        inputs[j] = q;
    }
    // Integer kernels: each distinct input rounded once, before the row chunks.
    if (ws.jobRounded.size() < count) ws.jobRounded.resize(count);
    ws.jobRoundedPtrs.assign(count, RoundedActivations{});
    for (std::size_t j = 0; j < count; ++j) {
        const ActivationRounding kind = activationRounding(jobs[j].w->m);
        if (kind == ActivationRounding::None) continue;
        const bool same = j > 0 && activationRounding(jobs[j - 1].w->m) == kind &&
                          inputs[j] == inputs[j - 1] && jobs[j].T == jobs[j - 1].T &&
                          jobs[j].w->m.cols == jobs[j - 1].w->m.cols;
        ws.jobRoundedPtrs[j] = same ? ws.jobRoundedPtrs[j - 1]
                                    : roundActivations(jobs[j].w->m, inputs[j], jobs[j].T, ws.jobRounded[j]);
    }
    // Chunks of at least 4 rows (a kernel panel) and about 1/8 of a thread's share.
    const std::int64_t target = std::max<std::int64_t>(total / (threads * 8), 1 << 15);
    ws.jobParts.clear();
    for (std::size_t j = 0; j < count; ++j) {
        const std::int64_t rows = jobs[j].w->m.rows;
        const std::int64_t work = rows * jobs[j].w->m.cols * jobs[j].T;
        const std::int64_t chunks =
            std::clamp<std::int64_t>((work + target - 1) / target, 1, (rows + 3) / 4);
        for (std::int64_t c = 0; c < chunks; ++c) {
            const std::int64_t b = rows * c / chunks / 4 * 4;
            const std::int64_t e = c + 1 == chunks ? rows : rows * (c + 1) / chunks / 4 * 4;
            if (e > b) ws.jobParts.insert(ws.jobParts.end(), {std::int64_t(j), b, e});
        }
    }
    const int parts = int(ws.jobParts.size() / 3);
    if (ws.rowScratch.size() < std::size_t(parts)) ws.rowScratch.resize(std::size_t(parts));
    for (int p = 0; p < parts; ++p)
        grow(ws.rowScratch[std::size_t(p)], kernels::gemmScratchFloats(maxCols));
    auto part = [&](int p) {
        const std::int64_t* jp = ws.jobParts.data() + 3 * p;
        const MatmulJob& job = jobs[std::size_t(jp[0])];
        float* y = job.y + jp[1];
        multiply(job.w->m, inputs[std::size_t(jp[0])], job.T, y, ws.rowScratch[std::size_t(p)].data(),
                 jp[1], jp[2], job.ldy, ws.jobRoundedPtrs[std::size_t(jp[0])]);
        if (job.w->fp8Input && numerics == Numerics::Release)
            for (std::int64_t t = 0; t < job.T; ++t) roundToBf16(y + t * job.ldy, jp[2] - jp[1]);
    };
    if (ws.pool) ws.pool->run(parts, part);
    else
        for (int p = 0; p < parts; ++p) part(p);
}

void rmsnormRows(float* x, std::int64_t T, std::int64_t n, const float* w, float eps,
                 Numerics numerics) {
    for (std::int64_t t = 0; t < T; ++t) {
        kernels::rmsnorm_f32(x + t * n, w, n, eps, x + t * n);
        if (numerics == Numerics::Release) roundToBf16(x + t * n, n);
    }
}

}  // namespace atelier::engine::fwd
