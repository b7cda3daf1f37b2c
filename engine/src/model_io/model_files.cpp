// Placeholder for openModel() until the model-files branch (dev-files) lands: it defines the
// real engine/src/model_io/model_files.cpp, which replaces this file when merging.

#include "atelier/engine/model_files.h"

namespace atelier::engine {

Result<std::unique_ptr<WeightSource>> openModel(const std::filesystem::path& path) {
    return unexpected(Error::notFound("cannot open '" + path.string() +
                                      "': model files are not supported in this build yet"));
}

}  // namespace atelier::engine
