#include "agent/sources/metrics/errc.h"

#include <string>

namespace tributary::agent::sources::metrics {
namespace {
class Category : public std::error_category {
public:
    const char* name() const noexcept override { return "metrics"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::unknown_group:
                return "unknown metrics group";
            case errc::invalid_interval:
                return "invalid metrics interval";
        }
        return "unknown";
    }
};
}  // namespace

const std::error_category& metrics_category() noexcept {
    static Category c;
    return c;
}

}  // namespace tributary::agent::sources::metrics
