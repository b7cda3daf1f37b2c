// `atelier-cli serve` (CLI.md "Serving"): the OpenAI-compatible server on the loaded model.
// Prints the bound address (http://HOST:PORT) as the first line on stdout, then serves until
// SIGINT or SIGTERM. The signals are blocked before the server's threads start (they inherit
// the mask) and taken with sigwait() on the main thread.

#include <csignal>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <string>
#include <vector>

#include "atelier/agents/dsml_constraints.h"
#include "atelier/agents/openai_server.h"
#include "cli/generation_cli.h"

namespace atelier::cli {
namespace {

struct ServeArgs {
    std::string model;
    std::string mode = "chat";
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string apiKey;
    std::vector<std::string> cors;
    std::vector<std::string> allowHostHeaders;
};

std::string modelNameOf(const std::string& path) {
    std::filesystem::path p(path);
    while (!p.empty() && p.filename().empty()) p = p.parent_path();  // "dir/" -> "dir"
    if (p.filename() == "config.json") p = p.parent_path();
    return p.stem().string().empty() ? std::string("atelier") : p.stem().string();
}

int run(CliContext& ctx, const ServeArgs& a) {
    if (!agents::isLoopbackHost(a.host) && a.apiKey.empty())
        return ctx.fail(ErrorCode::Denied,
                        "refusing to serve on " + a.host +
                            " (not only loopback addresses) without --api-key");
    GenerationArgs gen;
    gen.model = a.model;
    gen.mode = a.mode;
    auto g = loadGenerator(ctx, gen);
    if (!g) return ctx.fail(g.error());

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    agents::ServeOptions options;
    options.host = a.host;
    options.port = a.port;
    options.apiKey = a.apiKey;
    options.corsOrigins = a.cors;
    options.allowedHostHeaders = a.allowHostHeaders;
    options.modelName = modelNameOf(a.model);
    options.defaultMode = g->mode;
    agents::OpenAiServer server(options, *g->service, g->tokenizer);
    server.chatBackend().setConstraintFactory(agents::dsmlChatConstraintFactory());
    auto port = server.start();
    if (!port) return ctx.fail(port.error());
    const bool v6 = a.host.find(':') != std::string::npos;
    std::cout << "http://" << (v6 ? "[" + a.host + "]" : a.host) << ":" << *port << std::endl;

    int received = 0;
    sigwait(&signals, &received);
    server.stop();
    return kExitOk;
}

void setupServe(CLI::App& root, CliContext& ctx) {
    auto* sub = root.add_subcommand("serve", "Serve the model over an OpenAI-compatible HTTP API");
    auto args = std::make_shared<ServeArgs>();
    sub->add_option("--model", args->model, "Model folder, config.json or .gguf file")->required();
    sub->add_option("--host", args->host, "Address to listen on (default 127.0.0.1)");
    sub->add_option("--port", args->port, "Port (default 8080; 0: any free port)")
        ->check(CLI::Range(0, 65535));
    sub->add_option("--api-key", args->apiKey,
                    "Require Authorization: Bearer KEY (needed off loopback)");
    sub->add_option("--cors", args->cors,
                    "Let web pages from ORIGIN (e.g. http://localhost:3000; '*' any) call the "
                    "server; other cross-origin browser requests get 403 (repeatable)");
    sub->add_option("--allow-host-header", args->allowHostHeaders,
                    "Also accept requests whose Host header is NAME (besides localhost, loopback "
                    "addresses and --host); others get 403 (repeatable)");
    sub->add_option("--mode", args->mode, "Default chat mode: chat (default), thinking or max")
        ->check(CLI::IsMember({"chat", "thinking", "max"}));
    sub->add_option("--numerics", ctx.options.numerics, "release (default) or plain")
        ->check(CLI::IsMember({"release", "plain"}));
    onRun(sub, ctx, [&ctx, args] { return run(ctx, *args); });
}

}  // namespace
ATELIER_CLI_COMMAND("serve", setupServe);
}  // namespace atelier::cli
