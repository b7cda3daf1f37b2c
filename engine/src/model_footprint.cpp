#include "atelier/engine/model_footprint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include "atelier/engine/dtype.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/tensor_schema.h"

namespace atelier::engine {

std::uint64_t ModelFootprint::neededBytes(std::int64_t contextTokens) const {
    return weightBytesForLoad() + std::uint64_t(kvBytesPerToken * double(contextTokens)) +
           std::uint64_t(stateBytesPerSequence);
}

ModelFootprint modelFootprint(const WeightSource& source) {
    const ModelConfig& c = source.config();
    const ModelSizes sizes = computeSizes(c);
    ModelFootprint f;
    f.kvBytesPerToken = sizes.kvBytesPerToken;
    f.stateBytesPerSequence = sizes.stateBytesPerSequence;
    f.parts = source.parts();
    f.skippedTensors = source.skipped();
    f.routedExperts = c.nRoutedExperts;
    f.activatedExperts = c.nActivatedExperts;
    f.layers = c.nLayers;
    // Routed experts of the main layers (MTP blocks never run), weights and scale companions.
    std::map<std::pair<int, int>, std::uint64_t> perExpert;  // (layer, expert) → bytes
    for (const auto& spec : expectedTensors(c)) {
        if (spec.expert < 0 || spec.mtp) continue;
        std::string scale = spec.name;  // "….weight" → "….scale" (weight_decode.h)
        if (scale.ends_with(".weight")) scale.replace(scale.size() - 7, 7, ".scale");
        for (const std::string& name : {spec.name, scale})
            if (const TensorView* t = source.find(name)) perExpert[{spec.layer, spec.expert}] += t->nbytes;
    }
    for (const auto& [key, bytes] : perExpert) {
        f.routedExpertBytes += bytes;
        f.expertBytes = std::max(f.expertBytes, bytes);
    }
    for (const auto& name : source.names()) {
        const TensorView* t = source.find(name);
        TypeFootprint& type = f.types[std::string(dtypeName(t->dtype))];
        ++type.tensors;
        type.bytes += t->nbytes;
        type.elements += elementCount(t->shape);
        f.weightsBytes += t->nbytes;
        // FP4 pairs (E2M1x2) hold two weights a byte; scale tensors count as overhead, not weights.
        if (t->dtype == DType::F8_E8M0) continue;
        f.weightsElements += t->dtype == DType::E2M1x2 ? 2 * elementCount(t->shape) : elementCount(t->shape);
    }
    if (f.weightsElements > 0) f.bitsPerWeight = 8.0 * double(f.weightsBytes) / double(f.weightsElements);
    if (f.weightsBytes == 0) {
        // Only config.json: what the release scheme (FP8 with UE8M0 block scales, FP4 experts)
        // would take, so that a missing 160 GB never reads as "0 bytes, fits".
        f.weightsMissing = true;
        const auto scheme = WeightScheme::FP8;
        for (const auto& spec : expectedTensors(c)) {
            const DType dt = storedDType(spec.role, scheme);
            f.weightsBytesEstimated += dtypeRowBytes(dt, elementCount(storedShape(spec, scheme)));
            if (hasScaleCompanion(spec.role, scheme))
                f.weightsBytesEstimated += std::uint64_t(elementCount(scaleShape(spec)));
        }
    }
    return f;
}

std::uint64_t autoExpertCacheBytes(const ModelFootprint& f, std::int64_t contextTokens,
                                   std::uint64_t availableBytes) {
    if (f.routedExpertBytes == 0) return 0;
    const std::uint64_t resident = f.weightsBytes - f.routedExpertBytes;
    const std::uint64_t kv = std::uint64_t(f.kvBytesPerToken * double(std::max<std::int64_t>(contextTokens, 0))) +
                             std::uint64_t(f.stateBytesPerSequence);
    const std::uint64_t reserve = std::max<std::uint64_t>(1ull << 30, availableBytes / 10);
    const std::uint64_t used = resident + kv + reserve;
    const std::uint64_t left = availableBytes > used ? availableBytes - used : 0;
    if (left >= f.routedExpertBytes) return 0;
    return std::max<std::uint64_t>(left, f.expertBytes * std::uint64_t(std::max(1, f.activatedExperts)));
}

namespace {

// The first number in `path` (0 when absent or "max").
std::uint64_t readNumber(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::uint64_t v = 0;
    in >> v;
    return in ? v : 0;
}

// `key`'s value in a memory.stat file (0 when absent).
std::uint64_t statValue(const std::filesystem::path& path, std::string_view key) {
    std::ifstream in(path);
    std::string name;
    std::uint64_t v = 0;
    while (in >> name >> v)
        if (name == key) return v;
    return 0;
}

}  // namespace

std::uint64_t cgroupAvailableBytes(const std::filesystem::path& procCgroup,
                                   const std::filesystem::path& cgroupRoot) {
    namespace fs = std::filesystem;
    std::ifstream groups(procCgroup);
    std::string line;
    while (std::getline(groups, line)) {
        // v2: "0::/path"; v1: "N:memory:/path" (or a list of controllers holding "memory").
        const auto first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        std::uint64_t limit = 0, usage = 0, inactive = 0;
        if (controllers.empty()) {
            const fs::path dir = cgroupRoot / fs::path(path).relative_path();
            limit = readNumber(dir / "memory.max");
            usage = readNumber(dir / "memory.current");
            inactive = statValue(dir / "memory.stat", "inactive_file");
        } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
            const fs::path dir = cgroupRoot / "memory" / fs::path(path).relative_path();
            limit = readNumber(dir / "memory.limit_in_bytes");
            usage = readNumber(dir / "memory.usage_in_bytes");
            inactive = statValue(dir / "memory.stat", "total_inactive_file");
        } else {
            continue;
        }
        if (limit == 0 || limit >= (1ull << 60)) continue;  // "max" or the v1 "unlimited" value
        const std::uint64_t used = usage > inactive ? usage - inactive : 0;
        return limit > used ? limit - used : 1;
    }
    return 0;
}

std::uint64_t availableMemoryBytes() {
    std::uint64_t available = 0;
    std::ifstream meminfo("/proc/meminfo");
    std::string line;
    while (std::getline(meminfo, line)) {
        if (!line.starts_with("MemAvailable:")) continue;
        std::istringstream fields(line.substr(13));
        std::uint64_t kib = 0;
        fields >> kib;
        available = kib * 1024;  // the file counts KiB
        break;
    }
    // In a container (or a systemd slice) with a memory limit, the limit is what counts.
    if (const std::uint64_t group = cgroupAvailableBytes("/proc/self/cgroup", "/sys/fs/cgroup"); group > 0)
        available = available > 0 ? std::min(available, group) : group;
    return available;
}

}  // namespace atelier::engine
