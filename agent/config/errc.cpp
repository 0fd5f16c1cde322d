#include "agent/config/errc.h"

#include <string>

namespace tributary::agent::config {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "agent_config"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::io_error:
                return "cannot read configuration file";
            case errc::invalid_json:
                return "malformed JSON";
            case errc::unknown_key:
                return "unknown key";
            case errc::wrong_type:
                return "wrong type";
            case errc::out_of_range:
                return "value out of range";
            case errc::invalid_value:
                return "invalid value";
            case errc::missing_key:
                return "missing key";
            case errc::conflicting_keys:
                return "conflicting keys";
            case errc::duplicate_flow:
                return "duplicate flow";
        }
        return "unknown agent_config error";
    }
};

}  // namespace

const std::error_category& config_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace tributary::agent::config
