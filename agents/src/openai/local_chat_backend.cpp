// LocalChatBackend (local_chat_backend.h): the turn API on the in-process engine — chat format
// in, stream-parser events out.

#include "atelier/agents/local_chat_backend.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>

#include "atelier/agents/agent_model.h"
#include "atelier/base/log.h"
#include "atelier/base/utf8.h"
#include "atelier/engine/chat_stream_parser.h"

namespace atelier::agents {
namespace {

using engine::ChatStreamEventKind;

std::uint64_t randomSeed() {
    static std::mutex mutex;
    static std::mt19937_64 engine{std::random_device{}()};
    std::lock_guard lock(mutex);
    return engine();
}

// The log-probabilities of the distribution the sampler draws from: the (masked) logits over
// the temperature (greedy and temperature 0: the logits as they are), normalized.
struct LogprobTable {
    int top = 0;
    float temperature = 1.0f;
    std::vector<float> logprobs;  // of the position just sampled

    void set(std::span<const float> logits) {
        const float t = temperature > 0.0f ? temperature : 1.0f;
        logprobs.assign(logits.begin(), logits.end());
        float peak = -std::numeric_limits<float>::infinity();
        for (float& x : logprobs) x /= t, peak = std::max(peak, x);
        double sum = 0;
        for (float x : logprobs)
            if (std::isfinite(x)) sum += std::exp(double(x - peak));
        const float norm = peak + float(std::log(sum));
        for (float& x : logprobs) x -= norm;
    }

    void fill(ChatEvent& e) const {
        if (e.token < 0 || std::size_t(e.token) >= logprobs.size()) return;
        e.logprob = logprobs[std::size_t(e.token)];
        std::vector<std::int32_t> ids(logprobs.size());
        std::iota(ids.begin(), ids.end(), 0);
        const std::size_t k = std::min(std::size_t(top), ids.size());
        std::partial_sort(ids.begin(), ids.begin() + std::ptrdiff_t(k), ids.end(),
                          [this](std::int32_t a, std::int32_t b) {
                              return logprobs[std::size_t(a)] > logprobs[std::size_t(b)] ||
                                     (logprobs[std::size_t(a)] == logprobs[std::size_t(b)] && a < b);
                          });
        for (std::size_t i = 0; i < k; ++i)
            if (std::isfinite(logprobs[std::size_t(ids[i])]))
                e.topLogprobs.push_back({ids[i], logprobs[std::size_t(ids[i])]});
    }
};


// Turns the generated text of one turn into ChatEvents. Lives as long as the request's
// callbacks; used on the scheduler thread only.
struct TurnParser {
    TurnParser(engine::ChatMode mode, std::vector<std::string> tools, ChatEventSink s,
               std::string eos, std::string prefix)
        : parser(mode, std::move(tools)), sink(std::move(s)), eosText(std::move(eos)),
          idPrefix(std::move(prefix)) {}

    engine::ChatStreamParser parser;
    ChatEventSink sink;
    std::string eosText;
    std::string idPrefix;
    bool fallback = false;  // the reply left the chat format: the rest is plain content
    std::size_t toolCalls = 0;
    std::int64_t reasoningTokens = 0;  // tokens that began inside the reasoning
    // Per tool index: the name, and the arguments made valid UTF-8 piece by piece.
    struct Call {
        std::string name;
        base::Utf8Text argsText;
        std::string sent;  // the argument text handed out in ToolCallDelta pieces so far
    };
    std::vector<Call> calls;
    base::Utf8Text reasoningText, contentText;
    std::optional<LogprobTable> logprobs;  // when the request asked for them

    void emitText(ChatEventKind kind, std::string_view raw) {
        auto& stream = kind == ChatEventKind::ReasoningDelta ? reasoningText : contentText;
        send(kind, stream.push(raw));
    }

    void send(ChatEventKind kind, std::string text) {
        if (text.empty()) return;
        ChatEvent e;
        e.kind = kind;
        e.text = std::move(text);
        sink(e);
    }

    void dispatch(std::vector<engine::ChatStreamEvent> events) {
        for (auto& e : events) {
            switch (e.kind) {
            case ChatStreamEventKind::ReasoningDelta:
                emitText(ChatEventKind::ReasoningDelta, e.text);
                break;
            case ChatStreamEventKind::ContentDelta:
                emitText(ChatEventKind::ContentDelta, e.text);
                break;
            case ChatStreamEventKind::ToolCallStart:
                callStart(e.toolIndex, e.text);
                break;
            case ChatStreamEventKind::ToolCallArguments:
                callArguments(e.toolIndex, calls[e.toolIndex].argsText.push(e.text));
                break;
            case ChatStreamEventKind::ToolCallEnd:
                callEnd(e.toolIndex, base::validUtf8(e.text));
                break;
            case ChatStreamEventKind::Error:
                logger("agents")->debug("reply left the chat format ({}); passing it on as text",
                                        e.text);
                fallback = true;
                break;
            default:
                break;
            }
        }
    }

    std::string callId(std::size_t index) const { return idPrefix + "_" + std::to_string(index); }

    // The first piece of a call names it, so a client can show the call before its arguments.
    void callStart(std::size_t index, const std::string& name) {
        if (calls.size() <= index) calls.resize(index + 1);
        calls[index].name = base::validUtf8(name);
        ChatEvent e;
        e.kind = ChatEventKind::ToolCallDelta;
        e.toolIndex = index;
        e.toolCall.id = callId(index);
        e.toolCall.name = calls[index].name;
        sink(e);
    }

    void callArguments(std::size_t index, std::string piece) {
        if (piece.empty()) return;
        calls[index].sent += piece;
        ChatEvent e;
        e.kind = ChatEventKind::ToolCallDelta;
        e.toolIndex = index;
        e.text = std::move(piece);
        sink(e);
    }

    // `arguments` is the whole (valid) text; the pieces sent so far are a prefix of it, since
    // the parser appends the pieces it announces and Utf8Text only holds back a tail.
    void callEnd(std::size_t index, std::string arguments) {
        if (calls.size() <= index) callStart(index, "");
        Call& c = calls[index];
        if (arguments.compare(0, c.sent.size(), c.sent) == 0)
            callArguments(index, arguments.substr(c.sent.size()));
        else
            logger("agents")->warn("tool call {}: streamed arguments differ from the final text",
                                   index);
        ChatEvent call;
        call.kind = ChatEventKind::ToolCall;
        call.toolIndex = index;
        call.toolCall.id = callId(index);
        call.toolCall.name = c.name;
        call.toolCall.arguments = std::move(arguments);
        ++toolCalls;
        sink(call);
    }

    void token(std::int32_t id, std::string_view text) {
        ChatEvent e;
        e.kind = ChatEventKind::Token;
        e.token = id;
        e.text = std::string(text);
        if (logprobs) logprobs->fill(e);
        sink(e);
        if (!fallback && parser.place() == engine::ChatStreamPlace::Reasoning) ++reasoningTokens;
        if (fallback) emitText(ChatEventKind::ContentDelta, text);
        else dispatch(parser.feed(text));
    }

    void progress(std::int64_t done, std::int64_t total) {
        ChatEvent e;
        e.kind = ChatEventKind::Progress;
        e.progressDone = done;
        e.progressTotal = total;
        sink(e);
    }

    void done(const engine::GenerationResult& r) {
        ChatEvent end;
        end.kind = ChatEventKind::Done;
        // The service stops at EOS without its text; the parser needs it to close the turn.
        if (!fallback && r.reason == engine::FinishReason::Stop) dispatch(parser.feed(eosText));
        const bool cutByLimit = r.reason == engine::FinishReason::Length ||
                                r.reason == engine::FinishReason::ContextFull;
        if (!fallback && cutByLimit) {
            // Where the limit cut the turn; asked before finish(), which fails an unfinished turn.
            switch (parser.place()) {
            case engine::ChatStreamPlace::Reasoning: end.cut = TurnCut::Reasoning; break;
            case engine::ChatStreamPlace::Content: end.cut = TurnCut::Content; break;
            case engine::ChatStreamPlace::ToolCalls: end.cut = TurnCut::ToolCall; break;
            case engine::ChatStreamPlace::Ended: break;
            }
            end.cutTool = base::validUtf8(parser.openToolCall());
        }
        if (!fallback) dispatch(parser.finish());
        send(ChatEventKind::ReasoningDelta, reasoningText.flush());
        send(ChatEventKind::ContentDelta, contentText.flush());
        ChatEvent usage;
        usage.kind = ChatEventKind::Usage;
        usage.usage = {r.usage.promptTokens, r.usage.cachedTokens, r.usage.completionTokens,
                       r.usage.prefillTokPerS, r.usage.decodeTokPerS, reasoningTokens};
        sink(usage);
        end.usage = usage.usage;
        // A turn cut by max_tokens is Length even after a complete call: the model did not end
        // its turn, and a client must not take the call list for its whole answer.
        switch (r.reason) {
        case engine::FinishReason::Cancelled: end.finish = TurnFinish::Cancelled; break;
        case engine::FinishReason::Length: end.finish = TurnFinish::Length; break;
        case engine::FinishReason::ContextFull: end.finish = TurnFinish::ContextFull; break;
        case engine::FinishReason::Stop:
            end.finish = toolCalls > 0 ? TurnFinish::ToolCalls : TurnFinish::Stop;
            break;
        }
        if (parser.failed()) end.formatError = base::validUtf8(parser.errorMessage());
        end.text = r.text;
        sink(end);
    }
};

class LocalTurn : public TurnHandle {
public:
    explicit LocalTurn(engine::GenerationHandle handle) : m_handle(std::move(handle)) {}
    ~LocalTurn() override {
        m_handle.cancel();
        m_handle.wait();
    }
    void cancel() override { m_handle.cancel(); }
    void wait() override { m_handle.wait(); }

private:
    engine::GenerationHandle m_handle;
};

std::atomic<std::uint64_t> g_turnCounter{0};

}  // namespace

engine::GenerationRequest generationRequest(std::vector<engine::TokenId> prompt,
                                            const ChatSampling& s,
                                            const engine::Tokenizer& tokenizer) {
    engine::GenerationRequest gen;
    gen.prompt = std::move(prompt);
    gen.sampling.temperature = s.temperature;
    gen.sampling.topP = s.topP;
    gen.sampling.topK = s.topK;
    gen.sampling.minP = s.minP;
    gen.sampling.seed = s.seed ? *s.seed : randomSeed();
    gen.stop.maxTokens = s.maxTokens;
    gen.stop.stopTokens = {tokenizer.eosId()};
    gen.stop.stopStrings = s.stop;
    return gen;
}

LocalChatBackend::LocalChatBackend(engine::GenerationService& service,
                                   engine::Tokenizer tokenizer, std::string modelName)
    : m_service(service), m_tokenizer(std::move(tokenizer)), m_modelName(std::move(modelName)) {}

LocalChatBackend::LocalChatBackend(std::shared_ptr<engine::GenerationService> service,
                                   engine::Tokenizer tokenizer, std::string modelName)
    : m_owned(std::move(service)), m_service(*m_owned), m_tokenizer(std::move(tokenizer)),
      m_modelName(std::move(modelName)) {}

Result<std::unique_ptr<TurnHandle>> LocalChatBackend::start(ChatBackendRequest request,
                                                          ChatEventSink sink) {
    if (request.messages.empty()) return unexpected(Error::badInput("messages: empty"));
    if (request.toolChoice == ToolChoice::None)
        for (auto& m : request.messages) m.toolSchemas.clear();
    auto prompt = engine::encodeChatTokens(m_tokenizer, request.messages,
                                           engine::ChatEncodeOptions{request.mode});
    if (!prompt) return unexpected(prompt.error());

    engine::GenerationRequest gen = generationRequest(std::move(*prompt), request.sampling, m_tokenizer);
    if (request.constraint) gen.constraint = request.constraint(m_tokenizer);
    else if (m_constraints) gen.constraint = m_constraints(request, m_tokenizer);

    auto parser = std::make_shared<TurnParser>(
        request.mode, offeredToolNames(request.messages), std::move(sink),
        std::string(m_tokenizer.tokenBytes(m_tokenizer.eosId())),
        "call_" + std::to_string(++g_turnCounter));
    if (request.sampling.logprobs >= 0) {
        parser->logprobs.emplace();
        parser->logprobs->top = request.sampling.logprobs;
        parser->logprobs->temperature = request.sampling.temperature;
        gen.callbacks.onLogits = [parser](std::span<const float> logits) {
            parser->logprobs->set(logits);
        };
    }
    gen.callbacks.onToken = [parser](std::int32_t id, std::string_view piece) {
        parser->token(id, piece);
    };
    gen.callbacks.onProgress = [parser](std::int64_t done, std::int64_t total) {
        parser->progress(done, total);
    };
    gen.callbacks.onDone = [parser](const engine::GenerationResult& r) { parser->done(r); };
    gen.callbacks.onError = [parser](const Error& e) {
        ChatEvent err;
        err.kind = ChatEventKind::Error;
        err.error = e;
        parser->sink(err);
    };
    auto handle = m_service.submit(std::move(gen));
    if (!handle) return unexpected(handle.error());
    return std::unique_ptr<TurnHandle>(std::make_unique<LocalTurn>(std::move(*handle)));
}

}  // namespace atelier::agents
