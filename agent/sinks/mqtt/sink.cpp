// The MQTT sink over Paho MQTT C++ (the only file that includes Paho). One async_client, one
// connection thread that owns connecting and reconnecting, and a table of waiting put()s that
// Paho's callback thread settles when an answer arrives.

#include "agent/sinks/mqtt/sink.h"

#include <mqtt/async_client.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "agent/sinks/mqtt/protocol.h"
#include "agent/sinks/mqtt/tls_probe.h"
#include "shared/net/tcp_nodelay.h"
#include "shared/log/log.h"
#include "shared/wire/batch.h"

namespace tributary::agent::sinks::mqtt {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int whole_seconds(std::chrono::milliseconds d) {
    return static_cast<int>(std::max<int64_t>(1, (d.count() + 999) / 1000));
}

SendResult outcome(Status status, std::string error, bool throttled = false) {
    SendResult r;
    r.status = status;
    r.error = std::move(error);
    r.throttled = throttled;
    return r;
}

// One put() waiting for its answer. Guarded by MqttSink::mu_.
struct Waiter {
    std::string correlation;
    size_t record_count = 0;
    std::optional<SendResult> result;  // set once: answer, publish failure or connection loss
    std::condition_variable cv;
};

class MqttSink;

// Paho calls this when a publish fails asynchronously (a PUBACK with a failure reason code);
// the user context is the waiter's id, looked up again because the put() may have given up.
class PublishListener final : public ::mqtt::iaction_listener {
public:
    explicit PublishListener(MqttSink& sink) : sink_(sink) {}
    void on_failure(const ::mqtt::token& tok) override;
    void on_success(const ::mqtt::token&) override {}

private:
    MqttSink& sink_;
};

class MqttSink final : public Sink {
public:
    MqttSink(Options o, std::string ack_topic)
        : opts_(std::move(o)),
          ack_topic_(std::move(ack_topic)),
          listener_(*this),
          rng_(std::random_device{}()) {}

    ~MqttSink() override {
        {
            std::lock_guard lk(mu_);
            stopping_ = true;
            state_cv_.notify_all();
        }
        if (thread_.joinable()) thread_.join();
        client_->disable_callbacks();
        try {
            if (client_->is_connected())
                client_->disconnect(opts_.connect_timeout)->wait_for(opts_.connect_timeout);
        } catch (const ::mqtt::exception& e) {
            TRIB_LOG(warn, "mqtt_disconnect_failed").kv("error", e.what());
        }
        std::lock_guard lk(mu_);
        fail_waiters_locked("sink shut down");
    }

    Result<void> init() {
        try {
            ::mqtt::create_options create(MQTTVERSION_5);
            // No Paho persistence: the spool is the durable copy and the engine resends.
            client_ =
                std::make_unique<::mqtt::async_client>(opts_.broker_uri, opts_.client_id, create);
        } catch (const std::exception& e) {
            return fail(errc::client_failed, "cannot create the MQTT client for '" +
                                                 opts_.broker_uri + "': " + e.what());
        }
        configure(connect_opts_);
        client_->set_message_callback([this](::mqtt::const_message_ptr m) { on_message(m); });
        client_->set_connection_lost_handler([this](const std::string& cause) { on_lost(cause); });
        client_->set_disconnected_handler([this](const ::mqtt::properties&, ::mqtt::ReasonCode rc) {
            on_lost("broker sent DISCONNECT, reason code " + std::to_string(int(rc)));
        });
        thread_ = std::thread([this] { run(); });
        return {};
    }

    SendResult put(std::string_view stream, std::span<const OutRecord> records,
                   const BatchTag& tag) override;
    Stats stats() const override;

    void publish_failed(uint64_t waiter_id, int reason_code, std::string_view what) {
        ConnectFailure f = classify_publish_failure(reason_code, what);
        std::lock_guard lk(mu_);
        auto it = waiters_.find(waiter_id);
        if (it == waiters_.end() || it->second->result) return;
        it->second->result = outcome(f.status, f.error, f.throttled);
        it->second->cv.notify_all();
    }

private:
    enum class State { connecting, ready, down };

    // Fills the options in place: Paho C++ 1.2's connect_options copy leaves the C struct
    // pointing at the source's properties, which crashed in MQTTProperties_copy once the
    // source was gone. connect() then copies from this long-lived member, which is safe.
    // No ssl_options error handler for the same reason (its context pointer ends up at the
    // by-value copy connect() takes, gone once connect() returns: ASan caught it);
    // tls_probe() finds out what went wrong instead.
    void configure(::mqtt::connect_options& c) {
        c.set_mqtt_version(MQTTVERSION_5);
        c.set_clean_start(false);
        c.set_keep_alive_interval(opts_.keepalive);
        c.set_connect_timeout(std::chrono::seconds(whole_seconds(opts_.connect_timeout)));
        c.set_automatic_reconnect(false);  // ours has jitter and resubscribes (run())
        c.set_max_inflight(opts_.max_inflight);
        if (!opts_.username.empty()) c.set_user_name(opts_.username);
        if (!opts_.password.empty()) c.set_password(opts_.password);
        c.set_properties({
            {::mqtt::property::SESSION_EXPIRY_INTERVAL,
             static_cast<int>(std::min<int64_t>(opts_.session_expiry.count(), INT32_MAX))},
            {::mqtt::property::RECEIVE_MAXIMUM, opts_.receive_maximum},
        });
        if (opts_.broker_uri.starts_with("ssl://")) {
            ::mqtt::ssl_options ssl;
            if (!opts_.ca_file.empty()) ssl.set_trust_store(opts_.ca_file);
            if (!opts_.cert_file.empty()) {
                ssl.set_key_store(opts_.cert_file);
                ssl.set_private_key(opts_.key_file);
            }
            ssl.set_enable_server_cert_auth(opts_.verify_tls);
            ssl.set_verify(opts_.verify_tls);  // host name / IP against the certificate
            ssl.set_ssl_version(MQTT_SSL_VERSION_TLS_1_2);  // "1.2 or later" in Paho
            c.set_ssl(std::move(ssl));
        }
    }

    // The connection thread: connect, subscribe, wait for a loss, back off, again.
    void run() {
        unsigned attempt = 0;
        std::unique_lock lk(mu_);
        while (!stopping_) {
            state_ = State::connecting;
            lk.unlock();
            std::optional<ConnectFailure> failure = connect_once();
            lk.lock();
            if (stopping_) break;
            if (!failure) {
                state_ = State::ready;
                down_ = ConnectFailure{};
                ++connects_;
                Clock::time_point up = Clock::now();
                TRIB_LOG(info, "mqtt_connected")
                    .kv("broker", opts_.broker_uri)
                    .kv("client_id", opts_.client_id)
                    .kv("session_present", session_present_);
                state_cv_.notify_all();
                state_cv_.wait(lk, [&] { return stopping_ || state_ != State::ready; });
                if (stopping_) break;
                if (Clock::now() - up >= opts_.stable_connection) attempt = 0;
            } else {
                state_ = State::down;
                down_ = std::move(*failure);
                TRIB_LOG(warn, "mqtt_connect_failed")
                    .kv("broker", opts_.broker_uri)
                    .kv("error", down_.error)
                    .kv("fatal", down_.status == Status::fatal);
                state_cv_.notify_all();
            }
            auto delay = reconnect_delay(opts_.reconnect_min, opts_.reconnect_max, attempt, rng_);
            attempt = std::min(attempt + 1, 30u);
            state_cv_.wait_for(lk, delay, [&] { return stopping_; });
        }
    }

    // One CONNECT, then the ack subscription unless the broker kept it. Returns why it failed.
    std::optional<ConnectFailure> connect_once() {
        try {
            ::mqtt::token_ptr tok = client_->connect(connect_opts_);
            auto bound = opts_.connect_timeout + 2s;
            if (!tok->wait_for(bound))
                return ConnectFailure{Status::retry, false, "CONNECT timed out"};
            // Paho leaves Nagle on, which made each answer wait ~40 ms behind the PUBACK
            // before it (shared/net/tcp_nodelay.h).
            net::set_nodelay_to_port(net::uri_port(opts_.broker_uri.c_str()));
            ::mqtt::connect_response rsp = tok->get_connect_response();
            const ::mqtt::properties& props = rsp.get_properties();
            uint32_t max_packet = 0;
            if (props.contains(::mqtt::property::MAXIMUM_PACKET_SIZE))
                max_packet = ::mqtt::get<uint32_t>(props, ::mqtt::property::MAXIMUM_PACKET_SIZE);
            max_packet_.store(max_packet);
            bool present = rsp.is_session_present();
            {
                std::lock_guard lk(mu_);
                session_present_ = present;
            }
            // A lost session lost our subscription too (docs/mqtt.md §5.1.4); the first connect
            // of the process subscribes anyway, in case an old session predates this config.
            if (!present || !subscribed_) {
                ::mqtt::token_ptr sub = client_->subscribe(ack_topic_, 1);
                if (!sub->wait_for(bound))
                    return ConnectFailure{Status::retry, false, "SUBSCRIBE timed out"};
                subscribed_ = true;
            }
            return std::nullopt;
        } catch (const ::mqtt::exception& e) {
            subscribed_ = false;
            // A refused SUBSCRIBE (the ACL) leaves a connection we cannot use.
            try {
                if (client_->is_connected()) client_->disconnect()->wait_for(opts_.connect_timeout);
            } catch (const ::mqtt::exception&) {
            }
            bool over_tls = opts_.broker_uri.starts_with("ssl://");
            std::string tls;
            if (over_tls && e.get_reason_code() < 0x80)
                tls = tls_probe(opts_, opts_.connect_timeout);
            return classify_connect_failure(e.get_reason_code(), tls, e.what(), over_tls);
        }
    }

    void on_lost(const std::string& cause) {
        std::lock_guard lk(mu_);
        if (state_ != State::ready) return;
        state_ = State::down;
        ++losses_;
        down_ = ConnectFailure{Status::retry, false, "connection to the broker lost: " + cause};
        TRIB_LOG(warn, "mqtt_connection_lost").kv("broker", opts_.broker_uri).kv("cause", cause);
        // An answer may still come after a reconnect, but only if the session survived; the
        // engine resends the same batch and the collector replays its answer either way.
        fail_waiters_locked(down_.error);
        state_cv_.notify_all();
    }

    void fail_waiters_locked(const std::string& why) {
        for (auto& [id, w] : waiters_) {
            if (w->result) continue;
            w->result = outcome(Status::retry, why);
            w->cv.notify_all();
        }
    }

    void on_message(const ::mqtt::const_message_ptr& m) {
        const ::mqtt::properties& props = m->get_properties();
        if (m->get_topic() != ack_topic_ || !props.contains(::mqtt::property::CORRELATION_DATA)) {
            unmatched_.fetch_add(1);
            return;
        }
        std::string corr = ::mqtt::get<std::string>(props, ::mqtt::property::CORRELATION_DATA);
        auto answer = wire::decode_answer(m->get_payload());
        if (!answer) {
            // docs/mqtt.md §1: an undecodable answer counts as lost; the timeout resends.
            undecodable_.fetch_add(1);
            TRIB_LOG(warn, "mqtt_answer_undecodable").kv("error", answer.error().message);
            return;
        }
        bool matched = false;
        std::lock_guard lk(mu_);
        for (auto& [id, w] : waiters_) {
            if (w->result || w->correlation != corr) continue;
            if (!answer_matches(*answer, w->record_count)) {
                TRIB_LOG(warn, "mqtt_answer_mismatch")
                    .kv("expected", w->record_count)
                    .kv("got", answer->records.size());
                continue;
            }
            w->result = classify(*answer);
            w->cv.notify_all();
            matched = true;
        }
        if (matched)
            answered_.fetch_add(1);
        else
            unmatched_.fetch_add(1);
    }

    friend class PublishListener;

    const Options opts_;
    const std::string ack_topic_;
    PublishListener listener_;
    ::mqtt::connect_options connect_opts_;
    std::atomic<uint32_t> max_packet_{0};  // the broker's Maximum Packet Size; 0 = none
    bool subscribed_ = false;              // connection thread only

    mutable std::mutex mu_;
    std::condition_variable state_cv_;
    State state_ = State::connecting;
    ConnectFailure down_;  // why we are not connected (state_ == down)
    bool stopping_ = false;
    bool session_present_ = false;
    uint64_t next_waiter_ = 1;
    std::unordered_map<uint64_t, std::shared_ptr<Waiter>> waiters_;
    uint64_t connects_ = 0, losses_ = 0;
    std::mt19937_64 rng_;  // connection thread only

    std::atomic<uint64_t> published_{0}, answered_{0}, unmatched_{0}, undecodable_{0}, timeouts_{0};

    std::thread thread_;
    // Last: destroyed first, after the destructor body stopped its callbacks.
    std::unique_ptr<::mqtt::async_client> client_;
};

void PublishListener::on_failure(const ::mqtt::token& tok) {
    auto id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(tok.get_user_context()));
    sink_.publish_failed(id, int(tok.get_reason_code()),
                         "Paho error " + std::to_string(tok.get_return_code()));
}

SendResult MqttSink::put(std::string_view stream, std::span<const OutRecord> records,
                         const BatchTag& tag) {
    if (records.empty()) return outcome(Status::ok, "");
    auto producer = parse_producer_id(tag.producer_id);
    if (!producer) return outcome(Status::fatal, "invalid batch: " + producer.error().message);
    auto topic = wire::put_topic(opts_.device_id, stream);
    if (!topic) return outcome(Status::fatal, "invalid batch: " + topic.error().message);

    wire::BatchHeader header;
    header.producer_id = *producer;
    header.flow = tag.flow;
    header.sequence = tag.sequence;
    std::vector<wire::BatchRecord> batch;
    batch.reserve(records.size());
    for (const OutRecord& r : records)
        batch.push_back({r.partition_key, r.explicit_hash_key, r.data, r.timestamp_ms});
    std::string payload;
    auto encoded = wire::encode_batch(
        header, batch, opts_.compress ? wire::Compression::zstd : wire::Compression::none, payload);
    if (!encoded) return outcome(Status::fatal, "invalid batch: " + encoded.error().message);
    // Topic, properties and fixed header stay well under 512 bytes.
    uint32_t max_packet = max_packet_.load();
    if (max_packet && payload.size() + topic->size() + ack_topic_.size() + 512 > max_packet)
        return outcome(Status::fatal, "request of " + std::to_string(payload.size()) +
                                          " bytes exceeds the broker's Maximum Packet Size of " +
                                          std::to_string(max_packet) + ": lower the batch size");

    auto w = std::make_shared<Waiter>();
    w->correlation = correlation_data(tag.flow, tag.sequence);
    w->record_count = records.size();
    uint64_t id = 0;
    {
        std::unique_lock lk(mu_);
        // An attempt in progress (startup, a reconnect) is worth waiting for; a broker we are
        // backing off from is not.
        state_cv_.wait_for(lk, opts_.connect_timeout,
                           [&] { return stopping_ || state_ != State::connecting; });
        if (state_ != State::ready) {
            std::string why = state_ == State::down ? down_.error : "connecting to the broker";
            bool down = state_ == State::down;
            return outcome(down ? down_.status : Status::retry, "not connected: " + why,
                           down && down_.throttled);
        }
        // Registered before publishing: the answer may beat publish()'s return.
        id = next_waiter_++;
        waiters_.emplace(id, w);
    }
    auto finish = [&](SendResult r) {
        std::lock_guard lk(mu_);
        waiters_.erase(id);
        return r;
    };

    try {
        ::mqtt::properties props{
            {::mqtt::property::RESPONSE_TOPIC, ack_topic_},
            {::mqtt::property::CORRELATION_DATA, w->correlation},
            {::mqtt::property::MESSAGE_EXPIRY_INTERVAL, whole_seconds(opts_.answer_timeout)},
        };
        auto msg = ::mqtt::message::create(*topic, std::move(payload), 1, false, props);
        client_->publish(msg, reinterpret_cast<void*>(static_cast<uintptr_t>(id)), listener_);
        published_.fetch_add(1);
    } catch (const ::mqtt::exception& e) {
        ConnectFailure f = classify_publish_failure(e.get_reason_code(), e.what());
        return finish(outcome(f.status, f.error, f.throttled));
    }

    std::unique_lock lk(mu_);
    bool answered = w->cv.wait_for(lk, opts_.answer_timeout, [&] { return w->result.has_value(); });
    waiters_.erase(id);
    if (answered) return std::move(*w->result);
    timeouts_.fetch_add(1);
    return outcome(Status::retry, "no answer from the collector within " +
                                      std::to_string(opts_.answer_timeout.count()) + " ms");
}

Stats MqttSink::stats() const {
    Stats s;
    s.published = published_.load();
    s.answered = answered_.load();
    s.unmatched_answers = unmatched_.load();
    s.undecodable_answers = undecodable_.load();
    s.timeouts = timeouts_.load();
    std::lock_guard lk(mu_);
    s.connects = connects_;
    s.connection_losses = losses_;
    s.connected = state_ == State::ready;
    return s;
}

}  // namespace

Result<std::unique_ptr<Sink>> Sink::create(Options options) {
    if (options.client_id.empty()) options.client_id = options.device_id;
    TRIB_TRY_VOID(validate(options));
    TRIB_TRY(std::string ack, wire::ack_topic(options.device_id));
    if (!options.verify_tls && options.broker_uri.starts_with("ssl://"))
        TRIB_LOG(warn, "mqtt_tls_verification_off").kv("broker", options.broker_uri);
    auto sink = std::make_unique<MqttSink>(std::move(options), std::move(ack));
    TRIB_TRY_VOID(sink->init());
    return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace tributary::agent::sinks::mqtt
