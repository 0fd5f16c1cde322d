#pragma once
// A minimal blocking HTTP/1.1 keep-alive client for the load generators: just enough of the
// protocol to send a prebuilt Kinesis JSON 1.1 request and read one response framed by
// Content-Length, chunked transfer-coding or connection close. No cpprestsdk here: a client that
// costs as much CPU as the server would measure itself.
//
// One HttpConn belongs to one thread. It connects lazily and reconnects after the peer closes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/result.h"

namespace tributary::bench {

struct Endpoint {
    std::string host;  // a numeric IPv4 address; benchmarks only target loopback
    uint16_t port = 0;
};

// "127.0.0.1:4567" → Endpoint. Errors: std::errc::invalid_argument.
Result<Endpoint> parse_endpoint(std::string_view text);

// The full bytes of `POST /` for action `target` (e.g. "PutRecords") with `body`, including a
// syntactically valid (unsigned) SigV4 Authorization header: emulators check its presence only.
std::string build_request(const Endpoint& ep, std::string_view target, std::string_view body);

struct Response {
    int status = 0;
    std::string body;  // de-chunked
};

class HttpConn {
public:
    explicit HttpConn(Endpoint ep) : ep_(std::move(ep)) {}
    ~HttpConn() { close(); }
    HttpConn(const HttpConn&) = delete;
    HttpConn& operator=(const HttpConn&) = delete;

    // Sends `request` (from build_request) and reads one response into `out`. A kept-alive
    // connection that turns out closed before any response byte is retried once on a new one.
    // Errors: system category (ECONNREFUSED, ECONNRESET, ...) or std::errc::bad_message for a
    // response that is not HTTP/1.x. After an error the connection is closed.
    Result<void> roundtrip(std::string_view request, Response& out);

    void close();

private:
    Result<void> connect();
    Result<void> send_all(std::string_view data);
    Result<void> read_response(Response& out);
    // Reads more bytes into in_; false at end of stream.
    Result<bool> fill();
    Result<std::string_view> read_line();  // without the CRLF
    Result<void> read_exact(size_t n, std::string& out);

    Endpoint ep_;
    int fd_ = -1;
    bool fresh_ = false;  // no response has been read on this connection yet
    std::vector<char> in_ = std::vector<char>(size_t(1) << 18);
    size_t beg_ = 0, end_ = 0;  // unread bytes are in_[beg_, end_)
};

}  // namespace tributary::bench
