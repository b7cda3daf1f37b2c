// Benchmark of the on-disk KV checkpoints (model spec §10.4): for each window strategy, the
// bytes a checkpoint of N tokens writes (per token, against computeSizes().kvBytesPerToken),
// the time to save it, and the time to continue from it (lookup, read, recompute the tokens
// the strategy leaves) against re-prefilling the same N tokens.
// Usage: bench_checkpoints [--preset tiny|small|bench] [--lengths 4096,32768] [--period 1024]
// Prints one line per length and one per (length, strategy).

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/model.h"
#include "atelier/engine/weight_source.h"

using namespace atelier::engine;

namespace {

double seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::vector<std::int32_t> randomTokens(std::size_t n, std::int32_t vocab) {
    std::mt19937 rng(7);
    std::vector<std::int32_t> out(n);
    for (auto& t : out) t = std::int32_t(rng() % std::uint32_t(vocab - 3)) + 3;
    return out;
}

std::vector<std::int64_t> parseLengths(const std::string& s) {
    std::vector<std::int64_t> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        const std::size_t comma = std::min(s.find(',', pos), s.size());
        out.push_back(std::stoll(s.substr(pos, comma - pos)));
        pos = comma + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::string preset = "tiny", lengths = "4096,32768";
    std::int64_t period = 1024;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--preset")) preset = argv[i + 1];
        else if (!std::strcmp(argv[i], "--lengths")) lengths = argv[i + 1];
        else if (!std::strcmp(argv[i], "--period")) period = std::stoll(argv[i + 1]);
    }
    auto config = presetConfig(preset);
    if (!config) return std::fprintf(stderr, "%s\n", config.error().message.c_str()), 2;
    auto model = Model::load(randomWeights(*config, 1), ModelOptions{Numerics::Release, 1});
    if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
    const auto fp = modelFingerprint(*config, Numerics::Release, 1, fnv1a64("builtin"));
    const double kvPerToken = computeSizes(*config).kvBytesPerToken;
    const auto dir = std::filesystem::temp_directory_path() / ("atelier-bench-ckpt-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::printf("preset %s, kvBytesPerToken %.1f, state bytes %lld, period %lld\n", preset.c_str(), kvPerToken,
                (long long)computeSizes(*config).stateBytesPerSequence, (long long)period);
    for (std::int64_t n : parseLengths(lengths)) {
        const auto ids = randomTokens(std::size_t(n), config->vocabSize);
        std::vector<float> logits;
        // The re-prefill baseline is the same prefill in chunks of `period` tokens that stops
        // there for window states: one prefill serves all three strategies (save() keeps the
        // states each needs), and chunked prefill is how a long prompt is run anyway.
        KvCache seq = (*model)->newSequence();
        auto t0 = std::chrono::steady_clock::now();
        auto states = prefillForCheckpoint(**model, seq, ids, {WindowStrategy::Periodic, period, 0}, logits);
        const double prefill = seconds(t0);
        if (!states) return 1;
        std::printf("N=%lld  re-prefill %.3f s\n", (long long)n, prefill);
        std::fflush(stdout);
        for (auto strategy : {WindowStrategy::Full, WindowStrategy::Periodic, WindowStrategy::None}) {
            CheckpointPolicy policy{strategy, period, std::int64_t(1) << 40};
            std::filesystem::remove(dir / "c.db");
            std::filesystem::remove(dir / "c.db-wal");
            std::filesystem::remove(dir / "c.db-shm");
            auto store = CheckpointStore::open(dir / "c.db", policy);
            if (!store) return std::fprintf(stderr, "%s\n", store.error().message.c_str()), 1;
            t0 = std::chrono::steady_clock::now();
            auto id = store->save(fp, seq, *states);
            const double save = seconds(t0);
            if (!id) return std::fprintf(stderr, "%s\n", id.error().message.c_str()), 1;
            const auto bytes = store->info(*id)->bytes;
            std::printf("  %-8s bytes %lld (%.1f B/token = %.2f x kvBytesPerToken), save %.3f s\n",
                        std::string(windowStrategyName(strategy)).c_str(), (long long)bytes,
                        double(bytes) / double(n), double(bytes) / double(n) / kvPerToken, save);
            std::fflush(stdout);
            // A hit on the whole prefix, and one that branches off 500 tokens before its end.
            for (std::int64_t hitLen : {n, n - 500}) {
                const auto query = std::span(ids).first(std::size_t(hitLen));
                t0 = std::chrono::steady_clock::now();
                auto hit = store->lookup(fp, (*model)->newSequence(), query);
                const double read = seconds(t0);
                if (!hit || !*hit) return std::fprintf(stderr, "no hit\n"), 1;
                KvCache c = std::move((*hit)->sequence);
                const auto rest = query.subspan(std::size_t(c.length()));
                if (!rest.empty() && !(*model)->forward(c, rest, LogitsRequest::Last, logits)) return 1;
                const double cont = seconds(t0);
                std::printf("    hit %6lld: read %.3f s, recompute %5zu tokens, ready in %.3f s "
                            "(re-prefill ~%.3f s, scaled from N; %.1fx)\n",
                            (long long)hitLen, read, rest.size(), cont, prefill * double(hitLen) / double(n),
                            prefill * double(hitLen) / double(n) / cont);
                std::fflush(stdout);
            }
        }
    }
    std::filesystem::remove_all(dir);
    return 0;
}
