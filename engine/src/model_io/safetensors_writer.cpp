#include "model_io/safetensors_writer.h"

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "atelier/engine/tensor_schema.h"
#include "model_io/safetensors.h"

namespace atelier::engine {

std::uint64_t PlannedTensor::nbytes() const {
    return std::uint64_t(elementCount(shape)) * safetensorsElementBytes(dtype);
}

namespace {

// The JSON header, padded with spaces to a multiple of 8 bytes.
std::string headerText(const std::vector<PlannedTensor>& tensors) {
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}};
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        header[t.name] = {{"dtype", std::string(safetensorsDTypeName(t.dtype))},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + t.nbytes()}}};
        offset += t.nbytes();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    return text;
}

}  // namespace

std::uint64_t safetensorsFileBytes(const std::vector<PlannedTensor>& tensors) {
    std::uint64_t bytes = 8 + headerText(tensors).size();
    for (const auto& t : tensors) bytes += t.nbytes();
    return bytes;
}

Result<void> writeSafetensorsFile(const std::filesystem::path& path,
                                  const std::vector<PlannedTensor>& tensors,
                                  const TensorProducer& produce) {
    const std::string text = headerText(tensors);
    const std::string file = path.string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return unexpected(Error::io(file + ": cannot create"));
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(std::uint64_t(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        auto bytes = produce(i);
        if (!bytes) return unexpected(std::move(bytes.error()));
        if (bytes->size() != tensors[i].nbytes())
            return unexpected(Error::internal(file + ": tensor '" + tensors[i].name + "' produced " +
                                              std::to_string(bytes->size()) + " bytes, planned " +
                                              std::to_string(tensors[i].nbytes())));
        out.write(reinterpret_cast<const char*>(bytes->data()), std::streamsize(bytes->size()));
        if (!out) return unexpected(Error::io(file + ": write failed (disk full?)"));
    }
    out.close();
    if (!out) return unexpected(Error::io(file + ": write failed (disk full?)"));
    return {};
}

}  // namespace atelier::engine
