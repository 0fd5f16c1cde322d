// The sink against the real collector (plain HTTP, SigV4, TLS with a CA made here by the
// openssl CLI), reading the records back with GetShardIterator/GetRecords. Loopback only; every
// wait is bounded; the collector is always stopped.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <cpprest/http_client.h>
#include <nlohmann/json.hpp>

#include "agent/sinks/https/sink.h"
#include "shared/encoding/base64.h"

namespace tributary::agent::sinks::https {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

const std::string producer = "00112233445566778899aabbccddeeff";
const Credentials keys{"AKIDAGENT", "agent/secret+KEY", ""};

uint16_t free_port() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
}

bool port_open(uint16_t port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string t = (fs::temp_directory_path() / "trib-https-XXXXXX").string();
        path = mkdtemp(t.data());
    }
    ~TempDir() { fs::remove_all(path); }
};

// Certificates for 127.0.0.1 signed by a throwaway CA; EC keys keep it fast.
struct Pki {
    fs::path ca, cert, key;
    explicit Pki(const fs::path& dir)
        : ca(dir / "ca.pem"), cert(dir / "server.pem"), key(dir / "server.key") {
        std::string d = dir.string();
        std::ofstream(dir / "ext.cnf") << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                          "extendedKeyUsage=serverAuth\n";
        std::string cmd =
            "cd " + d + " && exec >openssl.log 2>&1 && "
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
            "-keyout ca.key -out ca.pem -days 2 -subj /CN=trib-test-ca "
            "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && "
            "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
            "-keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
            "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
            "-out server.pem -days 2 -extfile ext.cnf";
        int rc = std::system(cmd.c_str());
        EXPECT_EQ(rc, 0) << "openssl failed, see " << d << "/openssl.log";
    }
};

// One tributary-collector process on free loopback ports, stopped by the destructor.
class Collector {
public:
    explicit Collector(const fs::path& dir, const Credentials* creds = nullptr,
                       const Pki* pki = nullptr)
        : port_(free_port()) {
        // $TRIB_COLLECTOR_BIN overrides the binary of this build tree (e.g. a sanitizer build
        // of this test against a normal collector).
        const char* bin = std::getenv("TRIB_COLLECTOR_BIN");
        std::vector<std::string> args = {bin && *bin ? bin : TRIB_COLLECTOR_BIN,
                                         "--data-dir", (dir / "data").string(),
                                         "--listen", "127.0.0.1:" + std::to_string(port_),
                                         "--status-delay-ms", "0",
                                         "--sync", "off",
                                         "--map-size-mb", "64",
                                         "--threads", "4",
                                         "--io-threads", "1"};
        if (creds) {
            args.insert(args.end(), {"--access-key-id", creds->access_key_id,
                                     "--secret-access-key", creds->secret_access_key});
        }
        if (pki) {
            tls_port_ = free_port();
            args.insert(args.end(), {"--tls-listen", "127.0.0.1:" + std::to_string(tls_port_),
                                     "--tls-cert", pki->cert.string(), "--tls-key",
                                     pki->key.string()});
        }
        std::string log = (dir / "collector.log").string();
        pid_ = fork();
        if (pid_ == 0) {
            int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, 1);
            dup2(fd, 2);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        auto deadline = std::chrono::steady_clock::now() + 15s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (port_open(port_) && (!tls_port_ || port_open(tls_port_))) return;
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "collector did not start; see " << log;
    }
    ~Collector() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(10ms);
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string tls_url(std::string_view host = "127.0.0.1") const {
        return "https://" + std::string(host) + ":" + std::to_string(tls_port_);
    }

    // One Kinesis control-plane call over plain HTTP, signed when `creds` is given.
    json call(std::string_view action, const json& request, const Credentials* creds = nullptr) {
        namespace http = web::http;
        std::string body = request.dump();
        aws::HttpRequest req{"POST", "/", {}, body};
        req.headers = {{"Host", "127.0.0.1:" + std::to_string(port_)},
                       {"Content-Type", "application/x-amz-json-1.1"},
                       {"X-Amz-Target", "Kinesis_20131202." + std::string(action)}};
        if (creds) aws::sign(req, *creds, "us-east-1", "kinesis", aws::Clock::now());
        http::client::http_client client(url());
        http::http_request hr(http::methods::POST);
        for (auto& [k, v] : req.headers)
            if (k != "Host") hr.headers().add(k, v);
        // Bytes, not std::string: cpprest's string overload trips UBSan (see transport.cpp).
        hr.set_body(std::vector<unsigned char>(body.begin(), body.end()));
        http::http_response resp = client.request(hr).get();
        std::string text = resp.extract_utf8string(true).get();
        EXPECT_EQ(resp.status_code(), 200) << action << ": " << text;
        return text.empty() ? json::object() : json::parse(text);
    }

    void create_stream(const std::string& name, const Credentials* creds = nullptr,
                       int shards = 1) {
        call("CreateStream", {{"StreamName", name}, {"ShardCount", shards}}, creds);
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            json d = call("DescribeStreamSummary", {{"StreamName", name}}, creds);
            if (d["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE") return;
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "stream " << name << " never became ACTIVE";
    }

    // Every record of the stream's only shard, oldest first, decoded.
    std::vector<std::string> read_all(const std::string& name, const Credentials* creds = nullptr) {
        json it = call("GetShardIterator", {{"StreamName", name},
                                            {"ShardId", "shardId-000000000000"},
                                            {"ShardIteratorType", "TRIM_HORIZON"}},
                       creds);
        json got = call("GetRecords", {{"ShardIterator", it["ShardIterator"]}, {"Limit", 1000}},
                        creds);
        std::vector<std::string> out;
        for (const json& r : got["Records"])
            out.push_back(encoding::base64_decode(r["Data"].get<std::string>()).value_or("<bad>"));
        return out;
    }

private:
    uint16_t port_;
    uint16_t tls_port_ = 0;
    pid_t pid_ = -1;
};

std::unique_ptr<Sink> make_sink(Options o) {
    o.connect_timeout = 5s;
    o.request_timeout = 20s;
    auto s = Sink::create(std::move(o));
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
}

Options at(std::string endpoint) {
    Options o;
    o.endpoint = std::move(endpoint);
    return o;
}

SendResult put_one(Sink& sink, const std::string& stream, std::string data = "one") {
    OutRecord rec{"key", data};
    // A flow of its own per call: the collector deduplicates by (producer, flow, sequence), so a
    // reused tag would be answered from its dedup entry (docs/agent-delivery.md).
    static std::atomic<int> flows{0};
    return sink.put(stream, std::span(&rec, 1),
                    BatchTag{producer, "flow-" + std::to_string(++flows), 1});
}

// ---- plain HTTP -----------------------------------------------------------------------------

class HttpsSinkPlain : public testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        collector_ = new Collector(dir_->path);
    }
    static void TearDownTestSuite() {
        delete collector_;
        delete dir_;
    }
    static inline TempDir* dir_ = nullptr;
    static inline Collector* collector_ = nullptr;
};

TEST_F(HttpsSinkPlain, BatchesArriveWithTheirBytesAndInOrder) {
    collector_->create_stream("ordered");
    auto sink = make_sink(at(collector_->url()));
    ASSERT_TRUE(sink);
    std::string binary;
    for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
    std::vector<std::string> sent = {"first", binary, "third", "", "fifth\n", "sixth"};
    for (size_t b = 0; b < 2; ++b) {
        std::vector<OutRecord> recs;
        for (size_t i = 0; i < 3; ++i) recs.push_back({i % 2 ? "odd" : "even", sent[b * 3 + i]});
        SendResult r = sink->put("ordered", recs, BatchTag{producer, "flow-ordered", b + 1});
        ASSERT_EQ(r.status, Status::ok) << r.error;
        ASSERT_EQ(r.records.size(), 3u);
        for (const RecordResult& rr : r.records) {
            EXPECT_EQ(rr.status, Status::ok);
            EXPECT_EQ(rr.shard_id, "shardId-000000000000");
            EXPECT_FALSE(rr.sequence_number.empty());
        }
        EXPECT_EQ(r.http_status, 200);
    }
    EXPECT_EQ(collector_->read_all("ordered"), sent);
}

TEST_F(HttpsSinkPlain, MissingStreamIsRetryWithTheServiceText) {
    auto sink = make_sink(at(collector_->url()));
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "no-such-stream");
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_EQ(r.http_status, 400);
    EXPECT_TRUE(r.error.starts_with("ResourceNotFoundException: ")) << r.error;
    EXPECT_NE(r.error.find("no-such-stream"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("will retry"), std::string::npos) << r.error;
}

TEST_F(HttpsSinkPlain, ListShardsNamesTheOpenShardsAndTheirHashRanges) {
    collector_->create_stream("four", nullptr, 4);
    auto sink = make_sink(at(collector_->url()));
    ASSERT_TRUE(sink);
    auto shards = sink->list_shards("four");
    ASSERT_TRUE(shards) << shards.error().message;
    ASSERT_EQ(shards->size(), 4u);
    EXPECT_EQ((*shards)[0].shard_id, "shardId-000000000000");
    EXPECT_EQ((*shards)[0].starting_hash_key, "0");
    EXPECT_EQ((*shards)[3].ending_hash_key, "340282366920938463463374607431768211455");

    // A split closes its parent: only the open shards come back.
    collector_->call("SplitShard", {{"StreamName", "four"},
                                    {"ShardToSplit", "shardId-000000000000"},
                                    {"NewStartingHashKey", "1000"}});
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        json d = collector_->call("DescribeStreamSummary", {{"StreamName", "four"}});
        if (d["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE") break;
        std::this_thread::sleep_for(20ms);
    }
    shards = sink->list_shards("four");
    ASSERT_TRUE(shards) << shards.error().message;
    ASSERT_EQ(shards->size(), 5u);
    for (const auto& s : *shards) EXPECT_NE(s.shard_id, "shardId-000000000000");
}

TEST_F(HttpsSinkPlain, ListShardsOfAMissingStreamNamesTheServiceError) {
    auto sink = make_sink(at(collector_->url()));
    ASSERT_TRUE(sink);
    auto shards = sink->list_shards("no-such-stream");
    ASSERT_FALSE(shards);
    EXPECT_EQ(shards.error().code, errc::list_shards_failed);
    EXPECT_TRUE(shards.error().message.starts_with("ResourceNotFoundException: "))
        << shards.error().message;
}

TEST_F(HttpsSinkPlain, UnsignedRequestIsAcceptedByAnOpenCollector) {
    collector_->create_stream("open");
    auto sink = make_sink(at(collector_->url()));
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "open");
    EXPECT_EQ(r.status, Status::ok) << r.error;
    EXPECT_EQ(collector_->read_all("open"), std::vector<std::string>{"one"});
}

TEST(HttpsSinkNetwork, DeadPortIsRetry) {
    auto sink = make_sink(at("http://127.0.0.1:" + std::to_string(free_port())));
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "s");
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_EQ(r.http_status, 0);
    EXPECT_TRUE(r.error.starts_with("transport: ")) << r.error;
}

// ---- SigV4 ----------------------------------------------------------------------------------

class HttpsSinkSigned : public testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        collector_ = new Collector(dir_->path, &keys);
        collector_->create_stream("signed", &keys);
    }
    static void TearDownTestSuite() {
        delete collector_;
        delete dir_;
    }
    static inline TempDir* dir_ = nullptr;
    static inline Collector* collector_ = nullptr;
};

TEST_F(HttpsSinkSigned, RightKeysAreOk) {
    Options o = at(collector_->url());
    o.credentials = keys;
    auto sink = make_sink(o);
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "signed", "signed-record");
    EXPECT_EQ(r.status, Status::ok) << r.error;
    EXPECT_EQ(collector_->read_all("signed", &keys), std::vector<std::string>{"signed-record"});
}

TEST_F(HttpsSinkSigned, WrongSecretIsFatal) {
    Options o = at(collector_->url());
    o.credentials = {keys.access_key_id, "not-the-secret", ""};
    auto sink = make_sink(o);
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "signed");
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_TRUE(r.error.starts_with("InvalidSignatureException")) << r.error;
}

TEST_F(HttpsSinkSigned, UnknownKeyIdIsFatal) {
    Options o = at(collector_->url());
    o.credentials = {"AKIDUNKNOWN", keys.secret_access_key, ""};
    auto sink = make_sink(o);
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "signed");
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_TRUE(r.error.starts_with("UnrecognizedClientException")) << r.error;
}

TEST_F(HttpsSinkSigned, UnsignedRequestIsFatal) {
    auto sink = make_sink(at(collector_->url()));
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "signed");
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_TRUE(r.error.starts_with("MissingAuthenticationTokenException")) << r.error;
}

// ---- TLS ------------------------------------------------------------------------------------

class HttpsSinkTls : public testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        pki_ = new Pki(dir_->path);
        collector_ = new Collector(dir_->path, nullptr, pki_);
        collector_->create_stream("tls");
    }
    static void TearDownTestSuite() {
        delete collector_;
        delete pki_;
        delete dir_;
    }
    static inline TempDir* dir_ = nullptr;
    static inline Pki* pki_ = nullptr;
    static inline Collector* collector_ = nullptr;
};

TEST_F(HttpsSinkTls, TrustedByCaFileIsOk) {
    Options o = at(collector_->tls_url());
    o.ca_file = pki_->ca.string();
    auto sink = make_sink(o);
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "tls", "over-tls");
    EXPECT_EQ(r.status, Status::ok) << r.error;
    std::vector<std::string> got = collector_->read_all("tls");
    EXPECT_NE(std::find(got.begin(), got.end(), "over-tls"), got.end());
}

TEST_F(HttpsSinkTls, UntrustedCertificateIsFatal) {
    auto sink = make_sink(at(collector_->tls_url()));  // system store: our CA is unknown
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "tls");
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_TRUE(r.error.starts_with("TLS certificate verification failed")) << r.error;
}

TEST_F(HttpsSinkTls, CertificateForAnotherNameIsFatal) {
    Options o = at(collector_->tls_url("localhost"));  // the certificate names 127.0.0.1 only
    o.ca_file = pki_->ca.string();
    auto sink = make_sink(o);
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "tls");
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_TRUE(r.error.starts_with("TLS certificate verification failed")) << r.error;
}

TEST_F(HttpsSinkTls, VerificationOffAcceptsAnyCertificate) {
    Options o = at(collector_->tls_url());
    o.verify_tls = false;
    auto sink = make_sink(o);
    ASSERT_TRUE(sink);
    SendResult r = put_one(*sink, "tls", "unverified");
    EXPECT_EQ(r.status, Status::ok) << r.error;
}

}  // namespace
}  // namespace tributary::agent::sinks::https
