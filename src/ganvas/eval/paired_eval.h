// `ganvas eval` for paired translation models (pix2pix, SketchyGAN): the model's output against the
// target of every held-aside pair, with the input itself as a floor. Optionally an HTML page of
// input | output | target rows, like the reference pix2pix's test.py.
#pragma once
#include "ganvas/models/gan_model.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ganvas {

struct PairedMeans {
    double l1 = 0.0;    // mean absolute difference, 8-bit images scaled to [0, 1]
    double psnr = 0.0;  // dB (an exact match counts as 100)
    double ssim = 0.0;  // skimage defaults, mean over R, G, B
};

// Realism of the outputs against the targets on VGG-19 features (realism.h; not Inception's).
struct RealismScores {
    double kid = -1.0, fid = -1.0;  // -1: not measured
    double is = -1.0, is_spread = 0.0;  // Inception Score (Inception only)
};

struct PairedEvaluation {
    int64_t images = 0;
    int64_t failed = 0;
    int64_t image_size = 0;
    PairedMeans model;
    PairedMeans input;  // the input image taken as the output
    // Mean pairwise L1 between `diversity_samples` outputs of the same input (-1: not measured).
    int64_t diversity_samples = 0;
    double diversity = -1.0;
    // Models with a classifier and more than one class: top-1 accuracy on the real targets and on
    // the outputs (-1: not measured).
    double class_accuracy_real = -1.0, class_accuracy_output = -1.0;
    RealismScores realism, input_realism;  // the outputs', and the inputs' as a floor
    // The standard numbers on Inception-v3 (PairedEvalOptions::realism_inception): the outputs',
    // the inputs', and the targets' Inception Score.
    RealismScores inception, input_inception;
    double target_is = -1.0, target_is_spread = 0.0;
    // The descriptor's eval variants (the model with some parameters set), by name.
    std::vector<std::pair<std::string, PairedMeans>> variants;
    // Models with a style input (an each_file input beside the main one): sketch s_i with its own
    // painting A_i and with the next pair's painting B = A_{i+1}. "Toward" when G(s_i, B) is closer
    // to B than G(s_i, A_i) is, in color_histogram_distance (metrics.h); the shift is how much
    // closer (-1 share: not measured).
    struct StyleFollowing {
        int64_t pairs = 0;
        double share_toward = -1.0;
        double mean_shift = 0.0;
        double own_distance = 0.0;    // mean d(G(s_i, A_i), A_i)
        double other_distance = 0.0;  // mean d(G(s_i, B), B)
        double stay_distance = 0.0;   // mean d(G(s_i, A_i), B)
    } style;
    nlohmann::json to_json() const;
    std::string table() const;
};

struct PairedEvalOptions {
    int64_t limit = 0;                 // at most this many pairs; 0 = all
    std::filesystem::path html_dir;    // when set: index.html + images/<n>_{input,output,target}.png
    int64_t html_rows = 50;            // rows on that page
    uint64_t seed = 0;                 // dropout / noise of the generator
    int64_t size = 0;                  // > 0: output and target area-resized to size x size first
    int64_t diversity = 0;             // >= 2: also translate every input this many times
    std::filesystem::path realism_vgg; // when set: KID and FID on VGG-19 features from these weights
    std::filesystem::path realism_inception;  // when set: standard FID, KID, IS (pytorch-fid's weights)
    nlohmann::json parameters = nlohmann::json::object();  // of every inference request
};

// `files` are the pairs as the model's dataset reads them (evaluation mode: no augmentation).
PairedEvaluation evaluate_paired(GanModel& model, const std::vector<std::filesystem::path>& files,
                                 const PairedEvalOptions& options);

}  // namespace ganvas
