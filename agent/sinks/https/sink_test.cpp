// Sink::create() validation and the put() paths that need no server (or only a silent socket).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "agent/sinks/https/sink.h"

namespace tributary::agent::sinks::https {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const BatchTag tag{"00112233445566778899aabbccddeeff", "flow", 1};

// A loopback listener that never accepts: the kernel completes connections into its backlog,
// so a request is sent and never answered.
struct SilentListener {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    uint16_t port = 0;
    SilentListener() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(listen(fd, 8), 0);
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~SilentListener() { close(fd); }
};

struct TempDir {
    fs::path path;
    TempDir() {
        std::string t = (fs::temp_directory_path() / "trib-https-XXXXXX").string();
        path = mkdtemp(t.data());
    }
    ~TempDir() { fs::remove_all(path); }
};

Options local(uint16_t port = 9) {
    Options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(port);
    return o;
}

Error create_error(Options o) {
    auto s = Sink::create(std::move(o));
    EXPECT_FALSE(s);
    return s ? Error{} : s.error();
}

// Runs first (gtest keeps declaration order) so the pool is not yet started by another test.
TEST(HttpsSink, IoThreadsCanBeSetOnceBeforeTheFirstRequest) {
    EXPECT_EQ(set_io_threads(0).error().code, errc::invalid_option);
    auto first = set_io_threads(2);
    EXPECT_TRUE(first) << first.error().message;
    auto again = set_io_threads(2);
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("before the first sink"), std::string::npos);
}

TEST(HttpsSink, CreateRejectsABadEndpoint) {
    Options o = local();
    o.endpoint = "ftp://collector";
    EXPECT_EQ(create_error(o).code, errc::bad_endpoint);
}

TEST(HttpsSink, CreateRejectsAnUnreadableCaFile) {
    Options o = local();
    o.ca_file = "/nonexistent/ca.pem";
    Error e = create_error(o);
    EXPECT_EQ(e.code, errc::bad_ca_file);
    EXPECT_NE(e.message.find("/nonexistent/ca.pem"), std::string::npos) << e.message;
}

TEST(HttpsSink, CreateRejectsACaFileWithoutCertificates) {
    TempDir dir;
    fs::path ca = dir.path / "ca.pem";
    std::ofstream(ca) << "not a certificate\n";
    Options o = local();
    o.ca_file = ca.string();
    EXPECT_EQ(create_error(o).code, errc::bad_ca_file);
}

TEST(HttpsSink, CreateRejectsHalfSetCredentials) {
    Options o = local();
    o.credentials.access_key_id = "AKID";
    EXPECT_EQ(create_error(o).code, errc::invalid_option);
    o.credentials = {"", "", "token"};
    EXPECT_EQ(create_error(o).code, errc::invalid_option);
}

TEST(HttpsSink, CreateRejectsNonPositiveTimeoutsAndHeaderInjection) {
    Options o = local();
    o.request_timeout = 0ms;
    EXPECT_EQ(create_error(o).code, errc::invalid_option);
    o = local();
    o.user_agent = "agent\r\nX-Evil: 1";
    EXPECT_EQ(create_error(o).code, errc::invalid_option);
}

TEST(HttpsSink, EmptyBatchIsOkWithoutSending) {
    auto sink = Sink::create(local());  // port 9 (discard): nothing listens there
    ASSERT_TRUE(sink) << sink.error().message;
    SendResult r = (*sink)->put("s", {}, tag);
    EXPECT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.http_status, 0);
    EXPECT_TRUE(r.records.empty());
}

TEST(HttpsSink, InvalidBatchIsFatalWithoutSending) {
    auto sink = Sink::create(local());
    ASSERT_TRUE(sink) << sink.error().message;
    OutRecord rec{"", "data"};  // Kinesis needs a partition key
    SendResult r = (*sink)->put("s", std::span(&rec, 1), tag);
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_EQ(r.http_status, 0);
    EXPECT_NE(r.error.find("partition key"), std::string::npos) << r.error;
}

TEST(HttpsSink, UnansweredRequestIsRetryAfterTheRequestTimeout) {
    SilentListener server;
    Options o = local(server.port);
    o.connect_timeout = 10s;
    o.request_timeout = 300ms;
    auto sink = Sink::create(o);
    ASSERT_TRUE(sink) << sink.error().message;
    OutRecord rec{"k", "data"};
    auto start = std::chrono::steady_clock::now();
    SendResult r = (*sink)->put("s", std::span(&rec, 1), tag);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_EQ(r.error, "request timed out after 300 ms");
    EXPECT_LT(took, 5s);
}

}  // namespace
}  // namespace tributary::agent::sinks::https
