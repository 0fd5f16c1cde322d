#include "collector/ingest/mqtt/ingest.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <mqtt/async_client.h>

#include "collector/ingest/mqtt/errc.h"
#include "collector/ingest/mqtt/handler.h"
#include "shared/net/tcp_nodelay.h"
#include "shared/log/log.h"
#include "shared/wire/topic.h"

namespace tributary::collector::ingest::mqtt {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

std::string default_client_id() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "tributary-collector";
    return "tributary-collector-" + std::string(host);
}

bool is_tls(std::string_view uri) {
    return uri.starts_with("ssl://") || uri.starts_with("mqtts://");
}

Result<void> check_readable(const std::string& path, std::string_view option) {
    if (path.empty()) return {};
    std::ifstream f(path);
    if (!f) return fail(errc::invalid_options, std::string(option) + ": cannot read " + path);
    return {};
}

Result<void> validate(IngestOptions& o) {
    if (o.broker.empty()) return fail(errc::invalid_options, "mqtt_broker is empty");
    if (o.client_id.empty()) o.client_id = default_client_id();
    if (o.workers == 0) return fail(errc::invalid_options, "mqtt_workers must be at least 1");
    if (o.queue_capacity == 0 || o.queue_capacity > 65535)
        return fail(errc::invalid_options, "the request queue must hold 1..65535 requests");
    if (o.cert_file.empty() != o.key_file.empty())
        return fail(errc::invalid_options, "mqtt_cert_file and mqtt_key_file go together");
    if (!is_tls(o.broker) && (!o.ca_file.empty() || !o.cert_file.empty()))
        return fail(errc::invalid_options,
                    "mqtt_ca_file, mqtt_cert_file and mqtt_key_file need an ssl:// or mqtts:// "
                    "broker, not " + o.broker);
    TRIB_TRY_VOID(check_readable(o.ca_file, "mqtt_ca_file"));
    TRIB_TRY_VOID(check_readable(o.cert_file, "mqtt_cert_file"));
    TRIB_TRY_VOID(check_readable(o.key_file, "mqtt_key_file"));
    if (!wire::shared_put_subscription(o.share_group))
        return fail(errc::invalid_options,
                    "mqtt_share_group must be non-empty without '/', '+' or '#': " +
                        o.share_group);
    return {};
}

}  // namespace

struct Ingest::Impl {
    Impl(store::ShardStore& s, IngestOptions o)
        : opts(std::move(o)), handler(s, stats), rng(std::random_device{}()) {}

    IngestOptions opts;
    IngestStats stats;
    Handler handler;
    std::string subscription;
    ::mqtt::connect_options connect_options;
    std::mt19937_64 rng;

    // The request queue between Paho's callback thread and the workers.
    std::mutex mu;
    std::condition_variable not_empty, not_full, idle;
    std::deque<::mqtt::const_message_ptr> queue;
    size_t busy = 0;
    bool closed = false;        // no more requests taken (after the disconnect)
    bool workers_done = false;  // workers exit once the queue is empty
    std::vector<std::thread> workers;

    // The connection supervisor.
    mutable std::mutex conn_mu;
    mutable std::condition_variable conn_cv;
    bool lost = false;
    bool stopping = false;
    bool stopped = false;
    std::thread supervisor;

    // Declared last so it is destroyed first: its callbacks use the members above.
    std::unique_ptr<::mqtt::async_client> client;

    void on_message(::mqtt::const_message_ptr msg);
    void on_lost(const std::string& cause);
    void work();
    void process(const ::mqtt::const_message_ptr& msg);
    void supervise();
    bool connect_and_subscribe();
    bool is_stopping() const {
        std::lock_guard lock(conn_mu);
        return stopping;
    }
    void stop();
};

void Ingest::Impl::on_message(::mqtt::const_message_ptr msg) {
    stats.received.fetch_add(1);
    std::unique_lock lock(mu);
    // Blocking here is the back-pressure: Paho stops reading, the broker holds the rest.
    not_full.wait(lock, [&] { return queue.size() < opts.queue_capacity || closed; });
    if (closed) {
        stats.dropped(DropReason::shutdown);
        return;
    }
    queue.push_back(std::move(msg));
    stats.queued.store(queue.size());
    not_empty.notify_one();
}

void Ingest::Impl::on_lost(const std::string& cause) {
    bool was = stats.connected.exchange(false);
    if (was) stats.connections_lost.fetch_add(1);
    TRIB_LOG(warn, "mqtt_connection_lost").kv("broker", opts.broker).kv("cause", cause);
    std::lock_guard lock(conn_mu);
    lost = true;
    conn_cv.notify_all();
}

void Ingest::Impl::work() {
    for (;;) {
        ::mqtt::const_message_ptr msg;
        {
            std::unique_lock lock(mu);
            not_empty.wait(lock, [&] { return !queue.empty() || workers_done; });
            if (queue.empty()) return;
            msg = std::move(queue.front());
            queue.pop_front();
            ++busy;
            stats.queued.store(queue.size());
            not_full.notify_one();
        }
        process(msg);
        std::lock_guard lock(mu);
        --busy;
        if (queue.empty() && busy == 0) idle.notify_all();
    }
}

void Ingest::Impl::process(const ::mqtt::const_message_ptr& msg) {
    try {
        const auto& props = msg->get_properties();
        std::string response, correlation;
        if (props.contains(::mqtt::property::RESPONSE_TOPIC))
            response = ::mqtt::get<std::string>(props, ::mqtt::property::RESPONSE_TOPIC);
        if (props.contains(::mqtt::property::CORRELATION_DATA))
            correlation = ::mqtt::get<::mqtt::binary>(props, ::mqtt::property::CORRELATION_DATA);
        auto reply = handler.handle({msg->get_topic(), msg->get_payload(), response, correlation});
        if (!reply) return;
        auto answer = ::mqtt::make_message(reply->topic, reply->payload.data(),
                                           reply->payload.size(), 1, false);
        ::mqtt::properties out;
        out.add({::mqtt::property::CORRELATION_DATA, ::mqtt::binary_ref(correlation)});
        out.add({::mqtt::property::MESSAGE_EXPIRY_INTERVAL,
                 static_cast<int32_t>(opts.answer_expiry_s)});
        answer->set_properties(std::move(out));
        // Handed to Paho; it sends now, or after the reconnect (send-while-disconnected). The
        // answer describes durable records, so losing it costs only the agent's resend.
        client->publish(answer);
        stats.answers_published.fetch_add(1);
    } catch (const ::mqtt::exception& e) {
        stats.answers_failed.fetch_add(1);
        TRIB_LOG(warn, "mqtt_answer_failed").kv("topic", msg->get_topic()).kv("error", e.what());
    } catch (const std::exception& e) {
        // Only a bug or memory exhaustion; the agent resends and dedup keeps it exactly-once.
        stats.answers_failed.fetch_add(1);
        TRIB_LOG(error, "mqtt_request_failed").kv("topic", msg->get_topic()).kv("what", e.what());
    }
}

bool Ingest::Impl::connect_and_subscribe() {
    try {
        auto wait = opts.connect_timeout + Ms(5'000);
        auto tok = client->connect(connect_options);
        // In slices, so a SIGTERM during a broker outage does not wait out the connect timeout.
        auto deadline = Clock::now() + wait;
        while (!tok->wait_for(Ms(100))) {
            if (is_stopping() || Clock::now() >= deadline) {
                TRIB_LOG(warn, "mqtt_connect_failed")
                    .kv("broker", opts.broker)
                    .kv("error", is_stopping() ? "stopping" : "timeout");
                return false;
            }
        }
        // Paho leaves Nagle on, which made each answer wait ~40 ms behind the PUBACK before it
        // (shared/net/tcp_nodelay.h).
        net::set_nodelay_to_port(net::uri_port(opts.broker.c_str()));
        bool session_present = tok->get_connect_response().is_session_present();
        auto sub = client->subscribe(subscription, 1);
        if (!sub->wait_for(wait)) throw ::mqtt::exception(-1, "subscribe timed out");
        auto codes = sub->get_subscribe_response().get_reason_codes();
        if (codes.empty() || codes[0] > ::mqtt::GRANTED_QOS_2) {
            TRIB_LOG(error, "mqtt_subscribe_refused")
                .kv("filter", subscription)
                .kv("reason_code", codes.empty() ? -1 : int(codes[0]));
            client->disconnect()->wait_for(wait);
            return false;
        }
        stats.connects.fetch_add(1);
        stats.connected.store(true);
        TRIB_LOG(info, "mqtt_connected")
            .kv("broker", opts.broker)
            .kv("client_id", opts.client_id)
            .kv("filter", subscription)
            .kv("session_present", session_present ? "true" : "false");
        std::lock_guard lock(conn_mu);
        conn_cv.notify_all();
        return true;
    } catch (const ::mqtt::exception& e) {
        TRIB_LOG(warn, "mqtt_connect_failed").kv("broker", opts.broker).kv("error", e.what());
        return false;
    }
}

void Ingest::Impl::supervise() {
    unsigned attempt = 0;
    for (;;) {
        {
            std::lock_guard lock(conn_mu);
            if (stopping) return;
            lost = false;
        }
        auto began = Clock::now();
        if (connect_and_subscribe()) {
            std::unique_lock lock(conn_mu);
            conn_cv.wait(lock, [&] { return lost || stopping; });
            if (stopping) return;
            if (Clock::now() - began >= opts.reconnect_reset) attempt = 0;
        }
        // Full jitter: a fleet of collectors (and agents) must not reconnect in lockstep.
        auto ceiling = opts.reconnect_base * (int64_t(1) << std::min(attempt, 20u));
        ceiling = std::min<Ms>(ceiling, opts.reconnect_cap);
        ++attempt;
        Ms delay(std::uniform_int_distribution<int64_t>(0, ceiling.count())(rng));
        TRIB_LOG(info, "mqtt_reconnect_scheduled")
            .kv("in_ms", delay.count())
            .kv("attempt", attempt);
        std::unique_lock lock(conn_mu);
        if (conn_cv.wait_for(lock, delay, [&] { return stopping; })) return;
    }
}

void Ingest::Impl::stop() {
    {
        std::lock_guard lock(conn_mu);
        if (stopped) return;
        stopped = stopping = true;
        conn_cv.notify_all();
    }
    TRIB_LOG(info, "mqtt_ingest_stopping");
    if (supervisor.joinable()) supervisor.join();
    // Requests already delivered were PUBACKed by Paho: finish them and publish their answers
    // while the connection is still up.
    {
        std::unique_lock lock(mu);
        if (!idle.wait_for(lock, opts.drain_timeout, [&] { return queue.empty() && busy == 0; }))
            TRIB_LOG(warn, "mqtt_drain_timeout").kv("queued", queue.size()).kv("busy", busy);
    }
    try {
        if (client->is_connected())
            client->disconnect(static_cast<int>(opts.connect_timeout.count()))
                ->wait_for(opts.connect_timeout + Ms(5'000));
    } catch (const ::mqtt::exception& e) {
        TRIB_LOG(warn, "mqtt_disconnect_failed").kv("error", e.what());
    }
    stats.connected.store(false);
    {
        std::lock_guard lock(mu);
        closed = workers_done = true;
        not_full.notify_all();
        not_empty.notify_all();
    }
    for (auto& w : workers) w.join();
    workers.clear();
    TRIB_LOG(info, "mqtt_ingest_stopped")
        .kv("received", stats.received.load())
        .kv("stored", stats.batches_stored.load())
        .kv("replayed", stats.batches_replayed.load());
}

Result<std::unique_ptr<Ingest>> Ingest::start(store::ShardStore& store, IngestOptions options) {
    TRIB_TRY_VOID(validate(options));
    auto impl = std::make_unique<Impl>(store, std::move(options));
    const IngestOptions& o = impl->opts;
    impl->subscription = *wire::shared_put_subscription(o.share_group);
    try {
        ::mqtt::create_options create(MQTTVERSION_5);
        // Answers produced while reconnecting wait in Paho (bounded) instead of failing.
        create.set_send_while_disconnected(true);
        create.set_max_buffered_messages(static_cast<int>(o.queue_capacity + o.workers) * 4);
        impl->client = std::make_unique<::mqtt::async_client>(o.broker, o.client_id, create,
                                                              nullptr);

        // Set on the member itself, not built and copied: Paho C++ 1.2's connect_options copy
        // can leave the C struct pointing at the source's properties (a crash in
        // MQTTProperties_copy inside connect() once the builder's temporary is gone).
        ::mqtt::connect_options& c = impl->connect_options;
        c.set_mqtt_version(MQTTVERSION_5);
        c.set_clean_start(false);
        c.set_keep_alive_interval(static_cast<int>(o.keep_alive_s));
        c.set_connect_timeout(
            static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(o.connect_timeout)
                                 .count()));
        c.set_automatic_reconnect(false);
        ::mqtt::properties props;
        props.add({::mqtt::property::SESSION_EXPIRY_INTERVAL,
                   static_cast<int32_t>(o.session_expiry_s)});
        props.add({::mqtt::property::RECEIVE_MAXIMUM, static_cast<int32_t>(o.queue_capacity)});
        props.add({::mqtt::property::MAXIMUM_PACKET_SIZE, static_cast<int32_t>(kMaxPacketBytes)});
        c.set_properties(std::move(props));
        if (!o.username.empty()) c.set_user_name(o.username);
        if (!o.password.empty()) c.set_password(o.password);
        if (is_tls(o.broker)) {
            ::mqtt::ssl_options ssl;
            if (!o.ca_file.empty()) ssl.set_trust_store(o.ca_file);
            if (!o.cert_file.empty()) {
                ssl.set_key_store(o.cert_file);
                ssl.set_private_key(o.key_file);
            }
            ssl.set_enable_server_cert_auth(true);
            ssl.set_verify(true);  // the broker's host name must match its certificate
            ssl.set_error_handler([broker = o.broker](const std::string& msg) {
                TRIB_LOG(warn, "mqtt_tls_error").kv("broker", broker).kv("error", msg);
            });
            c.set_ssl(std::move(ssl));
        }

        Impl* self = impl.get();
        impl->client->set_message_callback(
            [self](::mqtt::const_message_ptr m) { self->on_message(std::move(m)); });
        impl->client->set_connection_lost_handler(
            [self](const std::string& cause) { self->on_lost(cause); });
        impl->client->set_disconnected_handler(
            [self](const ::mqtt::properties&, ::mqtt::ReasonCode reason) {
                self->on_lost("broker sent DISCONNECT, reason " + std::to_string(int(reason)));
            });
    } catch (const ::mqtt::exception& e) {
        return fail(errc::client_failed, o.broker + ": " + e.what());
    }
    for (size_t i = 0; i < o.workers; ++i) impl->workers.emplace_back([p = impl.get()] { p->work(); });
    impl->supervisor = std::thread([p = impl.get()] { p->supervise(); });
    TRIB_LOG(info, "mqtt_ingest_started")
        .kv("broker", o.broker)
        .kv("client_id", o.client_id)
        .kv("workers", o.workers)
        .kv("receive_maximum", o.queue_capacity);
    return std::unique_ptr<Ingest>(new Ingest(std::move(impl)));
}

Ingest::Ingest(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ingest::~Ingest() { stop(); }

void Ingest::stop() { impl_->stop(); }

bool Ingest::connected() const { return impl_->stats.connected.load(); }

bool Ingest::wait_connected(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->conn_mu);
    return impl_->conn_cv.wait_for(lock, timeout, [&] { return impl_->stats.connected.load(); });
}

const IngestStats& Ingest::stats() const { return impl_->stats; }

void Ingest::render_metrics(std::string& out) const { impl_->stats.render(out); }

}  // namespace tributary::collector::ingest::mqtt
