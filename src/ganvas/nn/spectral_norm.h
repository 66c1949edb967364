// Spectral normalisation (Miyato et al., ICLR 2018) for convolutions and linear layers: the weight
// is divided by an estimate of its largest singular value, refined by one power iteration per
// training forward pass. LibTorch 1.13 has no spectral_norm; this is the wrapper. The estimate's
// left vector `u` is a buffer, so it is saved in and restored from checkpoints.
#pragma once
#include <torch/nn.h>

namespace ganvas {

// sigma(W) for W viewed as [rows, cols] (rows = output features): updates u (and returns v) with
// `iterations` power iterations when `update` is set; sigma = u^T W v carries gradients to W.
torch::Tensor spectral_sigma(const torch::Tensor& weight_matrix, torch::Tensor& u, bool update, int iterations = 1);

// `spectral` = false makes it a plain convolution (no u), so one unit can serve both uses.
// `refine`: whether a training-mode forward runs its power iteration; a model that evaluates a
// network several times per step refines on the first call only (set_power_iteration).
class SNConv2dImpl : public torch::nn::Module {
public:
    SNConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0, bool bias = true,
                 bool spectral = true);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor normalized_weight();  // weight / sigma (refines u in training mode)

    int64_t stride, padding;
    bool spectral = true, refine = true;
    torch::Tensor weight, bias, u;
};
TORCH_MODULE(SNConv2d);

class SNLinearImpl : public torch::nn::Module {
public:
    SNLinearImpl(int64_t in, int64_t out, bool bias = true);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor normalized_weight();

    bool refine = true;
    torch::Tensor weight, bias, u;
};
TORCH_MODULE(SNLinear);

// Switches the power iteration of every spectrally normalised layer under `module`.
void set_power_iteration(torch::nn::Module& module, bool refine);

}  // namespace ganvas
