// Test helper for the formats of gemm_quant.h (test_quant_*.cpp, test_gemm_quant.cpp): random
// blocks with finite f16 fields, Gaussian vectors, the ISA levels with their data rows and skip
// reasons, and the check every level's integer dot must pass: equal to the f64 dot of the decoded
// weights with the decoded activations. Header-only; used by the kernels tests.
#pragma once

#include <QtTest>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/gemm_quant.h"
#include "gemm_test_weights.h"

namespace quant_test {

using namespace atelier::kernels;
using gemm_test::putHalf;

// A finite half of moderate size (2^-7 .. 2^5), either sign.
inline std::uint16_t randomHalf(std::mt19937& rng) { return std::uint16_t((rng() & 0x83ff) | ((8 + rng() % 12) << 10)); }

inline std::vector<std::uint8_t> randomBytes(std::size_t n, std::mt19937& rng) {
    std::vector<std::uint8_t> w(n);
    for (auto& b : w) b = std::uint8_t(rng() & 0xff);
    return w;
}

// nb blocks of `bytes` random bytes whose f16 fields (`halves` of them from byte halfAt: d, or d
// and m) are finite and of moderate size; every other byte is valid in these formats.
inline std::vector<std::uint8_t> randomBlocks(int bytes, std::int64_t nb, std::mt19937& rng, int halfAt = 0,
                                              int halves = 1) {
    std::vector<std::uint8_t> w = randomBytes(std::size_t(nb * bytes), rng);
    for (std::int64_t b = 0; b < nb; ++b)
        for (int h = 0; h < halves; ++h) putHalf(&w[std::size_t(b * bytes + halfAt + 2 * h)], randomHalf(rng));
    return w;
}

// n draws from N(0, sigma^2).
inline std::vector<float> gaussian(std::size_t n, std::mt19937& rng, float sigma = 1.0f) {
    std::normal_distribution<float> g(0.0f, sigma);
    std::vector<float> v(n);
    for (auto& x : v) x = g(rng);
    return v;
}

// RMS of y - x over RMS of x.
inline double relativeRms(const std::vector<float>& x, const std::vector<float>& y) {
    double e = 0, s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) e += double(x[i] - y[i]) * (x[i] - y[i]), s += double(x[i]) * x[i];
    return std::sqrt(e / s);
}

// The levels a dot runs at, in the order of the formats' dot tables: a data-row tag and the name
// a skip reports.
struct Level {
    const char* tag;
    const char* name;
    IsaLevel isa;
    bool vnni;
};
inline constexpr Level kLevels[4] = {
    {"scalar", "scalar", IsaLevel::Scalar, false},
    {"avx2", "AVX2", IsaLevel::Avx2, false},
    {"avx512", "AVX-512", IsaLevel::Avx512, false},
    {"avx512vnni", "AVX-512 VNNI", IsaLevel::Avx512, true},
};

// Why level `level` (an index into kLevels) cannot run on this CPU, or nullptr.
inline const char* missingLevel(int level) {
    if (level == 1 && !isaSupported(IsaLevel::Avx2)) return "AVX2 not available on this CPU";
    if (level >= 2 && !isaSupported(IsaLevel::Avx512)) return "AVX-512 not available on this CPU";
    if (level == 3 && !cpuFeatures().avx512vnni) return "AVX-512 VNNI not available on this CPU";
    return nullptr;
}

// One data row per level: column "level" (the kLevels index), rows named by tag.
inline void addLevelRows() {
    QTest::addColumn<int>("level");
    for (int l = 0; l < 4; ++l) QTest::newRow(kLevels[l].tag) << l;
}

// Activations x rounded to Q8 blocks by the reference quantizer (BlockQ8A: 32 per block,
// BlockQ8K: 256).
template <class Act>
std::vector<Act> roundActivations(const std::vector<float>& x) {
    const auto n = std::int64_t(x.size());
    std::vector<Act> a(std::size_t(n) / sizeof(Act::qs));
    if constexpr (sizeof(Act::qs) == kQ8Block) quantize_row_q8a_ref(x.data(), n, a.data());
    else quantize_row_q8_k_ref(x.data(), n, a.data());
    return a;
}

// The n values a stored row of `dequant`'s format represents.
inline std::vector<float> decoded(DequantRowFn dequant, const std::vector<std::uint8_t>& w, std::int64_t n) {
    std::vector<float> out(static_cast<std::size_t>(n));
    dequant(w.data(), n, out.data());
    return out;
}

// Verifies that dot(w, a, nb) -- one level's integer dot of the row w with the activations act
// rounded to Q8 blocks -- is the f64 dot of the decoded weights with the decoded activations
// (d * qs), to 1e-5 of the sum of the terms' magnitudes plus `floor`. `what` names the case in
// the failure message.
template <class Act>
void checkDot(float (*dot)(const std::uint8_t*, const Act*, std::int64_t), DequantRowFn dequant,
              const std::vector<std::uint8_t>& w, const std::vector<float>& act, const QString& what,
              double floor = 1e-30) {
    const std::vector<Act> a = roundActivations<Act>(act);
    const std::vector<float> wf = decoded(dequant, w, std::int64_t(act.size()));
    constexpr std::size_t kBlock = sizeof(Act::qs);
    double want = 0, mag = 0;
    for (std::size_t i = 0; i < wf.size(); ++i) {
        const double t = double(wf[i]) * (double(a[i / kBlock].d) * a[i / kBlock].qs[i % kBlock]);
        want += t, mag += std::fabs(t);
    }
    const float got = dot(w.data(), a.data(), std::int64_t(a.size()));
    QVERIFY2(std::fabs(got - want) <= 1e-5 * mag + floor, qPrintable(QString("%1: %2 vs %3").arg(what).arg(got).arg(want)));
}

}  // namespace quant_test
