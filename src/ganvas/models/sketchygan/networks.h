// SketchyGAN's networks (Chen & Hays, CVPR 2018), at 64x64 as the released configuration and with
// one more MRU level per doubling of the resolution.
//
// Generator: 7x7 stride-2 stem to 8 channels; encoder MRUs (64, 128, 256, 512 at 64 px), each
// followed by 2x mean pooling, the sketch injected at every scale; noise z -> linear -> 4x4x64,
// concatenated to the upsampled bottleneck; decoder MRUs (384, 256, 128, 128, 64), each after a 2x
// nearest upsampling, injected with the sketch and the encoder's feature map of its scale;
// 7x7 conv + tanh. Class-conditional batch norm throughout.
// Discriminator: the image only; 7x7 stem to 8 channels; MRUs (128, 256, 512, 768) without norm,
// spectrally normalised, PReLU (one learned slope, 0.2), each followed by 2x mean pooling; heads:
// a 4x4 patch of real/fake logits (1x1 conv) and a class classifier (global mean -> linear).
#pragma once
#include "ganvas/models/sketchygan/mru.h"
#include "ganvas/models/sketchygan/options.h"
#include "ganvas/nn/spectral_norm.h"

#include <torch/nn.h>

#include <utility>
#include <vector>

namespace ganvas {

// Channel widths (index 0 = the highest resolution of each list).
std::vector<int64_t> sketchy_encoder_widths(const SketchyGanOptions& options);  // 64 px: 64 128 256 512
std::vector<int64_t> sketchy_decoder_widths(const SketchyGanOptions& options);  // 4 px up: 384 256 128 128 64
std::vector<int64_t> sketchy_discriminator_widths(const SketchyGanOptions& options);  // 128 256 512 768

// Average-pooled copies of `image`: [0] = image, [k] = 2^k times smaller; channels-last maps
// throughout where `format` says so (a one-channel image included).
std::vector<torch::Tensor> image_pyramid(const torch::Tensor& image, int64_t levels,
                                          torch::MemoryFormat format = torch::MemoryFormat::Contiguous);

class SketchyGeneratorImpl : public torch::nn::Module {
public:
    explicit SketchyGeneratorImpl(const SketchyGanOptions& options);
    // sketch [N, 1, S, S] in [-1, 1]; z [N, noise_dim] (ignored when noise_dim = 0); labels [N].
    // Returns [N, 3, S, S] in [-1, 1].
    torch::Tensor forward(const torch::Tensor& sketch, const torch::Tensor& z, const torch::Tensor& labels);

    int64_t size, noise_dim, noise_channels;
    SNConv2d stem{nullptr}, out{nullptr};
    ConditionalBatchNorm2d stem_norm{nullptr};
    torch::nn::Linear noise_fc{nullptr};
    std::vector<Mru> encoder, decoder;
    bool smooth = true;
};
TORCH_MODULE(SketchyGenerator);

class SketchyDiscriminatorImpl : public torch::nn::Module {
public:
    explicit SketchyDiscriminatorImpl(const SketchyGanOptions& options);
    // image [N, 3, S, S] in [-1, 1] -> (patch logits [N, 1, 4, 4], class logits [N, classes]).
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& image);

    SNConv2d stem{nullptr}, patch{nullptr};
    torch::nn::PReLU stem_act{nullptr};
    std::vector<Mru> units;
    SNLinear classifier{nullptr};
};
TORCH_MODULE(SketchyDiscriminator);

// Weights N(0, std), biases 0, for every convolution and linear layer under `net`.
void init_sketchy_weights(torch::nn::Module& net, double std);

}  // namespace ganvas
