// What a request to `ganvas serve` carries, read and checked before any work: multipart forms,
// text fields, and uploaded images (their header checked before decoding). Every refusal is an
// HttpError with the status to answer. Internal to serve/.
#pragma once
#include "ganvas/core/image_header.h"

#include <httplib.h>
#include <opencv2/core.hpp>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace ganvas::serve {

// A request the server refuses, with the status to answer.
struct HttpError : std::runtime_error {
    HttpError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
    int status;
};

uint64_t parse_seed(const std::string& text);
// An integer field within [lo, hi].
int64_t parse_int(const std::string& field, const std::string& text, int64_t lo, int64_t hi);
bool parse_bool(const std::string& field, const std::string& text);
// A model or job name: letters, digits, '-', '_' and '.', at most 64.
bool valid_name(const std::string& name);

// The fields of a multipart request: files by name, text fields by name (each at most once).
struct Form {
    std::map<std::string, const httplib::MultipartFormData*> files, fields;
};
Form read_form(const httplib::Request& req);

// "upload 'NAME' (FILENAME)", for messages.
std::string part_label(const httplib::MultipartFormData& part);
// The header of an uploaded image, checked before anything decodes it: 413 beyond the pixel
// limit, 400 for what is not an image or a format not allowed.
void check_upload(const httplib::MultipartFormData& part, const ImageLimits& limits);
cv::Mat decode_upload(const httplib::MultipartFormData& part, const ImageLimits& limits);

}  // namespace ganvas::serve
