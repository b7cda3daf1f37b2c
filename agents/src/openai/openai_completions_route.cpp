// /v1/completions of OpenAiServer: one generation per choice (prompts times n), run together
// by the scheduler and answered as one response or one interleaved stream.

#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <vector>

#include "openai_server_impl.h"
#include "stream_response.h"

namespace atelier::agents {
namespace {

// The generations of one /v1/completions request, one per choice. Their callbacks run on the
// scheduler thread; the response is written by the connection thread.
struct CompletionRun {
    std::mutex mutex;
    std::vector<engine::GenerationResult> results;  // guarded by mutex; per choice
    std::optional<Error> error;                     // guarded by mutex; the first one
    std::size_t left = 0;                           // guarded by mutex; choices not ended
    bool closed = false;                            // guarded by mutex; the stream has ended
    ChatUsage usage;  // guarded by mutex; prompt tokens counted once per prompt
    std::stop_source failed;  // stops every choice once one has failed
};

std::string finishName(engine::FinishReason reason) {
    switch (reason) {
    case engine::FinishReason::Stop: return "stop";
    case engine::FinishReason::Cancelled: return "cancelled";
    default: return "length";
    }
}

}  // namespace

void OpenAiServer::Impl::completions(const httplib::Request& req, httplib::Response& res) {
    auto parsed = parseCompletionRequest(req.body);
    if (!parsed) return sendError(res, apiErrorFor(parsed.error()));
    if (!checkModel(parsed->model, res)) return;
    const std::string id = nextId("cmpl-");
    const std::string& model = options.modelName;
    const std::int64_t when = created;
    const std::size_t n = std::size_t(parsed->n), count = parsed->prompts.size() * n;
    const bool stream = parsed->stream;
    const bool includeUsage = parsed->includeUsage;

    auto channel = std::make_shared<SseChannel>();
    auto run = std::make_shared<CompletionRun>();
    run->results.resize(count);
    run->left = count;
    std::vector<engine::GenerationHandle> handles;
    for (std::size_t k = 0; k < count; ++k) {
        const CompletionPrompt& prompt = parsed->prompts[k / n];
        ChatSampling sampling = parsed->sampling;
        // A prompt's j-th completion samples with seed + j: its first is what the same
        // request with n = 1 gives, and the others differ from it.
        if (sampling.seed) sampling.seed = *sampling.seed + k % n;
        engine::GenerationRequest gen = generationRequest(
            prompt.text ? tokenizer.encode(*prompt.text, true) : prompt.ids, sampling, tokenizer);
        gen.stopToken = run->failed.get_token();
        if (stream)
            gen.callbacks.onToken = [=](std::int32_t, std::string_view text) {
                std::lock_guard lock(run->mutex);
                if (!run->closed)
                    channel->push(sseData(completionChunkJson(id, model, when, k, std::string(text), "", nullptr)));
            };
        gen.callbacks.onDone = [=](const engine::GenerationResult& r) {
            std::lock_guard lock(run->mutex);
            run->results[k] = r;
            if (k % n == 0) {
                run->usage.promptTokens += r.usage.promptTokens;
                run->usage.cachedTokens += r.usage.cachedTokens;
            }
            run->usage.completionTokens += r.usage.completionTokens;
            const bool last = --run->left == 0;
            if (!stream || run->closed) return;
            channel->push(sseData(completionChunkJson(id, model, when, k, "", finishName(r.reason),
                                                      last && !includeUsage ? &run->usage : nullptr)));
            if (!last) return;
            if (includeUsage)
                channel->push(sseData(usageChunkJson(id, "text_completion", model, when, run->usage)));
            run->closed = true;
            channel->close();
        };
        gen.callbacks.onError = [=](const Error& e) {
            std::lock_guard lock(run->mutex);
            --run->left;
            if (run->error) return;
            run->error = e;
            run->failed.request_stop();
            if (stream && !run->closed) {
                // The stream ends with the error.
                channel->push(sseData(apiErrorJson(apiErrorFor(e))));
                run->closed = true;
                channel->close();
            }
        };
        auto handle = service.submit(std::move(gen));
        if (!handle) {
            for (auto& h : handles) h.cancel();
            for (auto& h : handles) h.wait();
            return sendError(res, apiErrorFor(handle.error()));
        }
        handles.push_back(*handle);
    }
    if (stream) {
        auto job = std::make_shared<StreamJob>();
        job->handles = std::move(handles);
        return streamResponse(res, channel, job);
    }
    waitCancellable([&handles] { for (auto& h : handles) h.cancel(); },
                    [&handles] { for (auto& h : handles) h.wait(); });
    std::lock_guard lock(run->mutex);
    if (run->error) return sendError(res, apiErrorFor(*run->error));
    std::vector<CompletionChoice> choices;
    for (const auto& r : run->results) choices.push_back({r.text, finishName(r.reason)});
    res.set_content(completionJson(id, model, when, choices, run->usage), "application/json");
}

}  // namespace atelier::agents
