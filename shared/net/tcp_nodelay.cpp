#include "shared/net/tcp_nodelay.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace tributary::net {

int set_nodelay_to_port(uint16_t peer_port) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return 0;
    int changed = 0;
    while (dirent* e = ::readdir(dir)) {
        char* end = nullptr;
        long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
        struct stat st {};
        if (::fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
        int type = 0;
        socklen_t len = sizeof type;
        if (::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
            type != SOCK_STREAM)
            continue;
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        if (::getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &plen) != 0)
            continue;
        uint16_t port = 0;
        if (peer.ss_family == AF_INET)
            port = ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
        else if (peer.ss_family == AF_INET6)
            port = ntohs(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_port);
        else
            continue;
        if (port != peer_port) continue;
        int one = 1;
        if (::setsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0)
            ++changed;
    }
    ::closedir(dir);
    return changed;
}

uint16_t uri_port(const char* uri) {
    std::string_view u(uri);
    auto scheme_end = u.find("://");
    if (scheme_end == std::string_view::npos) return 0;
    std::string_view scheme = u.substr(0, scheme_end);
    std::string_view rest = u.substr(scheme_end + 3);
    rest = rest.substr(0, rest.find('/'));
    size_t colon = rest.rfind(':');
    size_t bracket = rest.rfind(']');
    bool tls = scheme == "ssl" || scheme == "mqtts" || scheme == "wss";
    if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket))
        return tls ? 8883 : 1883;
    std::string digits(rest.substr(colon + 1));
    char* end = nullptr;
    long port = std::strtol(digits.c_str(), &end, 10);
    if (digits.empty() || *end != '\0' || port <= 0 || port > 65535) return 0;
    return static_cast<uint16_t>(port);
}

}  // namespace tributary::net
