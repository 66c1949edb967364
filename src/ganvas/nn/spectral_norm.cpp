#include "ganvas/nn/spectral_norm.h"

#include "ganvas/nn/conv2d.h"

#include <torch/torch.h>

#include <cmath>

namespace ganvas {

torch::Tensor spectral_sigma(const torch::Tensor& w, torch::Tensor& u, bool update, int iterations) {
    torch::Tensor v;
    {
        torch::NoGradGuard no_grad;
        auto wd = w.detach();
        v = torch::nn::functional::normalize(torch::mv(wd.t(), u), torch::nn::functional::NormalizeFuncOptions().dim(0).eps(1e-12));
        if (update) {
            for (int i = 0; i < iterations; ++i) {
                u.copy_(torch::nn::functional::normalize(torch::mv(wd, v), torch::nn::functional::NormalizeFuncOptions().dim(0).eps(1e-12)));
                v = torch::nn::functional::normalize(torch::mv(wd.t(), u), torch::nn::functional::NormalizeFuncOptions().dim(0).eps(1e-12));
            }
        }
    }
    return torch::dot(u, torch::mv(w, v));
}

namespace {

torch::Tensor initial_u(int64_t rows) {
    return torch::nn::functional::normalize(torch::randn({rows}), torch::nn::functional::NormalizeFuncOptions().dim(0));
}

}  // namespace

SNConv2dImpl::SNConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride_, int64_t padding_, bool with_bias,
                           bool spectral_)
    : stride(stride_), padding(padding_), spectral(spectral_) {
    // LibTorch's default initialisation, then its tensors.
    torch::nn::Conv2d plain(torch::nn::Conv2dOptions(in, out, kernel).bias(with_bias));
    weight = register_parameter("weight", plain->weight.detach().clone());
    if (with_bias) bias = register_parameter("bias", plain->bias.detach().clone());
    if (spectral) u = register_buffer("u", initial_u(out));
}

torch::Tensor SNConv2dImpl::normalized_weight() {
    if (!spectral) return weight;
    const auto sigma = spectral_sigma(weight.reshape({weight.size(0), -1}), u, is_training() && refine);
    return weight / sigma;
}

torch::Tensor SNConv2dImpl::forward(const torch::Tensor& x) {
    return ganvas::conv2d(x, normalized_weight(), bias, stride, padding);  // conv2d.h: the small-map inference path
}

SNLinearImpl::SNLinearImpl(int64_t in, int64_t out, bool with_bias) {
    torch::nn::Linear plain(torch::nn::LinearOptions(in, out).bias(with_bias));
    weight = register_parameter("weight", plain->weight.detach().clone());
    if (with_bias) bias = register_parameter("bias", plain->bias.detach().clone());
    u = register_buffer("u", initial_u(out));
}

torch::Tensor SNLinearImpl::normalized_weight() { return weight / spectral_sigma(weight, u, is_training() && refine); }

torch::Tensor SNLinearImpl::forward(const torch::Tensor& x) { return torch::linear(x, normalized_weight(), bias); }

void set_power_iteration(torch::nn::Module& module, bool refine) {
    for (auto& m : module.modules()) {
        if (auto* c = m->as<SNConv2dImpl>()) c->refine = refine;
        if (auto* l = m->as<SNLinearImpl>()) l->refine = refine;
    }
}

}  // namespace ganvas
