// libFuzzer target for the OpenAI request parsing of `atelier-cli serve`: any body must give a
// request or an error value (whose HTTP status is 4xx), never a crash or a hang; the SSE
// decoder of the remote backend must take any bytes; a parsed chat request re-serialised for a
// remote server must parse again.
// fuzz-libs: atelier_agents
// Run: build-fuzz/fuzz/fuzz_openai_request -max_total_time=20 tests/fuzz/corpus/fuzz_openai_request

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "atelier/agents/openai_protocol.h"
#include "atelier/agents/openai_sse.h"
#include "atelier/agents/remote_chat_backend.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace atelier::agents;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    auto chat = parseChatCompletionRequest(body, atelier::engine::ChatMode::Chat);
    if (!chat) {
        if (apiErrorFor(chat.error()).status >= 500) std::abort();
    } else if (!parseChatCompletionRequest(RemoteChatBackend::requestJson(chat->chat, "m", true),
                                           atelier::engine::ChatMode::Chat)) {
        std::abort();
    }
    auto completion = parseCompletionRequest(body);
    if (!completion && apiErrorFor(completion.error()).status >= 500) std::abort();
    SseDecoder sse(4096);
    for (std::size_t i = 0; i < size; i += 7) sse.feed(body.substr(i, 7));
    return 0;
}
