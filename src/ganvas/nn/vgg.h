// VGG-19 up to relu3_1 (Simonyan & Zisserman 2015; ImageNet weights in the layout of
// LinearStyleTransfer's vgg_r31.pth): the feature network of perceptual losses.
//
// conv1 is a fixed 1x1 colour transform (RGB in [0, 1] -> Caffe-style BGR in [0, 255] minus the
// ImageNet mean); conv2..conv6 are conv1_1, conv1_2, conv2_1, conv2_2, conv3_1, each on a
// reflection-padded input and followed by ReLU; 2x2 max-pooling after conv1_2 and conv2_2.
// Module names are the checkpoint's keys.
#pragma once
#include <torch/nn.h>

#include <array>
#include <filesystem>
#include <map>
#include <string>

namespace ganvas {

struct VggFeatures {
    torch::Tensor relu1_1, relu2_1, relu3_1;
};

class Vgg19Relu31Impl : public torch::nn::Module {
public:
    Vgg19Relu31Impl();
    // rgb: [N, 3, H, W] in [0, 1].
    VggFeatures forward(const torch::Tensor& rgb);
    // Copies a state dict with keys conv1..conv6 (.weight, .bias); Error naming `source` and the
    // key on a missing or misshapen tensor.
    void load_state(const std::map<std::string, torch::Tensor>& state, const std::string& source);

    std::array<torch::nn::Conv2d, 6> convs{nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
};
TORCH_MODULE(Vgg19Relu31);

// Loads a checkpoint in that layout through the .pth reader; the network is frozen (no gradients
// for its parameters) and in eval mode.
Vgg19Relu31 load_vgg19_relu31(const std::filesystem::path& path);

// Perceptual distance: the mean over relu1_1, relu2_1, relu3_1 of the mean absolute difference
// between the features of `a` and `b` (images in [0, 1]); gradients flow to both.
torch::Tensor perceptual_l1(Vgg19Relu31& vgg, const torch::Tensor& a, const torch::Tensor& b);

// The same against features computed once (typically without gradients, for fixed targets):
// `a` holds k * N images, compared image for image with each of the k repeats of the N targets'
// features (k = 1: one to one), so that targets seen k times are featurised once.
torch::Tensor perceptual_l1(Vgg19Relu31& vgg, const torch::Tensor& a, const VggFeatures& b);

}  // namespace ganvas
