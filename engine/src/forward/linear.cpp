// Matrix products over stored weights: each matrix's format names a product slot of the
// kernel table (kernel_table.h), bound once when the weights were (Linear::format).

#include <cstdint>
#include <algorithm>
#include <cstring>

#include "atelier/engine/kv_entry.h"
#include "atelier/kernels/gemv_ref.h"
#include "forward/forward_internal.h"
#include "forward/thread_pool.h"

namespace atelier::engine::fwd {

float* grow(std::vector<float>& v, std::size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
}

void matmul(const Linear& w, const float* x, std::int64_t T, float* y, Numerics numerics,
            Workspace& ws) {
    const kernels::KernelTable& k = *ws.kernels;
    const StoredMatrix& m = w.m;
    const std::int64_t cols = m.cols, rows = m.rows, ldy = rows;
    if (w.fp8Input && numerics == Numerics::Release) {
        float* q = grow(ws.actQ, std::size_t(T * cols));
        std::memcpy(q, x, std::size_t(T * cols) * sizeof(float));
        for (std::int64_t t = 0; t < T; ++t) simulateFp8Activations(k, q + t * cols, cols);
        x = q;
    }
    const int threads = ws.pool ? ws.pool->threads() : 1;
    if (ws.rowScratch.size() < std::size_t(threads)) ws.rowScratch.resize(std::size_t(threads));
    if (ws.jobRounded.empty()) ws.jobRounded.resize(1);
    // Integer kernels: x rounded once here, not once per row chunk.
    const void* xq = roundActivations(k, w, x, T, ws.jobRounded[0]);
    const std::size_t scratchFloats = kernels::gemmScratchFloats(cols);
    // Rows are independent, so any split gives the same bits; small products stay on one thread.
    const int parts = rows * cols * T < (1 << 16) ? 1 : int(std::min<std::int64_t>(threads, rows));
    if (parts == 1) {
        multiply(k, w, x, T, y, grow(ws.rowScratch[0], scratchFloats), 0, rows, ldy, xq);
    } else {
        for (int p = 0; p < parts; ++p) grow(ws.rowScratch[std::size_t(p)], scratchFloats);
        auto part = [&](int p) {
            const std::int64_t b = rows * p / parts, e = rows * (p + 1) / parts;
            multiply(k, w, x, T, y + b, ws.rowScratch[std::size_t(p)].data(), b, e, ldy, xq);
        };
        ws.pool->run(parts, part);
    }
    if (w.fp8Input && numerics == Numerics::Release)  // FP8/FP4 products produce bf16
        for (std::int64_t t = 0; t < T; ++t) roundToBf16(k, y + t * ldy, rows);
}

namespace {

kernels::ActivationRounding rounding(const kernels::KernelTable& k, const Linear& w) {
    return k.matmul[int(w.format)].activation;
}

// x [T, cols] → out [T, cols / kElems] blocks by `quantize` (grown on demand).
template <class Block, std::int64_t kElems>
const Block* roundRows(void (*quantize)(const float*, std::int64_t, Block*), const float* x,
                       std::int64_t T, std::int64_t cols, std::vector<Block>& out) {
    const std::int64_t nb = cols / kElems;
    if (out.size() < std::size_t(T * nb)) out.resize(std::size_t(T * nb));
    for (std::int64_t t = 0; t < T; ++t) quantize(x + t * cols, cols, out.data() + t * nb);
    return out.data();
}

}  // namespace

const void* roundActivations(const kernels::KernelTable& k, const Linear& w, const float* x,
                             std::int64_t T, ActivationBlocks& store) {
    switch (rounding(k, w)) {
    case kernels::ActivationRounding::None: return nullptr;
    case kernels::ActivationRounding::Q8A:
        return roundRows<kernels::BlockQ8A, kernels::kQ8Block>(k.quantizeQ8A, x, T, w.m.cols, store.q8a);
    case kernels::ActivationRounding::Q8K:
        return roundRows<kernels::BlockQ8K, kernels::kQK_K>(k.quantizeQ8K, x, T, w.m.cols, store.q8k);
    }
    return nullptr;
}

void multiply(const kernels::KernelTable& k, const Linear& w, const float* x, std::int64_t T,
              float* y, float* row, std::int64_t rowBegin, std::int64_t rowEnd, std::int64_t ldy,
              const void* rounded) {
    const StoredMatrix& m = w.m;
    const std::int64_t cols = m.cols;
    const auto* data = reinterpret_cast<const std::uint8_t*>(m.weight->data);
    const auto address = reinterpret_cast<std::uintptr_t>(data);
    if ((w.format == kernels::MatmulFormat::F32 && address % alignof(float) != 0) ||
        (w.format == kernels::MatmulFormat::BF16 && address % alignof(std::uint16_t) != 0)) {
        // A file whose tensor data is not aligned (another writer's safetensors, a GGUF with
        // general.alignment 1): copy each row out, then the same product as the aligned path.
        for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
            decodeRow(m, r, row);
            kernels::gemm_f32_ref(row, cols, 0, 1, x, T, y + (r - rowBegin), ldy);
        }
        return;
    }
    const kernels::MatmulSlot& slot = k.matmul[int(w.format)];
    const void* in = x;
    if (slot.activation != kernels::ActivationRounding::None) {
        // The integer products read x rounded to their blocks ([T, cols/32] or [T, cols/256];
        // per calling thread unless the caller rounded it).
        thread_local ActivationBlocks own;
        in = rounded ? rounded : roundActivations(k, w, x, T, own);
    }
    const auto* scale = m.scale ? reinterpret_cast<const std::uint8_t*>(m.scale->data) : nullptr;
    slot.run(data, scale, cols, rowBegin, rowEnd, in, T, y, ldy, row);
}

void matmulMany(const MatmulJob* jobs, std::size_t count, Numerics numerics, Workspace& ws) {
    const kernels::KernelTable& k = *ws.kernels;
    const int threads = ws.pool ? ws.pool->threads() : 1;
    // Release: FP8-quantized inputs, one copy per distinct input (w1 and w3 share theirs).
    if (ws.jobInputs.size() < count) ws.jobInputs.resize(count);
    std::int64_t total = 0, maxCols = 1;
    std::vector<const float*>& inputs = ws.jobInputPtrs;  // the input each job reads
    inputs.resize(count);
    auto rowsOf = [&](const MatmulJob& job) {
        return std::pair{job.rowBegin, job.rowEnd < 0 ? job.w->m.rows : job.rowEnd};
    };
    for (std::size_t j = 0; j < count; ++j) {
        const MatmulJob& job = jobs[j];
        const std::int64_t cols = job.w->m.cols;
        const auto [rowBegin, rowEnd] = rowsOf(job);
        total += (rowEnd - rowBegin) * cols * job.T;
        maxCols = std::max(maxCols, cols);
        inputs[j] = job.x;
        if (!(job.w->fp8Input && numerics == Numerics::Release)) continue;
        if (j > 0 && job.x == jobs[j - 1].x && inputs[j - 1] != jobs[j - 1].x) {
            inputs[j] = inputs[j - 1];
            continue;
        }
        float* q = grow(ws.jobInputs[j], std::size_t(job.T * cols));
        std::memcpy(q, job.x, std::size_t(job.T * cols) * sizeof(float));
        for (std::int64_t t = 0; t < job.T; ++t) simulateFp8Activations(k, q + t * cols, cols);
        inputs[j] = q;
    }
    // Integer kernels: each distinct input rounded once, before the row chunks.
    if (ws.jobRounded.size() < count) ws.jobRounded.resize(count);
    ws.jobRoundedPtrs.assign(count, nullptr);
    for (std::size_t j = 0; j < count; ++j) {
        const kernels::ActivationRounding kind = rounding(k, *jobs[j].w);
        if (kind == kernels::ActivationRounding::None) continue;
        const bool same = j > 0 && rounding(k, *jobs[j - 1].w) == kind &&
                          inputs[j] == inputs[j - 1] && jobs[j].T == jobs[j - 1].T &&
                          jobs[j].w->m.cols == jobs[j - 1].w->m.cols;
        ws.jobRoundedPtrs[j] = same ? ws.jobRoundedPtrs[j - 1]
                                    : roundActivations(k, *jobs[j].w, inputs[j], jobs[j].T, ws.jobRounded[j]);
    }
    // Chunks of at least 4 rows (a kernel panel) and about 1/8 of a thread's share.
    const std::int64_t target = std::max<std::int64_t>(total / (threads * 8), 1 << 15);
    ws.jobParts.clear();
    for (std::size_t j = 0; j < count; ++j) {
        const auto [rowBegin, rowEnd] = rowsOf(jobs[j]);
        const std::int64_t rows = rowEnd - rowBegin;
        const std::int64_t work = rows * jobs[j].w->m.cols * jobs[j].T;
        const std::int64_t chunks =
            std::clamp<std::int64_t>((work + target - 1) / target, 1, (rows + 3) / 4);
        for (std::int64_t c = 0; c < chunks; ++c) {
            const std::int64_t b = rows * c / chunks / 4 * 4;
            const std::int64_t e = c + 1 == chunks ? rows : rows * (c + 1) / chunks / 4 * 4;
            if (e > b) ws.jobParts.insert(ws.jobParts.end(), {std::int64_t(j), rowBegin + b, rowBegin + e});
        }
    }
    const int parts = int(ws.jobParts.size() / 3);
    if (ws.rowScratch.size() < std::size_t(parts)) ws.rowScratch.resize(std::size_t(parts));
    for (int p = 0; p < parts; ++p)
        grow(ws.rowScratch[std::size_t(p)], kernels::gemmScratchFloats(maxCols));
    auto part = [&](int p) {
        const std::int64_t* jp = ws.jobParts.data() + 3 * p;
        const MatmulJob& job = jobs[std::size_t(jp[0])];
        float* y = job.y + (jp[1] - job.rowBegin);
        multiply(k, *job.w, inputs[std::size_t(jp[0])], job.T, y, ws.rowScratch[std::size_t(p)].data(),
                 jp[1], jp[2], job.ldy, ws.jobRoundedPtrs[std::size_t(jp[0])]);
        if (job.w->fp8Input && numerics == Numerics::Release)
            for (std::int64_t t = 0; t < job.T; ++t) roundToBf16(k, y + t * job.ldy, jp[2] - jp[1]);
    };
    if (ws.pool) ws.pool->run(parts, part);
    else
        for (int p = 0; p < parts; ++p) part(p);
}

void rmsnormRows(const kernels::KernelTable& k, float* x, std::int64_t T, std::int64_t n,
                 const float* w, float eps, Numerics numerics) {
    for (std::int64_t t = 0; t < T; ++t) {
        k.rmsnorm(x + t * n, w, n, eps, x + t * n);
        if (numerics == Numerics::Release) roundToBf16(k, x + t * n, n);
    }
}

}  // namespace atelier::engine::fwd
