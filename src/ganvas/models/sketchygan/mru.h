// The Masked Residual Unit of SketchyGAN (Chen & Hays, CVPR 2018). For a feature map x and the
// input image I resized to x's size, [.,.] channel concatenation:
//   m = sigma(Conv([x, I]))          mask gate
//   z = f(Conv([m * x, I]))          new features (f: norm + activation)
//   n = sigma(Conv([x, I]))          mix gate
//   y = (1 - n) * x' + n * z         x' = x, or a 1x1 projection when channel counts differ
// `paper`: one 3x3 convolution for z as in the paper's equations; `released`: two 3x3
// convolutions with norm and activation, as the released TensorFlow code. Gate convolutions are
// never normalised. Pooling / upsampling around the unit belongs to the caller. The gates, the mix
// and the activations run fused (pointwise.h): one memory pass each way instead of one per operator.
#pragma once
#include "ganvas/nn/conditional_batch_norm.h"
#include "ganvas/nn/pointwise.h"  // smooth_relu
#include "ganvas/nn/spectral_norm.h"

#include <torch/nn.h>

#include <functional>
#include <string>

namespace ganvas {

enum class MruVariant { Paper, Released };

struct MruOptions {
    int64_t in = 0, out = 0, image = 3;  // channels of x, y and the injected image
    MruVariant variant = MruVariant::Paper;
    int64_t classes = 0;                 // > 0: class-conditional batch norm; 0: plain batch norm
    bool norm = true;                    // false: no normalisation (the discriminator's units)
    bool spectral = false;               // spectral normalisation on every convolution (the discriminator's)
    // The activation f: (x + sqrt(0.09 + x^2)) / 2 of the released code, or ReLU.
    std::string activation = "smooth";   // smooth | relu | prelu
};

class MruImpl : public torch::nn::Module {
public:
    explicit MruImpl(MruOptions options);
    // x: [N, in, H, W]; image: [N, image, H', W'] (resized to H x W here); labels: [N] for CBN.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& image, const torch::Tensor& labels = {});

    MruOptions options;
    SNConv2d mask{nullptr}, mix{nullptr}, conv1{nullptr}, conv2{nullptr}, project{nullptr};
    ContextBatchNorm2d bn1{nullptr}, bn2{nullptr};
    ConditionalBatchNorm2d cbn1{nullptr}, cbn2{nullptr};
    torch::nn::PReLU prelu{nullptr};

private:
    torch::Tensor norm_act(int which, const torch::Tensor& t, const torch::Tensor& labels);
};
TORCH_MODULE(Mru);

}  // namespace ganvas
