#include "collector/api/errors.h"

#include <string>

#include "collector/api/errc.h"
#include "collector/store/errc.h"
#include "shared/aws/errc.h"

namespace tributary::collector::api {
namespace {

class Category : public std::error_category {
public:
    const char* name() const noexcept override { return "api"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::serialization: return "serialization";
            case errc::unknown_operation: return "unknown operation";
            case errc::validation: return "validation";
            case errc::invalid_argument: return "invalid argument";
            case errc::internal_failure: return "internal failure";
        }
        return "unknown";
    }
};

AwsError from_store(store::errc e) {
    using store::errc;
    switch (e) {
        case errc::resource_not_found: return {400, "ResourceNotFoundException", "message"};
        case errc::resource_in_use: return {400, "ResourceInUseException", "message"};
        case errc::invalid_argument: return {400, "InvalidArgumentException", "message"};
        case errc::limit_exceeded: return {400, "LimitExceededException", "message"};
        case errc::provisioned_throughput_exceeded:
            return {400, "ProvisionedThroughputExceededException", "message"};
        case errc::expired_iterator: return {400, "ExpiredIteratorException", "message"};
        case errc::expired_next_token: return {400, "ExpiredNextTokenException", "message"};
        case errc::validation: return {400, "ValidationException", "message"};
        case errc::access_denied: return {400, "AccessDeniedException", "message"};
        case errc::internal_failure: return {500, "InternalFailure", "message"};
    }
    return {500, "InternalFailure", "message"};
}

AwsError from_api(errc e) {
    switch (e) {
        case errc::serialization: return {400, "SerializationException", "Message"};
        case errc::unknown_operation: return {400, "UnknownOperationException", "message"};
        case errc::validation: return {400, "ValidationException", "message"};
        case errc::invalid_argument: return {400, "InvalidArgumentException", "message"};
        case errc::internal_failure: return {500, "InternalFailure", "message"};
    }
    return {500, "InternalFailure", "message"};
}

}  // namespace

const std::error_category& api_category() {
    static Category c;
    return c;
}

AwsError aws_error(const std::error_code& code) {
    if (code.category() == store::store_category())
        return from_store(static_cast<store::errc>(code.value()));
    if (code.category() == api_category()) return from_api(static_cast<errc>(code.value()));
    if (code.category() == aws::aws_auth_category()) {
        auto e = static_cast<aws::errc>(code.value());
        return {aws::http_status(e), aws::aws_error_type(e), "message"};
    }
    return {500, "InternalFailure", "message"};
}

}  // namespace tributary::collector::api
