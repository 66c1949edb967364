#include "ganvas/infer/translate.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"
#include "ganvas/data/paired.h"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

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
    BatchSummary summary;
    Progress progress("translate", static_cast<int64_t>(jobs.size()));
    for (size_t i = 0; i < jobs.size(); ++i) {
        try {
            write_image_rgb(jobs[i].output, translate_image(model, read_image_rgb(jobs[i].input), options));
            ++summary.written;
        } catch (const Error& e) {
            summary.failures.push_back(e.what());
            spdlog::error("{}", e.what());
        }
        progress.update(static_cast<int64_t>(i + 1));
    }
    progress.finish();
    return summary;
}

}  // namespace ganvas
