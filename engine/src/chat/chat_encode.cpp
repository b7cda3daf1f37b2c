// encodeChat: the DeepSeek V4 prompt text (model spec §11), reproducing the official
// encoding_dsv4.py: tool messages are first folded into user turns (sorted by call order),
// earlier reasoning is dropped unless tools are present or the caller keeps it, then every
// message renders in order.

#include <algorithm>
#include <map>
#include <string>

#include "atelier/engine/chat_format.h"
#include "chat/dsv4_tokens.h"
#include "chat/python_json.h"

namespace atelier::engine {
namespace {

using namespace chat;

constexpr std::string_view kReasoningEffortMax =
    "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n"
    "You MUST be very thorough in your thinking and comprehensively decompose the problem to "
    "resolve the root cause, rigorously stress-testing your logic against all potential paths, "
    "edge cases, and adversarial scenarios.\n"
    "Explicitly write out your entire deliberation process, documenting every intermediate "
    "step, considered alternative, and rejected hypothesis to ensure absolutely no assumption "
    "is left unchecked.\n\n";

constexpr std::string_view kResponseFormatHeader =
    "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n";

// One part of a user turn: its own text, or one tool result folded into it.
struct Block {
    bool toolResult = false;
    std::string text;
    std::string toolCallId;
};

// A message after folding: users carry blocks; tool messages no longer exist.
struct Turn {
    const ChatMessage* source = nullptr;  // system, developer, assistant, latest_reminder
    ChatRole role = ChatRole::User;
    std::vector<Block> blocks;            // user only
    std::optional<std::string> task;
    bool reasoningDropped = false;
};

std::string toolsSection(const std::vector<std::string>& schemas) {
    std::string s;
    s += "## Tools\n\nYou have access to a set of tools to help answer the user's question. "
         "You can invoke tools by writing a \"<｜DSML｜tool_calls>\" block like the following:"
         "\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"$TOOL_NAME\">\n<｜DSML｜parameter "
         "name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE</｜DSML｜parameter>\n"
         "...\n</｜DSML｜invoke>\n<｜DSML｜invoke name=\"$TOOL_NAME2\">\n...\n</｜DSML｜invoke>\n"
         "</｜DSML｜tool_calls>\n\n"
         "String parameters should be specified as is and set `string=\"true\"`. For all other "
         "types (numbers, booleans, arrays, objects), pass the value in JSON format and set "
         "`string=\"false\"`.\n\n"
         "If thinking_mode is enabled (triggered by <think>), you MUST output your complete "
         "reasoning inside <think>...</think> BEFORE any tool calls or final response.\n\n"
         "Otherwise, output directly after </think> with tool calls or final response.\n\n"
         "### Available Tool Schemas\n\n";
    for (std::size_t i = 0; i < schemas.size(); ++i) {
        if (i) s += '\n';
        s += schemas[i];
    }
    s += "\n\nYou MUST strictly follow the above defined tool name and parameter schemas to "
         "invoke tool calls.\n";
    return s;
}

// The official encoder asserts that tool results follow an assistant turn with at least that
// many calls. A tool_call_id that names none of those calls is refused as well (our choice:
// the encoder would silently sort it first).
Result<void> checkToolMessages(const std::vector<ChatMessage>& messages) {
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].role != ChatRole::Tool) continue;
        std::size_t j = i;
        while (j > 0 && messages[j - 1].role == ChatRole::Tool) --j;
        const std::string where = "message " + std::to_string(i) + ": ";
        if (j == 0 || messages[j - 1].role != ChatRole::Assistant ||
            messages[j - 1].toolCalls.empty())
            return unexpected(Error::badInput(
                where + "tool result without a preceding assistant message with tool_calls"));
        const auto& calls = messages[j - 1].toolCalls;
        if (i - j + 1 > calls.size())
            return unexpected(Error::badInput(where + "more tool results than the " +
                                              std::to_string(calls.size()) +
                                              " tool call(s) of message " +
                                              std::to_string(j - 1)));
        const std::string& id = messages[i].toolCallId;
        bool anyIds = std::any_of(calls.begin(), calls.end(), [](auto& c) { return !c.id.empty(); });
        bool known = std::any_of(calls.begin(), calls.end(), [&](auto& c) { return c.id == id; });
        if (!id.empty() && anyIds && !known)
            return unexpected(Error::badInput(where + "tool_call_id \"" + id +
                                              "\" matches no call of message " +
                                              std::to_string(j - 1)));
    }
    return {};
}

// The encoder's merge step: each tool result becomes a block of the user turn before it (or
// of a new one), and a user message directly after a user turn without a task joins it.
std::vector<Turn> foldTurns(const std::vector<ChatMessage>& messages) {
    std::vector<Turn> turns;
    for (const auto& m : messages) {
        const bool prevUser = !turns.empty() && turns.back().role == ChatRole::User;
        if (m.role == ChatRole::Tool) {
            // Null content is rendered as empty (the Python encoder would print "None").
            Block b{true, m.content.value_or(""), m.toolCallId};
            if (prevUser) {
                turns.back().blocks.push_back(std::move(b));
            } else {
                turns.push_back(Turn{nullptr, ChatRole::User, {std::move(b)}, std::nullopt});
            }
        } else if (m.role == ChatRole::User) {
            Block b{false, m.content.value_or(""), {}};
            if (prevUser && !turns.back().task) {
                // As in the encoder, the joining message's own task is not carried over.
                turns.back().blocks.push_back(std::move(b));
            } else {
                turns.push_back(Turn{nullptr, ChatRole::User, {std::move(b)}, m.task});
            }
        } else {
            turns.push_back(Turn{&m, m.role, {}, m.task});
        }
    }
    return turns;
}

// Tool results appear in the order of the calls of the latest assistant turn with calls.
void sortToolResults(std::vector<Turn>& turns) {
    std::map<std::string, std::size_t> order;
    for (auto& t : turns) {
        if (t.role == ChatRole::Assistant && !t.source->toolCalls.empty()) {
            order.clear();
            const auto& calls = t.source->toolCalls;
            for (std::size_t k = 0; k < calls.size(); ++k)
                if (!calls[k].id.empty()) order.emplace(calls[k].id, k);
        } else if (t.role == ChatRole::User && !order.empty()) {
            std::vector<Block> results;
            for (auto& b : t.blocks)
                if (b.toolResult) results.push_back(b);
            if (results.size() < 2) continue;
            auto key = [&](const Block& b) {
                auto it = order.find(b.toolCallId);
                return it == order.end() ? std::size_t{0} : it->second;
            };
            std::stable_sort(results.begin(), results.end(),
                             [&](const Block& a, const Block& b) { return key(a) < key(b); });
            std::size_t next = 0;
            for (auto& b : t.blocks)
                if (b.toolResult) b = results[next++];
        }
    }
}

bool isUserLike(ChatRole r) { return r == ChatRole::User || r == ChatRole::Developer; }

std::ptrdiff_t lastUserIndex(const std::vector<Turn>& turns) {
    for (std::size_t i = turns.size(); i-- > 0;)
        if (isUserLike(turns[i].role)) return static_cast<std::ptrdiff_t>(i);
    return -1;
}

// drop_thinking: assistant turns before the last user turn lose their reasoning. As in the
// encoder, developer messages before the last user turn are removed altogether.
std::vector<Turn> dropEarlierReasoning(std::vector<Turn> turns) {
    const auto last = lastUserIndex(turns);
    std::vector<Turn> kept;
    for (std::size_t i = 0; i < turns.size(); ++i) {
        Turn& t = turns[i];
        if (static_cast<std::ptrdiff_t>(i) >= last || t.role != ChatRole::Developer) {
            if (static_cast<std::ptrdiff_t>(i) < last && t.role == ChatRole::Assistant)
                t.reasoningDropped = true;
            kept.push_back(std::move(t));
        }
    }
    return kept;
}

std::string renderToolCalls(const std::vector<ChatToolCall>& calls) {
    std::string s = "\n\n<｜DSML｜tool_calls>\n";
    for (std::size_t k = 0; k < calls.size(); ++k) {
        if (k) s += '\n';
        s += "<｜DSML｜invoke name=\"" + calls[k].name + "\">\n";
        // Checked by renderChat(): an object, or text that is not JSON (one "arguments" string).
        const auto args = toolCallParameters(calls[k].arguments).value_or(nlohmann::ordered_json::object());
        bool first = true;
        for (const auto& [key, value] : args.items()) {
            if (!first) s += '\n';
            first = false;
            const bool isString = value.is_string();
            s += "<｜DSML｜parameter name=\"" + key + "\" string=\"" +
                 (isString ? "true" : "false") + "\">";
            s += isString ? value.get<std::string>() : pythonJsonDump(value);
            s += "</｜DSML｜parameter>";
        }
        s += "\n</｜DSML｜invoke>";
    }
    s += "\n</｜DSML｜tool_calls>";
    return s;
}

std::string appendixOf(const ChatMessage& m) {
    std::string s;
    if (!m.toolSchemas.empty()) s += "\n\n" + toolsSection(m.toolSchemas);
    if (m.responseFormat) s += "\n\n" + std::string(kResponseFormatHeader) + *m.responseFormat;
    return s;
}

struct RenderState {
    const std::vector<Turn>& turns;
    bool thinking;
    bool drop;
    std::ptrdiff_t lastUser;
};

// The prompt being rendered: text, plus the spans the template itself marks as control tokens.
// Content (messages, tool schemas, tool results, earlier replies) only ever goes through text().
struct PromptOut {
    ChatPrompt& p;
    void text(std::string_view s) { p.text += s; }
    void marker(std::string_view s) {
        p.markers.emplace_back(p.text.size(), p.text.size() + s.size());
        p.text += s;
    }
};

void renderBody(const RenderState& st, std::size_t i, PromptOut& out) {
    const Turn& t = st.turns[i];
    switch (t.role) {
    case ChatRole::System:
        out.text(t.source->content.value_or(""));
        out.text(appendixOf(*t.source));
        return;
    case ChatRole::Developer:
        out.marker(kUser);
        out.text(*t.source->content);
        out.text(appendixOf(*t.source));
        return;
    case ChatRole::LatestReminder:
        out.marker(kLatestReminder);
        out.text(t.source->content.value_or(""));
        return;
    case ChatRole::User: {
        out.marker(kUser);
        for (std::size_t b = 0; b < t.blocks.size(); ++b) {
            if (b) out.text("\n\n");
            const Block& block = t.blocks[b];
            if (block.toolResult) out.marker(kToolResultStart);
            out.text(block.text);
            if (block.toolResult) out.marker(kToolResultEnd);
        }
        return;
    }
    case ChatRole::Assistant: {
        const ChatMessage& m = *t.source;
        const bool prevHasTask = i > 0 && st.turns[i - 1].task.has_value();
        if (st.thinking && !prevHasTask &&
            (!st.drop || static_cast<std::ptrdiff_t>(i) > st.lastUser)) {
            if (!t.reasoningDropped) out.text(m.reasoningContent.value_or(""));
            out.marker(kThinkEnd);
        }
        out.text(m.content.value_or(""));
        if (!m.toolCalls.empty()) out.text(renderToolCalls(m.toolCalls));
        if (!m.withoutEos) out.marker(kEos);
        return;
    }
    case ChatRole::Tool:
        break;  // folded into user turns before rendering
    }
}

// What follows a turn when the next message is an assistant or latest_reminder turn (or there
// is none): the task token, or the assistant prefix with the thinking marker.
void renderTail(const RenderState& st, std::size_t i, PromptOut& out) {
    const Turn& t = st.turns[i];
    if (i + 1 < st.turns.size()) {
        ChatRole next = st.turns[i + 1].role;
        if (next != ChatRole::Assistant && next != ChatRole::LatestReminder) return;
    }
    if (t.task) {
        const std::string token = "<｜" + *t.task + "｜>";
        if (*t.task == "action") {
            out.marker(kAssistant);
            out.marker(st.thinking ? kThinkStart : kThinkEnd);
        }
        out.marker(token);
        return;
    }
    if (!isUserLike(t.role)) return;
    const bool think =
        st.thinking && (!st.drop || static_cast<std::ptrdiff_t>(i) >= st.lastUser);
    out.marker(kAssistant);
    out.marker(think ? kThinkStart : kThinkEnd);
}

}  // namespace

Result<ChatPrompt> renderChat(const std::vector<ChatMessage>& messages,
                              const ChatEncodeOptions& options) {
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto& m = messages[i];
        if (m.role == ChatRole::Developer && m.content.value_or("").empty())
            return unexpected(Error::badInput("message " + std::to_string(i) +
                                              ": a developer message needs content"));
        if (m.role == ChatRole::LatestReminder && !m.content)
            return unexpected(Error::badInput("message " + std::to_string(i) +
                                              ": a latest_reminder message needs content"));
        for (std::size_t k = 0; k < m.toolCalls.size(); ++k)
            if (!toolCallParameters(m.toolCalls[k].arguments))
                return unexpected(Error::badInput("message " + std::to_string(i) + ": tool_calls[" +
                                                  std::to_string(k) +
                                                  "].function.arguments is JSON but not a JSON "
                                                  "object"));
    }
    ATELIER_TRY_VOID(checkToolMessages(messages));

    std::vector<Turn> turns = foldTurns(messages);
    sortToolResults(turns);
    const bool thinking = options.mode != ChatMode::Chat;
    const bool anyTools = std::any_of(messages.begin(), messages.end(),
                                      [](auto& m) { return !m.toolSchemas.empty(); });
    // Interleaved thinking across tool rounds: with tools, nothing is dropped.
    const bool drop = !options.keepReasoning && !anyTools;
    if (thinking && drop) turns = dropEarlierReasoning(std::move(turns));

    RenderState st{turns, thinking, drop, lastUserIndex(turns)};
    ChatPrompt prompt;
    PromptOut out{prompt};
    if (options.addBos) out.marker(kBos);
    for (std::size_t i = 0; i < turns.size(); ++i) {
        if (i == 0 && options.mode == ChatMode::Max) out.text(kReasoningEffortMax);
        renderBody(st, i, out);
        renderTail(st, i, out);
    }
    return prompt;
}

Result<std::string> encodeChat(const std::vector<ChatMessage>& messages,
                               const ChatEncodeOptions& options) {
    auto prompt = renderChat(messages, options);
    if (!prompt) return unexpected(prompt.error());
    return std::move(prompt->text);
}

Result<std::vector<TokenId>> encodeChatTokens(const Tokenizer& tokenizer,
                                              const std::vector<ChatMessage>& messages,
                                              const ChatEncodeOptions& options) {
    auto prompt = renderChat(messages, options);
    if (!prompt) return unexpected(prompt.error());
    return tokenizer.encodeMarked(prompt->text, prompt->markers);
}

}  // namespace atelier::engine
