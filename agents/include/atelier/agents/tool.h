#pragma once
// Tool: one action an agent can take (read a file range, search a PDF, show a commit). Each
// declares its name, a JSON schema of its arguments and the capabilities it needs; the
// registry validates arguments against the schema before run() is called, and bounds the
// result. Results carry where they came from so answers can cite them.
// Thread-safety: run() may be called from several agent threads at once; tools keep no
// mutable state.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/agents/policy.h"
#include "atelier/base/result.h"

namespace atelier::agents {

// What a tool may need; the policy grants file access per path, never network.
enum class Capability : std::uint32_t {
    ReadFiles = 1u << 0,
    WriteFiles = 1u << 1,
    Subprocess = 1u << 2,  // runs a process: only under the bubblewrap sandbox
    Mcp = 1u << 3,         // a tool of an external MCP server (also Subprocess)
};

// Where a piece of a result came from.
struct SourceRef {
    std::string kind;        // "file", "pdf", "git"
    std::string path;        // file or repository path
    int firstLine = 0;       // 1-based, 0 when not applicable
    int lastLine = 0;
    int page = 0;            // PDF page, 1-based
    std::string commit;      // git commit id

    nlohmann::json toJson() const;
};

struct ToolResult {
    std::string text;                 // what the model reads
    nlohmann::json data;              // structured form for the UI and the CLI
    std::vector<SourceRef> sources;
    bool truncated = false;           // more is available: see `next`
    nlohmann::json next;              // arguments that fetch the next page (null when complete)

    nlohmann::json toJson() const;
};

// What a running tool may touch. Every path goes through resolve(), which applies the policy
// (relative paths are resolved against the agent's workspace). Tools in plugin libraries use
// only this interface, so they link nothing from the host.
// Every call has a deadline (the runtime's per-call limit or the agent's wall budget, whichever
// ends first); a tool that loops polls expired() between files, pages or lines and stops with a
// result or error that says where it stopped.
class ToolContext {
public:
    using Clock = std::chrono::steady_clock;
    virtual ~ToolContext() = default;
    // The canonical path for `path` if the policy allows `access`, else a Denied error
    // naming the path and the rule.
    virtual Result<std::filesystem::path> resolve(const std::string& path, Access access) const = 0;
    virtual const std::filesystem::path& workspace() const = 0;
    // When the call must be over (time_point::max(): no deadline).
    virtual Clock::time_point deadline() const { return Clock::time_point::max(); }
    // The deadline has passed.
    bool expired() const { return Clock::now() >= deadline(); }
};

// The context the runtime and `atelier-cli tool run` give tools: a Policy, a workspace and
// optionally a deadline.
class PolicyToolContext final : public ToolContext {
public:
    PolicyToolContext(const Policy& policy, std::filesystem::path workspace,
                      Clock::time_point deadline = Clock::time_point::max())
        : m_policy(policy), m_workspace(std::move(workspace)), m_deadline(deadline) {}
    Result<std::filesystem::path> resolve(const std::string& path, Access access) const override;
    const std::filesystem::path& workspace() const override { return m_workspace; }
    Clock::time_point deadline() const override { return m_deadline; }

private:
    const Policy& m_policy;
    std::filesystem::path m_workspace;
    Clock::time_point m_deadline;
};

class Tool {
public:
    virtual ~Tool() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // A JSON schema ("type": "object") of the arguments.
    virtual nlohmann::json parameters() const = 0;
    virtual std::uint32_t capabilities() const = 0;  // Capability bits
    // Arguments have been validated against parameters() when this is called.
    virtual Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const = 0;
};

// Limits every result obeys, so a large file never floods the context silently.
inline constexpr std::size_t kMaxResultBytes = 32 * 1024;

}  // namespace atelier::agents
