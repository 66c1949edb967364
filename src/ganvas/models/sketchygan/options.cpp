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
            {"lambda_perceptual", lambda_perceptual}, {"lambda_div", lambda_div}, {"lambda_aux_d", lambda_aux_d},
            {"lambda_aux_g", lambda_aux_g}, {"focal_gamma", focal_gamma}, {"vgg_weights", vgg_weights},
            {"lr_g", lr_g}, {"lr_d", lr_d}, {"beta1", beta1}, {"beta2", beta2}, {"lr_floor", lr_floor},
            {"lr_decay", lr_decay}, {"edge_schedule", edge_schedule}, {"sketch_p0", sketch_p0},
            {"sketch_rise", sketch_rise}, {"edge_detector", edge_detector}, {"edge_weights", edge_weights},
            {"input", input}, {"load_size", load_size}, {"flip", flip},
            {"sketchy_augmentation", sketchy_augmentation}, {"drop_flagged", drop_flagged},
            {"ab_sketch", ab_sketch}};
}

SketchyGanOptions SketchyGanOptions::from_json(const nlohmann::json& j) {
    SketchyGanOptions o;
    nlohmann::json merged = o.to_json();
    try {
        for (const auto& [key, value] : j.items()) {
            if (!merged.contains(key)) throw UsageError("sketchygan has no option '" + key + "'");
            merged[key] = value;
        }
        // The 72 / 64 ratio when only the size is given.
        if (j.contains("image_size") && !j.contains("load_size")) {
            merged["load_size"] = j.at("image_size").get<int64_t>() * 9 / 8;
        }
        const auto& m = merged;
        m.at("image_size").get_to(o.image_size);
        m.at("classes").get_to(o.classes);
        m.at("mru").get_to(o.mru);
        m.at("activation").get_to(o.activation);
        m.at("noise_dim").get_to(o.noise_dim);
        m.at("width").get_to(o.width);
        m.at("init_std").get_to(o.init_std);
        m.at("lambda_l1").get_to(o.lambda_l1);
        m.at("lambda_perceptual").get_to(o.lambda_perceptual);
        m.at("lambda_div").get_to(o.lambda_div);
        m.at("lambda_aux_d").get_to(o.lambda_aux_d);
        m.at("lambda_aux_g").get_to(o.lambda_aux_g);
        m.at("focal_gamma").get_to(o.focal_gamma);
        m.at("vgg_weights").get_to(o.vgg_weights);
        m.at("lr_g").get_to(o.lr_g);
        m.at("lr_d").get_to(o.lr_d);
        m.at("beta1").get_to(o.beta1);
        m.at("beta2").get_to(o.beta2);
        m.at("lr_floor").get_to(o.lr_floor);
        m.at("lr_decay").get_to(o.lr_decay);
        m.at("edge_schedule").get_to(o.edge_schedule);
        m.at("sketch_p0").get_to(o.sketch_p0);
        m.at("sketch_rise").get_to(o.sketch_rise);
        m.at("edge_detector").get_to(o.edge_detector);
        m.at("edge_weights").get_to(o.edge_weights);
        m.at("input").get_to(o.input);
        m.at("load_size").get_to(o.load_size);
        m.at("flip").get_to(o.flip);
        m.at("sketchy_augmentation").get_to(o.sketchy_augmentation);
        m.at("drop_flagged").get_to(o.drop_flagged);
        m.at("ab_sketch").get_to(o.ab_sketch);
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(std::string("sketchygan options: ") + e.what());
    }
    o.validate();
    return o;
}

}  // namespace ganvas
