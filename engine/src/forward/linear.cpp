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
    const MatmulJob job{&w, x, T, y, w.m.rows};
    matmulMany(&job, 1, numerics, ws);
}

namespace {

kernels::ActivationRounding rounding(const kernels::KernelTable& k, const Linear& w) {
    return k.matmul[int(w.format)].activation;
}

}  // namespace

const void* activationStore(const kernels::KernelTable& k, const Linear& w, std::int64_t T,
                            ActivationBlocks& store) {
    const std::int64_t cols = w.m.cols;
    switch (rounding(k, w)) {
    case kernels::ActivationRounding::None: return nullptr;
    case kernels::ActivationRounding::Q8A: {
        const std::size_t n = std::size_t(T * (cols / kernels::kQ8Block));
        if (store.q8a.size() < n) store.q8a.resize(n);
        return store.q8a.data();
    }
    case kernels::ActivationRounding::Q8K: {
        const std::size_t n = std::size_t(T * (cols / kernels::kQK_K));
        if (store.q8k.size() < n) store.q8k.resize(n);
        return store.q8k.data();
    }
    }
    return nullptr;
}

void roundActivationRows(const kernels::KernelTable& k, const Linear& w, const float* x,
                         std::int64_t t0, std::int64_t t1, ActivationBlocks& store) {
    const std::int64_t cols = w.m.cols;
    switch (rounding(k, w)) {
    case kernels::ActivationRounding::None: return;
    case kernels::ActivationRounding::Q8A: {
        const std::int64_t nb = cols / kernels::kQ8Block;
        for (std::int64_t t = t0; t < t1; ++t) k.quantizeQ8A(x + t * cols, cols, store.q8a.data() + t * nb);
        return;
    }
    case kernels::ActivationRounding::Q8K: {
        const std::int64_t nb = cols / kernels::kQK_K;
        for (std::int64_t t = t0; t < t1; ++t) k.quantizeQ8K(x + t * cols, cols, store.q8k.data() + t * nb);
        return;
    }
    }
}

const void* roundActivations(const kernels::KernelTable& k, const Linear& w, const float* x,
                             std::int64_t T, ActivationBlocks& store) {
    const void* blocks = activationStore(k, w, T, store);
    roundActivationRows(k, w, x, 0, T, store);
    return blocks;
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
    // What each job's input needs before the products: under Release an FP8-quantized copy
    // (kCopy) and for an integer kernel a rounding (kRound), each made once per distinct input
    // (w1 and w3 share theirs) and shared by the jobs after it.
    constexpr std::uint8_t kCopy = 1, kRound = 2;
    if (ws.jobInputs.size() < count) ws.jobInputs.resize(count);
    if (ws.jobRounded.size() < count) ws.jobRounded.resize(count);
    std::vector<const float*>& inputs = ws.jobInputPtrs;  // the input each job reads
    inputs.resize(count);
    ws.jobRoundedPtrs.assign(count, nullptr);
    ws.jobPrep.assign(count, 0);
    std::int64_t total = 0, maxCols = 1, prepWork = 0, maxT = 0;
    auto rowsOf = [&](const MatmulJob& job) {
        return std::pair{job.rowBegin, job.rowEnd < 0 ? job.w->m.rows : job.rowEnd};
    };
    for (std::size_t j = 0; j < count; ++j) {
        const MatmulJob& job = jobs[j];
        const std::int64_t cols = job.w->m.cols;
        const auto [rowBegin, rowEnd] = rowsOf(job);
        total += (rowEnd - rowBegin) * cols * job.T;
        maxCols = std::max(maxCols, cols);
        // Shared only between jobs of the same rows and width, so that the rows one part
        // prepares below are the rows of every job that reads them.
        const bool sameInput = j > 0 && job.x == jobs[j - 1].x && job.T == jobs[j - 1].T &&
                               cols == jobs[j - 1].w->m.cols;
        inputs[j] = job.x;
        if (job.w->fp8Input && numerics == Numerics::Release) {
            if (sameInput && inputs[j - 1] != jobs[j - 1].x) {
                inputs[j] = inputs[j - 1];
            } else {
                inputs[j] = grow(ws.jobInputs[j], std::size_t(job.T * cols));
                ws.jobPrep[j] |= kCopy;
            }
        }
        const kernels::ActivationRounding kind = rounding(k, *job.w);
        if (kind != kernels::ActivationRounding::None) {
            if (sameInput && rounding(k, *jobs[j - 1].w) == kind && inputs[j] == inputs[j - 1]) {
                ws.jobRoundedPtrs[j] = ws.jobRoundedPtrs[j - 1];
            } else {
                ws.jobRoundedPtrs[j] = activationStore(k, *job.w, job.T, ws.jobRounded[j]);
                ws.jobPrep[j] |= kRound;
            }
        }
        if (ws.jobPrep[j]) {
            prepWork += job.T * cols;
            maxT = std::max(maxT, job.T);
        }
    }
    // The copies and roundings, rows split across the pool when there are many (a prefill
    // chunk's MoE rounds thousands of rows): part p of P prepares rows [T·p/P, T·(p+1)/P) of
    // every job, in job order, so a rounding finds its copy's rows made by the same part.
    auto prep = [&](int p, int P) {
        for (std::size_t j = 0; j < count; ++j) {
            if (!ws.jobPrep[j]) continue;
            const MatmulJob& job = jobs[j];
            const std::int64_t cols = job.w->m.cols, t0 = job.T * p / P, t1 = job.T * (p + 1) / P;
            if (ws.jobPrep[j] & kCopy) {
                float* q = ws.jobInputs[j].data();  // inputs[j]: this job owns the copy
                std::memcpy(q + t0 * cols, job.x + t0 * cols, std::size_t((t1 - t0) * cols) * sizeof(float));
                for (std::int64_t t = t0; t < t1; ++t) simulateFp8Activations(k, q + t * cols, cols);
            }
            if (ws.jobPrep[j] & kRound) roundActivationRows(k, *job.w, inputs[j], t0, t1, ws.jobRounded[j]);
        }
    };
    const int prepParts = prepWork >= (1 << 15) ? int(std::min<std::int64_t>(threads, maxT)) : 1;
    if (prepParts > 1) {
        auto part = [&](int p) { prep(p, prepParts); };
        ws.pool->run(prepParts, part);
    } else if (prepWork > 0) {
        prep(0, 1);
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
