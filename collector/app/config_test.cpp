#include "collector/app/config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace tributary::collector::app {

TEST(CollectorConfig, FlagsOverrideTheFile) {
    std::string path = testing::TempDir() + "collector-config-test.json";
    std::ofstream(path) << R"({"data_dir": "/var/lib/x", "listen": "127.0.0.1:1", "sync": false})";
    auto c = load_config({"--config", path, "--listen=127.0.0.1:9", "--throughput-limits", "off"});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->store.data_dir, "/var/lib/x");
    EXPECT_EQ(c->server.listen, "127.0.0.1:9");
    EXPECT_FALSE(c->store.sync);
    EXPECT_FALSE(c->store.throughput_limits);
}

TEST(CollectorConfig, UnknownKeyNamesFileAndKey) {
    std::string path = testing::TempDir() + "collector-config-bad.json";
    std::ofstream(path) << R"({"data_dri": "/x"})";
    auto c = load_config({"--config", path});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find(path), std::string::npos);
    EXPECT_NE(c.error().message.find("data_dri"), std::string::npos);
}

TEST(CollectorConfig, WrongTypeIsAnError) {
    std::string path = testing::TempDir() + "collector-config-type.json";
    std::ofstream(path) << R"({"sync": "maybe"})";
    auto c = load_config({"--config", path});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("'sync'"), std::string::npos);
}

TEST(CollectorConfig, CredentialFlagsEnableSigV4) {
    auto c = load_config({"--access-key-id", "AKID", "--secret-access-key", "s3cr3t"});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->api.credentials.at("AKID"), "s3cr3t");
    EXPECT_FALSE(load_config({"--access-key-id", "AKID"}));
}

TEST(CollectorConfig, ProducerDedupLimitsComeFromFileAndFlags) {
    std::string path = testing::TempDir() + "collector-config-producers.json";
    std::ofstream(path) << R"({"producer_ttl_ms": 3600000})";
    auto c = load_config({"--config", path, "--producer-max-entries", "500"});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->store.producer_ttl_ms, 3'600'000);
    EXPECT_EQ(c->store.producer_max_entries, 500u);
    auto defaults = load_config({});
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults->store.producer_ttl_ms, 86'400'000);
    EXPECT_EQ(defaults->store.producer_max_entries, 100'000u);
    auto zero = load_config({"--producer-max-entries", "0"});
    ASSERT_FALSE(zero);
    EXPECT_NE(zero.error().message.find("producer_max_entries"), std::string::npos);
}

}  // namespace tributary::collector::app
