#pragma once
// BoundedHttpServer: cpp-httplib's Server with the bounds that its 0.11 connection loop lacks,
// so that slow or idle clients cannot hold the server (slowloris):
// - a deadline for each request's line and headers, counted from when the connection starts
//   waiting for it (however steadily the client trickles bytes), and one for its body;
// - at most 64 KiB of request line and headers;
// - a cap on concurrent connections. A new connection past the cap drops the connection that
//   has waited longest for a request (idle, or still sending its headers or body); when every
//   connection is being answered, the new one gets 503 and is closed.
// httplib calls the virtual process_and_close_socket() for each accepted socket on its pool;
// this class replaces that loop (httplib's own process_request() still parses and routes).
// Threads: configure and register routes before listening; the static functions are for
// handlers, on the connection's own thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <httplib.h>

namespace atelier::agents {

struct ConnectionLimits {
    int maxConnections = 64;
    std::chrono::milliseconds headerTimeout{10000};  // request line and headers
    std::chrono::milliseconds bodyTimeout{60000};    // the body, after the headers
    std::chrono::milliseconds idleTimeout{10000};    // silence on a socket (read or write)
    std::string busyBody;  // the JSON body of the 503 sent past the cap
};

class BoundedHttpServer : public httplib::Server {
public:
    explicit BoundedHttpServer(ConnectionLimits limits);

    // Registers a route whose handler marks its connection as being answered (no longer
    // dropped for a newcomer) before it runs.
    void get(const std::string& pattern, Handler handler);
    void post(const std::string& pattern, Handler handler);

    // From a handler (pre-routing or error): close the connection after this response, reading
    // and discarding what the client still sends for a short while so that it sees the answer
    // (an unread body would otherwise be taken for the next request).
    static void closeAfterResponse();

    // The address the listening socket is bound to (after bind_to_port), e.g. "127.0.0.1".
    std::string boundAddress() const;
    // Closes the listening socket of a server bound but never listening.
    void unbind();
    // Connections currently held (for tests and logs).
    std::size_t connectionCount() const;

private:
    bool process_and_close_socket(socket_t sock) override;
    // Admits a connection: its id, or 0 when every held one is being answered.
    std::uint64_t admit(int fd);
    void setReading(std::uint64_t id, bool reading);
    void forget(std::uint64_t id);
    bool stopping() const { return svr_sock_ == INVALID_SOCKET; }

    struct Held {
        int fd = -1;
        bool reading = true;  // waiting for, or reading, a request: may be dropped
        bool dropped = false;
        std::chrono::steady_clock::time_point since;  // start of the current phase
    };
    ConnectionLimits m_limits;
    mutable std::mutex m_mutex;
    std::map<std::uint64_t, Held> m_held;  // guarded by m_mutex
    std::uint64_t m_nextId = 0;            // guarded by m_mutex

    class Connection;
    // The connection the calling pool thread serves (httplib runs its handlers on that thread).
    static thread_local Connection* t_connection;
};

}  // namespace atelier::agents
