// Networks of the face-colorization GAN.
//
// Reference: Li Ju, "Gray-scale face images colorization based on generative adversarial
// network", 2018 (no released code). Discriminator: Radford et al., "Unsupervised representation
// learning with deep convolutional GANs" (DCGAN), ICLR 2016.
// Deviations: the Chroma output mode, the unet and encoder trunks and the ab and bins heads (see
// options.h) are ganvas's, not the paper's; the bins head follows Zhang, Isola & Efros, "Colorful
// image colorization", ECCV 2016 (quantised a, b, soft encoding, rebalancing, annealed mean).
#pragma once
#include "ganvas/models/colorizer/options.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

namespace ganvas {

// The a, b grid of the bins head: centres every 10 units from -105 to 105 in a and b (22 x 22 =
// 484 bins), a covering row-major order (bin = 22 * ia + ib).
struct AbBins {
    static constexpr int64_t kPerAxis = 22;
    static constexpr int64_t kCount = kPerAxis * kPerAxis;
    static constexpr double kStep = 10.0;
    static torch::Tensor centres();  // [kCount, 2] (a, b)
    // ab [N, 2, H, W] -> soft targets [N, kCount, H, W]: Gaussian weights (sigma 5) on the bin
    // centres, normalised; the weights of bins farther than 2 steps are dropped.
    static torch::Tensor soft_encode(const torch::Tensor& ab);
    // logits [N, kCount, H, W] -> ab [N, 2, H, W], the annealed mean at temperature T.
    static torch::Tensor annealed_mean(const torch::Tensor& logits, double temperature);
};

struct GeneratorOutput {
    torch::Tensor rgb;     // [N, 3, H, W] in [0, 1], the colorized image
    // Head bins: [N, AbBins::kCount, ceil(H'/2), ceil(W'/2)] for the input padded to H' x W' (the
    // trunk's multiple); undefined otherwise.
    torch::Tensor logits;
};

// The colorization generator (options.h: trunk and head). Trunks:
//  blocks   the paper: five stride-1 3x3 convolution blocks at full resolution, blocks 1-4
//           conv -> BN -> ReLU with widths growing toward the output (the paper reports training
//           collapses otherwise), block 5 conv -> sigmoid to RGB.
//  unet     a 3x3 stem, four 4x4 stride-2 downsamplings (widths 1-4, the last repeated), the
//           bottleneck fused with its own global average (1x1 conv over both, as the global
//           features of Iizuka et al., "Let there be color!", SIGGRAPH 2016), four transposed-
//           convolution upsamplings with skip connections, then a 3x3 block.
//  encoder  two 4x4 stride-2 convolutions to 1/4 of the side, the paper's blocks 2-4 there with
//           dilations 1, 2, 4 and a fourth block dilated 8, two transposed convolutions back up.
// Fully convolutional: any input size (unet and encoder pad to a multiple of 16 or 4 and crop).
class ColorizerGeneratorImpl : public torch::nn::Module {
public:
    ColorizerGeneratorImpl(std::vector<int64_t> widths, ColorOutput output, ColorTrunk trunk = ColorTrunk::Blocks,
                           ChromaHead head = ChromaHead::Rgb, double bin_temperature = 0.38);
    // gray: [N, 3, H, W] in [0, 1] (gray replicated) -> [N, 3, H, W] RGB in [0, 1]. Head bins:
    // decoded at `temperature` (0: the trained one; lower is more vivid, 1 is the plain mean).
    torch::Tensor forward(const torch::Tensor& gray, double temperature = 0) { return run(gray, temperature).rgb; }
    GeneratorOutput run(const torch::Tensor& gray, double temperature = 0);

private:
    torch::Tensor features(const torch::Tensor& gray);  // the trunk's last features
    ColorOutput output_;
    ColorTrunk trunk_;
    ChromaHead head_;
    double temperature_;
    int64_t multiple_ = 1;  // the input side must be a multiple of this (padded otherwise)
    // blocks
    torch::nn::Sequential block1{nullptr}, block2{nullptr}, block3{nullptr}, block4{nullptr},
        block5{nullptr};
    // unet / encoder
    torch::nn::Sequential stem{nullptr};
    std::vector<torch::nn::Sequential> downs_, middle_, ups_;
    torch::nn::Sequential last{nullptr}, fuse{nullptr};
    // ab / bins heads
    torch::nn::Conv2d head_conv{nullptr};
};
TORCH_MODULE(ColorizerGenerator);

// DCGAN discriminator: 4x4 stride-2 convolutions with LeakyReLU 0.2 and BatchNorm on all but the
// first, down to 4x4, then a 4x4 valid convolution to one logit.
class DcganDiscriminatorImpl : public torch::nn::Module {
public:
    DcganDiscriminatorImpl(int64_t image_size, int64_t base_width);
    // image: [N, 3, S, S] -> logits [N]
    torch::Tensor forward(const torch::Tensor& image);

private:
    int64_t image_size_;
    torch::nn::Sequential main{nullptr};
};
TORCH_MODULE(DcganDiscriminator);

}  // namespace ganvas
