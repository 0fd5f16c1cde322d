// bench_parse_cost: CPU cost of the JSON work around one PutRecords and one GetRecords call,
// done the way a DOM library does it (nlohmann::json, as collector/api does) and the way a
// purpose-built scanner/writer does it, on one core. It answers "how many records/s can the
// request and response encoding alone allow?" without a server, a disk or a network.
//
// PutRecords: parse a 500 x 1 KiB request and base64-decode every Data; build the 500-entry
// answer. GetRecords: build the answer for 10,000 x 1 KiB records (about 13.7 MB of JSON).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/json_scan.h"
#include "shared/encoding/base64.h"

namespace tributary::bench {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// Runs `fn` repeatedly for about `seconds` and returns microseconds per call.
double time_us(double seconds, const std::function<void()>& fn) {
    fn();  // warm up allocator and caches
    int n = 0;
    auto t0 = Clock::now();
    auto stop = t0 + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(seconds));
    do {
        fn();
        ++n;
    } while (Clock::now() < stop);
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
}

std::string random_bytes(std::mt19937_64& rng, size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
}

std::string put_records_body(int records, int bytes) {
    std::mt19937_64 rng(1);
    std::string body = "{\"StreamName\":\"bench\",\"Records\":[";
    for (int i = 0; i < records; ++i) {
        if (i) body += ',';
        body += "{\"Data\":\"" + encoding::base64_encode(random_bytes(rng, size_t(bytes))) +
                "\",\"PartitionKey\":\"pk-0-" + std::to_string(i) + "\"}";
    }
    return body + "]}";
}

const char* kSeq = "49654321098765432109876543210987654321098765432109876543";  // 56 digits

volatile size_t g_sink;  // keeps results alive

}  // namespace
}  // namespace tributary::bench

int main(int argc, char** argv) {
    using namespace tributary::bench;
    namespace enc = tributary::encoding;
    double secs = argc > 1 ? std::atof(argv[1]) : 1.0;
    const int kPut = 500, kGet = 10000, kBytes = 1024;
    const std::string body = put_records_body(kPut, kBytes);

    double dom_parse = time_us(secs, [&] {
        json v = json::parse(body);
        size_t total = 0;
        for (const auto& r : v["Records"]) {
            std::string out;
            enc::base64_decode_append(r["Data"].get_ref<const std::string&>(), out);
            total += out.size() + r["PartitionKey"].get_ref<const std::string&>().size();
        }
        g_sink = total;
    });
    double dom_only = time_us(secs, [&] { g_sink = json::parse(body).size(); });
    std::vector<std::string> encoded;
    const json parsed = json::parse(body);
    for (const auto& r : parsed["Records"]) encoded.push_back(r["Data"].get<std::string>());
    double decode_only = time_us(secs, [&] {
        std::string out;
        size_t total = 0;
        for (const auto& e : encoded) {
            out.clear();
            enc::base64_decode_append(e, out);
            total += out.size();
        }
        g_sink = total;
    });
    double scan_parse = time_us(secs, [&] {
        std::string_view b = body;
        size_t total = 0;
        std::string out;
        for (size_t p = 0;;) {
            p = json_value_pos(b, "Data", p);
            if (p == std::string_view::npos) break;
            auto data = json_raw_string_at(b, p, &p);
            out.clear();
            enc::base64_decode_append(*data, out);
            size_t k = json_value_pos(b, "PartitionKey", p);
            auto key = json_raw_string_at(b, k, &p);
            total += out.size() + key->size();
        }
        g_sink = total;
    });
    double dom_reply = time_us(secs, [&] {
        json results = json::array();
        for (int i = 0; i < kPut; ++i)
            results.push_back({{"SequenceNumber", kSeq}, {"ShardId", "shardId-000000000007"}});
        json r = {{"FailedRecordCount", 0}, {"Records", std::move(results)}};
        json copy = r;
        g_sink = copy.dump().size();
    });
    double direct_reply = time_us(secs, [&] {
        std::string out = "{\"FailedRecordCount\":0,\"Records\":[";
        out.reserve(size_t(kPut) * 100);
        for (int i = 0; i < kPut; ++i) {
            if (i) out += ',';
            out += "{\"SequenceNumber\":\"";
            out += kSeq;
            out += "\",\"ShardId\":\"shardId-000000000007\"}";
        }
        out += "]}";
        g_sink = out.size();
    });

    std::mt19937_64 rng(2);
    std::vector<std::string> stored;
    for (int i = 0; i < kGet; ++i) stored.push_back(random_bytes(rng, kBytes));
    double dom_get = time_us(secs, [&] {
        json records = json::array();
        for (const auto& d : stored)
            records.push_back({{"SequenceNumber", kSeq},
                               {"ApproximateArrivalTimestamp", 1700000000123},
                               {"Data", json::binary(std::vector<std::uint8_t>(d.begin(), d.end()))},
                               {"PartitionKey", "pk-0-1"}});
        json out = {{"Records", std::move(records)}, {"MillisBehindLatest", 0}};
        json copy = out;  // as api::encode does, before turning blobs into base64 strings
        for (auto& r : copy["Records"]) {
            const auto& b = r["Data"].get_binary();
            r["Data"] = enc::base64_encode(
                std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
            r["ApproximateArrivalTimestamp"] = 1700000000.123;
        }
        g_sink = copy.dump().size();
    });
    size_t get_bytes = 0;
    double direct_get = time_us(secs, [&] {
        std::string out;
        out.reserve(stored.size() * (kBytes * 4 / 3 + 160));
        out += "{\"Records\":[";
        for (size_t i = 0; i < stored.size(); ++i) {
            if (i) out += ',';
            out += "{\"SequenceNumber\":\"";
            out += kSeq;
            out += "\",\"ApproximateArrivalTimestamp\":1700000000.123,\"Data\":\"";
            enc::base64_encode_append(stored[i], out);
            out += "\",\"PartitionKey\":\"pk-0-1\"}";
        }
        out += "],\"MillisBehindLatest\":0}";
        get_bytes = out.size();
    });

    auto per_rec = [](double us, int n) { return us / n; };
    auto rate = [](double us, int n) { return n / us * 1e6; };
    std::printf("one core; PutRecords body %zu B (%d x %d B), GetRecords answer %zu B (%d x %d B)\n",
                body.size(), kPut, kBytes, get_bytes, kGet, kBytes);
    std::printf("%-44s %10s %12s %14s\n", "", "us/call", "us/record", "records/s cap");
    auto row = [&](const char* what, double us, int n) {
        std::printf("%-44s %10.0f %12.2f %14.0f\n", what, us, per_rec(us, n), rate(us, n));
    };
    row("PutRecords parse+decode, nlohmann DOM", dom_parse, kPut);
    row("  of which json::parse alone", dom_only, kPut);
    row("  of which base64 decode alone", decode_only, kPut);
    row("PutRecords parse+decode, scanner", scan_parse, kPut);
    row("PutRecords answer, nlohmann (build+copy+dump)", dom_reply, kPut);
    row("PutRecords answer, direct string", direct_reply, kPut);
    row("GetRecords answer, nlohmann (binary+copy+dump)", dom_get, kGet);
    row("GetRecords answer, direct string", direct_get, kGet);
    std::printf("GetRecords answer MB/s of record data: nlohmann %.0f, direct %.0f\n",
                kGet * kBytes / dom_get, kGet * kBytes / direct_get);
    std::printf("RESULT mode=parse put_dom_us_per_record=%.2f put_scan_us_per_record=%.2f "
                "parse_only_us_per_record=%.2f decode_us_per_record=%.2f reply_dom_us_per_record=%.2f reply_direct_us_per_record=%.2f "
                "get_dom_mb_per_s=%.0f get_direct_mb_per_s=%.0f\n",
                per_rec(dom_parse, kPut), per_rec(scan_parse, kPut), per_rec(dom_only, kPut),
                per_rec(decode_only, kPut), per_rec(dom_reply, kPut),
                per_rec(direct_reply, kPut), kGet * kBytes / dom_get,
                kGet * kBytes / direct_get);
    return 0;
}
