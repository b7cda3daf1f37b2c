// Opening a deepseek4 GGUF as a WeightSource with Hugging Face names (see gguf.h).

#include <map>
#include <set>

#include "atelier/engine/log.h"
#include "gguf.h"
#include "gguf_deepseek4.h"
#include "gguf_reader.h"

namespace atelier::engine {
namespace {

using gguf::GgufFile;
using gguf::TensorInfo;
using gguf::TensorPlan;

std::string neText(const std::vector<std::int64_t>& ne) {
    std::string s = "{";
    for (std::size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
    return s + "}";
}

class GgufWeightSource final : public WeightSource {
public:
    GgufWeightSource(std::shared_ptr<const gguf::MappedGguf> map, ModelConfig config)
        : m_map(std::move(map)), m_config(std::move(config)) {}

    const ModelConfig& config() const override { return m_config; }
    ModelFormat format() const override { return ModelFormat::Gguf; }
    const TensorView* find(std::string_view name) const override {
        auto it = m_views.find(name);
        return it == m_views.end() ? nullptr : &it->second;
    }
    std::vector<std::string> names() const override {
        std::vector<std::string> out;
        for (const auto& [name, _] : m_views) out.push_back(name);
        return out;
    }
    std::string origin() const override { return m_map->file().fileName; }

    Result<void> bind(const std::vector<TensorPlan>& plan);

private:
    Result<const TensorInfo*> check(const TensorPlan& p) const;
    void add(std::string name, std::vector<std::int64_t> shape, DType dtype, std::uint64_t offset,
             std::uint64_t nbytes);

    std::shared_ptr<const gguf::MappedGguf> m_map;
    ModelConfig m_config;
    std::map<std::string, TensorView, std::less<>> m_views;
};

Result<const TensorInfo*> GgufWeightSource::check(const TensorPlan& p) const {
    const GgufFile& f = m_map->file();
    const TensorInfo* t = f.findTensor(p.ggufName);
    const std::string hf = p.parts.front().name;
    if (!t)
        return Error::badInput(f.fileName + ": tensor '" + p.ggufName + "' (HF '" + hf + "') is missing");
    const std::string where = f.fileName + ": tensor '" + p.ggufName + "' (tensor info at byte " +
                              std::to_string(t->infoOffset) + ")";
    // llama.cpp reads attn_output_a as {H·c/g, d_g, g} and checks only its element count.
    const bool reshapable = p.ggufName.ends_with(".attn_output_a.weight") && t->ne.size() == 3 &&
                            t->ne[0] == p.ne[0] && t->elements() == elementCount(p.ne);
    if (t->ne != p.ne && !reshapable)
        return Error::badInput(where + " has ne " + neText(t->ne) + ", expected " + neText(p.ne));
    if (!gguf::ggufTypeAllowed(p.role, t->type))
        return Error::badInput(where + " has type " + std::string(gguf::ggmlTypeName(t->type)) +
                               ", which llama.cpp does not accept for this tensor");
    return t;
}

void GgufWeightSource::add(std::string name, std::vector<std::int64_t> shape, DType dtype, std::uint64_t offset,
                           std::uint64_t nbytes) {
    TensorView v;
    v.name = name;
    v.dtype = dtype;
    v.shape = std::move(shape);
    v.data = m_map->file().bytes.data() + offset;
    v.nbytes = std::size_t(nbytes);
    v.file = m_map->file().fileName;
    v.fileOffset = offset;
    m_views.emplace(std::move(name), std::move(v));
}

Result<void> GgufWeightSource::bind(const std::vector<TensorPlan>& plan) {
    const GgufFile& f = m_map->file();
    std::set<std::string, std::less<>> planned;
    for (const auto& p : plan) {
        auto t = check(p);
        if (!t) return t.error();
        const TensorInfo& ti = **t;
        planned.insert(p.ggufName);
        DType dtype = DType::F32;
        gguf::ggmlToDType(ti.type, dtype);  // every type ggufTypeAllowed accepts has a DType
        switch (p.layout) {
        case gguf::PlanLayout::Single:
            add(p.parts[0].name, p.parts[0].shape, dtype, ti.dataOffset, ti.nbytes);
            break;
        case gguf::PlanLayout::StackedExperts: {
            // E is the slowest axis: expert e is one contiguous slice.
            const std::uint64_t slice = ti.nbytes / p.parts.size();
            for (std::size_t e = 0; e < p.parts.size(); ++e)
                add(p.parts[e].name, p.parts[e].shape, dtype, ti.dataOffset + e * slice, slice);
            break;
        }
        case gguf::PlanLayout::ConcatInput: {
            const auto& spec = p.parts[0];
            add(gguf::fusedMtpProjectionName(spec.layer - m_config.nLayers), {spec.shape[0], 2 * spec.shape[1]}, dtype, ti.dataOffset, ti.nbytes);
            break;
        }
        }
    }
    for (const auto& t : f.tensors)
        if (!planned.count(t.name))
            return Error::badInput(f.fileName + ": unexpected tensor '" + t.name + "' (tensor info at byte " +
                                   std::to_string(t.infoOffset) + "); llama.cpp rejects extra tensors");
    return {};
}

}  // namespace

Result<std::unique_ptr<WeightSource>> openGgufModel(const std::filesystem::path& path) {
    auto map = gguf::MappedGguf::open(path);
    if (!map) return map.error();
    auto config = gguf::configFromGguf((*map)->file());
    if (!config) return config.error();
    auto source = std::make_unique<GgufWeightSource>(*map, *config);
    auto bound = source->bind(gguf::tensorPlan(*config));
    if (!bound) return bound.error();
    logger("engine")->info("opened GGUF {} ({} tensors)", path.string(), (*map)->file().tensors.size());
    return std::unique_ptr<WeightSource>(std::move(source));
}

Result<Vocabulary> readGgufVocabulary(const std::filesystem::path& path) {
    auto map = gguf::MappedGguf::open(path);
    if (!map) return map.error();
    return gguf::vocabularyFromGguf((*map)->file());
}

}  // namespace atelier::engine
