#include "collector/store/errc.h"

#include <string>

namespace tributary::collector::store {
namespace {
class Category : public std::error_category {
public:
    const char* name() const noexcept override { return "store"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::resource_not_found: return "resource not found";
            case errc::resource_in_use: return "resource in use";
            case errc::invalid_argument: return "invalid argument";
            case errc::limit_exceeded: return "limit exceeded";
            case errc::provisioned_throughput_exceeded: return "provisioned throughput exceeded";
            case errc::expired_iterator: return "expired iterator";
            case errc::expired_next_token: return "expired next token";
            case errc::validation: return "validation";
            case errc::access_denied: return "access denied";
            case errc::internal_failure: return "internal failure";
        }
        return "unknown";
    }
};
}  // namespace

const std::error_category& store_category() {
    static Category c;
    return c;
}

}  // namespace tributary::collector::store
