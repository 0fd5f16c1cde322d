#include "collector/api/http_server.h"

#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include "collector/api/errc.h"
#include "shared/log/log.h"

namespace tributary::collector::api {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

void send(http_request& req, HttpReply r) {
    http_response resp(static_cast<web::http::status_code>(r.status));
    std::string content_type = "application/octet-stream";
    for (const auto& [k, v] : r.headers) {
        if (k == "Content-Type")
            content_type = v;
        else
            resp.headers().add(k, v);
    }
    // Moved, not copied: GetRecords replies reach 13 MiB. Bytes pass through unchanged.
    resp.set_body(std::move(r.body), content_type);
    req.reply(resp).then([](pplx::task<void> t) {
        try {
            t.get();
        } catch (const std::exception& e) {
            TRIB_LOG(debug, "reply_failed").kv("what", e.what());
        }
    });
}

void send_text(http_request& req, int status, std::string body, const char* content_type) {
    HttpReply r;
    r.status = status;
    r.headers = {{"Content-Type", content_type}};
    r.body = std::move(body);
    send(req, std::move(r));
}

}  // namespace

struct HttpServer::Impl {
    Api& api;
    store::ShardStore& store;
    ServerOptions options;
    std::vector<std::unique_ptr<http_listener>> listeners;

    void serve(http_request req) {
        const auto& method = req.method();
        std::string path = req.relative_uri().path();
        if (method == web::http::methods::GET && path == "/health") {
            send_text(req, 200, "ok\n", "text/plain");
            return;
        }
        if (method == web::http::methods::GET && path == "/metrics") {
            std::string out;
            store.render_metrics(out);
            api.render_metrics(out);
            send_text(req, 200, std::move(out), "text/plain; version=0.0.4");
            return;
        }
        auto len = req.headers().content_length();
        if (len > options.max_body_bytes) {
            send_text(req, 413, "Request entity too large\n", "text/plain");
            return;
        }
        req.extract_vector().then([this, req](pplx::task<std::vector<unsigned char>> t) mutable {
            HttpExchange ex;
            try {
                auto body = t.get();
                ex.body.reserve(body.size() + 64);  // simdjson padding for the fast path
                ex.body.assign(body.begin(), body.end());
            } catch (const std::exception& e) {
                TRIB_LOG(debug, "body_read_failed").kv("what", e.what());
                return;
            }
            if (ex.body.size() > options.max_body_bytes) {
                send_text(req, 413, "Request entity too large\n", "text/plain");
                return;
            }
            ex.method = req.method();
            ex.target = req.request_uri().to_string();
            for (const auto& [k, v] : req.headers()) ex.headers.emplace_back(k, v);
            HttpReply reply;
            try {
                reply = api.handle(ex);
            } catch (const std::exception& e) {
                // Last line of defence: the request fails, the server stays up.
                TRIB_LOG(error, "request_exception").kv("what", e.what());
                reply.status = 500;
                reply.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                                 {"x-amzn-ErrorType", "InternalFailure"}};
                reply.body = R"({"__type":"InternalFailure"})";
            }
            send(req, std::move(reply));
        });
    }

    Result<void> open(const std::string& scheme, const std::string& hostport, bool tls) {
        http_listener_config cfg;
        cfg.set_timeout(std::chrono::seconds(120));
        if (tls) {
            std::string cert = options.tls_cert_file, key = options.tls_key_file;
            cfg.set_ssl_context_callback([cert, key](boost::asio::ssl::context& ctx) {
                ctx.set_options(boost::asio::ssl::context::default_workarounds |
                                boost::asio::ssl::context::no_sslv2 |
                                boost::asio::ssl::context::no_sslv3 |
                                boost::asio::ssl::context::no_tlsv1 |
                                boost::asio::ssl::context::no_tlsv1_1);
                ctx.use_certificate_chain_file(cert);
                ctx.use_private_key_file(key, boost::asio::ssl::context::pem);
            });
        }
        try {
            auto l = std::make_unique<http_listener>(scheme + "://" + hostport, cfg);
            l->support([this](http_request req) { serve(std::move(req)); });
            l->open().wait();
            listeners.push_back(std::move(l));
        } catch (const std::exception& e) {
            return fail(errc::internal_failure,
                        "cannot listen on " + scheme + "://" + hostport + ": " + e.what());
        }
        TRIB_LOG(info, "listening").kv("url", scheme + "://" + hostport);
        return {};
    }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(Api& api, store::ShardStore& store,
                                                      ServerOptions options) {
    static std::once_flag pool_once;
    std::call_once(pool_once, [n = options.threads] {
        crossplat::threadpool::initialize_with_threads(n);
    });
    auto impl = std::make_unique<Impl>(Impl{api, store, std::move(options), {}});
    TRIB_TRY_VOID(impl->open("http", impl->options.listen, false));
    if (!impl->options.tls_listen.empty())
        TRIB_TRY_VOID(impl->open("https", impl->options.tls_listen, true));
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::stop() {
    if (!impl_) return;
    for (auto& l : impl_->listeners) {
        try {
            l->close().wait();
        } catch (const std::exception& e) {
            TRIB_LOG(warn, "listener_close_failed").kv("what", e.what());
        }
    }
    impl_->listeners.clear();
}

}  // namespace tributary::collector::api
