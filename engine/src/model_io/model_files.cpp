// The format-neutral entry points of model_files.h: createModel and openModel dispatch to the
// HF (hf_*.cpp) or GGUF (gguf.h) side; validateWeights checks any source against the schema.
#include "atelier/engine/model_files.h"

#include <set>
#include <unistd.h>

#include "atelier/base/log.h"
#include "atelier/engine/weight_decode.h"
#include "model_io/gguf.h"
#include "model_io/hf_source.h"
#include "model_io/hf_writer.h"

namespace atelier::engine {
namespace fs = std::filesystem;

namespace {

// A fresh path beside `out` for the temporary: same folder, so the final rename is atomic.
fs::path temporaryBeside(const fs::path& out) {
    const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
    for (int i = 0;; ++i) {
        fs::path p = parent / ("." + out.filename().string() + ".tmp-" +
                               std::to_string(::getpid()) + "-" + std::to_string(i));
        std::error_code ec;
        if (!fs::exists(p, ec)) return p;
    }
}

// Refuses to replace anything but an empty folder: a failure must never lose data.
Result<void> checkTarget(const fs::path& out) {
    std::error_code ec;
    if (!fs::exists(out, ec)) return {};
    if (fs::is_directory(out, ec) && fs::is_empty(out, ec)) {
        fs::remove(out, ec);
        if (!ec) return {};
    }
    return unexpected(Error::usage(out.string() + " already exists; choose a new --out path"));
}

Result<void> createHf(const CreateModelOptions& options, const fs::path& out) {
    const fs::path tmp = temporaryBeside(out);
    std::error_code ec;
    if (!fs::create_directories(tmp, ec) || ec)
        return unexpected(Error::io(tmp.string() + ": cannot create: " + ec.message()));
    auto written = writeHfModel(options, tmp);
    if (written) {
        fs::rename(tmp, out, ec);
        if (!ec) return {};
        written = unexpected(Error::io(out.string() + ": cannot rename the temporary into place: " +
                                       ec.message()));
    }
    fs::remove_all(tmp, ec);
    return written;
}

std::string shapeText(const std::vector<std::int64_t>& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

std::string where(const WeightSource& src, const TensorView& t) {
    return src.origin() + ": tensor '" + t.name + "' (" + t.file + " at byte " +
           std::to_string(t.fileOffset) + ")";
}

bool isMatrix(TensorRole role) {
    return role == TensorRole::Embedding || role == TensorRole::Head ||
           role == TensorRole::LinearFp8 || role == TensorRole::LinearBf16 ||
           role == TensorRole::ExpertFp4;
}

// A non-matrix tensor (norms, hc_*, sinks, ape, bias, tid2eid): exact shape, a dtype
// decodeTensor reads.
Result<void> checkPlain(const WeightSource& src, const TensorSpec& spec, const TensorView& t) {
    if (t.shape != spec.shape)
        return unexpected(Error::badInput(where(src, t) + " has shape " + shapeText(t.shape) +
                                          ", expected " + shapeText(spec.shape)));
    const bool ids = spec.role == TensorRole::Tid2Eid;
    // llama-quantize stores 2-D hc_*_fn and ape in block formats too; decodeTensor reads them
    // row by row.
    const bool block = dtypeBlockSize(t.dtype) > 1 && t.shape.size() == 2 &&
                       t.shape.back() % dtypeBlockSize(t.dtype) == 0 &&
                       (spec.role == TensorRole::HcFn || spec.role == TensorRole::Ape);
    const bool ok = ids ? (t.dtype == DType::I64 || t.dtype == DType::I32)
                        : (t.dtype == DType::F32 || t.dtype == DType::F16 ||
                           t.dtype == DType::BF16 || t.dtype == DType::F64 || block);
    if (!ok)
        return unexpected(Error::badInput(where(src, t) + " has dtype " +
                                          std::string(dtypeName(t.dtype)) + ", expected " +
                                          (ids ? "I64 or I32" : "F32, F16, BF16 or F64")));
    if (t.nbytes < dtypeRowBytes(t.dtype, t.elements()))
        return unexpected(Error::badInput(where(src, t) + " holds fewer bytes than its shape needs"));
    return {};
}

}  // namespace

Result<void> createModel(const CreateModelOptions& options, const fs::path& out) {
    ATELIER_TRY_VOID(options.config.validate());
    ATELIER_TRY_VOID(checkTarget(out));
    if (options.format == FileFormat::Gguf) return writeGgufModel(options, out);
    auto r = createHf(options, out);
    if (r) logger("engine")->info("created model {} ({})", out.string(), options.config.name);
    return r;
}

Result<std::uint64_t> estimateModelBytes(const CreateModelOptions& options, const fs::path& out) {
    ATELIER_TRY_VOID(options.config.validate());
    if (options.format == FileFormat::Gguf) return ggufModelBytes(options, out);
    return hfModelBytes(options);
}

Result<std::unique_ptr<WeightSource>> openModel(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        return unexpected(Error::notFound(path.string() + ": no such file or folder"));
    if (fs::is_regular_file(path, ec) && path.extension() == ".gguf") return openGgufModel(path);
    fs::path folder = path;
    if (fs::is_regular_file(path, ec)) {
        if (path.filename() != "config.json")
            return unexpected(Error::badInput(path.string() +
                                              ": not a model (expected a folder, its config.json or a .gguf file)"));
        folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    }
    auto src = HfWeightSource::open(folder);
    if (!src) return unexpected(std::move(src.error()));
    return std::unique_ptr<WeightSource>(std::move(*src));
}

Result<void> validateWeights(const WeightSource& source) {
    const ModelConfig& c = source.config();
    std::set<std::string, std::less<>> allowed;
    for (const auto& spec : expectedTensors(c)) {
        allowed.insert(spec.name);
        const TensorView* t = source.find(spec.name);
        if (!t)
            return unexpected(Error::badInput(source.origin() + ": tensor '" + spec.name +
                                              "' is missing"));
        if (!isMatrix(spec.role)) {
            ATELIER_TRY_VOID(checkPlain(source, spec, *t));
            continue;
        }
        auto m = bindMatrix(source, spec.name, spec.shape.at(0), spec.shape.at(1));
        if (!m) return unexpected(std::move(m.error()));
        if (m->scale) allowed.insert(m->scale->name);
    }
    for (const auto& name : source.names()) {
        if (allowed.count(name)) continue;
        const TensorView* t = source.find(name);
        return unexpected(Error::badInput(where(source, *t) +
                                          " is not part of this configuration's model"));
    }
    return {};
}

}  // namespace atelier::engine
