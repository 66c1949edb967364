#include "ganvas/eval/evaluate.h"

#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"
#include "ganvas/eval/metrics.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

struct Accumulator {
    double psnr = 0, ssim = 0, colorfulness = 0;
    void add(const cv::Mat& output, const cv::Mat& truth) {
        psnr += std::min(100.0, psnr_u8(output, truth));
        ssim += ssim_u8(output, truth);
        colorfulness += colorfulness_u8(output);
    }
    MetricMeans mean(int64_t n) const {
        const double d = static_cast<double>(std::max<int64_t>(n, 1));
        return {psnr / d, ssim / d, colorfulness / d};
    }
};

nlohmann::json means_json(const MetricMeans& m) {
    return {{"psnr", m.psnr}, {"ssim", m.ssim}, {"colorfulness", m.colorfulness}};
}

}  // namespace

nlohmann::json ColorizerEvaluation::to_json() const {
    return {{"images", images},
            {"failed", failed},
            {"image_size", image_size},
            {"ssim", "skimage structural_similarity defaults: 7x7 uniform window, K1 0.01, K2 0.03, "
                     "sample covariance, data range 255, mean of R, G, B"},
            {"model", means_json(model)},
            {"gray", means_json(gray)},
            {"mean_chroma", means_json(mean_chroma)},
            {"truth", {{"colorfulness", truth_colorfulness}}}};
}

std::string ColorizerEvaluation::table() const {
    std::string t = fmt::format("{} images at {}x{}{}\n", images, image_size, image_size,
                                failed ? fmt::format(" ({} unreadable, skipped)", failed) : "");
    t += fmt::format("{:<14}{:>10}{:>10}{:>14}\n", "", "PSNR dB", "SSIM", "colorfulness");
    const auto row = [](const char* name, const MetricMeans& m) {
        return fmt::format("{:<14}{:>10.2f}{:>10.4f}{:>14.1f}\n", name, m.psnr, m.ssim, m.colorfulness);
    };
    t += row("model", model);
    t += row("gray", gray);
    t += row("mean chroma", mean_chroma);
    t += fmt::format("{:<14}{:>10}{:>10}{:>14.1f}\n", "truth", "-", "-", truth_colorfulness);
    return t;
}

ColorizerEvaluation evaluate_colorizer(ColorizerModel& model, const std::vector<fs::path>& all_files,
                                       const EvalOptions& options) {
    ColorizerEvaluation result;
    result.image_size = options.image_size > 0 ? options.image_size : model.options().image_size;
    if (result.image_size < 7) throw UsageError("--size must be at least 7");
    if (options.batch < 1) throw UsageError("--batch must be at least 1");
    std::vector<fs::path> files = all_files;
    if (options.limit > 0 && static_cast<int64_t>(files.size()) > options.limit) files.resize(options.limit);
    if (files.empty()) throw Error("no images to evaluate");

    Accumulator acc_model, acc_gray, acc_mean;
    double truth_colorfulness = 0.0;
    int64_t written = 0;
    Progress progress("eval", static_cast<int64_t>(files.size()));
    for (size_t start = 0; start < files.size(); start += options.batch) {
        std::vector<torch::Tensor> truths;
        for (size_t i = start; i < std::min(files.size(), start + options.batch); ++i) {
            try {
                truths.push_back(image_to_tensor(center_square(read_image_rgb(files[i]),
                                                               static_cast<int>(result.image_size))));
            } catch (const Error& e) {
                spdlog::warn("skipping {}", e.what());
                ++result.failed;
            }
        }
        progress.update(static_cast<int64_t>(std::min(files.size(), start + options.batch)));
        if (truths.empty()) continue;
        auto truth = torch::stack(truths);
        auto gray = quantize_8bit(rgb_to_gray3(truth));
        auto output = model.colorize(gray);
        auto mean = model.mean_chroma(gray);
        for (int64_t k = 0; k < truth.size(0); ++k) {
            const cv::Mat t = tensor_to_image(truth[k]), o = tensor_to_image(output[k]);
            const cv::Mat g = tensor_to_image(gray[k]), m = tensor_to_image(mean[k]);
            acc_model.add(o, t);
            acc_gray.add(g, t);
            acc_mean.add(m, t);
            truth_colorfulness += colorfulness_u8(t);
            if (!options.examples_dir.empty() && written < options.examples) {
                const auto stem = options.examples_dir / fmt::format("{:03d}", written);
                write_image_rgb(stem.string() + "_gray.png", g);
                write_image_rgb(stem.string() + "_output.png", o);
                write_image_rgb(stem.string() + "_truth.png", t);
                ++written;
            }
            ++result.images;
        }
    }
    progress.finish();
    if (result.images == 0) throw Error("none of the " + std::to_string(files.size()) + " images could be read");
    result.model = acc_model.mean(result.images);
    result.gray = acc_gray.mean(result.images);
    result.mean_chroma = acc_mean.mean(result.images);
    result.truth_colorfulness = truth_colorfulness / static_cast<double>(result.images);
    return result;
}

}  // namespace ganvas
