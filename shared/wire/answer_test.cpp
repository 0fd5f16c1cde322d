#include "shared/wire/answer.h"

#include <gtest/gtest.h>

#include "shared/wire/test_payloads.h"

namespace tributary::wire {
namespace {

namespace t = test;

constexpr std::string_view kSeq = "49554468589304656985365895156298971236367941927203518530";

BatchAnswer mixed() {
    BatchAnswer a;
    a.records.push_back({true, 7, std::string(kSeq), "", ""});
    a.records.push_back({false, 0, "", "ProvisionedThroughputExceededException",
                         "Rate exceeded for shard shardId-000000000001 in stream s."});
    a.records.push_back({false, 0, "", "InternalFailure", ""});
    return a;
}

BatchAnswer batch_error() {
    BatchAnswer a;
    a.error = BatchError{"ResourceNotFoundException", "Stream s under account 0 not found.", true};
    return a;
}

std::string encode(const BatchAnswer& a) {
    std::string out;
    auto r = encode_answer(a, out);
    EXPECT_TRUE(r) << r.error().message;
    return out;
}

errc code_of(const Result<BatchAnswer>& r) {
    EXPECT_FALSE(r);
    return r ? errc{} : static_cast<errc>(r.error().code.value());
}

errc encode_error(const BatchAnswer& a) {
    std::string out = "stale";
    auto r = encode_answer(a, out);
    EXPECT_FALSE(r);
    EXPECT_TRUE(out.empty());
    return r ? errc{} : static_cast<errc>(r.error().code.value());
}

// 'A', version 1, kind, body, CRC: an answer built by hand from the spec.
std::string answer(uint8_t kind, std::string_view body) {
    std::string b = "A";
    b.push_back(1);
    b.push_back(static_cast<char>(kind));
    b += body;
    return t::with_crc(b);
}

TEST(WireAnswer, RecordResultsRoundTrip) {
    auto a = decode_answer(encode(mixed()));
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_FALSE(a->error);
    ASSERT_EQ(a->records.size(), 3u);
    EXPECT_TRUE(a->records[0].ok);
    EXPECT_EQ(a->records[0].shard_index, 7u);
    EXPECT_EQ(a->records[0].sequence_number, kSeq);
    EXPECT_FALSE(a->records[1].ok);
    EXPECT_EQ(a->records[1].error_code, "ProvisionedThroughputExceededException");
    EXPECT_EQ(a->records[1].error_message, mixed().records[1].error_message);
    EXPECT_EQ(a->records[2].error_message, "");
    EXPECT_EQ(a->failed_count(), 2u);
}

TEST(WireAnswer, BatchErrorRoundTrips) {
    auto a = decode_answer(encode(batch_error()));
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(a->error);
    EXPECT_TRUE(a->records.empty());
    EXPECT_EQ(a->error->type, "ResourceNotFoundException");
    EXPECT_EQ(a->error->message, "Stream s under account 0 not found.");
    EXPECT_TRUE(a->error->retryable);
}

TEST(WireAnswer, EncodingMatchesTheSpecByteForByte) {
    std::string body = t::varint(3) + t::varint(2) + '\x00' + t::varint(7) + t::sized(kSeq) +
                       '\x01' + t::sized("ProvisionedThroughputExceededException") +
                       t::sized(mixed().records[1].error_message) + '\x01' +
                       t::sized("InternalFailure") + t::sized("");
    EXPECT_EQ(encode(mixed()), answer(0, body));
    EXPECT_EQ(encode(batch_error()),
              answer(1, t::sized("ResourceNotFoundException") +
                            t::sized("Stream s under account 0 not found.") + '\x01'));
}

TEST(WireAnswer, Holds500Results) {
    BatchAnswer a;
    a.records.assign(500, RecordResult{true, 4294967295u, std::string(kSeq), "", ""});
    auto back = decode_answer(encode(a));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->records.size(), 500u);
    EXPECT_EQ(back->records[499].shard_index, 4294967295u);
    a.records.emplace_back();
    EXPECT_EQ(encode_error(a), errc::over_limit);
}

TEST(WireAnswer, EncodeRejectsAnswersThatAreNeitherOrBoth) {
    EXPECT_EQ(encode_error(BatchAnswer{}), errc::bad_field);
    BatchAnswer both = mixed();
    both.error = batch_error().error;
    EXPECT_EQ(encode_error(both), errc::bad_field);
}

TEST(WireAnswer, EncodeRejectsMalformedResults) {
    for (std::string seq : {std::string(), std::string("12a"), std::string(129, '1')}) {
        BatchAnswer a;
        a.records.push_back({true, 0, seq, "", ""});
        EXPECT_EQ(encode_error(a), errc::bad_field) << seq;
    }
    for (std::string code : {std::string(), std::string("Has Space"), std::string(129, 'E')}) {
        BatchAnswer a;
        a.records.push_back({false, 0, "", code, ""});
        EXPECT_EQ(encode_error(a), errc::bad_field) << code;
    }
    BatchAnswer a;
    a.records.push_back({false, 0, "", "InternalFailure", "\xff"});
    EXPECT_EQ(encode_error(a), errc::bad_field);
    a.records[0].error_message = std::string(1025, 'm');
    EXPECT_EQ(encode_error(a), errc::over_limit);
    BatchAnswer e = batch_error();
    e.error->type = "";
    EXPECT_EQ(encode_error(e), errc::bad_field);
}

TEST(WireAnswer, DecodeRejectsForeignMagicAndFutureVersions) {
    std::string p = encode(mixed());
    std::string request = p;
    request[0] = 'R';
    EXPECT_EQ(code_of(decode_answer(request)), errc::bad_magic);
    std::string v2 = p;
    v2[1] = 2;
    EXPECT_EQ(code_of(decode_answer(v2)), errc::unsupported_version);
}

TEST(WireAnswer, EveryTruncationFailsAndResealedOnesAreReportedTruncated) {
    for (const BatchAnswer& a : {mixed(), batch_error()}) {
        std::string p = encode(a);
        for (size_t n = 0; n < p.size(); ++n)
            EXPECT_FALSE(decode_answer(p.substr(0, n))) << "cut at " << n;
        std::string body = p.substr(0, p.size() - 4);
        for (size_t n = 2; n < body.size(); ++n)
            EXPECT_EQ(code_of(decode_answer(t::with_crc(body.substr(0, n)))), errc::truncated)
                << "cut at " << n;
    }
}

TEST(WireAnswer, EveryFlippedBitFails) {
    std::string p = encode(mixed());
    for (size_t i = 0; i < p.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string q = p;
            q[i] = static_cast<char>(q[i] ^ (1 << bit));
            EXPECT_FALSE(decode_answer(q)) << "byte " << i << " bit " << bit;
        }
    }
}

TEST(WireAnswer, DecodeRejectsFailedCountThatDisagrees) {
    std::string ok = '\x00' + t::varint(1) + t::sized("1");
    EXPECT_TRUE(decode_answer(answer(0, t::varint(1) + t::varint(0) + ok)));
    EXPECT_EQ(code_of(decode_answer(answer(0, t::varint(1) + t::varint(1) + ok))), errc::bad_field);
}

TEST(WireAnswer, DecodeRejectsUnknownKindStatusAndRetryable) {
    std::string ok = '\x00' + t::varint(1) + t::sized("1");
    EXPECT_EQ(code_of(decode_answer(answer(2, t::varint(1) + t::varint(0) + ok))), errc::bad_field);
    std::string odd = '\x02' + t::varint(1) + t::sized("1");
    EXPECT_EQ(code_of(decode_answer(answer(0, t::varint(1) + t::varint(0) + odd))),
              errc::bad_field);
    EXPECT_EQ(code_of(decode_answer(answer(1, t::sized("T") + t::sized("m") + '\x02'))),
              errc::bad_field);
}

TEST(WireAnswer, DecodeRejectsShardIndexOver32Bits) {
    std::string big = '\x00' + t::varint(uint64_t(1) << 32) + t::sized("1");
    EXPECT_EQ(code_of(decode_answer(answer(0, t::varint(1) + t::varint(0) + big))),
              errc::bad_field);
}

TEST(WireAnswer, DecodeRejectsCountsBeyondTheBytesBeforeAllocating) {
    EXPECT_EQ(code_of(decode_answer(answer(0, t::varint(500) + t::varint(0)))), errc::truncated);
    EXPECT_EQ(code_of(decode_answer(answer(0, t::varint(501) + t::varint(0)))), errc::over_limit);
    EXPECT_EQ(code_of(decode_answer(answer(0, t::varint(0) + t::varint(0)))), errc::bad_field);
}

TEST(WireAnswer, DecodeRejectsTrailingBytes) {
    std::string err = t::sized("T") + t::sized("m") + '\x00';
    EXPECT_TRUE(decode_answer(answer(1, err)));
    EXPECT_EQ(code_of(decode_answer(answer(1, err + "x"))), errc::bad_field);
}

TEST(WireAnswer, ErrorsOfOtherSubsystemsBecomeRetryableInternalFailures) {
    BatchError e = batch_error_for(Error{std::make_error_code(std::errc::io_error), "disk"});
    EXPECT_EQ(e.type, "InternalFailure");
    EXPECT_EQ(e.message, "disk");
    EXPECT_TRUE(e.retryable);
}

}  // namespace
}  // namespace tributary::wire
