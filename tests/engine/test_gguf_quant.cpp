// ctest-labels: unit
// GGUF quantized formats (Q4_K, Q5_K, Q6_K, Q2_K and the Q4_0 / Q5_0 fallbacks): each quantizer's
// round trip through decodeRow stays within the format's bound, computed here from the data
// alone (half a step of range / levels, plus the 6-/8-/4-bit scale granularity); `model create`
// with each llama-quantize type picks the types llama-quantize would (F32 norms and router,
// Q6_K output, MXFP4 experts only under mxfp4, the 256 -> 32 fallbacks), the file opens and
// validates, and every matrix decodes close to the generator's values; the fast forward on a
// K-quant file (integer kernels over Q8_K activations) stays within the activation rounding of
// the reference forward on the same stored weights; and headers that lie about a K-quant
// tensor are rejected with the tensor named.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <QTemporaryDir>
#include <QtTest>

#include "../../engine/src/model_io/gguf.h"
#include "../../engine/src/model_io/gguf_builder.h"
#include "../../engine/src/model_io/gguf_deepseek4.h"
#include "../../engine/src/model_io/gguf_kquantize.h"
#include "../../engine/src/model_io/gguf_reader.h"
#include "atelier/engine/dtype.h"
#include "atelier/engine/model.h"
#include "atelier/engine/reference_forward.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/tensor_schema.h"
#include "atelier/engine/weight_decode.h"
#include "atelier/kernels/gemm_quant.h"
#include "gguf_test_model.h"
#include "quant_forward_check.h"

using namespace atelier::engine;

namespace {

// Rows that exercise the quantizers: gaussian, shifted (all positive), with an outlier, a zero
// sub-block, and a tiny-magnitude block.
std::vector<float> testRows(std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(static_cast<std::size_t>(rows * cols));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t i = 0; i < cols; ++i) {
            float v = nd(rng);
            if (r % 4 == 1) v = std::fabs(v) + 2.0f;
            if (r % 4 == 2 && i == 7) v = 40.0f;
            if (r % 4 == 3 && i < 32) v = 0.0f;
            if (r % 4 == 3 && i >= 256 && i < 512) v *= 1e-4f;
            x[std::size_t(r * cols + i)] = v;
        }
    return x;
}

std::vector<float> roundTrip(DType dtype, const std::vector<float>& x, std::int64_t rows, std::int64_t cols) {
    std::vector<std::byte> bytes(std::size_t(rows) * dtypeRowBytes(dtype, cols));
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* row = x.data() + r * cols;
        std::byte* out = bytes.data() + std::size_t(r) * dtypeRowBytes(dtype, cols);
        switch (dtype) {
        case DType::Q4_K: gguf::quantizeRowQ4_K(row, cols, out); break;
        case DType::Q5_K: gguf::quantizeRowQ5_K(row, cols, out); break;
        case DType::Q6_K: gguf::quantizeRowQ6_K(row, cols, out); break;
        case DType::Q2_K: gguf::quantizeRowQ2_K(row, cols, out); break;
        default: {  // the other block formats quantize beside their kernels
            atelier::kernels::QuantType q;
            if (!dtypeQuantType(dtype, q)) qFatal("no quantizer");
            atelier::kernels::quantFormat(q).quantizeRow(row, cols, reinterpret_cast<std::uint8_t*>(out));
        }
        }
    }
    TensorView t;
    t.name = "m.weight";
    t.dtype = dtype;
    t.shape = {rows, cols};
    t.data = bytes.data();
    t.nbytes = bytes.size();
    StoredMatrix m{&t, nullptr, rows, cols};
    std::vector<float> y(x.size());
    for (std::int64_t r = 0; r < rows; ++r) decodeRow(m, r, y.data() + r * cols);
    return y;
}

// Bound on |x - decoded| for each element of one super-block of an asymmetric K-quant with
// `subs` sub-blocks, `levels` + 1 codes and scales of at most `maxScale`: the step of a
// sub-block is at most (its range + one min unit) / levels plus one super-scale unit.
std::vector<float> affineBound(const float* x, int subs, int levels, int maxScale) {
    const int len = 256 / subs;
    std::vector<float> range(static_cast<std::size_t>(subs)), bound(256);
    float maxMin = 0.0f;
    for (int j = 0; j < subs; ++j) {
        const float lo = std::min(0.0f, *std::min_element(x + j * len, x + (j + 1) * len));
        const float hi = std::max(lo, *std::max_element(x + j * len, x + (j + 1) * len));
        range[std::size_t(j)] = hi - lo;
        maxMin = std::max(maxMin, -lo);
    }
    const float minUnit = maxMin / float(maxScale) * 1.001f;
    float maxNeed = 0.0f;
    for (int j = 0; j < subs; ++j) maxNeed = std::max(maxNeed, (range[std::size_t(j)] + minUnit) / float(levels));
    const float unit = maxNeed / float(maxScale) * 1.001f;
    for (int i = 0; i < 256; ++i)
        bound[std::size_t(i)] = 0.5f * ((range[std::size_t(i / len)] + minUnit) / float(levels) + unit) * 1.001f + 1e-7f;
    return bound;
}

float amaxOf(const float* x, int n) {
    float a = 0.0f;
    for (int i = 0; i < n; ++i) a = std::max(a, std::fabs(x[i]));
    return a;
}

}  // namespace

class TestGgufQuant : public QObject {
    Q_OBJECT
private slots:
    void kQuantRoundTripsStayWithinTheirBounds() {
        const std::int64_t rows = 8, cols = 768;
        const auto x = testRows(rows, cols, 5);
        for (DType dtype : {DType::Q4_K, DType::Q5_K, DType::Q2_K, DType::Q6_K}) {
            const auto y = roundTrip(dtype, x, rows, cols);
            double errSq = 0, xSq = 0;
            for (std::int64_t b = 0; b < rows * cols / 256; ++b) {
                const float* xb = x.data() + b * 256;
                std::vector<float> bound(256);
                if (dtype == DType::Q4_K) bound = affineBound(xb, 8, 15, 63);
                if (dtype == DType::Q5_K) bound = affineBound(xb, 8, 31, 63);
                if (dtype == DType::Q2_K) bound = affineBound(xb, 16, 3, 15);
                if (dtype == DType::Q6_K) {
                    // symmetric: step <= amax16 / 31 plus one 8-bit super-scale unit
                    float maxStep = 0.0f;
                    for (int g = 0; g < 16; ++g) maxStep = std::max(maxStep, amaxOf(xb + 16 * g, 16) / 31.0f);
                    for (int i = 0; i < 256; ++i)
                        bound[std::size_t(i)] = 0.5f * (amaxOf(xb + i / 16 * 16, 16) / 31.0f + maxStep / 127.0f * 1.001f) * 1.001f + 1e-7f;
                }
                for (int i = 0; i < 256; ++i) {
                    const float err = std::fabs(xb[i] - y[std::size_t(b * 256 + i)]);
                    QVERIFY2(err <= bound[std::size_t(i)],
                             qPrintable(QString("%1 block %2 element %3: |%4 - %5| > %6")
                                            .arg(dtypeName(dtype).data()).arg(b).arg(i).arg(xb[i])
                                            .arg(y[std::size_t(b * 256 + i)]).arg(bound[std::size_t(i)])));
                    errSq += double(err) * err;
                    xSq += double(xb[i]) * xb[i];
                }
            }
            // More bits, less error: a sanity ordering against gross mistakes in the bound.
            const double rel = std::sqrt(errSq / xSq);
            QVERIFY2(rel < (dtype == DType::Q6_K ? 0.03 : dtype == DType::Q5_K ? 0.05 : dtype == DType::Q4_K ? 0.1 : 0.45),
                     qPrintable(QString("%1 relative rms error %2").arg(dtypeName(dtype).data()).arg(rel)));
        }
    }

    void fallbackBlocksRoundTripWithinHalfAStep() {
        const std::int64_t rows = 4, cols = 96;
        const auto x = testRows(rows, cols, 9);
        for (DType dtype : {DType::Q4_0, DType::Q5_0}) {
            const auto y = roundTrip(dtype, x, rows, cols);
            const float levels = dtype == DType::Q4_0 ? 8.0f : 16.0f;
            for (std::size_t i = 0; i < x.size(); ++i) {
                const float amax = amaxOf(x.data() + i / 32 * 32, 32);
                // d = amax / levels (f16); codes reach -levels..levels-1, so the positive
                // extreme may be a whole step off, every other value half a step.
                QVERIFY2(std::fabs(x[i] - y[i]) <= amax / levels * 1.002f + 1e-7f, dtypeName(dtype).data());
            }
            // the value of largest magnitude is exact (up to d's f16 rounding)
            const float v = x[2 * cols + 7];
            QVERIFY(std::fabs(y[std::size_t(2 * cols + 7)] - v) <= std::fabs(v) * 1e-3f);
        }
    }

    void createPicksLlamaQuantizeTypes_data() {
        QTest::addColumn<int>("quant");
        QTest::newRow("q8_0") << int(GgufQuant::Q8_0);
        QTest::newRow("q4_k") << int(GgufQuant::Q4_K);
        QTest::newRow("q5_k") << int(GgufQuant::Q5_K);
        QTest::newRow("q6_k") << int(GgufQuant::Q6_K);
        QTest::newRow("q2_k") << int(GgufQuant::Q2_K);
        QTest::newRow("mxfp4") << int(GgufQuant::Mxfp4);
    }
    void createPicksLlamaQuantizeTypes() {
        QFETCH(int, quant);
        const auto q = GgufQuant(quant);
        ModelConfig c = testing::microGgufConfig();
        c.dim = 256;  // d-input matrices take the K-quant; rank-32 inputs fall back
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.gguf";
        CreateModelOptions o;
        o.config = c;
        o.format = FileFormat::Gguf;
        o.ggufQuant = q;
        o.seed = 3;
        auto created = createModel(o, path);
        QVERIFY2(created, created ? "" : created.error().message.c_str());
        auto src = openModel(path);
        QVERIFY2(src, src ? "" : src.error().message.c_str());
        QVERIFY2(validateWeights(**src), "validate");
        const auto type = [&](const std::string& n) { return (*src)->find(n)->dtype; };
        const DType base = q == GgufQuant::Q4_K ? DType::Q4_K : q == GgufQuant::Q5_K ? DType::Q5_K
                           : q == GgufQuant::Q6_K ? DType::Q6_K : q == GgufQuant::Q2_K ? DType::Q2_K : DType::Q8_0;
        // llama-quantize's tensor_type_fallback for rows of 32: Q4_K -> Q5_0, Q5_K -> Q5_1,
        // Q2_K -> IQ4_NL, Q6_K -> Q8_0.
        const DType small = q == GgufQuant::Q4_K ? DType::Q5_0 : q == GgufQuant::Q5_K ? DType::Q5_1
                            : q == GgufQuant::Q2_K ? DType::IQ4_NL : DType::Q8_0;
        QCOMPARE(type("layers.0.attn.wq_a.weight"), base);                       // input d = 256
        QCOMPARE(type("layers.0.attn.wq_b.weight"), small);                      // input q rank 32
        QCOMPARE(type("layers.0.attn_norm.weight"), DType::F32);
        QCOMPARE(type("layers.1.ffn.gate.weight"), DType::F32);                  // router
        QCOMPARE(type("head.weight"), q == GgufQuant::Q8_0 || q == GgufQuant::Mxfp4 ? DType::Q8_0 : DType::Q6_K);
        QCOMPARE(type("layers.1.ffn.experts.0.w1.weight"), q == GgufQuant::Mxfp4 ? DType::MXFP4 : base);
        QCOMPARE(type("layers.1.ffn.experts.0.w2.weight"), q == GgufQuant::Mxfp4 ? DType::MXFP4 : small);
        // Every tensor decodes close to the generator's values.
        ModelConfig trunk = c;
        trunk.nMtpLayers = 0;
        trunk.compressRatios.resize(std::size_t(trunk.nLayers));
        for (const auto& spec : expectedTensors(trunk)) {
            if (spec.role == TensorRole::Tid2Eid) continue;
            std::vector<float> want(static_cast<std::size_t>(elementCount(spec.shape))), got(want.size());
            fillRandomTensor(trunk, spec, 3, reinterpret_cast<std::byte*>(want.data()));
            const TensorView* t = (*src)->find(spec.name);
            if (spec.shape.size() == 2 && dtypeBlockSize(t->dtype) > 1) {
                auto m = bindMatrix(**src, spec.name, spec.shape[0], spec.shape[1]);
                QVERIFY2(m, spec.name.c_str());
                for (std::int64_t r = 0; r < spec.shape[0]; ++r) decodeRow(*m, r, &got[std::size_t(r * spec.shape[1])]);
            } else {
                decodeTensor(*t, got);
            }
            double errSq = 0, xSq = 0;
            for (std::size_t i = 0; i < want.size(); ++i) {
                errSq += double(want[i] - got[i]) * (want[i] - got[i]);
                xSq += double(want[i]) * want[i];
            }
            const double rel = xSq > 0 ? std::sqrt(errSq / xSq) : std::sqrt(errSq);
            const double limit = t->dtype == DType::F32 ? 0.0 : t->dtype == DType::Q2_K ? 0.45 : 0.2;
            QVERIFY2(rel <= limit, qPrintable(QString("%1 (%2): relative rms error %3")
                                                  .arg(spec.name.c_str()).arg(dtypeName(t->dtype).data()).arg(rel)));
        }
    }

    // A few recipes here (also under the sanitizers): K-quants with their Q5_0/Q5_1 fallbacks,
    // and a mix whose matrices go through gemm_quant.h (IQ2_XXS, Q2_K, IQ4_NL fallbacks). Every
    // recipe runs in test_gguf_quant_forward (slow).
    void fastForwardOnQuantsTracksTheReference_data() {
        QTest::addColumn<int>("quant");
        QTest::newRow("q4_k") << int(GgufQuant::Q4_K);
        QTest::newRow("q5_k") << int(GgufQuant::Q5_K);
        QTest::newRow("expert_2bit") << int(GgufQuant::Expert2Bit);
    }
    void fastForwardOnQuantsTracksTheReference() {
        QFETCH(int, quant);
        ATELIER_VERIFY_FAST_TRACKS_REFERENCE(GgufQuant(quant));
    }

    void lyingKQuantHeadersAreRejected() {
        gguf::GgufBuilder b;
        b.addTensor("w.weight", gguf::GgmlType::Q4_K, {256, 2}, nullptr);
        auto bytes = b.toBytes();
        // ne[0] follows the name and the dimension count in the tensor info.
        const std::string name = "w.weight";
        const auto at = std::search(bytes.begin(), bytes.end(), reinterpret_cast<const std::byte*>(name.data()),
                                    reinterpret_cast<const std::byte*>(name.data()) + name.size());
        QVERIFY(at != bytes.end());
        const std::size_t ne0 = std::size_t(at - bytes.begin()) + name.size() + 4;
        auto patched = bytes;
        const std::int64_t notMultiple = 128;
        std::memcpy(&patched[ne0], &notMultiple, 8);
        auto r = gguf::parse(patched, "lie.gguf");
        QVERIFY(!r);
        QVERIFY2(r.error().message.find("w.weight") != std::string::npos &&
                     r.error().message.find("256") != std::string::npos,
                 r.error().message.c_str());
        // More rows than the file holds.
        patched = bytes;
        const std::int64_t manyRows = 1 << 20;
        std::memcpy(&patched[ne0 + 8], &manyRows, 8);
        r = gguf::parse(patched, "lie.gguf");
        QVERIFY(!r);
        QVERIFY2(r.error().message.find("w.weight") != std::string::npos, r.error().message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestGgufQuant)
#include "test_gguf_quant.moc"
