#include "agent/processors/errc.h"

#include <string>

namespace tributary::agent::processors {
namespace {
class Category : public std::error_category {
public:
    const char* name() const noexcept override { return "processors"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::invalid_option: return "invalid processing option";
            case errc::unknown_processor: return "unknown processor";
            case errc::invalid_pattern: return "invalid pattern";
        }
        return "unknown";
    }
};
}  // namespace

const std::error_category& processors_category() {
    static Category c;
    return c;
}

}  // namespace tributary::agent::processors
