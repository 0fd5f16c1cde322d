#include "shared/wire/batch.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>

#include "shared/wire/test_payloads.h"

namespace tributary::wire {
namespace {

namespace t = test;

BatchHeader header() {
    BatchHeader h;
    for (size_t i = 0; i < 16; ++i) h.producer_id[i] = static_cast<uint8_t>(i * 0x11);
    h.flow = "kinesis:app:/var/log/app/*.log";
    h.sequence = 42;
    return h;
}

std::string encode(std::span<const BatchRecord> recs, Compression c = Compression::none) {
    std::string out;
    auto r = encode_batch(header(), recs, c, out);
    EXPECT_TRUE(r) << r.error().message;
    return out;
}

errc code_of(const Result<DecodedBatch>& r) {
    EXPECT_FALSE(r);
    return r ? errc{} : static_cast<errc>(r.error().code.value());
}

errc encode_error(std::span<const BatchRecord> recs, BatchHeader h = header()) {
    std::string out = "stale";
    auto r = encode_batch(h, recs, Compression::none, out);
    EXPECT_FALSE(r);
    EXPECT_TRUE(out.empty()) << "a failed encode leaves no partial payload";
    return r ? errc{} : static_cast<errc>(r.error().code.value());
}

bool inside(std::string_view view, std::string_view buffer) {
    return view.data() >= buffer.data() &&
           view.data() + view.size() <= buffer.data() + buffer.size();
}

std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
}

const std::vector<BatchRecord> kMixed = {
    {"host-1", "", "hello", 1715238000123},
    {"h\xc3\xa9te", "340282366920938463463374607431768211455", "", 0},
    {"k", "0", std::string_view("\0\xff\x01", 3), 1},
};

void expect_same(const std::vector<BatchRecord>& got, std::span<const BatchRecord> want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].partition_key, want[i].partition_key) << i;
        EXPECT_EQ(got[i].explicit_hash_key, want[i].explicit_hash_key) << i;
        EXPECT_EQ(got[i].data, want[i].data) << i;
        EXPECT_EQ(got[i].timestamp_ms, want[i].timestamp_ms) << i;
    }
}

TEST(WireBatch, UncompressedRoundTripViewsIntoThePayload) {
    std::string p = encode(kMixed);
    auto b = decode_batch(p);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_FALSE(b->compressed);
    EXPECT_EQ(b->storage, nullptr);
    EXPECT_EQ(b->header.producer_id, header().producer_id);
    EXPECT_EQ(b->header.flow, header().flow);
    EXPECT_EQ(b->header.sequence, 42u);
    expect_same(b->records, kMixed);
    EXPECT_EQ(b->record_bytes, 6u + 5 + 5 + 0 + 1 + 3);
    for (const auto& r : b->records) EXPECT_TRUE(inside(r.data, p)) << "no copy of record data";
}

TEST(WireBatch, EncodingMatchesTheSpecByteForByte) {
    std::string section =
        t::record("host-1", "", "hello", 1715238000123) +
        t::record("h\xc3\xa9te", "340282366920938463463374607431768211455", "", 0) +
        t::record("k", "0", std::string_view("\0\xff\x01", 3), 1);
    std::string want = "R";
    want += '\x01';
    want += '\x00';
    want += t::producer() + t::sized(header().flow) + t::varint(42) + t::varint(3) +
            t::varint(section.size()) + section;
    EXPECT_EQ(encode(kMixed), t::with_crc(want));
}

TEST(WireBatch, CompressedRoundTripOwnsTheDecompressedSection) {
    std::string line(4000, 'x');
    std::vector<BatchRecord> recs(50, BatchRecord{"pk", "", line, 5});
    std::string p = encode(recs, Compression::zstd);
    EXPECT_EQ(static_cast<uint8_t>(p[2]), kFlagZstd);
    EXPECT_LT(p.size(), 4000u) << "50 x 4000 repeated bytes compress well";
    auto b = decode_batch(p);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_TRUE(b->compressed);
    ASSERT_NE(b->storage, nullptr);
    expect_same(b->records, recs);
    EXPECT_FALSE(inside(b->records[0].data, p));
}

TEST(WireBatch, CompressionIsSkippedWhenItSavesNoBytes) {
    std::string noise = random_bytes(2000, 1);
    BatchRecord r{"pk", "", noise, 0};
    std::string p = encode(std::span(&r, 1), Compression::zstd);
    EXPECT_EQ(p[2], 0) << "flags say uncompressed";
    EXPECT_EQ(p, encode(std::span(&r, 1), Compression::none));
}

TEST(WireBatch, ViewsSurviveMovingTheDecodedBatch) {
    // A tiny compressed section: a std::string buffer would sit inline (SSO) and move away.
    std::string many(300, 'a');
    BatchRecord r{"p", "", many, 0};
    std::string p = encode(std::span(&r, 1), Compression::zstd);
    ASSERT_EQ(static_cast<uint8_t>(p[2]), kFlagZstd);
    auto b = decode_batch(p);
    ASSERT_TRUE(b);
    DecodedBatch moved = std::move(*b);
    DecodedBatch again = std::move(moved);
    EXPECT_EQ(again.records[0].data, many);
}

TEST(WireBatch, MaxSizesRoundTrip) {
    // 500 records holding exactly 5 MiB: four of 1 MiB each with a 256-character multi-byte
    // partition key, then 496 small ones sharing the last MiB (1048576 = 32*2115 + 464*2114).
    std::string key;
    for (int i = 0; i < 256; ++i) key += "\xe2\x82\xac";  // U+20AC, 3 bytes
    std::string big(kMaxRecordBytes - key.size(), 'd');
    std::string small(2114, 's');
    std::vector<BatchRecord> recs;
    for (int i = 0; i < 4; ++i) recs.push_back({key, "", big, UINT64_MAX});
    for (int i = 0; i < 496; ++i)
        recs.push_back({"k", "", std::string_view(small).substr(i < 32 ? 0 : 1), 0});
    for (Compression c : {Compression::none, Compression::zstd}) {
        std::string p = encode(recs, c);
        EXPECT_LE(p.size(), kMaxRequestBytes);
        auto b = decode_batch(p);
        ASSERT_TRUE(b) << b.error().message;
        expect_same(b->records, recs);
        EXPECT_EQ(b->record_bytes, kMaxBatchBytes);
    }
}

TEST(WireBatch, EncodeRejectsRecordCountOutsideOneTo500) {
    EXPECT_EQ(encode_error({}), errc::bad_field);
    std::vector<BatchRecord> recs(501, BatchRecord{"k", "", "", 0});
    EXPECT_EQ(encode_error(recs), errc::over_limit);
}

TEST(WireBatch, EncodeRejectsRecordOverOneMiBCountingThePartitionKey) {
    std::string data(kMaxRecordBytes - 1, 'd');
    BatchRecord fits{"k", "", data, 0}, over{"kk", "", data, 0};
    std::string out;
    EXPECT_TRUE(encode_batch(header(), std::span(&fits, 1), Compression::none, out));
    EXPECT_EQ(encode_error(std::span(&over, 1)), errc::over_limit);
}

TEST(WireBatch, EncodeRejectsBatchOverFiveMiB) {
    std::string data(kMaxRecordBytes - 1, 'd');
    std::vector<BatchRecord> recs(5, BatchRecord{"k", "", data, 0});
    recs.push_back({"k", "", "", 0});
    EXPECT_EQ(encode_error(recs), errc::over_limit);
}

TEST(WireBatch, EncodeRejectsBadPartitionKeys) {
    std::string long_key(257, 'k');
    for (std::string_view key : {std::string_view(""), std::string_view(long_key),
                                 std::string_view("\xc3"), std::string_view("\xed\xa0\x80")}) {
        BatchRecord r{key, "", "d", 0};
        EXPECT_EQ(encode_error(std::span(&r, 1)), errc::bad_field) << key.size();
    }
}

TEST(WireBatch, EncodeRejectsExplicitHashKeysKinesisRejects) {
    for (std::string_view k : {"01", "-1", "1.5", "340282366920938463463374607431768211456",
                               "1000000000000000000000000000000000000000"}) {
        BatchRecord r{"k", k, "d", 0};
        EXPECT_EQ(encode_error(std::span(&r, 1)), errc::bad_field) << k;
    }
}

TEST(WireBatch, EncodeRejectsBadFlows) {
    BatchRecord r{"k", "", "d", 0};
    for (std::string flow : {std::string(), std::string(1025, 'f'), std::string("\xff")}) {
        BatchHeader h = header();
        h.flow = flow;
        EXPECT_EQ(encode_error(std::span(&r, 1), h), errc::bad_field);
    }
}

TEST(WireBatch, DecodeRejectsForeignAndFutureMagicAndVersion) {
    std::string p = encode(kMixed);
    std::string answer = p;
    answer[0] = 'A';
    EXPECT_EQ(code_of(decode_batch(answer)), errc::bad_magic);
    EXPECT_EQ(code_of(decode_batch("{\"Records\":[]}")), errc::bad_magic);
    std::string v2 = p;
    v2[1] = 2;
    auto r = decode_batch(v2);
    EXPECT_EQ(code_of(r), errc::unsupported_version);
    EXPECT_NE(r.error().message.find("version 2"), std::string::npos) << r.error().message;
}

TEST(WireBatch, EveryTruncationFails) {
    for (Compression c : {Compression::none, Compression::zstd}) {
        std::string p = encode(kMixed, c);
        for (size_t n = 0; n < p.size(); ++n)
            EXPECT_FALSE(decode_batch(p.substr(0, n))) << "cut at " << n;
    }
}

TEST(WireBatch, EveryFieldTruncatedWithAValidChecksumIsReportedTruncated) {
    // Cut the content at every offset and re-seal it: the parser itself must notice.
    std::string p = encode(kMixed);
    std::string body = p.substr(0, p.size() - 4);
    for (size_t n = 2; n < body.size(); ++n) {
        auto r = decode_batch(t::with_crc(body.substr(0, n)));
        EXPECT_EQ(code_of(r), errc::truncated) << "cut at " << n;
    }
}

TEST(WireBatch, TruncatedZstdFrameFails) {
    std::vector<BatchRecord> recs(20, BatchRecord{"pk", "", "compress me, compress me", 0});
    std::string p = encode(recs, Compression::zstd);
    ASSERT_EQ(static_cast<uint8_t>(p[2]), kFlagZstd);
    std::string body = p.substr(0, p.size() - 4);
    size_t header_end = body.size() - 8;  // the frame is longer than 8 bytes
    for (size_t n = header_end; n < body.size(); ++n) {
        errc e = code_of(decode_batch(t::with_crc(body.substr(0, n))));
        EXPECT_TRUE(e == errc::decompression_failed || e == errc::truncated) << "cut at " << n;
    }
}

TEST(WireBatch, EveryFlippedBitFails) {
    std::string p = encode(kMixed);
    for (size_t i = 0; i < p.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string q = p;
            q[i] = static_cast<char>(q[i] ^ (1 << bit));
            auto r = decode_batch(q);
            ASSERT_FALSE(r) << "byte " << i << " bit " << bit;
            if (i >= 2) {
                EXPECT_EQ(code_of(r), errc::bad_checksum) << i;
            }
        }
    }
}

TEST(WireBatch, DecodeRejectsRecordCountOutsideOneTo500) {
    std::string one = t::record("k", "", "", 0);
    std::string section;
    for (int i = 0; i < 501; ++i) section += one;
    EXPECT_EQ(code_of(decode_batch(t::request(501, section))), errc::over_limit);
    EXPECT_EQ(code_of(decode_batch(t::request(0, one))), errc::bad_field);
    EXPECT_TRUE(decode_batch(t::request(1, one)));
}

TEST(WireBatch, DecodeRejectsRecordOverOneMiB) {
    std::string data(kMaxRecordBytes, 'd');
    EXPECT_EQ(code_of(decode_batch(t::request(1, t::record("k", "", data, 0)))), errc::over_limit);
    data.pop_back();
    EXPECT_TRUE(decode_batch(t::request(1, t::record("k", "", data, 0))));
}

TEST(WireBatch, DecodeRejectsBatchOverFiveMiB) {
    std::string data(kMaxRecordBytes - 1, 'd');
    std::string section;
    for (int i = 0; i < 5; ++i) section += t::record("k", "", data, 0);
    EXPECT_TRUE(decode_batch(t::request(5, section)));
    section += t::record("k", "", "", 0);
    EXPECT_EQ(code_of(decode_batch(t::request(6, section))), errc::over_limit);
}

TEST(WireBatch, DecodeRejectsOversizedPayloadBeforeReadingIt) {
    std::string p = encode(kMixed);
    p.resize(kMaxRequestBytes + 1);
    EXPECT_EQ(code_of(decode_batch(p)), errc::over_limit);
}

TEST(WireBatch, DecodeRejectsSectionSizeOverItsBound) {
    std::string one = t::record("k", "", "", 0);
    EXPECT_EQ(code_of(decode_batch(t::request(0, 1, kMaxSectionBytes + 1, one))), errc::over_limit);
}

TEST(WireBatch, ZstdBombIsCappedAtTheDeclaredSize) {
    // 16 MiB of zeros, three ways: a frame that says so, a frame that does not say (streamed),
    // and a frame that says less than it holds.
    std::string zeros(16u << 20, '\0');
    std::string frame(ZSTD_compressBound(zeros.size()), '\0');
    frame.resize(ZSTD_compress(frame.data(), frame.size(), zeros.data(), zeros.size(), 1));
    auto declared = decode_batch(t::request(kFlagZstd, 1, 1000, frame));
    EXPECT_EQ(code_of(declared), errc::decompression_failed);
    EXPECT_NE(declared.error().message.find("zstd frame holds 16777216 bytes"), std::string::npos)
        << declared.error().message;

    ZSTD_CCtx* c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
    std::string streamed(ZSTD_compressBound(zeros.size()), '\0');
    streamed.resize(
        ZSTD_compress2(c, streamed.data(), streamed.size(), zeros.data(), zeros.size()));
    ZSTD_freeCCtx(c);
    ASSERT_FALSE(ZSTD_isError(streamed.size()));
    auto r = decode_batch(t::request(kFlagZstd, 1, 1000, streamed));
    EXPECT_EQ(code_of(r), errc::decompression_failed);
    EXPECT_NE(r.error().message.find("inflates beyond the declared 1000 bytes"), std::string::npos)
        << r.error().message;
}

TEST(WireBatch, ZstdSectionMustInflateToExactlyTheDeclaredSize) {
    std::string section = t::record("k", "", std::string(100, 'a'), 0);
    std::string frame(ZSTD_compressBound(section.size()), '\0');
    frame.resize(ZSTD_compress(frame.data(), frame.size(), section.data(), section.size(), 3));
    EXPECT_TRUE(decode_batch(t::request(kFlagZstd, 1, section.size(), frame)));
    EXPECT_EQ(code_of(decode_batch(t::request(kFlagZstd, 1, section.size() + 1, frame))),
              errc::decompression_failed);
    EXPECT_EQ(code_of(decode_batch(t::request(kFlagZstd, 1, section.size(), "not zstd"))),
              errc::decompression_failed);
}

TEST(WireBatch, DecodeRejectsUnknownFlags) {
    std::string one = t::record("k", "", "", 0);
    EXPECT_EQ(code_of(decode_batch(t::request(0x02, 1, one.size(), one))), errc::bad_field);
}

TEST(WireBatch, DecodeRejectsNonMinimalVarints) {
    // Data length 1 written as 0x81 0x00.
    std::string section =
        t::sized("k") + t::sized("") + std::string("\x81\x00", 2) + "d" + t::varint(0);
    EXPECT_EQ(code_of(decode_batch(t::request(1, section))), errc::bad_field);
}

TEST(WireBatch, DecodeRejectsBytesAfterTheLastRecord) {
    std::string one = t::record("k", "", "", 0);
    auto r = decode_batch(t::request(1, one + "x"));
    EXPECT_EQ(code_of(r), errc::bad_field);
    EXPECT_NE(r.error().message.find("after the last record"), std::string::npos);
}

TEST(WireBatch, DecodeNamesTheBadRecordField) {
    std::string section = t::record("k", "", "", 0) + t::record("\xff", "", "", 0);
    auto r = decode_batch(t::request(2, section));
    EXPECT_EQ(code_of(r), errc::bad_field);
    EXPECT_EQ(r.error().message, "records[1].partition_key is not valid UTF-8");
}

TEST(WireBatch, DecodeRejectsBadExplicitHashKey) {
    auto r = decode_batch(t::request(1, t::record("k", "007", "", 0)));
    EXPECT_EQ(code_of(r), errc::bad_field);
}

TEST(WireBatch, CodecErrorsBecomeNonRetryableValidationAnswersExceptChecksum) {
    std::string p = encode(kMixed);
    p[0] = 'X';
    BatchError e = batch_error_for(decode_batch(p).error());
    EXPECT_EQ(e.type, "ValidationException");
    EXPECT_FALSE(e.retryable);
    p = encode(kMixed);
    p[10] ^= 1;
    e = batch_error_for(decode_batch(p).error());
    EXPECT_EQ(e.type, "ValidationException");
    EXPECT_TRUE(e.retryable);
}

}  // namespace
}  // namespace tributary::wire
