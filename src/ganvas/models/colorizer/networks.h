// Networks of the face-colorization GAN.
//
// Reference: Li Ju, "Gray-scale face images colorization based on generative adversarial
// network", 2018 (no released code). Discriminator: Radford et al., "Unsupervised representation
// learning with deep convolutional GANs" (DCGAN), ICLR 2016.
// Deviation: the Chroma output mode (see options.h) is ganvas's, not the paper's.
#pragma once
#include "ganvas/models/colorizer/options.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

namespace ganvas {

// Five stride-1 3x3 convolution blocks at full resolution: blocks 1-4 conv -> BN -> ReLU with
// widths growing toward the output (the paper reports training collapses otherwise), block 5
// conv -> sigmoid to RGB. Fully convolutional: any input size.
class ColorizerGeneratorImpl : public torch::nn::Module {
public:
    ColorizerGeneratorImpl(std::vector<int64_t> widths, ColorOutput output);
    // gray: [N, 3, H, W] in [0, 1] (gray replicated) -> [N, 3, H, W] RGB in [0, 1]
    torch::Tensor forward(const torch::Tensor& gray);
    // The network's own RGB, before the output mode is applied.
    torch::Tensor raw_rgb(const torch::Tensor& gray);

private:
    ColorOutput output_;
    torch::nn::Sequential block1{nullptr}, block2{nullptr}, block3{nullptr}, block4{nullptr},
        block5{nullptr};
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
