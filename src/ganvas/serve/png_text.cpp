#include "ganvas/serve/png_text.h"

#include "ganvas/core/error.h"
#include "ganvas/core/sha256.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>
#include <stdexcept>

namespace ganvas {
namespace {

constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

uint32_t read_u32(const std::string& s, size_t at) {
    const auto* b = reinterpret_cast<const unsigned char*>(s.data() + at);
    return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

void append_u32(std::string& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift & 0xFF));
}

std::string chunk(const std::string& type, const std::string& data) {
    std::string out;
    append_u32(out, static_cast<uint32_t>(data.size()));
    const std::string body = type + data;
    out += body;
    append_u32(out, crc32(body.data(), body.size()));
    return out;
}

bool has_signature(const std::string& png) {
    return png.size() >= 8 && std::memcmp(png.data(), kSignature, 8) == 0;
}

// Calls fn(type, data offset, length) for each chunk; Error on a malformed sequence.
template <typename Fn>
void for_each_chunk(const std::string& png, Fn fn) {
    if (!has_signature(png)) throw Error("not a PNG file (no PNG signature)");
    size_t at = 8;
    while (at < png.size()) {
        if (png.size() - at < 12) throw Error("PNG chunk header cut short at byte " + std::to_string(at));
        const uint32_t length = read_u32(png, at);
        if (length > png.size() - at - 12) throw Error("PNG chunk at byte " + std::to_string(at) + " runs past the end");
        const std::string type = png.substr(at + 4, 4);
        if (crc32(png.data() + at + 4, length + 4) != read_u32(png, at + 8 + length)) {
            throw Error("PNG chunk " + type + " at byte " + std::to_string(at) + " fails its CRC");
        }
        fn(type, at + 8, static_cast<size_t>(length));
        at += 12 + static_cast<size_t>(length);
        if (type == "IEND") return;
    }
    throw Error("PNG file has no IEND chunk");
}

}  // namespace

std::string png_with_text(const std::string& png, const PngText& text) {
    if (!has_signature(png) || png.size() < 33 || png.compare(12, 4, "IHDR") != 0) {
        throw Error("not a PNG file (no signature and IHDR chunk)");
    }
    std::string chunks;
    for (const auto& [keyword, value] : text) {
        if (keyword.empty() || keyword.size() > 79) throw std::invalid_argument("PNG text keyword of 1-79 characters");
        for (unsigned char c : keyword) {
            if (c < 32 || (c > 126 && c < 161)) throw std::invalid_argument("PNG text keyword '" + keyword + "'");
        }
        if (value.find('\0') != std::string::npos) throw std::invalid_argument("PNG text with a NUL byte");
        chunks += chunk("tEXt", keyword + std::string(1, '\0') + value);
    }
    const size_t after_header = 8 + 12 + read_u32(png, 8);
    return png.substr(0, after_header) + chunks + png.substr(after_header);
}

std::string encode_png(const cv::Mat& rgb, const PngText& text) {
    cv::Mat bgr;
    if (rgb.channels() == 3) cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    else bgr = rgb;
    std::vector<uchar> bytes;
    if (!cv::imencode(".png", bgr, bytes)) throw Error("could not encode a PNG image");
    return png_with_text(std::string(bytes.begin(), bytes.end()), text);
}

std::map<std::string, std::string> read_png_text(const std::string& png) {
    std::map<std::string, std::string> out;
    for_each_chunk(png, [&](const std::string& type, size_t data, size_t length) {
        if (type != "tEXt") return;
        const std::string body = png.substr(data, length);
        const size_t nul = body.find('\0');
        if (nul == std::string::npos || nul == 0) throw Error("PNG tEXt chunk without a keyword");
        out[body.substr(0, nul)] = body.substr(nul + 1);
    });
    return out;
}

}  // namespace ganvas
