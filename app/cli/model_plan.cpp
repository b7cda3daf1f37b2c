#include "cli/model_plan.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "atelier/engine/model_files.h"
#include "atelier/engine/model_footprint.h"
#include "cli/bench_measure.h"
#include "cli/machine_probe.h"
#include "cli/memory_budget.h"
#include "cli/speed_prediction.h"

namespace atelier::cli {
namespace {

namespace fs = std::filesystem;

struct PlanArgs {
    std::string path;
    std::int64_t context = 32768;
    bool reprobe = false;
};

std::uint64_t totalMemoryBytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? std::uint64_t(pages) * std::uint64_t(size) : 0;
}

// Bytes in GB, or MB below a GB.
std::string gb(double bytes) {
    char buf[32];
    if (bytes >= 1e9) std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
    else std::snprintf(buf, sizeof buf, "%.2f MB", bytes / 1e6);
    return buf;
}

void printText(const nlohmann::ordered_json& j) {
    const auto u = [&](const char* k) { return double(j[k].get<std::uint64_t>()); };
    std::printf("model %s, context %lld tokens\n", j["path"].get<std::string>().c_str(),
                static_cast<long long>(j["context"].get<std::int64_t>()));
    std::printf("memory: %s total, %s available\n", gb(u("memory_total_bytes")).c_str(),
                gb(u("memory_available_bytes")).c_str());
    std::printf("weights %s = resident %s + routed experts %s\n", gb(u("weights_bytes")).c_str(),
                gb(u("resident_bytes")).c_str(), gb(u("routed_expert_bytes")).c_str());
    std::printf("KV cache at the context: %s\n", gb(u("kv_bytes")).c_str());
    if (j["streaming"].get<bool>())
        std::printf("expert cache %s (%s): streams experts from disk, %.0f%% of them cached, expected hit rate %.0f%%\n",
                    gb(u("expert_cache_bytes")).c_str(), j["budget"].get<std::string>().c_str(),
                    100 * j["cached_fraction"].get<double>(), 100 * j["hit_rate"].get<double>());
    else
        std::printf("no streaming: every weight stays mapped (budget %s)\n", j["budget"].get<std::string>().c_str());
    if (j["paging"].get<bool>())
        std::printf("warning: the weights exceed the memory free, so mapped they page at every step and decode "
                    "runs far below the prediction; --memory-budget auto streams the experts instead\n");
    std::printf("memory needed: %s\n", gb(u("memory_needed_bytes")).c_str());
    std::printf("memory bandwidth %.2f GB/s%s, peak FMA %.1f GFLOP/s, disk read %.2f GB/s (%s%s)\n",
                j["memory_gbs"].get<double>(), j["memory_cached"].get<bool>() ? " (cached)" : "",
                j["peak_fma_gflops"].get<double>(), j["disk_read_gbs"].get<double>(),
                j["disk_direct"].get<bool>() ? "O_DIRECT" : "page cache dropped",
                j["disk_cached"].get<bool>() ? ", cached" : "");
    if (j["efficiency_measured"].get<bool>())
        std::printf("%s kernels here (measured by bench): decode at %.0f%% of STREAM, prefill at %.0f%% of peak\n",
                    j["weight_type"].get<std::string>().c_str(), 100 * j["decode_of_stream"].get<double>(),
                    100 * j["prefill_of_peak"].get<double>());
    else
        std::printf("no bench of a %s model here yet: decode at STREAM speed and prefill at the FMA peak (upper bounds)\n",
                    j["weight_type"].get<std::string>().c_str());
    std::printf("per token: %s resident, %s experts, %s from disk\n",
                gb(j["resident_bytes_per_token"].get<double>()).c_str(),
                gb(j["expert_bytes_per_token"].get<double>()).c_str(),
                gb(j["miss_bytes_per_token"].get<double>()).c_str());
    std::printf("predicted: decode %.2f tok/s, prefill %.1f tok/s\n", j["decode_tok_s"].get<double>(),
                j["prefill_tok_s"].get<double>());
}

int run(CliContext& ctx, const PlanArgs& a) {
    auto budget = parseMemoryBudget(ctx.options.memoryBudget.empty() ? "auto" : ctx.options.memoryBudget);
    if (!budget) return ctx.fail(budget.error());
    auto src = engine::openModel(a.path);
    if (!src) return ctx.fail(src.error());
    const engine::ModelFootprint fp = engine::modelFootprint(**src);
    if (fp.weightsMissing)
        return ctx.fail(ErrorCode::BadInput, a.path + ": the weights are missing; a plan needs the files it would read");
    const int threads = ctx.options.threads > 0 ? ctx.options.threads
                                                : int(std::max(1u, std::thread::hardware_concurrency()));
    const fs::path dataDir = ctx.dataDir();
    if (dataDir.empty()) return kExitFailure;
    auto rates = machineRates(dataDir, largestWeightFile(**src), threads, a.reprobe);
    if (!rates) return ctx.fail(rates.error());

    const engine::ModelConfig& cfg = (*src)->config();
    const std::uint64_t cache = expertCacheBytesFor(*budget, fp, a.context);
    SpeedInputs in;
    in.memoryGbs = rates->memoryGbs;
    in.diskGbs = rates->disk.gbs;
    in.peakGflops = rates->peakGflops;
    in.cacheBytes = cache;
    in.context = a.context;
    const std::string weightType = dominantType(fp);
    const KernelEfficiency eff = kernelEfficiency(dataDir, threads, weightType);
    in.decodeOfStream = eff.decodeOfStream;
    in.prefillOfPeak = eff.prefillOfPeak;
    in.availableBytes = engine::availableMemoryBytes();
    const SpeedPrediction p = predictSpeed(modelCosts(**src), cfg, fp, in);
    const std::uint64_t resident = fp.weightsBytes - fp.routedExpertBytes;
    const std::uint64_t kv = std::uint64_t(fp.kvBytesPerToken * double(a.context)) + std::uint64_t(fp.stateBytesPerSequence);

    nlohmann::ordered_json j;
    j["path"] = (*src)->origin();
    j["context"] = a.context;
    j["threads"] = threads;
    j["memory_total_bytes"] = totalMemoryBytes();
    j["memory_available_bytes"] = engine::availableMemoryBytes();
    j["weights_bytes"] = fp.weightsBytes;
    j["routed_expert_bytes"] = fp.routedExpertBytes;
    j["resident_bytes"] = resident;
    j["expert_bytes"] = fp.expertBytes;
    j["kv_bytes"] = kv;
    j["budget"] = budget->automatic ? "auto" : std::to_string(budget->bytes);
    j["expert_cache_bytes"] = p.streaming ? cache : 0;
    j["streaming"] = p.streaming;
    j["paging"] = p.paging;
    j["memory_needed_bytes"] = (p.streaming ? resident + cache : fp.weightsBytes) + kv;
    j["cached_fraction"] = p.cachedFraction;
    j["hit_rate"] = p.hitRate;
    j["memory_gbs"] = rates->memoryGbs;
    j["peak_fma_gflops"] = rates->peakGflops;
    j["memory_cached"] = rates->memoryCached;
    j["disk_read_gbs"] = rates->disk.gbs;
    j["disk_probe_bytes"] = rates->disk.bytes;
    j["disk_direct"] = rates->disk.direct;
    j["disk_cached"] = rates->diskCached;
    j["disk_device"] = rates->diskKey;
    j["weight_type"] = weightType;
    j["efficiency_measured"] = eff.measured;
    j["decode_of_stream"] = eff.decodeOfStream;
    j["prefill_of_peak"] = eff.prefillOfPeak;
    j["resident_bytes_per_token"] = p.residentBytesPerToken;
    j["expert_bytes_per_token"] = p.expertBytesPerToken;
    j["miss_bytes_per_token"] = p.missBytesPerToken;
    j["decode_tok_s"] = p.decodeTokS;
    j["prefill_tok_s"] = p.prefillTokS;
    if (ctx.options.json)
        std::cout << j.dump() << std::endl;
    else
        printText(j);
    return kExitOk;
}

}  // namespace

void addModelPlan(CLI::App* model, CliContext& ctx) {
    static PlanArgs plan;
    auto* p = model->add_subcommand("plan", "Predict the memory and speed of a model on this machine");
    p->fallthrough();
    p->add_option("path", plan.path, "Model folder, its config.json, or a .gguf file")->required();
    p->add_option("--context", plan.context, "Context length the KV cache and decode assume (default 32768)")
        ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 24));
    p->add_flag("--reprobe", plan.reprobe, "Measure the memory and disk bandwidth again instead of using the cache");
    addJsonFlag(p, ctx);
    onRun(p, ctx, [&ctx] { return run(ctx, plan); });
}

}  // namespace atelier::cli
