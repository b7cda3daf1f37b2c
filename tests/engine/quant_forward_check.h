#pragma once
// Test helper: a micro deepseek4 GGUF written by `model create` under one quant recipe, run by
// the fast forward and by the plain reference forward on the same stored weights; returns each
// position's relative RMS logit difference, sorted. Both run the same weights, so the only
// difference is the fast path's activation rounding (about 1% of the logits per position) until
// a discrete choice flips; a layout or dispatch error would be ~100% everywhere.
// Header-only; used by test_gguf_quant (a few recipes, also under the sanitizers) and
// test_gguf_quant_forward (every recipe, slow).

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <QTemporaryDir>

#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/reference_forward.h"
#include "gguf_test_model.h"

namespace atelier::engine::testing {

// Empty with `error` set when a step fails.
inline std::vector<double> fastVsReferenceErrors(GgufQuant quant, std::string& error) {
    ModelConfig c = microGgufConfig();
    c.dim = 256;
    QTemporaryDir dir;
    const auto path = std::filesystem::path(dir.path().toStdString()) / "m.gguf";
    CreateModelOptions o;
    o.config = c;
    o.format = FileFormat::Gguf;
    o.ggufQuant = quant;
    if (auto r = createModel(o, path); !r) return error = r.error().message, std::vector<double>{};
    const std::vector<std::int32_t> ids = {5, 77, 300, 12, 9, 411, 64, 2};
    auto refSrc = openModel(path);
    if (!refSrc) return error = refSrc.error().message, std::vector<double>{};
    auto ref = referenceForward(**refSrc, ids, ReferenceOptions{Numerics::Plain});
    if (!ref) return error = ref.error().message, std::vector<double>{};
    auto src = openModel(path);
    if (!src) return error = src.error().message, std::vector<double>{};
    auto model = Model::load(std::move(*src), ModelOptions{Numerics::Plain, 2});
    if (!model) return error = model.error().message, std::vector<double>{};
    KvCache seq = (*model)->newSequence();
    std::vector<float> logits;
    if (!(*model)->forward(seq, ids, LogitsRequest::All, logits)) return error = "forward failed", std::vector<double>{};
    const std::size_t V = std::size_t(c.vocabSize);
    if (logits.size() != ids.size() * V) return error = "wrong logits size", std::vector<double>{};
    std::vector<double> rel;
    for (std::size_t p = 0; p < ids.size(); ++p) {
        double d2 = 0, r2 = 0;
        for (std::size_t v = 0; v < V; ++v) {
            const double r = (*ref)[p][v], d = logits[p * V + v] - r;
            d2 += d * d;
            r2 += r * r;
        }
        rel.push_back(std::sqrt(d2 / r2));
    }
    std::sort(rel.begin(), rel.end());
    return rel;
}

// The check both tests apply: the best position within 3%, the median within 5%.
#define ATELIER_VERIFY_FAST_TRACKS_REFERENCE(quant)                                                     \
    do {                                                                                                \
        std::string error_;                                                                             \
        const auto rel_ = ::atelier::engine::testing::fastVsReferenceErrors(quant, error_);            \
        QVERIFY2(!rel_.empty(), error_.c_str());                                                        \
        QVERIFY2(rel_.front() < 0.03 && rel_[rel_.size() / 2] < 0.05,                                   \
                 qPrintable(QString("relative rms logit difference: best %1, median %2")                \
                                .arg(rel_.front()).arg(rel_[rel_.size() / 2])));                        \
    } while (0)

}  // namespace atelier::engine::testing
