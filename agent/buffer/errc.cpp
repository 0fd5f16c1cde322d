#include "agent/buffer/errc.h"

#include <string>

namespace tributary::agent::buffer {
namespace {
class Category : public std::error_category {
public:
    const char* name() const noexcept override { return "spool"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::full:
                return "spool full";
            case errc::too_large:
                return "append larger than the flow's limit";
            case errc::invalid_argument:
                return "invalid argument";
            case errc::too_many_flows:
                return "too many flows";
            case errc::map_unavailable:
                return "spool map cannot be mapped";
            case errc::locked:
                return "spool directory in use";
            case errc::format:
                return "spool format";
            case errc::closed:
                return "spool closed";
            case errc::storage:
                return "spool storage failure";
        }
        return "unknown";
    }
};
}  // namespace

const std::error_category& spool_category() {
    static Category c;
    return c;
}

}  // namespace tributary::agent::buffer
