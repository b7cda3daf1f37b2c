#include "atelier/agents/model_plan.h"

#include <algorithm>
#include <thread>

#include <unistd.h>

#include "atelier/agents/bench_measure.h"
#include "atelier/agents/machine_probe.h"
#include "atelier/agents/speed_prediction.h"

namespace atelier::agents {

std::uint64_t expertCacheBytes(bool automatic, std::uint64_t bytes, const engine::ModelFootprint& f,
                               std::int64_t contextTokens) {
    if (f.routedExpertBytes == 0) return 0;
    const std::uint64_t cache =
        automatic ? engine::autoExpertCacheBytes(f, contextTokens, engine::availableMemoryBytes()) : bytes;
    return cache >= f.routedExpertBytes ? 0 : cache;
}

std::uint64_t totalMemoryBytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? std::uint64_t(pages) * std::uint64_t(size) : 0;
}

Result<ModelPlan> planModel(const engine::WeightSource& source, const PlanRequest& request) {
    const engine::ModelFootprint fp = engine::modelFootprint(source);
    if (fp.weightsMissing)
        return unexpected(Error::badInput(source.origin() + ": the weights are missing; a plan needs the files it would read"));
    const int threads = request.threads > 0 ? request.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    auto rates = machineRates(request.dataDir, largestWeightFile(source), threads, request.reprobe);
    if (!rates) return unexpected(rates.error());

    const std::uint64_t cache = expertCacheBytes(request.budgetAuto, request.budgetBytes, fp, request.context);
    SpeedInputs in;
    in.memoryGbs = rates->memoryGbs;
    in.diskGbs = rates->disk.gbs;
    in.peakGflops = rates->peakGflops;
    in.cacheBytes = cache;
    in.context = request.context;
    const std::string weightType = dominantType(fp);
    const KernelEfficiency eff = kernelEfficiency(request.dataDir, threads, weightType);
    in.decodeOfStream = eff.decodeOfStream;
    in.prefillOfPeak = eff.prefillOfPeak;
    in.availableBytes = engine::availableMemoryBytes();
    const SpeedPrediction p = predictSpeed(modelCosts(source), source.config(), fp, in);

    ModelPlan plan;
    plan.path = source.origin();
    plan.context = request.context;
    plan.threads = threads;
    plan.memoryTotalBytes = totalMemoryBytes();
    plan.memoryAvailableBytes = engine::availableMemoryBytes();
    plan.weightsBytes = fp.weightsBytes;
    plan.routedExpertBytes = fp.routedExpertBytes;
    plan.residentBytes = fp.weightsBytes - fp.routedExpertBytes;
    plan.expertBytes = fp.expertBytes;
    plan.kvBytes = std::uint64_t(fp.kvBytesPerToken * double(request.context)) + std::uint64_t(fp.stateBytesPerSequence);
    plan.budget = request.budgetAuto ? "auto" : std::to_string(request.budgetBytes);
    plan.expertCacheBytes = p.streaming ? cache : 0;
    plan.streaming = p.streaming;
    plan.paging = p.paging;
    plan.memoryNeededBytes = (p.streaming ? plan.residentBytes + cache : fp.weightsBytes) + plan.kvBytes;
    plan.cachedFraction = p.cachedFraction;
    plan.hitRate = p.hitRate;
    plan.memoryGbs = rates->memoryGbs;
    plan.peakFmaGflops = rates->peakGflops;
    plan.memoryCached = rates->memoryCached;
    plan.diskReadGbs = rates->disk.gbs;
    plan.diskProbeBytes = rates->disk.bytes;
    plan.diskDirect = rates->disk.direct;
    plan.diskCached = rates->diskCached;
    plan.diskDevice = rates->diskKey;
    plan.weightType = weightType;
    plan.efficiencyMeasured = eff.measured;
    plan.decodeOfStream = eff.decodeOfStream;
    plan.prefillOfPeak = eff.prefillOfPeak;
    plan.residentBytesPerToken = p.residentBytesPerToken;
    plan.expertBytesPerToken = p.expertBytesPerToken;
    plan.missBytesPerToken = p.missBytesPerToken;
    plan.decodeTokS = p.decodeTokS;
    plan.prefillTokS = p.prefillTokS;
    return plan;
}

}  // namespace atelier::agents
