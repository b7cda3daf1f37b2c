#pragma once
// Sandbox: runs a subprocess tool under bubblewrap (`bwrap`) with every namespace unshared (no
// network), a read-only minimal system (/usr and the /bin, /lib* links, the /etc pieces the
// dynamic loader needs), a private /tmp, a minimal /proc and /dev, and only the policy's grants
// bound (read-only or read-write as granted, after resolving symlinks); anything inside a grant
// that the policy denies (keys, .env, the data folder, other mounts) is masked. When `bwrap` is
// missing or cannot create namespaces, every sandboxed run is refused with a Denied error
// that says so: nothing ever runs unsandboxed.
//
// Resource limits: inside the sandbox the command runs under util-linux `prlimit` with
// RLIMIT_NPROC and RLIMIT_AS (SandboxSpec::maxProcesses, maxAddressSpaceBytes). They are set
// after bwrap has created the user namespace, so RLIMIT_NPROC counts the sandbox's own
// processes and threads rather than every process of the user. Linux exempts uid 0 from
// RLIMIT_NPROC: when Atelier runs as root only the time limit bounds a fork bomb (a warning
// says so once).
// Threads: the free functions are safe from any thread. A SandboxProcess is used by one thread
// at a time (its owner serialises access).

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "atelier/agents/policy.h"
#include "atelier/base/result.h"

namespace atelier::agents {

struct SandboxSpec {
    std::vector<std::string> argv;  // argv[0]: an absolute path, or a name found in /usr/bin, /bin
    std::vector<std::pair<std::string, std::string>> env;  // the only environment inside
    std::filesystem::path workdir = "/tmp";               // inside the sandbox
    // Executables or data outside the grants that must be visible read-only (an MCP server's
    // program and install tree). Resolved like grants, and bound before them (so a grant's
    // masks are never covered by them).
    std::vector<std::filesystem::path> extraReadOnly;
    std::chrono::milliseconds timeLimit{30000};  // wall time for Sandbox::run
    std::size_t maxOutputBytes = 64 * 1024;      // per stream for Sandbox::run
    // RLIMIT_NPROC inside the sandbox: processes plus threads of this uid in its namespace.
    // 0: no limit.
    std::uint64_t maxProcesses = 256;
    // RLIMIT_AS for each process inside (virtual address space, bytes; runtimes such as V8
    // reserve far more than they touch). 0: no limit.
    std::uint64_t maxAddressSpaceBytes = std::uint64_t(16) << 30;
    // Folders outside the grants bound read-write (an MCP server's state folder), after the
    // grants. They must exist.
    std::vector<std::filesystem::path> extraWritable;
    // Keep the host's network (and the /etc files name resolution and TLS read). Only for MCP
    // servers whose configuration asks for it; every other run has no network.
    bool network = false;
};

struct SandboxOutput {
    int exitCode = -1;    // -1 when killed by a signal
    int termSignal = 0;   // the signal that ended it, 0 when it exited
    bool timedOut = false;
    std::string out, err;  // at most maxOutputBytes each
    bool outTruncated = false, errTruncated = false;
};

class SandboxProcess;

namespace sandbox {

// The `bwrap` executable on PATH, or a Denied error saying subprocess tools are refused.
Result<std::filesystem::path> findBwrap();

// Whether sandboxed runs can work here: bwrap is on PATH and can create its namespaces (checked
// once per bwrap path by running `true` in a sandbox). The error says why not.
Result<void> available();

// The complete bwrap command line for `spec` under `policy` (bwrap path first).
Result<std::vector<std::string>> commandLine(const SandboxSpec& spec, const Policy& policy);

// Runs `spec` to completion: writes `input` to its stdin, captures stdout and stderr (bounded;
// the rest is read and dropped so the child never blocks), and kills its whole process group
// when the time limit passes (timedOut). A child that fails is not an error; a refused sandbox is.
Result<SandboxOutput> run(const SandboxSpec& spec, const Policy& policy, std::string_view input = {});

namespace detail {
// run() and SandboxProcess::start() without the availability check (the check's own probe).
Result<SandboxOutput> runUnchecked(const SandboxSpec& spec, const Policy& policy, std::string_view input);
Result<std::unique_ptr<SandboxProcess>> startUnchecked(const SandboxSpec& spec, const Policy& policy);
}  // namespace detail

}  // namespace sandbox

// A long-lived sandboxed process talking over stdin/stdout (MCP servers). Its stderr is drained
// into a bounded tail while reading. The destructor closes stdin, gives the process a moment to
// exit, then kills its process group and reaps it.
class SandboxProcess {
public:
    using Clock = std::chrono::steady_clock;

    static Result<std::unique_ptr<SandboxProcess>> start(const SandboxSpec& spec, const Policy& policy);
    ~SandboxProcess();
    SandboxProcess(const SandboxProcess&) = delete;
    SandboxProcess& operator=(const SandboxProcess&) = delete;

    // Writes all of `data` to stdin. An Io error when the process has closed it or exited.
    Result<void> write(std::string_view data, Clock::time_point deadline);
    // The next '\n'-terminated line of stdout, without the newline. Errors: NotFound when the
    // process closed stdout (it exited), Overflow when the deadline passes, BadInput when a
    // line exceeds `maxBytes`.
    Result<std::string> readLine(Clock::time_point deadline, std::size_t maxBytes);
    // Closes stdin (the conventional "please exit" for stdio servers).
    void closeInput();
    // Kills the whole process group and reaps it; idempotent.
    void kill();
    // "exited with status N" / "killed by signal N" once it has ended (reaping it), waiting up
    // to `grace` for that; else empty.
    std::string exitDescription(std::chrono::milliseconds grace = std::chrono::milliseconds(0));
    // The last few KiB the process wrote to stderr.
    std::string stderrTail() const { return m_errTail; }
    pid_t pid() const { return m_pid; }

private:
    SandboxProcess() = default;
    // Reads whatever stderr has ready into the tail (non-blocking).
    void drainStderr();
    bool reap(bool block);
    // Polls reap(false) for up to `grace`; whether the process has ended.
    bool awaitExit(std::chrono::milliseconds grace);
    // For run(): both streams to EOF or the deadline, bounded.
    void collect(Clock::time_point deadline, std::size_t maxBytes, SandboxOutput& out);

    pid_t m_pid = -1;  // the bwrap process, leader of its own process group
    int m_in = -1;     // our end of its stdin (a socket: writes never raise SIGPIPE)
    int m_out = -1;
    int m_err = -1;
    int m_status = 0;
    bool m_reaped = false;
    std::string m_outBuf;   // read but not yet returned
    std::string m_errTail;  // bounded

    friend Result<SandboxOutput> sandbox::detail::runUnchecked(const SandboxSpec&, const Policy&,
                                                               std::string_view);
    friend Result<std::unique_ptr<SandboxProcess>> sandbox::detail::startUnchecked(const SandboxSpec&,
                                                                                   const Policy&);
};

}  // namespace atelier::agents
