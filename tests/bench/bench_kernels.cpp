// Matrix-kernel throughput on one thread: for every stored format, the product of a
// weight with T = 1 ([16384 × 1024], beyond the LLC in most formats; decode: weight bytes per second against a STREAM-like copy
// measured in the same run) and T = 64 ([1024 × 1024]; prefill: GFLOP/s against the FMA peak of the same
// level), at every dispatch level this CPU runs; and the int8-activation products (Q8_0 and
// MXFP4 on gemm_q8.h's blocks of 32, Q4_K, Q5_K, Q6_K and Q2_K on Q8_K) at T = 1 over ~64 MB of
// weights and T = 64 (Q8_0 also at T = 2, 4 and 8), at those levels and at AVX-VNNI and AVX-512
// VNNI when the CPU has them; and the lightning indexer's scoring of 8192 keys (a CSA layer at
// 32K) by one query of V4's 64 heads × 128, in floats over decoded keys and in integer form
// over the cache's MXFP4 bytes (indexer_fp4.h). Usage: bench_kernels [seconds per case]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/fp8_cast.h"
#include "atelier/kernels/gemm.h"
#include "atelier/kernels/gemm_kquant.h"
#include "atelier/kernels/gemm_q8.h"
#include "atelier/kernels/indexer_fp4.h"
#include "atelier/kernels/indexer_score.h"
#include "atelier/kernels/kernel_table.h"
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

// One product on int8 activations: rows × 1024 weights of its format (T = 1 reads them all, T = 64
// the first kPrefillRows).
struct Int8Product {
    const char* name;
    std::int64_t rows;
    std::vector<std::uint8_t> w;
    // y [T, rows] = W[0, rows) · activations [T] at a level (allowVnni: the VNNI body at AVX-512).
    void (*run)(const Int8Product&, IsaLevel, bool allowVnni, std::int64_t rows, std::int64_t T, float* y);
};

constexpr std::int64_t kCols = 1024, kPrefillRows = 1024;
std::vector<BlockQ8A> g_q8a;  // [64, kCols / 32] activation blocks
std::vector<BlockQ8K> g_q8k;  // [64, kCols / 256]

template <KQuant kType>
void runKQuant(const Int8Product& p, IsaLevel level, bool allowVnni, std::int64_t rows, std::int64_t T, float* y) {
    gemm_kquant_q8_k(level, kType, p.w.data(), kCols, 0, rows, g_q8k.data(), T, y, rows, allowVnni);
}
void runQ8_0(const Int8Product& p, IsaLevel level, bool allowVnni, std::int64_t rows, std::int64_t T, float* y) {
    gemm_q8_0_q8a(level, p.w.data(), kCols, 0, rows, g_q8a.data(), T, y, rows, allowVnni);
}
void runMxfp4(const Int8Product& p, IsaLevel level, bool allowVnni, std::int64_t rows, std::int64_t T, float* y) {
    gemm_mxfp4_q8a(level, p.w.data(), kCols, 0, rows, g_q8a.data(), T, y, rows, allowVnni);
}

// ~64 MB of `rowBytes` rows (beyond the LLC) whose bytes decode to finite values: 0x3c/0x38
// patterns (about 1) in every format.
Int8Product makeProduct(const char* name, std::size_t rowBytes,
                        void (*run)(const Int8Product&, IsaLevel, bool, std::int64_t, std::int64_t, float*),
                        std::mt19937& rng) {
    Int8Product p{name, std::int64_t((std::size_t(64) << 20) / rowBytes), {}, run};
    p.w.resize(rowBytes * std::size_t(p.rows));
    for (auto& b : p.w) b = std::uint8_t(0x30 + rng() % 8);
    return p;
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
    // The int8-activation products (the engine's path for these formats), built once for every
    // level: T = 1 as weight GB/s, T = 64 as GFLOP/s.
    std::vector<Int8Product> int8 = {
        makeProduct("q8_0", weightRowBytes(WeightFormat::Q8_0, kCols), runQ8_0, rng),
        makeProduct("mxfp4", weightRowBytes(WeightFormat::MXFP4, kCols), runMxfp4, rng),
        makeProduct("q4_k", kquantBlockBytes(KQuant::Q4_K) * kCols / kQK_K, runKQuant<KQuant::Q4_K>, rng),
        makeProduct("q5_k", kquantBlockBytes(KQuant::Q5_K) * kCols / kQK_K, runKQuant<KQuant::Q5_K>, rng),
        makeProduct("q6_k", kquantBlockBytes(KQuant::Q6_K) * kCols / kQK_K, runKQuant<KQuant::Q6_K>, rng),
        makeProduct("q2_k", kquantBlockBytes(KQuant::Q2_K) * kCols / kQK_K, runKQuant<KQuant::Q2_K>, rng),
    };
    {
        std::vector<float> x(std::size_t(64 * kCols));
        for (auto& v : x) v = float(rng() % 200) / 100.0f - 1.0f;
        g_q8a.resize(std::size_t(64 * kCols / kQ8Block));
        g_q8k.resize(std::size_t(64 * kCols / kQK_K));
        for (int t = 0; t < 64; ++t) {
            quantize_row_q8a_ref(x.data() + t * kCols, kCols, g_q8a.data() + t * kCols / kQ8Block);
            quantize_row_q8_k_ref(x.data() + t * kCols, kCols, g_q8k.data() + t * kCols / kQK_K);
        }
    }
    // The indexer: one query against 8192 keys (64 heads × 128).
    constexpr int kIndexHeads = 64, kIndexDim = 128;
    constexpr std::int64_t kIndexKeys = 8192, kKeyBytes = kIndexDim / 2 + kIndexDim / 32;
    std::vector<std::uint8_t> packedKeys(std::size_t(kIndexKeys * kKeyBytes));
    std::vector<float> floatKeys(static_cast<std::size_t>(kIndexKeys * kIndexDim));
    std::vector<float> indexScores(static_cast<std::size_t>(kIndexKeys));
    for (std::int64_t s = 0; s < kIndexKeys; ++s) {
        std::uint8_t* key = packedKeys.data() + s * kKeyBytes;
        for (int i = 0; i < kIndexDim / 2; ++i) key[i] = std::uint8_t(rng());
        for (int b = 0; b < kIndexDim / 32; ++b) key[kIndexDim / 2 + b] = std::uint8_t(120 + rng() % 8);
        fp4_dequant_e2m1_f32_ref(key, key + kIndexDim / 2, kIndexDim, floatKeys.data() + s * kIndexDim);
    }
    std::vector<std::int8_t> queryCodes(std::size_t(kIndexHeads * kIndexDim));
    std::vector<float> queryScales(std::size_t(kIndexHeads * kIndexDim / 32), 0.25f), queryFloats(queryCodes.size());
    std::vector<float> indexWeights(static_cast<std::size_t>(kIndexHeads));
    const int doubled[8] = {0, 1, 2, 3, 4, 6, 8, 12};
    for (std::size_t i = 0; i < queryCodes.size(); ++i) {
        queryCodes[i] = std::int8_t((rng() % 2 ? -1 : 1) * doubled[rng() % 8]);
        queryFloats[i] = float(queryCodes[i]) / 2 * 0.25f;
    }
    for (auto& w : indexWeights) w = float(rng() % 200) / 100.0f - 1.0f;
    std::vector<float> packedQuery(indexerQueryFp4Bytes(kIndexHeads, kIndexDim) / 4);
    const IndexerQueryFp4 query = indexer_query_fp4_pack(queryCodes.data(), queryScales.data(), indexWeights.data(),
                                                         kIndexHeads, kIndexDim, packedQuery.data());
    std::int64_t maxRows = 0;
    for (const Int8Product& p : int8) maxRows = std::max(maxRows, p.rows);
    std::vector<float> int8y(std::size_t(64 * kPrefillRows + 8 * maxRows));  // up to T = 8 over every row
    struct Level {
        const char* name;
        IsaLevel isa;
        bool vnni;
    };
    for (const Level& lv : {Level{"scalar", IsaLevel::Scalar, false}, Level{"AVX2", IsaLevel::Avx2, false},
                            Level{"AVX-VNNI", IsaLevel::Avx2, true}, Level{"AVX-512", IsaLevel::Avx512, false},
                            Level{"AVX-512 VNNI", IsaLevel::Avx512, true}}) {
        const IsaLevel level = lv.isa;
        const bool vnniHere = level == IsaLevel::Avx512 ? cpuFeatures().avx512vnni : cpuFeatures().avxvnni;
        if (!isaSupported(level) || (lv.vnni && !vnniHere)) {
            std::printf("%s: not available on this CPU\n", lv.name);
            continue;
        }
        const auto t0 = Clock::now();
        const double peak = double(fmaBurn(level, 20'000'000)) / since(t0) / 1e9;
        std::printf("%s: peak FMA %.1f GFLOP/s%s\n", lv.name, peak, lv.vnni ? " (of the level; int8 products only)" : "");
        for (int f = 0; f < 7 && !lv.vnni; ++f) {
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
        for (const Int8Product& p : int8) {
            std::printf("  %-6s on int8 activations:", p.name);
            for (int T : {1, 2, 4, 8}) {
                if (T > 1 && p.run != runQ8_0) continue;
                const double s = timePerCall(seconds, [&] { p.run(p, level, lv.vnni, p.rows, T, int8y.data()); });
                std::printf("  T=%d %6.2f GB/s", T, double(p.w.size()) / s / 1e9);
            }
            const double s64 = timePerCall(seconds, [&] { p.run(p, level, lv.vnni, kPrefillRows, 64, int8y.data()); });
            const double flops64 = 2.0 * double(kPrefillRows * kCols) * 64 / s64 / 1e9;
            std::printf("  T=64 %6.1f GFLOP/s (%3.0f%% of peak)\n", flops64, 100 * flops64 / peak);
        }
        const KernelTable& table = cpuKernels(level, lv.vnni);
        const double macs = double(kIndexKeys) * kIndexHeads * kIndexDim;
        const double sInt = timePerCall(seconds, [&] {
            table.indexerScoreFp4(query, packedKeys.data(), kKeyBytes, kIndexKeys, indexScores.data());
        });
        std::printf("  indexer, %lld keys x %d heads x %d: integer %6.1f ns/key (%5.1f GMAC/s)",
                    (long long)kIndexKeys, kIndexHeads, kIndexDim, sInt / double(kIndexKeys) * 1e9, macs / sInt / 1e9);
        if (!lv.vnni) {
            const double sFloat = timePerCall(seconds, [&] {
                table.indexerScore(queryFloats.data(), indexWeights.data(), kIndexHeads, kIndexDim, floatKeys.data(),
                                   kIndexKeys, indexScores.data());
            });
            std::printf("   float over decoded keys %6.1f ns/key (integer %.2fx)",
                        sFloat / double(kIndexKeys) * 1e9, sFloat / sInt);
        }
        std::printf("\n");
    }
    return 0;
}
