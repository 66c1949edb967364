#include "ganvas/models/sketchygan/options.h"

#include "ganvas/core/error.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ganvas {
namespace {

double run_share(int64_t step, int64_t total) {
    return total > 0 ? std::clamp(static_cast<double>(step) / static_cast<double>(total), 0.0, 1.0) : 0.0;
}

}  // namespace

int64_t SketchyGanOptions::levels() const {
    int64_t n = 0;
    for (int64_t s = image_size; s > 4; s /= 2) ++n;  // 64: units at 32, 16, 8, 4 px (after the stem)
    return n;
}

int64_t SketchyGanOptions::channels(int64_t released) const {
    return std::max<int64_t>(2, static_cast<int64_t>(std::lround(static_cast<double>(released) * width)));
}

double SketchyGanOptions::sketch_probability(int64_t step, int64_t total) const {
    return sketch_p0 + std::min(sketch_rise, sketch_rise * run_share(step, total));
}

double SketchyGanOptions::lr_scale(int64_t step, int64_t total) const {
    return std::max(lr_floor, 1.0 - lr_decay * run_share(step, total));
}

void SketchyGanOptions::validate() const {
    if (image_size != 64 && image_size != 128 && image_size != 256) {
        throw UsageError("sketchygan --size: 64, 128 or 256, got " + std::to_string(image_size));
    }
    check_one_of("sketchygan option mru", mru, {"paper", "released"});
    check_one_of("sketchygan option activation", activation, {"smooth", "relu"});
    check_one_of("sketchygan option diversity", diversity, {"released", "mode_seeking"});
    check_one_of("sketchygan option edge_detector", edge_detector, {"classic", "pidinet", "hed"});
    check_one_of("sketchygan option input", input, {"sketch", "distance"});
    check_one_of("sketchygan option ab_sketch", ab_sketch, {"auto", "left", "right"});
    if (noise_dim < 0) throw UsageError("sketchygan option noise_dim must be non-negative");
    if (!(width > 0) || width > 4) throw UsageError("sketchygan option width must be in (0, 4]");
    for (double w : {lambda_l1, lambda_perceptual, lambda_div, lambda_aux_d, lambda_aux_g, focal_gamma}) {
        if (w < 0) throw UsageError("sketchygan loss weights and focal_gamma must be non-negative");
    }
    if (!(lr_g > 0) || !(lr_d > 0)) throw UsageError("sketchygan options lr_g and lr_d must be positive");
    if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw UsageError("Adam betas must be in [0, 1)");
    if (lr_floor < 0 || lr_floor > 1) throw UsageError("sketchygan option lr_floor must be in [0, 1]");
    if (sketch_p0 < 0 || sketch_rise < 0 || sketch_p0 + sketch_rise > 1) {
        throw UsageError("sketchygan options sketch_p0 + sketch_rise must lie in [0, 1]");
    }
    if (load_size < image_size) throw UsageError("sketchygan option load_size must be at least --size");
    if (std::set<std::string>(classes.begin(), classes.end()).size() != classes.size()) {
        throw UsageError("sketchygan option classes: names must be distinct");
    }
}

nlohmann::json SketchyGanOptions::to_json() const {
    return {{"image_size", image_size}, {"classes", classes}, {"mru", mru}, {"activation", activation},
            {"noise_dim", noise_dim}, {"width", width}, {"init_std", init_std}, {"lambda_l1", lambda_l1},
            {"lambda_perceptual", lambda_perceptual}, {"lambda_div", lambda_div}, {"diversity", diversity},
            {"lambda_aux_d", lambda_aux_d},
            {"lambda_aux_g", lambda_aux_g}, {"focal_gamma", focal_gamma}, {"vgg_weights", vgg_weights},
            {"lr_g", lr_g}, {"lr_d", lr_d}, {"beta1", beta1}, {"beta2", beta2}, {"lr_floor", lr_floor},
            {"lr_decay", lr_decay}, {"edge_schedule", edge_schedule}, {"sketch_p0", sketch_p0},
            {"sketch_rise", sketch_rise}, {"edge_detector", edge_detector}, {"edge_weights", edge_weights},
            {"input", input}, {"load_size", load_size}, {"flip", flip},
            {"sketchy_augmentation", sketchy_augmentation}, {"drop_flagged", drop_flagged},
            {"ab_sketch", ab_sketch}};
}

const std::vector<OptionSpec>& sketchygan_option_specs() {
    static const std::vector<OptionSpec> specs = specs_from_defaults(
        SketchyGanOptions().to_json(),
        {{"image_size", "64, 128 or 256 (one more MRU level per doubling)", "--size"},
         {"classes", "category names, index = label (set from the data folder)", "", OptionType::StringList},
         {"mru", "paper (one conv for the noise) or released (two)"},
         {"activation", "generator activation: smooth or relu"},
         {"noise_dim", "length of z ~ N(0, I); 0: no noise and no diversity term"},
         {"width", "every channel count times this (1: the released widths)"},
         {"init_std", "N(0, init_std) initial weights"},
         {"lambda_l1", "weight of the L1 term"},
         {"lambda_perceptual", "weight of the VGG perceptual term (needs vgg_weights)"},
         {"lambda_div", "weight of the diversity term (default 0.05 for mode_seeking, 10 for released)"},
         {"diversity", "the diversity term: mode_seeking (Mao et al. 2019, the default) or released (-mean|G1 - G2| / ||z1 - z2||, the paper's)"},
         {"lambda_aux_d", "weight of D's auxiliary classification loss"},
         {"lambda_aux_g", "weight of G's auxiliary classification loss"},
         {"focal_gamma", "focal loss gamma of D's classifier (0: cross-entropy)"},
         {"vgg_weights", "VGG-19 to relu3_1 (.pth) for the perceptual term"},
         {"lr_g", "G's Adam learning rate (D: lr_d, twice it by default)", "--lr"},
         {"lr_d", "D's Adam learning rate"},
         {"beta1", "Adam beta1"},
         {"beta2", "Adam beta2"},
         {"lr_floor", "the schedule's floor: lr * max(lr_floor, 1 - lr_decay * t / T)"},
         {"lr_decay", "the schedule's slope"},
         {"edge_schedule", "mix photo edge maps in for sketches early in training"},
         {"sketch_p0", "share of real sketches at the start"},
         {"sketch_rise", "how much that share rises over the run"},
         {"edge_detector", "edge maps from classic, pidinet or hed"},
         {"edge_weights", "pidinet's .pth or hed's Caffe files"},
         {"input", "sketch, or distance (unsigned distance map of the strokes)"},
         {"load_size", "training: resize to this, then a random image_size crop (default image_size * 9/8)",
          "--load-size"},
         {"flip", "random horizontal flips in training"},
         {"sketchy_augmentation", "Sketchy Database rendering folder of photos and sketches"},
         {"drop_flagged", "drop sketches flagged WrongPose / Context / Ambiguous / Error"},
         {"ab_sketch", "AB images: which half is the sketch (auto, left, right)"}});
    return specs;
}

SketchyGanOptions SketchyGanOptions::from_json(const nlohmann::json& j) {
    check_options("sketchygan", sketchygan_option_specs(), j);
    SketchyGanOptions o;
    read_option(j, "image_size", o.image_size);
    read_option(j, "classes", o.classes);
    read_option(j, "mru", o.mru);
    read_option(j, "activation", o.activation);
    read_option(j, "noise_dim", o.noise_dim);
    read_option(j, "width", o.width);
    read_option(j, "init_std", o.init_std);
    read_option(j, "lambda_l1", o.lambda_l1);
    read_option(j, "lambda_perceptual", o.lambda_perceptual);
    read_option(j, "diversity", o.diversity);
    o.lambda_div = default_lambda_div(o.diversity);
    read_option(j, "lambda_div", o.lambda_div);
    read_option(j, "lambda_aux_d", o.lambda_aux_d);
    read_option(j, "lambda_aux_g", o.lambda_aux_g);
    read_option(j, "focal_gamma", o.focal_gamma);
    read_option(j, "vgg_weights", o.vgg_weights);
    read_option(j, "lr_g", o.lr_g);
    o.lr_d = 2 * o.lr_g;
    read_option(j, "lr_d", o.lr_d);
    read_option(j, "beta1", o.beta1);
    read_option(j, "beta2", o.beta2);
    read_option(j, "lr_floor", o.lr_floor);
    read_option(j, "lr_decay", o.lr_decay);
    read_option(j, "edge_schedule", o.edge_schedule);
    read_option(j, "sketch_p0", o.sketch_p0);
    read_option(j, "sketch_rise", o.sketch_rise);
    read_option(j, "edge_detector", o.edge_detector);
    read_option(j, "edge_weights", o.edge_weights);
    read_option(j, "input", o.input);
    // The 72 / 64 ratio when only the size is given.
    o.load_size = o.image_size * 9 / 8;
    read_option(j, "load_size", o.load_size);
    read_option(j, "flip", o.flip);
    read_option(j, "sketchy_augmentation", o.sketchy_augmentation);
    read_option(j, "drop_flagged", o.drop_flagged);
    read_option(j, "ab_sketch", o.ab_sketch);
    o.validate();
    return o;
}

}  // namespace ganvas
