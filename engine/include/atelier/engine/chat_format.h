#pragma once
// The DeepSeek V4 chat format (model spec §11): OpenAI-style messages, their prompt text as
// the official `encoding_dsv4.py` renders it, and the parse of one generated assistant turn.
// Pure functions over strings; any thread may call them. The live parser for a turn that is
// still being generated is ChatStreamParser (chat_stream_parser.h).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::engine {

// chat: `</think>` after `<｜Assistant｜>`, no reasoning rendered. thinking: `<think>` (Think
// High). max: thinking plus the fixed Reasoning Effort prefix after BOS (Think Max).
enum class ChatMode { Chat, Thinking, Max };

std::optional<ChatMode> chatModeFromName(std::string_view name);  // "chat" | "thinking" | "max"

// The same encoding as a Jinja template (resources/chat_templates/deepseek-v4.jinja), for other
// engines: every GGUF Atelier writes carries it as tokenizer.chat_template. Variables: messages,
// tools, add_generation_prompt, thinking (or enable_thinking), reasoning_effort ("max").
std::string_view deepseekV4ChatTemplate();

enum class ChatRole { System, Developer, User, Assistant, Tool, LatestReminder };
// OpenAI's names: "system", "developer", "user", "assistant", "tool", "latest_reminder".
const char* chatRoleName(ChatRole role);
std::optional<ChatRole> chatRoleFromName(std::string_view name);

struct ChatToolCall {
    std::string id;         // OpenAI `id` (may be empty); orders the tool results
    std::string name;
    std::string arguments;  // JSON text of an object, as OpenAI sends it
};

struct ChatMessage {
    ChatRole role = ChatRole::User;
    std::optional<std::string> content;           // null and absent are the same
    std::optional<std::string> reasoningContent;  // assistant only
    std::vector<ChatToolCall> toolCalls;          // assistant only
    std::string toolCallId;                       // tool only; may be empty
    // The `function` object of each tool, serialised as the encoder prints it (key order kept,
    // ", " and ": " separators, non-ASCII kept). Rendered on system and developer messages.
    std::vector<std::string> toolSchemas;
    std::optional<std::string> responseFormat;  // serialised like toolSchemas
    std::optional<std::string> task;            // quick instruction: action, query, ...
    // Assistant only: a reply to be continued (the official encoder's `wo_eos`; `prefix`, as
    // DeepSeek's API names it, is read the same): rendered without its end-of-sentence token.
    bool withoutEos = false;
};

// The quick-instruction task names and their tokens (`action` -> `<｜action｜>`).
bool isChatTask(std::string_view task);

// Reads a JSON list of messages or `{"messages": [...], "tools": [...]}` whose top-level tools
// belong to the first message. Errors name the message index (0-based) and the field, e.g.
// "message 3: tool_calls[0].function.arguments is not valid JSON".
Result<std::vector<ChatMessage>> parseChatMessages(std::string_view jsonText);

// The names of the tools in a JSON list of OpenAI-style tools, or in the `tools` of an object
// such as the chat-template input (for reporting calls of unknown tools).
Result<std::vector<std::string>> parseToolNames(std::string_view jsonText);

struct ChatEncodeOptions {
    ChatMode mode = ChatMode::Thinking;
    bool keepReasoning = false;  // the encoder's drop_thinking=False
    bool addBos = true;
};

// A rendered prompt: the text, byte for byte what the official encoder renders, and the byte
// spans where the template itself placed a control token (BOS, EOS, role markers, think tags,
// task tokens, tool-result tags), in order. Message content never produces a span.
struct ChatPrompt {
    std::string text;
    std::vector<Tokenizer::ByteSpan> markers;
};

// Renders the conversation, or an error for a conversation the encoder rejects (tool result
// without a call, developer without content...).
Result<ChatPrompt> renderChat(const std::vector<ChatMessage>& messages,
                              const ChatEncodeOptions& options);

// renderChat's text alone (what `chat-template` prints).
Result<std::string> encodeChat(const std::vector<ChatMessage>& messages,
                               const ChatEncodeOptions& options);

// The prompt's token ids: markers from the template become their tokens, every piece of content
// is ordinary text (Tokenizer::encodeMarked). For any content X, the ids of a one-message chat
// with content X are those of the empty message with encodeContent(X) inserted after the role
// marker. Every pipeline that runs a turn tokenizes its prompt with this.
Result<std::vector<TokenId>> encodeChatTokens(const Tokenizer& tokenizer,
                                              const std::vector<ChatMessage>& messages,
                                              const ChatEncodeOptions& options);

struct ParsedToolCall {
    std::string name;
    std::string arguments;  // JSON text: {"key": value, ...} in the call's parameter order
};

struct ParsedCompletion {
    std::string reasoningContent;
    std::string content;
    std::vector<ParsedToolCall> toolCalls;
    // Names of called tools that are not among the `knownTools` given to the parser (only
    // filled when that list is non-empty). Not an error: the runtime decides.
    std::vector<std::string> unknownTools;
};

// Parses one generated assistant turn that follows the prompt's `<think>` (thinking, max) or
// `</think>` (chat) and ends with `<｜end▁of▁sentence｜>`. Malformed text is an error whose
// message starts with "offset N:" (the byte offset in `text`).
Result<ParsedCompletion> parseCompletion(std::string_view text, ChatMode mode,
                                         const std::vector<std::string>& knownTools = {});

// The OpenAI-style JSON of a parsed turn, as `atelier-cli parse-completion` prints it:
// {"role":"assistant","reasoning_content":..,"content":..,"tool_calls":[{"type":"function",
// "function":{"name":..,"arguments":"<JSON text>"}}]}
std::string completionToJson(const ParsedCompletion& parsed);

}  // namespace atelier::engine
