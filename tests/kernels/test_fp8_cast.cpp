// ctest-labels: unit
// The FP8 E4M3 block casts and BF16 rounding (fp8_cast.h) at every dispatch level this CPU
// runs (each level forced), against an independent model written here in double precision:
// the nearest of the 127 finite E4M3 magnitudes (ties to the even code, clamp to ±448), the
// block scale 2^ceil(log2(max(amax, 1e-4)/448)) found by walking powers of two, and BF16
// rounding by comparing the dropped bits with one half; the FP4 E2M1 key decode of every byte
// and scale. Lengths hit every vector tail and
// short last blocks. Every level must equal the `_ref` bit for bit, also on blocks holding
// NaN or infinity.

#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "atelier/kernels/cpu_features.h"
#include "atelier/kernels/fp8_cast.h"
#include "kernels/missing_levels.h"

using namespace atelier::kernels;
using atelier::kernels::test::MissingLevels;

namespace {

const IsaLevel kLevels[] = {IsaLevel::Scalar, IsaLevel::Avx2, IsaLevel::Avx512};

double e4m3Model(int code) {  // NaN for 0x7f / 0xff
    const int e = (code >> 3) & 15, m = code & 7;
    if (e == 15 && m == 7) return NAN;
    const double v = e == 0 ? m / 8.0 * std::pow(2.0, -6) : (1 + m / 8.0) * std::pow(2.0, e - 7);
    return (code & 0x80) ? -v : v;
}

int encodeModel(double v) {  // v already divided by the scale
    const int sign = std::signbit(v) ? 0x80 : 0;
    const double a = std::min(std::fabs(v), 448.0);
    int best = 0;
    for (int c = 1; c <= 0x7e; ++c) {
        const double dc = std::fabs(e4m3Model(c) - a), db = std::fabs(e4m3Model(best) - a);
        if (dc < db || (dc == db && (c & 1) == 0)) best = c;
    }
    return sign | best;
}

double scaleModel(const float* x, std::int64_t n) {
    double amax = 0;
    for (std::int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(double(x[i])));
    const double target = double(std::max(float(amax), 1e-4f) / 448.0f);
    double s = std::pow(2.0, -40);
    while (s < target) s *= 2;
    return s;
}

std::uint32_t bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

float fromBits(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// Values of every magnitude the casts see, with exact E4M3 midpoints and signed zeros.
std::vector<float> makeValues(std::int64_t n, std::mt19937& rng) {
    std::vector<float> x(static_cast<std::size_t>(n));
    const float big = std::ldexp(1.0f, int(rng() % 30) - 12);  // this vector's range
    for (std::int64_t i = 0; i < n; ++i) {
        float v = std::uniform_real_distribution<float>(-1, 1)(rng) *
                  std::ldexp(big, -int(rng() % 14));
        if (i % 11 == 3) v = (e4m3Model(int(rng() % 126)) + e4m3Model(int(rng() % 126))) / 2 * big / 256;
        if (i % 17 == 5) v = (i % 2) ? -0.0f : 0.0f;
        if (i % 23 == 7) v = std::ldexp(1.0f, -140);  // an f32 subnormal
        x[std::size_t(i)] = v;
    }
    return x;
}

}  // namespace

class Fp8CastTest : public QObject {
    Q_OBJECT
private slots:
    void quantizeAtEveryLevelMatchesTheModelAndTheReference() {
        MissingLevels missing;
        std::mt19937 rng(11);
        for (int block : {64, 128})
            for (std::int64_t n : {1, 7, 8, 9, 63, 64, 65, 130, 448, 1000}) {
                const std::vector<float> x = makeValues(n, rng);
                const std::int64_t nb = (n + block - 1) / block;
                std::vector<std::uint8_t> wantCodes(static_cast<std::size_t>(n)), wantScales(static_cast<std::size_t>(nb));
                fp8_quant_e4m3_f32_ref(x.data(), n, block, wantCodes.data(), wantScales.data());
                for (std::int64_t b = 0; b < nb; ++b) {
                    const std::int64_t len = std::min<std::int64_t>(block, n - b * block);
                    const double s = scaleModel(x.data() + b * block, len);
                    QCOMPARE(std::ldexp(1.0, int(wantScales[std::size_t(b)]) - 127), s);
                    for (std::int64_t i = b * block; i < b * block + len; ++i)
                        if (wantCodes[std::size_t(i)] != encodeModel(double(x[std::size_t(i)]) / s))
                            QFAIL(qPrintable(QString("value %1 scale %2: code %3, model %4")
                                                 .arg(double(x[std::size_t(i)]), 0, 'g', 9).arg(s)
                                                 .arg(wantCodes[std::size_t(i)])
                                                 .arg(encodeModel(double(x[std::size_t(i)]) / s))));
                }
                for (IsaLevel level : kLevels) {
                    if (!missing.runs(level)) continue;
                    const IsaLevel before = forceIsaLevel(level);
                    std::vector<std::uint8_t> codes(std::size_t(n + 1), 0xaa), scales(static_cast<std::size_t>(nb));
                    fp8_quant_e4m3_f32(x.data(), n, block, codes.data(), scales.data());
                    std::vector<float> sim = x;
                    fp8_simulate_e4m3_f32(sim.data(), n, block);
                    std::vector<float> back(static_cast<std::size_t>(n));
                    fp8_dequant_e4m3_f32(codes.data(), scales.data(), n, block, back.data());
                    forceIsaLevel(before);
                    QCOMPARE(codes[std::size_t(n)], std::uint8_t(0xaa));  // nothing past the end
                    codes.pop_back();
                    QVERIFY(codes == wantCodes);
                    QVERIFY(scales == wantScales);
                    for (std::int64_t i = 0; i < n; ++i) {
                        const double s = std::ldexp(1.0, int(scales[std::size_t(i / block)]) - 127);
                        QCOMPARE(double(back[std::size_t(i)]), e4m3Model(codes[std::size_t(i)]) * s);
                        QCOMPARE(bits(sim[std::size_t(i)]), bits(back[std::size_t(i)]));
                    }
                }
            }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void exactMidpointsRoundToTheEvenCode() {
        MissingLevels missing;
        std::vector<float> x{448.0f};  // scale 1: the block's values are their own E4M3 inputs
        for (int c = 0; c < 0x7e; ++c) {
            const float mid = float((e4m3Model(c) + e4m3Model(c + 1)) / 2);
            x.push_back(mid);
            x.push_back(-mid);
        }
        const std::int64_t n = std::int64_t(x.size());
        for (IsaLevel level : kLevels) {
            if (!missing.runs(level)) continue;
            const IsaLevel before = forceIsaLevel(level);
            std::vector<std::uint8_t> codes(static_cast<std::size_t>(n)), scales(1);
            fp8_quant_e4m3_f32(x.data(), n, int(n), codes.data(), scales.data());
            forceIsaLevel(before);
            QCOMPARE(int(scales[0]), 127);
            QCOMPARE(int(codes[0]), 0x7e);
            for (int c = 0; c < 0x7e; ++c) {
                const int even = (c & 1) ? c + 1 : c;
                QCOMPARE(int(codes[std::size_t(1 + 2 * c)]), even);
                QCOMPARE(int(codes[std::size_t(2 + 2 * c)]), 0x80 | even);
            }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void dequantizeOfEveryCodeMatchesTheModel() {
        MissingLevels missing;
        std::vector<std::uint8_t> codes(256 + 5);
        for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = std::uint8_t(i);
        const std::uint8_t scales[] = {127, 120, 140, 1, 250, 127};
        for (IsaLevel level : kLevels) {
            if (!missing.runs(level)) continue;
            const IsaLevel before = forceIsaLevel(level);
            std::vector<float> x(codes.size());
            fp8_dequant_e4m3_f32(codes.data(), scales, std::int64_t(codes.size()), 48, x.data());
            forceIsaLevel(before);
            for (std::size_t i = 0; i < codes.size(); ++i) {
                const double want = e4m3Model(codes[i]) * std::ldexp(1.0, scales[i / 48] - 127);
                if (std::isnan(want)) QVERIFY(std::isnan(x[i]));
                else QCOMPARE(double(x[i]), double(float(want)));
            }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void fp4DequantOfEveryCodeMatchesTheModel() {
        MissingLevels missing;
        // Every byte (both nibbles) under scales from 2^-127 to 2^127 and NaN, at every level:
        // the E2M1 value times the scale, bit for bit (signed zeros too).
        static constexpr double kMags[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
        const std::uint8_t scales[] = {127, 0, 1, 254, 255, 120, 140, 126, 127, 128, 3, 200, 60, 127, 127, 127};
        std::vector<std::uint8_t> pairs(256);
        for (std::size_t i = 0; i < pairs.size(); ++i) pairs[i] = std::uint8_t(i * 7 % 256);  // every byte
        const std::int64_t n = 512;
        for (IsaLevel level : kLevels) {
            if (!missing.runs(level)) continue;
            const IsaLevel before = forceIsaLevel(level);
            std::vector<float> x(static_cast<std::size_t>(n));
            fp4_dequant_e2m1_f32(pairs.data(), scales, n, x.data());
            forceIsaLevel(before);
            for (std::int64_t i = 0; i < n; ++i) {
                const int code = i % 2 ? pairs[std::size_t(i / 2)] >> 4 : pairs[std::size_t(i / 2)] & 15;
                const std::uint8_t sb = scales[i / 32];
                if (sb == 255) {
                    QVERIFY(std::isnan(x[std::size_t(i)]));
                    continue;
                }
                const double v = (code & 8 ? -1 : 1) * kMags[code & 7] * std::ldexp(1.0, sb - 127);
                const float want = float(v);
                QVERIFY2(std::memcmp(&x[std::size_t(i)], &want, 4) == 0 && std::signbit(x[std::size_t(i)]) == bool(code & 8),
                         qPrintable(QString("level %1 element %2 code %3 scale %4: %5 vs %6")
                                        .arg(int(level)).arg(i).arg(code).arg(sb).arg(x[std::size_t(i)]).arg(want)));
            }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void blocksWithNanOrInfinityMatchTheReferenceBitForBit() {
        MissingLevels missing;
        std::mt19937 rng(3);
        std::vector<float> x = makeValues(200, rng);
        x[5] = NAN;
        x[70] = -INFINITY;
        x[150] = INFINITY;
        x[151] = -NAN;
        std::vector<std::uint8_t> wantCodes(200), wantScales(4);
        fp8_quant_e4m3_f32_ref(x.data(), 200, 64, wantCodes.data(), wantScales.data());
        std::vector<float> wantSim = x;
        fp8_simulate_e4m3_f32_ref(wantSim.data(), 200, 64);
        for (IsaLevel level : kLevels) {
            if (!missing.runs(level)) continue;
            const IsaLevel before = forceIsaLevel(level);
            std::vector<std::uint8_t> codes(200), scales(4);
            fp8_quant_e4m3_f32(x.data(), 200, 64, codes.data(), scales.data());
            std::vector<float> sim = x;
            fp8_simulate_e4m3_f32(sim.data(), 200, 64);
            forceIsaLevel(before);
            QVERIFY(codes == wantCodes);
            QVERIFY(scales == wantScales);
            QVERIFY(std::memcmp(sim.data(), wantSim.data(), 200 * 4) == 0);
        }
        QCOMPARE(wantCodes[5], std::uint8_t(0x7f));  // NaN encodes as NaN
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }

    void bf16RoundingAtEveryLevelMatchesTheModel() {
        MissingLevels missing;
        std::mt19937 rng(7);
        for (std::int64_t n : {1, 5, 8, 13, 64, 257}) {
            std::vector<float> x(static_cast<std::size_t>(n));
            for (std::int64_t i = 0; i < n; ++i) {
                std::uint32_t u = rng();
                if (i % 5 == 1) u = (u & 0xffff0000u) | 0x8000u;  // an exact tie
                if (i % 7 == 2) u = 0x7f800000u | (u & 0x80000000u);  // infinity
                x[std::size_t(i)] = fromBits(u);
            }
            for (IsaLevel level : kLevels) {
                if (!missing.runs(level)) continue;
                const IsaLevel before = forceIsaLevel(level);
                std::vector<float> got = x;
                got.push_back(1.2345f);
                round_bf16_f32(got.data(), n);
                forceIsaLevel(before);
                QCOMPARE(got.back(), 1.2345f);
                for (std::int64_t i = 0; i < n; ++i) {
                    const std::uint32_t u = bits(x[std::size_t(i)]), g = bits(got[std::size_t(i)]);
                    if (std::isnan(x[std::size_t(i)])) {
                        QVERIFY(std::isnan(got[std::size_t(i)]));
                        QCOMPARE(g & 0xffffu, 0u);
                        continue;
                    }
                    const std::uint32_t lo = u & 0xffff0000u, rest = u & 0xffffu;
                    const bool up = rest > 0x8000u || (rest == 0x8000u && (lo & 0x10000u));
                    QCOMPARE(g, up ? lo + 0x10000u : lo);
                }
            }
        }
        ATELIER_SKIP_MISSING_LEVELS(missing);
    }
};

QTEST_APPLESS_MAIN(Fp8CastTest)
#include "test_fp8_cast.moc"
