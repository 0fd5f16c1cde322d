// Ingest's option checks and lifecycle without a broker (the broker end to end is
// tests/integration/test_mqtt.py).

#include "collector/ingest/mqtt/ingest.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "collector/ingest/mqtt/errc.h"

namespace tributary::collector::ingest::mqtt {
namespace {

class IngestTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trib-ingest-XXXXXX";
        dir_ = mkdtemp(tmpl);
        store::StoreOptions o;
        o.data_dir = dir_;
        o.map_size = size_t(64) << 20;
        auto s = store::ShardStore::open(o);
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    std::string dir_;
    std::unique_ptr<store::ShardStore> store_;
};

TEST_F(IngestTest, EmptyBrokerIsAnInvalidOption) {
    auto r = Ingest::start(*store_, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(errc::invalid_options));
}

TEST_F(IngestTest, TlsFilesNeedAnSslBroker) {
    IngestOptions o;
    o.broker = "tcp://127.0.0.1:1883";
    o.ca_file = "/etc/hostname";
    auto r = Ingest::start(*store_, o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("ssl://"), std::string::npos) << r.error().message;
}

TEST_F(IngestTest, CertificateWithoutKeyIsRefused) {
    IngestOptions o;
    o.broker = "ssl://127.0.0.1:8883";
    o.cert_file = "/etc/hostname";
    auto r = Ingest::start(*store_, o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("mqtt_key_file"), std::string::npos);
}

TEST_F(IngestTest, UnreadableCaFileIsNamed) {
    IngestOptions o;
    o.broker = "ssl://127.0.0.1:8883";
    o.ca_file = dir_ + "/missing.pem";
    auto r = Ingest::start(*store_, o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("missing.pem"), std::string::npos);
}

TEST_F(IngestTest, ShareGroupWithWildcardIsRefused) {
    IngestOptions o;
    o.broker = "tcp://127.0.0.1:1883";
    o.share_group = "a/+";
    EXPECT_FALSE(Ingest::start(*store_, o));
}

TEST_F(IngestTest, UnsupportedUriSchemeIsAClientError) {
    IngestOptions o;
    o.broker = "gopher://127.0.0.1:1883";
    auto r = Ingest::start(*store_, o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(errc::client_failed));
}

TEST_F(IngestTest, StopsPromptlyWhileTheBrokerIsUnreachable) {
    IngestOptions o;
    o.broker = "tcp://127.0.0.1:1";  // refused at once: the ingest retries with backoff
    o.client_id = "ingest-test";
    auto r = Ingest::start(*store_, o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE((*r)->wait_connected(std::chrono::milliseconds(300)));
    auto began = std::chrono::steady_clock::now();
    (*r)->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(3));
    EXPECT_FALSE((*r)->connected());
}

}  // namespace
}  // namespace tributary::collector::ingest::mqtt
