#include "ganvas/nn/conv2d.h"

#include "ganvas/nn/winograd_conv.h"

#include <ATen/ops/mkldnn_convolution.h>
#include <torch/torch.h>

namespace ganvas {

namespace {
thread_local bool training_convolutions = false;
}  // namespace

TrainingConvolutions::TrainingConvolutions() : previous_(training_convolutions) { training_convolutions = true; }
TrainingConvolutions::~TrainingConvolutions() { training_convolutions = previous_; }

torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, int64_t stride,
                     int64_t padding) {
    const bool training = torch::GradMode::is_enabled() || training_convolutions;
    if (!training && x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
        x.size(0) == 1 && x.numel() <= 20480 && at::globalContext().userEnabledMkldnn()) {
        return at::mkldnn_convolution(x, weight, bias.defined() ? c10::optional<torch::Tensor>(bias) : c10::nullopt,
                                      {padding, padding}, {stride, stride}, {1, 1}, 1);
    }
    // Training only: oneDNN's matmul may split its sums differently with the threads at hand, and a
    // served model must give the same bits to concurrent and serial requests (test_contract).
    if (training && weight.size(-1) == 3 && winograd3x3_fits(x, weight, stride, padding) &&
        winograd3x3_pays(weight)) {
        return winograd3x3_conv2d(x, weight, bias, padding);
    }
    return torch::conv2d(x, weight, bias, stride, padding);
}

}  // namespace ganvas
