// Spawning, feeding, reading and killing sandboxed processes (see sandbox.h).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "atelier/agents/sandbox.h"
#include "atelier/base/log.h"

extern char** environ;

namespace atelier::agents {
namespace {

constexpr std::size_t kErrTailBytes = 4096;
constexpr std::size_t kChunk = 16384;

int msUntil(SandboxProcess::Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - SandboxProcess::Clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

void closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

void appendBounded(std::string& to, const char* data, std::size_t n, std::size_t cap, bool& truncated) {
    const std::size_t room = to.size() < cap ? cap - to.size() : 0;
    to.append(data, std::min(room, n));
    if (n > room) truncated = true;
}

// posix_spawn of `argv` in its own process group with the three pipe ends as 0, 1 and 2, every
// other descriptor closed and the default signal dispositions restored.
Result<pid_t> spawn(const std::vector<std::string>& argv, int in, int out, int err) {
    std::vector<char*> cargv;
    for (const auto& s : argv) cargv.push_back(const_cast<char*>(s.c_str()));
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in, 0);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, err, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, sig);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, cargv[0], &actions, &attr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) return unexpected(Error::io("cannot start " + argv[0] + ": " + std::strerror(rc)));
    return pid;
}

}  // namespace

namespace sandbox::detail {

Result<std::unique_ptr<SandboxProcess>> startUnchecked(const SandboxSpec& spec, const Policy& policy) {
    auto argv = commandLine(spec, policy);
    if (!argv) return unexpected(argv.error());
    int inPair[2], outPipe[2], errPipe[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inPair) != 0)
        return unexpected(Error::io(std::string("socketpair: ") + std::strerror(errno)));
    if (::pipe2(outPipe, O_CLOEXEC) != 0) {
        ::close(inPair[0]), ::close(inPair[1]);
        return unexpected(Error::io(std::string("pipe: ") + std::strerror(errno)));
    }
    if (::pipe2(errPipe, O_CLOEXEC) != 0) {
        for (int fd : {inPair[0], inPair[1], outPipe[0], outPipe[1]}) ::close(fd);
        return unexpected(Error::io(std::string("pipe: ") + std::strerror(errno)));
    }
    auto pid = spawn(*argv, inPair[1], outPipe[1], errPipe[1]);
    for (int fd : {inPair[1], outPipe[1], errPipe[1]}) ::close(fd);
    std::unique_ptr<SandboxProcess> p(new SandboxProcess());
    p->m_in = inPair[0];
    p->m_out = outPipe[0];
    p->m_err = errPipe[0];
    if (!pid) return unexpected(pid.error());  // the destructor closes our ends
    p->m_pid = *pid;
    for (int fd : {p->m_in, p->m_out, p->m_err}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    logger("agents")->debug("sandbox: started pid {} for {}", p->m_pid, spec.argv.front());
    return p;
}

Result<SandboxOutput> runUnchecked(const SandboxSpec& spec, const Policy& policy, std::string_view input) {
    const auto deadline = SandboxProcess::Clock::now() + spec.timeLimit;
    auto p = startUnchecked(spec, policy);
    if (!p) return unexpected(p.error());
    SandboxOutput out;
    // A child that never reads its input is fine: what it did not take is dropped.
    if (!input.empty()) (void)(*p)->write(input, std::min(deadline, SandboxProcess::Clock::now() +
                                                                     std::chrono::seconds(5)));
    (*p)->closeInput();
    (*p)->collect(deadline, spec.maxOutputBytes, out);
    if (out.timedOut) (*p)->kill();
    (*p)->reap(true);
    const int status = (*p)->m_status;
    if (WIFEXITED(status)) out.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) out.termSignal = WTERMSIG(status);
    return out;
}

}  // namespace sandbox::detail

Result<SandboxOutput> sandbox::run(const SandboxSpec& spec, const Policy& policy, std::string_view input) {
    if (auto ok = available(); !ok) return unexpected(ok.error());
    return detail::runUnchecked(spec, policy, input);
}

Result<std::unique_ptr<SandboxProcess>> SandboxProcess::start(const SandboxSpec& spec, const Policy& policy) {
    if (auto ok = sandbox::available(); !ok) return unexpected(ok.error());
    return sandbox::detail::startUnchecked(spec, policy);
}

SandboxProcess::~SandboxProcess() {
    if (m_pid > 0 && !m_reaped) {
        closeInput();
        // Stdio servers exit on EOF; give it a moment before the SIGKILL.
        awaitExit(std::chrono::milliseconds(300));
        kill();
    }
    closeFd(m_in);
    closeFd(m_out);
    closeFd(m_err);
}

Result<void> SandboxProcess::write(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
        if (m_in < 0) return unexpected(Error::io("the process's input is closed"));
        pollfd pfd{m_in, POLLOUT, 0};
        const int ready = ::poll(&pfd, 1, msUntil(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) return unexpected(ErrorCode::Overflow, "the process did not take its input in time");
        const ssize_t n = ::send(m_in, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return unexpected(Error::io(std::string("the process closed its input: ") + std::strerror(errno)));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

void SandboxProcess::drainStderr() {
    char buf[kChunk];
    while (m_err >= 0) {
        const ssize_t n = ::read(m_err, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;  // EAGAIN: nothing more now
        if (n == 0) {
            closeFd(m_err);
            return;
        }
        m_errTail.append(buf, static_cast<std::size_t>(n));
        if (m_errTail.size() > kErrTailBytes) m_errTail.erase(0, m_errTail.size() - kErrTailBytes);
    }
}

Result<std::string> SandboxProcess::readLine(Clock::time_point deadline, std::size_t maxBytes) {
    char buf[kChunk];
    for (;;) {
        if (auto nl = m_outBuf.find('\n'); nl != std::string::npos) {
            std::string line = m_outBuf.substr(0, nl);
            m_outBuf.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return line;
        }
        if (m_outBuf.size() > maxBytes)
            return unexpected(ErrorCode::BadInput, "a line of output exceeds " + std::to_string(maxBytes) + " bytes");
        if (m_out < 0) return unexpected(Error::notFound("the process closed its output"));
        pollfd pfds[2] = {{m_out, POLLIN, 0}, {m_err, POLLIN, 0}};
        const int ready = ::poll(pfds, m_err >= 0 ? 2 : 1, msUntil(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) return unexpected(ErrorCode::Overflow, "no answer before the deadline");
        if (m_err >= 0 && pfds[1].revents) drainStderr();
        if (!pfds[0].revents) continue;
        const ssize_t n = ::read(m_out, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
            closeFd(m_out);
            drainStderr();
            continue;
        }
        m_outBuf.append(buf, static_cast<std::size_t>(n));
    }
}

void SandboxProcess::collect(Clock::time_point deadline, std::size_t maxBytes, SandboxOutput& out) {
    char buf[kChunk];
    int* fds[2] = {&m_out, &m_err};
    std::string* into[2] = {&out.out, &out.err};
    bool* cut[2] = {&out.outTruncated, &out.errTruncated};
    while (m_out >= 0 || m_err >= 0) {
        pollfd pfds[2] = {{m_out, POLLIN, 0}, {m_err, POLLIN, 0}};  // fd -1 is ignored by poll
        const int ready = ::poll(pfds, 2, msUntil(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            out.timedOut = true;
            return;
        }
        for (int i = 0; i < 2; ++i) {
            if (*fds[i] < 0 || !pfds[i].revents) continue;
            const ssize_t n = ::read(*fds[i], buf, sizeof buf);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (n <= 0) closeFd(*fds[i]);
            else appendBounded(*into[i], buf, static_cast<std::size_t>(n), maxBytes, *cut[i]);
        }
    }
}

void SandboxProcess::closeInput() { closeFd(m_in); }

bool SandboxProcess::reap(bool block) {
    if (m_reaped || m_pid <= 0) return true;
    for (;;) {
        const pid_t r = ::waitpid(m_pid, &m_status, block ? 0 : WNOHANG);
        if (r < 0 && errno == EINTR) continue;
        if (r == m_pid || r < 0) m_reaped = true;  // r < 0: not our child any more
        return m_reaped;
    }
}

void SandboxProcess::kill() {
    if (m_pid <= 0 || m_reaped) return;
    // The group holds bwrap; everything inside dies with its pid namespace (--die-with-parent).
    ::kill(-m_pid, SIGKILL);
    reap(true);
}

bool SandboxProcess::awaitExit(std::chrono::milliseconds grace) {
    const auto until = Clock::now() + grace;
    while (!reap(false)) {
        if (Clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

std::string SandboxProcess::exitDescription(std::chrono::milliseconds grace) {
    if (!awaitExit(grace)) return {};
    if (WIFEXITED(m_status)) return "exited with status " + std::to_string(WEXITSTATUS(m_status));
    if (WIFSIGNALED(m_status)) return "killed by signal " + std::to_string(WTERMSIG(m_status));
    return "ended";
}

}  // namespace atelier::agents
