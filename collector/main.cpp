// tributary-collector: parses arguments, loads the configuration, opens the store, serves the
// Kinesis API (and, with mqtt_broker, takes MQTT requests) until SIGTERM/SIGINT, then shuts
// down cleanly (MQTT ingest drained and disconnected, listeners closed, writer drained).

#include <csignal>
#include <cstdio>
#include <string_view>
#include <vector>

#include "collector/api/api.h"
#include "collector/api/http_server.h"
#include "collector/app/config.h"
#include "collector/ingest/mqtt/ingest.h"
#include "collector/store/shard_store.h"
#include "shared/log/log.h"
#include "shared/systemd/notify.h"

using namespace tributary;

namespace {

// Tells systemd (Type=notify, packaging/systemd/) what state the collector is in; a failure to
// do so is logged and never stops the collector.
void notify_service_manager(std::string_view state) {
    if (auto r = systemd::notify(state); !r)
        TRIB_LOG(warn, "sd_notify_failed").kv("error", r.error().message);
}

}  // namespace

int main(int argc, char** argv) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    // Block before any thread starts so only sigwait() below sees them.
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fputs(collector::app::usage().c_str(), stdout);
            return 0;
        }
        if (a == "--version") {
            std::puts("tributary-collector " TRIB_VERSION);
            return 0;
        }
    }
    try {
        auto config = collector::app::load_config(std::vector<std::string>(argv + 1, argv + argc));
        if (!config) {
            std::fprintf(stderr, "%s\n", config.error().message.c_str());
            return 2;
        }
        const auto& lv = config->log_level;
        log::set_level(lv == "debug"  ? log::Level::debug
                       : lv == "warn" ? log::Level::warn
                       : lv == "error" ? log::Level::error
                                       : log::Level::info);
        auto store = collector::store::ShardStore::open(config->store);
        if (!store) {
            TRIB_LOG(error, "store_open_failed").kv("error", store.error().message);
            return 1;
        }
        auto api = collector::api::Api::create(**store, config->api);
        if (!api) {
            TRIB_LOG(error, "api_init_failed").kv("error", api.error().message);
            return 1;
        }
        std::unique_ptr<collector::ingest::mqtt::Ingest> mqtt;
        if (!config->mqtt.broker.empty()) {
            auto started = collector::ingest::mqtt::Ingest::start(**store, config->mqtt);
            if (!started) {
                TRIB_LOG(error, "mqtt_ingest_failed").kv("error", started.error().message);
                return 1;
            }
            mqtt = std::move(*started);
            config->server.extra_metrics = [&mqtt](std::string& out) {
                mqtt->render_metrics(out);
            };
        }
        auto server = collector::api::HttpServer::start(**api, **store, config->server);
        if (!server) {
            TRIB_LOG(error, "listen_failed").kv("error", server.error().message);
            return 1;
        }
        TRIB_LOG(info, "collector_started")
            .kv("data_dir", config->store.data_dir)
            .kv("sync", config->store.sync ? "on" : "off")
            .kv("sigv4", config->api.credentials.empty() ? "off" : "on")
            .kv("mqtt", config->mqtt.broker.empty() ? "off" : config->mqtt.broker);
        // Ready: the store is open, the listeners are bound and the MQTT ingest is subscribed.
        notify_service_manager("READY=1\nSTATUS=serving the Kinesis API on " +
                               config->server.listen +
                               (config->mqtt.broker.empty() ? "" : ", MQTT from " + config->mqtt.broker));
        int sig = 0;
        do {
            sigwait(&signals, &sig);
            if (sig == SIGHUP) TRIB_LOG(info, "sighup_ignored").kv("reason", "restart to reload");
        } while (sig == SIGHUP);
        TRIB_LOG(info, "collector_stopping").kv("signal", sig);
        notify_service_manager("STOPPING=1");
        // Stop taking MQTT requests first; those taken are stored and answered. The object
        // lives until the server is gone: /metrics still reads its counters.
        if (mqtt) mqtt->stop();
        (*server)->stop();
        server->reset();
        mqtt.reset();
        store->reset();  // drains the writer: every acknowledged write is already on disk
        TRIB_LOG(info, "collector_stopped");
        return 0;
    } catch (const std::exception& e) {
        TRIB_LOG(error, "fatal").kv("what", e.what());
        return 1;
    }
}
