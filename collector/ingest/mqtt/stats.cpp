#include "collector/ingest/mqtt/stats.h"

namespace tributary::collector::ingest::mqtt {

std::string_view to_string(DropReason r) {
    switch (r) {
        case DropReason::topic: return "topic";
        case DropReason::response_topic: return "response_topic";
        case DropReason::correlation: return "correlation";
        case DropReason::shutdown: return "shutdown";
    }
    return "unknown";
}

void IngestStats::batch_error(std::string_view type, std::string_view reason) {
    std::lock_guard lock(mu_);
    ++batch_errors_[{std::string(type), std::string(reason)}];
}

uint64_t IngestStats::batch_error_count(std::string_view type, std::string_view reason) const {
    std::lock_guard lock(mu_);
    auto it = batch_errors_.find({std::string(type), std::string(reason)});
    return it == batch_errors_.end() ? 0 : it->second;
}

void IngestStats::record_failed(std::string_view code) {
    std::lock_guard lock(mu_);
    auto it = record_failures_.find(code);
    if (it == record_failures_.end()) it = record_failures_.emplace(std::string(code), 0).first;
    ++it->second;
}

uint64_t IngestStats::record_failed_count(std::string_view code) const {
    std::lock_guard lock(mu_);
    auto it = record_failures_.find(code);
    return it == record_failures_.end() ? 0 : it->second;
}

namespace {

void counter(std::string& out, std::string_view name, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " counter\n";
}

void sample(std::string& out, std::string_view name, std::string_view labels, uint64_t v) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    out += std::to_string(v);
    out += '\n';
}

}  // namespace

void IngestStats::render(std::string& out) const {
    counter(out, "tributary_mqtt_messages_received_total", "MQTT requests delivered by the broker");
    sample(out, "tributary_mqtt_messages_received_total", "", received.load());
    counter(out, "tributary_mqtt_batches_total",
            "Requests answered with per-record results: stored, or replayed from the dedup entry");
    sample(out, "tributary_mqtt_batches_total", "outcome=\"stored\"", batches_stored.load());
    sample(out, "tributary_mqtt_batches_total", "outcome=\"replayed\"", batches_replayed.load());
    counter(out, "tributary_mqtt_records_stored_total", "Records written from MQTT requests");
    sample(out, "tributary_mqtt_records_stored_total", "aws_metric=\"IncomingRecords\"",
           records_stored.load());
    std::map<std::pair<std::string, std::string>, uint64_t> errors;
    std::map<std::string, uint64_t, std::less<>> failures;
    {
        std::lock_guard lock(mu_);
        errors = batch_errors_;
        failures = record_failures_;
    }
    counter(out, "tributary_mqtt_errors_total",
            "Requests answered with a whole-batch error, by error type and reason");
    for (const auto& [key, n] : errors)
        sample(out, "tributary_mqtt_errors_total",
               "type=\"" + key.first + "\",reason=\"" + key.second + "\"", n);
    counter(out, "tributary_mqtt_record_errors_total", "Failed records in stored batches");
    for (const auto& [code, n] : failures)
        sample(out, "tributary_mqtt_record_errors_total", "code=\"" + code + "\"", n);
    counter(out, "tributary_mqtt_dropped_total",
            "Requests dropped without an answer (docs/mqtt.md 5.2), by reason");
    for (size_t i = 0; i < kDropReasons; ++i)
        sample(out, "tributary_mqtt_dropped_total",
               "reason=\"" + std::string(to_string(static_cast<DropReason>(i))) + "\"",
               dropped_[i].load());
    counter(out, "tributary_mqtt_answers_total", "Answers handed to the MQTT client, or refused");
    sample(out, "tributary_mqtt_answers_total", "outcome=\"published\"", answers_published.load());
    sample(out, "tributary_mqtt_answers_total", "outcome=\"failed\"", answers_failed.load());
    counter(out, "tributary_mqtt_connects_total", "Successful connections to the broker");
    sample(out, "tributary_mqtt_connects_total", "", connects.load());
    counter(out, "tributary_mqtt_connections_lost_total", "Connections to the broker lost");
    sample(out, "tributary_mqtt_connections_lost_total", "", connections_lost.load());
    out += "# HELP tributary_mqtt_connected 1 while connected and subscribed to the broker\n"
           "# TYPE tributary_mqtt_connected gauge\n";
    sample(out, "tributary_mqtt_connected", "", connected.load() ? 1 : 0);
    out += "# HELP tributary_mqtt_queued_requests Requests waiting for an ingest worker\n"
           "# TYPE tributary_mqtt_queued_requests gauge\n";
    sample(out, "tributary_mqtt_queued_requests", "", queued.load());
}

}  // namespace tributary::collector::ingest::mqtt
