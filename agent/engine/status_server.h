#pragma once
// StatusServer: the agent's local HTTP endpoint (statusListen, loopback by default) for
// operators and scrapers: GET /health, GET /status (JSON), GET /metrics (Prometheus text).
// Deliberately tiny — one thread, one request per connection, plain sockets — because it serves
// a person or a scraper every few seconds and the agent must stay small.
//
// Lifecycle: start() binds and starts the thread; stop() (or the destructor) closes the socket
// and joins. Handlers run on the server thread.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "shared/result.h"

namespace tributary::agent::engine {

struct StatusPage {
    int status = 200;
    std::string content_type = "text/plain";
    std::string body;
};

class StatusServer {
public:
    using Handler = std::function<StatusPage(const std::string& path)>;
    // `listen` is HOST:PORT (an IPv4 address or "localhost"). Errors: the address does not parse
    // or cannot be bound (the message names it).
    static Result<std::unique_ptr<StatusServer>> start(const std::string& listen, Handler handler);
    ~StatusServer();
    void stop();
    uint16_t port() const { return port_; }

private:
    StatusServer(int fd, uint16_t port, Handler handler);
    void run();

    int fd_;
    uint16_t port_;
    Handler handler_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace tributary::agent::engine
