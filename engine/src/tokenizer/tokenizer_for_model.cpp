// Tokenizer::forModel: finds a model's tokenizer in either file format.

#include "atelier/engine/tokenizer.h"
#include "model_io/gguf.h"

namespace atelier::engine {
namespace fs = std::filesystem;

Result<Tokenizer> Tokenizer::forModel(const fs::path& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return fromFile(path / "tokenizer.json");
    if (path.extension() == ".gguf") {
        auto vocab = readGgufVocabulary(path);
        if (!vocab) return unexpected(vocab.error());
        return fromVocabulary(*vocab);
    }
    if (path.filename() == "config.json") return fromFile(path.parent_path() / "tokenizer.json");
    if (!fs::exists(path, ec)) return unexpected(Error::notFound(path.string() + ": no such model"));
    return fromFile(path);
}

}  // namespace atelier::engine
