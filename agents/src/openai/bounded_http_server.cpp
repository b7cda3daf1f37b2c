// BoundedHttpServer (bounded_http_server.h): the connection loop with deadlines and the
// connection cap.

#include "bounded_http_server.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace atelier::agents {
namespace {

using Clock = std::chrono::steady_clock;

// Request line and headers together; httplib only bounds each line (8 KiB), not their number.
constexpr std::size_t kMaxHeaderBytes = 64u << 10;
// Waits are cut into slices so that a stopping server is noticed.
constexpr auto kSlice = std::chrono::milliseconds(200);
// After a refusal: how long and how much of the rest of the request is read and discarded.
constexpr auto kDrainTime = std::chrono::milliseconds(500);
constexpr std::size_t kDrainBytes = 16u << 20;

// poll() for `events` until `until`, in slices, giving up when `stop` says so. >0 ready.
int waitFor(int fd, short events, Clock::time_point until, const std::function<bool()>& stop) {
    for (;;) {
        using std::chrono::milliseconds;
        const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
        if (left.count() <= 0 || stop()) return 0;
        pollfd p{fd, events, 0};
        const int r = ::poll(&p, 1, int(std::min(left, milliseconds(kSlice)).count()));
        if (r < 0 && errno == EINTR) continue;
        if (r != 0) return r;
    }
}

// Half-closes and reads what the client still sends (bounded), so that closing does not reset
// the connection before the client has read the answer.
void lingerClose(int fd) {
    ::shutdown(fd, SHUT_WR);
    const auto until = Clock::now() + kDrainTime;
    char buf[16384];
    std::size_t drained = 0;
    while (drained < kDrainBytes && waitFor(fd, POLLIN, until, [] { return false; }) > 0) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        drained += std::size_t(n);
    }
}

void closeSocket(int fd, bool linger) {
    if (linger) lingerClose(fd);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
}

void addressOf(const sockaddr_storage& a, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
        ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        port = ntohs(v4.sin_port);
    } else if (a.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        port = ntohs(v6.sin6_port);
    }
    ip = text;
}

}  // namespace

// One accepted socket as httplib's Stream: reads are buffered and bounded by the current
// phase's deadline; the header phase is also bounded in bytes.
class BoundedHttpServer::Connection : public httplib::Stream {
public:
    enum class Phase { Header, Body, Answer };

    Connection(int fd, const ConnectionLimits& limits, std::function<bool()> stopping)
        : m_fd(fd), m_limits(limits), m_stopping(std::move(stopping)) {}

    // Starts waiting for the next request: its headers are due by the header deadline.
    void expectRequest() { enter(Phase::Header, m_limits.headerTimeout); }
    void headersDone() { enter(Phase::Body, m_limits.bodyTimeout); }
    void answering() {
        m_phase = Phase::Answer;
        if (onAnswering) onAnswering();
    }

    // Whether a request starts before the idle timeout and the header deadline.
    bool awaitRequest() {
        if (m_off < m_len) return true;
        const auto until = std::min(m_deadline, Clock::now() + m_limits.idleTimeout);
        return waitFor(m_fd, POLLIN, until, m_stopping) > 0;
    }

    bool closeAfterResponse = false;
    std::function<void()> onAnswering;  // tells the connection table

    bool is_readable() const override {
        return m_off < m_len || waitFor(m_fd, POLLIN, readLimit(), m_stopping) > 0;
    }
    bool is_writable() const override {
        // Not cut short by stop(): the answer to a request that stop() cancelled still goes out.
        if (waitFor(m_fd, POLLOUT, Clock::now() + m_limits.idleTimeout, [] { return false; }) <= 0)
            return false;
        // A peer that has closed reads as end of file: writing to it must fail at once, so
        // that a stream to a client that went away ends (and cancels its generation).
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return true;
        char b;
        return ::recv(m_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }

    ssize_t read(char* ptr, size_t size) override {
        if (m_off == m_len) {
            if (waitFor(m_fd, POLLIN, readLimit(), m_stopping) <= 0) return -1;
            const ssize_t n = ::recv(m_fd, m_buf, sizeof m_buf, 0);
            if (n <= 0) return n;
            m_off = 0;
            m_len = std::size_t(n);
        }
        const std::size_t n = std::min(size, m_len - m_off);
        if (m_phase == Phase::Header && (m_headerBytes += n) > kMaxHeaderBytes) return -1;
        std::memcpy(ptr, m_buf + m_off, n);
        m_off += n;
        return ssize_t(n);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (!is_writable()) return -1;
        return ::send(m_fd, ptr, size, MSG_NOSIGNAL);
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage a{};
        socklen_t len = sizeof a;
        if (::getpeername(m_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) addressOf(a, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage a{};
        socklen_t len = sizeof a;
        if (::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) addressOf(a, ip, port);
    }
    socket_t socket() const override { return m_fd; }

private:
    void enter(Phase phase, std::chrono::milliseconds budget) {
        m_phase = phase;
        m_headerBytes = 0;
        m_deadline = Clock::now() + budget;
    }
    // Reading waits at most the idle timeout, and never past the phase's deadline.
    Clock::time_point readLimit() const {
        const auto idle = Clock::now() + m_limits.idleTimeout;
        return m_phase == Phase::Answer ? idle : std::min(idle, m_deadline);
    }

    int m_fd;
    const ConnectionLimits& m_limits;
    std::function<bool()> m_stopping;
    Phase m_phase = Phase::Header;
    Clock::time_point m_deadline;
    std::size_t m_headerBytes = 0;
    char m_buf[4096];
    std::size_t m_off = 0, m_len = 0;
};

thread_local BoundedHttpServer::Connection* BoundedHttpServer::t_connection = nullptr;

BoundedHttpServer::BoundedHttpServer(ConnectionLimits limits) : m_limits(std::move(limits)) {
    // Past the cap a connection still needs a thread to be dropped or refused on.
    const std::size_t threads = std::size_t(std::max(1, m_limits.maxConnections)) + 8;
    new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
}

void BoundedHttpServer::get(const std::string& pattern, Handler handler) {
    Get(pattern, [h = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        if (t_connection) t_connection->answering();
        h(req, res);
    });
}

void BoundedHttpServer::post(const std::string& pattern, Handler handler) {
    Post(pattern, [h = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        if (t_connection) t_connection->answering();
        h(req, res);
    });
}

void BoundedHttpServer::closeAfterResponse() {
    if (t_connection) t_connection->closeAfterResponse = true;
}

std::string BoundedHttpServer::boundAddress() const {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    std::string ip;
    int port = 0;
    if (::getsockname(svr_sock_, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        addressOf(a, ip, port);
    return ip;
}

void BoundedHttpServer::unbind() {
    const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) ::close(sock);
}

std::size_t BoundedHttpServer::connectionCount() const {
    std::lock_guard lock(m_mutex);
    return m_held.size();
}

std::uint64_t BoundedHttpServer::admit(int fd) {
    std::lock_guard lock(m_mutex);
    const auto now = Clock::now();
    const auto live = std::count_if(m_held.begin(), m_held.end(),
                                    [](const auto& h) { return !h.second.dropped; });
    if (live >= std::max(1, m_limits.maxConnections)) {
        Held* oldest = nullptr;
        for (auto& [id, h] : m_held)
            if (h.reading && !h.dropped && (!oldest || h.since < oldest->since)) oldest = &h;
        if (!oldest) return 0;
        // Its thread sees end of file and lets the socket go. It is still held (a connection
        // is forgotten before its descriptor is closed), so the descriptor is still its own.
        ::shutdown(oldest->fd, SHUT_RDWR);
        oldest->dropped = true;
    }
    m_held.emplace(++m_nextId, Held{fd, true, false, now});
    return m_nextId;
}

void BoundedHttpServer::setReading(std::uint64_t id, bool reading) {
    std::lock_guard lock(m_mutex);
    auto it = m_held.find(id);
    if (it == m_held.end() || it->second.reading == reading) return;
    it->second.reading = reading;
    it->second.since = Clock::now();
}

void BoundedHttpServer::forget(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    m_held.erase(id);
}

bool BoundedHttpServer::process_and_close_socket(socket_t sock) {
    const std::uint64_t id = admit(sock);
    if (id == 0) {
        const std::string head =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: " +
            std::to_string(m_limits.busyBody.size()) + "\r\n\r\n";
        const std::string all = head + m_limits.busyBody;
        ::send(sock, all.data(), all.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        closeSocket(sock, true);
        return false;
    }
    Connection conn(sock, m_limits, [this] { return stopping(); });
    conn.onAnswering = [this, id] { setReading(id, false); };
    t_connection = &conn;
    bool ok = true;
    for (std::size_t count = keep_alive_max_count_; count > 0 && !stopping(); --count) {
        conn.expectRequest();
        setReading(id, true);
        if (!conn.awaitRequest()) break;
        bool closed = false;
        ok = process_request(
            conn, count == 1, closed, [&conn](httplib::Request&) { conn.headersDone(); });
        setReading(id, false);
        if (!ok || closed || conn.closeAfterResponse) break;
    }
    t_connection = nullptr;
    // Forgotten first: admit() shuts down only held descriptors, never one closed and reused.
    forget(id);
    closeSocket(sock, conn.closeAfterResponse);
    return ok;
}

}  // namespace atelier::agents
