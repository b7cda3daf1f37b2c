// The endpoints of OpenAiServer: /v1/models, /v1/chat/completions, /v1/completions. A
// streamed response is generated on the scheduler thread into an SseChannel and written by the
// connection thread; a write that fails (the client went away) cancels the generation.

#include <chrono>
#include <memory>
#include <mutex>

#include "openai_server_impl.h"
#include "sse_channel.h"

namespace atelier::agents {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr std::string_view kDone = "data: [DONE]\n\n";
// A comment line sent when nothing else was for this long (a long prefill, a tool call held
// back until complete): clients and proxies keep waiting, and a client that went away is
// noticed (and its generation cancelled) by the failed write.
constexpr auto kKeepAlive = std::chrono::seconds(3);
constexpr std::string_view kKeepAliveText = ": keep-alive\n\n";

// Whatever must be cancelled when the client goes away: a chat turn or a generation.
struct StreamJob {
    std::unique_ptr<TurnHandle> turn;
    engine::GenerationHandle handle;
    bool hasHandle = false;

    void cancel() {
        if (turn) turn->cancel();
        if (hasHandle) handle.cancel();
    }
    // Cancels unless finished, then waits for the last event.
    void end() {
        cancel();
        if (turn) turn.reset();  // waits
        if (hasHandle) handle.wait();
    }
};

// Streams `channel` to the client as text/event-stream, ending with `data: [DONE]`.
void streamResponse(httplib::Response& res, std::shared_ptr<SseChannel> channel,
                    std::shared_ptr<StreamJob> job) {
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [channel, job, last = std::chrono::steady_clock::now()](
            std::size_t, httplib::DataSink& sink) mutable {
            bool finished = false;
            auto items = channel->take(kPoll, finished);
            const auto now = std::chrono::steady_clock::now();
            if (items.empty() && now - last >= kKeepAlive) items.emplace_back(kKeepAliveText);
            if (!items.empty()) last = now;
            for (const auto& text : items)
                if (!sink.write(text.data(), text.size())) {
                    job->cancel();
                    return false;
                }
            if (finished) {
                sink.write(kDone.data(), kDone.size());
                sink.done();
            }
            return true;
        },
        [job](bool) { job->end(); });
}

std::string finishName(engine::FinishReason reason) {
    switch (reason) {
    case engine::FinishReason::Stop: return "stop";
    case engine::FinishReason::Cancelled: return "cancelled";
    default: return "length";
    }
}

ChatUsage usageOf(const engine::GenerationResult& r) {
    return {r.usage.promptTokens, r.usage.cachedTokens, r.usage.completionTokens};
}

}  // namespace

void OpenAiServer::Impl::routes() {
    http.get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(modelsJson(options.modelName, created), "application/json");
    });
    http.get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (id != options.modelName)
            return sendError(res, {404, "model \"" + id + "\" does not exist; this server serves \"" +
                                            options.modelName + "\"",
                                   "invalid_request_error", "model_not_found"});
        res.set_content(modelJson(options.modelName, created), "application/json");
    });
    http.post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
        chatCompletions(req, res);
    });
    http.post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
        completions(req, res);
    });
}

void OpenAiServer::Impl::chatCompletions(const httplib::Request& req, httplib::Response& res) {
    auto parsed = parseChatCompletionRequest(req.body, options.defaultMode);
    if (!parsed) return sendError(res, apiErrorFor(parsed.error()));
    if (!checkModel(parsed->model, res)) return;
    const std::string id = nextId("chatcmpl-");
    const std::string& model = options.modelName;
    const std::int64_t when = created;

    const bool logprobs = parsed->chat.sampling.logprobs >= 0;
    if (parsed->stream) {
        auto channel = std::make_shared<SseChannel>();
        auto job = std::make_shared<StreamJob>();
        std::size_t toolIndex = 0;
        bool callsStreamed = false;  // the backend sent ToolCallDelta pieces: no whole calls
        ChatUsage usage;
        const bool includeUsage = parsed->includeUsage;
        // The logprobs of the tokens not yet sent: they go with the next chunk.
        std::vector<LoggedToken> pending;
        const engine::Tokenizer* tok = &tokenizer;
        const std::int32_t eos = tokenizer.eosId();  // the end of the turn is not a reply token
        // The first chunk names the role, as OpenAI's does.
        ChatEvent role;
        role.kind = ChatEventKind::ContentDelta;
        channel->push(sseData(chatChunkJson(id, model, when, role, 0, nullptr)));
        auto turn = backend.start(std::move(parsed->chat), [=](const ChatEvent& e) mutable {
            if (e.kind == ChatEventKind::Usage) usage = e.usage;
            if (e.kind == ChatEventKind::Error) {
                channel->push(sseData(apiErrorJson(apiErrorFor(e.error))));
                channel->close();
                return;
            }
            if (e.kind == ChatEventKind::Token && logprobs && e.logprob && e.token != eos)
                pending.push_back({e.token, *e.logprob, e.topLogprobs});
            if (e.kind == ChatEventKind::ToolCallDelta) callsStreamed = true;
            const bool repeat = e.kind == ChatEventKind::ToolCall && callsStreamed;
            const std::string lp = logprobs && !pending.empty() ? logprobsJson(pending, *tok) : std::string();
            const std::string chunk =
                repeat ? std::string()
                       : chatChunkJson(id, model, when, e, toolIndex, includeUsage ? nullptr : &usage, lp);
            if (e.kind == ChatEventKind::ToolCall) ++toolIndex;
            if (!chunk.empty()) {
                channel->push(sseData(chunk));
                if (!lp.empty()) pending.clear();
            }
            if (e.kind == ChatEventKind::Done) {
                if (includeUsage) channel->push(sseData(usageChunkJson(id, "chat.completion.chunk", model, when, usage)));
                channel->close();
            }
        });
        if (!turn) return sendError(res, apiErrorFor(turn.error()));
        job->turn = std::move(*turn);
        return streamResponse(res, channel, job);
    }

    auto result = std::make_shared<ChatCompletionResult>();
    auto error = std::make_shared<std::optional<Error>>();
    auto logged = std::make_shared<std::vector<LoggedToken>>();
    const std::int32_t eos = tokenizer.eosId();
    auto turn = backend.start(std::move(parsed->chat), [result, error, logged, eos](const ChatEvent& e) {
        if (e.kind == ChatEventKind::Token && e.logprob && e.token != eos) logged->push_back({e.token, *e.logprob, e.topLogprobs});
        switch (e.kind) {
        case ChatEventKind::ReasoningDelta: result->reasoning += e.text; break;
        case ChatEventKind::ContentDelta: result->content += e.text; break;
        case ChatEventKind::ToolCall: result->toolCalls.push_back(e.toolCall); break;
        case ChatEventKind::Usage: result->usage = e.usage; break;
        case ChatEventKind::Done: result->finish = e.finish; break;
        case ChatEventKind::Error: *error = e.error; break;
        case ChatEventKind::ToolCallDelta: break;  // the whole call follows as ToolCall
        case ChatEventKind::Token:
        case ChatEventKind::Progress: break;
        }
    });
    if (!turn) return sendError(res, apiErrorFor(turn.error()));
    TurnHandle& running = **turn;
    waitCancellable([&running] { running.cancel(); }, [&running] { running.wait(); });
    if (*error) return sendError(res, apiErrorFor(**error));
    if (logprobs) result->logprobs = logprobsJson(*logged, tokenizer);
    res.set_content(chatCompletionJson(id, model, when, *result), "application/json");
}

void OpenAiServer::Impl::completions(const httplib::Request& req, httplib::Response& res) {
    auto parsed = parseCompletionRequest(req.body);
    if (!parsed) return sendError(res, apiErrorFor(parsed.error()));
    if (!checkModel(parsed->model, res)) return;
    const std::string id = nextId("cmpl-");
    const std::string& model = options.modelName;
    const std::int64_t when = created;

    engine::GenerationRequest gen = generationRequest(
        parsed->promptText ? tokenizer.encode(*parsed->promptText, true) : std::move(parsed->promptIds),
        parsed->sampling, tokenizer);

    auto channel = std::make_shared<SseChannel>();
    auto done = std::make_shared<std::optional<engine::GenerationResult>>();
    auto error = std::make_shared<std::optional<Error>>();
    const bool stream = parsed->stream;
    const bool includeUsage = parsed->includeUsage;
    if (stream)
        gen.callbacks.onToken = [=](std::int32_t, std::string_view text) {
            channel->push(sseData(completionChunkJson(id, model, when, std::string(text), "",
                                                      nullptr)));
        };
    gen.callbacks.onDone = [=](const engine::GenerationResult& r) {
        const ChatUsage usage = usageOf(r);
        if (stream)
            channel->push(sseData(completionChunkJson(id, model, when, "", finishName(r.reason),
                                                      includeUsage ? nullptr : &usage)));
        if (stream && includeUsage)
            channel->push(sseData(usageChunkJson(id, "text_completion", model, when, usage)));
        *done = r;
        channel->close();
    };
    gen.callbacks.onError = [=](const Error& e) {
        if (stream) channel->push(sseData(apiErrorJson(apiErrorFor(e))));
        *error = e;
        channel->close();
    };
    auto handle = service.submit(std::move(gen));
    if (!handle) return sendError(res, apiErrorFor(handle.error()));
    if (stream) {
        auto job = std::make_shared<StreamJob>();
        job->handle = *handle;
        job->hasHandle = true;
        return streamResponse(res, channel, job);
    }
    engine::GenerationHandle running = *handle;
    waitCancellable([running]() mutable { running.cancel(); }, [running] { running.wait(); });
    if (*error) return sendError(res, apiErrorFor(**error));
    const auto& r = **done;
    res.set_content(completionJson(id, model, when, r.text, finishName(r.reason), usageOf(r)),
                    "application/json");
}

}  // namespace atelier::agents
