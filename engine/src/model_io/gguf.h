#pragma once
// GGUF model files in llama.cpp's `deepseek4` layout, seen from the rest of the engine: a GGUF
// opens as a WeightSource that speaks the checkpoint's Hugging Face names and row-major shapes,
// so nothing outside model_io/ sees GGUF naming. openModel() and createModel() dispatch here.
// Thread-safe: free functions without shared state.
//
// What the source exposes, beyond the HF tensors with their GGUF dtypes:
// * routed experts are zero-copy slices of the stacked `ffn_*_exps` tensors;
// * `ffn.gate.tid2eid` is I32 (GGUF stores it so), not the checkpoint's I64;
// * an MTP block's `nextn.eh_proj` is exposed whole as `mtp.M.eh_proj.weight` [d, 2d] (input
//   columns 0..d-1 are e_proj, d..2d-1 h_proj): its rows interleave the two, so no zero-copy
//   split exists. MTP hc_head_* tensors live in llama.cpp's separate MTP file and are absent.
// * config().nMtpLayers counts only the MTP blocks present (0 for a trunk file), and
//   compressRatios is cut to nLayers + nMtpLayers entries.

#include <filesystem>
#include <memory>

#include "atelier/engine/model_files.h"
#include "atelier/base/result.h"
#include "atelier/engine/vocabulary.h"
#include "atelier/engine/weight_source.h"

namespace atelier::engine {

Result<std::unique_ptr<WeightSource>> openGgufModel(const std::filesystem::path& path);
Result<Vocabulary> readGgufVocabulary(const std::filesystem::path& path);

// Seeded random weights (fillRandomTensor, so the values match the HF writer's) in the GGUF
// types llama.cpp's converter would produce for the scheme. Trunk only: llama.cpp keeps MTP in
// a separate file, so block_count = L while compress_ratios keeps all L + MTP entries. With
// options.tokenizerJson the vocabulary (and V, BOS, EOS) come from that tokenizer.json.
Result<void> writeGgufModel(const CreateModelOptions& options, const std::filesystem::path& out);
// The bytes writeGgufModel writes to `out`, without producing a weight.
Result<std::uint64_t> ggufModelBytes(const CreateModelOptions& options, const std::filesystem::path& out);

}  // namespace atelier::engine
