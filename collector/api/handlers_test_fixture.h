#pragma once
// Fixture shared by the metadata handler tests: a real ShardStore in a temporary directory,
// with a clock the tests move, and a Context to call handlers with.

#include <gtest/gtest.h>

#include <filesystem>

#include "collector/api/errors.h"
#include "collector/api/handlers.h"

namespace tributary::collector::api {

namespace h = handlers;

constexpr uint64_t kStart = 1'764'000'000'000;  // whole seconds, so ARNs are predictable

class MetaHandlersTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trib-meta-XXXXXX";
        dir_ = mkdtemp(tmpl);
        open();
    }
    void TearDown() override {
        ctx_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open() {
        ctx_.reset();
        store_.reset();
        store::StoreOptions o;
        o.data_dir = dir_;
        o.map_size = size_t(256) << 20;
        o.clock = [this] { return now_; };
        o.throughput_limits = false;
        o.status_delay_ms = status_delay_ms_;
        o.on_demand_stream_limit = on_demand_limit_;
        o.hour_ms = 1000;  // the billing commitment's 24 hours last 24 s here
        auto s = store::ShardStore::open(o);
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
        ctx_ = std::make_unique<Context>(*store_, options_, codec_);
    }
    void create(const std::string& name, uint32_t shards = 1, bool on_demand = false) {
        store::CreateStreamArgs args;
        args.name = name;
        args.shard_count = shards;
        args.on_demand = on_demand;
        auto r = store_->create_stream(args);
        ASSERT_TRUE(r) << r.error().message;
        if (status_delay_ms_ > 0) settle();
    }
    // Lets a pending CREATING/UPDATING state end.
    void settle() {
        now_ += static_cast<uint64_t>(status_delay_ms_) + 1;
        ASSERT_TRUE(store_->run_maintenance());
    }
    Result<json> call(Handler handler, json body) {
        Input in(body, Format::json);
        return handler(*ctx_, in);
    }
    json ok(Handler handler, json body) {
        auto r = call(handler, std::move(body));
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : json();
    }
    std::string arn(const std::string& stream) { return store_->stream_arn(stream); }
    std::string consumer_arn(const std::string& stream, const std::string& consumer,
                             uint64_t at = kStart) {
        return arn(stream) + "/consumer/" + consumer + ":" + std::to_string(at / 1000);
    }
    std::string register_consumer(const std::string& stream, const std::string& name) {
        auto out =
            ok(h::register_stream_consumer, {{"StreamARN", arn(stream)}, {"ConsumerName", name}});
        return out["Consumer"]["ConsumerARN"].get<std::string>();
    }

    std::string dir_;
    uint64_t now_ = kStart;
    int64_t status_delay_ms_ = 0;
    uint32_t on_demand_limit_ = 50;
    ApiOptions options_;
    IteratorCodec codec_{std::string(48, 'k')};
    std::unique_ptr<store::ShardStore> store_;
    std::unique_ptr<Context> ctx_;
};

inline void expect_error(const Result<json>& r, std::string_view type, std::string_view message = {}) {
    ASSERT_FALSE(r) << r->dump();
    EXPECT_EQ(aws_error(r.error().code).type, type) << r.error().message;
    if (!message.empty()) {
        EXPECT_EQ(r.error().message, message);
    }
}

inline json tags_json(std::initializer_list<std::pair<const char*, const char*>> kv) {
    json out = json::array();
    for (auto [k, v] : kv) out.push_back({{"Key", k}, {"Value", v}});
    return out;
}

}  // namespace tributary::collector::api
