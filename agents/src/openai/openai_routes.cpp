// The endpoints of OpenAiServer: /v1/models here, /v1/chat/completions in
// openai_chat_route.cpp, /v1/completions in openai_completions_route.cpp; and the streaming of
// their responses (stream_response.h).

#include <chrono>
#include <memory>

#include "openai_server_impl.h"
#include "stream_response.h"

namespace atelier::agents {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr std::string_view kDone = "data: [DONE]\n\n";
// A comment line sent when nothing else was for this long (a long prefill, a tool call held
// back until complete): clients and proxies keep waiting, and a client that went away is
// noticed (and its generation cancelled) by the failed write.
constexpr auto kKeepAlive = std::chrono::seconds(3);
constexpr std::string_view kKeepAliveText = ": keep-alive\n\n";

}  // namespace

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

}  // namespace atelier::agents
