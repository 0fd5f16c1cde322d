#include "agent/sources/tail/errc.h"

#include <string>

namespace tributary::agent::sources::tail {
namespace {
class Category : public std::error_category {
public:
    const char* name() const noexcept override { return "tail"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::invalid_option: return "invalid option";
            case errc::bad_position: return "bad position";
            case errc::io: return "I/O error";
        }
        return "unknown";
    }
};
}  // namespace

const std::error_category& tail_category() {
    static Category c;
    return c;
}

}  // namespace tributary::agent::sources::tail
