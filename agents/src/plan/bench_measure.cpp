#include "atelier/agents/bench_measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/peak_fma.h"

namespace atelier::agents {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs fn(i) on `threads` threads (the caller is thread 0) and joins them.
template <typename F>
void onThreads(int threads, F fn) {
    std::vector<std::thread> others;
    for (int i = 1; i < threads; ++i) others.emplace_back([&fn, i] { fn(i); });
    fn(0);
    for (auto& t : others) t.join();
}

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

double streamTriadGbs(int threads, std::int64_t floats, int reps) {
    std::unique_ptr<float[]> a(new float[std::size_t(floats)]), b(new float[std::size_t(floats)]),
        c(new float[std::size_t(floats)]);
    // First touch on the threads that use each part (pages land where they are used).
    onThreads(threads, [&](int i) {
        const std::int64_t lo = floats * i / threads, hi = floats * (i + 1) / threads;
        std::fill(a.get() + lo, a.get() + hi, 0.0f);
        std::fill(b.get() + lo, b.get() + hi, 1.0f);
        std::fill(c.get() + lo, c.get() + hi, 2.0f);
    });
    double best = 0;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = Clock::now();
        onThreads(threads, [&](int i) {
            const std::int64_t lo = floats * i / threads, hi = floats * (i + 1) / threads;
            float* pa = a.get();
            const float* pb = b.get();
            const float* pc = c.get();
            for (std::int64_t j = lo; j < hi; ++j) pa[j] = pb[j] + 3.0f * pc[j];
        });
        best = std::max(best, double(floats) * 12.0 / secondsSince(t0) / 1e9);
    }
    volatile float sink = a[std::size_t(floats / 2)];
    (void)sink;
    return best;
}

double peakFmaGflops(int threads, double seconds) {
    const kernels::IsaLevel level = kernels::activeIsaLevel();
    // Calibrate the iterations on one thread, then run them on all at once.
    std::int64_t iterations = 1 << 16;
    for (;;) {
        const auto t0 = Clock::now();
        kernels::fmaBurn(level, iterations);
        const double s = secondsSince(t0);
        if (s > 0.02) {
            iterations = std::int64_t(double(iterations) * seconds / s) + 1;
            break;
        }
        iterations *= 4;
    }
    std::vector<std::int64_t> flops(std::size_t(threads), 0);
    const auto t0 = Clock::now();
    onThreads(threads, [&](int i) { flops[std::size_t(i)] = kernels::fmaBurn(level, iterations); });
    const double s = secondsSince(t0);
    double total = 0;
    for (auto f : flops) total += double(f);
    return total / s / 1e9;
}

ModelCosts modelCosts(const engine::WeightSource& weights) {
    ModelCosts c;
    const engine::ModelConfig& cfg = weights.config();
    double routedBytes = 0, routedParams = 0;
    for (const std::string& name : weights.names()) {
        const engine::TensorView* t = weights.find(name);
        if (!t || startsWith(name, "mtp.")) continue;
        const double bytes = double(t->nbytes);
        const bool matrix = t->shape.size() == 2 && !name.ends_with(".scale");
        if (name == "embed.weight") {
            c.embedRowBytes = bytes / double(cfg.vocabSize);
        } else if (name.find(".ffn.experts.") != std::string::npos) {
            routedBytes += bytes;
            if (matrix) routedParams += double(t->elements());
        } else {
            c.sharedWeightBytes += bytes;
            if (matrix && name != "head.weight" && name.find("tid2eid") == std::string::npos &&
                name.find("hc_") == std::string::npos)
                c.activeMatmulParams += double(t->elements());
        }
    }
    c.moeLayers = cfg.nLayers;  // every block has an MoE (hash or score routed)
    const double experts = double(cfg.nRoutedExperts) * double(c.moeLayers);
    c.expertBytes = routedBytes / experts;
    c.activeMatmulParams += routedParams / experts * double(cfg.nActivatedExperts) * c.moeLayers;
    return c;
}

double decodeWeightBytes(const ModelCosts& costs, const engine::ModelConfig& config, int batch) {
    const double E = config.nRoutedExperts, k = config.nActivatedExperts;
    const double touched = E * (1.0 - std::pow(1.0 - k / E, double(batch)));
    return costs.sharedWeightBytes + costs.embedRowBytes * batch +
           costs.expertBytes * touched * costs.moeLayers;
}

double decodeCacheBytes(const engine::ModelConfig& c, std::int64_t context) {
    // Entry sizes as in computeSizes (spec §10.2).
    const double nope = c.headDim - c.ropeHeadDim;
    const double entryBytes = nope + 2.0 * c.ropeHeadDim + std::floor((nope / 64 + 7) / 8) * 8;
    const double keyBytes = c.indexHeadDim / 2.0 + c.indexHeadDim / 32.0;
    const double L = double(context);
    double bytes = 0;
    for (int l = 0; l < c.nLayers; ++l) {
        bytes += std::min(L, double(c.windowSize)) * entryBytes;
        const int ratio = c.compressRatio(l);
        if (ratio == 4) {
            const double entries = std::floor(L / 4);
            bytes += entries * keyBytes + std::min(entries, double(c.indexTopk)) * entryBytes;
        } else if (ratio > 0) {
            bytes += std::floor(L / ratio) * entryBytes;
        }
    }
    return bytes;
}

}  // namespace atelier::agents
