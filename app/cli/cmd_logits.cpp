// `atelier-cli logits`: one forward pass over token ids, printing the top-K logits of the last
// position (or of every position) as CLI.md specifies:
// {"positions":[{"pos":P,"top":[[id,logit],...]}]}. `--engine reference` runs the double-
// precision reference forward instead of the fast one (for comparisons).

#include <algorithm>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/reference_forward.h"
#include "cli/cli_context.h"
#include "cli/memory_budget.h"

namespace atelier::cli {
namespace {

struct LogitsArgs {
    std::string model, ids, prompt, engine = "fast";
    int top = 10;
    bool allPositions = false;
};

Result<std::vector<std::int32_t>> parseIds(const std::string& text) {
    std::vector<std::int32_t> ids;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const std::string part = text.substr(pos, comma - pos);
        std::size_t used = 0;
        long long v = -1;
        try {
            v = std::stoll(part, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (part.empty() || used != part.size() || v < 0 || v > INT32_MAX)
            return unexpected(Error::usage("--ids: '" + part + "' is not a token id (expected 1,2,3)"));
        ids.push_back(std::int32_t(v));
        pos = comma + 1;
    }
    return ids;
}

// Logits [T', V] of the requested positions (the last, or all) with the chosen engine.
Result<std::vector<float>> computeLogits(const LogitsArgs& a, std::unique_ptr<engine::WeightSource> weights,
                                         const std::vector<std::int32_t>& ids,
                                         const engine::ModelOptions& options) {
    std::vector<float> logits;
    if (a.engine == "reference") {
        auto ref = engine::referenceForward(*weights, ids, engine::ReferenceOptions{options.numerics});
        if (!ref) return unexpected(ref.error());
        for (std::size_t p = a.allPositions ? 0 : ids.size() - 1; p < ids.size(); ++p)
            logits.insert(logits.end(), (*ref)[p].begin(), (*ref)[p].end());
        return logits;
    }
    auto model = engine::Model::load(std::move(weights), options);
    if (!model) return unexpected(model.error());
    engine::KvCache seq = (*model)->newSequence();
    const auto req = a.allPositions ? engine::LogitsRequest::All : engine::LogitsRequest::Last;
    if (auto r = (*model)->forward(seq, ids, req, logits); !r) return unexpected(r.error());
    return logits;
}

int run(CliContext& ctx, const LogitsArgs& a) {
    if (a.ids.empty() == a.prompt.empty())
        return ctx.fail(ErrorCode::Usage, "logits: give exactly one of --ids and --prompt");
    if (!a.prompt.empty())
        return ctx.fail(ErrorCode::Usage, "logits: --prompt needs the tokenizer; pass --ids");
    // Both engines compute here on the CPU: a backend that cannot run a model is refused.
    auto modelOptions = ctx.modelOptions();
    if (!modelOptions) return ctx.fail(modelOptions.error());
    auto ids = parseIds(a.ids);
    if (!ids) return ctx.fail(ids.error());
    auto weights = engine::openModel(a.model);
    if (!weights) return ctx.fail(weights.error());
    const std::size_t V = std::size_t((*weights)->config().vocabSize);
    if (auto r = applyMemoryBudget(ctx.options.memoryBudget, ctx.options.expertPolicy, **weights, kBudgetContext,
                                   *modelOptions);
        !r)
        return ctx.fail(r.error());
    auto logits = computeLogits(a, std::move(*weights), *ids, *modelOptions);
    if (!logits) return ctx.fail(logits.error());

    const std::size_t rows = logits->size() / V;
    const std::size_t first = ids->size() - rows;
    const std::size_t k = std::min<std::size_t>(std::size_t(a.top), V);
    nlohmann::json positions = nlohmann::json::array();
    std::vector<std::int32_t> order(V);
    for (std::size_t r = 0; r < rows; ++r) {
        const float* row = logits->data() + r * V;
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(k), order.end(),
                          [row](std::int32_t x, std::int32_t y) {
                              return row[x] > row[y] || (row[x] == row[y] && x < y);
                          });
        nlohmann::json top = nlohmann::json::array();
        for (std::size_t i = 0; i < k; ++i) top.push_back({order[i], row[order[i]]});
        positions.push_back({{"pos", first + r}, {"top", top}});
    }
    if (ctx.options.json) {
        std::cout << nlohmann::json{{"positions", positions}}.dump() << std::endl;
    } else {
        for (const auto& p : positions) {
            std::cout << "pos " << p["pos"].get<std::size_t>() << ":";
            for (const auto& t : p["top"]) std::cout << " " << t[0] << "=" << t[1].get<float>();
            std::cout << "\n";
        }
    }
    return kExitOk;
}

void setupLogits(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("logits", "Run one forward pass and print the top logits");
    auto args = std::make_shared<LogitsArgs>();
    sub->add_option("--model", args->model, "Model folder, config.json or .gguf file")->required();
    sub->add_option("--ids", args->ids, "Token ids, comma-separated");
    sub->add_option("--prompt", args->prompt, "Text to tokenize");
    sub->add_option("--top", args->top, "How many logits per position (default 10)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--all-positions", args->allPositions, "Every position, not only the last");
    sub->add_option("--numerics", ctx.options.numerics, "release (default) or plain")
        ->check(CLI::IsMember({"release", "plain"}));
    sub->add_option("--engine", args->engine, "fast (default) or reference")
        ->check(CLI::IsMember({"fast", "reference"}));
    addJsonFlag(sub, ctx);
    onRun(sub, ctx, [&ctx, args] { return run(ctx, *args); });
}

}  // namespace
ATELIER_CLI_COMMAND("logits", setupLogits);
}  // namespace atelier::cli
