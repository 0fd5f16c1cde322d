// The source and sink lists: every kind agent/config accepts has exactly one descriptor, named
// as agent.json spells it, with its keys declared.

#include <gtest/gtest.h>

#include <set>

#include "agent/sinks/https/sink.h"
#include "agent/sinks/mqtt/sink.h"
#include "agent/sinks/sink.h"
#include "agent/sources/source.h"

namespace tributary::agent {
namespace {

TEST(ComponentList, EverySourceKindHasOneDescriptorWithItsKeys) {
    std::set<std::string_view> names;
    for (const auto* d : sources::source_list()) {
        EXPECT_TRUE(names.insert(d->name).second) << d->name;
        EXPECT_FALSE(d->description.empty()) << d->name;
        EXPECT_FALSE(d->keys.empty()) << d->name;
        EXPECT_NE(d->make, nullptr) << d->name;
        for (const auto& k : d->keys) EXPECT_FALSE(k.name.empty()) << d->name;
    }
    for (auto kind : {config::Source::file, config::Source::metrics}) {
        const auto* d = sources::find_source(kind);
        ASSERT_NE(d, nullptr);
        EXPECT_EQ(d->kind, kind);
    }
    EXPECT_EQ(sources::find_source(config::Source::file)->name, "file");
    EXPECT_EQ(sources::find_source(config::Source::metrics)->name, "metrics");
}

TEST(ComponentList, EverySinkHasOneDescriptorNamedAsInAgentJson) {
    std::set<std::string_view> names;
    for (const auto* d : sinks::sink_list()) {
        EXPECT_TRUE(names.insert(d->name).second) << d->name;
        EXPECT_EQ(config::to_string(d->kind), d->name);
        EXPECT_FALSE(d->description.empty()) << d->name;
        EXPECT_FALSE(d->keys.empty()) << d->name;
        EXPECT_EQ(sinks::find_sink(d->kind), d);
    }
    EXPECT_NE(sinks::find_sink(config::Sink::https), nullptr);
    EXPECT_NE(sinks::find_sink(config::Sink::mqtt), nullptr);
}

template <class Sink>
void check_outcome() {
    typename Sink::SendResult r;
    r.status = Sink::Status::ok;
    r.records.resize(3);
    r.records[1].status = Sink::Status::retry;
    r.records[1].error_code = "ProvisionedThroughputExceededException";
    r.records[1].error_message = "Rate exceeded for shard";
    r.throttled = true;
    auto o = sinks::to_outcome(r);
    EXPECT_EQ(o.status, engine::SendStatus::ok);
    EXPECT_EQ(o.records, (std::vector<engine::SendStatus>{engine::SendStatus::ok,
                                                          engine::SendStatus::retry,
                                                          engine::SendStatus::ok}));
    EXPECT_TRUE(o.throttled);
    EXPECT_EQ(o.error, "ProvisionedThroughputExceededException: Rate exceeded for shard");
    typename Sink::SendResult fatal;
    fatal.status = Sink::Status::fatal;
    fatal.error = "AccessDeniedException: no";
    o = sinks::to_outcome(fatal);
    EXPECT_EQ(o.status, engine::SendStatus::fatal);
    EXPECT_TRUE(o.records.empty());
    EXPECT_EQ(o.error, "AccessDeniedException: no");
}

struct HttpsTypes {
    using SendResult = sinks::https::SendResult;
    using Status = sinks::https::Status;
};
struct MqttTypes {
    using SendResult = sinks::mqtt::SendResult;
    using Status = sinks::mqtt::Status;
};

TEST(ComponentList, BothSinksResultsBecomeTheEnginesOutcome) {
    check_outcome<HttpsTypes>();
    check_outcome<MqttTypes>();
}

}  // namespace
}  // namespace tributary::agent
