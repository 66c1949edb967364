// What an image file is before anything decodes it: its format from the first bytes and its size
// from the header, so that a small file declaring a huge picture, or a codec nobody asked for, is
// refused before a decoder allocates anything. Pure byte parsing: no OpenCV, no LibTorch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ganvas {

struct ImageHeader {
    // "png", "jpeg", "webp", "bmp", "tiff", "pnm" (the formats ganvas reads), or, for a file
    // OpenCV could decode but ganvas does not read by default, "jpeg2000", "openexr", "hdr",
    // "sunraster", "pam", "pfm"; "unknown" otherwise.
    std::string format = "unknown";
    int64_t width = 0;   // 0 when the header does not say (format "unknown" or not read)
    int64_t height = 0;
};

// Reads the header of an image held in `data` (the whole file or at least its first few KB).
// Never throws and never reads past `size`; a truncated or malformed header gives width = 0.
ImageHeader read_image_header(const unsigned char* data, size_t size);

// Limits checked before decoding, process-wide (the CLI's --max-image-pixels, --max-image-mb,
// --image-formats and their GANVAS_* variables set them once at start-up).
struct ImageLimits {
    int64_t max_file_bytes = int64_t{256} << 20;  // 256 MiB
    int64_t max_pixels = int64_t{1} << 26;        // 64 megapixels (8192 x 8192)
    std::vector<std::string> formats = {"png", "jpeg", "webp", "bmp", "tiff", "pnm"};
};

ImageLimits image_limits();
// Throws UsageError naming the limit when a value is out of range or a format is not one of the
// names above.
void set_image_limits(const ImageLimits& limits);

// Every format name read_image_header can give (except "unknown").
const std::vector<std::string>& known_image_formats();

// Throws Error naming `name` when a file of `file_size` bytes is over the limit.
void check_image_file_size(int64_t file_size, const std::string& name, const ImageLimits& limits = image_limits());

// Throws Error naming `name` when the file is over the size limit, the header is unreadable, the format is not allowed, or the
// declared size exceeds the limits. `file_size` is the file's full size.
void check_image_header(const ImageHeader& header, int64_t file_size, const std::string& name,
                        const ImageLimits& limits = image_limits());

}  // namespace ganvas
