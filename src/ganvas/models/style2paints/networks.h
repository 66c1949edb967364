// The networks of style2paints v1 (Zhang, Ji & Lin, ACPR 2017):
//
// - Style2PaintsGenerator: a residual U-Net from line art to painting. Its middle layers (residual
//   blocks at 1/16 resolution) receive a global style hint: the style features through a dense
//   layer (`hint_width`, the paper's 2048), normalised over the vector, projected onto each middle
//   block's channels and added. Two guide decoders, one on the middle's entry and one on its exit,
//   decode to full-size images with their own L1 losses, so the middle layers keep getting gradient
//   however noisy the hint is (the paper's answer to "lazy" middle layers that the skip connections
//   make redundant).
// - Style2PaintsDiscriminator: DCGAN-style, on the painting alone (not the line art: the paper
//   found a conditional D makes G over-colour around the lines), with a real/fake patch head and an
//   auxiliary head as wide as the style features, trained to read V(y) off real paintings and 0
//   off generated ones.
#pragma once
#include "ganvas/models/style2paints/options.h"

#include <torch/nn.h>

#include <vector>

namespace ganvas {

class ResidualBlockImpl : public torch::nn::Module {
public:
    explicit ResidualBlockImpl(int64_t channels);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(ResidualBlock);

// The style features -> the hint the middle layers receive. `scale` (a buffer) divides each
// feature by its root mean square over the training paintings (set once by the model's
// prepare()), so that features of very different magnitudes (relu1_1 means vs relu3_1 deviations)
// reach the dense layer, and the discriminator's head, at a common scale.
class StyleHintImpl : public torch::nn::Module {
public:
    StyleHintImpl(int64_t feature_dim, int64_t hint_width);
    // Raw encoder features [N, F] -> scaled features [N, F].
    torch::Tensor scaled(const torch::Tensor& features) const;
    // Scaled features [N, F] -> the hint [N, hint_width]: dense, then zero mean and unit variance
    // over each vector.
    torch::Tensor forward(const torch::Tensor& scaled_features);

    torch::nn::Linear dense{nullptr};
    torch::Tensor scale;
};
TORCH_MODULE(StyleHint);

struct GeneratorOutputs {
    torch::Tensor output;  // [N, 3, S, S] in [-1, 1]
    torch::Tensor guide1;  // the middle's entry decoded (undefined without guides)
    torch::Tensor guide2;  // its exit decoded (undefined without guides)
};

class Style2PaintsGeneratorImpl : public torch::nn::Module {
public:
    explicit Style2PaintsGeneratorImpl(const Style2PaintsOptions& options);
    // lineart: [N, 1, S, S] in [-1, 1], S a multiple of 16; hint: [N, hint_width] from StyleHint,
    // or undefined for no hint (the same as an all-zero hint).
    GeneratorOutputs forward(const torch::Tensor& lineart, const torch::Tensor& hint);
    // The middle blocks' parameters (for the gradient that reaches them).
    std::vector<torch::Tensor> middle_parameters() const;

    torch::nn::ModuleList encoder{nullptr};   // per level: the down path, then a residual block
    torch::nn::Sequential entry{nullptr};     // down to 1/16: the middle's input
    torch::nn::ModuleList middle{nullptr};    // residual blocks
    torch::nn::ModuleList hint_proj{nullptr};  // per middle block: hint -> channels
    torch::nn::ModuleList up{nullptr};        // per level: upsample from the level below
    torch::nn::ModuleList fuse{nullptr};      // per level: skip + upsampled -> channels, residual
    torch::nn::Sequential head{nullptr};      // full resolution -> RGB
    torch::nn::Sequential guide1{nullptr}, guide2{nullptr};

private:
    int64_t levels_ = 4;
};
TORCH_MODULE(Style2PaintsGenerator);

struct DiscriminatorOutputs {
    torch::Tensor logits;  // [N, 1, S/16, S/16] real/fake per patch
    torch::Tensor style;   // [N, F] the auxiliary head's reading of the style features
};

class Style2PaintsDiscriminatorImpl : public torch::nn::Module {
public:
    Style2PaintsDiscriminatorImpl(const Style2PaintsOptions& options, int64_t feature_dim);
    // painting: [N, 3, S, S] in [-1, 1].
    DiscriminatorOutputs forward(const torch::Tensor& painting);

    torch::nn::Sequential body{nullptr};
    torch::nn::Conv2d adversarial{nullptr};
    torch::nn::Linear style_head{nullptr};
};
TORCH_MODULE(Style2PaintsDiscriminator);

// N(0, 0.02) conv and linear weights, N(1, 0.02) batch-norm scales, zero biases.
void init_style2paints_weights(torch::nn::Module& module);

}  // namespace ganvas
