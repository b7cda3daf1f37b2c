// Generation service throughput on random weights in memory (F32, seeded):
// * decode tokens/s of the service with 1, 2, 4, 8 concurrent greedy sequences (counted over
//   the window where every sequence is decoding) and the ratio to one sequence;
// * time to first token of a long prompt cold, and again with its prefix in the cache.
// Usage: bench_generation [preset=small] [decode-tokens=24] [long-prompt=1024]
// Wall-clock times: on a shared machine, run it when it is quiet.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "atelier/engine/generation_service.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/weight_source.h"

using namespace atelier::engine;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::int32_t> promptOf(std::size_t n, std::uint32_t salt, std::int64_t vocab) {
    std::vector<std::int32_t> p(n);
    std::uint32_t s = 2463534242u ^ salt;
    for (auto& t : p) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        t = std::int32_t(s % std::uint32_t(vocab));
    }
    return p;
}

struct Timeline {
    std::vector<std::vector<Clock::time_point>> tokens;  // per request (scheduler thread)
};

// Aggregate decode tokens/s while all `batch` sequences decode.
double decodeRate(GenerationService& s, int batch, int decodeTokens, std::int64_t vocab) {
    Timeline tl;
    tl.tokens.resize(std::size_t(batch));
    std::vector<GenerationHandle> hs;
    for (int b = 0; b < batch; ++b) {
        GenerationRequest r;
        r.prompt = promptOf(64, 1000u + std::uint32_t(b) + std::uint32_t(batch) * 16u, vocab);
        r.sampling.temperature = 0;
        r.stop.maxTokens = decodeTokens;
        r.callbacks.onToken = [&tl, b](std::int32_t, std::string_view) {
            tl.tokens[std::size_t(b)].push_back(Clock::now());
        };
        hs.push_back(*s.submit(std::move(r)));
    }
    for (auto& h : hs) h.wait();
    Clock::time_point from = Clock::time_point::min(), to = Clock::time_point::max();
    for (const auto& t : tl.tokens) {
        from = std::max(from, t.front());
        to = std::min(to, t.back());
    }
    std::size_t n = 0;
    for (const auto& t : tl.tokens)
        n += std::size_t(std::count_if(t.begin(), t.end(), [&](auto x) { return x > from && x <= to; }));
    const double secs = std::chrono::duration<double>(to - from).count();
    return secs > 0 ? double(n) / secs : 0;
}

double timeToFirstToken(GenerationService& s, std::vector<std::int32_t> prompt, std::int64_t* cached) {
    GenerationRequest r;
    r.prompt = std::move(prompt);
    r.sampling.temperature = 0;
    r.stop.maxTokens = 1;
    Clock::time_point first{};
    r.callbacks.onToken = [&first](std::int32_t, std::string_view) { first = Clock::now(); };
    r.callbacks.onDone = [cached](const GenerationResult& res) { *cached = res.usage.cachedTokens; };
    const auto t0 = Clock::now();
    auto h = s.submit(std::move(r));
    if (!h) {
        std::fprintf(stderr, "%s\n", h.error().message.c_str());
        std::exit(1);
    }
    h->wait();
    return std::chrono::duration<double>(first - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    const std::string preset = argc > 1 ? argv[1] : "small";
    const int decodeTokens = argc > 2 ? std::atoi(argv[2]) : 24;
    const std::size_t longPrompt = argc > 3 ? std::size_t(std::atoi(argv[3])) : 1024;
    auto cfg = presetConfig(preset);
    if (!cfg) {
        std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
        return 2;
    }
    auto model = Model::load(randomWeights(*cfg, 1));
    if (!model) {
        std::fprintf(stderr, "%s\n", model.error().message.c_str());
        return 1;
    }
    const std::int64_t V = cfg->vocabSize;
    GenerationService s(std::move(*model));
    std::printf("preset %s, %d decode tokens per sequence\n", preset.c_str(), decodeTokens);
    double one = 0;
    for (int b : {1, 2, 4, 8}) {
        const double r = decodeRate(s, b, decodeTokens, V);
        if (b == 1) one = r;
        std::printf("decode batch %d: %.2f tok/s (x%.2f of batch 1)\n", b, r, one > 0 ? r / one : 0);
    }
    auto prompt = promptOf(longPrompt, 77, V);
    std::int64_t cached = 0;
    const double cold = timeToFirstToken(s, prompt, &cached);
    std::printf("TTFT %zu-token prompt, cold: %.3f s (cached %lld)\n", longPrompt, cold, static_cast<long long>(cached));
    auto tail = promptOf(16, 78, V);
    prompt.insert(prompt.end(), tail.begin(), tail.end());
    const double hit = timeToFirstToken(s, prompt, &cached);
    std::printf("TTFT %zu-token prompt, prefix hit: %.3f s (cached %lld), x%.1f faster\n",
                prompt.size(), hit, static_cast<long long>(cached), hit > 0 ? cold / hit : 0);
    return 0;
}
