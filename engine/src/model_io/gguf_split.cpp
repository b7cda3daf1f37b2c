// Split GGUF sets: naming, opening every part, and writing a set (see gguf_split.h).

#include "gguf_split.h"

#include <cstdio>
#include <cstring>
#include <map>

#include "atelier/engine/model_files.h"
#include "gguf_builder.h"

namespace atelier::engine::gguf {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSplitNo = "split.no";
constexpr const char* kSplitCount = "split.count";
constexpr const char* kSplitTensors = "split.tensors.count";

// An unsigned split key, or -1 when absent or of another type.
std::int64_t splitKey(const GgufFile& f, const char* key) {
    const Value* v = f.find(key);
    if (!v || v->isArray()) return -1;
    if (const auto* u = std::get_if<std::uint64_t>(&v->scalar)) return std::int64_t(*u);
    if (const auto* i = std::get_if<std::int64_t>(&v->scalar)) return *i;
    return -1;
}

bool isDigits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

SplitName parseSplitName(const fs::path& path) {
    // stem "model-00001-of-00004": two 5-digit numbers (llama.cpp's "%s-%05d-of-%05d.gguf")
    const std::string name = path.filename().string();
    SplitName out;
    if (!name.ends_with(".gguf")) return out;
    const std::string stem = name.substr(0, name.size() - 5);
    const std::size_t of = stem.rfind("-of-");
    if (of == std::string::npos || of < 6) return out;
    const std::string count = stem.substr(of + 4), number = stem.substr(of - 5, 5);
    if (!isDigits(count) || count.size() < 5 || !isDigits(number) || stem[of - 6] != '-') return out;
    out.number = std::stoi(number);
    out.count = std::stoi(count);
    if (out.number < 1 || out.count < 1 || out.number > out.count) return {};
    out.prefix = path.parent_path() / stem.substr(0, of - 6);
    return out;
}

fs::path splitPartPath(const fs::path& prefix, int number, int count) {
    char tail[40];
    std::snprintf(tail, sizeof tail, "-%05d-of-%05d.gguf", number, count);
    return fs::path(prefix.string() + tail);
}

Result<std::shared_ptr<const GgufSet>> GgufSet::open(const fs::path& path) {
    auto first = MappedGguf::open(path);
    if (!first) return first.error();
    auto set = std::make_shared<GgufSet>();
    const GgufFile& given = (*first)->file();
    const std::int64_t count = splitKey(given, kSplitCount);
    const SplitName name = parseSplitName(path);
    if (count <= 1 && name.count <= 1) {  // an ordinary file
        set->m_parts.push_back(*first);
        return std::shared_ptr<const GgufSet>(std::move(set));
    }
    if (name.count == 0)
        return Error::badInput(given.fileName + ": part of a split GGUF (split.count = " + std::to_string(count) +
                               ") whose name does not follow NAME-00001-of-0000N.gguf, so its other parts cannot be found");
    if (count != name.count)
        return Error::badInput(given.fileName + ": split.count is " + std::to_string(count) + " but the name says " +
                               std::to_string(name.count) + " parts");
    for (int i = 1; i <= name.count; ++i) {
        if (i == name.number) {
            set->m_parts.push_back(*first);
            continue;
        }
        const fs::path p = splitPartPath(name.prefix, i, name.count);
        auto part = MappedGguf::open(p);
        if (!part)
            return Error::badInput("split GGUF " + path.string() + ": part " + std::to_string(i) + " of " +
                                   std::to_string(name.count) + " (" + p.string() + ") cannot be opened: " +
                                   part.error().message);
        set->m_parts.push_back(*part);
    }
    std::int64_t tensors = 0;
    std::map<std::string, int, std::less<>> owner;
    for (int i = 0; i < name.count; ++i) {
        const GgufFile& f = set->m_parts[std::size_t(i)]->file();
        if (splitKey(f, kSplitNo) != i || splitKey(f, kSplitCount) != name.count)
            return Error::badInput(f.fileName + ": is not part " + std::to_string(i + 1) + " of " +
                                   std::to_string(name.count) + " of this split (split.no = " +
                                   std::to_string(splitKey(f, kSplitNo)) + ", split.count = " +
                                   std::to_string(splitKey(f, kSplitCount)) + ")");
        for (const TensorInfo& t : f.tensors) {
            if (auto [it, fresh] = owner.emplace(t.name, i); !fresh)
                return Error::badInput(f.fileName + ": tensor '" + t.name + "' (tensor info at byte " +
                                       std::to_string(t.infoOffset) + ") is also in part " +
                                       std::to_string(it->second + 1));
            ++tensors;
        }
    }
    const std::int64_t declared = splitKey(set->metadata(), kSplitTensors);
    if (declared >= 0 && declared != tensors)
        return Error::badInput(set->metadata().fileName + ": split.tensors.count is " + std::to_string(declared) +
                               " but the " + std::to_string(name.count) + " parts hold " + std::to_string(tensors) +
                               " tensors");
    return std::shared_ptr<const GgufSet>(std::move(set));
}

GgufSet::Located GgufSet::find(std::string_view name) const {
    for (const auto& p : m_parts)
        if (const TensorInfo* t = p->file().findTensor(name)) return {&p->file(), t};
    return {};
}

std::vector<GgufSet::Located> GgufSet::tensors() const {
    std::vector<Located> out;
    for (const auto& p : m_parts)
        for (const TensorInfo& t : p->file().tensors) out.push_back({&p->file(), &t});
    return out;
}

Result<std::vector<fs::path>> writeSplitGguf(const fs::path& in, const fs::path& outPrefix, int parts) {
    auto map = MappedGguf::open(in);
    if (!map) return map.error();
    const GgufFile& f = (*map)->file();
    if (splitKey(f, kSplitCount) > 1) return Error::badInput(f.fileName + ": is already one part of a split GGUF");
    if (parts < 1 || parts > 99999 || std::size_t(parts) > std::max<std::size_t>(f.tensors.size(), 1))
        return Error::usage("cannot split " + std::to_string(f.tensors.size()) + " tensors into " +
                            std::to_string(parts) + " parts");
    std::uint64_t total = 0;
    for (const TensorInfo& t : f.tensors) total += t.nbytes;
    if (const fs::path folder = outPrefix.parent_path(); !folder.empty()) {
        std::error_code ec;
        fs::create_directories(folder, ec);
        if (ec) return Error::io(folder.string() + ": cannot create the folder for the parts: " + ec.message());
    }
    std::vector<fs::path> written;
    std::size_t next = 0;
    std::uint64_t done = 0;
    for (int part = 0; part < parts; ++part) {
        GgufBuilder b;
        if (part == 0)
            for (const auto& [key, value] : f.kv)
                if (!key.starts_with("split.")) b.addValue(key, value);
        b.addU16(kSplitNo, std::uint16_t(part));
        b.addU16(kSplitCount, std::uint16_t(parts));
        b.addI32(kSplitTensors, std::int32_t(f.tensors.size()));
        // Tensors until this part's share of the bytes, leaving one for every later part.
        const std::uint64_t target = total * std::uint64_t(part + 1) / std::uint64_t(parts);
        do {
            const TensorInfo& t = f.tensors[next++];
            done += t.nbytes;
            b.addTensor(t.name, t.type, t.ne, [&f, &t](std::byte* out, std::size_t n) {
                std::memcpy(out, f.tensorData(t), std::min<std::size_t>(n, t.nbytes));
            });
        } while (next < f.tensors.size() &&
                 (part == parts - 1 || (done < target && f.tensors.size() - next > std::size_t(parts - part - 1))));
        const fs::path p = splitPartPath(outPrefix, part + 1, parts);
        ATELIER_TRY_VOID(b.writeFile(p));
        written.push_back(p);
    }
    return written;
}

}  // namespace atelier::engine::gguf

namespace atelier::engine {

Result<std::vector<std::filesystem::path>> splitGgufFile(const std::filesystem::path& in,
                                                        const std::filesystem::path& outPrefix, int parts) {
    return gguf::writeSplitGguf(in, outPrefix, parts);
}

}  // namespace atelier::engine
