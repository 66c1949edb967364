#include "ganvas/infer/colorize.h"

#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>

namespace ganvas {
namespace fs = std::filesystem;

cv::Mat colorize_image(ColorizerModel& model, const cv::Mat& rgb, const ColorizeOptions& options) {
    auto gray = rgb_to_gray3(image_to_tensor(rgb).unsqueeze(0));
    const int64_t train_size = model.options().image_size;
    const int short_side = std::min(rgb.rows, rgb.cols);
    if (!options.at_train_size || short_side <= train_size) {
        return tensor_to_image(model.colorize(gray)[0]);
    }
    const double s = static_cast<double>(train_size) / short_side;
    cv::Mat small;
    cv::resize(rgb, small, cv::Size(std::max(1, static_cast<int>(std::lround(rgb.cols * s))),
                                    std::max(1, static_cast<int>(std::lround(rgb.rows * s)))),
               0, 0, cv::INTER_AREA);
    auto small_out = model.colorize(rgb_to_gray3(image_to_tensor(small).unsqueeze(0)));
    torch::NoGradGuard no_grad;
    auto ab = rgb_to_lab(small_out).narrow(1, 1, 2);
    ab = torch::nn::functional::interpolate(
        ab, torch::nn::functional::InterpolateFuncOptions()
                .size(std::vector<int64_t>{rgb.rows, rgb.cols})
                .mode(torch::kBilinear)
                .align_corners(false));
    auto lightness = rgb_to_lab(gray).narrow(1, 0, 1);
    return tensor_to_image(lab_to_rgb(torch::cat({lightness, ab}, 1))[0]);
}

std::vector<OutputJob> plan_outputs(const std::vector<fs::path>& inputs, const fs::path& out_dir,
                                    const std::string& ext) {
    std::vector<OutputJob> jobs;
    std::error_code ec;
    for (const auto& input : inputs) {
        if (!fs::exists(input, ec)) throw Error("input " + input.string() + " does not exist");
        if (fs::is_directory(input, ec)) {
            for (const auto& file : list_images(input)) {
                fs::path rel = fs::relative(file, input, ec);
                jobs.push_back({file, (out_dir / rel).replace_extension(ext)});
            }
        } else {
            jobs.push_back({input, (out_dir / input.filename()).replace_extension(ext)});
        }
    }
    for (const auto& job : jobs) {
        if (fs::exists(job.output, ec) && fs::equivalent(job.input, job.output, ec)) {
            throw Error("output " + job.output.string() + " would overwrite its input; choose another --out");
        }
    }
    return jobs;
}

BatchSummary convert_files(const std::vector<OutputJob>& jobs, const std::string& label,
                           const std::function<cv::Mat(const cv::Mat&)>& convert) {
    BatchSummary summary;
    Progress progress(label, static_cast<int64_t>(jobs.size()));
    for (size_t i = 0; i < jobs.size(); ++i) {
        try {
            write_image_rgb(jobs[i].output, convert(read_image_rgb(jobs[i].input)));
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

BatchSummary colorize_files(ColorizerModel& model, const std::vector<OutputJob>& jobs,
                            const ColorizeOptions& options) {
    return convert_files(jobs, "colorize", [&](const cv::Mat& rgb) { return colorize_image(model, rgb, options); });
}

}  // namespace ganvas
