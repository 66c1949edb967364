// 4x4 stride-1 convolutions by Winograd F(3x3, 4x4) (winograd_kernels.h): the PatchGAN's
// 256 -> 512 layer, the largest single cost of a pix2pix step. And 3x3 ones by F(4x4, 3x3), below.
//
// oneDNN has no Winograd path for 4x4 filters, and its direct convolution spends 16 multiply-adds
// per output and weight; here the forward pass, the input gradient and the weight gradient each
// become 36 matrix products (oneDNN's batched matmul) with 2.25 multiply-adds per output, between
// transforms that cost a few memory passes. The result is the same convolution with a different
// rounding: about 1e-5 of the output's range in float32 against 3e-7 for the direct sum
// (measured in the tests), the trade cuDNN and oneDNN make by default for 3x3 filters.
#pragma once
#include <utility>
#include <torch/types.h>

#include <string>
#include <vector>

namespace ganvas {

// True where a transform set runs: a build with the x86 kernels on a CPU with AVX-512F or AVX2 +
// FMA, unless GANVAS_WINOGRAD_KERNELS=none (or the older GANVAS_WINOGRAD=0) says otherwise.
bool winograd_enabled();

// As for small_conv_isa (small_conv.h), chosen by GANVAS_WINOGRAD_KERNELS=avx512|avx2|none.
std::string winograd_isa();
std::vector<std::string> winograd_isas();
void set_winograd_isa(const std::string& isa);

// Whether winograd_conv2d takes these arguments: float CPU tensors, a [K, C, 4, 4] weight, stride
// 1, and maps and channel counts large enough (C, K >= 32, output >= 12x12) for it to pay.
bool winograd_fits(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride, int64_t padding);

// conv2d(x, weight, {}, 1, padding) with weight [K, C, 4, 4], no bias; differentiable in both.
torch::Tensor winograd_conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t padding);

// 3x3 stride-1 convolutions by Winograd F(4x4, 3x3) on channels-last maps (winograd_kernels.h,
// Kernels43): SketchyGAN's MRU convolutions and the VGG loss network. Same transform set choice
// (GANVAS_WINOGRAD_KERNELS) as above.
//
// Whether winograd3x3_conv2d takes these arguments: float CPU tensors, x channels-last, a
// [K, C, 3, 3] weight, stride 1, padding 0 or 1, at least 16 input and output channels, and an
// output of at least 8x8 (below that the transforms cost more than the products save).
bool winograd3x3_fits(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride, int64_t padding);

// Whether, for a convolution that fits, Winograd is expected to beat oneDNN's direct convolution
// in training (forward + backward): the batched products multiply-add min(C, K) times per
// transformed value, so with few channels the transforms' memory traffic dominates. Measured with
// bench/conv3x3_layers (docs/RESULTS.md, style2paints speed) on 2 threads: with 32 channels or more
// on both sides Winograd was 1.16-2.26x faster, with 16 on either side 0.56-0.66x.
inline constexpr int64_t kWinogradMinChannels = 32;
bool winograd3x3_pays(const torch::Tensor& weight);

// conv2d(x, weight, bias, 1, padding) with weight [K, C, 3, 3] and bias [K] or undefined; the
// output is channels-last; differentiable in all three.
torch::Tensor winograd3x3_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                 int64_t padding);

// The two convolutions {conv2d(x, weight1, bias1), conv2d(x, weight2, bias2)} of one input (3x3,
// stride 1, the same padding; each fits): one input transform for the forward pass and one for
// the weight gradients, and one input-gradient map for both. Differentiable in all five.
std::pair<torch::Tensor, torch::Tensor> winograd3x3_conv2d_pair(const torch::Tensor& x, const torch::Tensor& weight1,
                                                                const torch::Tensor& bias1, const torch::Tensor& weight2,
                                                                const torch::Tensor& bias2, int64_t padding);

}  // namespace ganvas
