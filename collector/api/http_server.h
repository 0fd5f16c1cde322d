#pragma once
// HttpServer: carries Api over HTTP/1.1 (cpprestsdk http_listener), plain and optionally TLS,
// and serves GET /health and GET /metrics beside the Kinesis endpoint. The only translation
// unit that includes cpprestsdk headers (they are heavy).
//
// Lifecycle: start() opens the listeners; stop() (or the destructor) closes them after the
// requests in flight are answered.

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
    size_t threads = 64;
};

class HttpServer {
public:
    // Errors: api::errc::internal_failure naming the address when a listener cannot open.
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
