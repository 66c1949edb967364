// Options of pix2pix (Isola et al., CVPR 2017) with the reference implementation's defaults
// (junyanz/pytorch-CycleGAN-and-pix2pix, `--model pix2pix`).
#pragma once
#include "ganvas/core/options.h"
#include "ganvas/losses/gan_loss.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ganvas {

enum class Pix2PixData {
    Aligned,       // one image per pair, A on the left half and B on the right
    Folders,       // <root>/.../A/<name> paired with <root>/.../B/<name>
    Colorization,  // color photos; Lab L in, a b out
};

struct Pix2PixOptions {
    std::string netG = "unet_256";  // unet_256 | unet_128 | resnet_9blocks | resnet_6blocks
    std::string netD = "basic";     // basic (70x70 PatchGAN) | n_layers | pixel
    int64_t n_layers_D = 3;         // for netD n_layers
    int64_t ngf = 64, ndf = 64;
    std::string norm = "batch";     // batch | instance | none
    bool dropout = true;            // in the U-Net's innermost decoder blocks / the ResNet blocks
    std::string init_type = "normal";  // normal | xavier | kaiming | orthogonal
    double init_gain = 0.02;
    GanObjective gan_mode = GanObjective::Vanilla;
    double lambda_L1 = 100.0;
    double lambda_gp = 10.0;  // WGAN-GP only
    double lr = 2e-4, beta1 = 0.5, beta2 = 0.999;
    // Learning rate: constant for the first n_epochs / (n_epochs + n_epochs_decay) of the run, then
    // linear decay to zero (epochs of the run's own length, so --steps runs decay the same way).
    int64_t n_epochs = 100, n_epochs_decay = 100;
    std::string direction = "AtoB";  // AtoB | BtoA
    Pix2PixData dataset_mode = Pix2PixData::Aligned;
    int64_t load_size = 286, crop_size = 256;
    bool flip = true;
    // Inference as the reference's test.py: batch-norm statistics of the batch and dropout on.
    // false: running statistics, no dropout (the reference's --eval).
    bool test_train_mode = true;
    // Speed switches, for benchmarks that measure what each change buys (same math either way):
    // transposed convolutions: auto (oneDNN where faster) | onednn | reference (LibTorch's);
    // fused_adam: one pass per parameter (nn/adam.h) instead of torch::optim::Adam.
    std::string transpose_kernel = "auto";
    bool fused_adam = true;
    // Memory format of the networks' tensors. NCHW by default, whatever --no-channels-last says:
    // measured faster for these 4x4 stride-2 layers at batch 1 (docs/RESULTS.md).
    bool channels_last = false;

    int64_t input_nc() const { return dataset_mode == Pix2PixData::Colorization ? 1 : 3; }
    int64_t output_nc() const { return dataset_mode == Pix2PixData::Colorization ? 2 : 3; }

    void validate() const;  // UsageError naming the option
    nlohmann::json to_json() const;
    // Defaults, then the keys present; an unknown key is a UsageError naming it.
    static Pix2PixOptions from_json(const nlohmann::json& j);
};

// The schema of the options; "fast_kernels" is a retired key still read from old checkpoints.
const std::vector<OptionSpec>& pix2pix_option_specs();
inline const std::vector<std::string> kPix2PixLegacyOptions{"fast_kernels"};

}  // namespace ganvas
