// `ganvas eval` for colorization models (descriptor metric set "colorization"): the model against
// baselines on the same images.
//   gray         the input itself (luma copied to R, G, B)
//   each of the model's baselines() (the colorizer's "mean chroma": the input's lightness with the
//   training set's per-pixel mean Lab a, b)
// Images are center-cropped and area-resized to the evaluation size, like the training data.
#pragma once
#include "ganvas/models/gan_model.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace ganvas {

struct MetricMeans {
    double psnr = 0.0;  // dB; an exact match counts as 100 dB in the mean
    double ssim = 0.0;
    double colorfulness = 0.0;
    // Share of images with blue blotches (metrics.h: more than kBlotchedShare of the central
    // pixels at least 12 b* units bluer than the truth), and the mean share of such pixels.
    double blotched = 0.0;
    double blue_pixels = 0.0;
    double chroma_spread = 0.0;  // mean chroma_error_spread_u8 (metrics.h): patchiness of the error
    // Against the true photos on VGG-19 features (realism.h; NaN unless EvalOptions::realism_vgg).
    double kid = std::numeric_limits<double>::quiet_NaN();
    double fid = std::numeric_limits<double>::quiet_NaN();
    // The standard numbers on Inception-v3 (NaN unless EvalOptions::realism_inception).
    double kid_inception = std::numeric_limits<double>::quiet_NaN();
    double fid_inception = std::numeric_limits<double>::quiet_NaN();
    double is_inception = std::numeric_limits<double>::quiet_NaN();
};

struct ColorizerEvaluation {
    int64_t images = 0;
    int64_t failed = 0;
    int64_t image_size = 0;
    MetricMeans model, gray;
    std::vector<std::pair<std::string, MetricMeans>> baselines;  // the model's, by name
    double truth_colorfulness = 0.0;
    double truth_is_inception = std::numeric_limits<double>::quiet_NaN();
    // The means of baseline `name` (zeros when the model has none of that name).
    MetricMeans baseline(const std::string& name) const;

    nlohmann::json to_json() const;
    std::string table() const;  // for people
};

struct EvalOptions {
    int64_t image_size = 0;  // 0: the model's input size (its training size)
    int64_t batch = 16;
    int64_t limit = 0;       // evaluate at most this many images; 0 = all
    // When set, the first `examples` images are written there as <n>_{gray,output,truth}.png.
    std::filesystem::path examples_dir;
    int64_t examples = 0;
    // When set, KID and FID on VGG-19 features (realism.h) from these weights (vgg19_to_relu3_1.pth).
    std::filesystem::path realism_vgg;
    // When set, the standard FID, KID and IS from pytorch-fid's Inception weights (realism.h).
    std::filesystem::path realism_inception;
    nlohmann::json parameters = nlohmann::json::object();  // of every inference request
};

// `model` must take the gray photo as its main input and know its size (input_size(), or
// options.image_size).
ColorizerEvaluation evaluate_colorization(GanModel& model, const std::vector<std::filesystem::path>& files,
                                          const EvalOptions& options);

}  // namespace ganvas
