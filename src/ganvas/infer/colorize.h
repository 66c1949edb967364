// Colorizing photos of any size with a trained colorizer: one image, or files and folders.
#pragma once
#include "ganvas/models/colorizer/colorizer_model.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ganvas {

struct ColorizeOptions {
    // Run the network on a copy whose short side is the training size, upsample the predicted
    // chroma, and put it on the full-resolution lightness: large photos keep all their detail
    // at the cost of the network seeing faces at its training scale.
    bool at_train_size = false;
};

// 8-bit RGB (a gray photo has three equal channels) -> colorized 8-bit RGB of the same size.
cv::Mat colorize_image(ColorizerModel& model, const cv::Mat& rgb, const ColorizeOptions& options);

struct OutputJob {
    std::filesystem::path input;
    std::filesystem::path output;
};

// Inputs are files or folders (searched recursively). A folder's images keep their path relative
// to it; every output gets the extension `ext`. Throws Error naming a missing input, and refuses
// an output that would overwrite an input.
std::vector<OutputJob> plan_outputs(const std::vector<std::filesystem::path>& inputs,
                                    const std::filesystem::path& out_dir, const std::string& ext = ".png");

struct BatchSummary {
    int64_t written = 0;
    std::vector<std::string> failures;  // one message per failed file, naming it
};

// Runs `convert` (8-bit RGB in, image out) on every job in turn with a progress bar labelled
// `label`; a failing file is named in the summary and skipped.
BatchSummary convert_files(const std::vector<OutputJob>& jobs, const std::string& label,
                           const std::function<cv::Mat(const cv::Mat&)>& convert);

BatchSummary colorize_files(ColorizerModel& model, const std::vector<OutputJob>& jobs,
                            const ColorizeOptions& options);

}  // namespace ganvas
