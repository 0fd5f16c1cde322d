#include "collector/store/stream.h"

#include <nlohmann/json.hpp>

namespace tributary::collector::store {
namespace {

StreamStatus status_from(std::string_view s) {
    if (s == "CREATING") return StreamStatus::creating;
    if (s == "UPDATING") return StreamStatus::updating;
    if (s == "DELETING") return StreamStatus::deleting;
    return StreamStatus::active;
}

template <class T>
void opt_to(nlohmann::json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}
template <class T>
void opt_from(const nlohmann::json& j, const char* key, std::optional<T>& v) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) v = it->get<T>();
}

}  // namespace

std::string_view to_string(StreamStatus s) {
    switch (s) {
        case StreamStatus::creating: return "CREATING";
        case StreamStatus::active: return "ACTIVE";
        case StreamStatus::updating: return "UPDATING";
        case StreamStatus::deleting: return "DELETING";
    }
    return "ACTIVE";
}

const ShardMeta* StreamMeta::shard(uint32_t index) const {
    for (const auto& s : shards)
        if (s.index == index) return &s;
    return nullptr;
}

ShardMeta* StreamMeta::shard(uint32_t index) {
    for (auto& s : shards)
        if (s.index == index) return &s;
    return nullptr;
}

size_t StreamMeta::open_shard_count() const {
    size_t n = 0;
    for (const auto& s : shards) n += s.open();
    return n;
}

const ShardMeta* StreamMeta::route(HashKey key) const {
    for (const auto& s : shards)
        if (s.open() && s.start <= key && key <= s.end) return &s;
    return nullptr;
}

const Consumer* StreamMeta::consumer(std::string_view n) const {
    for (const auto& c : consumers)
        if (c.name == n) return &c;
    return nullptr;
}

void to_json(nlohmann::json& j, const StreamMeta& m) {
    nlohmann::json shards = nlohmann::json::array();
    for (const auto& s : m.shards) {
        nlohmann::json js = {{"index", s.index},
                             {"start", s.start.to_string()},
                             {"end", s.end.to_string()},
                             {"created_ms", s.created_ms},
                             {"create_secs", s.create_secs},
                             {"trim_index", s.trim_index},
                             {"next_index", s.next_index},
                             {"slot", s.slot}};
        opt_to(js, "parent", s.parent);
        opt_to(js, "adjacent_parent", s.adjacent_parent);
        opt_to(js, "closed_ms", s.closed_ms);
        shards.push_back(std::move(js));
    }
    nlohmann::json consumers = nlohmann::json::array();
    for (const auto& c : m.consumers) {
        nlohmann::json jc = {{"name", c.name},
                             {"arn", c.arn},
                             {"status", to_string(c.status)},
                             {"created_ms", c.created_ms},
                             {"tags", c.tags}};
        opt_to(jc, "policy", c.policy);
        consumers.push_back(std::move(jc));
    }
    j = {{"version", 2},
         {"id", m.id},
         {"name", m.name},
         {"arn", m.arn},
         {"status", to_string(m.status)},
         {"status_until_ms", m.status_until_ms},
         {"on_demand", m.on_demand},
         {"retention_hours", m.retention_hours},
         {"created_ms", m.created_ms},
         {"shards", std::move(shards)},
         {"next_shard_index", m.next_shard_index},
         {"tags", m.tags},
         {"consumers", std::move(consumers)},
         {"encryption_type", m.encryption_type},
         {"key_id", m.key_id},
         {"shard_level_metrics", m.shard_level_metrics},
         {"max_record_kib", m.max_record_kib},
         {"warm_throughput_mibps", m.warm_throughput_mibps},
         {"scaling_events_ms", m.scaling_events_ms}};
    opt_to(j, "policy", m.policy);
}

void from_json(const nlohmann::json& j, StreamMeta& m) {
    m.id = j.at("id").get<uint32_t>();
    m.name = j.at("name").get<std::string>();
    m.arn = j.at("arn").get<std::string>();
    m.status = status_from(j.at("status").get<std::string>());
    m.status_until_ms = j.value("status_until_ms", uint64_t(0));
    m.on_demand = j.value("on_demand", false);
    m.retention_hours = j.value("retention_hours", 24);
    m.created_ms = j.at("created_ms").get<uint64_t>();
    m.shards.clear();
    for (const auto& js : j.at("shards")) {
        ShardMeta s;
        s.index = js.at("index").get<uint32_t>();
        s.start = HashKey::parse(js.at("start").get<std::string>()).value();
        s.end = HashKey::parse(js.at("end").get<std::string>()).value();
        s.created_ms = js.at("created_ms").get<uint64_t>();
        s.create_secs = js.at("create_secs").get<uint64_t>();
        s.trim_index = js.value("trim_index", uint64_t(1));
        s.next_index = js.value("next_index", uint64_t(1));
        s.slot = js.at("slot").get<uint32_t>();
        opt_from(js, "parent", s.parent);
        opt_from(js, "adjacent_parent", s.adjacent_parent);
        opt_from(js, "closed_ms", s.closed_ms);
        m.shards.push_back(s);
    }
    m.next_shard_index = j.at("next_shard_index").get<uint32_t>();
    m.tags = j.value("tags", std::map<std::string, std::string>{});
    m.consumers.clear();
    for (const auto& jc : j.value("consumers", nlohmann::json::array())) {
        Consumer c;
        c.name = jc.at("name").get<std::string>();
        c.arn = jc.at("arn").get<std::string>();
        c.status = status_from(jc.at("status").get<std::string>());
        c.created_ms = jc.at("created_ms").get<uint64_t>();
        c.tags = jc.value("tags", std::map<std::string, std::string>{});
        opt_from(jc, "policy", c.policy);
        m.consumers.push_back(std::move(c));
    }
    m.encryption_type = j.value("encryption_type", std::string("NONE"));
    m.key_id = j.value("key_id", std::string());
    m.shard_level_metrics = j.value("shard_level_metrics", std::set<std::string>{});
    m.max_record_kib = j.value("max_record_kib", 1024);
    m.warm_throughput_mibps = j.value("warm_throughput_mibps", 0);
    m.scaling_events_ms = j.value("scaling_events_ms", std::vector<uint64_t>{});
    opt_from(j, "policy", m.policy);
}

}  // namespace tributary::collector::store
