// `atelier-cli tokenize` and `atelier-cli detokenize` (CLI.md "Text"): text to ids and back
// with a model's tokenizer (--model FOLDER reads its tokenizer.json) or a tokenizer.json.

#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/engine/tokenizer.h"
#include "cli/cli_context.h"

namespace atelier::cli {
namespace {

namespace fs = std::filesystem;
using engine::TokenId;
using engine::Tokenizer;

struct TokenizerSource {
    std::string model;
    std::string tokenizerFile;
};

void addSourceOptions(CLI::App* sub, TokenizerSource& src) {
    auto* model = sub->add_option("--model", src.model, "Model folder (its tokenizer.json) or .gguf file");
    auto* file = sub->add_option("--tokenizer", src.tokenizerFile, "A Hugging Face tokenizer.json");
    model->excludes(file);
}

Result<Tokenizer> loadTokenizer(const TokenizerSource& src) {
    if (src.model.empty() == src.tokenizerFile.empty())
        return unexpected(Error::usage("give exactly one of --model PATH or --tokenizer FILE"));
    if (!src.tokenizerFile.empty()) return Tokenizer::fromFile(src.tokenizerFile);
    return Tokenizer::forModel(src.model);
}

// "1,2, 3" -> ids; an error names the first bad entry.
Result<std::vector<TokenId>> parseIds(const std::string& text) {
    std::vector<TokenId> ids;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
        if (first == std::string::npos) continue;
        const std::string digits = item.substr(first, last - first + 1);
        std::size_t used = 0;
        long long value = -1;
        try {
            value = std::stoll(digits, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != digits.size() || value < 0 || value > INT32_MAX)
            return unexpected(Error::usage("--ids: \"" + digits + "\" is not a token id"));
        ids.push_back(TokenId(value));
    }
    return ids;
}

void setupTokenize(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("tokenize", "Print the token ids of a text");
    auto src = std::make_shared<TokenizerSource>();
    auto text = std::make_shared<std::string>();
    auto special = std::make_shared<bool>(false);
    addSourceOptions(sub, *src);
    auto* textOpt = sub->add_option("--text", *text, "The text (default: read stdin)");
    sub->add_flag("--special", *special,
                  "Match added-token text (chat markers such as <｜User｜>) as those tokens; "
                  "without it every marker string is ordinary text");
    addJsonFlag(sub, ctx);
    onRun(sub, ctx, [&ctx, src, text, special, textOpt]() -> int {
        auto tokenizer = loadTokenizer(*src);
        if (!tokenizer) return ctx.fail(tokenizer.error());
        std::string input = *text;
        if (textOpt->count() == 0)
            input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        const auto ids = *special ? tokenizer->encode(input, true) : tokenizer->encodeContent(input);
        if (ctx.options.json) {
            std::cout << nlohmann::json{{"ids", ids}}.dump() << "\n";
        } else {
            for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
            std::cout << "\n";
        }
        return std::cout.flush().good() ? kExitOk : kExitFailure;
    });
}

void setupDetokenize(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("detokenize", "Print the text of token ids (bytes as decoded)");
    auto src = std::make_shared<TokenizerSource>();
    auto ids = std::make_shared<std::string>();
    addSourceOptions(sub, *src);
    sub->add_option("--ids", *ids, "Comma-separated token ids")->required();
    onRun(sub, ctx, [&ctx, src, ids]() -> int {
        auto parsed = parseIds(*ids);
        if (!parsed) return ctx.fail(parsed.error());
        auto tokenizer = loadTokenizer(*src);
        if (!tokenizer) return ctx.fail(tokenizer.error());
        auto text = tokenizer->decode(*parsed);
        if (!text) return ctx.fail(text.error());
        std::cout.write(text->data(), std::streamsize(text->size()));
        return std::cout.flush().good() ? kExitOk : kExitFailure;
    });
}

}  // namespace
ATELIER_CLI_COMMAND("tokenize", setupTokenize);
ATELIER_CLI_COMMAND("detokenize", setupDetokenize);
}  // namespace atelier::cli
