// The BSDS ground-truth path: an annotation file decoded behind the limits, then matched against
// itself and a shifted copy as the benchmark does (thresholds, thinning, the one-to-one matching).
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/image_header.h"
#include "ganvas/edges/bsds_eval.h"

#include <opencv2/imgproc.hpp>

#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const ganvas::ImageLimits limits = [] {
        ganvas::ImageLimits l;
        l.max_pixels = 128 * 128;  // the matching is quadratic in the window; keep each run short
        return l;
    }();
    cv::Mat gt;
    try {
        gt = ganvas::decode_image_gray(std::vector<uchar>(data, data + size), "fuzz_gt.png", limits);
    } catch (const ganvas::Error&) {
        return 0;
    }
    cv::Mat map;
    gt.convertTo(map, CV_64F, 1.0 / 255.0);
    ganvas::BsdsOptions options;
    options.thresholds = 5;
    try {
        const auto counts = ganvas::evaluate_boundary_image(map, {gt, 255 - gt}, options);
        if (counts.size() != 5) __builtin_trap();
        for (const auto& c : counts) {
            if (c.cnt_r > c.sum_r || c.cnt_p > c.sum_p || c.cnt_r < 0 || c.cnt_p < 0) __builtin_trap();
        }
    } catch (const ganvas::Error&) {
    }
    return 0;
}
