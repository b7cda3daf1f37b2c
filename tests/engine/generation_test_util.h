#pragma once
// Test helper for the generation tests: the tiny preset's seeded random weights in memory, and
// a request runner that records every event of one request.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "atelier/engine/generation_service.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/weight_source.h"

namespace generation_test {

using namespace atelier::engine;
using atelier::Error;
using atelier::ErrorCode;

inline std::unique_ptr<Model> tinyModel(std::uint64_t seed = 11) {
    auto m = Model::load(randomWeights(*presetConfig("tiny"), seed));
    if (!m) qFatal("%s", m.error().message.c_str());
    return std::move(*m);
}

inline std::vector<std::int32_t> promptOf(std::size_t n, std::uint32_t salt) {
    std::vector<std::int32_t> p(n);
    std::uint32_t s = 2463534242u ^ salt;
    for (auto& t : p) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        t = std::int32_t(s % 1000u);
    }
    return p;
}

// Everything one request reported, in order. Written on the scheduler thread, read after
// wait() (which orders it).
struct Record {
    std::vector<std::string> events;  // "progress", "token", "done", "error"
    std::vector<std::pair<std::int64_t, std::int64_t>> progress;
    std::vector<std::int32_t> tokens;
    std::vector<std::vector<float>> logits;
    std::optional<GenerationResult> result;
    std::optional<Error> error;
    int done = 0, errors = 0;
};

inline GenerationRequest requestFor(std::vector<std::int32_t> prompt, Record& rec, int maxTokens,
                                    SamplingParams sampling = SamplingParams{0.0f}) {
    GenerationRequest r;
    r.prompt = std::move(prompt);
    r.sampling = sampling;
    r.stop.maxTokens = maxTokens;
    r.callbacks.onProgress = [&rec](std::int64_t d, std::int64_t t) {
        rec.events.push_back("progress");
        rec.progress.emplace_back(d, t);
    };
    r.callbacks.onToken = [&rec](std::int32_t id, std::string_view) {
        rec.events.push_back("token");
        rec.tokens.push_back(id);
    };
    r.callbacks.onLogits = [&rec](std::span<const float> l) { rec.logits.emplace_back(l.begin(), l.end()); };
    r.callbacks.onDone = [&rec](const GenerationResult& res) {
        rec.events.push_back("done");
        rec.result = res;
        ++rec.done;
    };
    r.callbacks.onError = [&rec](const Error& e) {
        rec.events.push_back("error");
        rec.error = e;
        ++rec.errors;
    };
    return r;
}

inline GenerationHandle submitOrDie(GenerationService& s, GenerationRequest r) {
    auto h = s.submit(std::move(r));
    if (!h) qFatal("%s", h.error().message.c_str());
    return *h;
}

inline GenerationOptions smallChunks() {
    GenerationOptions o;
    o.prefillChunk = 128;
    return o;
}

}  // namespace generation_test
