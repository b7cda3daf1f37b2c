#pragma once
// Streaming a response of OpenAiServer (openai_routes.cpp): the SSE text of a request's turns
// or generations, made on the scheduler thread, goes through an SseChannel to the connection
// thread, which writes it; a write that fails (the client went away) cancels them all.

#include <memory>
#include <vector>

#include <httplib.h>

#include "atelier/agents/chat_backend.h"
#include "atelier/engine/generation_service.h"
#include "sse_channel.h"

namespace atelier::agents {

// Whatever must be cancelled when the client goes away: the chat turns or the generations of
// one request (one per choice).
struct StreamJob {
    std::vector<std::unique_ptr<TurnHandle>> turns;
    std::vector<engine::GenerationHandle> handles;

    void cancel() {
        for (auto& t : turns) t->cancel();
        for (auto& h : handles) h.cancel();
    }
    // Cancels unless finished, then waits for the last events.
    void end() {
        cancel();
        turns.clear();  // waits
        for (auto& h : handles) h.wait();
    }
};

// Streams `channel` to the client as text/event-stream, ending with `data: [DONE]` once the
// channel is closed; a keep-alive comment when nothing was sent for a while.
void streamResponse(httplib::Response& res, std::shared_ptr<SseChannel> channel,
                    std::shared_ptr<StreamJob> job);

}  // namespace atelier::agents
