#include <nlohmann/json.hpp>

#include "agent/processors/processor.h"
#include "agent/processors/processor_internal.h"

namespace tributary::agent::processors {

struct Chain::Step {
    std::string name;  // the canonical optionName, for counters and error markers
    std::unique_ptr<Processor> processor;
};

Chain::Chain() = default;
Chain::~Chain() = default;
Chain::Chain(Chain&&) noexcept = default;
Chain& Chain::operator=(Chain&&) noexcept = default;

Result<Chain> Chain::make(const nlohmann::json& options, Context ctx) {
    Chain chain;
    if (options.is_null()) return chain;
    if (!options.is_array()) {
        return fail(errc::invalid_option, std::string("dataProcessingOptions: expected an array, got ") +
                                              options.type_name());
    }
    for (size_t i = 0; i < options.size(); ++i) {
        const auto& entry = options[i];
        std::string where = "dataProcessingOptions[" + std::to_string(i) + "]";
        if (!entry.is_object()) {
            return fail(errc::invalid_option,
                        where + ": expected an object, got " + entry.type_name());
        }
        Options opts(entry, where);
        TRIB_TRY(auto name, opts.required_string("optionName"));
        const Descriptor* d = find_processor(name);
        if (d == nullptr) {
            return fail(errc::unknown_processor, where + ".optionName: unknown processor '" + name +
                                                     "' (expected " + processor_names() + ")");
        }
        if (!d->any_keys) TRIB_TRY_VOID(opts.check_keys(d->options));
        TRIB_TRY(auto made, d->make(opts, ctx));
        if (!made.notice.empty()) chain.notices_.push_back(where + ": " + made.notice);
        if (made.processor) chain.steps_.push_back(Step{std::string(d->name), std::move(made.processor)});
    }
    return chain;
}

size_t Chain::size() const { return steps_.size(); }

Chain::Outcome Chain::apply(std::string& record, std::string_view* failed_step) {
    // Each step reads the previous output and writes the other buffer, so a failing step
    // leaves `record` untouched; the final swap hands the record's old storage back to the
    // chain, and after a few records nothing allocates.
    const std::string* in = &record;
    std::string* out = nullptr;
    for (size_t i = 0; i < steps_.size(); ++i) {
        out = &buf_[i % 2];
        out->clear();
        std::string_view why;
        if (!steps_[i].processor->apply(*in, *out, why)) {
            last_error_ = why;
            if (failed_step != nullptr) *failed_step = steps_[i].name;
            return Outcome::failed;
        }
        in = out;
    }
    if (out != nullptr) record.swap(*out);
    return Outcome::ok;
}

}  // namespace tributary::agent::processors

namespace tributary::agent::processors {

Result<bool> read_pretty(const Options& opts) {
    static constexpr std::string_view kFormats[] = {"COMPACT", "PRETTYPRINT"};
    TRIB_TRY(auto f, opts.enumeration("jsonFormat", kFormats));
    return f && *f == "PRETTYPRINT";
}

}  // namespace tributary::agent::processors
