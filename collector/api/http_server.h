#pragma once
// HttpServer: carries Api over HTTP/1.1 (Boost.Beast on Boost.Asio), plain and optionally TLS
// (1.2 or later), and serves GET /health and GET /metrics beside the Kinesis endpoint. The only
// translation unit that includes Beast and Asio headers (they are heavy).
//
// Threads: `io_threads` threads run the sockets (accept, TLS, parsing, writing); each request is
// then handed to one of `threads` worker threads, because Api::handle() blocks until the
// store's group commit and the commit batches whatever is in flight. A connection carries one
// request at a time: pipelined requests wait, in order, in its buffer.
//
// Requests: a body is read straight into the string the handler gets, reserved for
// Content-Length + 64 bytes of padding (simdjson's). Content-Length above max_body_bytes is
// answered 413 before the body is read (also chunked bodies that outgrow it, as they arrive);
// `Expect: 100-continue` gets its interim answer; a malformed request gets 400; either closes
// the connection. Timeouts: 120 s for a request (header and body, counted from the end of the
// previous answer) and 120 s to write an answer; then the connection is closed.
//
// Lifecycle: start() opens the listeners and starts the threads; stop() (or the destructor)
// stops accepting, closes idle connections, lets the requests in flight be answered (at most
// 30 s), then joins every thread. Not copyable; stop() is called from one thread.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "collector/api/api.h"
#include "shared/result.h"

namespace tributary::collector::api {

struct ServerOptions {
    std::string listen = "127.0.0.1:4567";  // plain HTTP
    std::string tls_listen;                 // HTTPS, when set (with cert and key)
    std::string tls_cert_file, tls_key_file;
    size_t max_body_bytes = 16 << 20;  // a 10 MiB record base64-encodes to ~13.4 MiB
    size_t threads = 64;               // workers: the bound on requests in flight
    size_t io_threads = 0;             // socket threads; 0 = one per core, at least 2
    // Appends more Prometheus text to GET /metrics (modules above the API, e.g. the MQTT
    // ingest, whose counters the API cannot include). Called on a worker thread.
    std::function<void(std::string&)> extra_metrics;
};

class HttpServer {
public:
    // Errors: api::errc::internal_failure naming the address when a listener cannot open
    // (address in use or unresolvable, unreadable certificate or key).
    static Result<std::unique_ptr<HttpServer>> start(Api& api, store::ShardStore& store,
                                                     ServerOptions options);
    ~HttpServer();
    void stop();

private:
    struct Impl;
    explicit HttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::collector::api
