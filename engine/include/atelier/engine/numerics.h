#pragma once
// Which arithmetic a forward pass reproduces (CLI.md `--numerics`). Persisted in checkpoint
// fingerprints: never reuse a value.

#include <cstdint>
#include <optional>
#include <string_view>

namespace atelier::engine {

enum class Numerics : std::uint8_t {
    // The release's quantization-aware path (default): FP8 cache entries in the 584-byte
    // layout, FP4 indexer keys and queries, FP8 activations before FP8/FP4 weight products
    // (model spec §4.2, §5.2, §8.3, §10.2).
    Release = 0,
    // No simulation: float cache and activations; what llama.cpp computes.
    Plain = 1,
};

inline std::optional<Numerics> parseNumerics(std::string_view s) {
    if (s == "release") return Numerics::Release;
    if (s == "plain") return Numerics::Plain;
    return std::nullopt;
}
inline std::string_view numericsName(Numerics n) {
    return n == Numerics::Release ? "release" : "plain";
}

}  // namespace atelier::engine
