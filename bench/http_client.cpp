#include "bench/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

namespace tributary::bench {
namespace {

tl::unexpected<Error> sys_fail(int err, std::string what) {
    what += ": ";
    what += std::strerror(err);
    return fail(std::error_code(err, std::system_category()), std::move(what));
}

tl::unexpected<Error> bad(std::string what) {
    return fail(std::make_error_code(std::errc::bad_message), std::move(what));
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text) {
    auto invalid = [&] {
        return fail(std::make_error_code(std::errc::invalid_argument),
                    "endpoint must be IPv4:PORT, got '" + std::string(text) + "'");
    };
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid();
    Endpoint ep{std::string(text.substr(0, colon)), 0};
    auto p = text.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port == 0 || port > 65535)
        return invalid();
    ep.port = static_cast<uint16_t>(port);
    in_addr a{};
    if (inet_pton(AF_INET, ep.host.c_str(), &a) != 1) return invalid();
    return ep;
}

std::string build_request(const Endpoint& ep, std::string_view target, std::string_view body) {
    char date[32];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
    std::string r;
    r.reserve(body.size() + 512);
    r += "POST / HTTP/1.1\r\nHost: ";
    r += ep.host + ":" + std::to_string(ep.port);
    r += "\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Kinesis_20131202.";
    r += target;
    r += "\r\nX-Amz-Date: ";
    r += date;
    r += "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/";
    r.append(date, 8);
    r += "/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;"
         "x-amz-target, Signature=";
    r.append(64, '0');
    r += "\r\nContent-Length: ";
    r += std::to_string(body.size());
    r += "\r\n\r\n";
    r += body;
    return r;
}

void HttpConn::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    beg_ = end_ = 0;
}

Result<void> HttpConn::connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return sys_fail(errno, "socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(ep_.port);
    inet_pton(AF_INET, ep_.host.c_str(), &sa.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        int err = errno;
        close();
        return sys_fail(err, "connect " + ep_.host + ":" + std::to_string(ep_.port));
    }
    fresh_ = true;
    return {};
}

Result<void> HttpConn::send_all(std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_fail(errno, "send");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Result<bool> HttpConn::fill() {
    if (beg_ == end_) beg_ = end_ = 0;
    if (end_ == in_.size()) {
        if (beg_ > 0) {
            std::memmove(in_.data(), in_.data() + beg_, end_ - beg_);
            end_ -= beg_;
            beg_ = 0;
        } else {
            in_.resize(in_.size() * 2);  // a header line longer than the buffer
        }
    }
    for (;;) {
        ssize_t n = ::recv(fd_, in_.data() + end_, in_.size() - end_, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys_fail(errno, "recv");
        end_ += static_cast<size_t>(n);
        return n > 0;
    }
}

Result<std::string_view> HttpConn::read_line() {
    size_t scanned = beg_;
    for (;;) {
        auto* start = in_.data() + scanned;
        auto* nl = static_cast<char*>(std::memchr(start, '\n', end_ - scanned));
        if (nl) {
            std::string_view line(in_.data() + beg_, static_cast<size_t>(nl - in_.data()) - beg_);
            beg_ = static_cast<size_t>(nl - in_.data()) + 1;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            return line;
        }
        size_t offset = end_ - beg_;
        TRIB_TRY(bool more, fill());
        if (!more) return bad("connection closed inside a header");
        scanned = beg_ + offset;
    }
}

Result<void> HttpConn::read_exact(size_t n, std::string& out) {
    size_t have = std::min(n, end_ - beg_);
    out.append(in_.data() + beg_, have);
    beg_ += have;
    n -= have;
    if (n == 0) return {};
    // Large bodies (GetRecords answers run to megabytes) go straight into the destination.
    size_t at = out.size();
    out.resize(at + n);
    while (n > 0) {
        ssize_t r = ::recv(fd_, out.data() + at, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return sys_fail(errno, "recv");
        if (r == 0) return bad("connection closed inside a body");
        at += static_cast<size_t>(r);
        n -= static_cast<size_t>(r);
    }
    return {};
}

Result<void> HttpConn::read_response(Response& out) {
    out.status = 0;
    out.body.clear();
    std::string_view status_line;
    for (;;) {
        if (beg_ == end_) {
            TRIB_TRY(bool more, fill());
            if (!more) return sys_fail(ECONNRESET, "connection closed before a response");
        }
        TRIB_TRY(status_line, read_line());
        if (status_line.substr(0, 7) != "HTTP/1." || status_line.size() < 12)
            return bad("not an HTTP/1.x status line");
        int status = 0;
        std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
        out.status = status;
        bool interim = status >= 100 && status < 200;
        bool chunked = false, close_after = status_line[7] == '0', have_length = false;
        size_t length = 0;
        for (;;) {
            TRIB_TRY(std::string_view line, read_line());
            if (line.empty()) break;
            auto colon = line.find(':');
            if (colon == std::string_view::npos) return bad("header line without a colon");
            auto name = line.substr(0, colon);
            auto value = trim(line.substr(colon + 1));
            if (iequals(name, "content-length")) {
                auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
                if (ec != std::errc()) return bad("bad Content-Length");
                have_length = true;
            } else if (iequals(name, "transfer-encoding")) {
                chunked = value.find("chunked") != std::string_view::npos;
            } else if (iequals(name, "connection")) {
                if (iequals(value, "close")) close_after = true;
                if (iequals(value, "keep-alive")) close_after = false;
            }
        }
        if (interim) continue;  // 100 Continue and friends: the real answer follows
        fresh_ = false;
        if (status == 204 || status == 304) {
        } else if (chunked) {
            for (;;) {
                TRIB_TRY(std::string_view size_line, read_line());
                size_t size = 0;
                auto [p, ec] = std::from_chars(size_line.data(),
                                               size_line.data() + size_line.size(), size, 16);
                if (ec != std::errc()) return bad("bad chunk size");
                if (size == 0) {
                    for (;;) {  // trailers up to the empty line
                        TRIB_TRY(std::string_view t, read_line());
                        if (t.empty()) break;
                    }
                    break;
                }
                TRIB_TRY_VOID(read_exact(size, out.body));
                TRIB_TRY(std::string_view crlf, read_line());
                if (!crlf.empty()) return bad("chunk not followed by CRLF");
            }
        } else if (have_length) {
            TRIB_TRY_VOID(read_exact(length, out.body));
        } else {
            for (;;) {  // delimited by close
                out.body.append(in_.data() + beg_, end_ - beg_);
                beg_ = end_;
                TRIB_TRY(bool more, fill());
                if (!more) break;
            }
            close_after = true;
        }
        if (close_after) close();
        return {};
    }
}

Result<void> HttpConn::roundtrip(std::string_view request, Response& out) {
    for (int attempt = 0;; ++attempt) {
        bool reused = fd_ >= 0;
        if (!reused) TRIB_TRY_VOID(connect());
        auto sent = send_all(request);
        Result<void> got = sent ? read_response(out) : sent;
        if (got) return {};
        // A kept-alive connection the server closed while idle fails before any response byte;
        // that request never ran, so one retry on a new connection is safe.
        bool nothing_read = out.status == 0;
        close();
        if (!(reused && nothing_read && attempt == 0)) return got;
    }
}

}  // namespace tributary::bench
