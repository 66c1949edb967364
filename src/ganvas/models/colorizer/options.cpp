#include "ganvas/models/colorizer/options.h"

#include "ganvas/core/error.h"

#include <array>

namespace ganvas {

namespace {
constexpr std::array<std::pair<ColorTrunk, const char*>, 3> kTrunks{
    {{ColorTrunk::Blocks, "blocks"}, {ColorTrunk::Unet, "unet"}, {ColorTrunk::Encoder, "encoder"}}};
constexpr std::array<std::pair<ChromaHead, const char*>, 3> kHeads{
    {{ChromaHead::Rgb, "rgb"}, {ChromaHead::Ab, "ab"}, {ChromaHead::Bins, "bins"}}};

template <typename E, size_t N>
const char* name_of(const std::array<std::pair<E, const char*>, N>& table, E value) {
    for (const auto& [v, name] : table) {
        if (v == value) return name;
    }
    return "?";
}

template <typename E, size_t N>
E parse_named(const std::array<std::pair<E, const char*>, N>& table, const std::string& s, const char* flag) {
    std::string all;
    for (const auto& [v, name] : table) {
        if (s == name) return v;
        all += all.empty() ? name : std::string(", ") + name;
    }
    throw UsageError(std::string(flag) + ": '" + s + "' is not one of " + all);
}
}  // namespace

ColorizerOptions ColorizerOptions::from_preset(const std::string& preset) {
    ColorizerOptions o;
    o.preset = preset;
    if (preset == "paper") {
        o.trunk = ColorTrunk::Blocks;
        o.head = ChromaHead::Rgb;
        o.output = ColorOutput::Rgb;
        o.reconstruction = ReconstructionLoss::L2;
        o.rec_weight = 1.0;
        o.adv_weight = 100.0;
        o.d_weight = 100.0;
        o.decode_saturation = 1.0;
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
    if (head != ChromaHead::Rgb && output != ColorOutput::Chroma) {
        throw UsageError("--head: the ab and bins heads predict chroma only; use --output-mode chroma");
    }
    if (bin_weight < 0) throw UsageError("--bin-weight must be non-negative");
    if (!(bin_temperature > 0) || bin_temperature > 1) throw UsageError("--bin-temperature must be in (0, 1]");
    if (!(decode_temperature >= 0) || decode_temperature > 1) {
        throw UsageError("--decode-temperature must be 0 (the training one) or in (0, 1]");
    }
    if (!(decode_saturation > 0) || decode_saturation > 3) throw UsageError("--decode-saturation must be in (0, 3]");
    if (rebalance < 0 || rebalance > 1) throw UsageError("--rebalance must be in [0, 1]");
    if (!(lr > 0)) throw UsageError("--lr must be positive");
    if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw UsageError("Adam betas must be in [0, 1)");
}

nlohmann::json ColorizerOptions::to_json() const {
    return {{"preset", preset},
            {"image_size", image_size},
            {"widths", widths},
            {"d_width", d_width},
            {"output", output == ColorOutput::Rgb ? "rgb" : "chroma"},
            {"trunk", name_of(kTrunks, trunk)},
            {"head", name_of(kHeads, head)},
            {"bin_weight", bin_weight},
            {"bin_temperature", bin_temperature},
            {"decode_temperature", decode_temperature},
            {"decode_saturation", decode_saturation},
            {"rebalance", rebalance},
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
         {"trunk", "generator trunk: blocks (the paper's, 11x11 view), unet or encoder (whole face)", "--trunk"},
         {"head", "prediction: rgb, ab (Lab a, b) or bins (quantised a, b, Zhang et al. 2016)", "--head"},
         {"bin_weight", "weight of the rebalanced cross-entropy over a, b bins (head bins)", "--bin-weight"},
         {"bin_temperature", "annealed-mean temperature decoding the bins in the training loss", "--bin-temperature"},
         {"decode_temperature", "annealed-mean temperature at inference (0: bin_temperature; lower is more vivid)",
          "--decode-temperature"},
         {"decode_saturation", "gain on the predicted a, b at inference (1: as predicted; higher is more vivid)",
          "--decode-saturation"},
         {"rebalance", "class rebalancing: 0 weights bins by 1/prior, 1 not at all", "--rebalance"},
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
    // Options saved before the trunk and head existed describe the five-block RGB generator.
    if (j.contains("reconstruction") && !j.contains("trunk")) {
        o.trunk = ColorTrunk::Blocks;
        o.head = ChromaHead::Rgb;
    }
    if (j.contains("trunk")) o.trunk = parse_named(kTrunks, j.at("trunk").get<std::string>(), "--trunk");
    if (j.contains("head")) o.head = parse_named(kHeads, j.at("head").get<std::string>(), "--head");
    read_option(j, "bin_weight", o.bin_weight);
    read_option(j, "bin_temperature", o.bin_temperature);
    read_option(j, "decode_temperature", o.decode_temperature);
    read_option(j, "decode_saturation", o.decode_saturation);
    read_option(j, "rebalance", o.rebalance);
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
