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
    const auto x = image_to_tensor(sized).unsqueeze(0);
    cv::Mat out = tensor_to_image(
        (options.label ? model.translate_labeled(x, torch::full({1}, *options.label, torch::kLong)) : model.translate(x))[0]);
    if (options.keep_size && (out.rows != input.rows || out.cols != input.cols)) {
        cv::resize(out, out, input.size(), 0, 0, cv::INTER_CUBIC);
    }
    return out;
}

std::vector<OutputJob> sample_jobs(const std::vector<OutputJob>& jobs, int64_t samples) {
    if (samples < 1) throw UsageError("--samples must be at least 1");
    if (samples == 1) return jobs;
    std::vector<OutputJob> out;
    for (const auto& job : jobs) {
        for (int64_t k = 0; k < samples; ++k) {
            auto path = job.output;
            path.replace_filename(job.output.stem().string() + "_" + std::to_string(k) + job.output.extension().string());
            out.push_back({job.input, path});
        }
    }
    return out;
}

int64_t class_index(const GanModel& model, const std::string& name) {
    const auto names = model.class_names();
    if (names.empty()) throw UsageError("--class: a " + model.name() + " model has no classes");
    for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) return static_cast<int64_t>(i);
    }
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw UsageError("--class: '" + name + "' is not one of the model's classes (" + list + ")");
}

BatchSummary translate_files(GanModel& model, const std::vector<OutputJob>& jobs, const TranslateOptions& options) {
    return convert_files(jobs, "translate", [&](const cv::Mat& rgb) { return translate_image(model, rgb, options); });
}

}  // namespace ganvas
