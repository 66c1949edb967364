#include "ganvas/nn/spectral_norm.h"

#include <ATen/ops/mkldnn_convolution.h>
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
    const auto w = normalized_weight();
    // LibTorch 1.13 sends a batch-1 convolution of a small map (N*C*H*W <= 20480) with a 3x3 or
    // smaller kernel to its unblocked im2col path, which is several times slower than oneDNN's on
    // channels-last maps (a SketchyGAN generator's 8x8 and 4x4 levels when it translates one
    // sketch). Without autograd, oneDNN is called directly; training keeps LibTorch's dispatch.
    if (!torch::GradMode::is_enabled() && x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
        x.size(0) == 1 && x.numel() <= 20480 && at::globalContext().userEnabledMkldnn()) {
        return at::mkldnn_convolution(x, w, bias.defined() ? c10::optional<torch::Tensor>(bias) : c10::nullopt,
                                      {padding, padding}, {stride, stride}, {1, 1}, 1);
    }
    return torch::conv2d(x, w, bias, stride, padding);
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
