#include "collector/ingest/mqtt/errc.h"

#include <string>

namespace tributary::collector::ingest::mqtt {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "mqtt_ingest"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::invalid_options: return "invalid MQTT ingest options";
            case errc::client_failed: return "MQTT client could not be created";
        }
        return "unknown MQTT ingest error";
    }
};

}  // namespace

const std::error_category& ingest_category() noexcept {
    static const Category c;
    return c;
}

}  // namespace tributary::collector::ingest::mqtt
