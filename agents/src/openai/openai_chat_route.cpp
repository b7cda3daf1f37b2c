// /v1/chat/completions of OpenAiServer: one turn of the local chat backend per choice (n), run
// together by the scheduler and answered as one response or one interleaved stream.

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "openai_server_impl.h"
#include "stream_response.h"

namespace atelier::agents {
namespace {

// What the stream chunks of one choice need between its events.
struct StreamedChoice {
    std::size_t toolIndex = 0;   // the index of its next whole ToolCall
    bool callsStreamed = false;  // the backend sent ToolCallDelta pieces: no whole calls
    std::vector<LoggedToken> pending;  // logprobs of tokens not yet sent: the next chunk's
};

// The turns of one chat request, one per choice. Their events arrive on the scheduler thread
// (in order within a turn); the response is written by the connection thread.
struct ChatRun {
    std::mutex mutex;
    std::vector<ChatCompletionResult> results;     // guarded by mutex; per choice (whole)
    std::vector<std::vector<LoggedToken>> logged;  // guarded by mutex; per choice (whole)
    std::vector<StreamedChoice> streamed;          // guarded by mutex; per choice (stream)
    std::optional<Error> error;                    // guarded by mutex; the first one
    std::size_t left = 0;                          // guarded by mutex; choices not ended
    bool closed = false;                           // guarded by mutex; the stream has ended
    ChatUsage usage;  // guarded by mutex; the prompt counted once, every choice's completion

    explicit ChatRun(std::size_t n) : results(n), logged(n), streamed(n), left(n) {}

    // Adds choice `choice`'s usage: its completion tokens; the prompt's from the first choice.
    void addUsage(std::size_t choice, const ChatUsage& u) {
        if (choice == 0) {
            usage.promptTokens = u.promptTokens;
            usage.cachedTokens = u.cachedTokens;
        }
        usage.completionTokens += u.completionTokens;
        usage.reasoningTokens += u.reasoningTokens;
    }
};

}  // namespace

void OpenAiServer::Impl::chatCompletions(const httplib::Request& req, httplib::Response& res) {
    auto parsed = parseChatCompletionRequest(req.body, options.defaultMode);
    if (!parsed) return sendError(res, apiErrorFor(parsed.error()));
    if (!checkModel(parsed->model, res)) return;
    const std::string id = nextId("chatcmpl-");
    const std::string& model = options.modelName;
    const std::int64_t when = created;
    const bool logprobs = parsed->chat.sampling.logprobs >= 0;
    const bool stream = parsed->stream;
    const bool includeUsage = parsed->includeUsage;
    const std::size_t n = std::size_t(parsed->n);
    const engine::Tokenizer* tok = &tokenizer;
    const std::int32_t eos = tokenizer.eosId();  // the end of the turn is not a reply token
    auto channel = std::make_shared<SseChannel>();
    auto run = std::make_shared<ChatRun>(n);

    // Each choice's first chunk names the role, as OpenAI's does.
    if (stream)
        for (std::size_t j = 0; j < n; ++j) {
            ChatEvent role;
            role.kind = ChatEventKind::ContentDelta;
            channel->push(sseData(chatChunkJson(id, model, when, role, 0, nullptr, {}, j)));
        }
    auto streamSink = [=](std::size_t j) {
        return [=](const ChatEvent& e) {
            std::lock_guard lock(run->mutex);
            if (run->closed) return;
            if (e.kind == ChatEventKind::Error) {
                // The stream ends with the error; the other choices are cancelled with it.
                channel->push(sseData(apiErrorJson(apiErrorFor(e.error))));
                run->closed = true;
                channel->close();
                return;
            }
            StreamedChoice& c = run->streamed[j];
            if (e.kind == ChatEventKind::Token && logprobs && e.logprob && e.token != eos)
                c.pending.push_back({e.token, *e.logprob, e.topLogprobs});
            if (e.kind == ChatEventKind::ToolCallDelta) c.callsStreamed = true;
            bool last = false;
            if (e.kind == ChatEventKind::Done) {
                run->addUsage(j, e.usage);
                last = --run->left == 0;
            }
            const bool repeat = e.kind == ChatEventKind::ToolCall && c.callsStreamed;
            const std::string lp = logprobs && !c.pending.empty() ? logprobsJson(c.pending, *tok) : std::string();
            // Without include_usage the usage goes on the last choice's finishing chunk.
            const ChatUsage* usage = last && !includeUsage ? &run->usage : nullptr;
            const std::string chunk =
                repeat ? std::string() : chatChunkJson(id, model, when, e, c.toolIndex, usage, lp, j);
            if (e.kind == ChatEventKind::ToolCall) ++c.toolIndex;
            if (!chunk.empty()) {
                channel->push(sseData(chunk));
                if (!lp.empty()) c.pending.clear();
            }
            if (last) {
                if (includeUsage)
                    channel->push(sseData(usageChunkJson(id, "chat.completion.chunk", model, when, run->usage)));
                run->closed = true;
                channel->close();
            }
        };
    };
    auto wholeSink = [=](std::size_t j) {
        return [=](const ChatEvent& e) {
            std::lock_guard lock(run->mutex);
            ChatCompletionResult& r = run->results[j];
            if (e.kind == ChatEventKind::Token && e.logprob && e.token != eos)
                run->logged[j].push_back({e.token, *e.logprob, e.topLogprobs});
            switch (e.kind) {
            case ChatEventKind::ReasoningDelta: r.reasoning += e.text; break;
            case ChatEventKind::ContentDelta: r.content += e.text; break;
            case ChatEventKind::ToolCall: r.toolCalls.push_back(e.toolCall); break;
            case ChatEventKind::Usage: r.usage = e.usage; break;
            case ChatEventKind::Done:
                r.finish = e.finish;
                run->addUsage(j, e.usage);
                break;
            case ChatEventKind::Error:
                if (!run->error) run->error = e.error;
                break;
            case ChatEventKind::ToolCallDelta: break;  // the whole call follows as ToolCall
            case ChatEventKind::Token:
            case ChatEventKind::Progress: break;
            }
        };
    };

    std::vector<std::unique_ptr<TurnHandle>> turns;
    for (std::size_t j = 0; j < n; ++j) {
        ChatBackendRequest chat = j + 1 < n ? parsed->chat : std::move(parsed->chat);
        // Choice j samples with seed + j: the first is what the same request with n = 1
        // gives, and the others differ from it.
        if (chat.sampling.seed) chat.sampling.seed = *chat.sampling.seed + j;
        auto turn = stream ? backend.start(std::move(chat), streamSink(j))
                           : backend.start(std::move(chat), wholeSink(j));
        if (!turn) {
            for (auto& t : turns) t->cancel();
            turns.clear();  // waits
            return sendError(res, apiErrorFor(turn.error()));
        }
        turns.push_back(std::move(*turn));
    }
    if (stream) {
        auto job = std::make_shared<StreamJob>();
        job->turns = std::move(turns);
        return streamResponse(res, channel, job);
    }
    waitCancellable([&turns] { for (auto& t : turns) t->cancel(); },
                    [&turns] { for (auto& t : turns) t->wait(); });
    std::lock_guard lock(run->mutex);
    if (run->error) return sendError(res, apiErrorFor(*run->error));
    if (logprobs)
        for (std::size_t j = 0; j < n; ++j) run->results[j].logprobs = logprobsJson(run->logged[j], tokenizer);
    res.set_content(chatCompletionJson(id, model, when, run->results, run->usage), "application/json");
}

}  // namespace atelier::agents
