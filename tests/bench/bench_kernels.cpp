// Matrix-kernel throughput on one thread: for every stored format, the product of a
// weight with T = 1 ([16384 × 1024], beyond the LLC in most formats; decode: weight bytes per second against a STREAM-like copy
// measured in the same run) and T = 64 ([1024 × 1024]; prefill: GFLOP/s against the FMA peak of the same
// level), at every dispatch level this CPU runs; and Q8_0 on int8 activations (gemm_q8.h) at
// T = 1, 2, 4, 8 and 64. Usage: bench_kernels [seconds per case]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/gemm.h"
#include "atelier/kernels/gemm_q8.h"
#include "atelier/kernels/peak_fma.h"

using namespace atelier::kernels;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Repeats fn until `seconds` have passed; returns seconds per call.
template <typename F>
double timePerCall(double seconds, F fn) {
    fn();
    int calls = 0;
    const auto t0 = Clock::now();
    do {
        fn();
        ++calls;
    } while (since(t0) < seconds);
    return since(t0) / calls;
}

double copyGbs(double seconds) {
    const std::size_t n = std::size_t(64) << 20;  // 256 MiB per buffer, far above the LLC
    std::vector<float> a(n, 1.0f), b(n, 0.0f);
    const double s = timePerCall(seconds, [&] { std::memcpy(b.data(), a.data(), n * 4); });
    return double(n) * 8 / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
    const std::int64_t rows = 16384, cols = 1024, prefillRows = 1024;
    std::mt19937 rng(1);
    std::printf("copy: %.2f GB/s (one thread)\n", copyGbs(seconds));
    const char* names[] = {"f32", "bf16", "f16", "q8_0", "e4m3", "e2m1", "mxfp4"};
    // Q8_0 on int8 activations (the engine's Q8_0 path): 65536 rows (71 MB, beyond the LLC) at
    // T = 1, 2, 4 and 8 as weight GB/s, and T = 64 as GFLOP/s. Built once for every level.
    const std::int64_t q8Rows = 65536;
    std::vector<std::uint8_t> q8(weightRowBytes(WeightFormat::Q8_0, cols) * q8Rows);
    for (auto& b : q8) b = std::uint8_t(0x30 + rng() % 8);
    std::vector<BlockQ8A> xq(std::size_t(64 * cols / kQ8Block));
    {
        std::vector<float> x(std::size_t(64 * cols));
        for (auto& v : x) v = float(rng() % 200) / 100.0f - 1.0f;
        for (int t = 0; t < 64; ++t) quantize_row_q8a_ref(x.data() + t * cols, cols, xq.data() + t * cols / kQ8Block);
    }
    std::vector<float> q8y(std::size_t(64 * q8Rows));
    for (IsaLevel level : {IsaLevel::Scalar, IsaLevel::Avx2, IsaLevel::Avx512}) {
        if (!isaSupported(level)) continue;
        const auto t0 = Clock::now();
        const double peak = double(fmaBurn(level, 20'000'000)) / since(t0) / 1e9;
        std::printf("%s: peak FMA %.1f GFLOP/s\n", isaName(level).c_str(), peak);
        for (int f = 0; f < 7; ++f) {
            const auto format = WeightFormat(f);
            // Bytes that decode to finite values: 0x3c/0x38 patterns (about 1) in every format.
            std::vector<std::uint8_t> data(weightRowBytes(format, cols) * rows);
            for (auto& b : data) b = std::uint8_t(0x30 + rng() % 8);
            std::vector<std::uint8_t> scale(std::size_t(rows * cols), 127);
            const WeightMatrix w{format, data.data(), scale.data(), rows, cols};
            std::vector<float> x(std::size_t(64 * cols), 0.5f), y(std::size_t(64 * prefillRows + rows));
            std::vector<float> scratch(gemmScratchFloats(cols));
            const double s1 = timePerCall(seconds, [&] {
                gemmAt(level, w, 0, rows, x.data(), 1, y.data(), rows, scratch.data());
            });
            const double s64 = timePerCall(seconds, [&] {
                gemmAt(level, w, 0, prefillRows, x.data(), 64, y.data(), prefillRows, scratch.data());
            });
            const double flops64 = 2.0 * double(prefillRows * cols) * 64 / s64 / 1e9;
            std::printf("  %-6s T=1: %6.2f GB/s of weights   T=64: %6.1f GFLOP/s (%3.0f%% of peak)\n",
                        names[f], double(data.size()) / s1 / 1e9, flops64, 100 * flops64 / peak);
        }
        std::printf("  q8_0 on int8 activations:");
        for (int T : {1, 2, 4, 8}) {
            const double s = timePerCall(seconds, [&] {
                gemm_q8_0_q8a(level, q8.data(), cols, 0, q8Rows, xq.data(), T, q8y.data(), q8Rows);
            });
            std::printf("  T=%d %.2f GB/s", T, double(q8.size()) / s / 1e9);
        }
        const double s64 = timePerCall(seconds, [&] {
            gemm_q8_0_q8a(level, q8.data(), cols, 0, prefillRows, xq.data(), 64, q8y.data(), prefillRows);
        });
        const double flops64 = 2.0 * double(prefillRows * cols) * 64 / s64 / 1e9;
        std::printf("  T=64 %.1f GFLOP/s (%.0f%% of peak)\n", flops64, 100 * flops64 / peak);
    }
    return 0;
}
