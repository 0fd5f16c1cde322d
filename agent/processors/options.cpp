#include "agent/processors/options.h"

#include <algorithm>
#include <cctype>

namespace tributary::agent::processors {
namespace {

const char* type_name(const nlohmann::json& v) { return v.type_name(); }

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string join(std::span<const std::string_view> names) {
    std::string out;
    for (auto n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

}  // namespace

tl::unexpected<Error> Options::error(std::string_view key, std::string_view what) const {
    return fail(errc::invalid_option, where_ + "." + std::string(key) + ": " + std::string(what));
}

const nlohmann::json* Options::get(std::string_view key) const {
    auto it = entry_.find(key);
    return it == entry_.end() ? nullptr : &*it;
}

Result<std::optional<std::string>> Options::string(std::string_view key) const {
    const auto* v = get(key);
    if (v == nullptr) return std::optional<std::string>{};
    if (!v->is_string()) return error(key, std::string("expected a string, got ") + type_name(*v));
    return std::optional<std::string>{v->get<std::string>()};
}

Result<std::string> Options::required_string(std::string_view key) const {
    TRIB_TRY(auto v, string(key));
    if (!v) return error(key, "required");
    return *v;
}

Result<std::vector<std::string>> Options::string_list(std::string_view key) const {
    const auto* v = get(key);
    if (v == nullptr) return std::vector<std::string>{};
    if (!v->is_array()) {
        return error(key, std::string("expected an array of strings, got ") + type_name(*v));
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < v->size(); ++i) {
        const auto& e = (*v)[i];
        if (!e.is_string()) {
            return error(key, "element " + std::to_string(i) + ": expected a string, got " +
                                  type_name(e));
        }
        out.push_back(e.get<std::string>());
    }
    return out;
}

Result<bool> Options::boolean(std::string_view key, bool fallback) const {
    const auto* v = get(key);
    if (v == nullptr) return fallback;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_string()) {
        std::string s = upper(v->get<std::string>());
        if (s == "TRUE") return true;
        if (s == "FALSE") return false;
        return error(key, "expected true or false, got '" + v->get<std::string>() + "'");
    }
    return error(key, std::string("expected true or false, got ") + type_name(*v));
}

Result<std::optional<std::string>> Options::enumeration(
    std::string_view key, std::span<const std::string_view> allowed) const {
    TRIB_TRY(auto v, string(key));
    if (!v) return std::optional<std::string>{};
    std::string u = upper(*v);
    if (std::find(allowed.begin(), allowed.end(), u) == allowed.end()) {
        return error(key, "unknown value '" + *v + "' (expected " + join(allowed) + ")");
    }
    return std::optional<std::string>{u};
}

Result<void> Options::check_keys(std::span<const OptionSpec> table) const {
    for (auto it = entry_.begin(); it != entry_.end(); ++it) {
        const std::string& k = it.key();
        if (k == "optionName") continue;
        bool known = std::any_of(table.begin(), table.end(),
                                 [&](const OptionSpec& s) { return s.name == k; });
        if (!known) {
            std::vector<std::string_view> names;
            for (const auto& s : table) names.push_back(s.name);
            return error(k, names.empty() ? "unknown key (this processor takes no options)"
                                          : "unknown key (expected one of " + join(names) + ")");
        }
    }
    return {};
}

}  // namespace tributary::agent::processors
