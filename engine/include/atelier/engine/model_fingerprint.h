#pragma once
// ModelFingerprint: what an on-disk KV checkpoint was made by. Two models share a fingerprint
// only when their caches are interchangeable: same architecture, config (configHash over every
// field that changes the forward), weights (file headers plus sampled bytes), tokenizer,
// checkpoint format version and numerics. Checkpoints are keyed by it.
// Threads: free functions, no shared state.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "atelier/engine/model_config.h"
#include "atelier/engine/numerics.h"
#include "atelier/base/result.h"

namespace atelier::engine {

struct ModelFingerprint {
    std::string id;           // 16 hex digits: the key
    std::string description;  // "deepseek_v4 cfg=... w=... tok=... fmt=1 release", for listings
    friend bool operator==(const ModelFingerprint& a, const ModelFingerprint& b) { return a.id == b.id; }
};

// 64-bit FNV-1a of `bytes`, continuing from `hash`.
std::uint64_t fnv1a64(std::span<const std::byte> bytes, std::uint64_t hash = 14695981039346656037ull);
inline std::uint64_t fnv1a64(std::string_view text, std::uint64_t hash = 14695981039346656037ull) {
    return fnv1a64(std::as_bytes(std::span(text.data(), text.size())), hash);
}

// Hashes the files of a model (a file, or a folder's regular files in name order): each
// file's name and size, its first `sampleBytes`, and `samples` windows of `sampleBytes` at
// evenly spaced offsets. Cheap on a 100 GB model, yet changed by any re-quantisation.
Result<std::uint64_t> hashModelFiles(const std::filesystem::path& path, int samples = 8,
                                     std::size_t sampleBytes = 64 * 1024);

// `weightsHash`: hashModelFiles, or for in-memory weights any stable identity (a seed);
// `tokenizerHash`: a hash of tokenizer.json, or of the built-in vocabulary's name.
ModelFingerprint modelFingerprint(const ModelConfig& config, Numerics numerics,
                                  std::uint64_t weightsHash, std::uint64_t tokenizerHash);

// The fingerprint of the model at `path` (a folder or a file, as openModel takes it): its
// files hashed with hashModelFiles, its tokenizer.json (or "builtin" when there is none).
// The generation service and `atelier-cli kv` both use this, so their checkpoints match.
Result<ModelFingerprint> modelPathFingerprint(const std::filesystem::path& path, const ModelConfig& config,
                                              Numerics numerics);

}  // namespace atelier::engine
