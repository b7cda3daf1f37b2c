#include "cli/model_plan.h"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "atelier/agents/model_plan.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/model_footprint.h"
#include "cli/memory_budget.h"

namespace atelier::cli {
namespace {

namespace fs = std::filesystem;

struct PlanArgs {
    std::string path;
    std::int64_t context = 32768;
    bool reprobe = false;
};

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
    if (engine::modelFootprint(**src).weightsMissing)
        return ctx.fail(ErrorCode::BadInput, a.path + ": the weights are missing; a plan needs the files it would read");
    const fs::path dataDir = ctx.dataDir();
    if (dataDir.empty()) return kExitFailure;
    agents::PlanRequest request;
    request.context = a.context;
    request.threads = ctx.options.threads;
    request.budgetAuto = budget->automatic;
    request.budgetBytes = budget->bytes;
    request.dataDir = dataDir;
    request.reprobe = a.reprobe;
    auto plan = agents::planModel(**src, request);
    if (!plan) return ctx.fail(plan.error());
    const agents::ModelPlan& p = *plan;

    nlohmann::ordered_json j;
    j["path"] = p.path;
    j["context"] = p.context;
    j["threads"] = p.threads;
    j["memory_total_bytes"] = p.memoryTotalBytes;
    j["memory_available_bytes"] = p.memoryAvailableBytes;
    j["weights_bytes"] = p.weightsBytes;
    j["routed_expert_bytes"] = p.routedExpertBytes;
    j["resident_bytes"] = p.residentBytes;
    j["expert_bytes"] = p.expertBytes;
    j["kv_bytes"] = p.kvBytes;
    j["budget"] = p.budget;
    j["expert_cache_bytes"] = p.expertCacheBytes;
    j["streaming"] = p.streaming;
    j["paging"] = p.paging;
    j["memory_needed_bytes"] = p.memoryNeededBytes;
    j["cached_fraction"] = p.cachedFraction;
    j["hit_rate"] = p.hitRate;
    j["memory_gbs"] = p.memoryGbs;
    j["peak_fma_gflops"] = p.peakFmaGflops;
    j["memory_cached"] = p.memoryCached;
    j["disk_read_gbs"] = p.diskReadGbs;
    j["disk_probe_bytes"] = p.diskProbeBytes;
    j["disk_direct"] = p.diskDirect;
    j["disk_cached"] = p.diskCached;
    j["disk_device"] = p.diskDevice;
    j["weight_type"] = p.weightType;
    j["efficiency_measured"] = p.efficiencyMeasured;
    j["decode_of_stream"] = p.decodeOfStream;
    j["prefill_of_peak"] = p.prefillOfPeak;
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
