// `atelier-cli bench` (CLI.md): for each context length, prefill one sequence to that length,
// then for each batch size fork it into `batch` sequences and decode --decode-tokens steps
// with all of them in one forwardBatch call per step. Reports tokens/s, the bytes each decode
// step must read (weights + cache) per second against the STREAM bandwidth measured in the
// same run, and prefill's arithmetic rate against a peak-FMA microbenchmark.
// --prefill-limit N reaches contexts longer than N without prefilling them: N tokens are
// prefilled and their compressed entries and indexer keys repeated up to the context (a decode
// step reads and scores exactly as many entries as after a real prefill of that length; the
// values are the model's own, only their positions repeat). Rows made so say so ("tiled").

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/model_footprint.h"
#include "atelier/kernels/cpu_features.h"
#include "cli/bench_measure.h"
#include "cli/cli_context.h"
#include "cli/llama_bench_compare.h"
#include "cli/machine_probe.h"
#include "cli/memory_budget.h"
#include "cli/speed_prediction.h"

namespace atelier::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
    std::string model, contexts = "512,4096,32768", batches = "1,4";
    int decodeTokens = 32;
    int prefillChunk = 512;
    std::int64_t prefillLimit = 0;  // 0: prefill every context in full
    std::string llamaBench;         // --compare-llama-bench: llama.cpp's llama-bench, or empty
    int llamaRepetitions = 3;
};

Result<std::vector<std::int64_t>> parseList(const std::string& text, const char* flag) {
    std::vector<std::int64_t> out;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) {
        std::size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(part, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (part.empty() || used != part.size() || v <= 0)
            return unexpected(Error::usage(std::string(flag) + ": '" + part + "' is not a positive number"));
        out.push_back(v);
    }
    if (out.empty()) return unexpected(Error::usage(std::string(flag) + ": empty list"));
    return out;
}

double secondsSince(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void progress(bool enabled, const std::string& what, std::int64_t done, std::int64_t total) {
    if (!enabled) return;
    std::fprintf(stderr, "\r%s %lld/%lld   ", what.c_str(), static_cast<long long>(done),
                 static_cast<long long>(total));
    if (done == total) std::fprintf(stderr, "\n");
}

// Prefills a new sequence with `context` seeded random tokens in chunks; returns the seconds.
Result<double> prefill(engine::Model& model, engine::KvCache& seq, std::int64_t context,
                       int chunk, bool bar) {
    const std::int64_t V = model.config().vocabSize;
    std::mt19937 rng{std::uint32_t(context)};
    std::vector<std::int32_t> tokens;
    std::vector<float> logits;
    const auto t0 = Clock::now();
    for (std::int64_t done = 0; done < context;) {
        const std::int64_t n = std::min<std::int64_t>(chunk, context - done);
        tokens.resize(std::size_t(n));
        for (auto& t : tokens) t = std::int32_t(rng() % std::uint32_t(V));
        if (auto r = model.forward(seq, tokens, engine::LogitsRequest::Last, logits); !r)
            return unexpected(r.error());
        done += n;
        progress(bar, "prefill " + std::to_string(context), done, context);
    }
    return secondsSince(t0);
}

// Appends copies of the first entries of `store` until it holds `want` entries.
void repeatEntries(engine::PagedStore& store, std::int64_t want, int dataBytes, int footerBytes) {
    const std::int64_t have = store.size();
    if (have == 0) return;
    std::vector<std::uint8_t> data(static_cast<std::size_t>(dataBytes));
    std::vector<std::uint8_t> footer(static_cast<std::size_t>(footerBytes));
    for (std::int64_t i = have; i < want; ++i) {
        const auto [d, f] = store.at(i % have);
        std::copy(d, d + dataBytes, data.begin());  // copied out first: append may add a page
        std::copy(f, f + footerBytes, footer.begin());
        const auto [nd, nf] = store.append();
        std::copy(data.begin(), data.end(), nd);
        std::copy(footer.begin(), footer.end(), nf);
    }
}

// Grows a prefilled sequence (a multiple of KvCache::kPageTokens long) to `context` tokens by
// repeating its tokens, compressed entries and indexer keys; the window ring and compressor
// tails stay those of the last real token.
void tileContext(engine::KvCache& seq, std::int64_t context) {
    for (int i = 0; i < seq.layerCount(); ++i) {
        auto& layer = seq.layer(i);
        if (layer.ratio == 0) continue;
        repeatEntries(layer.entries, context / layer.ratio, seq.entryDataBytes(),
                      seq.entryFooterBytes());
        if (layer.ratio == 4) repeatEntries(layer.indexKeys, context / 4, seq.indexKeyBytes(), 0);
    }
    std::vector<std::int32_t> tokens(seq.tokens().begin(), seq.tokens().end());
    std::vector<std::int32_t> more;
    for (std::int64_t t = seq.length(); t < context; ++t)
        more.push_back(tokens[std::size_t(t % std::int64_t(tokens.size()))]);
    seq.appendTokens(more);
}

// Decodes `steps` tokens on `batch` forks of `base`; returns the seconds.
Result<double> decode(engine::Model& model, const engine::KvCache& base, int batch, int steps) {
    const std::int64_t V = model.config().vocabSize;
    std::vector<engine::KvCache> seqs;
    for (int b = 0; b < batch; ++b) seqs.push_back(base.fork());
    auto logits = std::vector<std::vector<float>>(std::size_t(batch));
    auto tokens = std::vector<std::int32_t>(std::size_t(batch));
    auto items = std::vector<engine::BatchItem>(std::size_t(batch));
    double seconds = 0;
    for (int s = -1; s < steps; ++s) {  // step −1 warms the workspace up, untimed
        for (int b = 0; b < batch; ++b) {
            tokens[std::size_t(b)] = std::int32_t((std::int64_t(s + 2) * 7919 + b * 104729) % V);
            items[std::size_t(b)] = {&seqs[std::size_t(b)],
                                     std::span<const std::int32_t>(&tokens[std::size_t(b)], 1),
                                     engine::LogitsRequest::Last, &logits[std::size_t(b)]};
        }
        const auto t0 = Clock::now();
        if (auto r = model.forwardBatch(items); !r) return unexpected(r.error());
        if (s >= 0) seconds += secondsSince(t0);
    }
    return seconds;
}

int run(CliContext& ctx, const BenchArgs& a) {
    auto contexts = parseList(a.contexts, "--contexts");
    if (!contexts) return ctx.fail(contexts.error());
    auto batches = parseList(a.batches, "--batch");
    if (!batches) return ctx.fail(batches.error());
    if (a.decodeTokens < 1) return ctx.fail(ErrorCode::Usage, "--decode-tokens must be at least 1");
    if (a.prefillLimit % engine::KvCache::kPageTokens != 0)
        return ctx.fail(ErrorCode::Usage, "--prefill-limit must be a multiple of 128");
    if (!a.llamaBench.empty() && !isExecutableFile(a.llamaBench))
        return ctx.fail(ErrorCode::Usage, "--compare-llama-bench: " + a.llamaBench + " is not an executable file");
    // The same options every other command loads with (--backend, --numerics, --threads).
    auto chosen = ctx.modelOptions();
    if (!chosen) return ctx.fail(chosen.error());
    engine::ModelOptions options = *chosen;
    const int threads = options.threads;
    auto weights = engine::openModel(a.model);
    if (!weights) return ctx.fail(weights.error());
    const engine::ModelConfig cfg = (*weights)->config();
    const ModelCosts costs = modelCosts(**weights);
    const engine::ModelFootprint footprint = engine::modelFootprint(**weights);
    // A model larger than the memory free now pages while it runs: its speed says nothing of
    // the kernels', so such a run is not recorded for model plan.
    const std::uint64_t availableAtLoad = engine::availableMemoryBytes();
    const bool fitsInMemory = footprint.weightsBytes < availableAtLoad;
    const std::int64_t longest = *std::max_element(contexts->begin(), contexts->end()) + a.decodeTokens + 1;
    if (auto r = applyMemoryBudget(ctx.options.memoryBudget, ctx.options.expertPolicy, **weights, longest, options); !r)
        return ctx.fail(r.error());
    // Streaming: the disk's read rate for the prediction (model plan's probe and cache).
    DiskProbe disk;
    if (options.expertCacheBytes > 0) {
        auto probe = diskReadRate(ctx.dataDir(), largestWeightFile(**weights), false);
        if (!probe) return ctx.fail(probe.error());
        disk = probe->disk;
    }
    auto model = engine::Model::load(std::move(*weights), options);
    if (!model) return ctx.fail(model.error());
    // The kernels' efficiency an earlier bench of this weight type measured (model plan's).
    const std::string weightType = dominantType(footprint);
    const KernelEfficiency efficiency = kernelEfficiency(ctx.dataDir(), threads, weightType);
    for (std::int64_t c : *contexts)
        if (c + a.decodeTokens + 1 > cfg.maxPositionEmbeddings)
            return ctx.fail(ErrorCode::Usage, "--contexts: " + std::to_string(c) + " exceeds the model's context");

    const bool bar = CliContext::stderrIsTerminal();
    const double streamGbs = streamTriadGbs(threads, std::int64_t(32) << 20, 5);  // 3 × 128 MiB
    const double peakGflops = peakFmaGflops(threads, 0.3);
    const double kvPerToken = engine::computeSizes(cfg).kvBytesPerToken;
    nlohmann::json results = nlohmann::json::array();
    for (std::int64_t context : *contexts) {
        engine::KvCache base = (*model)->newSequence();
        const bool tiled = a.prefillLimit > 0 && context > a.prefillLimit;
        const std::int64_t prefilled = tiled ? a.prefillLimit : context;
        auto pre = prefill(**model, base, prefilled, a.prefillChunk, bar);
        if (!pre) return ctx.fail(pre.error());
        if (tiled) tileContext(base, context);
        const double prefillTokS = double(prefilled) / *pre;
        const double prefillGflops = 2.0 * costs.activeMatmulParams * prefillTokS / 1e9;
        for (std::int64_t batch : *batches) {
            const engine::ExpertCacheStats before = (*model)->expertCacheStats();
            auto dec = decode(**model, base, int(batch), a.decodeTokens);
            if (!dec) return ctx.fail(dec.error());
            const engine::ExpertCacheStats after = (*model)->expertCacheStats();
            const double steps = a.decodeTokens;
            const double stepBytes = decodeWeightBytes(costs, cfg, int(batch)) +
                                     double(batch) * decodeCacheBytes(cfg, context);
            const double achieved = stepBytes * steps / *dec / 1e9;
            // The most batching can give when decode is bound by the bytes it reads: one
            // token's bytes alone over its share of a batch step's (experts shared by the batch's
            // tokens are read once; cache bytes are per sequence).
            const double oneBytes = decodeWeightBytes(costs, cfg, 1) + decodeCacheBytes(cfg, context);
            const double boundRatio = oneBytes / (stepBytes / double(batch));
            // model plan's prediction for this row, and the same with the hit rate measured.
            SpeedInputs in{streamGbs, disk.gbs, peakGflops, options.expertCacheBytes, context, a.prefillChunk,
                           int(batch), -1, efficiency.decodeOfStream, efficiency.prefillOfPeak,
                           availableAtLoad};
            const SpeedPrediction predicted = predictSpeed(costs, cfg, footprint, in);
            nlohmann::json cache = nullptr;
            if (after.streaming) {
                const std::int64_t hits = after.hits - before.hits, misses = after.misses - before.misses;
                const std::uint64_t bytesRead = after.bytesRead - before.bytesRead;
                in.hitRate = hits + misses > 0 ? double(hits) / double(hits + misses) : 1;
                cache = {{"capacity_bytes", after.capacityBytes},
                         {"hits", hits},
                         {"misses", misses},
                         {"hit_rate", in.hitRate},
                         {"bytes_read", bytesRead},
                         {"read_gbs", double(bytesRead) / *dec / 1e9},
                         {"wait_seconds", after.waitSeconds - before.waitSeconds},
                         {"bound_tok_s", predictSpeed(costs, cfg, footprint, in).decodeTokS}};
            }
            results.push_back({{"context", context},
                               {"prefilled", prefilled},
                               {"tiled", tiled},
                               {"batch", batch},
                               {"prefill_tok_s", prefillTokS},
                               {"decode_tok_s", double(batch) * steps / *dec},
                               {"kv_bytes_per_token", kvPerToken},
                               {"weight_bytes_per_token", decodeWeightBytes(costs, cfg, int(batch)) / double(batch)},
                               {"memory_bound_ratio", boundRatio},
                               {"achieved_gbs", achieved},
                               {"achieved_fraction_of_stream", achieved / streamGbs},
                               {"prefill_gflops", prefillGflops},
                               {"prefill_fraction_of_peak", prefillGflops / peakGflops},
                               {"predicted_decode_tok_s", predicted.decodeTokS},
                               {"predicted_prefill_tok_s", predicted.prefillTokS},
                               {"expert_cache", cache}});
        }
    }
    // Throughput against one sequence at the same context, measured in this run.
    for (auto& r : results) {
        r["ratio_to_batch1"] = nullptr;
        for (const auto& one : results)
            if (one["batch"] == 1 && one["context"] == r["context"])
                r["ratio_to_batch1"] = r["decode_tok_s"].get<double>() / one["decode_tok_s"].get<double>();
    }
    const engine::ExpertCacheStats stats = (*model)->expertCacheStats();
    const bool paging = !stats.streaming && !fitsInMemory;
    // A resident run measures the kernels for model plan: its first one-sequence row prefilled
    // in full (the shortest context).
    recordMemoryRates(ctx.dataDir(), threads, streamGbs, peakGflops);
    if (!stats.streaming && fitsInMemory)
        for (const auto& r : results)
            if (r["batch"] == 1 && !r["tiled"].get<bool>()) {
                recordKernelEfficiency(ctx.dataDir(), threads, weightType,
                                       {r["achieved_fraction_of_stream"].get<double>(),
                                        r["prefill_fraction_of_peak"].get<double>(), true});
                break;
            }
    // llama.cpp on the same file, after Atelier's model is gone (both at once could page): the
    // prefill of each context from empty and decode at its depth, one sequence, same threads.
    nlohmann::json llama = nullptr;
    if (!a.llamaBench.empty()) {
        model->reset();
        llama = {{"path", a.llamaBench}, {"repetitions", a.llamaRepetitions}, {"build_commit", nullptr},
                 {"error", nullptr}};
        std::map<std::int64_t, LlamaBenchRow> byContext;
        for (std::int64_t context : *contexts) {
            if (bar) std::fprintf(stderr, "llama-bench at context %lld...\n", static_cast<long long>(context));
            LlamaBenchRow row = runLlamaBench(a.llamaBench, a.model, threads, context, a.decodeTokens,
                                              a.llamaRepetitions);
            if (!row.buildCommit.empty()) llama["build_commit"] = row.buildCommit;
            if (!row.error.empty() && llama["error"].is_null()) llama["error"] = row.error;
            byContext.emplace(context, std::move(row));
        }
        const auto perSecond = [](double v) { return v > 0 ? nlohmann::json(v) : nlohmann::json(nullptr); };
        for (auto& r : results) {
            r["llama_bench"] = nullptr;
            r["ratio_to_llama"] = nullptr;
            const LlamaBenchRow& row = byContext[r["context"].get<std::int64_t>()];
            // llama-bench decodes one sequence; a tiled row did not prefill its whole context.
            if (r["batch"] != 1) continue;
            const bool prefillComparable = !r["tiled"].get<bool>() && row.prefillTokS > 0;
            r["llama_bench"] = {{"prefill_tok_s", perSecond(row.prefillTokS)},
                                {"decode_tok_s", perSecond(row.decodeTokS)}};
            r["ratio_to_llama"] = {
                {"prefill", prefillComparable ? nlohmann::json(r["prefill_tok_s"].get<double>() / row.prefillTokS)
                                              : nlohmann::json(nullptr)},
                {"decode", row.decodeTokS > 0 ? nlohmann::json(r["decode_tok_s"].get<double>() / row.decodeTokS)
                                              : nlohmann::json(nullptr)}};
        }
    }
    nlohmann::json doc = {{"backend", "cpu"},
                                {"threads", threads},
                                {"weight_type", weightType},
                                {"efficiency_measured", efficiency.measured},
                                {"streaming", stats.streaming},
                                {"expert_cache_bytes", stats.capacityBytes},
                                {"disk_read_gbs", disk.gbs},
                                {"isa", kernels::isaName(kernels::activeIsaLevel())},
                                {"stream_gbs", streamGbs},
                                {"peak_fma_gflops", peakGflops},
                                {"paging", paging},
                                {"results", results}};
    if (!a.llamaBench.empty()) doc["llama_bench"] = llama;
    if (ctx.options.json) {
        std::cout << doc.dump() << std::endl;
        return kExitOk;
    }
    std::printf("backend cpu (%s), %d threads, stream %.2f GB/s, peak FMA %.1f GFLOP/s\n",
                kernels::isaName(kernels::activeIsaLevel()).c_str(), threads, streamGbs, peakGflops);
    if (paging)
        std::printf("warning: the weights exceed the memory free at load, so they paged: the predicted column "
                    "assumes them resident; --memory-budget auto streams the experts instead\n");
    if (stats.streaming)
        std::printf("streaming experts: cache %.2f GB (%lld experts), disk %.2f GB/s\n",
                    double(stats.capacityBytes) / 1e9, static_cast<long long>(stats.slotCount), disk.gbs);
    std::printf("%8s  %5s %12s %11s %11s %10s %12s %13s %9s %10s\n", "context", "batch", "prefill t/s",
                "decode t/s", "predicted", "vs batch 1", "bytes bound", "achieved GB/s", "of stream", "of peak");
    for (const auto& r : results) {
        const std::string ratio = r["ratio_to_batch1"].is_null()
                                      ? std::string("-")
                                      : fmt::format("{:.2f}x", r["ratio_to_batch1"].get<double>());
        std::printf("%8lld%s %5lld %12.1f %11.2f %11.2f %10s %11.2fx %13.2f %8.0f%% %9.0f%%\n",
                    static_cast<long long>(r["context"].get<std::int64_t>()),
                    r["tiled"].get<bool>() ? "*" : " ",
                    static_cast<long long>(r["batch"].get<std::int64_t>()),
                    r["prefill_tok_s"].get<double>(), r["decode_tok_s"].get<double>(),
                    r["predicted_decode_tok_s"].get<double>(), ratio.c_str(),
                    r["memory_bound_ratio"].get<double>(), r["achieved_gbs"].get<double>(),
                    100 * r["achieved_fraction_of_stream"].get<double>(),
                    100 * r["prefill_fraction_of_peak"].get<double>());
    }
    for (const auto& r : results) {
        const auto& c = r["expert_cache"];
        if (c.is_null()) continue;
        std::printf("context %lld batch %lld: expert cache hit rate %.1f%%, read %.2f GB at %.2f GB/s, "
                    "waited %.2f s; the disk and this hit rate allow %.2f tok/s\n",
                    static_cast<long long>(r["context"].get<std::int64_t>()),
                    static_cast<long long>(r["batch"].get<std::int64_t>()), 100 * c["hit_rate"].get<double>(),
                    double(c["bytes_read"].get<std::uint64_t>()) / 1e9, c["read_gbs"].get<double>(),
                    c["wait_seconds"].get<double>(), c["bound_tok_s"].get<double>());
    }
    if (!a.llamaBench.empty()) {
        const std::string build = llama["build_commit"].is_string() ? llama["build_commit"].get<std::string>() : "?";
        std::printf("llama-bench (build %s, -t %d, -r %d), one sequence:\n", build.c_str(), threads,
                    a.llamaRepetitions);
        const auto cell = [](const nlohmann::json& v, const char* f) {
            return v.is_null() ? std::string("-") : fmt::format(fmt::runtime(f), v.get<double>());
        };
        for (const auto& r : results) {
            if (r["llama_bench"].is_null()) continue;
            const auto& l = r["llama_bench"];
            const auto& q = r["ratio_to_llama"];
            std::printf("%8lld  prefill %s t/s (Atelier %s)  decode %s t/s (Atelier %s)\n",
                        static_cast<long long>(r["context"].get<std::int64_t>()),
                        cell(l["prefill_tok_s"], "{:.1f}").c_str(), cell(q["prefill"], "{:.2f}x").c_str(),
                        cell(l["decode_tok_s"], "{:.2f}").c_str(), cell(q["decode"], "{:.2f}x").c_str());
        }
        if (llama["error"].is_string())
            std::printf("llama-bench failed: %s\n", llama["error"].get<std::string>().c_str());
    }
    std::printf("predicted: model plan's decode tok/s for this row (docs/cli.md, model plan)\n");
    std::printf("vs batch 1: decode tokens/s over one sequence's; bytes bound: the same ratio if decode "
                "ran at the speed of the bytes it reads (experts shared by the batch read once)\n");
    if (a.prefillLimit > 0)
        std::printf("* prefilled %lld tokens, entries repeated up to the context (--prefill-limit)\n",
                    static_cast<long long>(a.prefillLimit));
    return kExitOk;
}

void setupBench(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("bench", "Measure prefill and decode speed against the machine's limits");
    auto args = std::make_shared<BenchArgs>();
    sub->add_option("--model", args->model, "Model folder, config.json or .gguf file")->required();
    sub->add_option("--contexts", args->contexts, "Context lengths, comma-separated (default 512,4096,32768)");
    sub->add_option("--batch", args->batches, "Batch sizes, comma-separated (default 1,4)");
    sub->add_option("--decode-tokens", args->decodeTokens, "Decode steps per measurement (default 32)");
    sub->add_option("--prefill-chunk", args->prefillChunk, "Tokens per prefill forward call (default 512)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--prefill-limit", args->prefillLimit,
                    "Prefill at most N tokens (a multiple of 128); longer contexts repeat their "
                    "cache entries (default 0: prefill everything)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--compare-llama-bench", args->llamaBench,
                    "Also run llama.cpp's llama-bench at PATH on the same file and threads, and "
                    "print each one-sequence row's ratio to it");
    sub->add_option("--llama-bench-repetitions", args->llamaRepetitions,
                    "llama-bench's -r for --compare-llama-bench (default 3)")
        ->check(CLI::PositiveNumber);
    addJsonFlag(sub, ctx);
    onRun(sub, ctx, [&ctx, args] { return run(ctx, *args); });
}

ATELIER_CLI_COMMAND("bench", setupBench);

}  // namespace
}  // namespace atelier::cli
