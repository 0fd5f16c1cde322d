// The HTTPS sink's transport: the one translation unit that includes cpprest (its headers pull
// in Boost.Asio and take seconds to compile). Request bytes come from wire.h; this file only
// moves them and turns cpprest's exceptions into SendResults.

#include <future>
#include <optional>

#include <cpprest/http_client.h>
#include <pplx/threadpool.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "agent/sinks/https/wire.h"
#include "shared/log/log.h"

namespace tributary::agent::sinks::https {
namespace {

namespace http = web::http;

struct Answer {
    int status = 0;
    std::string error_type;  // x-amzn-ErrorType
    std::vector<unsigned char> bytes;  // the body, as cpprest hands it over (not copied again)
    std::string_view body() const {
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }
};

SendResult transport_failure(std::string error, Status status = Status::retry) {
    SendResult r;
    r.status = status;
    r.error = std::move(error);
    return r;
}

// cpprest reports a failed TLS handshake with the OpenSSL error packed into the code; a
// verification failure (untrusted issuer, wrong host name, expired) cannot heal by resending.
bool is_certificate_failure(int code) {
    auto e = static_cast<unsigned long>(static_cast<unsigned int>(code));
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

SendResult classify_exception(std::exception_ptr ep) {
    try {
        std::rethrow_exception(ep);
    } catch (const http::http_exception& e) {
        if (is_certificate_failure(e.error_code().value()))
            return transport_failure(std::string("TLS certificate verification failed: ") +
                                         e.what() + " (check ca_file and the server's name)",
                                     Status::fatal);
        if (e.error_code() == std::errc::timed_out)
            return transport_failure(std::string("timed out: ") + e.what());
        return transport_failure(std::string("transport: ") + e.what() + " (" +
                                 e.error_code().message() + ")");
    } catch (const pplx::task_canceled&) {
        return transport_failure("request cancelled");
    } catch (const std::exception& e) {
        return transport_failure(std::string("transport: ") + e.what());
    } catch (...) {
        return transport_failure("transport: unknown exception");
    }
}

class HttpsSink final : public Sink {
public:
    HttpsSink(Options options, Endpoint endpoint, const http::client::http_client_config& config)
        : options_(std::move(options)),
          endpoint_(std::move(endpoint)),
          client_(endpoint_.base_url, config) {}

    SendResult put(std::string_view stream, std::span<const OutRecord> records,
                   const BatchTag& tag) override {
        if (records.empty()) return SendResult{Status::ok, {}, false, "", 0};
        auto built = build_request(endpoint_, options_, stream, records, tag, aws::Clock::now());
        if (!built) return transport_failure(built.error().message, Status::fatal);
        try {
            auto answer = exchange(std::move(*built));
            if (!answer) return *answer.error;
            return parse_response(options_.api, answer->status, answer->error_type,
                                  answer->body(), records.size());
        } catch (...) {
            return classify_exception(std::current_exception());
        }
    }

    Result<std::vector<ShardInfo>> list_shards(std::string_view stream) override {
        if (options_.api != Api::kinesis) return std::vector<ShardInfo>{};
        std::vector<ShardInfo> out;
        std::string token;
        for (int page = 0; page < 100; ++page) {  // 100 pages of 1,000: any real stream
            TRIB_TRY(auto built, build_list_shards_request(endpoint_, options_, stream, token,
                                                           aws::Clock::now()));
            Exchange answer;
            try {
                answer = exchange(std::move(built));
            } catch (...) {
                answer = {std::nullopt, classify_exception(std::current_exception())};
            }
            if (!answer) return fail(errc::list_shards_failed, answer.error->error);
            TRIB_TRY(auto p, parse_list_shards(answer->status, answer->error_type, answer->body()));
            for (auto& s : p.shards) out.push_back(std::move(s));
            if (p.next_token.empty()) return out;
            token = std::move(p.next_token);
        }
        return fail(errc::list_shards_failed, "ListShards did not finish after 100 pages");
    }

private:
    // An answer, or why there is none (as the SendResult put() would return).
    struct Exchange {
        std::optional<Answer> answer;
        std::optional<SendResult> error;
        explicit operator bool() const { return answer.has_value(); }
        const Answer* operator->() const { return &*answer; }
    };

    // One request and its answer, bounded by request_timeout. Throws what cpprest throws.
    Exchange exchange(Request built) {
        http::http_request req(http::methods::POST);
        req.set_request_uri(built.target);
        for (auto& [name, value] : built.headers) {
            // cpprest writes Host itself from the URL (the same value, see host_header()); an
            // explicit one would also become the TLS peer name, port included, and fail it.
            if (name == "Host") continue;
            req.headers().add(name, value);
        }
        // The std::string overload reads chars through an unsigned-char streambuf (UBSan flags
        // it); a byte vector is read as what it is. Content-Type is already among the headers.
        const auto* first = reinterpret_cast<const unsigned char*>(built.body.data());
        std::vector<unsigned char> body(first, first + built.body.size());
        std::string().swap(built.body);  // a body can be ~7 MiB: keep one copy, not two
        req.set_body(std::move(body));

        auto done = std::make_shared<std::promise<Answer>>();
        std::future<Answer> answer = done->get_future();
        pplx::cancellation_token_source cancel;
        client_.request(req, cancel.get_token())
            .then([](http::http_response resp) {
                return resp.extract_vector().then([resp](std::vector<unsigned char> body) {
                    Answer a;
                    a.status = resp.status_code();
                    auto it = resp.headers().find("x-amzn-ErrorType");
                    if (it != resp.headers().end()) a.error_type = it->second;
                    a.bytes = std::move(body);
                    return a;
                });
            })
            .then([done](pplx::task<Answer> t) {
                try {
                    done->set_value(t.get());
                } catch (...) {
                    done->set_exception(std::current_exception());
                }
            });
        if (answer.wait_for(options_.request_timeout) != std::future_status::ready) {
            cancel.cancel();
            // Cancelling closes the socket, so the task ends promptly; the promise is shared,
            // so returning before it would also be safe.
            answer.wait_for(options_.connect_timeout);
            return {std::nullopt,
                    transport_failure("request timed out after " +
                                      std::to_string(options_.request_timeout.count()) + " ms")};
        }
        return {answer.get(), std::nullopt};
    }

    const Options options_;
    const Endpoint endpoint_;
    http::client::http_client client_;
};

Result<void> check_options(const Options& o) {
    auto bad = [](std::string m) { return fail(errc::invalid_option, std::move(m)); };
    if (o.connect_timeout.count() <= 0) return bad("connect_timeout must be positive");
    if (o.request_timeout.count() <= 0) return bad("request_timeout must be positive");
    if (o.region.empty()) return bad("region must not be empty");
    const Credentials& c = o.credentials;
    if (c.access_key_id.empty() != c.secret_access_key.empty())
        return bad("access_key_id and secret_access_key go together");
    if (c.access_key_id.empty() && !c.session_token.empty())
        return bad("a session_token needs access_key_id and secret_access_key");
    for (const std::string* s : {&o.user_agent, &c.access_key_id, &c.session_token})
        if (s->find_first_of("\r\n") != std::string::npos)
            return bad("user_agent and credentials must not contain CR or LF");
    return {};
}

// Checked once here so a bad path fails at startup, not as handshake errors later.
Result<void> check_ca_file(const std::string& path) {
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
    boost::system::error_code ec;
    ctx.load_verify_file(path, ec);
    if (ec)
        return fail(errc::bad_ca_file, "ca_file '" + path + "': " + ec.message() +
                                           " (want a readable PEM bundle)");
    return {};
}

}  // namespace

Result<void> set_io_threads(size_t threads) {
    if (threads == 0) return fail(errc::invalid_option, "io threads must be at least 1");
    try {
        crossplat::threadpool::initialize_with_threads(threads);
    } catch (const std::exception& e) {
        return fail(errc::invalid_option, std::string("cannot size the HTTP I/O pool: ") +
                                              e.what() + " (call before the first sink)");
    }
    return {};
}

Result<std::unique_ptr<Sink>> Sink::create(Options options) {
    TRIB_TRY_VOID(check_options(options));
    TRIB_TRY(Endpoint endpoint, parse_endpoint(options.endpoint, options.api, options.region));
    if (!web::uri::validate(endpoint.base_url + endpoint.path))
        return fail(errc::bad_endpoint, "endpoint '" + options.endpoint + "' is not a valid URI");
    if (!options.ca_file.empty()) TRIB_TRY_VOID(check_ca_file(options.ca_file));
    if (endpoint.tls && !options.verify_tls)
        TRIB_LOG(warn, "https_sink_tls_unverified")
            .kv("endpoint", endpoint.base_url)
            .kv("reason", "verify_tls=false: any server can impersonate the endpoint");
    if (!endpoint.tls && !options.credentials.access_key_id.empty())
        TRIB_LOG(warn, "https_sink_plain_http")
            .kv("endpoint", endpoint.base_url)
            .kv("reason", "records travel unencrypted (the signature protects integrity only)");

    http::client::http_client_config config;
    config.set_timeout(options.connect_timeout);
    config.set_validate_certificates(options.verify_tls);
    config.set_ssl_context_callback([ca = options.ca_file](boost::asio::ssl::context& ctx) {
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        if (ca.empty()) return;
        // cpprest has loaded the system store; a private CA replaces it rather than adds.
        if (X509_STORE* store = X509_STORE_new())
            SSL_CTX_set_cert_store(ctx.native_handle(), store);
        boost::system::error_code ec;
        ctx.load_verify_file(ca, ec);
        if (ec)
            TRIB_LOG(warn, "https_sink_ca_file_unreadable")
                .kv("path", ca)
                .kv("error", ec.message());
    });
    try {
        return std::unique_ptr<Sink>(
            std::make_unique<HttpsSink>(std::move(options), std::move(endpoint), config));
    } catch (const std::exception& e) {
        return fail(errc::bad_endpoint,
                    std::string("endpoint rejected by the HTTP client: ") + e.what());
    }
}

}  // namespace tributary::agent::sinks::https
