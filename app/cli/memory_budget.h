#pragma once
// `--memory-budget BYTES|auto` and `--expert-policy frequency|lru` (docs/cli.md, Global
// options): parsing, and the expert cache a model load gets from them. Main thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "atelier/base/result.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_footprint.h"

namespace atelier::cli {

struct MemoryBudget {
    bool given = false;      // absent: every weight is mapped, no expert cache
    bool automatic = false;  // `auto`: engine::autoExpertCacheBytes for this machine
    std::uint64_t bytes = 0;
};

// "auto", or a size: "4096" (bytes), "512M", "1.5GB" (K, M, G, T: powers of 1000, with or
// without B), "8GiB" (KiB, MiB, GiB, TiB: powers of 1024). A usage error naming `flag` otherwise.
Result<MemoryBudget> parseMemoryBudget(std::string_view text, std::string_view flag = "--memory-budget");
Result<std::uint64_t> parseByteSize(std::string_view text, std::string_view flag);
Result<engine::ExpertPolicy> parseExpertPolicy(std::string_view text);

// The expert cache bytes for a model of footprint `f` at `contextTokens`: 0 when no budget was
// given or when every routed expert fits in it; `auto` asks autoExpertCacheBytes with the
// memory available now.
std::uint64_t expertCacheBytesFor(const MemoryBudget& budget, const engine::ModelFootprint& f,
                                  std::int64_t contextTokens);

// The context `auto` leaves KV-cache room for where a command has no context length of its own
// (model info's default).
inline constexpr std::int64_t kBudgetContext = 32768;

// Sets options.expertCacheBytes and options.expertPolicy from the global option texts.
Result<void> applyMemoryBudget(const std::string& budgetText, const std::string& policyText,
                               const engine::WeightSource& weights, std::int64_t contextTokens,
                               engine::ModelOptions& options);

}  // namespace atelier::cli
