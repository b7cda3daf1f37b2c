#include "cli/memory_budget.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "atelier/agents/model_plan.h"

namespace atelier::cli {

Result<std::uint64_t> parseByteSize(std::string_view text, std::string_view flag) {
    auto bad = [&] {
        return unexpected(Error::usage(std::string(flag) + ": '" + std::string(text) +
                                       "' is not a size (expected bytes or a number with K, M, G or T, e.g. 8G, 512MiB)"));
    };
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
        ++digits;
    if (digits == 0) return bad();
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
    if (ec != std::errc() || end != text.data() + digits) return bad();
    std::string unit;
    for (char ch : text.substr(digits)) unit += char(std::toupper(static_cast<unsigned char>(ch)));
    // Suffixes: K/M/G/T and KB/MB/GB/TB are powers of 1000; KiB/MiB/GiB/TiB powers of 1024.
    double scale = 0;
    const char* prefixes = "KMGT";
    if (unit.empty() || unit == "B") scale = 1;
    for (int i = 0; i < 4 && scale == 0; ++i) {
        const std::string p(1, prefixes[i]);
        if (unit == p || unit == p + "B") scale = std::pow(1000.0, i + 1);
        else if (unit == p + "IB") scale = std::pow(1024.0, i + 1);
    }
    if (scale == 0) return bad();
    const double bytes = value * scale;
    if (!std::isfinite(bytes) || bytes > 1.8e19) return bad();
    return std::uint64_t(std::llround(bytes));
}

Result<MemoryBudget> parseMemoryBudget(std::string_view text, std::string_view flag) {
    MemoryBudget b;
    if (text.empty()) return b;
    b.given = true;
    if (text == "auto") {
        b.automatic = true;
        return b;
    }
    auto bytes = parseByteSize(text, flag);
    if (!bytes) return unexpected(bytes.error());
    if (*bytes == 0) return unexpected(Error::usage(std::string(flag) + ": must be more than 0 bytes"));
    b.bytes = *bytes;
    return b;
}

Result<engine::ExpertPolicy> parseExpertPolicy(std::string_view text) {
    if (text == "frequency") return engine::ExpertPolicy::Frequency;
    if (text == "lru") return engine::ExpertPolicy::Lru;
    return unexpected(Error::usage("--expert-policy: '" + std::string(text) + "' is not frequency or lru"));
}

std::uint64_t expertCacheBytesFor(const MemoryBudget& budget, const engine::ModelFootprint& f,
                                  std::int64_t contextTokens) {
    if (!budget.given) return 0;
    return agents::expertCacheBytes(budget.automatic, budget.bytes, f, contextTokens);  // as model plan
}

Result<void> applyMemoryBudget(const std::string& budgetText, const std::string& policyText,
                               const engine::WeightSource& weights, std::int64_t contextTokens,
                               engine::ModelOptions& options) {
    auto budget = parseMemoryBudget(budgetText);
    if (!budget) return unexpected(budget.error());
    auto policy = parseExpertPolicy(policyText);
    if (!policy) return unexpected(policy.error());
    options.expertPolicy = *policy;
    options.expertCacheBytes = expertCacheBytesFor(*budget, engine::modelFootprint(weights), contextTokens);
    return {};
}

}  // namespace atelier::cli
