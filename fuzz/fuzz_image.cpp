// Image decoding behind the limits: the header reader and check, then OpenCV's decoder, on
// arbitrary bytes, with limits small enough that a declared size is the fuzzer's business only.
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/image_header.h"

#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const ganvas::ImageLimits limits = [] {
        ganvas::ImageLimits l;
        l.max_pixels = 1 << 20;
        l.max_file_bytes = 1 << 20;
        return l;
    }();
    const ganvas::ImageHeader header = ganvas::read_image_header(data, size);
    if (header.width < 0 || header.height < 0) __builtin_trap();
    const std::vector<uchar> bytes(data, data + size);
    try {
        const cv::Mat rgb = ganvas::decode_image_rgb(bytes, "fuzz", limits);
        if (rgb.type() != CV_8UC3 || static_cast<int64_t>(rgb.total()) > limits.max_pixels) __builtin_trap();
    } catch (const ganvas::Error&) {
    }
    try {
        (void)ganvas::decode_image_gray(bytes, "fuzz", limits);
    } catch (const ganvas::Error&) {
    }
    return 0;
}
