// `ganvas translate`: any trained model over image files and folders.
#pragma once
#include "ganvas/infer/colorize.h"
#include "ganvas/models/gan_model.h"

#include <opencv2/core.hpp>

#include <optional>

namespace ganvas {

enum class AbHalf { Left, Right };

struct TranslateOptions {
    // Inputs are AB images: translate this half (pix2pix's direction decides by default).
    std::optional<AbHalf> ab_half;
    // Resize the output back to the input's size (models with a fixed input size).
    bool keep_size = false;
    // Class-conditional models: the class of every input (default: class 0).
    std::optional<int64_t> label;
};

// K samples per input (models with noise): job `<name>.png` becomes `<name>_0.png` ...
// `<name>_<K-1>.png`; K = 1 keeps the jobs as they are.
std::vector<OutputJob> sample_jobs(const std::vector<OutputJob>& jobs, int64_t samples);

// The index of class `name` among the model's classes; UsageError naming --class and listing
// them otherwise (or saying the model has none).
int64_t class_index(const GanModel& model, const std::string& name);

// 8-bit RGB in, 8-bit RGB out: resized to the model's input size when it has one.
cv::Mat translate_image(GanModel& model, const cv::Mat& rgb, const TranslateOptions& options);

// Every job in turn, with a progress bar; a failing file is named in the summary and skipped.
BatchSummary translate_files(GanModel& model, const std::vector<OutputJob>& jobs, const TranslateOptions& options);

}  // namespace ganvas
