// bench-libs: atelier_agents PkgConfig::CPP_HTTPLIB
// `atelier-cli serve` throughput: requests/s and completion tokens/s with 1, 4 and 16
// concurrent clients over loopback HTTP (POST /v1/completions with token ids, greedy), and the
// same load submitted in-process to the same GenerationService in the same run, so the HTTP
// overhead is their difference. Random weights in memory (seeded); every request has its own
// prompt, so the prefix cache serves neither path.
// Usage: bench_serve [preset=small] [clients=1,4,16] [requests-per-client=2] [max-tokens=16]
//                    [prompt-tokens=32]
// Wall-clock times: on a shared machine, run it when it is quiet.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "atelier/agents/openai_server.h"
#include "atelier/engine/generation_service.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/vocabulary.h"
#include "atelier/engine/weight_source.h"

using namespace atelier;
using Clock = std::chrono::steady_clock;

namespace {

struct Load {
    int clients = 1, requests = 2, maxTokens = 16, promptTokens = 32;
};

struct Outcome {
    double seconds = 0;
    std::int64_t requests = 0, tokens = 0;
};

std::vector<std::int32_t> promptOf(int n, std::uint32_t salt, std::int64_t vocab) {
    std::vector<std::int32_t> p(static_cast<std::size_t>(n));
    std::uint32_t s = 2463534242u ^ salt;
    for (auto& t : p) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        t = std::int32_t(s % std::uint32_t(vocab));
    }
    return p;
}

// Runs `perRequest(client, index)` (returns completion tokens, < 0 on failure) from
// `load.clients` threads, each `load.requests` times in sequence.
template <typename Fn>
Outcome drive(const Load& load, Fn perRequest) {
    std::atomic<std::int64_t> tokens{0}, done{0};
    const auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < load.clients; ++c)
        threads.emplace_back([&, c] {
            for (int i = 0; i < load.requests; ++i) {
                const std::int64_t n = perRequest(c, i);
                if (n < 0) std::fprintf(stderr, "request failed\n");
                else tokens += n, ++done;
            }
        });
    for (auto& t : threads) t.join();
    return {std::chrono::duration<double>(Clock::now() - t0).count(), done, tokens};
}

std::int64_t inProcess(engine::GenerationService& s, std::vector<std::int32_t> prompt,
                       int maxTokens, std::int32_t eos) {
    engine::GenerationRequest r;
    r.prompt = std::move(prompt);
    r.sampling.temperature = 0;
    r.stop.maxTokens = maxTokens;
    r.stop.stopTokens = {eos};  // as the server does
    std::int64_t n = -1;
    r.callbacks.onDone = [&n](const engine::GenerationResult& g) { n = g.usage.completionTokens; };
    r.callbacks.onError = [](const Error& e) { std::fprintf(stderr, "in-process: %s\n", e.message.c_str()); };
    auto h = s.submit(std::move(r));
    if (!h) return -1;
    h->wait();
    return n;
}

std::int64_t overHttp(httplib::Client& c, const std::vector<std::int32_t>& prompt, int maxTokens) {
    const nlohmann::json body{{"prompt", prompt}, {"max_tokens", maxTokens}, {"temperature", 0}};
    auto r = c.Post("/v1/completions", body.dump(), "application/json");
    if (!r || r->status != 200) {
        std::fprintf(stderr, "http: %s\n", r ? (std::to_string(r->status) + " " + r->body).c_str()
                                             : httplib::to_string(r.error()).c_str());
        return -1;
    }
    return nlohmann::json::parse(r->body)["usage"]["completion_tokens"].get<std::int64_t>();
}

std::vector<int> parseList(const char* text) {
    std::vector<int> out;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) out.push_back(std::atoi(item.c_str()));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string preset = argc > 1 ? argv[1] : "small";
    const std::vector<int> clients = parseList(argc > 2 ? argv[2] : "1,4,16");
    Load load;
    if (argc > 3) load.requests = std::atoi(argv[3]);
    if (argc > 4) load.maxTokens = std::atoi(argv[4]);
    if (argc > 5) load.promptTokens = std::atoi(argv[5]);
    auto config = engine::presetConfig(preset);
    if (!config) return std::fprintf(stderr, "%s\n", config.error().message.c_str()), 2;
    auto model = engine::Model::load(engine::randomWeights(*config, 7));
    if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
    const std::int64_t vocab = std::min<std::int64_t>(config->vocabSize, 32768);
    auto tok = engine::Tokenizer::fromVocabulary(engine::builtinVocabulary(vocab));
    if (!tok) return std::fprintf(stderr, "%s\n", tok.error().message.c_str()), 1;
    engine::GenerationOptions go;
    go.maxBatch = std::max(16, *std::max_element(clients.begin(), clients.end()));
    engine::GenerationService service(std::move(*model), go, *tok);
    agents::ServeOptions so;
    so.port = 0;
    agents::OpenAiServer server(so, service, *tok);
    auto port = server.start();
    if (!port) return std::fprintf(stderr, "%s\n", port.error().message.c_str()), 1;

    std::printf("preset %s, %d requests per client, %d prompt tokens, up to %d new tokens\n",
                preset.c_str(), load.requests, load.promptTokens, load.maxTokens);
    std::printf("%7s %6s %9s %9s %9s %9s %9s\n", "clients", "path", "req/s", "tok/s",
                "seconds", "tokens", "overhead");
    std::uint32_t salt = 1;
    for (int n : clients) {
        load.clients = n;
        const std::uint32_t base = salt;
        salt += std::uint32_t(n * load.requests * 2);
        auto local = drive(load, [&](int c, int i) {
            return inProcess(service, promptOf(load.promptTokens, base + std::uint32_t(c * load.requests + i), vocab),
                             load.maxTokens, tok->eosId());
        });
        std::vector<std::unique_ptr<httplib::Client>> http;
        for (int c = 0; c < n; ++c) {
            http.push_back(std::make_unique<httplib::Client>("127.0.0.1", *port));
            http.back()->set_read_timeout(600, 0);
        }
        const std::uint32_t httpBase = base + std::uint32_t(n * load.requests);
        auto remote = drive(load, [&](int c, int i) {
            return overHttp(*http[std::size_t(c)],
                            promptOf(load.promptTokens, httpBase + std::uint32_t(c * load.requests + i), vocab),
                            load.maxTokens);
        });
        for (const auto& [name, o] : {std::pair{"local", local}, std::pair{"http", remote}})
            std::printf("%7d %6s %9.2f %9.1f %9.2f %9lld %8.1f%%\n", n, name,
                        double(o.requests) / o.seconds, double(o.tokens) / o.seconds, o.seconds,
                        static_cast<long long>(o.tokens),
                        100.0 * (o.seconds - local.seconds) / local.seconds);
        std::fflush(stdout);
    }
    server.stop();
    return 0;
}
