#include "atelier/engine/model_footprint.h"

#include <fstream>
#include <sstream>

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

std::uint64_t availableMemoryBytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string line;
    while (std::getline(meminfo, line)) {
        if (!line.starts_with("MemAvailable:")) continue;
        std::istringstream fields(line.substr(13));
        std::uint64_t kib = 0;
        fields >> kib;
        return kib * 1024;  // the file counts KiB
    }
    return 0;
}

}  // namespace atelier::engine
