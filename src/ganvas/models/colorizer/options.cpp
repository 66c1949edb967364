#include "ganvas/models/colorizer/options.h"

#include "ganvas/core/error.h"

namespace ganvas {

ColorizerOptions ColorizerOptions::from_preset(const std::string& preset) {
    ColorizerOptions o;
    o.preset = preset;
    if (preset == "paper") {
        o.output = ColorOutput::Rgb;
        o.reconstruction = ReconstructionLoss::L2;
        o.rec_weight = 1.0;
        o.adv_weight = 100.0;
        o.d_weight = 100.0;
    } else if (preset != "default") {
        throw UsageError("--preset: '" + preset + "' is not one of default, paper");
    }
    return o;
}

void ColorizerOptions::validate() const {
    if (image_size < 16 || (image_size & (image_size - 1)) != 0) {
        throw UsageError("--size: the colorizer trains on power-of-two sizes >= 16, got " +
                         std::to_string(image_size));
    }
    if (widths.size() != 4) throw UsageError("--widths: the generator has 4 hidden blocks; give 4 widths");
    for (auto w : widths) {
        if (w < 1) throw UsageError("--widths: widths must be positive");
    }
    if (d_width < 1) throw UsageError("--d-width must be positive");
    if (rec_weight < 0 || adv_weight < 0 || d_weight <= 0) {
        throw UsageError("loss weights must be non-negative (and the D weight positive)");
    }
    if (!(lr > 0)) throw UsageError("--lr must be positive");
    if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw UsageError("Adam betas must be in [0, 1)");
}

nlohmann::json ColorizerOptions::to_json() const {
    return {{"preset", preset},
            {"image_size", image_size},
            {"widths", widths},
            {"d_width", d_width},
            {"output", output == ColorOutput::Rgb ? "rgb" : "chroma"},
            {"reconstruction", reconstruction == ReconstructionLoss::L1 ? "l1" : "l2"},
            {"rec_weight", rec_weight},
            {"adv_weight", adv_weight},
            {"d_weight", d_weight},
            {"lr", lr},
            {"beta1", beta1},
            {"beta2", beta2}};
}

const std::vector<OptionSpec>& colorizer_option_specs() {
    static const std::vector<OptionSpec> specs = specs_from_defaults(
        ColorizerOptions::from_preset("default").to_json(),
        {{"preset", "recipe the other defaults start from: default (measured on CelebA) or paper (Li Ju 2018)", "--preset"},
         {"image_size", "training resolution, a power of two >= 16", "--size"},
         {"widths", "generator widths of blocks 1-4", "--widths"},
         {"d_width", "discriminator base width", "--d-width"},
         {"output", "rgb (the paper) or chroma (Lab a, b on the input's lightness)", "--output-mode"},
         {"reconstruction", "reconstruction loss: l1 or l2", "--reconstruction"},
         {"rec_weight", "weight of the reconstruction loss in G's objective", "--rec-weight"},
         {"adv_weight", "weight of the adversarial loss in G's objective", "--adv-weight"},
         {"d_weight", "scale of D's objective", "--d-weight"},
         {"lr", "Adam learning rate of G and D", "--lr"},
         {"beta1", "Adam beta1"},
         {"beta2", "Adam beta2"}});
    return specs;
}

ColorizerOptions ColorizerOptions::from_json(const nlohmann::json& j) {
    check_options("colorizer", colorizer_option_specs(), j);
    ColorizerOptions o = from_preset(j.value("preset", std::string("default")));
    read_option(j, "image_size", o.image_size);
    read_option(j, "widths", o.widths);
    read_option(j, "d_width", o.d_width);
    if (j.contains("output")) {
        const auto s = j.at("output").get<std::string>();
        if (s != "rgb" && s != "chroma") throw UsageError("--output-mode: '" + s + "' is not rgb or chroma");
        o.output = s == "rgb" ? ColorOutput::Rgb : ColorOutput::Chroma;
    }
    if (j.contains("reconstruction")) {
        const auto s = j.at("reconstruction").get<std::string>();
        if (s != "l1" && s != "l2") throw UsageError("--reconstruction: '" + s + "' is not l1 or l2");
        o.reconstruction = s == "l1" ? ReconstructionLoss::L1 : ReconstructionLoss::L2;
    }
    read_option(j, "rec_weight", o.rec_weight);
    read_option(j, "adv_weight", o.adv_weight);
    read_option(j, "d_weight", o.d_weight);
    read_option(j, "lr", o.lr);
    read_option(j, "beta1", o.beta1);
    read_option(j, "beta2", o.beta2);
    o.validate();
    return o;
}

}  // namespace ganvas
