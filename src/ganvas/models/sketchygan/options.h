// Options of SketchyGAN (Chen & Hays, CVPR 2018) with the released code's defaults
// (wchen342/SketchyGAN). Where the paper's equations and the released code differ, the paper is
// the default and the released variant an option (docs/SKETCHYGAN.md lists each choice).
#pragma once
#include "ganvas/core/options.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ganvas {

struct SketchyGanOptions {
    int64_t image_size = 64;                 // 64, 128, 256: one more MRU level per doubling
    std::vector<std::string> classes;        // category names (index = label); set from the data
    std::string mru = "paper";               // paper (one conv for z) | released (two convs)
    std::string activation = "smooth";      // generator: smooth ((x + sqrt(0.09 + x^2)) / 2) | relu
    int64_t noise_dim = 256;                 // z ~ N(0, I); 0: no noise (and no diversity term)
    double width = 1.0;                      // every channel count times this (1: the released widths)
    double init_std = 0.02;                  // N(0, init_std) weights, zero biases
    // Loss weights: GAN terms have weight 1.
    // lambda_div follows the diversity form when only the form is given: 0.05 for mode_seeking,
    // 10 (the released code's) for released.
    double lambda_l1 = 10.0, lambda_perceptual = 3.0, lambda_div = 0.05;
    // The diversity term: mode_seeking (1 / (mean|G1 - G2| / mean|z1 - z2| + 1e-5), Mao et al.,
    // CVPR 2019), the default because it is the form measured to give diverse samples without
    // losing fidelity to pix2pix (docs/SKETCHYGAN.md) | released (-mean|G(s, z1) - G(s, z2)| /
    // ||z1 - z2||_2, the paper's and released code's form, which the generator satisfies by
    // ignoring z).
    std::string diversity = "mode_seeking";
    static double default_lambda_div(const std::string& diversity) { return diversity == "released" ? 10.0 : 0.05; }
    double lambda_aux_d = 1.0, lambda_aux_g = 0.5, focal_gamma = 2.0;
    std::string vgg_weights;                 // VGG-19 to relu3_1 (.pth) for the perceptual term
    // Adam and the schedule: lr * max(lr_floor, 1 - lr_decay * t / T).
    double lr_g = 2e-4, lr_d = 4e-4, beta1 = 0.0, beta2 = 0.9, lr_floor = 0.2, lr_decay = 0.9;
    // Real sketch with probability p(t) = sketch_p0 + min(sketch_rise, sketch_rise * t / T), else
    // the edge map of the photo. edge_schedule = false: always the sketch.
    bool edge_schedule = true;
    double sketch_p0 = 0.2, sketch_rise = 0.6;
    std::string edge_detector = "classic";   // classic | pidinet | hed (edges/detector.h)
    std::string edge_weights;                // pidinet's .pth or hed's Caffe files
    std::string input = "sketch";            // sketch | distance (unsigned distance map of the strokes)
    int64_t load_size = 72;                  // training: resize to load_size, random image_size crop
    bool flip = true;
    // Sketchy Database: which rendering of the photos and sketches, and whether sketches flagged
    // WrongPose / Context / Ambiguous / Error in info/stats.csv are dropped.
    std::string sketchy_augmentation = "tx_000000000000";
    bool drop_flagged = true;
    std::string ab_sketch = "auto";        // AB images: which half is the sketch (auto | left | right)

    int64_t levels() const;                  // encoder MRUs: 4 at 64 px
    int64_t channels(int64_t released) const;  // a released channel count times `width` (at least 2)
    int64_t class_count() const { return classes.empty() ? 1 : static_cast<int64_t>(classes.size()); }
    // p(t) of a step t of T.
    double sketch_probability(int64_t step, int64_t total) const;
    double lr_scale(int64_t step, int64_t total) const;

    void validate() const;  // UsageError naming the option
    nlohmann::json to_json() const;
    // Defaults, then the keys present (lr_d follows lr_g at twice it, and load_size image_size at
    // 9/8, when only the first is given); unknown keys and wrong types are UsageErrors naming the key.
    static SketchyGanOptions from_json(const nlohmann::json& j);
};

const std::vector<OptionSpec>& sketchygan_option_specs();

}  // namespace ganvas
