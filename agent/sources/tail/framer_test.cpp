#include "agent/sources/tail/framer.h"

#include <gtest/gtest.h>

namespace tributary::agent::sources::tail {
namespace {

using Records = std::vector<std::string>;

// Feeds `data` in `chunk`-byte pieces, as a file read in small reads would arrive.
struct Harness {
    FramerConfig cfg;
    std::optional<Regex> start, footer;
    std::optional<Framer> f;
    Records out;
    uint64_t truncated = 0;

    void make(uint64_t offset = 0) {
        cfg.start = start ? &*start : nullptr;
        cfg.footer = footer ? &*footer : nullptr;
        f.emplace(cfg, offset);
    }
    size_t feed(std::string_view data, size_t chunk = 1 << 20, size_t max_records = 1000) {
        if (!f) make();
        Sink sink(max_records, 64 << 20);
        sink.target(&out, &truncated);
        size_t used = 0;
        while (used < data.size()) {
            size_t n = std::min(chunk, data.size() - used);
            size_t u = f->feed(data.substr(used, n), sink);
            used += u;
            if (u < n) break;
        }
        return used;
    }
    void flush_all() {
        Sink sink(1000, 64 << 20);
        sink.target(&out, &truncated);
        EXPECT_TRUE(f->flush_all(sink));
    }
};

TEST(Framer, SplitsLinesAndHoldsBackPartialLastLine) {
    Harness h;
    h.feed("one\ntwo\nthr", 3);
    EXPECT_EQ(h.out, (Records{"one", "two"}));
    EXPECT_EQ(h.f->committed(), 8u);
    EXPECT_EQ(h.f->read_offset(), 11u);
    h.feed("ee\n");
    EXPECT_EQ(h.out, (Records{"one", "two", "three"}));
    EXPECT_EQ(h.f->committed(), 14u);
}

TEST(Framer, StripsCrBeforeLfOnlyAsLineEnding) {
    Harness h;
    h.feed("a\r\nb\rc\r\n\r\n", 1);
    EXPECT_EQ(h.out, (Records{"a", "b\rc", ""}));
}

TEST(Framer, PassesInvalidUtf8Unchanged) {
    Harness h;
    std::string bad = "caf\xe9 \xff\xfe\x80 ok";
    h.feed(bad + "\n");
    EXPECT_EQ(h.out, (Records{bad}));
}

TEST(Framer, CutsLongLineWithTerminatorAndSkipsItsRest) {
    Harness h;
    h.cfg.max_record_bytes = 10;
    h.cfg.terminator = "|T\n";
    std::string big(5 << 20, 'x');  // a 5 MiB line in 64 KiB reads
    h.feed("short\n" + big + "\nafter\n", 64 << 10);
    ASSERT_EQ(h.out.size(), 3u);
    EXPECT_EQ(h.out[1], "xxxxxxx|T\n");
    EXPECT_EQ(h.out[1].size(), 10u);
    EXPECT_EQ(h.out[2], "after");
    EXPECT_EQ(h.truncated, 1u);
}

TEST(Framer, RecordOfExactlyMaxBytesIsNotCut) {
    Harness h;
    h.cfg.max_record_bytes = 4;
    h.feed("abcd\nabcde\n");
    EXPECT_EQ(h.out, (Records{"abcd", "abc\n"}));
    EXPECT_EQ(h.truncated, 1u);
}

TEST(Framer, SkipsHeaderLinesOnlyWhenStartingAtZero) {
    Harness h;
    h.cfg.skip_header_lines = 2;
    h.feed("h1\nh2\nrow\n");
    EXPECT_EQ(h.out, (Records{"row"}));
    Harness later;
    later.cfg.skip_header_lines = 2;
    later.make(6);
    later.feed("row\nrow2\n");
    EXPECT_EQ(later.out, (Records{"row", "row2"}));
}

TEST(Framer, StopsAtFooterAndCommitsTheFooterStart) {
    Harness h;
    h.footer = *Regex::compile("--END");
    h.feed("a\n--END of file\nnot read\n");
    EXPECT_EQ(h.out, (Records{"a"}));
    EXPECT_TRUE(h.f->footer_reached());
    EXPECT_EQ(h.f->committed(), 2u);
}

TEST(Framer, MultiLineGroupsContinuationLinesUntilNextStart) {
    Harness h;
    h.start = *Regex::compile(R"(\d{4}-)");
    h.feed("2024-01 boom\n  at a\n  at b\n2024-02 ok\n");
    EXPECT_EQ(h.out, (Records{"2024-01 boom\n  at a\n  at b"}));
    EXPECT_TRUE(h.f->has_pending());
    EXPECT_EQ(h.f->committed(), 27u);  // the second event is not emitted yet
    h.flush_all();
    EXPECT_EQ(h.out.back(), "2024-02 ok");
}

TEST(Framer, MultiLineStartPatternIsAnchoredAtLineStart) {
    Harness h;
    h.start = *Regex::compile("START");
    h.feed("START 1\n x START\nSTART 2\n");
    EXPECT_EQ(h.out, (Records{"START 1\n x START"}));
}

TEST(Framer, MultiLineKeepsLinesBeforeFirstStartAsARecord) {
    Harness h;
    h.start = *Regex::compile("S");
    h.feed("orphan\nalso\nS1\n");
    EXPECT_EQ(h.out, (Records{"orphan\nalso"}));
}

TEST(Framer, MultiLineEventLongerThanMaxIsCutOnce) {
    Harness h;
    h.start = *Regex::compile("S");
    h.cfg.max_record_bytes = 8;
    h.feed("S123\n4567\n89\nS2\n");
    EXPECT_EQ(h.out, (Records{"S123\n45\n"}));
    EXPECT_EQ(h.truncated, 1u);
}

TEST(Framer, StopsWhenSinkIsFullAndResumesWithoutLoss) {
    Harness h;
    std::string data = "1\n2\n3\n4\n5\n";
    size_t used = h.feed(data, 1 << 20, 2);
    EXPECT_EQ(h.out, (Records{"1", "2"}));
    EXPECT_EQ(used, 4u);
    EXPECT_EQ(h.f->committed(), 4u);
    h.feed(data.substr(used));
    EXPECT_EQ(h.out, (Records{"1", "2", "3", "4", "5"}));
}

TEST(Framer, FlushAllEmitsPartialLastLine) {
    Harness h;
    h.feed("done\nno newline");
    h.flush_all();
    EXPECT_EQ(h.out, (Records{"done", "no newline"}));
    EXPECT_EQ(h.f->committed(), 15u);
}

}  // namespace
}  // namespace tributary::agent::sources::tail
