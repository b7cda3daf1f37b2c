// DsmlConstraint: the TokenConstraint of dsml_constraint.h. Masks are cached by machine state
// (budgets capped at the longest token), so the states that repeat token after token (inside
// a string value, in content text) cost one trie walk each, then a table look-up. The cache
// belongs to the compiled grammar, which every constraint made from the same tools, options
// and vocabulary shares (the last few are kept), so a team's workers warm it for each other.

#include "atelier/engine/dsml_constraint.h"
#include "atelier/engine/json_constraint.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "atelier/base/log.h"
#include "constraint/dsml_machine.h"
#include "constraint/token_mask.h"
#include "constraint/token_trie.h"

namespace atelier::engine {
namespace {

using namespace constraint;

constexpr std::size_t kRecentGrammars = 4;

// One compiled grammar over one vocabulary, and the masks of the states met so far.
struct CompiledDsml {
    CompiledDsml(std::shared_ptr<const TokenTrie> t, DsmlGrammar g) : trie(std::move(t)), machine(std::move(g)) {}
    std::shared_ptr<const TokenTrie> trie;
    DsmlMachine machine;
    std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<const TokenMask>> masks;  // guarded by mutex
};

class DsmlConstraint final : public TokenConstraint {
public:
    explicit DsmlConstraint(std::shared_ptr<CompiledDsml> compiled)
        : m_c(std::move(compiled)), m_trie(m_c->trie.get()), m_machine(&m_c->machine),
          m_state(m_machine->initial()) {}

    void setTokensLeft(std::int64_t left) override { m_left = left; }

    void maskLogits(std::span<float> logits) override {
        if (m_machine->free(m_state)) return;
        std::shared_ptr<const TokenMask> held = maskFor(m_state);
        if (auto fitted = fitToBudget(*held)) held = std::move(fitted);
        const TokenMask& mask = *held;
        const std::size_t vocab = std::size_t(m_trie->vocabSize());
        constexpr float kNegInf = -std::numeric_limits<float>::infinity();
        for (std::size_t w = 0; w * 64 < logits.size(); ++w) {
            const std::uint64_t bits = w < mask.bits.size() ? mask.bits[w] : 0;
            if (bits == ~0ull) continue;
            const std::size_t end = std::min(logits.size(), w * 64 + 64);
            for (std::size_t v = w * 64; v < end; ++v)
                if (v >= vocab || !((bits >> (v & 63)) & 1)) logits[v] = kNegInf;
        }
    }

    void accept(std::int32_t token) override {
        if (m_machine->free(m_state)) return;
        if (token == m_trie->tokenizer().eosId()) return stopConstraining();
        MachineState next;
        next.copyFrom(m_state);
        if (!advance(next, token)) {
            logger("engine")->warn("DSML constraint: token {} is outside the grammar; "
                                   "no longer constraining this turn", token);
            return stopConstraining();
        }
        m_state.copyFrom(next);
    }

private:
    // Feeds one token's bytes; false when the grammar refuses one.
    bool advance(MachineState& s, std::int32_t token) const {
        const Tokenizer& tok = m_trie->tokenizer();
        const bool special = tok.isSpecial(token) ||
                             (token >= 0 && token < tok.vocabSize() &&
                              tok.vocabulary().types[std::size_t(token)] == TokenType::Unused);
        for (char c : tok.tokenBytes(token))
            if (!m_machine->feed(s, std::uint8_t(c), special)) return false;
        return true;
    }

    // Budget-aware decoding: once the tokens left come within kCloseLookahead of what closing
    // the current call takes, only tokens after which it can still be closed within the rest
    // stay allowed; at the last moment those are the closing tokens themselves. A block that
    // cannot be closed validly (tokensToClose says none) is left alone: the turn then ends
    // cut by the limit, which the caller reports as truncated. Null: the mask stands.
    std::shared_ptr<const TokenMask> fitToBudget(const TokenMask& mask) {
        if (m_left <= 0 || !m_machine->inBlock(m_state)) return nullptr;
        const auto need = tokensToClose(m_state);
        if (!need || *need > m_left || m_left > *need + kCloseLookahead) return nullptr;
        auto fitted = std::make_shared<TokenMask>();
        fitted->bits.assign(mask.bits.size(), 0);
        const std::int32_t eos = m_trie->tokenizer().eosId();
        MachineState next;
        for (std::size_t w = 0; w < mask.bits.size(); ++w) {
            for (std::uint64_t bits = mask.bits[w]; bits != 0; bits &= bits - 1) {
                const auto v = std::int32_t(w * 64 + std::size_t(std::countr_zero(bits)));
                bool keep = v == eos;  // the mask allows it only where the turn may end
                if (!keep) {
                    next.copyFrom(m_state);
                    if (!advance(next, v)) continue;
                    const auto after = tokensToClose(next);
                    keep = after && *after <= m_left - 1;
                }
                if (keep) fitted->set(std::size_t(v)), ++fitted->allowed;
            }
        }
        if (fitted->allowed == 0) return nullptr;  // cannot happen: the closing token fits
        return fitted;
    }

    // Tokens that close the block from `state` (closingText, tokenized greedily by the longest
    // token the grammar accepts), plus the end-of-sentence token; none when it cannot close.
    std::optional<std::int64_t> tokensToClose(const MachineState& state) {
        std::string key;
        state.appendKey(key, std::uint32_t(m_trie->maxTokenBytes() + 1));  // closing spends no budget
        if (auto it = m_closeCost.find(key); it != m_closeCost.end()) return it->second;
        std::optional<std::int64_t> cost;
        if (auto text = m_machine->closingText(state)) cost = closingTokens(state, *text);
        if (m_closeCost.size() >= kMaxCachedMasks) m_closeCost.clear();
        m_closeCost.emplace(std::move(key), cost);
        return cost;
    }

    std::optional<std::int64_t> closingTokens(const MachineState& state, std::string_view text) const {
        const Tokenizer& tok = m_trie->tokenizer();
        const auto& trie = m_trie->all();
        MachineState s, trial;
        s.copyFrom(state);
        std::int64_t count = 0;
        for (std::size_t i = 0; i < text.size(); ++count) {
            std::vector<std::pair<std::size_t, std::int32_t>> candidates;  // (bytes, token)
            std::uint32_t node = 0;
            for (std::size_t j = i; j < text.size(); ++j) {
                const TokenTrie::Node& n = trie.nodes[node];
                std::uint32_t child = 0;
                for (std::uint32_t c = n.firstChild; c < n.firstChild + n.childCount && !child; ++c)
                    if (trie.nodes[c].byte == std::uint8_t(text[j])) child = c;
                if (!child) break;
                node = child;
                const TokenTrie::Node& m = trie.nodes[node];
                for (std::uint32_t t = m.firstToken; t < m.firstToken + m.tokenCount; ++t)
                    candidates.emplace_back(j - i + 1, trie.tokens[t]);
            }
            for (std::int32_t id : m_trie->specialTokens()) {
                const std::string_view bytes = tok.tokenBytes(id);
                if (!bytes.empty() && text.substr(i, bytes.size()) == bytes) candidates.emplace_back(bytes.size(), id);
            }
            std::sort(candidates.begin(), candidates.end(), std::greater<>());
            bool fed = false;
            for (const auto& [bytes, id] : candidates) {
                trial.copyFrom(s);
                if (!advance(trial, id)) continue;
                s.copyFrom(trial);
                i += bytes;
                fed = true;
                break;
            }
            if (!fed) return std::nullopt;
        }
        if (!m_machine->mayEnd(s)) return std::nullopt;
        return count + 1;
    }

    void stopConstraining() {
        m_state.depth = 1;
        m_state.frames[0] = Frame{};
    }

    // Inside string text the mask is (tokens that stay in the text: a walk of the text frame
    // alone, shared by every string of the same kind and budget) united with (tokens that may
    // leave it, which all contain '"' or '<': a walk of that small trie with the full state;
    // and within a begun end tag, those that start with its next byte: see inTextFrame).
    std::shared_ptr<const TokenMask> maskFor(const MachineState& state) {
        std::string key;
        state.appendKey(key, std::uint32_t(m_trie->maxTokenBytes() + 1));  // = cap below
        {
            std::lock_guard lock(m_c->mutex);
            if (auto it = m_c->masks.find(key); it != m_c->masks.end()) return it->second;
        }
        TokenMask mask = computeMask(state);
        auto shared = std::make_shared<const TokenMask>(std::move(mask));
        std::lock_guard lock(m_c->mutex);
        if (m_c->masks.size() >= kMaxCachedMasks) m_c->masks.clear();
        return m_c->masks.emplace(std::move(key), std::move(shared)).first->second;
    }

    TokenMask computeMask(const MachineState& state) {
        TokenMask mask;
        const std::uint32_t cap = std::uint32_t(m_trie->maxTokenBytes() + 1);
        const bool split = !m_machine->grammar().options.referenceMasks;
        if (split && state.depth == 1 && DsmlMachine::inTextFrame(state.top(), cap)) {
            return allowedTokens(*m_trie, *m_machine, state, TokenSubset::NormalOnly);
        }
        if (split && DsmlMachine::inText(state, cap)) {
            MachineState alone;
            alone.depth = 1;
            alone.frames[0] = state.top();
            // A string value's begun end tag is handled below; a JSON string's pos (how much of
            // the forbidden end tag it holds) stays, as it decides tokens without '"' too.
            if (alone.frames[0].kind == FrameKind::RawValue) alone.frames[0].pos = 0;
            std::vector<std::uint64_t> inside = maskFor(alone)->bits;
            mask = allowedTokens(*m_trie, *m_machine, state, TokenSubset::Exits);
            std::vector<std::uint64_t> rest(mask.bits.size(), 0);
            if (const int b = DsmlMachine::nextTagByte(state.top()); b >= 0) {
                const auto& all = m_trie->all();
                const auto [first, last] = all.startingWith(std::uint8_t(b));
                for (std::size_t i = first; i < last; ++i) {
                    const auto v = std::size_t(all.tokens[i]);
                    inside[v >> 6] &= ~(1ull << (v & 63));
                }
                rest = allowedTokens(*m_trie, *m_machine, state, TokenSubset::NormalOnly,
                                     std::string(1, char(b))).bits;
            }
            mask.allowed = 0;
            for (std::size_t w = 0; w < mask.bits.size(); ++w) {
                mask.bits[w] |= inside[w] | rest[w];
                mask.allowed += std::size_t(std::popcount(mask.bits[w]));
            }
        } else {
            mask = allowedTokens(*m_trie, *m_machine, state);
        }
        if (mask.allowed == 0) {
            // Cannot happen for a grammar without dead ends; never leave nothing to sample.
            logger("engine")->warn("DSML constraint: no token fits; allowing the end token");
            mask.set(std::size_t(m_trie->tokenizer().eosId()));
            mask.allowed = 1;
        }
        return mask;
    }

    static constexpr std::size_t kMaxCachedMasks = 512;
    // How near the closing cost the budget must come before tokens are checked one by one: a
    // token that begins more structure than this can still leave a call unclosable.
    static constexpr std::int64_t kCloseLookahead = 8;
    std::shared_ptr<CompiledDsml> m_c;
    const TokenTrie* m_trie;        // m_c's
    const DsmlMachine* m_machine;   // m_c's
    MachineState m_state;
    std::int64_t m_left = -1;       // tokens the request may still generate (-1: not told)
    std::unordered_map<std::string, std::optional<std::int64_t>> m_closeCost;  // by state key
};

}  // namespace

Result<std::vector<ToolSchemaSpec>> parseToolSchemas(std::string_view jsonText) {
    using nlohmann::json;
    try {
        json j = json::parse(jsonText);
        if (j.is_object() && j.contains("tools")) j = j["tools"];
        if (!j.is_array()) return unexpected(Error::badInput("tools: expected a JSON list of tools"));
        std::vector<ToolSchemaSpec> out;
        for (std::size_t i = 0; i < j.size(); ++i) {
            const json& fn = j[i].is_object() && j[i].contains("function") ? j[i]["function"] : j[i];
            if (!fn.is_object() || !fn.contains("name") || !fn["name"].is_string())
                return unexpected(Error::badInput("tools[" + std::to_string(i) + "]: no function name"));
            ToolSchemaSpec spec;
            spec.name = fn["name"].get<std::string>();
            spec.parametersJson = fn.contains("parameters") ? fn["parameters"].dump() : "{}";
            out.push_back(std::move(spec));
        }
        return out;
    } catch (const nlohmann::json::exception& e) {
        return unexpected(Error::badInput(std::string("tools: not valid JSON: ") + e.what()));
    }
}

namespace {

// A constraint over `grammarKey`'s grammar (compiled by `compile` unless one of the few most
// recent is the same), newest first (a live trie keeps its vocabulary alive, so the address
// in the key is not reused while the entry exists).
template <class Compile>
Result<std::shared_ptr<TokenConstraint>> cachedConstraint(const Tokenizer& tokenizer,
                                                          const DsmlConstraintOptions& options,
                                                          const std::string& grammarKey,
                                                          Compile compile) {
    static std::mutex mutex;
    static std::list<std::pair<std::string, std::shared_ptr<CompiledDsml>>> recent;  // guarded by mutex
    std::string key = std::to_string(reinterpret_cast<std::uintptr_t>(&tokenizer.vocabulary()));
    for (std::size_t v : {std::size_t(options.mode), std::size_t(options.choice), options.maxStringChars,
                          options.maxArrayItems, options.maxCalls, std::size_t(options.referenceMasks)})
        key += "," + std::to_string(v);
    key += grammarKey;
    {
        std::lock_guard lock(mutex);
        for (auto it = recent.begin(); it != recent.end(); ++it) {
            if (it->first != key) continue;
            recent.splice(recent.begin(), recent, it);
            return std::shared_ptr<TokenConstraint>(std::make_shared<DsmlConstraint>(it->second));
        }
    }
    auto grammar = compile();
    if (!grammar) return unexpected(grammar.error());
    auto compiled = std::make_shared<CompiledDsml>(TokenTrie::forTokenizer(tokenizer), std::move(*grammar));
    {
        std::lock_guard lock(mutex);
        recent.emplace_front(std::move(key), compiled);
        if (recent.size() > kRecentGrammars) recent.pop_back();
    }
    return std::shared_ptr<TokenConstraint>(std::make_shared<DsmlConstraint>(std::move(compiled)));
}

}  // namespace

Result<std::shared_ptr<TokenConstraint>> makeDsmlConstraint(const Tokenizer& tokenizer,
                                                            std::vector<ToolSchemaSpec> tools,
                                                            DsmlConstraintOptions options) {
    options.maxCalls = std::max<std::size_t>(options.maxCalls, 1);
    options.maxArrayItems = std::max<std::size_t>(options.maxArrayItems, 1);
    std::string key = ",tools";
    for (const auto& t : tools) key += '\0' + t.name + '\0' + t.parametersJson;
    return cachedConstraint(tokenizer, options, key, [&] { return compileDsmlGrammar(tools, options); });
}

namespace {
DsmlConstraintOptions jsonGrammarOptions(const JsonConstraintOptions& o) {
    DsmlConstraintOptions options;
    options.mode = o.mode;
    options.maxStringChars = o.maxStringChars;
    options.maxArrayItems = std::max<std::size_t>(o.maxArrayItems, 1);
    options.referenceMasks = o.referenceMasks;
    return options;
}
}  // namespace

Result<void> checkJsonSchema(std::string_view schemaJson) {
    auto g = compileJsonGrammar(schemaJson, jsonGrammarOptions({}));
    if (!g) return unexpected(g.error());
    return {};
}

Result<std::shared_ptr<TokenConstraint>> makeJsonConstraint(const Tokenizer& tokenizer,
                                                            JsonConstraintOptions o) {
    const DsmlConstraintOptions options = jsonGrammarOptions(o);
    return cachedConstraint(tokenizer, options, ",json\0" + o.schemaJson,
                            [&] { return compileJsonGrammar(o.schemaJson, options); });
}

}  // namespace atelier::engine
