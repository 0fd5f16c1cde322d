#include "shared/aws/errc.h"

#include <string>

namespace tributary::aws {
namespace {

struct Row {
    errc code;
    std::string_view type;
    int status;
    std::string_view message;
};

// Kinesis answers every authentication failure with 400 (the JSON protocol reserves 403 for
// AccessDeniedException, an authorization failure, which is not raised here).
constexpr Row table[] = {
    {errc::missing_authentication_token, "MissingAuthenticationTokenException", 400,
     "Missing Authentication Token"},
    {errc::incomplete_signature, "IncompleteSignatureException", 400,
     "The request signature does not conform to AWS standards."},
    {errc::invalid_signature, "InvalidSignatureException", 400,
     "The request signature we calculated does not match the signature you provided. Check your "
     "AWS Secret Access Key and signing method. Consult the service documentation for details."},
    {errc::unrecognized_client, "UnrecognizedClientException", 400,
     "The security token included in the request is invalid."},
};

const Row* find(errc e) noexcept {
    for (const Row& r : table) {
        if (r.code == e) return &r;
    }
    return nullptr;
}

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "aws_auth"; }
    std::string message(int ev) const override {
        const Row* r = find(static_cast<errc>(ev));
        return r ? std::string(r->message) : "unknown aws_auth error";
    }
};

}  // namespace

const std::error_category& aws_auth_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), aws_auth_category()};
}

std::string_view aws_error_type(errc e) noexcept {
    const Row* r = find(e);
    return r ? r->type : "InternalFailure";
}

int http_status(errc e) noexcept {
    const Row* r = find(e);
    return r ? r->status : 500;
}

std::string_view default_message(errc e) noexcept {
    const Row* r = find(e);
    return r ? r->message : "";
}

}  // namespace tributary::aws
