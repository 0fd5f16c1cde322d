#pragma once
// Flow: one configured flow of agent.json running — a reader thread (source → processors →
// spool) and a sender thread (spool → batches → sink).
//
// Durability: the reader appends a source's records to the spool in the same LMDB transaction
// that stores the source's new position, so a crash neither loses nor re-reads a line. The
// sender removes spool entries only after the sink reports them delivered; records that failed
// are retried (alone, in their order) after a backoff that the flow, not the sink, owns.
// Nothing is ever dropped except by the `drop_oldest` full policy, and that is counted.
//
// Ordering: the sender works in rounds. A round takes records from the head of the flow's spool
// queue and splits them into lanes by destination shard (lanes.h); each lane sends one batch,
// the lanes at once, and the next round starts when every lane has an answer. So records reach
// each shard in spool order (= file order for a file flow) while up to `max_lanes` requests
// overlap. A record that fails inside an accepted batch (per-record throttling) is retried
// after the ones that succeeded, as with the Kinesis API itself, ahead of its lane's next
// records.
//
// Thread-safety: start()/stop() from one thread; status() and metrics() from any.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "agent/engine/ports.h"

namespace tributary::agent::engine {

enum class PartitionKeyOption { random, deterministic };

struct FlowSpec {
    std::string id;      // the Kinesis Agent's flow id (kinesis:<stream>:<pattern>)
    std::string stream;  // destination stream or delivery stream
    PartitionKeyOption partition_key = PartitionKeyOption::random;
    size_t max_batch_records = 500;
    size_t max_batch_bytes = 5 << 20;
    size_t max_record_bytes = 1 << 20;  // the destination's limit per record
    bool limit_includes_key = true;     // Kinesis counts the partition key; Firehose has none
    std::chrono::milliseconds max_batch_age{60'000};
    std::chrono::milliseconds retry_initial{100}, retry_max{10'000};
    // Records a processor rejects: to this stream when set, else shipped raw in a marker
    // document {"unparsed": "<record>", "processor": "<step>"}.
    std::string error_stream;
    size_t read_max_records = 5000;   // per spool transaction (each is one fsync)
    size_t read_max_bytes = 2 << 20;
    // Batches in flight at once, one per group of shards (lanes.h); 1 = strictly one.
    size_t max_lanes = 4;
    std::chrono::milliseconds shard_refresh{30'000};  // how often the shard map is re-read
};

struct FlowCounters {
    std::atomic<uint64_t> read{0}, spooled{0}, sent{0}, send_failures{0}, records_failed{0},
        dropped{0}, truncated{0}, unparsed{0}, batches{0};
    std::atomic<uint64_t> lanes{1};  // of the main queue
};

class Flow {
public:
    // `shards` tells the flow the destination's shards so it can send one batch per lane;
    // without it every batch goes out alone.
    Flow(FlowSpec spec, std::unique_ptr<Source> source, Transform transform, SpoolPort& spool,
         SendFn send, ShardsFn shards = {});
    ~Flow();
    Flow(const Flow&) = delete;
    Flow& operator=(const Flow&) = delete;

    void start();
    // Stops reading at once; lets the sender deliver what is spooled for up to `drain`.
    void stop(std::chrono::milliseconds drain);

    const FlowSpec& spec() const { return spec_; }
    nlohmann::json status() const;
    void metrics(std::string& out) const;

private:
    void read_loop();
    void send_loop(const std::string& queue, const std::string& stream);
    bool wait_readable(std::chrono::milliseconds timeout);
    std::string partition_key(std::string_view data);
    void set_error(std::string e);

    FlowSpec spec_;
    std::unique_ptr<Source> source_;
    Transform transform_;
    SpoolPort& spool_;
    SendFn send_;
    ShardsFn shards_;
    FlowCounters counters_;

    std::atomic<bool> stop_reading_{false}, stop_sending_{false};
    std::chrono::steady_clock::time_point drain_deadline_{};
    mutable std::mutex mu_;         // guards the wake-up below and last_error_
    std::condition_variable wake_;  // new records spooled, room freed, or stopping
    std::atomic<uint64_t> events_{0};  // bumped with every append and removal, then notify
    std::string last_error_;
    std::vector<std::thread> threads_;
    uint64_t rng_state_;
};

}  // namespace tributary::agent::engine
