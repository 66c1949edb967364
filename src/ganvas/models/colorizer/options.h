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

// How far the generator sees (networks.h): the paper's five full-resolution blocks (an 11x11
// window), a U-Net down to 1/16 of the side, or the paper's blocks, dilated, on a 1/4-resolution
// encoder; the last two see the whole 64x64 face.
enum class ColorTrunk { Blocks, Unet, Encoder };

// What the generator predicts: an RGB image (sigmoid; in Chroma mode only its a, b are kept),
// Lab a, b directly (110 tanh), or a distribution over quantised a, b bins decoded by an annealed
// mean (Zhang, Isola & Efros, "Colorful image colorization", ECCV 2016). Ab and Bins imply Chroma.
enum class ChromaHead { Rgb, Ab, Bins };

struct ColorizerOptions {
    std::string preset = "default";
    int64_t image_size = 64;                       // training resolution
    std::vector<int64_t> widths{32, 64, 128, 256};  // generator blocks 1-4
    int64_t d_width = 32;                          // discriminator base width
    ColorOutput output = ColorOutput::Chroma;
    ColorTrunk trunk = ColorTrunk::Unet;
    ChromaHead head = ChromaHead::Bins;
    double bin_weight = 1.0;        // weight of the rebalanced bin cross-entropy (head bins)
    double bin_temperature = 0.38;  // annealed-mean temperature (Zhang et al. 2016) of the training loss
    // The temperature inference decodes the bins at (0: bin_temperature). Lower than the training
    // one turns the L1-trained mean toward the distribution's mode: more vivid.
    double decode_temperature = 0.18;
    // Inference scales the predicted Lab a, b by this (1: as predicted). The L1-trained prediction
    // leans toward the mean chroma and leaves faces paler than the truth; 1.1 was chosen on the
    // crops training holds out (docs/RESULTS.md, issue 24). The paper preset keeps 1.
    double decode_saturation = 1.1;
    double rebalance = 0.5;         // lambda: 0 = weight by 1/prior, 1 = no rebalancing
    ReconstructionLoss reconstruction = ReconstructionLoss::L1;
    double rec_weight = 100.0;  // weight of the reconstruction term in G's loss
    double adv_weight = 0.0;    // weight of the adversarial term in G's loss (0: D is not trained)
    double d_weight = 0.5;      // scale of D's loss
    double lr = 1e-4;
    double beta1 = 0.5;
    double beta2 = 0.999;

    // "paper": Li Ju (2018) exactly: the five-block RGB generator, G = L2 + 100 BCE,
    // D = 100 (BCE_real + BCE_fake).
    // "default": chosen by measurement on CelebA (docs/RESULTS.md, issue 24): the U-Net trunk
    // predicting rebalanced a, b bins on the input's lightness, G = rebalanced cross-entropy +
    // 100 L1 of the annealed mean (T 0.38), no adversarial term; decoded at T 0.18 with a, b x 1.1.
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
