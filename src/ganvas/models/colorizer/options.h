// Options of the face-colorization GAN, with the paper's recipe and ganvas's default as presets.
#pragma once
#include "ganvas/core/options.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ganvas {

enum class ColorOutput {
    Rgb,     // the generator's RGB output is the result (the paper)
    Chroma,  // only its chroma (Lab a, b) is kept, on the input's lightness
};

enum class ReconstructionLoss { L1, L2 };

struct ColorizerOptions {
    std::string preset = "default";
    int64_t image_size = 64;                       // training resolution
    std::vector<int64_t> widths{32, 64, 128, 256};  // generator blocks 1-4
    int64_t d_width = 32;                          // discriminator base width
    ColorOutput output = ColorOutput::Chroma;
    ReconstructionLoss reconstruction = ReconstructionLoss::L1;
    double rec_weight = 100.0;  // weight of the reconstruction term in G's loss
    double adv_weight = 0.1;    // weight of the adversarial term in G's loss
    double d_weight = 0.5;      // scale of D's loss
    double lr = 1e-4;
    double beta1 = 0.5;
    double beta2 = 0.999;

    // "paper": Li Ju (2018) exactly: RGB output, G = L2 + 100 BCE, D = 100 (BCE_real + BCE_fake).
    // "default": chosen by measurement on CelebA (docs/RESULTS.md).
    static ColorizerOptions from_preset(const std::string& preset);
    void validate() const;  // UsageError naming the option
    nlohmann::json to_json() const;
    // Starts from the preset named in `j` (or "default"), then applies the keys present; unknown
    // keys and wrong types are UsageErrors naming the key.
    static ColorizerOptions from_json(const nlohmann::json& j);
};

// The schema of the options (defaults of the "default" preset).
const std::vector<OptionSpec>& colorizer_option_specs();

}  // namespace ganvas
