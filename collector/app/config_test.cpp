#include "collector/app/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

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

TEST(CollectorConfig, FileMayCarryComments) {
    std::string path = testing::TempDir() + "collector-config-comments.json";
    std::ofstream(path) << "// the packaged file explains its keys\n"
                           "{\n  \"listen\": \"127.0.0.1:7\", /* loopback */\n"
                           "  // \"mqtt_broker\": \"ssl://127.0.0.1:8883\",\n"
                           "  \"log_level\": \"warn\"\n}\n";
    auto c = load_config({"--config", path});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->server.listen, "127.0.0.1:7");
    EXPECT_EQ(c->log_level, "warn");
    EXPECT_TRUE(c->mqtt.broker.empty());
}

TEST(CollectorConfig, ThePackagedConfigurationLoads) {
    auto c = load_config({"--config", TRIB_PACKAGED_COLLECTOR_JSON});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->store.data_dir, "/var/lib/tributary-collector");
    EXPECT_EQ(c->server.listen, "127.0.0.1:4567");
    EXPECT_TRUE(c->store.sync);
}

// Every key --help lists reaches apply(): a value of the right type is applied or refused for
// its value, never reported as a key apply() does not know.
TEST(CollectorConfig, EveryListedKeyIsApplied) {
    std::istringstream help(usage());
    int keys = 0;
    for (std::string line; std::getline(help, line);) {
        if (!line.starts_with("  ") || line.find('\t') == std::string::npos) continue;
        const std::string key = line.substr(2, line.find('\t') - 2);
        if (key == "credentials") continue;  // a list: covered by CredentialFlagsEnableSigV4
        ++keys;
        for (const char* value : {"1", "true", "127.0.0.1:1"}) {
            std::string flag = "--" + key + "=" + value;
            std::replace(flag.begin(), flag.end() - std::strlen(value), '_', '-');
            auto c = load_config({flag});
            if (!c) {
                EXPECT_EQ(c.error().message.find("not applied"), std::string::npos) << flag;
            }
        }
    }
    EXPECT_GE(keys, 28);
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

TEST(CollectorConfig, MqttOptionsReachTheIngest) {
    std::string path = testing::TempDir() + "collector-config-mqtt.json";
    std::ofstream(path) << R"({"mqtt_broker": "ssl://broker:8883", "mqtt_share_group": "g",
        "mqtt_ca_file": "/ca.pem", "mqtt_cert_file": "/c.pem", "mqtt_key_file": "/k.pem",
        "mqtt_username": "u", "mqtt_password": "p", "mqtt_workers": 8})";
    auto c = load_config({"--config", path, "--mqtt-client-id", "collector-a"});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->mqtt.broker, "ssl://broker:8883");
    EXPECT_EQ(c->mqtt.client_id, "collector-a");
    EXPECT_EQ(c->mqtt.share_group, "g");
    EXPECT_EQ(c->mqtt.ca_file, "/ca.pem");
    EXPECT_EQ(c->mqtt.cert_file, "/c.pem");
    EXPECT_EQ(c->mqtt.key_file, "/k.pem");
    EXPECT_EQ(c->mqtt.username, "u");
    EXPECT_EQ(c->mqtt.password, "p");
    EXPECT_EQ(c->mqtt.workers, 8u);
}

TEST(CollectorConfig, MqttIsOffByDefault) {
    auto c = load_config({});
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->mqtt.broker.empty());
}

TEST(CollectorConfig, MqttWorkersMustBePositive) {
    EXPECT_FALSE(load_config({"--mqtt-workers", "0"}));
}

}  // namespace tributary::collector::app
