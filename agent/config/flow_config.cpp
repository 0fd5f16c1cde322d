// One entry of `flows`: the Kinesis Agent's flow keys (FileFlow, KinesisFileFlow,
// FirehoseFileFlow) with their defaults and ranges, plus Tributary's per-flow keys.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <limits>

#include "agent/config/flow_parser.h"

namespace tributary::agent::config::detail {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kDayMillis = 86'400'000;

constexpr std::string_view kFileOnlyKeys[] = {
    "filePattern",
    "initialPosition",
    "minTimeBetweenFilePollsMillis",
    "maxTimeBetweenFileTrackerRefreshMillis",
    "multiLineStartPattern",
    "skipHeaderLines",
    "fileFooterPattern",
    "truncatedRecordTerminator",
};
constexpr std::string_view kMetricsOnlyKeys[] = {"metricsIntervalMillis", "metrics"};
constexpr std::string_view kOtherFlowKeys[] = {
    "kinesisStream",
    "deliveryStream",
    "partitionKeyOption",
    "maxBufferAgeMillis",
    "maxBufferSizeRecords",
    "maxBufferSizeBytes",
    "dataProcessingOptions",
    "retryInitialBackoffMillis",
    "retryMaxBackoffMillis",
    "aggregatedRecordSizeBytes",
    // Tributary additions.
    "source",
    "fullPolicy",
    "spoolMaxBytes",
    "errorStream",
    "sink",
    "maxInFlightBatches",
};

constexpr std::string_view kNoPublishQueue =
    "records wait in the LMDB spool, bounded by spoolMaxBytes, not in an in-memory queue";

constexpr IgnoredKey kIgnoredFlow[] = {
    {"publishQueueCapacity", Kind::integer, 1, kInt64Max, kNoPublishQueue},
    {"waitOnFullPublishQueueMillis", Kind::integer, 1'000, 900'000, kNoPublishQueue},
    {"waitOnEmptyPublishQueueMillis", Kind::integer, 1'000, 900'000, kNoPublishQueue},
    {"log.emitInternalMetrics", Kind::boolean, 0, 0,
     "the agent's counters are served at statusListen"},
};

std::vector<std::string_view> known_flow_keys() {
    std::vector<std::string_view> keys;
    for (auto list : {std::span<const std::string_view>(kFileOnlyKeys),
                      std::span<const std::string_view>(kMetricsOnlyKeys),
                      std::span<const std::string_view>(kOtherFlowKeys)}) {
        keys.insert(keys.end(), list.begin(), list.end());
    }
    for (const IgnoredKey& k : kIgnoredFlow) keys.push_back(k.name);
    return keys;
}

// Compiles with PCRE2, the engine the tail and processors use (Java-like syntax), so a bad
// pattern fails at start-up with its offset instead of at the first line read.
Result<void> check_regex(const ObjectReader& r, std::string_view key, const std::string& pattern) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF, &code, &offset, nullptr);
    if (re) {
        pcre2_code_free(re);
        return {};
    }
    PCRE2_UCHAR message[256] = {};
    pcre2_get_error_message(code, message, sizeof message);
    return r.error(errc::invalid_value, key,
                   "invalid regular expression at offset " + std::to_string(offset) + ": " +
                       reinterpret_cast<const char*>(message));
}

// The Kinesis Agent's flow id takes the pattern as java.nio.file.Path prints it: repeated
// slashes collapse.
std::string path_for_id(std::string_view pattern) {
    std::string out;
    for (char c : pattern) {
        if (c == '/' && !out.empty() && out.back() == '/') continue;
        out += c;
    }
    return out;
}

Result<void> read_stream(const ObjectReader& r, FlowConfig& f) {
    TRIB_TRY(auto kinesis, r.string("kinesisStream"));
    TRIB_TRY(auto firehose, r.string("deliveryStream"));
    if (kinesis && firehose) {
        return r.error(errc::conflicting_keys, "deliveryStream",
                       "a flow has kinesisStream or deliveryStream, not both");
    }
    if (!kinesis && !firehose) {
        return fail(errc::missing_key, std::string(r.file_name()) + ": " + r.path() +
                                           ": needs kinesisStream or deliveryStream");
    }
    f.destination = kinesis ? Destination::kinesis : Destination::firehose;
    f.stream = kinesis ? *kinesis : *firehose;
    if (!valid_stream_name(f.stream, f.destination)) {
        return r.error(errc::invalid_value, kinesis ? "kinesisStream" : "deliveryStream",
                       std::string("must be 1 to ") + (kinesis ? "128" : "64") +
                           " characters of a-z, A-Z, 0-9, '_', '.', '-', got " +
                           describe(json(f.stream)));
    }
    return {};
}

Result<void> read_file_keys(const ObjectReader& r, FlowConfig& f) {
    TRIB_TRY(auto pattern, r.string("filePattern"));
    if (!pattern) return r.error(errc::missing_key, "filePattern", "required in a file flow");
    std::string reason;
    if (!valid_absolute_path(*pattern, reason)) {
        return r.error(errc::invalid_value, "filePattern", reason);
    }
    if (pattern->back() == '/') {
        return r.error(errc::invalid_value, "filePattern",
                       "must end in a file name pattern, got " + describe(json(*pattern)));
    }
    f.file_pattern = *pattern;

    constexpr std::string_view kPositions[] = {"END_OF_FILE", "START_OF_FILE"};
    TRIB_TRY(auto position, r.one_of("initialPosition", kPositions));
    if (position) f.initial_position = static_cast<InitialPosition>(*position);
    TRIB_TRY(auto polls, r.integer("minTimeBetweenFilePollsMillis", 1, kDayMillis));
    if (polls) f.min_time_between_file_polls = Millis(*polls);
    TRIB_TRY(auto refresh, r.integer("maxTimeBetweenFileTrackerRefreshMillis", 1, kDayMillis));
    if (refresh) f.max_time_between_file_tracker_refresh = Millis(*refresh);
    TRIB_TRY(auto skip, r.integer("skipHeaderLines", 0, kInt64Max));
    if (skip) f.skip_header_lines = *skip;

    // Empty patterns mean "none", as Strings.isNullOrEmpty does in FileFlow.
    TRIB_TRY(auto start, r.string("multiLineStartPattern"));
    if (start && !start->empty()) {
        TRIB_TRY_VOID(check_regex(r, "multiLineStartPattern", *start));
        f.multi_line_start_pattern = *start;
    }
    TRIB_TRY(auto footer, r.string("fileFooterPattern"));
    if (footer && !footer->empty()) {
        TRIB_TRY_VOID(check_regex(r, "fileFooterPattern", *footer));
        f.file_footer_pattern = *footer;
    }
    TRIB_TRY(auto terminator, r.string("truncatedRecordTerminator"));
    if (terminator) {
        if (static_cast<int64_t>(terminator->size()) >= f.max_record_size_bytes()) {
            return r.error(errc::out_of_range, "truncatedRecordTerminator",
                           "must be shorter than the record size limit (" +
                               std::to_string(f.max_record_size_bytes()) + " bytes)");
        }
        f.truncated_record_terminator = *terminator;
    }
    return {};
}

Result<void> read_metrics_keys(const ObjectReader& r, FlowConfig& f) {
    TRIB_TRY(auto interval, r.integer("metricsIntervalMillis", 1'000, kDayMillis));
    if (interval) f.metrics_interval = Millis(*interval);
    constexpr size_t kGroupCount = static_cast<size_t>(MetricGroup::agent) + 1;
    constexpr std::string_view kGroupList =
        "cpu, memory, load, disk, filesystem, network, thermal, throttling, uptime, agent";
    const json* groups = r.find("metrics");
    if (!groups) {
        for (size_t i = 0; i < kGroupCount; ++i) f.metrics.push_back(MetricGroup(i));
        return {};
    }
    if (!groups->is_array() || groups->empty()) {
        return r.error(groups->is_array() ? errc::invalid_value : errc::wrong_type, "metrics",
                       "must be a non-empty list of " + std::string(kGroupList) + "; got " +
                           describe(*groups));
    }
    for (size_t i = 0; i < groups->size(); ++i) {
        const json& g = (*groups)[i];
        std::string where = index_path(r.path("metrics"), i);
        size_t found = kGroupCount;
        for (size_t k = 0; g.is_string() && k < kGroupCount; ++k) {
            if (to_string(MetricGroup(k)) == g.get_ref<const std::string&>()) found = k;
        }
        if (found == kGroupCount) {
            return r.error_at(g.is_string() ? errc::invalid_value : errc::wrong_type, where,
                              "must be one of " + std::string(kGroupList) + "; got " + describe(g));
        }
        auto group = MetricGroup(found);
        if (std::find(f.metrics.begin(), f.metrics.end(), group) != f.metrics.end()) {
            return r.error_at(errc::invalid_value, where, "lists " + describe(g) + " twice");
        }
        f.metrics.push_back(group);
    }
    return {};
}

Result<void> read_batching(const ObjectReader& r, std::vector<std::string>& notices,
                           FlowConfig& f) {
    bool kinesis = f.destination == Destination::kinesis;
    constexpr std::string_view kKeyOptions[] = {"RANDOM", "DETERMINISTIC"};
    TRIB_TRY(auto key_option, r.one_of("partitionKeyOption", kKeyOptions));
    if (key_option) f.partition_key_option = static_cast<PartitionKeyOption>(*key_option);
    if (key_option && !kinesis) {
        add_notice(notices, r, "partitionKeyOption",
                   "ignored: Firehose records have no partition key");
    }
    // The Kinesis Agent's minimum is 1000; Tributary goes down to 1 ms for low-latency flows
    // (the spool, not a timer, is what keeps the data).
    TRIB_TRY(auto age, r.integer("maxBufferAgeMillis", 1, 900'000));
    if (age) f.max_buffer_age = Millis(*age);
    TRIB_TRY(auto records, r.integer("maxBufferSizeRecords", 1, 500));
    if (records) f.max_buffer_size_records = *records;
    int64_t max_bytes = kinesis ? kMaxBufferSizeBytesKinesis : kMaxBufferSizeBytesFirehose;
    f.max_buffer_size_bytes = max_bytes;
    TRIB_TRY(auto bytes, r.integer("maxBufferSizeBytes", 1, max_bytes));
    if (bytes) f.max_buffer_size_bytes = *bytes;
    TRIB_TRY(auto in_flight, r.integer("maxInFlightBatches", 1, 64));
    if (in_flight) f.max_in_flight_batches = *in_flight;
    TRIB_TRY(auto initial, r.integer("retryInitialBackoffMillis", 1, kDayMillis));
    if (initial) f.retry_initial_backoff = Millis(*initial);
    TRIB_TRY(auto max_backoff, r.integer("retryMaxBackoffMillis", 1, kDayMillis));
    if (max_backoff) f.retry_max_backoff = Millis(*max_backoff);
    if (f.retry_max_backoff < f.retry_initial_backoff) {
        return r.error(errc::out_of_range,
                       max_backoff ? "retryMaxBackoffMillis" : "retryInitialBackoffMillis",
                       "retryMaxBackoffMillis (" + std::to_string(f.retry_max_backoff.count()) +
                           ") must be at least retryInitialBackoffMillis (" +
                           std::to_string(f.retry_initial_backoff.count()) + ")");
    }
    TRIB_TRY(auto aggregate,
             r.integer("aggregatedRecordSizeBytes", 0, kMaxRecordSizeBytesFirehose));
    if (aggregate && !kinesis) f.aggregated_record_size_bytes = *aggregate;
    if (aggregate && kinesis) {
        add_notice(notices, r, "aggregatedRecordSizeBytes",
                   "ignored: it applies to deliveryStream flows only");
    } else if (f.aggregated_record_size_bytes > 0) {
        add_notice(notices, r, "aggregatedRecordSizeBytes",
                   "not applied yet: records are sent one per line");
    }
    return {};
}

Result<void> read_processing_options(const ObjectReader& r, FlowConfig& f) {
    const json* options = r.find("dataProcessingOptions");
    if (!options) return {};
    if (!options->is_array()) {
        return r.error(errc::wrong_type, "dataProcessingOptions",
                       "must be a list of objects, got " + describe(*options));
    }
    for (size_t i = 0; i < options->size(); ++i) {
        const json& o = (*options)[i];
        std::string where = index_path(r.path("dataProcessingOptions"), i);
        if (!o.is_object()) {
            return r.error_at(errc::wrong_type, where, "must be an object, got " + describe(o));
        }
        auto name = o.find("optionName");
        if (name == o.end()) {
            return r.error_at(errc::missing_key, key_path(where, "optionName"), "required");
        }
        if (!name->is_string()) {
            return r.error_at(errc::wrong_type, key_path(where, "optionName"),
                              "must be a string, got " + describe(*name));
        }
    }
    f.data_processing_options = *options;
    return {};
}

Result<void> read_tributary_keys(const ObjectReader& r, FlowConfig& f) {
    constexpr std::string_view kPolicies[] = {"block", "drop_oldest"};
    f.full_policy = f.source == Source::metrics ? FullPolicy::drop_oldest : FullPolicy::block;
    TRIB_TRY(auto policy, r.one_of("fullPolicy", kPolicies));
    if (policy) f.full_policy = static_cast<FullPolicy>(*policy);
    TRIB_TRY(auto share, r.integer("spoolMaxBytes", static_cast<int64_t>(kMinSpoolMaxBytes),
                                   static_cast<int64_t>(kMaxSpoolMaxBytes)));
    if (share) f.spool_max_bytes = static_cast<uint64_t>(*share);
    TRIB_TRY(auto error_stream, r.string("errorStream"));
    if (error_stream) {
        if (!valid_stream_name(*error_stream, f.destination)) {
            return r.error(
                errc::invalid_value, "errorStream",
                "must be a stream name like the flow's own, got " + describe(json(*error_stream)));
        }
        f.error_stream = *error_stream;
    }
    constexpr std::string_view kSinks[] = {"https", "mqtt"};
    TRIB_TRY(auto sink, r.one_of("sink", kSinks));
    if (sink) f.sink = static_cast<Sink>(*sink);
    return {};
}

// Keys of the other source kind are errors, not notices: they show a misunderstanding.
Result<void> check_source_keys(const ObjectReader& r, Source source) {
    std::span<const std::string_view> foreign =
        source == Source::file ? std::span<const std::string_view>(kMetricsOnlyKeys)
                               : std::span<const std::string_view>(kFileOnlyKeys);
    for (std::string_view key : foreign) {
        if (r.has(key)) {
            return r.error(errc::conflicting_keys, key,
                           std::string("not allowed in a flow whose source is \"") +
                               std::string(to_string(source)) + "\"");
        }
    }
    return {};
}

}  // namespace

bool valid_stream_name(std::string_view name, Destination destination) {
    size_t max = destination == Destination::kinesis ? 128 : 64;
    return !name.empty() && name.size() <= max && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

bool valid_absolute_path(std::string_view path, std::string& reason) {
    if (path.empty() || path.front() != '/') {
        reason = "must be an absolute path, got " + describe(json(std::string(path)));
        return false;
    }
    if (path.find('\0') != std::string_view::npos) {
        reason = "must not contain a NUL character";
        return false;
    }
    return true;
}

Result<FlowConfig> parse_flow(const json& value, size_t index, std::string_view file_name,
                              std::vector<std::string>& notices) {
    std::string where = index_path("flows", index);
    if (!value.is_object()) {
        return fail(errc::wrong_type, std::string(file_name) + ": " + where +
                                          ": must be an object, got " + describe(value));
    }
    ObjectReader r(value, where, file_name);
    TRIB_TRY_VOID(r.only_keys(known_flow_keys()));

    FlowConfig f;
    constexpr std::string_view kSources[] = {"file", "metrics"};
    TRIB_TRY(auto source, r.one_of("source", kSources));
    if (source) f.source = static_cast<Source>(*source);
    TRIB_TRY_VOID(check_source_keys(r, f.source));
    TRIB_TRY_VOID(read_stream(r, f));
    if (f.source == Source::file) {
        TRIB_TRY_VOID(read_file_keys(r, f));
    } else {
        TRIB_TRY_VOID(read_metrics_keys(r, f));
    }
    TRIB_TRY_VOID(read_batching(r, notices, f));
    TRIB_TRY_VOID(read_processing_options(r, f));
    TRIB_TRY_VOID(read_tributary_keys(r, f));
    TRIB_TRY_VOID(read_ignored(r, kIgnoredFlow, notices));

    f.id = std::string(f.destination == Destination::kinesis ? "kinesis:" : "fh:") + f.stream +
           ":" + (f.source == Source::file ? path_for_id(f.file_pattern) : "metrics");
    return f;
}

}  // namespace tributary::agent::config::detail
