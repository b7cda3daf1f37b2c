#include "model_io/hf_source.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/engine/model_files.h"
#include "model_io/safetensors.h"

namespace atelier::engine {
namespace fs = std::filesystem;

namespace {

// Reads the index's weight_map: tensor name -> shard file name.
Result<std::map<std::string, std::string>> readWeightMap(const fs::path& index) {
    std::error_code ec;
    if (!fs::is_regular_file(index, ec))  // a FIFO would block the open
        return unexpected(Error::badInput(index.string() + ": not a regular file"));
    std::ifstream in(index, std::ios::binary);
    if (!in) return unexpected(Error::io(index.string() + ": cannot open"));
    std::ostringstream text;
    text << in.rdbuf();
    std::map<std::string, std::string> out;
    try {
        const auto j = nlohmann::json::parse(text.str());
        const auto& map = j.at("weight_map");
        if (!map.is_object())
            return unexpected(Error::badInput(index.string() + ": weight_map is not an object"));
        for (const auto& [name, shard] : map.items()) {
            const std::string file = shard.get<std::string>();
            // A shard must sit in the folder itself: no paths out of it.
            if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
                return unexpected(Error::badInput(index.string() + ": tensor '" + name +
                                                  "' names an invalid shard '" + file + "'"));
            out[name] = file;
        }
    } catch (const nlohmann::json::exception& e) {
        return unexpected(Error::badInput(index.string() + ": " + e.what()));
    }
    return out;
}

}  // namespace

Result<std::vector<fs::path>> listShards(const fs::path& folder) {
    std::vector<fs::path> shards;
    const fs::path index = folder / "model.safetensors.index.json";
    std::error_code ec;
    if (fs::exists(index, ec)) {
        auto map = readWeightMap(index);
        if (!map) return unexpected(std::move(map.error()));
        std::set<std::string> names;
        for (const auto& [_, file] : *map) names.insert(file);
        for (const auto& n : names) shards.push_back(folder / n);
        return shards;
    }
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".safetensors") shards.push_back(it->path());
    if (ec) return unexpected(Error::io(folder.string() + ": cannot list: " + ec.message()));
    std::sort(shards.begin(), shards.end());
    return shards;
}

const TensorView* HfWeightSource::find(std::string_view name) const {
    auto it = m_tensors.find(name);
    return it == m_tensors.end() ? nullptr : &it->second;
}

std::vector<std::string> HfWeightSource::names() const {
    std::vector<std::string> out;
    out.reserve(m_tensors.size());
    for (const auto& [name, _] : m_tensors) out.push_back(name);
    return out;
}

Result<void> HfWeightSource::addShard(base::MappedFile file) {
    auto owned = std::make_unique<base::MappedFile>(std::move(file));
    auto header = parseSafetensors(owned->bytes(), owned->path());
    if (!header) return unexpected(std::move(header.error()));
    for (auto& e : header->tensors) {
        if (auto prev = m_tensors.find(e.name); prev != m_tensors.end())
            return unexpected(Error::badInput(owned->path() + ": tensor '" + e.name + "' at byte " +
                                              std::to_string(e.offset) + " is also in " +
                                              prev->second.file));
        TensorView v;
        v.name = e.name;
        v.dtype = e.dtype;
        v.shape = std::move(e.shape);
        v.data = owned->bytes().data() + e.offset;
        v.nbytes = std::size_t(e.nbytes);
        v.file = owned->path();
        v.fileOffset = e.offset;
        m_tensors.emplace(e.name, std::move(v));
    }
    m_files.push_back(std::move(owned));
    return {};
}

Result<std::unique_ptr<HfWeightSource>> HfWeightSource::open(const fs::path& folder) {
    auto config = readHfConfig(folder / "config.json");
    if (!config) return unexpected(std::move(config.error()));
    auto src = std::unique_ptr<HfWeightSource>(new HfWeightSource());
    src->m_config = std::move(*config);
    src->m_folder = folder.string();
    auto shards = listShards(folder);
    if (!shards) return unexpected(std::move(shards.error()));
    for (const auto& path : *shards) {
        auto mapped = base::MappedFile::open(path);
        if (!mapped) return unexpected(std::move(mapped.error()));
        ATELIER_TRY_VOID(src->addShard(std::move(*mapped)));
    }
    // The index must agree with the shards: every tensor it lists lives in the shard it names.
    const fs::path index = folder / "model.safetensors.index.json";
    std::error_code ec;
    if (fs::exists(index, ec)) {
        auto map = readWeightMap(index);
        if (!map) return unexpected(std::move(map.error()));
        for (const auto& [name, shard] : *map) {
            const TensorView* v = src->find(name);
            if (!v || fs::path(v->file).filename() != shard)
                return unexpected(Error::badInput(index.string() + ": tensor '" + name +
                                                  "' is not in shard " + shard));
        }
    }
    return src;
}

}  // namespace atelier::engine
