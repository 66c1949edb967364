// Convolutions on feature maps of a few pixels, through small_conv_kernels (AVX-512 or AVX2 + FMA).
//
// Differentiable: forward, input gradient and weight gradient each make one pass over the plain
// weight tensor (no reorder, no copy of it). Used where the small side of a convolution (its
// output for a convolution, its input for a transposed one, batch included) has at most
// kSmallConvMaxPixels pixels; the U-Net 256's four innermost levels.
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace ganvas {

inline constexpr int64_t kSmallConvMaxPixels = 64;

// True where a kernel set runs: a build with the x86 kernels on a CPU with AVX-512F or AVX2 + FMA,
// unless GANVAS_SMALL_CONV_KERNELS=none (or the older GANVAS_SMALL_CONV=0) says otherwise.
bool small_conv_enabled();

// The instruction set in use ("avx512", "avx2" or "none"), those this CPU and build can run (best
// first), and a switch between them (tests, benchmarks; not while convolutions run). The first
// use takes GANVAS_SMALL_CONV_KERNELS=avx512|avx2|none, else the best available.
std::string small_conv_isa();
std::vector<std::string> small_conv_isas();
void set_small_conv_isa(const std::string& isa);

// Whether small_conv2d / small_conv_transpose2d take these arguments, and the maps are small enough.
bool small_conv_fits(const torch::Tensor& x, const torch::Tensor& weight, bool transposed, int64_t stride,
                     int64_t padding, int64_t output_padding);

// conv2d(x, weight, {}, stride, padding) with weight [O, I, k, k], no bias.
torch::Tensor small_conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride, int64_t padding);

// conv_transpose2d(x, weight, {}, stride, padding, output_padding) with weight [I, O, k, k], no bias.
torch::Tensor small_conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                                     int64_t padding, int64_t output_padding);

struct Conv2dSpec {
    int64_t in_channels = 0, out_channels = 0, kernel = 4, stride = 2, padding = 1;
    bool bias = true;
};

// Drop-in for torch::nn::Conv2d (groups 1, dilation 1, zero padding): parameters "weight"
// [O, I, k, k] and "bias", the same names, shapes and default initialisation. Where fast_kernels
// allows, runs small_conv2d where it fits, else winograd_conv2d (winograd_conv.h) where that fits,
// else for 3x3 filters ganvas::conv2d (conv2d.h), else LibTorch's conv2d.
class FastConv2dImpl : public torch::nn::Module {
public:
    explicit FastConv2dImpl(Conv2dSpec spec, bool fast_kernels = true);
    torch::Tensor forward(const torch::Tensor& x);
    const Conv2dSpec& spec() const { return spec_; }

    torch::Tensor weight, bias;

private:
    Conv2dSpec spec_;
    bool fast_kernels_;
};
TORCH_MODULE(FastConv2d);

}  // namespace ganvas
