#include "agent/sinks/https/errc.h"

#include <string>

namespace tributary::agent::sinks::https {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "https_sink"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::bad_endpoint: return "bad endpoint";
            case errc::bad_ca_file: return "bad CA file";
            case errc::invalid_option: return "invalid option";
            case errc::invalid_batch: return "invalid batch";
            case errc::list_shards_failed: return "ListShards failed";
        }
        return "unknown https_sink error";
    }
};

}  // namespace

const std::error_category& https_sink_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace tributary::agent::sinks::https
