#include "collector/api/http_server.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "collector/api/errc.h"
#include "shared/log/log.h"

namespace tributary::collector::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr auto kIdleTimeout = std::chrono::seconds(120);  // read, write and TLS handshake
constexpr auto kLingerTimeout = std::chrono::seconds(2);  // draining a peer before close
constexpr auto kStopGrace = std::chrono::seconds(30);     // in-flight requests at stop()
constexpr std::uint32_t kHeaderLimit = 64 << 10;
constexpr size_t kReadBuffer = 64 << 10;  // Beast's read size cap; see Session()
constexpr size_t kJsonPadding = 64;  // simdjson reads up to 64 bytes past the end

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

bool is_http_error(const error_code& ec) {
    return ec.category() == make_error_code(http::error::bad_method).category();
}

void name_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

// What a client going away looks like; logged at debug level, never as an error.
bool is_disconnect(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::operation_aborted || ec == net::error::connection_reset ||
           ec == net::error::broken_pipe || ec == beast::error::timeout ||
           ec == net::ssl::error::stream_truncated || ec == http::error::partial_message;
}

HttpReply internal_failure() {
    HttpReply r;
    r.status = 500;
    r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                 {"x-amzn-ErrorType", "InternalFailure"}};
    r.body = R"({"__type":"InternalFailure"})";
    return r;
}

HttpReply text_reply(int status, std::string body, const char* content_type) {
    HttpReply r;
    r.status = status;
    r.headers = {{"Content-Type", content_type}};
    r.body = std::move(body);
    return r;
}

// Runs api.handle and the /metrics rendering off the I/O threads: handle() blocks until the
// store's group commit, so the pool's size bounds the requests in flight. Jobs never throw.
class WorkerPool {
public:
    explicit WorkerPool(size_t n) {
        for (size_t i = 0; i < n; ++i)
            threads_.emplace_back([this] {
                name_thread("trib-http-work");
                run();
            });
    }
    ~WorkerPool() { join(); }

    void submit(std::function<void()> job) {
        {
            std::lock_guard lock(mu_);
            jobs_.push_back(std::move(job));
        }
        cv_.notify_one();
    }

    // Finishes the queued jobs, then joins.
    void join() {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

private:
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            try {
                job();
            } catch (...) {
                // Jobs catch their own exceptions; this only keeps e.g. bad_alloc in the
                // hand-back from ending the process.
                TRIB_LOG(error, "worker_exception");
            }
        }
    }

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// What every connection shares with the server. Sessions register themselves so stop() can
// close the idle ones and wait for the busy ones.
struct Shared {
    Api& api;
    store::ShardStore& store;
    ServerOptions options;
    WorkerPool pool;
    std::atomic<bool> stopping{false};

    std::mutex mu;
    std::condition_variable sessions_done;
    uint64_t next_id = 0;
    std::unordered_map<uint64_t, std::function<void()>> stop_hooks;  // id -> "stop if idle"

    Shared(Api& a, store::ShardStore& s, ServerOptions o)
        : api(a), store(s), options(std::move(o)), pool(std::max<size_t>(options.threads, 1)) {}

    uint64_t add_session(std::function<void()> stop_hook) {
        std::lock_guard lock(mu);
        stop_hooks.emplace(++next_id, std::move(stop_hook));
        return next_id;
    }
    void remove_session(uint64_t id) {
        std::lock_guard lock(mu);
        stop_hooks.erase(id);
        if (stop_hooks.empty()) sessions_done.notify_all();
    }
};

// One connection: read a request, answer it, repeat. Strictly one request at a time, so
// pipelined requests are answered in order (the next one waits, parsed or not, in buffer_).
// Every member is touched only on the connection's I/O thread, except req_ and reply_, which
// the worker owns between submit() and the post back to that thread.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
public:
    Session(Shared& shared, Stream stream) : shared_(shared), stream_(std::move(stream)) {
        // Beast reads at most what the buffer has room for (at least 512 bytes, at most 64 KiB):
        // left at its initial size, a 700 KB body took ~1,400 recvmsg calls, each with an epoll
        // round and a timer update.
        buffer_.reserve(kReadBuffer);
    }

    ~Session() { shared_.remove_session(id_); }

    void start() {
        std::weak_ptr<Session> weak = this->shared_from_this();
        id_ = shared_.add_session([weak] {
            if (auto s = weak.lock())
                net::dispatch(s->stream_.get_executor(), [s] { s->stop_if_idle(); });
        });
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
            if constexpr (kTls) {
                self->waiting_for_request_ = true;  // stop() need not wait for a handshake
                beast::get_lowest_layer(self->stream_).expires_after(kIdleTimeout);
                self->stream_.async_handshake(
                    ssl::stream_base::server,
                    [self](error_code ec) {
                        self->waiting_for_request_ = false;
                        if (ec) return self->fail("tls_handshake", ec);
                        self->read_header();
                    });
            } else {
                self->read_header();
            }
        });
    }

private:
    static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

    void read_header() {
        if (shared_.stopping) return close();
        waiting_for_request_ = true;
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        parser_->body_limit(shared_.options.max_body_bytes);
        beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = this->shared_from_this()](error_code ec, size_t) {
                                    self->on_header(ec);
                                });
    }

    void on_header(error_code ec) {
        waiting_for_request_ = false;
        if (ec == http::error::body_limit)  // Content-Length above max_body_bytes
            return answer_and_close(text_reply(413, "Request entity too large\n", "text/plain"));
        if (ec) return fail("read_header", ec);
        auto& req = parser_->get();
        // A recycled buffer when one is big enough (its pages are mapped already); the string
        // reader's own reserve(len) keeps the larger capacity.
        if (auto len = parser_->content_length(); len && *len > 0)
            req.body() = shared_.api.body_buffers().take(*len + kJsonPadding);
        if (req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue")) {
            continue_.emplace(http::status::continue_, req.version());
            http::async_write(stream_, *continue_,
                              [self = this->shared_from_this()](error_code ec, size_t) {
                                  self->continue_.reset();
                                  if (ec) return self->fail("write_continue", ec);
                                  self->read_body();
                              });
            return;
        }
        read_body();
    }

    void read_body() {
        if (parser_->is_done()) return on_request();
        http::async_read(stream_, buffer_, *parser_,
                         [self = this->shared_from_this()](error_code ec, size_t) {
                             if (ec == http::error::body_limit)  // chunked, over the limit
                                 return self->answer_and_close(
                                     text_reply(413, "Request entity too large\n", "text/plain"));
                             if (ec) return self->fail("read_body", ec);
                             self->on_request();
                         });
    }

    void on_request() {
        req_ = parser_->release();
        parser_.reset();
        keep_alive_ = req_.keep_alive();
        version_ = req_.version();
        std::string_view target = sv(req_.target());
        std::string_view path = target.substr(0, target.find('?'));
        if (req_.method() == http::verb::get && path == "/health") {
            reply_ = text_reply(200, "ok\n", "text/plain");
            return write_reply();
        }
        shared_.pool.submit([self = this->shared_from_this()] { self->handle(); });
    }

    // On a worker thread.
    void handle() {
        try {
            std::string_view target = sv(req_.target());
            if (req_.method() == http::verb::get && target.substr(0, target.find('?')) == "/metrics") {
                std::string out;
                shared_.store.render_metrics(out);
                shared_.api.render_metrics(out);
                if (shared_.options.extra_metrics) shared_.options.extra_metrics(out);
                reply_ = text_reply(200, std::move(out), "text/plain; version=0.0.4");
            } else {
                HttpExchange ex;
                ex.method = std::string(req_.method_string());
                ex.target = std::string(target);
                for (const auto& f : req_)
                    ex.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
                ex.body = std::move(req_.body());
                // Chunked bodies arrive without a length to reserve for: pad them here.
                if (ex.body.capacity() < ex.body.size() + kJsonPadding)
                    ex.body.reserve(ex.body.size() + kJsonPadding);
                reply_ = shared_.api.handle(ex);
                shared_.api.body_buffers().give(std::move(ex.body));
            }
        } catch (const std::exception& e) {
            // Last line of defence: the request fails, the server stays up.
            TRIB_LOG(error, "request_exception").kv("what", e.what());
            reply_ = internal_failure();
        } catch (...) {
            TRIB_LOG(error, "request_exception").kv("what", "not a std::exception");
            reply_ = internal_failure();
        }
        req_ = {};
        net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->write_reply(); });
    }

    void write_reply() {
        res_ = {};
        res_.version(version_);  // an HTTP/1.0 client is answered in 1.0 (keep-alive explicit)
        res_.result(static_cast<unsigned>(reply_.status));
        bool content_type = false;
        for (auto& [k, v] : reply_.headers) {
            if (beast::iequals(k, "Content-Type")) {
                if (content_type) continue;  // the first wins, as one Content-Type is allowed
                content_type = true;
                res_.set(http::field::content_type, v);
            } else {
                res_.insert(k, v);
            }
        }
        if (!content_type) res_.set(http::field::content_type, "application/octet-stream");
        // Moved, not copied: GetRecords replies reach 14 MB. Bytes pass through unchanged.
        res_.body() = std::move(reply_.body);
        reply_ = {};
        res_.keep_alive(keep_alive_ && !shared_.stopping);
        res_.prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
        http::async_write(stream_, res_, [self = this->shared_from_this()](error_code ec, size_t) {
            bool again = self->res_.keep_alive();
            self->shared_.api.recycle(std::move(self->res_.body()));
            self->res_ = {};  // frees a large answer before the connection idles
            if (ec) return self->fail("write", ec);
            if (!again) return self->close();
            self->read_header();
        });
    }

    // For errors found before the body was read: the rest of the request cannot be skipped
    // reliably, so the connection ends after the answer.
    void answer_and_close(HttpReply reply) {
        parser_.reset();
        req_ = {};
        keep_alive_ = false;
        version_ = 11;
        reply_ = std::move(reply);
        write_reply();
    }

    void fail(const char* what, error_code ec) {
        if (is_disconnect(ec)) {
            TRIB_LOG(debug, "connection_closed").kv("at", what).kv("why", ec.message());
            return close();
        }
        // A malformed request: say so, then close (the stream cannot be resynchronised).
        TRIB_LOG(debug, "bad_request").kv("at", what).kv("why", ec.message());
        if (is_http_error(ec) && !answered_bad_request_) {
            answered_bad_request_ = true;
            return answer_and_close(text_reply(400, "Bad request: " + ec.message() + "\n",
                                               "text/plain"));
        }
        close();
    }

    // Ends the connection politely: our FIN (or TLS close_notify) first, then a short read of
    // whatever the peer still sends, so a client that has not finished sending reads our answer
    // instead of a reset.
    void close() {
        if (closing_) return;
        closing_ = true;
        auto& tcp = beast::get_lowest_layer(stream_);
        if (stopped_idle_) return tcp.close();  // nothing to say to an idle peer at stop()
        tcp.expires_after(kLingerTimeout);
        if constexpr (kTls) {
            stream_.async_shutdown([self = this->shared_from_this()](error_code) {
                beast::get_lowest_layer(self->stream_).close();
            });
        } else {
            error_code ignored;
            tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
            drain();
        }
    }

    void drain() {
        auto& tcp = beast::get_lowest_layer(stream_);
        tcp.async_read_some(net::buffer(discard_),
                            [self = this->shared_from_this()](error_code ec, size_t) {
                                if (ec) return beast::get_lowest_layer(self->stream_).close();
                                self->drain();
                            });
    }

    void stop_if_idle() {
        if (waiting_for_request_ && buffer_.size() == 0) {
            stopped_idle_ = true;
            beast::get_lowest_layer(stream_).socket().cancel();
        }
    }

    Shared& shared_;
    Stream stream_;
    uint64_t id_ = 0;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::empty_body>> continue_;
    http::request<http::string_body> req_;
    HttpReply reply_;
    http::response<http::string_body> res_;
    bool keep_alive_ = false;
    unsigned version_ = 11;
    bool waiting_for_request_ = false;
    bool answered_bad_request_ = false;
    bool closing_ = false;
    bool stopped_idle_ = false;
    std::array<char, 4096> discard_{};
};

}  // namespace

// One io_context per I/O thread, each connection bound to one of them for its life. Two
// threads sharing one io_context made ~54 context switches per 700 KB request on the I/O
// threads (Asio's scheduler wakes an idle thread for the handlers it queues; measured while
// reads were still 512 bytes, so with 64 KiB reads the gap is smaller); a single-threaded
// io_context runs its handlers itself, in order, and needs no strands.
struct IoThread {
    net::io_context ioc{1};
    net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
    std::thread thread;
};

struct HttpServer::Impl {
    Shared shared;
    std::optional<ssl::context> tls;
    std::vector<std::unique_ptr<IoThread>> io;  // after tls: sessions die before the context
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    size_t next_io = 0;  // round robin; used on the first I/O thread only (accept handlers)
    bool stopped = false;

    Impl(Api& api, store::ShardStore& store, ServerOptions options)
        : shared(api, store, std::move(options)) {
        for (size_t i = 0; i < io_thread_count(); ++i) io.push_back(std::make_unique<IoThread>());
    }

    size_t io_thread_count() const {
        if (shared.options.io_threads) return shared.options.io_threads;
        return std::max(2u, std::thread::hardware_concurrency());
    }

    Result<void> open(const std::string& scheme, const std::string& hostport, bool is_tls) {
        auto failure = [&](const std::string& why) {
            return fail(errc::internal_failure,
                        "cannot listen on " + scheme + "://" + hostport + ": " + why);
        };
        auto colon = hostport.rfind(':');
        if (colon == std::string::npos) return failure("expected HOST:PORT");
        std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        try {
            if (is_tls) {
                tls.emplace(ssl::context::tls_server);
                tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                 ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                 ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
                tls->use_certificate_chain_file(shared.options.tls_cert_file);
                tls->use_private_key_file(shared.options.tls_key_file, ssl::context::pem);
            }
            tcp::resolver resolver(io[0]->ioc);
            auto endpoints = resolver.resolve(host, port, tcp::resolver::passive);
            if (endpoints.empty()) return failure("address not found");
            auto acceptor = std::make_unique<tcp::acceptor>(io[0]->ioc);
            tcp::endpoint ep = endpoints.begin()->endpoint();
            acceptor->open(ep.protocol());
            acceptor->set_option(net::socket_base::reuse_address(true));
            acceptor->bind(ep);
            acceptor->listen(net::socket_base::max_listen_connections);
            accept(*acceptor, is_tls);
            acceptors.push_back(std::move(acceptor));
        } catch (const std::exception& e) {
            return failure(e.what());
        }
        TRIB_LOG(info, "listening").kv("url", scheme + "://" + hostport);
        return {};
    }

    void accept(tcp::acceptor& acceptor, bool is_tls) {
        auto& ioc = io[next_io++ % io.size()]->ioc;
        acceptor.async_accept(ioc, [this, &acceptor, is_tls](error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
            if (ec) {
                // EMFILE and the like: log, and keep accepting rather than go deaf.
                TRIB_LOG(warn, "accept_failed").kv("why", ec.message());
            } else {
                error_code ignored;
                socket.set_option(tcp::no_delay(true), ignored);
                if (is_tls) {
                    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                        shared, beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls))
                        ->start();
                } else {
                    std::make_shared<Session<beast::tcp_stream>>(
                        shared, beast::tcp_stream(std::move(socket)))
                        ->start();
                }
            }
            accept(acceptor, is_tls);
        });
    }

    static void run_io(net::io_context& ioc) {
        name_thread("trib-http-io");
        for (;;) {
            try {
                ioc.run();
                return;
            } catch (const std::exception& e) {
                TRIB_LOG(error, "io_thread_exception").kv("what", e.what());
            } catch (...) {
                TRIB_LOG(error, "io_thread_exception").kv("what", "not a std::exception");
            }
        }
    }

    void start_threads() {
        for (auto& t : io) t->thread = std::thread([&ioc = t->ioc] { run_io(ioc); });
    }

    void stop() {
        if (stopped) return;
        stopped = true;
        shared.stopping = true;
        for (auto& a : acceptors)
            net::dispatch(a->get_executor(), [&a = *a] {
                error_code ignored;
                a.close(ignored);
            });
        std::vector<std::function<void()>> hooks;
        {
            std::lock_guard lock(shared.mu);
            for (auto& [id, hook] : shared.stop_hooks) hooks.push_back(hook);
        }
        // Outside the lock: a hook may drop the last reference to its session.
        for (auto& hook : hooks) hook();
        hooks.clear();
        {
            std::unique_lock lock(shared.mu);
            if (!shared.sessions_done.wait_for(lock, kStopGrace,
                                               [&] { return shared.stop_hooks.empty(); }))
                TRIB_LOG(warn, "http_stop_timeout").kv("open_connections",
                                                       shared.stop_hooks.size());
        }
        for (auto& t : io) {
            t->work.reset();
            t->ioc.stop();
        }
        for (auto& t : io)
            if (t->thread.joinable()) t->thread.join();
        shared.pool.join();
        acceptors.clear();
    }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(Api& api, store::ShardStore& store,
                                                      ServerOptions options) {
    auto impl = std::make_unique<Impl>(api, store, std::move(options));
    auto opened = [&]() -> Result<void> {
        TRIB_TRY_VOID(impl->open("http", impl->shared.options.listen, false));
        if (!impl->shared.options.tls_listen.empty())
            TRIB_TRY_VOID(impl->open("https", impl->shared.options.tls_listen, true));
        return {};
    }();
    impl->start_threads();
    if (!opened) {
        impl->stop();
        return tl::unexpected(opened.error());
    }
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::stop() {
    if (impl_) impl_->stop();
}

}  // namespace tributary::collector::api
