#pragma once
// llama.cpp's `deepseek4` GGUF layout (shared/design/gguf-deepseek4.md): metadata keys <->
// ModelConfig, GGUF tensor names <-> the checkpoint's HF names, and the ggml types each tensor
// may have. The reader and the writer share the tensor plan so that both sides agree by
// construction. Thread-safe: pure functions.

#include <cstdint>
#include <functional>
#include <string_view>
#include <string>
#include <vector>

#include "atelier/engine/model_config.h"
#include "atelier/engine/model_files.h"
#include "atelier/base/result.h"
#include "atelier/engine/tensor_schema.h"
#include "atelier/engine/vocabulary.h"
#include "gguf_builder.h"
#include "gguf_reader.h"

namespace atelier::engine::gguf {

inline constexpr const char* kArchitecture = "deepseek4";

// How the HF tensors of one GGUF tensor are laid out in it.
enum class PlanLayout {
    Single,          // one HF tensor; ne is its shape reversed
    StackedExperts,  // E per-expert HF matrices [out, in] stacked as ne {in, out, E}
    ConcatInput,     // MTP e_proj and h_proj [d, d] concatenated along the input: ne {2d, d}
};

struct TensorPlan {
    std::string ggufName;
    std::vector<std::int64_t> ne;  // ggml order
    TensorRole role;
    PlanLayout layout = PlanLayout::Single;
    std::vector<TensorSpec> parts;  // the HF tensors, in slice / concatenation order
};

// Every tensor a deepseek4 GGUF holds for `config`: the trunk, plus config.nMtpLayers MTP
// blocks (`blk.{L+m}.` with `nextn.*`; their hc_head_* are not part of a trunk file).
std::vector<TensorPlan> tensorPlan(const ModelConfig& config);

// The HF name under which a ConcatInput tensor is exposed (zero-copy splitting is impossible:
// each row holds e_proj's row followed by h_proj's).
std::string fusedMtpProjectionName(int mtpIndex);  // "mtp.M.eh_proj.weight"

// The ggml type the writer uses for `role` under `scheme`.
GgmlType ggufTypeFor(TensorRole role, WeightScheme scheme);
// The ggml type llama-quantize gives plan tensor `p` under `quant` (see GgufQuant) in a model
// of `nLayers` trunk layers; `quant` must not be None.
GgmlType ggufQuantTypeFor(const TensorPlan& p, GgufQuant quant, int nLayers);
// Whether the reader accepts `type` for `role` (llama.cpp's op support, doc §4).
bool ggufTypeAllowed(TensorRole role, GgmlType type);

// Metadata -> config. Keys are checked with their exact GGUF types; required keys must exist.
// nMtpLayers counts only MTP blocks present in the file; compressRatios is cut to match.
Result<ModelConfig> configFromGguf(const GgufFile& file);
// The same with the tensors looked up by `hasTensor` (a split file's parts).
Result<ModelConfig> configFromGguf(const GgufFile& metadata, const std::function<bool(std::string_view)>& hasTensor);
// Config -> metadata (architecture keys). `compress_ratios` keeps all L + MTP entries while
// `block_count` is L + `mtpBlocksInFile`.
void writeConfig(const ModelConfig& config, int mtpBlocksInFile, GgufBuilder& out);

Result<Vocabulary> vocabularyFromGguf(const GgufFile& file);
void writeVocabulary(const Vocabulary& vocab, GgufBuilder& out);

}  // namespace atelier::engine::gguf
