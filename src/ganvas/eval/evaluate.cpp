#include "ganvas/eval/evaluate.h"

#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"
#include "ganvas/eval/metrics.h"
#include "ganvas/eval/realism.h"
#include "ganvas/models/registry.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

struct Accumulator {
    double psnr = 0, ssim = 0, colorfulness = 0, blotched = 0, blue = 0, spread = 0;
    void add(const cv::Mat& output, const cv::Mat& truth) {
        psnr += std::min(100.0, psnr_u8(output, truth));
        ssim += ssim_u8(output, truth);
        colorfulness += colorfulness_u8(output);
        const double share = blue_shift_share_u8(output, truth);
        blue += share;
        blotched += share > kBlotchedShare ? 1.0 : 0.0;
        spread += chroma_error_spread_u8(output, truth);
    }
    MetricMeans mean(int64_t n) const {
        const double d = static_cast<double>(std::max<int64_t>(n, 1));
        MetricMeans m;
        m.psnr = psnr / d;
        m.ssim = ssim / d;
        m.colorfulness = colorfulness / d;
        m.blotched = blotched / d;
        m.blue_pixels = blue / d;
        m.chroma_spread = spread / d;
        return m;
    }
};

nlohmann::json means_json(const MetricMeans& m) {
    nlohmann::json j = {{"psnr", m.psnr}, {"ssim", m.ssim}, {"colorfulness", m.colorfulness},
                        {"blotched", m.blotched}, {"blue_pixels", m.blue_pixels},
                        {"chroma_error_spread", m.chroma_spread}};
    if (!std::isnan(m.kid)) j["kid_vgg"] = m.kid;
    if (!std::isnan(m.fid)) j["fid_vgg"] = m.fid;
    if (!std::isnan(m.fid_inception)) {
        j["kid_inception"] = m.kid_inception;
        j["fid_inception"] = m.fid_inception;
        j["is_inception"] = m.is_inception;
    }
    return j;
}

}  // namespace

MetricMeans ColorizerEvaluation::baseline(const std::string& name) const {
    for (const auto& [n, m] : baselines) {
        if (n == name) return m;
    }
    return {};
}

nlohmann::json ColorizerEvaluation::to_json() const {
    nlohmann::json j = {{"images", images},
            {"failed", failed},
            {"image_size", image_size},
            {"ssim", "skimage structural_similarity defaults: 7x7 uniform window, K1 0.01, K2 0.03, "
                     "sample covariance, data range 255, mean of R, G, B"},
            {"model", means_json(model)},
            {"gray", means_json(gray)},
            {"truth", {{"colorfulness", truth_colorfulness}}}};
    if (!std::isnan(truth_is_inception)) j["truth"]["is_inception"] = truth_is_inception;
    // "mean chroma" -> "mean_chroma", as earlier versions wrote it.
    for (const auto& [name, means] : baselines) {
        std::string key = name;
        std::replace(key.begin(), key.end(), ' ', '_');
        j[key] = means_json(means);
    }
    return j;
}

std::string ColorizerEvaluation::table() const {
    std::string t = fmt::format("{} images at {}x{}{}\n", images, image_size, image_size,
                                failed ? fmt::format(" ({} unreadable, skipped)", failed) : "");
    const bool realism = !std::isnan(model.kid);
    t += fmt::format("{:<14}{:>10}{:>10}{:>14}{:>11}{:>9}{}\n", "", "PSNR dB", "SSIM", "colorfulness", "blotched",
                     "spread", realism ? fmt::format("{:>12}{:>12}", "KID (VGG)", "FID (VGG)") : "");
    const auto row = [realism](const char* name, const MetricMeans& m) {
        return fmt::format("{:<14}{:>10.2f}{:>10.4f}{:>14.1f}{:>10.1f}%{:>9.2f}{}\n", name, m.psnr, m.ssim,
                           m.colorfulness, 100.0 * m.blotched, m.chroma_spread,
                           realism ? fmt::format("{:>12.4f}{:>12.2f}", m.kid, m.fid) : "");
    };
    t += row("model", model);
    t += row("gray", gray);
    for (const auto& [name, means] : baselines) t += row(name.c_str(), means);
    t += fmt::format("{:<14}{:>10}{:>10}{:>14.1f}\n", "truth", "-", "-", truth_colorfulness);
    if (!std::isnan(model.fid_inception)) {
        t += "standard realism on Inception-v3 (pytorch-fid's weights):\n";
        t += fmt::format("{:<14}{:>12}{:>12}{:>12}\n", "", "KID", "FID", "IS");
        const auto irow = [](const char* name, const MetricMeans& m) {
            return fmt::format("{:<14}{:>12.4f}{:>12.2f}{:>12.2f}\n", name, m.kid_inception, m.fid_inception, m.is_inception);
        };
        t += irow("model", model);
        t += irow("gray", gray);
        for (const auto& [name, means] : baselines) t += irow(name.c_str(), means);
        t += fmt::format("{:<14}{:>12}{:>12}{:>12.2f}\n", "truth", "-", "-", truth_is_inception);
    }
    return t;
}

ColorizerEvaluation evaluate_colorization(GanModel& model, const std::vector<fs::path>& all_files,
                                          const EvalOptions& options) {
    ColorizerEvaluation result;
    result.image_size = options.image_size > 0 ? options.image_size : model.training_size();
    if (result.image_size < 7) throw UsageError("--size must be at least 7");
    const std::string main_input = model_descriptor(model.name()).main_input().name;
    if (options.batch < 1) throw UsageError("--batch must be at least 1");
    std::vector<fs::path> files = all_files;
    if (options.limit > 0 && static_cast<int64_t>(files.size()) > options.limit) files.resize(options.limit);
    if (files.empty()) throw Error("no images to evaluate");

    Accumulator acc_model, acc_gray;
    // VGG descriptors for the realism scores: truth, model, gray, then each baseline.
    std::optional<Vgg19Relu31> vgg;
    if (!options.realism_vgg.empty()) vgg = load_vgg19_relu31(options.realism_vgg);
    // Inception pool features and logits of the same sets, in the same order.
    std::optional<FidInception> inception;
    std::optional<InceptionSets> inception_sets;
    if (!options.realism_inception.empty()) inception = load_fid_inception(options.realism_inception);
    std::vector<std::vector<torch::Tensor>> descriptors;
    std::vector<std::pair<std::string, Accumulator>> acc_baselines;
    double truth_colorfulness = 0.0;
    int64_t written = 0;
    Progress progress("eval", static_cast<int64_t>(files.size()));
    for (size_t start = 0; start < files.size(); start += options.batch) {
        std::vector<torch::Tensor> truths;
        for (size_t i = start; i < std::min(files.size(), start + options.batch); ++i) {
            try {
                truths.push_back(image_to_tensor(center_square(read_image_rgb(files[i]),
                                                               static_cast<int>(result.image_size))));
            } catch (const std::exception& e) {
                const std::string why = exception_text(e);
                spdlog::warn("skipping {}", why.find(files[i].string()) == std::string::npos ? files[i].string() + ": " + why : why);
                ++result.failed;
            }
        }
        progress.update(static_cast<int64_t>(std::min(files.size(), start + options.batch)));
        if (truths.empty()) continue;
        auto truth = torch::stack(truths);
        auto gray = quantize_8bit(rgb_to_gray3(truth));
        InferenceRequest request;
        request.inputs[main_input] = gray;
        request.parameters = options.parameters;
        auto output = model.infer(request).outputs.front().images;
        const auto baselines = model.baselines(gray);
        if (acc_baselines.empty()) {
            for (const auto& b : baselines) acc_baselines.emplace_back(b.name, Accumulator{});
        }
        if (vgg || inception) {
            // On the 8-bit images the other metrics see.
            std::vector<torch::Tensor> sets{truth, quantize_8bit(output), gray};
            for (const auto& b : baselines) sets.push_back(quantize_8bit(b.images));
            if (vgg) {
                descriptors.resize(sets.size());
                for (size_t k = 0; k < sets.size(); ++k) descriptors[k].push_back(vgg_descriptors(*vgg, sets[k].to(torch::kCPU)));
            }
            if (inception) {
                if (!inception_sets) inception_sets.emplace(*inception, sets.size());
                for (size_t k = 0; k < sets.size(); ++k) inception_sets->add(k, sets[k]);
            }
        }
        for (int64_t k = 0; k < truth.size(0); ++k) {
            const cv::Mat t = tensor_to_image(truth[k]), o = tensor_to_image(output[k]);
            const cv::Mat g = tensor_to_image(gray[k]);
            acc_model.add(o, t);
            acc_gray.add(g, t);
            for (size_t b = 0; b < baselines.size(); ++b) acc_baselines[b].second.add(tensor_to_image(baselines[b].images[k]), t);
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
    for (const auto& [name, acc] : acc_baselines) result.baselines.emplace_back(name, acc.mean(result.images));
    result.truth_colorfulness = truth_colorfulness / static_cast<double>(result.images);
    if (vgg && result.images >= 2) {
        const auto real = torch::cat(descriptors[0]);
        const auto score = [&](size_t k, MetricMeans& m) {
            const auto fake = torch::cat(descriptors[k]);
            m.kid = kernel_inception_distance(fake, real);
            m.fid = frechet_distance(fake, real);
        };
        score(1, result.model);
        score(2, result.gray);
        for (size_t b = 0; b < result.baselines.size(); ++b) score(3 + b, result.baselines[b].second);
    }
    if (inception_sets && result.images >= 2) {
        const auto real = inception_sets->pool(0);
        result.truth_is_inception = inception_score(inception_sets->logits(0)).mean;
        const auto score = [&](size_t k, MetricMeans& m) {
            const auto fake = inception_sets->pool(k);
            m.kid_inception = kernel_inception_distance(fake, real);
            m.fid_inception = frechet_distance(fake, real);
            m.is_inception = inception_score(inception_sets->logits(k)).mean;
        };
        score(1, result.model);
        score(2, result.gray);
        for (size_t b = 0; b < result.baselines.size(); ++b) score(3 + b, result.baselines[b].second);
    }
    return result;
}

}  // namespace ganvas
