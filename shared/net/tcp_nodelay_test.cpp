#include "shared/net/tcp_nodelay.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tributary::net {
namespace {

TEST(TcpNodelay, ReadsThePortOfABrokerUri) {
    EXPECT_EQ(uri_port("tcp://127.0.0.1:18830"), 18830);
    EXPECT_EQ(uri_port("ssl://broker.lan"), 8883);
    EXPECT_EQ(uri_port("mqtt://broker.lan"), 1883);
    EXPECT_EQ(uri_port("ssl://[::1]:9000"), 9000);
    EXPECT_EQ(uri_port("ssl://[::1]"), 8883);
    EXPECT_EQ(uri_port("tcp://host:0"), 0);
    EXPECT_EQ(uri_port("tcp://host:x"), 0);
    EXPECT_EQ(uri_port("host:1883"), 0);
}

TEST(TcpNodelay, SetsItOnConnectionsToThePortOnly) {
    int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(server, 4), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    int client = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    int accepted = ::accept(server, nullptr, nullptr);
    ASSERT_GE(accepted, 0);

    auto nodelay = [](int fd) {
        int v = 0;
        socklen_t l = sizeof v;
        ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l);
        return v != 0;
    };
    EXPECT_FALSE(nodelay(client));
    EXPECT_EQ(set_nodelay_to_port(static_cast<uint16_t>(ntohs(addr.sin_port) ^ 1)), 0);
    EXPECT_FALSE(nodelay(client));
    // The client's peer is the listening port; the accepted socket's peer is the client's.
    EXPECT_EQ(set_nodelay_to_port(ntohs(addr.sin_port)), 1);
    EXPECT_TRUE(nodelay(client));
    EXPECT_FALSE(nodelay(accepted));
    for (int fd : {client, accepted, server}) ::close(fd);
}

}  // namespace
}  // namespace tributary::net
