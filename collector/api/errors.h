#pragma once
// The one table that turns any error the API can meet into the AWS wire shape: HTTP status,
// `__type`, and whether the message key is `message` or (SerializationException) `Message`.

#include <string_view>
#include <system_error>

namespace tributary::collector::api {

struct AwsError {
    int status;
    std::string_view type;
    std::string_view message_key;  // "message", or "Message" for SerializationException
};

AwsError aws_error(const std::error_code& code);

}  // namespace tributary::collector::api
