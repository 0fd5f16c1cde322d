#include "agent/sinks/mqtt/errc.h"

#include <string>

namespace tributary::agent::sinks::mqtt {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "mqtt_sink"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::invalid_option:
                return "invalid option";
            case errc::bad_tls_file:
                return "bad TLS file";
            case errc::client_failed:
                return "MQTT client creation failed";
        }
        return "unknown mqtt_sink error";
    }
};

}  // namespace

const std::error_category& mqtt_sink_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace tributary::agent::sinks::mqtt
