#pragma once
// Helpers shared by the processor tests: build a chain from JSON text, run one record.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "agent/processors/processor.h"

namespace tributary::agent::processors::testing {

inline Context test_context() {
    return Context{"edge-7", "dev-42", [] { return uint64_t{1700000000123}; }};
}

inline Chain make_chain(const std::string& options_json, Context ctx = test_context()) {
    auto chain = Chain::make(nlohmann::json::parse(options_json), std::move(ctx));
    EXPECT_TRUE(chain.has_value()) << chain.error().message;
    return chain ? std::move(*chain) : Chain();
}

// The error message for a config that must be refused ("" if it was accepted).
inline std::string config_error(const std::string& options_json) {
    auto chain = Chain::make(nlohmann::json::parse(options_json), test_context());
    return chain ? std::string() : chain.error().message;
}

// Applies `chain` to `record`; returns the output, or "FAILED" (and checks the record is
// unchanged) when the chain rejects it.
inline std::string run(Chain& chain, std::string record) {
    const std::string before = record;
    std::string_view step;
    if (chain.apply(record, &step) == Chain::Outcome::failed) {
        EXPECT_EQ(record, before) << "a failed record must be left unchanged";
        EXPECT_FALSE(step.empty());
        return "FAILED";
    }
    return record;
}

inline std::string run(const std::string& options_json, std::string record) {
    Chain chain = make_chain(options_json);
    return run(chain, std::move(record));
}

}  // namespace tributary::agent::processors::testing
