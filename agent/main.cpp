// tributary-agent: parses arguments, loads agent.json, starts the engine, waits for a signal.
//
//   tributary-agent --config /etc/tributary/agent.json
//   tributary-agent status [--config FILE | --status HOST:PORT]

#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/config/agent_config.h"
#include "agent/engine/engine.h"
#include "agent/sinks/https/sink.h"
#include "shared/log/log.h"
#include "shared/systemd/notify.h"

namespace {

using namespace tributary;

// Tells systemd (Type=notify, packaging/systemd/) what state the agent is in; a failure to do
// so is logged and never stops the agent.
void notify_service_manager(std::string_view state) {
    if (auto r = systemd::notify(state); !r)
        TRIB_LOG(warn, "sd_notify_failed").kv("error", r.error().message);
}

constexpr const char* kUsage =
    "usage: tributary-agent --config FILE\n"
    "       tributary-agent status [--config FILE | --status HOST:PORT]\n"
    "\n"
    "FILE is a Kinesis Agent agent.json (accepted as-is) with Tributary's additions; see\n"
    "agent/README.md. SIGTERM/SIGINT: stop reading, deliver what is spooled (up to\n"
    "shutdownTimeoutMillis), exit. SIGHUP: logged; restart to apply a new configuration.\n";

// GET http://host:port/status with plain sockets (the status endpoint is loopback HTTP/1.1).
int print_status(const std::string& hostport) {
    auto colon = hostport.rfind(':');
    if (colon == std::string::npos) {
        std::cerr << "tributary-agent: --status expects HOST:PORT\n";
        return 2;
    }
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
        std::cerr << "tributary-agent: cannot resolve " << hostport << "\n";
        return 1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
    freeaddrinfo(res);
    if (!ok) {
        std::cerr << "tributary-agent: no agent answers on " << hostport << " ("
                  << std::strerror(errno) << ")\n";
        if (fd >= 0) close(fd);
        return 1;
    }
    std::string req = "GET /status HTTP/1.1\r\nHost: " + hostport + "\r\nConnection: close\r\n\r\n";
    (void)!write(fd, req.data(), req.size());
    std::string resp;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) resp.append(buf, static_cast<size_t>(n));
    close(fd);
    auto body = resp.find("\r\n\r\n");
    if (body == std::string::npos) {
        std::cerr << "tributary-agent: malformed answer from " << hostport << "\n";
        return 1;
    }
    auto j = nlohmann::json::parse(resp.substr(body + 4), nullptr, false);
    if (j.is_discarded()) {
        std::cout << resp.substr(body + 4);
        return 1;
    }
    std::printf("device %s, producer %s, up %llu s, spool %s\n",
                j.value("device", "").c_str(), j.value("producer_id", "").c_str(),
                static_cast<unsigned long long>(j.value("uptime_ms", uint64_t(0)) / 1000),
                j.value("spool", "").c_str());
    for (const auto& f : j["flows"]) {
        std::printf("\nflow %s -> %s\n", f.value("id", "").c_str(), f.value("stream", "").c_str());
        std::printf("  read %llu  sent %llu  failed %llu  dropped %llu  truncated %llu  unparsed %llu\n",
                    (unsigned long long)f.value("records_read", 0ull),
                    (unsigned long long)f.value("records_sent", 0ull),
                    (unsigned long long)f.value("records_failed", 0ull),
                    (unsigned long long)f.value("records_dropped", 0ull),
                    (unsigned long long)f.value("records_truncated", 0ull),
                    (unsigned long long)f.value("records_unparsed", 0ull));
        std::printf("  spool %llu records, %llu bytes, oldest unsent %llu ms\n",
                    (unsigned long long)f.value("spool_records", 0ull),
                    (unsigned long long)f.value("spool_bytes", 0ull),
                    (unsigned long long)f.value("oldest_unsent_age_ms", 0ull));
        for (const auto& file : f["files"])
            std::printf("  %s  offset %llu  behind %llu bytes\n", file.value("path", "").c_str(),
                        (unsigned long long)file.value("offset", 0ull),
                        (unsigned long long)file.value("bytes_behind", 0ull));
        if (!f.value("last_error", "").empty())
            std::printf("  last error: %s\n", f.value("last_error", "").c_str());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    bool status = !args.empty() && args[0] == "status";
    if (status) args.erase(args.begin());
    std::string config_path, status_addr;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (a == "--version") {
            std::cout << "tributary-agent " TRIB_VERSION "\n";
            return 0;
        }
        if ((a == "--config" || a == "--status") && i + 1 < args.size()) {
            (a == "--config" ? config_path : status_addr) = args[++i];
            continue;
        }
        if (a.starts_with("--config=")) {
            config_path = a.substr(9);
            continue;
        }
        std::cerr << "tributary-agent: unexpected argument '" << a << "'\n" << kUsage;
        return 2;
    }
    if (status && !status_addr.empty()) return print_status(status_addr);
    if (config_path.empty()) config_path = "/etc/tributary/agent.json";
    auto config = agent::config::load_agent_config(config_path);
    if (!config) {
        std::cerr << "tributary-agent: " << config.error().message << "\n";
        return 2;
    }
    if (status) {
        if (!config->status_listen) {
            std::cerr << "tributary-agent: statusListen is disabled in " << config_path << "\n";
            return 2;
        }
        return print_status(config->status_listen->host + ":" +
                            std::to_string(config->status_listen->port));
    }
    log::set_level(config->log_level);

    // Signals are taken synchronously by this thread; every other thread inherits the mask.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    // cpprest would start a pool of 40 I/O threads; a small device needs two.
    if (auto r = agent::sinks::https::set_io_threads(2); !r)
        TRIB_LOG(warn, "io_threads_not_set").kv("error", r.error().message);
    auto engine = agent::engine::Engine::start(*config);
    if (!engine) {
        std::cerr << "tributary-agent: " << engine.error().message << "\n";
        return 1;
    }
    // Ready: the spool is open, every flow runs and the status endpoint listens.
    notify_service_manager("READY=1\nSTATUS=" + std::to_string(config->flows.size()) +
                           (config->flows.size() == 1 ? " flow" : " flows") + " running");
    for (;;) {
        int sig = 0;
        sigwait(&set, &sig);
        if (sig == SIGHUP) {
            TRIB_LOG(info, "sighup_ignored")
                .kv("why", "restart to apply a new configuration: nothing spooled is lost");
            continue;
        }
        TRIB_LOG(info, "stopping").kv("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        notify_service_manager("STOPPING=1\nSTATUS=delivering what is spooled");
        break;
    }
    (*engine)->stop();
    return 0;
}
