#include "agent/engine/status_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shared/log/log.h"

namespace tributary::agent::engine {
namespace {

constexpr size_t kMaxRequest = 8192;
constexpr int kClientTimeoutMs = 2000;

const char* reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        default: return "Internal Server Error";
    }
}

void write_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the client went away; nothing to do
        off += static_cast<size_t>(n);
    }
}

// Reads up to the end of the request head (a GET has no body we care about). Returns the
// request line, or empty on timeout/garbage.
std::string read_request_line(int fd) {
    std::string buf;
    char chunk[1024];
    while (buf.size() < kMaxRequest && buf.find("\r\n\r\n") == std::string::npos &&
           buf.find("\n\n") == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, kClientTimeoutMs) <= 0) break;
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
    }
    auto eol = buf.find_first_of("\r\n");
    return eol == std::string::npos ? std::string() : buf.substr(0, eol);
}

}  // namespace

Result<std::unique_ptr<StatusServer>> StatusServer::start(const std::string& listen,
                                                         Handler handler) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos)
        return fail(std::make_error_code(std::errc::invalid_argument), "statusListen '" + listen + "': expected HOST:PORT");
    std::string host = listen.substr(0, colon);
    if (host == "localhost") host = "127.0.0.1";
    int port = 0;
    try {
        port = std::stoi(listen.substr(colon + 1));
    } catch (const std::exception&) {
        port = -1;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (port < 0 || port > 65535 || ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
        return fail(std::make_error_code(std::errc::invalid_argument),
                    "statusListen '" + listen + "': expected an IPv4 HOST:PORT");
    addr.sin_port = htons(static_cast<uint16_t>(port));
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(std::make_error_code(std::errc::io_error), std::string("socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
        std::string why = std::strerror(errno);
        ::close(fd);
        return fail(std::make_error_code(std::errc::address_in_use), "cannot listen on " + listen + ": " + why);
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::unique_ptr<StatusServer> s(new StatusServer(fd, ntohs(addr.sin_port), std::move(handler)));
    s->thread_ = std::thread([raw = s.get()] { raw->run(); });
    TRIB_LOG(info, "status_listening").kv("url", "http://" + host + ":" + std::to_string(s->port_));
    return s;
}

StatusServer::StatusServer(int fd, uint16_t port, Handler handler)
    : fd_(fd), port_(port), handler_(std::move(handler)) {}

StatusServer::~StatusServer() { stop(); }

void StatusServer::stop() {
    if (stopping_.exchange(true)) return;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
}

void StatusServer::run() {
    while (!stopping_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        std::string request = read_request_line(c);
        StatusPage page;
        auto sp1 = request.find(' '), sp2 = request.rfind(' ');
        if (request.empty() || sp1 == std::string::npos || sp2 == sp1) {
            page = {400, "text/plain", "bad request\n"};
        } else if (request.compare(0, sp1, "GET") != 0) {
            page = {405, "text/plain", "only GET\n"};
        } else {
            std::string path = request.substr(sp1 + 1, sp2 - sp1 - 1);
            path = path.substr(0, path.find('?'));
            try {
                page = handler_(path);
            } catch (const std::exception& e) {
                page = {500, "text/plain", std::string("error: ") + e.what() + "\n"};
            }
        }
        std::string head = "HTTP/1.1 " + std::to_string(page.status) + " " + reason(page.status) +
                           "\r\nContent-Type: " + page.content_type +
                           "\r\nContent-Length: " + std::to_string(page.body.size()) +
                           "\r\nConnection: close\r\n\r\n";
        write_all(c, head + page.body);
        ::close(c);
    }
}

}  // namespace tributary::agent::engine
