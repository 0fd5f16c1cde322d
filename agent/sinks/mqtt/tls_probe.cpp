#include "agent/sinks/mqtt/tls_probe.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>

namespace tributary::agent::sinks::mqtt {
namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

// "ssl://host:port" → host, port (8883 when absent); IPv6 literals in brackets.
bool split_uri(const std::string& uri, std::string& host, std::string& port) {
    std::string rest = uri.substr(uri.find("://") + 3);
    if (!rest.empty() && rest[0] == '[') {
        auto close = rest.find(']');
        if (close == std::string::npos) return false;
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        port = rest.starts_with(":") ? rest.substr(1) : "8883";
        return true;
    }
    auto colon = rest.rfind(':');
    host = rest.substr(0, colon);
    port = colon == std::string::npos ? "8883" : rest.substr(colon + 1);
    return !host.empty();
}

}  // namespace

std::string tls_probe(const Options& o, std::chrono::milliseconds timeout) {
    std::string host, port;
    if (!split_uri(o.broker_uri, host, port)) return "";
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return "";
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addrs(res, freeaddrinfo);

    Fd sock;
    sock.fd = ::socket(res->ai_family, SOCK_STREAM, 0);
    if (sock.fd < 0) return "";
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    // connect(2), reads and writes all honour these on Linux.
    setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(sock.fd, res->ai_addr, res->ai_addrlen) != 0) return "";  // not a TLS problem

    ERR_clear_error();
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                          SSL_CTX_free);
    if (!ctx) return "";
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    if (o.verify_tls) {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        bool loaded = o.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
                                        : SSL_CTX_load_verify_locations(
                                              ctx.get(), o.ca_file.c_str(), nullptr) == 1;
        if (!loaded) return "cannot load ca_file: " + openssl_errors();
    }
    if (!o.cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_file.c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx.get(), o.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
            return "cannot load cert_file/key_file: " + openssl_errors();
    }
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
    if (!ssl) return "";
    in6_addr ip6;
    in_addr ip4;
    bool is_ip =
        inet_pton(AF_INET, host.c_str(), &ip4) == 1 || inet_pton(AF_INET6, host.c_str(), &ip6) == 1;
    if (o.verify_tls) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
        if (is_ip)
            X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
        else
            X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    }
    if (!is_ip) SSL_set_tlsext_host_name(ssl.get(), host.c_str());
    SSL_set_fd(ssl.get(), sock.fd);

    if (SSL_connect(ssl.get()) != 1) {
        std::string errors = openssl_errors();
        long verify = SSL_get_verify_result(ssl.get());
        if (verify != X509_V_OK)
            errors += std::string(errors.empty() ? "" : " (") +
                      X509_verify_cert_error_string(verify) + (errors.empty() ? "" : ")");
        return errors;
    }
    // Handshake done. A broker that refuses our certificate under TLS 1.3 says so now; one that
    // accepts it waits for CONNECT, and the read times out.
    timeval brief{1, 0};
    if (timeout < std::chrono::seconds(1)) brief = tv;
    setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
    char byte;
    if (SSL_read(ssl.get(), &byte, 1) <= 0) return openssl_errors();
    return "";
}

}  // namespace tributary::agent::sinks::mqtt
