// Transposed convolutions on oneDNN.
//
// LibTorch 1.13 has no oneDNN transposed convolution on CPU: ConvTranspose2d runs im2col + GEMM
// (slow_conv_transpose2d). A transposed convolution is the input-gradient of the convolution with
// the same weight, which oneDNN does have: forward = conv backward-data, backward-data = conv
// forward, backward-weights = conv backward-weights with input and output swapped. Same math
// (summation order aside); on this CPU 2-3x faster for feature maps of 32x32 and more, slower on
// the tiny maps at the bottom of a U-Net (docs/RESULTS.md), hence the per-call choice.
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

namespace ganvas {

enum class ConvTransposePath {
    Reference,  // torch::conv_transpose2d
    Onednn,     // through oneDNN's convolution backward-data
    Auto,       // small_conv_transpose2d where it fits (small_conv.h), else Onednn on CPU when the
                // input maps have at least kOnednnMinPixels pixels, batch included (style2paints'
                // 8x8 maps in batches of 8: 45 ms a call in LibTorch's channels-last im2col path),
                // else Reference
};

inline constexpr int64_t kOnednnMinPixels = 16 * 16;

// y = conv_transpose2d(x, weight, bias, stride, padding, output_padding); weight [Cin, Cout, k, k].
torch::Tensor conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                               int64_t stride, int64_t padding, int64_t output_padding,
                               ConvTransposePath path = ConvTransposePath::Auto);

// torch::nn's default initialisation of a (transposed) convolution's parameters, in place:
// kaiming_uniform(a = sqrt(5)) for the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for a defined
// bias, with LibTorch's fan_in: weight.size(1) * k * k.
void init_conv_parameters(torch::Tensor& weight, torch::Tensor& bias);

struct ConvTranspose2dSpec {
    int64_t in_channels = 0, out_channels = 0, kernel = 4, stride = 2, padding = 1, output_padding = 0;
    bool bias = true;
};

// Drop-in for torch::nn::ConvTranspose2d: parameters "weight" [Cin, Cout, k, k] and "bias", the
// same names, shapes and default initialisation, so state dicts map key for key.
class FastConvTranspose2dImpl : public torch::nn::Module {
public:
    explicit FastConvTranspose2dImpl(ConvTranspose2dSpec spec, ConvTransposePath path = ConvTransposePath::Auto);
    torch::Tensor forward(const torch::Tensor& x);
    void set_path(ConvTransposePath path) { path_ = path; }

    torch::Tensor weight, bias;

private:
    ConvTranspose2dSpec spec_;
    ConvTransposePath path_;
};
TORCH_MODULE(FastConvTranspose2d);

}  // namespace ganvas
