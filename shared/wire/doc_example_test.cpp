// The worked example of docs/mqtt.md, section 11, is the codec's output: these tests read the
// hex blocks out of the document, so neither can change without the other.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "shared/wire/batch.h"

namespace tributary::wire {
namespace {

// The bytes of the fenced block after `<!-- wire-example: <name> -->`. Each line holds hex
// pairs separated by single spaces; two spaces start the line's comment.
std::string doc_example(std::string_view name) {
    std::ifstream in(TRIB_DOCS_DIR "/mqtt.md");
    EXPECT_TRUE(in) << "docs/mqtt.md not found";
    std::string marker = "<!-- wire-example: " + std::string(name) + " -->";
    std::string line, bytes;
    bool found = false, inside = false;
    while (std::getline(in, line)) {
        if (!found) {
            found = line == marker;
            continue;
        }
        if (line.starts_with("```")) {
            if (inside) return bytes;
            inside = true;
            continue;
        }
        std::istringstream hex(line.substr(0, line.find("  ")));
        std::string pair;
        while (hex >> pair) {
            EXPECT_EQ(pair.size(), 2u) << "in line: " << line;
            bytes.push_back(static_cast<char>(std::stoi(pair, nullptr, 16)));
        }
    }
    ADD_FAILURE() << "no example '" << name << "' in docs/mqtt.md";
    return bytes;
}

constexpr std::string_view kSeq = "49651235947735914328117958113493765328296463543346266114";

TEST(WireDocExample, RequestIsWhatTheEncoderWrites) {
    BatchHeader h;
    for (size_t i = 0; i < 16; ++i) h.producer_id[i] = static_cast<uint8_t>(i * 0x11);
    h.flow = "app";
    h.sequence = 42;
    const BatchRecord recs[] = {{"host-1", "", "hello", 1715238000123}, {"host-1", "", "world", 0}};
    std::string out;
    ASSERT_TRUE(encode_batch(h, recs, Compression::none, out));
    EXPECT_EQ(out, doc_example("request"));
}

TEST(WireDocExample, RequestDecodesToTheDocumentedValues) {
    std::string payload = doc_example("request");
    auto b = decode_batch(payload);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->header.flow, "app");
    EXPECT_EQ(b->header.sequence, 42u);
    ASSERT_EQ(b->records.size(), 2u);
    EXPECT_EQ(b->records[0].data, "hello");
    EXPECT_EQ(b->records[0].timestamp_ms, 1715238000123u);
    EXPECT_EQ(b->records[1].data, "world");
}

TEST(WireDocExample, AnswerIsWhatTheEncoderWrites) {
    BatchAnswer a;
    a.records.push_back({true, 0, std::string(kSeq), "", ""});
    a.records.push_back({false, 0, "", "InternalFailure", "Internal Service Failure"});
    std::string out;
    ASSERT_TRUE(encode_answer(a, out));
    EXPECT_EQ(out, doc_example("answer"));
}

TEST(WireDocExample, BatchErrorAnswerIsWhatTheEncoderWrites) {
    BatchAnswer a;
    a.error = BatchError{"ResourceNotFoundException",
                         "Stream app under account 000000000000 not found.", true};
    std::string out;
    ASSERT_TRUE(encode_answer(a, out));
    EXPECT_EQ(out, doc_example("answer-error"));
    auto back = decode_answer(out);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->error->retryable);
}

}  // namespace
}  // namespace tributary::wire
