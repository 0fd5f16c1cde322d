// The whole Kinesis request path without HTTP: Api::handle() on a real ShardStore, for every
// operation, in both wire formats, including PutRecords' JSON fast path (bodies get the 64
// bytes of slack that path needs). Whatever the body, handle() returns (no crash, hang or
// exception), with a status AWS uses and a body that parses in the format it declares; a
// handler that throws is a bug even though handle() turns it into an InternalFailure.
//
// Input: byte 0 picks the request, the rest is the body.
//   bits 0-6  X-Amz-Target: operations()[b % (n + 1)], or an unknown operation when == n
//   bit 7     Content-Type: set → application/x-amz-cbor-1.1, clear → application/x-amz-json-1.1
// In the body, the text @ITER@ (JSON: anywhere; CBOR: as the 6-character text string) becomes a
// fresh TRIM_HORIZON iterator of shardId-000000000000 of stream "test", so seeds reach
// GetRecords, whose tokens are encrypted and cannot be guessed.
//
// One store per process, in a directory that is unlinked as soon as it is open (LMDB keeps its
// files mapped), so no run leaves data behind, even one killed by a timeout. Streams "test" (1
// shard) and "orders" (2 shards) are created at start and again whenever an input deleted them.
// The store's clock moves 10 ms per input, and an "hour" of retention is 1 s of it, so
// retention trimming keeps the store small over millions of inputs. TRIB_FUZZ_VERBOSE=1 in the
// environment prints each reply.

#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "collector/api/api.h"
#include "shared/log/log.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace {

namespace api = collector::api;
namespace store = collector::store;

constexpr std::string_view kJson = "application/x-amz-json-1.1";
constexpr std::string_view kCbor = "application/x-amz-cbor-1.1";
constexpr std::string_view kIterPlaceholder = "@ITER@";

struct World {
    std::atomic<uint64_t> now{1'764'000'000'000};
    std::unique_ptr<store::ShardStore> store;
    std::unique_ptr<api::Api> api;
    const bool verbose = std::getenv("TRIB_FUZZ_VERBOSE") != nullptr;  // print every reply

    World() {
        log::set_level(log::Level::error);
        char tmpl[] = "/tmp/trib-fuzz-api-XXXXXX";
        const char* dir = mkdtemp(tmpl);
        if (!dir) throw std::runtime_error("mkdtemp failed");
        store::StoreOptions o;
        o.data_dir = dir;
        o.map_size = size_t(256) << 20;
        o.sync = false;
        o.throughput_limits = false;
        o.clock = [this] { return now.load(); };
        o.hour_ms = 1000;
        o.trim_interval_ms = 1000;
        auto s = store::ShardStore::open(o);
        if (!s) throw std::runtime_error("store: " + s.error().message);
        store = std::move(*s);
        std::filesystem::remove_all(dir);
        // A fixed iterator key: a run is repeatable, tokens included.
        if (!store->put_setting("iterator_key", std::string(48, 'k')))
            throw std::runtime_error("store: iterator key");
        auto a = api::Api::create(*store, api::ApiOptions{});
        if (!a) throw std::runtime_error("api: " + a.error().message);
        api = std::move(*a);
    }

    void ensure_streams() {
        for (auto [name, shards] : {std::pair{"test", 1u}, std::pair{"orders", 2u}}) {
            if (store->find(name)) continue;
            store::CreateStreamArgs args;
            args.name = name;
            args.shard_count = shards;
            (void)store->create_stream(args);  // fails only when the account's limits are used up
        }
    }

    api::HttpReply call(std::string_view operation, std::string_view content_type,
                        std::string body) {
        api::HttpExchange req;
        req.method = "POST";
        req.target = "/";
        req.headers = {{"Host", "localhost:4567"},
                       {"Content-Type", std::string(content_type)},
                       {"X-Amz-Target", "Kinesis_20131202." + std::string(operation)}};
        body.reserve(body.size() + 64);
        req.body = std::move(body);
        return api->handle(req);
    }

    std::optional<std::string> iterator() {
        auto r = call("GetShardIterator", kJson,
                      R"({"StreamName":"test","ShardId":"shardId-000000000000",)"
                      R"("ShardIteratorType":"TRIM_HORIZON"})");
        if (r.status != 200) return std::nullopt;
        auto v = api::json::parse(r.body, nullptr, false);
        if (!v.is_object() || !v.contains("ShardIterator") || !v["ShardIterator"].is_string())
            return std::nullopt;
        return v["ShardIterator"].get<std::string>();
    }
};

World& world() {
    static World w;
    return w;
}

void substitute_iterator(World& w, std::string& body, bool cbor) {
    size_t at = body.find(kIterPlaceholder);
    if (at == std::string::npos) return;
    auto token = w.iterator();
    if (!token || token->size() > 255) return;
    if (!cbor) {
        body.replace(at, kIterPlaceholder.size(), *token);
        return;
    }
    // The CBOR text string 66 "@ITER@" becomes 78 <len> <token>.
    if (at == 0 || static_cast<unsigned char>(body[at - 1]) != 0x66) return;
    std::string item = "\x78";
    item += static_cast<char>(token->size());
    item += *token;
    body.replace(at - 1, 1 + kIterPlaceholder.size(), item);
}

bool parses(const std::string& body, std::string_view content_type) {
    api::json v = content_type == kCbor
                      ? api::json::from_cbor(body, true, false)
                      : api::json::parse(body, nullptr, false);
    return !v.is_discarded();
}

const std::string* header(const api::HttpReply& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return &v;
    return nullptr;
}

}  // namespace
}  // namespace tributary::fuzz

TRIB_FUZZ_TARGET(api_request) {
    if (size == 0) return 0;
    World& w = world();
    w.now += 10;
    w.ensure_streams();

    auto ops = api::operations();
    size_t pick = (data[0] & 0x7f) % (ops.size() + 1);
    std::string_view operation = pick < ops.size() ? ops[pick].name : "NoSuchOperation";
    bool cbor = data[0] & 0x80;
    std::string_view content_type = cbor ? kCbor : kJson;
    std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
    substitute_iterator(w, body, cbor);

    api::HttpReply r = w.call(operation, content_type, std::move(body));
    if (w.verbose) {
        std::string shown = cbor ? api::json::from_cbor(r.body, true, false).dump() : r.body;
        std::fprintf(stderr, "%.*s %d %.300s\n", int(operation.size()), operation.data(), r.status,
                     shown.c_str());
    }

    TRIB_FUZZ_CHECK(r.status == 200 || r.status == 400 || r.status == 403 || r.status == 404 ||
                        r.status == 413 || r.status == 500,
                    "status is one AWS uses");
    const std::string* ct = header(r, "Content-Type");
    TRIB_FUZZ_CHECK(ct != nullptr, "reply has a Content-Type");
    TRIB_FUZZ_CHECK(*ct == content_type, "reply is in the request's format");
    if (!r.body.empty()) TRIB_FUZZ_CHECK(parses(r.body, *ct), "reply body parses");
    if (r.status != 200) {
        TRIB_FUZZ_CHECK(!r.body.empty(), "an error has a body");
        api::json e = cbor ? api::json::from_cbor(r.body, true, false)
                           : api::json::parse(r.body, nullptr, false);
        TRIB_FUZZ_CHECK(e.is_object() && e.contains("__type"), "an error names its __type");
        // Api::handle answers a handler's exception with a bare InternalFailure (no message):
        // the server survives, but the handler has a bug.
        TRIB_FUZZ_CHECK(r.status != 500 || e.contains("message"), "a handler threw");
    }
    return 0;
}
