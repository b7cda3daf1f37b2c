// Generation service throughput on random weights in memory (F32, seeded):
// * decode tokens/s of the service with 1, 2, 4, 8 concurrent greedy sequences (counted over
//   the window where every sequence is decoding) and the ratio to one sequence;
// * time to first token of a long prompt cold, then with its prefix in the memory cache, then
//   in a new service (a new process: empty memory) with its prefix in the disk checkpoint
//   store (CheckpointPrefixStore), each as a ratio to cold.
// Usage: bench_generation [preset=small] [decode-tokens=24] [long-prompt=1024] [ttft-preset]
// decode-tokens 0 skips the decode part, long-prompt 0 the TTFT part; ttft-preset (default:
// preset) lets the long prefill run on a smaller model.
// Wall-clock times: on a shared machine, run it when it is quiet.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "atelier/engine/checkpoint_prefix_store.h"
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

std::unique_ptr<Model> loadOrDie(const ModelConfig& cfg) {
    auto model = Model::load(randomWeights(cfg, 1));
    if (!model) {
        std::fprintf(stderr, "%s\n", model.error().message.c_str());
        std::exit(1);
    }
    return std::move(*model);
}

void benchDecode(const ModelConfig& cfg, int decodeTokens) {
    GenerationService s(loadOrDie(cfg));
    std::printf("decode: preset %s, %d tokens per sequence\n", cfg.name.c_str(), decodeTokens);
    double one = 0;
    for (int b : {1, 2, 4, 8}) {
        const double r = decodeRate(s, b, decodeTokens, cfg.vocabSize);
        if (b == 1) one = r;
        std::printf("decode batch %d: %.2f tok/s (x%.2f of batch 1)\n", b, r, one > 0 ? r / one : 0);
        std::fflush(stdout);
    }
}

// A service whose second prefix cache is the checkpoint database `db`.
std::unique_ptr<GenerationService> serviceWithDisk(const ModelConfig& cfg, const std::filesystem::path& db,
                                                   std::shared_ptr<CheckpointPrefixStore>& disk) {
    auto model = loadOrDie(cfg);
    auto store = CheckpointStore::open(db);
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message.c_str());
        std::exit(1);
    }
    disk = std::make_shared<CheckpointPrefixStore>(
        std::move(*store), modelFingerprint(cfg, model->numerics(), 1, fnv1a64("builtin")), model->newSequence());
    GenerationOptions options;
    options.extraStore = disk;
    return std::make_unique<GenerationService>(std::move(model), options);
}

void benchTimeToFirstToken(const ModelConfig& cfg, std::size_t longPrompt) {
    const auto dir = std::filesystem::temp_directory_path() / ("atelier-bench-gen-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::int64_t V = cfg.vocabSize;
    const auto prompt = promptOf(longPrompt, 77, V);
    auto withTail = [&](std::uint32_t salt) {
        auto p = prompt;
        const auto tail = promptOf(16, salt, V);
        p.insert(p.end(), tail.begin(), tail.end());
        return p;
    };
    std::printf("TTFT: preset %s, %zu-token prefix\n", cfg.name.c_str(), longPrompt);
    std::int64_t cached = 0;
    std::shared_ptr<CheckpointPrefixStore> disk;
    auto s = serviceWithDisk(cfg, dir / "c.db", disk);
    const double cold = timeToFirstToken(*s, prompt, &cached);
    std::printf("TTFT cold: %.3f s (cached %lld)\n", cold, static_cast<long long>(cached));
    std::fflush(stdout);
    const double memory = timeToFirstToken(*s, withTail(78), &cached);
    std::printf("TTFT memory prefix hit: %.3f s (cached %lld), x%.1f faster\n", memory,
                static_cast<long long>(cached), memory > 0 ? cold / memory : 0);
    s.reset();
    auto t0 = Clock::now();
    disk.reset();  // writes the prefill's last aligned state to disk
    const double save = std::chrono::duration<double>(Clock::now() - t0).count();
    s = serviceWithDisk(cfg, dir / "c.db", disk);  // a new process: empty memory cache
    const double fromDisk = timeToFirstToken(*s, withTail(79), &cached);
    std::printf("TTFT disk checkpoint hit (new service): %.3f s (cached %lld, %lld from disk), x%.1f faster; "
                "checkpoint write %.3f s, %lld bytes\n",
                fromDisk, static_cast<long long>(cached), static_cast<long long>(disk->stats().hits),
                fromDisk > 0 ? cold / fromDisk : 0, save,
                static_cast<long long>(std::filesystem::file_size(dir / "c.db")));
    s.reset();
    disk.reset();
    std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string preset = argc > 1 ? argv[1] : "small";
    const int decodeTokens = argc > 2 ? std::atoi(argv[2]) : 24;
    const std::size_t longPrompt = argc > 3 ? std::size_t(std::atoi(argv[3])) : 1024;
    const std::string ttftPreset = argc > 4 ? argv[4] : preset;
    auto cfg = presetConfig(preset);
    auto ttftCfg = presetConfig(ttftPreset);
    if (!cfg || !ttftCfg) {
        std::fprintf(stderr, "unknown preset\n");
        return 2;
    }
    if (decodeTokens > 0) benchDecode(*cfg, decodeTokens);
    if (longPrompt > 0) benchTimeToFirstToken(*ttftCfg, longPrompt);
    return 0;
}