// DsmlConstraint: the TokenConstraint of dsml_constraint.h. Masks are cached by machine state
// (budgets capped at the longest token), so the states that repeat token after token (inside
// a string value, in content text) cost one trie walk each, then a table look-up. The cache
// belongs to the compiled grammar, which every constraint made from the same tools, options
// and vocabulary shares (the last few are kept), so a team's workers warm it for each other.

#include "atelier/engine/dsml_constraint.h"

#include <bit>
#include <cmath>
#include <limits>
#include <list>
#include <mutex>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "atelier/engine/log.h"
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

    void maskLogits(std::span<float> logits) override {
        if (m_machine->free(m_state)) return;
        const std::shared_ptr<const TokenMask> held = maskFor(m_state);
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
        const Tokenizer& tok = m_trie->tokenizer();
        if (token == tok.eosId()) return stopConstraining();
        const bool special = tok.isSpecial(token) ||
                             (token >= 0 && token < tok.vocabSize() &&
                              tok.vocabulary().types[std::size_t(token)] == TokenType::Unused);
        MachineState next;
        next.copyFrom(m_state);
        for (char c : tok.tokenBytes(token)) {
            if (!m_machine->feed(next, std::uint8_t(c), special)) {
                logger("engine")->warn("DSML constraint: token {} is outside the grammar; "
                                       "no longer constraining this turn", token);
                return stopConstraining();
            }
        }
        m_state.copyFrom(next);
    }

private:
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
    std::shared_ptr<CompiledDsml> m_c;
    const TokenTrie* m_trie;        // m_c's
    const DsmlMachine* m_machine;   // m_c's
    MachineState m_state;
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

Result<std::shared_ptr<TokenConstraint>> makeDsmlConstraint(const Tokenizer& tokenizer,
                                                            std::vector<ToolSchemaSpec> tools,
                                                            DsmlConstraintOptions options) {
    options.maxCalls = std::max<std::size_t>(options.maxCalls, 1);
    options.maxArrayItems = std::max<std::size_t>(options.maxArrayItems, 1);
    // The few most recent compiled grammars, newest first (a live trie keeps its vocabulary
    // alive, so the address in the key is not reused while the entry exists).
    static std::mutex mutex;
    static std::list<std::pair<std::string, std::shared_ptr<CompiledDsml>>> recent;  // guarded by mutex
    std::string key = std::to_string(reinterpret_cast<std::uintptr_t>(&tokenizer.vocabulary()));
    for (std::size_t v : {std::size_t(options.mode), std::size_t(options.choice), options.maxStringChars,
                          options.maxArrayItems, options.maxCalls, std::size_t(options.referenceMasks)})
        key += "," + std::to_string(v);
    for (const auto& t : tools) key += '\0' + t.name + '\0' + t.parametersJson;
    {
        std::lock_guard lock(mutex);
        for (auto it = recent.begin(); it != recent.end(); ++it) {
            if (it->first != key) continue;
            recent.splice(recent.begin(), recent, it);
            return std::shared_ptr<TokenConstraint>(std::make_shared<DsmlConstraint>(it->second));
        }
    }
    auto grammar = compileDsmlGrammar(tools, options);
    if (!grammar) return unexpected(grammar.error());
    auto compiled = std::make_shared<CompiledDsml>(TokenTrie::forTokenizer(tokenizer), std::move(*grammar));
    {
        std::lock_guard lock(mutex);
        recent.emplace_front(std::move(key), compiled);
        if (recent.size() > kRecentGrammars) recent.pop_back();
    }
    return std::shared_ptr<TokenConstraint>(std::make_shared<DsmlConstraint>(std::move(compiled)));
}

}  // namespace atelier::engine
