// Opening a deepseek4 GGUF as a WeightSource with Hugging Face names (see gguf.h).

#include <map>
#include <set>

#include "atelier/base/log.h"
#include "gguf.h"
#include "gguf_deepseek4.h"
#include "gguf_reader.h"
#include "gguf_split.h"

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
    GgufWeightSource(std::shared_ptr<const gguf::GgufSet> set, ModelConfig config)
        : m_set(std::move(set)), m_config(std::move(config)) {}

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
    std::string origin() const override { return m_set->metadata().fileName; }
    std::vector<std::string> skipped() const override { return m_skipped; }
    int parts() const override { return int(m_set->partCount()); }

    Result<void> bind(const std::vector<TensorPlan>& plan);

private:
    Result<gguf::GgufSet::Located> check(const TensorPlan& p) const;
    void add(const GgufFile& part, std::string name, std::vector<std::int64_t> shape, DType dtype,
             std::uint64_t offset, std::uint64_t nbytes);

    std::shared_ptr<const gguf::GgufSet> m_set;
    ModelConfig m_config;
    std::map<std::string, TensorView, std::less<>> m_views;
    std::vector<std::string> m_skipped;  // tensors in the file that no part of the model reads
};

Result<gguf::GgufSet::Located> GgufWeightSource::check(const TensorPlan& p) const {
    const gguf::GgufSet::Located at = m_set->find(p.ggufName);
    const TensorInfo* t = at.info;
    const std::string hf = p.parts.front().name;
    if (!t)
        return Error::badInput(m_set->metadata().fileName + ": tensor '" + p.ggufName + "' (HF '" + hf + "') is missing" +
                               (m_set->partCount() > 1 ? " from all " + std::to_string(m_set->partCount()) + " parts" : ""));
    const GgufFile& f = *at.file;
    const std::string where = f.fileName + ": tensor '" + p.ggufName + "' (tensor info at byte " +
                              std::to_string(t->infoOffset) + ")";
    // llama.cpp reads attn_output_a as {H·c/g, d_g, g} and checks only its element count.
    const bool reshapable = p.ggufName.ends_with(".attn_output_a.weight") && t->ne.size() == 3 &&
                            t->ne[0] == p.ne[0] && t->elements() == elementCount(p.ne);
    if (t->ne != p.ne && !reshapable)
        return Error::badInput(where + " has ne " + neText(t->ne) + ", expected " + neText(p.ne));
    if (DType dtype; !gguf::ggmlToDType(t->type, dtype))
        return Error::badInput(where + " has type " + std::string(gguf::ggmlTypeName(t->type)) +
                               ", a plain integer type (I8 is int8, not packed FP4) that no weight of "
                               "this model is stored as");
    if (!gguf::ggufTypeAllowed(p.role, t->type))
        return Error::badInput(where + " has type " + std::string(gguf::ggmlTypeName(t->type)) +
                               ", which llama.cpp does not accept for this tensor");
    return at;
}

void GgufWeightSource::add(const GgufFile& part, std::string name, std::vector<std::int64_t> shape, DType dtype,
                           std::uint64_t offset, std::uint64_t nbytes) {
    TensorView v;
    v.name = name;
    v.dtype = dtype;
    v.shape = std::move(shape);
    v.data = part.bytes.data() + offset;
    v.nbytes = std::size_t(nbytes);
    v.file = part.fileName;
    v.fileOffset = offset;
    m_views.emplace(std::move(name), std::move(v));
}

Result<void> GgufWeightSource::bind(const std::vector<TensorPlan>& plan) {
    std::set<std::string, std::less<>> planned;
    for (const auto& p : plan) {
        auto t = check(p);
        if (!t) return t.error();
        const GgufFile& f = *t->file;
        const TensorInfo& ti = *t->info;
        planned.insert(p.ggufName);
        DType dtype = DType::F32;
        gguf::ggmlToDType(ti.type, dtype);  // check() refused the types without one
        switch (p.layout) {
        case gguf::PlanLayout::Single:
            add(f, p.parts[0].name, p.parts[0].shape, dtype, ti.dataOffset, ti.nbytes);
            break;
        case gguf::PlanLayout::StackedExperts: {
            // E is the slowest axis: expert e is one contiguous slice.
            const std::uint64_t slice = ti.nbytes / p.parts.size();
            for (std::size_t e = 0; e < p.parts.size(); ++e)
                add(f, p.parts[e].name, p.parts[e].shape, dtype, ti.dataOffset + e * slice, slice);
            break;
        }
        case gguf::PlanLayout::ConcatInput: {
            const auto& spec = p.parts[0];
            add(f, gguf::fusedMtpProjectionName(spec.layer - m_config.nLayers), {spec.shape[0], 2 * spec.shape[1]}, dtype, ti.dataOffset, ti.nbytes);
            break;
        }
        }
    }
    // Tensors of heads this engine does not run (an extra speculative head, a future add-on):
    // skipped knowingly and reported, never silently used or fatal.
    for (const auto& t : m_set->tensors())
        if (!planned.count(t.info->name)) m_skipped.push_back(t.info->name);
    if (!m_skipped.empty())
        logger("engine")->warn("{}: {} tensors no part of the model reads are skipped (first: '{}')", origin(),
                               m_skipped.size(), m_skipped.front());
    return {};
}

}  // namespace

Result<std::unique_ptr<WeightSource>> openGgufModel(const std::filesystem::path& path) {
    auto set = gguf::GgufSet::open(path);
    if (!set) return set.error();
    const gguf::GgufSet& parts = **set;
    auto config = gguf::configFromGguf(parts.metadata(),
                                       [&parts](std::string_view name) { return parts.find(name).file != nullptr; });
    if (!config) return config.error();
    auto source = std::make_unique<GgufWeightSource>(*set, *config);
    auto bound = source->bind(gguf::tensorPlan(*config));
    if (!bound) return bound.error();
    logger("engine")->info("opened GGUF {} ({} tensors in {} part(s))", path.string(), (*set)->tensors().size(),
                           (*set)->partCount());
    return std::unique_ptr<WeightSource>(std::move(source));
}

Result<Vocabulary> readGgufVocabulary(const std::filesystem::path& path) {
    auto set = gguf::GgufSet::open(path);
    if (!set) return set.error();
    return gguf::vocabularyFromGguf((*set)->metadata());
}

}  // namespace atelier::engine
