#include "ganvas/core/image_header.h"

#include "ganvas/core/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace ganvas {
namespace {

// Bounds-checked little readers over one buffer: every read says whether it fitted.
struct Bytes {
    const unsigned char* data;
    size_t size;

    bool has(size_t offset, size_t count) const { return offset <= size && count <= size - offset; }
    bool starts_with(const char* magic, size_t count, size_t offset = 0) const {
        return has(offset, count) && std::memcmp(data + offset, magic, count) == 0;
    }
    bool u16(size_t offset, bool big_endian, uint32_t& out) const {
        if (!has(offset, 2)) return false;
        const unsigned char* p = data + offset;
        out = big_endian ? (uint32_t{p[0]} << 8 | p[1]) : (uint32_t{p[1]} << 8 | p[0]);
        return true;
    }
    bool u24le(size_t offset, uint32_t& out) const {
        if (!has(offset, 3)) return false;
        const unsigned char* p = data + offset;
        out = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16;
        return true;
    }
    bool u32(size_t offset, bool big_endian, uint32_t& out) const {
        if (!has(offset, 4)) return false;
        const unsigned char* p = data + offset;
        out = big_endian ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
                         : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
        return true;
    }
    bool u64(size_t offset, bool big_endian, uint64_t& out) const {
        uint32_t a = 0, b = 0;
        if (!u32(offset, big_endian, a) || !u32(offset + 4, big_endian, b)) return false;
        out = big_endian ? (uint64_t{a} << 32 | b) : (uint64_t{b} << 32 | a);
        return true;
    }
};

void set_size(ImageHeader& h, int64_t width, int64_t height) {
    if (width > 0 && height > 0) {
        h.width = width;
        h.height = height;
    }
}

void read_png(const Bytes& b, ImageHeader& h) {
    uint32_t w = 0, hh = 0;
    if (b.starts_with("IHDR", 4, 12) && b.u32(16, true, w) && b.u32(20, true, hh)) set_size(h, w, hh);
}

void read_jpeg(const Bytes& b, ImageHeader& h) {
    size_t pos = 2;
    while (b.has(pos, 2)) {
        if (b.data[pos] != 0xFF) return;  // markers are byte-aligned after each segment
        while (b.has(pos + 1, 1) && b.data[pos + 1] == 0xFF) ++pos;  // fill bytes
        if (!b.has(pos + 1, 1)) return;
        const unsigned marker = b.data[pos + 1];
        pos += 2;
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
        if (marker == 0xD9 || marker == 0xDA) return;  // end of image or scan data before any frame
        uint32_t length = 0;
        if (!b.u16(pos, true, length) || length < 2) return;
        const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frame) {
            uint32_t height = 0, width = 0;
            if (b.u16(pos + 3, true, height) && b.u16(pos + 5, true, width)) set_size(h, width, height);
            return;
        }
        pos += length;
    }
}

void read_webp(const Bytes& b, ImageHeader& h) {
    uint32_t w = 0, hh = 0;
    if (b.starts_with("VP8 ", 4, 12)) {
        if (b.has(23, 3) && b.data[23] == 0x9D && b.data[24] == 0x01 && b.data[25] == 0x2A && b.u16(26, false, w) &&
            b.u16(28, false, hh)) {
            set_size(h, w & 0x3FFF, hh & 0x3FFF);
        }
    } else if (b.starts_with("VP8L", 4, 12)) {
        uint32_t bits = 0;
        if (b.has(20, 1) && b.data[20] == 0x2F && b.u32(21, false, bits)) {
            set_size(h, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
        }
    } else if (b.starts_with("VP8X", 4, 12)) {
        if (b.u24le(24, w) && b.u24le(27, hh)) set_size(h, int64_t{w} + 1, int64_t{hh} + 1);
    }
}

void read_bmp(const Bytes& b, ImageHeader& h) {
    uint32_t header_size = 0;
    if (!b.u32(14, false, header_size)) return;
    if (header_size == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
        uint32_t w = 0, hh = 0;
        if (b.u16(18, false, w) && b.u16(20, false, hh)) set_size(h, w, hh);
        return;
    }
    uint32_t w = 0, hh = 0;
    if (!b.u32(18, false, w) || !b.u32(22, false, hh)) return;
    // Signed 32-bit; a negative height means top-down rows.
    const int64_t width = static_cast<int32_t>(w);
    const int64_t height = static_cast<int32_t>(hh);
    set_size(h, width, height < 0 ? -height : height);
}

void read_tiff(const Bytes& b, ImageHeader& h) {
    const bool big = b.data[0] == 'M';
    uint32_t version = 0;
    b.u16(2, big, version);
    const bool bigtiff = version == 43;
    uint64_t ifd = 0;
    if (bigtiff) {
        if (!b.u64(8, big, ifd)) return;
    } else {
        uint32_t offset = 0;
        if (!b.u32(4, big, offset)) return;
        ifd = offset;
    }
    if (ifd >= b.size) return;
    uint64_t count = 0;
    size_t entries = static_cast<size_t>(ifd);
    if (bigtiff) {
        if (!b.u64(entries, big, count)) return;
        entries += 8;
    } else {
        uint32_t c = 0;
        if (!b.u16(entries, big, c)) return;
        count = c;
        entries += 2;
    }
    const size_t entry_size = bigtiff ? 20 : 12;
    int64_t width = 0, height = 0;
    for (uint64_t i = 0; i < count && b.has(entries, entry_size); ++i, entries += entry_size) {
        uint32_t tag = 0, type = 0;
        b.u16(entries, big, tag);
        b.u16(entries + 2, big, type);
        if (tag != 256 && tag != 257) continue;
        const size_t value = entries + (bigtiff ? 12 : 8);
        uint64_t v = 0;
        uint32_t small = 0;
        if (type == 3 && b.u16(value, big, small)) v = small;            // SHORT
        else if (type == 4 && b.u32(value, big, small)) v = small;       // LONG
        else if (type == 16 && bigtiff && b.u64(value, big, v)) {}       // LONG8
        else return;
        if (v > (uint64_t{1} << 40)) return;
        (tag == 256 ? width : height) = static_cast<int64_t>(v);
    }
    set_size(h, width, height);
}

void read_pnm(const Bytes& b, ImageHeader& h) {
    size_t pos = 2;
    int64_t values[2] = {0, 0};
    for (auto& value : values) {
        // Whitespace and comments, then decimal digits.
        while (pos < b.size) {
            const unsigned char c = b.data[pos];
            if (c == '#') {
                while (pos < b.size && b.data[pos] != '\n' && b.data[pos] != '\r') ++pos;
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
                ++pos;
            } else {
                break;
            }
        }
        size_t digits = 0;
        while (pos < b.size && b.data[pos] >= '0' && b.data[pos] <= '9') {
            if (++digits > 10) return;  // more than 10 digits is no image size
            value = value * 10 + (b.data[pos] - '0');
            ++pos;
        }
        if (digits == 0) return;
    }
    set_size(h, values[0], values[1]);
}

std::mutex& limits_mutex() {
    static std::mutex m;
    return m;
}
ImageLimits& mutable_limits() {
    static ImageLimits limits;
    return limits;
}

}  // namespace

ImageHeader read_image_header(const unsigned char* data, size_t size) {
    ImageHeader h;
    if (data == nullptr) return h;
    const Bytes b{data, size};
    if (b.starts_with("\x89PNG\r\n\x1a\n", 8)) {
        h.format = "png";
        read_png(b, h);
    } else if (b.starts_with("\xFF\xD8\xFF", 3)) {
        h.format = "jpeg";
        read_jpeg(b, h);
    } else if (b.starts_with("RIFF", 4) && b.starts_with("WEBP", 4, 8)) {
        h.format = "webp";
        read_webp(b, h);
    } else if (b.starts_with("BM", 2)) {
        h.format = "bmp";
        read_bmp(b, h);
    } else if (b.starts_with("II*\0", 4) || b.starts_with("MM\0*", 4) || b.starts_with("II+\0", 4) ||
               b.starts_with("MM\0+", 4)) {
        h.format = "tiff";
        read_tiff(b, h);
    } else if (b.has(0, 2) && b.data[0] == 'P' && b.data[1] >= '1' && b.data[1] <= '6') {
        h.format = "pnm";
        read_pnm(b, h);
    } else if (b.starts_with("P7", 2)) {
        h.format = "pam";
    } else if (b.starts_with("PF", 2) || b.starts_with("Pf", 2)) {
        h.format = "pfm";
    } else if (b.starts_with("\0\0\0\x0CjP  \r\n\x87\n", 12) || b.starts_with("\xFF\x4F\xFF\x51", 4)) {
        h.format = "jpeg2000";
    } else if (b.starts_with("\x76\x2F\x31\x01", 4)) {
        h.format = "openexr";
    } else if (b.starts_with("#?RADIANCE", 10) || b.starts_with("#?RGBE", 6)) {
        h.format = "hdr";
    } else if (b.starts_with("\x59\xA6\x6A\x95", 4)) {
        h.format = "sunraster";
    }
    return h;
}

const std::vector<std::string>& known_image_formats() {
    static const std::vector<std::string> names = {"png",      "jpeg",    "webp", "bmp",       "tiff", "pnm",
                                                   "jpeg2000", "openexr", "hdr",  "sunraster", "pam",  "pfm"};
    return names;
}

ImageLimits image_limits() {
    std::lock_guard<std::mutex> lock(limits_mutex());
    return mutable_limits();
}

void set_image_limits(const ImageLimits& limits) {
    if (limits.max_pixels < 1) throw UsageError("--max-image-pixels: must be at least 1");
    if (limits.max_file_bytes < 1) throw UsageError("--max-image-mb: must be positive");
    if (limits.formats.empty()) throw UsageError("--image-formats: name at least one format");
    for (const auto& f : limits.formats) {
        const auto& known = known_image_formats();
        if (std::find(known.begin(), known.end(), f) == known.end()) {
            throw UsageError(fmt::format("--image-formats: '{}' is not one of {}", f, fmt::join(known, ", ")));
        }
    }
    std::lock_guard<std::mutex> lock(limits_mutex());
    mutable_limits() = limits;
}

void check_image_file_size(int64_t file_size, const std::string& name, const ImageLimits& limits) {
    if (file_size > limits.max_file_bytes) {
        throw Error(fmt::format("image {} is {:.1f} MB, over the limit of {:.1f} MB (--max-image-mb)", name,
                                static_cast<double>(file_size) / (1 << 20),
                                static_cast<double>(limits.max_file_bytes) / (1 << 20)));
    }
}

void check_image_header(const ImageHeader& header, int64_t file_size, const std::string& name,
                        const ImageLimits& limits) {
    check_image_file_size(file_size, name, limits);
    if (header.format == "unknown") {
        throw Error(fmt::format("{} is not an image ganvas reads (its formats: {})", name,
                                fmt::join(limits.formats, ", ")));
    }
    if (std::find(limits.formats.begin(), limits.formats.end(), header.format) == limits.formats.end()) {
        throw Error(fmt::format("{} is a {} file, a format not allowed here (allowed: {}; --image-formats changes it)",
                                name, header.format, fmt::join(limits.formats, ", ")));
    }
    if (header.width <= 0 || header.height <= 0) {
        throw Error(fmt::format("image {} is corrupt: its {} header is truncated or gives no size", name, header.format));
    }
    const int64_t w = header.width, h = header.height, max = limits.max_pixels;
    if (w > max || h > max || w > max / h) {
        throw Error(fmt::format("image {} declares {}x{} pixels, over the limit of {} pixels (--max-image-pixels)",
                                name, w, h, max));
    }
}

}  // namespace ganvas
