// Fused element-wise operations (pointwise_kernels.h): differentiable, on the hand-written kernels
// where they run (AVX-512F or AVX2 + FMA, chosen at run time; GANVAS_POINTWISE_KERNELS=avx512|
// avx2|none forces one), else on LibTorch's operators with the same formulas. Float CPU tensors of
// one shape; any other input (double, CUDA, broadcasting) takes LibTorch's path. Differentiable
// once (their backward passes are kernels too, not recorded for a second derivative).
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

namespace ganvas {

std::string pointwise_isa();
std::vector<std::string> pointwise_isas();
void set_pointwise_isa(const std::string& isa);

// (x + sqrt(0.09 + x^2)) / 2: a smooth ReLU (SketchyGAN's released code).
torch::Tensor smooth_relu(const torch::Tensor& x);

// PReLU with one learnt slope: x > 0 ? x : slope * x; slope is a one-element tensor.
torch::Tensor prelu1(const torch::Tensor& x, const torch::Tensor& slope);

// sigmoid(p) * x.
torch::Tensor sigmoid_gate(const torch::Tensor& x, const torch::Tensor& p);

// (1 - n) * s + n * z with n = sigmoid(p).
torch::Tensor sigmoid_mix(const torch::Tensor& s, const torch::Tensor& z, const torch::Tensor& p);

}  // namespace ganvas
