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

namespace {
bool training_route() { return torch::GradMode::is_enabled() || training_convolutions; }

bool takes_winograd(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride, int64_t padding) {
    return weight.size(-1) == 3 && winograd3x3_fits(x, weight, stride, padding) && winograd3x3_pays(weight);
}
}  // namespace

torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, int64_t stride,
                     int64_t padding) {
    const bool training = training_route();
    if (!training && x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
        x.size(0) == 1 && x.numel() <= 20480 && at::globalContext().userEnabledMkldnn()) {
        return at::mkldnn_convolution(x, weight, bias.defined() ? c10::optional<torch::Tensor>(bias) : c10::nullopt,
                                      {padding, padding}, {stride, stride}, {1, 1}, 1);
    }
    // Training only: oneDNN's matmul may split its sums differently with the threads at hand, and a
    // served model must give the same bits to concurrent and serial requests (test_contract).
    if (training && takes_winograd(x, weight, stride, padding)) return winograd3x3_conv2d(x, weight, bias, padding);
    return torch::conv2d(x, weight, bias, stride, padding);
}

std::pair<torch::Tensor, torch::Tensor> conv2d_pair(const torch::Tensor& x, const torch::Tensor& weight1,
                                                    const torch::Tensor& bias1, const torch::Tensor& weight2,
                                                    const torch::Tensor& bias2, int64_t padding) {
    if (training_route() && takes_winograd(x, weight1, 1, padding) && takes_winograd(x, weight2, 1, padding)) {
        return winograd3x3_conv2d_pair(x, weight1, bias1, weight2, bias2, padding);
    }
    return {conv2d(x, weight1, bias1, 1, padding), conv2d(x, weight2, bias2, 1, padding)};
}

}  // namespace ganvas
