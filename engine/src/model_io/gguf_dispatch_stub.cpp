// Placeholder until the GGUF reader and writer (gguf_*.cpp, another branch) are merged; the
// lead deletes this file then.
#include "model_io/gguf.h"

namespace atelier::engine {

Result<std::unique_ptr<WeightSource>> openGgufModel(const std::filesystem::path& path) {
    return unexpected(Error::badInput(path.string() + ": GGUF reading not built"));
}

Result<void> writeGgufModel(const CreateModelOptions&, const std::filesystem::path& out) {
    return unexpected(Error::internal(out.string() + ": GGUF writing not built"));
}

Result<Vocabulary> readGgufVocabulary(const std::filesystem::path& path) {
    return unexpected(Error::badInput(path.string() + ": GGUF reading not built"));
}

}  // namespace atelier::engine
