// Options of style2paints v1 (Zhang, Ji & Lin, "Style Transfer for Anime Sketches with Enhanced
// Residual U-net and Auxiliary Classifier GAN", ACPR 2017). What the paper fixes is the default;
// where it is silent the choice is ours and docs/STYLE2PAINTS.md says why.
#pragma once
#include "ganvas/core/options.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ganvas {

struct Style2PaintsOptions {
    int64_t image_size = 128;  // training resolution: a multiple of 16, at least 32
    int64_t ngf = 32;          // generator width at full resolution (x2 per level, capped at 8x)
    int64_t ndf = 32;          // discriminator width of its first layer
    int64_t middle_blocks = 4;  // residual blocks at 1/16 resolution, each receiving the hint
    int64_t hint_width = 2048;  // the dense layer between the style features and the middle layers
    bool guides = true;         // the two guide decoders and their losses (false: the lazy-layer ablation)
    // The frozen style encoder: vgg19_stats (channel means and standard deviations of VGG-19
    // relu1_1, relu2_1, relu3_1: 896 values, from the shipped vgg19_to_relu3_1.pth) or vgg19_fc1 /
    // vgg16_fc1 (the paper's: 4096 fc1 features from torchvision's vgg19-dcbb9e9d.pth or vgg16's).
    std::string style_encoder = "vgg19_stats";
    std::string style_weights;  // the encoder's .pth; needed to train
    int64_t style_size = 0;     // side the encoder sees the style image at (0: 224 for fc1, image_size otherwise)
    // G's objective: adversarial + lambda_style * |D_style(G) - V(style)|^2 + lambda_l1 * (L1(out) +
    // guide1_weight * L1(guide 1) + guide2_weight * L1(guide 2)). D: real/fake + lambda_style times
    // its style head's squared error (V(real) for real paintings, 0 for generated ones).
    double lambda_l1 = 100.0;
    double guide1_weight = 0.3;  // the paper's alpha
    double guide2_weight = 0.9;  // the paper's beta
    double lambda_style = 1.0;
    double lr = 2e-4;
    double beta1 = 0.5;
    double beta2 = 0.999;
    int64_t load_size = 144;  // training: both images resized to this, one random image_size crop
    bool flip = true;
    // Where the line art comes from: auto (lineart/ + color/ pairs when the data folder has them,
    // else extracted from each painting), pairs, or xdog (always extracted).
    std::string lineart = "auto";
    // The style image of a training example is its own painting, re-cropped, flipped, rotated and
    // cut into shuffled tiles so that no spatial layout reaches G through the hint.
    bool style_augment = true;
    // Inference on running statistics. Batch statistics of one image would erase the hint: it is
    // constant over the image, and a per-image mean removes it (measured, docs/RESULTS.md).
    bool test_train_mode = false;
    // Before each checkpoint the generator's batch-norm running statistics are re-estimated over
    // this many training batches with the weights being saved (0: keep the running averages,
    // which trail weights that keep moving; docs/STYLE2PAINTS.md).
    int64_t bn_batches = 16;

    bool fc1_encoder() const { return style_encoder != "vgg19_stats"; }
    int64_t style_side() const { return style_size > 0 ? style_size : (fc1_encoder() ? 224 : image_size); }
    int64_t style_dim() const { return fc1_encoder() ? 4096 : 896; }

    void validate() const;  // UsageError naming the option
    nlohmann::json to_json() const;
    // Defaults, then the keys present (load_size follows image_size at 9/8 when only the size is
    // given); unknown keys and wrong types are UsageErrors naming the key.
    static Style2PaintsOptions from_json(const nlohmann::json& j);
};

const std::vector<OptionSpec>& style2paints_option_specs();

}  // namespace ganvas
