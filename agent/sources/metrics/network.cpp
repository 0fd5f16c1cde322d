// network group: per interface rates from /proc/net/dev deltas. The loopback interface is left
// out unless asked for: its traffic is local and on a busy agent dwarfs the real links.
#include <cstring>
#include <vector>

#include "agent/sources/metrics/collectors.h"

namespace tributary::agent::sources::metrics {
namespace {

struct Counters {
    uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_drops = 0;
    uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_drops = 0;
};

struct Interface {
    std::string name;
    Counters c;
};

class Network final : public Collector {
public:
    Network(const std::string& proc_root, bool include_loopback)
        : path_(proc_root + "/net/dev"), include_loopback_(include_loopback) {}

    void collect(Context& ctx, JsonWriter& out) override {
        if (!samples_.load(ctx, path_, [this](std::string_view text) { return parse(text); }))
            return;

        out.key("network");
        out.begin_array();
        for (size_t i = 0; i < samples_.size(); ++i) {
            const Interface& n = samples_[i];
            const Counters& c = n.c;
            out.begin_object();
            out.field("name", n.name);
            out.field_u64("rx_bytes_total", c.rx_bytes);
            out.field_u64("tx_bytes_total", c.tx_bytes);
            out.field_u64("rx_packets_total", c.rx_packets);
            out.field_u64("tx_packets_total", c.tx_packets);
            out.field_u64("rx_errors_total", c.rx_errors);
            out.field_u64("tx_errors_total", c.tx_errors);
            out.field_u64("rx_drops_total", c.rx_drops);
            out.field_u64("tx_drops_total", c.tx_drops);
            if (const Interface* p = samples_.previous(n.name); p && ctx.elapsed_s > 0) {
                const Counters& b = p->c;
                const double s = ctx.elapsed_s;
                const auto rate = [&](std::string_view k, uint64_t now, uint64_t before) {
                    if (auto v = delta(now, before)) out.field_number(k, double(*v) / s);
                };
                const auto count = [&](std::string_view k, uint64_t now, uint64_t before) {
                    if (auto v = delta(now, before)) out.field_u64(k, *v);
                };
                rate("rx_bytes_per_s", c.rx_bytes, b.rx_bytes);
                rate("tx_bytes_per_s", c.tx_bytes, b.tx_bytes);
                rate("rx_packets_per_s", c.rx_packets, b.rx_packets);
                rate("tx_packets_per_s", c.tx_packets, b.tx_packets);
                count("rx_errors", c.rx_errors, b.rx_errors);
                count("tx_errors", c.tx_errors, b.tx_errors);
                count("rx_drops", c.rx_drops, b.rx_drops);
                count("tx_drops", c.tx_drops, b.tx_drops);
            }
            out.end_object();
        }
        out.end_array();
        samples_.advance();
    }

private:
    // Two header lines, then "  eth0: rx_bytes rx_packets errs drop fifo frame compressed
    // multicast tx_bytes tx_packets errs drop ...". Old kernels print "eth0:123" with no space.
    bool parse(std::string_view text) {
        std::string_view line;
        while (next_line(text, line)) {
            const size_t colon = line.find(':');
            if (colon == std::string_view::npos) continue;  // header
            const std::string_view name = trim(line.substr(0, colon));
            if (name.empty() || name.find('|') != std::string_view::npos) continue;
            if (name == "lo" && !include_loopback_) continue;
            std::string_view rest = line.substr(colon + 1), tok;
            uint64_t f[12];
            for (uint64_t& v : f)
                if (!next_token(rest, tok) || !parse_u64(tok, v)) return false;
            Interface& n = samples_.add();
            n.name.assign(name);
            n.c = Counters{f[0], f[1], f[2], f[3], f[8], f[9], f[10], f[11]};
        }
        return true;
    }

    std::string path_;
    bool include_loopback_;
    Samples<Interface> samples_;
};

}  // namespace

std::unique_ptr<Collector> make_network(const std::string& proc_root, bool include_loopback) {
    return std::make_unique<Network>(proc_root, include_loopback);
}

}  // namespace tributary::agent::sources::metrics
