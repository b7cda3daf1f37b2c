#pragma once
// ChatStreamParser: parses a DeepSeek V4 assistant turn while it is generated. Fed text pieces
// of any size (single bytes, splits inside a UTF-8 character or a tag), it emits events as soon
// as they are certain: it never emits text that could still turn out to be the start of a tag,
// nor a partial UTF-8 character. Its accumulated result equals parseCompletion() of the whole
// text, errors included. One instance per turn; not thread-safe (the engine thread owns it).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/engine/chat_format.h"

namespace atelier::engine {

enum class ChatStreamEventKind {
    ReasoningDelta,     // text: more reasoning
    ContentDelta,       // text: more visible answer
    ToolCallStart,      // toolIndex, text: the tool name
    ToolCallArguments,  // toolIndex, text: more of the arguments JSON text
    ToolCallEnd,        // toolIndex, text: the complete arguments JSON text
    Done,               // the turn is complete and well formed
    Error,              // text: "offset N: ..." ; nothing follows
};

struct ChatStreamEvent {
    ChatStreamEventKind kind = ChatStreamEventKind::ContentDelta;
    std::string text;
    std::size_t toolIndex = 0;
};

// Where the text fed so far has got to: in the reasoning, in the answer text, inside the
// tool-calls block, or past its end (or the end of the turn).
enum class ChatStreamPlace { Reasoning, Content, ToolCalls, Ended };

class ChatStreamParser {
public:
    explicit ChatStreamParser(ChatMode mode, std::vector<std::string> knownTools = {});
    ~ChatStreamParser();
    ChatStreamParser(const ChatStreamParser&) = delete;
    ChatStreamParser& operator=(const ChatStreamParser&) = delete;

    // Consumes `piece` and returns the events it made certain. After Done or Error, further
    // text is ignored (text after the end-of-sentence is reported by finish()).
    std::vector<ChatStreamEvent> feed(std::string_view piece);

    // Declares the end of the text: flushes held-back text and returns the final events
    // (Done, or Error for an unfinished or malformed turn).
    std::vector<ChatStreamEvent> finish();

    // Everything parsed so far; complete after finish() returned Done.
    const ParsedCompletion& result() const;
    bool failed() const;
    const std::string& errorMessage() const;  // "offset N: ..." when failed()
    // Where the text fed so far stops (for a turn cut short: ask before finish(), which fails
    // an unfinished turn); a failed parse reports where it failed.
    ChatStreamPlace place() const;
    // Inside the tool-calls block: the tool of the call being written ("" before its name is
    // complete, or between calls).
    std::string openToolCall() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

}  // namespace atelier::engine
