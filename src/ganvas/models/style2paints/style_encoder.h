// Frozen style encoders of style2paints: a painting -> a vector of style features.
//
// - vgg19_stats (the default, works with what ganvas ships): the channel means and standard
//   deviations of VGG-19's relu1_1, relu2_1 and relu3_1 (64 + 128 + 256 channels, 896 values),
//   from vgg19_to_relu3_1.pth. Global statistics carry the palette and texture of a painting and no
//   spatial layout.
// - vgg19_fc1 / vgg16_fc1 (the paper's): torchvision's VGG up to fc1 after its ReLU (4096 values),
//   from torchvision's vgg19-dcbb9e9d.pth / vgg16-397923af.pth, on ImageNet-normalised input. The
//   layer layout is read from the file's keys and shapes (features.<i>.weight, classifier.0.weight),
//   so both depths load and a small stand-in with the same key layout tests the path.
#pragma once
#include "ganvas/nn/vgg.h"

#include <torch/nn.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ganvas {

class VggStatsEncoderImpl : public torch::nn::Module {
public:
    VggStatsEncoderImpl();
    // rgb [N, 3, H, W] in [0, 1] -> [N, 896].
    torch::Tensor forward(const torch::Tensor& rgb);
    void load_weights(const std::filesystem::path& path);  // vgg19_to_relu3_1.pth; Error naming it

    Vgg19Relu31 vgg{nullptr};
};
TORCH_MODULE(VggStatsEncoder);

class VggFc1EncoderImpl : public torch::nn::Module {
public:
    // The torchvision state dict's convolutions and fc1 (classifier.0); Error naming `source` and
    // the key when the layout does not fit (a conv whose input is not the previous output, no fc1,
    // an fc1 whose input is not last-channels x 7 x 7).
    VggFc1EncoderImpl(const std::map<std::string, torch::Tensor>& state, const std::string& source);
    // rgb [N, 3, H, W] in [0, 1] (at 224 x 224 as in ImageNet training) -> [N, fc1 width].
    torch::Tensor forward(const torch::Tensor& rgb);
    int64_t dim() const { return fc1->options.out_features(); }

    torch::nn::ModuleList convs{nullptr};
    std::vector<bool> pool_after;  // 2x2 max-pool after conv i
    torch::nn::Linear fc1{nullptr};
};
TORCH_MODULE(VggFc1Encoder);

// Reads a torchvision VGG checkpoint; frozen and in eval mode.
VggFc1Encoder load_vgg_fc1(const std::filesystem::path& path);

}  // namespace ganvas
