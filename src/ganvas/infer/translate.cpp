#include "ganvas/infer/translate.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/data/paired.h"

#include <opencv2/imgproc.hpp>

namespace ganvas {

cv::Mat translate_image(GanModel& model, const cv::Mat& rgb, const TranslateOptions& options) {
    cv::Mat input = rgb;
    if (options.ab_half) {
        auto [left, right] = split_ab(rgb);
        input = *options.ab_half == AbHalf::Left ? left : right;
    }
    cv::Mat sized = input;
    if (const int size = static_cast<int>(model.translate_size()); size > 0 && (input.rows != size || input.cols != size)) {
        cv::resize(input, sized, cv::Size(size, size), 0, 0, cv::INTER_CUBIC);
    }
    cv::Mat out = tensor_to_image(model.translate(image_to_tensor(sized).unsqueeze(0))[0]);
    if (options.keep_size && (out.rows != input.rows || out.cols != input.cols)) {
        cv::resize(out, out, input.size(), 0, 0, cv::INTER_CUBIC);
    }
    return out;
}

BatchSummary translate_files(GanModel& model, const std::vector<OutputJob>& jobs, const TranslateOptions& options) {
    return convert_files(jobs, "translate", [&](const cv::Mat& rgb) { return translate_image(model, rgb, options); });
}

}  // namespace ganvas
