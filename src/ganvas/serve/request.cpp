#include "ganvas/serve/request.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace ganvas::serve {

uint64_t parse_seed(const std::string& text) {
    if (text.empty() || text.size() > 20 || !std::all_of(text.begin(), text.end(), ::isdigit)) {
        throw HttpError(400, "field 'seed': expected a non-negative integer, got '" + text + "'");
    }
    try {
        return std::stoull(text);
    } catch (const std::exception&) {
        throw HttpError(400, "field 'seed': '" + text + "' is out of range (0 to 2^64 - 1)");
    }
}

int64_t parse_int(const std::string& field, const std::string& text, int64_t lo, int64_t hi) {
    const bool digits = !text.empty() && text.size() <= 9 && std::all_of(text.begin(), text.end(), ::isdigit);
    const int64_t v = digits ? std::stoll(text) : -1;
    if (!digits || v < lo || v > hi) {
        throw HttpError(400, fmt::format("field '{}': expected an integer from {} to {}, got '{}'", field, lo, hi, text));
    }
    return v;
}

bool parse_bool(const std::string& field, const std::string& text) {
    if (text == "1" || text == "true" || text == "on") return true;
    if (text == "0" || text == "false" || text == "off" || text.empty()) return false;
    throw HttpError(400, "field '" + field + "': expected true or false, got '" + text + "'");
}

bool valid_name(const std::string& name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    }) && name != "." && name != "..";
}

Form read_form(const httplib::Request& req) {
    if (!req.is_multipart_form_data()) {
        throw HttpError(415, "expected multipart/form-data (images as files, parameters as fields); got '" +
                                 req.get_header_value("Content-Type") + "'");
    }
    Form form;
    for (const auto& [name, part] : req.files) {
        if (!valid_utf8(name) || name.empty()) throw HttpError(400, "a form field has an empty or malformed name");
        auto& into = part.filename.empty() ? form.fields : form.files;
        if (form.fields.count(name) || form.files.count(name)) throw HttpError(400, "field '" + name + "' given twice");
        into[name] = &part;
    }
    return form;
}

std::string part_label(const httplib::MultipartFormData& part) {
    return "upload '" + part.name + "'" + (part.filename.empty() ? "" : " (" + part.filename + ")");
}

void check_upload(const httplib::MultipartFormData& part, const ImageLimits& limits) {
    const auto* data = reinterpret_cast<const unsigned char*>(part.content.data());
    const ImageHeader header = read_image_header(data, part.content.size());
    if (header.width > 0 && header.height > 0 && header.width * header.height > limits.max_pixels) {
        throw HttpError(413, fmt::format("{}: {}x{} pixels is more than the server's limit of {} (--max-pixels)",
                                         part_label(part), header.width, header.height, limits.max_pixels));
    }
    try {
        check_image_header(header, static_cast<int64_t>(part.content.size()), part_label(part), limits);
    } catch (const Error& e) {
        throw HttpError(400, e.what());
    }
}

cv::Mat decode_upload(const httplib::MultipartFormData& part, const ImageLimits& limits) {
    try {
        return decode_image_rgb(std::vector<uchar>(part.content.begin(), part.content.end()), part_label(part), limits);
    } catch (const std::exception& e) {
        throw HttpError(400, exception_text(e));
    }
}

}  // namespace ganvas::serve
