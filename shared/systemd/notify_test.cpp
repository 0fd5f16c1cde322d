#include "shared/systemd/notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace tributary::systemd {
namespace {

// Plays the service manager: a datagram socket bound to `name` (a path or "@abstract"),
// exported as $NOTIFY_SOCKET for the test's duration.
class ServiceManager {
public:
    explicit ServiceManager(const std::string& name) : name_(name) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, name.data(), name.size());
        socklen_t len = offsetof(sockaddr_un, sun_path) + name.size();
        if (name[0] == '@') {
            addr.sun_path[0] = '\0';
        } else {
            ++len;
            ::unlink(name.c_str());
        }
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
        ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    }
    ~ServiceManager() {
        ::unsetenv("NOTIFY_SOCKET");
        ::close(fd_);
        if (name_[0] == '/') ::unlink(name_.c_str());
    }
    bool bound() const { return bound_; }
    std::string receive() {
        char buf[512];
        ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<size_t>(n));
    }

private:
    std::string name_;
    int fd_ = -1;
    bool bound_ = false;
};

TEST(Notify, IsANoOpOutsideAServiceManager) {
    ::unsetenv("NOTIFY_SOCKET");
    auto r = notify("READY=1");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(*r);
}

TEST(Notify, SendsTheStateToASocketPath) {
    auto path = (std::filesystem::temp_directory_path() /
                 ("trib-notify-" + std::to_string(::getpid())))
                    .string();
    ServiceManager manager(path);
    ASSERT_TRUE(manager.bound());
    auto r = notify("READY=1\nSTATUS=serving");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(*r);
    EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=serving");
}

TEST(Notify, SendsTheStateToAnAbstractSocket) {
    ServiceManager manager("@trib-notify-test-" + std::to_string(::getpid()));
    ASSERT_TRUE(manager.bound());
    auto r = notify("STOPPING=1");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(Notify, RefusesARelativeSocketName) {
    ::setenv("NOTIFY_SOCKET", "relative/socket", 1);
    auto r = notify("READY=1");
    ::unsetenv("NOTIFY_SOCKET");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, std::errc::invalid_argument);
    EXPECT_NE(r.error().message.find("relative/socket"), std::string::npos);
}

TEST(Notify, ReportsAManagerThatIsGone) {
    ::setenv("NOTIFY_SOCKET", "/nonexistent/trib-notify", 1);
    auto r = notify("READY=1");
    ::unsetenv("NOTIFY_SOCKET");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, std::errc::no_such_file_or_directory);
}

}  // namespace
}  // namespace tributary::systemd
