// The Inception-v3 of the standard FID, KID and Inception Score: TensorFlow's 2015-12-05 ImageNet
// graph (Szegedy et al., "Rethinking the Inception architecture", CVPR 2016) as pytorch-fid ports
// it (M. Seitzer, pt_inception-2015-12-05-6726825d.pth, a state dict in torchvision's
// Inception3 names, legacy .pth stream). The port's differences from torchvision's network are
// kept, since they change the numbers: average pools that do not count the padding in the A, C
// and first E blocks, a max pool in the last E block's pool branch, 1,008 classes.
//
// The user brings the weights file (ganvas downloads nothing). The network is built from the
// file: every kernel shape is checked against the architecture, and channel counts come from
// the tensors, so the tests run the same code on a narrow stand-in with random weights.
//
// Input: RGB in [0, 1], bilinearly resized to 299 x 299 and scaled to [-1, 1], as pytorch-fid.
#pragma once
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>

namespace ganvas {

struct InceptionOutput {
    torch::Tensor pool;    // [N, C] global average of Mixed_7c (C = 2048 for the real weights)
    torch::Tensor logits;  // [N, classes] (1,008 for the real weights)
};

class FidInception {
public:
    // Error naming `source` and the tensor when one is missing or misshapen.
    FidInception(std::map<std::string, torch::Tensor> state, const std::string& source);
    // rgb: [N, 3, H, W] in [0, 1], any size; in inference mode, float32, on the CPU.
    InceptionOutput forward(const torch::Tensor& rgb) const;
    int64_t feature_size() const { return feature_size_; }
    int64_t classes() const { return classes_; }

private:
    InceptionOutput run(torch::Tensor x) const;  // x: [N, 3, H >= 75, W >= 75] in [-1, 1]
    torch::Tensor conv(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor block_a(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor block_b(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor block_c(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor block_d(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor block_e(const torch::Tensor& x, const std::string& name, bool max_pool) const;

    struct Conv {
        torch::Tensor weight, scale, shift;  // batch norm folded into a per-channel scale and shift
        int64_t stride = 1;
        std::vector<int64_t> padding;
    };
    std::map<std::string, Conv> convs_;
    torch::Tensor fc_weight_, fc_bias_;
    int64_t feature_size_ = 0, classes_ = 0;
};

// Reads the weights through the .pth reader (zip or legacy stream).
FidInception load_fid_inception(const std::filesystem::path& path);

}  // namespace ganvas
