#include "shared/systemd/notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tributary::systemd {

Result<bool> notify(std::string_view state) {
    const char* name = std::getenv("NOTIFY_SOCKET");
    if (name == nullptr || *name == '\0') return false;

    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const size_t length = std::strlen(name);
    if ((name[0] != '/' && name[0] != '@') || length >= sizeof addr.sun_path)
        return fail(std::make_error_code(std::errc::invalid_argument),
                    "NOTIFY_SOCKET must be an absolute path or an abstract name (@…) shorter than " +
                        std::to_string(sizeof addr.sun_path) + " bytes: '" + name + "'");
    std::memcpy(addr.sun_path, name, length);
    if (name[0] == '@') addr.sun_path[0] = '\0';  // Linux abstract namespace
    // An abstract name's length is exact (no terminating NUL counts); a path's includes it.
    const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length +
                                                 (name[0] == '@' ? 0 : 1));

    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(std::error_code(errno, std::system_category()),
                    std::string("socket(AF_UNIX) for NOTIFY_SOCKET: ") + std::strerror(errno));
    const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&addr), addr_len);
    const int error = errno;
    ::close(fd);
    if (sent < 0)
        return fail(std::error_code(error, std::system_category()),
                    std::string("sending to NOTIFY_SOCKET ") + name + ": " + std::strerror(error));
    return true;
}

}  // namespace tributary::systemd
