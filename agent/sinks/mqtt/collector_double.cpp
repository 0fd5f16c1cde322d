#include "agent/sinks/mqtt/collector_double.h"

namespace tributary::agent::sinks::mqtt::testing {
namespace {

constexpr const char* kRequests = "tributary/v1/+/put/+";

}  // namespace

wire::BatchAnswer all_ok(const SeenRequest& r) {
    wire::BatchAnswer a;
    for (size_t i = 0; i < r.data.size(); ++i) {
        wire::RecordResult rr;
        rr.ok = true;
        rr.sequence_number = "4965" + std::to_string(r.header.sequence) + std::to_string(i);
        a.records.push_back(std::move(rr));
    }
    return a;
}

CollectorDouble::CollectorDouble(std::string uri, Responder responder, std::optional<Tls> tls)
    : client_(std::make_unique<::mqtt::async_client>(uri, "tributary-collector-test",
                                                     ::mqtt::create_options(MQTTVERSION_5))),
      responder_(std::move(responder)) {
    opts_.set_mqtt_version(MQTTVERSION_5);
    opts_.set_clean_start(true);
    opts_.set_automatic_reconnect(std::chrono::milliseconds(50), std::chrono::milliseconds(300));
    opts_.set_connect_timeout(std::chrono::seconds(5));
    if (tls) {
        ::mqtt::ssl_options ssl;
        ssl.set_trust_store(tls->ca);
        ssl.set_key_store(tls->identity.cert.string());
        ssl.set_private_key(tls->identity.key.string());
        opts_.set_ssl(std::move(ssl));
    }
    client_->set_message_callback([this](::mqtt::const_message_ptr m) { on_message(m); });
    // A clean session after every (re)connect: subscribe again each time.
    client_->set_connected_handler([this](const std::string&) {
        try {
            client_->subscribe(kRequests, 1);
        } catch (const ::mqtt::exception&) {
        }
    });
}

CollectorDouble::~CollectorDouble() {
    client_->disable_callbacks();
    try {
        if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(5));
    } catch (const ::mqtt::exception&) {
    }
}

bool CollectorDouble::connect() {
    try {
        if (!client_->connect(opts_)->wait_for(std::chrono::seconds(10))) return false;
        return client_->subscribe(kRequests, 1)->wait_for(std::chrono::seconds(10));
    } catch (const ::mqtt::exception&) {
        return false;
    }
}

void CollectorDouble::on_message(const ::mqtt::const_message_ptr& m) {
    SeenRequest r;
    r.topic = m->get_topic();
    r.payload_bytes = m->get_payload().size();
    const ::mqtt::properties& p = m->get_properties();
    if (p.contains(::mqtt::property::RESPONSE_TOPIC))
        r.response_topic = ::mqtt::get<std::string>(p, ::mqtt::property::RESPONSE_TOPIC);
    if (p.contains(::mqtt::property::CORRELATION_DATA))
        r.correlation = ::mqtt::get<std::string>(p, ::mqtt::property::CORRELATION_DATA);
    if (p.contains(::mqtt::property::MESSAGE_EXPIRY_INTERVAL))
        r.message_expiry = ::mqtt::get<uint32_t>(p, ::mqtt::property::MESSAGE_EXPIRY_INTERVAL);
    std::optional<wire::BatchAnswer> answer;
    auto batch = wire::decode_batch(m->get_payload());
    if (batch) {
        r.header = batch->header;
        r.compressed = batch->compressed;
        for (const wire::BatchRecord& rec : batch->records) {
            r.partition_keys.emplace_back(rec.partition_key);
            r.data.emplace_back(rec.data);
        }
        answer = responder_(r);
    } else {
        answer = wire::BatchAnswer{{}, wire::batch_error_for(batch.error())};
    }
    std::string response_topic = r.response_topic, correlation = r.correlation;
    {
        // Recorded before answering, so a test that saw put() return also sees the request.
        std::lock_guard lk(mu_);
        seen_.push_back(std::move(r));
        cv_.notify_all();
    }
    if (answer && !response_topic.empty()) {
        std::string payload;
        if (wire::encode_answer(*answer, payload)) send_raw(response_topic, correlation, payload);
    }
}

void CollectorDouble::send_raw(const std::string& topic, const std::string& correlation,
                               std::string payload) {
    ::mqtt::properties props{{::mqtt::property::CORRELATION_DATA, correlation}};
    try {
        client_->publish(::mqtt::message::create(topic, std::move(payload), 1, false, props));
    } catch (const ::mqtt::exception&) {
    }
}

std::vector<SeenRequest> CollectorDouble::requests() const {
    std::lock_guard lk(mu_);
    return seen_;
}

bool CollectorDouble::wait_for_requests(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return seen_.size() >= n; });
}

}  // namespace tributary::agent::sinks::mqtt::testing
