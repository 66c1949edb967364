#include "ganvas/core/options.h"

#include "ganvas/core/error.h"

#include <cmath>
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace ganvas {

const char* to_string(OptionType type) {
    switch (type) {
        case OptionType::Bool: return "bool";
        case OptionType::Int: return "integer";
        case OptionType::Float: return "number";
        case OptionType::String: return "string";
        case OptionType::IntList: return "list of integers";
        case OptionType::FloatList: return "list of numbers";
        case OptionType::StringList: return "list of strings";
    }
    return "?";
}

bool option_value_fits(OptionType type, const nlohmann::json& value) {
    const auto all = [&](auto pred) {
        return value.is_array() && std::all_of(value.begin(), value.end(), pred);
    };
    switch (type) {
        case OptionType::Bool: return value.is_boolean();
        case OptionType::Int: return value.is_number_integer();
        case OptionType::Float: return value.is_number() && std::isfinite(value.get<double>());
        case OptionType::String: return value.is_string() && valid_utf8(value.get_ref<const std::string&>());
        case OptionType::IntList: return all([](const nlohmann::json& v) { return v.is_number_integer(); });
        case OptionType::FloatList:
            return all([](const nlohmann::json& v) { return v.is_number() && std::isfinite(v.get<double>()); });
        case OptionType::StringList:
            return all([](const nlohmann::json& v) { return v.is_string() && valid_utf8(v.get_ref<const std::string&>()); });
    }
    return false;
}

namespace {
// For messages: invalid UTF-8 (a hostile value) is replaced rather than thrown from dump().
std::string safe_dump(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

void check_options(const std::string& owner, const std::vector<OptionSpec>& specs, const nlohmann::json& given,
                   const std::vector<std::string>& legacy) {
    if (given.is_null()) return;
    if (!given.is_object()) throw UsageError(owner + " options: expected a JSON object, got " + safe_dump(given));
    for (const auto& item : given.items()) {
        const std::string& key = item.key();  // named (not a structured binding) so that lambdas capture it
        const nlohmann::json& value = item.value();
        if (std::find(legacy.begin(), legacy.end(), key) != legacy.end()) continue;
        const auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.key == key; });
        if (spec == specs.end()) {
            std::string known;
            for (const auto& s : specs) known += (known.empty() ? "" : ", ") + s.key;
            throw UsageError(owner + " has no option '" + key + "' (options: " + known + ")");
        }
        if (!option_value_fits(spec->type, value)) {
            throw UsageError(owner + " option '" + key + "': expected " + to_string(spec->type) + ", got " +
                             safe_dump(value));
        }
    }
}

std::vector<OptionSpec> specs_from_defaults(const nlohmann::json& defaults, const std::vector<OptionDoc>& docs) {
    std::vector<OptionSpec> specs;
    for (const auto& doc : docs) {
        if (!defaults.contains(doc.key)) throw std::logic_error("option '" + doc.key + "' has no default");
        const auto& value = defaults.at(doc.key);
        OptionType type = OptionType::String;
        if (doc.type) {
            type = *doc.type;
        } else if (value.is_boolean()) {
            type = OptionType::Bool;
        } else if (value.is_number_integer()) {
            type = OptionType::Int;
        } else if (value.is_number()) {
            type = OptionType::Float;
        } else if (value.is_array() && !value.empty()) {
            type = value.front().is_number_integer() ? OptionType::IntList
                   : value.front().is_number()       ? OptionType::FloatList
                                                     : OptionType::StringList;
        } else if (!value.is_string()) {
            throw std::logic_error("option '" + doc.key + "': give its type");
        }
        if (!option_value_fits(type, value)) throw std::logic_error("option '" + doc.key + "': default of another type");
        specs.push_back({doc.key, type, value, doc.help, doc.flag});
    }
    if (specs.size() != defaults.size()) {
        for (const auto& item : defaults.items()) {
            const std::string& key = item.key();
            if (std::none_of(docs.begin(), docs.end(), [&](const OptionDoc& d) { return d.key == key; })) {
                throw std::logic_error("option '" + key + "' is not documented");
            }
        }
    }
    return specs;
}

nlohmann::json default_options(const std::vector<OptionSpec>& specs) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& s : specs) j[s.key] = s.default_value;
    return j;
}

namespace {

nlohmann::json parse_word(OptionType element, const std::string& word, const std::string& where) {
    if (element == OptionType::String) return word;
    auto parsed = nlohmann::json::parse(word, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !option_value_fits(element, parsed)) {
        throw UsageError(where + ": '" + word + "' is not " +
                         (element == OptionType::Bool ? "true or false" : std::string("a ") + to_string(element)));
    }
    return parsed;
}

}  // namespace

nlohmann::json parse_option_words(const OptionSpec& spec, const std::vector<std::string>& words,
                                  const std::string& where) {
    switch (spec.type) {
        case OptionType::IntList:
        case OptionType::FloatList:
        case OptionType::StringList: {
            const OptionType element = spec.type == OptionType::IntList     ? OptionType::Int
                                       : spec.type == OptionType::FloatList ? OptionType::Float
                                                                            : OptionType::String;
            nlohmann::json list = nlohmann::json::array();
            for (const auto& w : words) list.push_back(parse_word(element, w, where));
            return list;
        }
        default:
            if (words.size() != 1) throw UsageError(where + ": expected one value");
            return parse_word(spec.type, words.front(), where);
    }
}

void apply_key_value(const std::string& pair, nlohmann::json& into, const std::string& flag) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError(flag + ": expected KEY=VALUE, got '" + pair + "'");
    const std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
    auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    into[key] = parsed.is_discarded() ? nlohmann::json(value) : parsed;
}

std::string options_table(const std::vector<OptionSpec>& specs) {
    size_t width = 0;
    std::vector<std::string> names;
    for (const auto& s : specs) {
        names.push_back(s.flag.empty() ? s.key : s.key + " (" + s.flag + ")");
        width = std::max(width, names.back().size());
    }
    std::string out;
    for (size_t i = 0; i < specs.size(); ++i) {
        out += fmt::format("  {:<{}}  {:<16} {:<22} {}\n", names[i], width, to_string(specs[i].type),
                           specs[i].default_value.dump(), specs[i].help);
    }
    return out;
}

bool valid_utf8(const std::string& text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        const unsigned char c = *p;
        size_t n = 0;
        uint32_t code = 0;
        if (c < 0x80) { ++p; continue; }
        if ((c & 0xE0) == 0xC0) { n = 1; code = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; code = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; code = c & 0x07; }
        else return false;
        if (static_cast<size_t>(end - p) <= n) return false;
        for (size_t i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            code = code << 6 | (p[i] & 0x3F);
        }
        // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
        static const uint32_t min_code[] = {0, 0x80, 0x800, 0x10000};
        if (code < min_code[n] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
        p += n + 1;
    }
    return true;
}

}  // namespace ganvas
