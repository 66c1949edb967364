#include "ganvas/nn/conv_transpose.h"

#include "ganvas/nn/small_conv.h"

#include <torch/torch.h>

#include <cmath>

namespace ganvas {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class OnednnConvTranspose : public torch::autograd::Function<OnednnConvTranspose> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                                 int64_t stride, int64_t padding,
                                 int64_t output_padding) {
        const int64_t k = weight.size(2);
        const int64_t h = (x.size(2) - 1) * stride - 2 * padding + k + output_padding;
        const int64_t w = (x.size(3) - 1) * stride - 2 * padding + k + output_padding;
        // Only the shape (and memory format) of the convolution's "input" is read.
        auto shape_of_y = at::empty({x.size(0), weight.size(1), h, w},
                                    x.options().memory_format(x.suggest_memory_format()));
        auto y = std::get<0>(at::convolution_backward(x, shape_of_y, weight, c10::nullopt, {stride, stride},
                                                      {padding, padding}, {1, 1}, false, {0, 0}, 1,
                                                      {true, false, false}));
        ctx->save_for_backward({x, weight});
        ctx->saved_data["stride"] = stride;
        ctx->saved_data["padding"] = padding;
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const auto& weight = saved[1];
        const int64_t stride = ctx->saved_data["stride"].toInt();
        const int64_t padding = ctx->saved_data["padding"].toInt();
        auto gy = grads[0].contiguous(x.suggest_memory_format());
        torch::Tensor gx, gw;
        if (ctx->needs_input_grad(0)) {
            gx = at::convolution(gy, weight, {}, {stride, stride}, {padding, padding}, {1, 1}, false, {0, 0}, 1);
        }
        if (ctx->needs_input_grad(1)) {
            gw = std::get<1>(at::convolution_backward(x, gy, weight, c10::nullopt, {stride, stride},
                                                      {padding, padding}, {1, 1}, false, {0, 0}, 1,
                                                      {false, true, false}));
        }
        return {gx, gw, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

torch::Tensor conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                               int64_t stride, int64_t padding, int64_t output_padding, ConvTransposePath path) {
    if (path == ConvTransposePath::Auto && small_conv_fits(x, weight, true, stride, padding, output_padding)) {
        auto y = small_conv_transpose2d(x, weight, stride, padding, output_padding);
        return bias.defined() ? y + bias.view({1, -1, 1, 1}) : y;
    }
    bool onednn = path == ConvTransposePath::Onednn;
    if (path == ConvTransposePath::Auto) {
        onednn = x.device().is_cpu() && x.scalar_type() == torch::kFloat && at::globalContext().userEnabledMkldnn() &&
                 x.size(0) * x.size(2) * x.size(3) >= kOnednnMinPixels;
    }
    if (!onednn) {
        return torch::conv_transpose2d(x, weight, bias, stride, padding, output_padding);
    }
    // An undefined tensor cannot pass through a custom autograd function: the bias is added outside.
    auto y = OnednnConvTranspose::apply(x, weight, stride, padding, output_padding);
    return bias.defined() ? y + bias.view({1, -1, 1, 1}) : y;
}

void init_conv_parameters(torch::Tensor& weight, torch::Tensor& bias) {
    torch::NoGradGuard no_grad;
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (bias.defined()) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(weight.size(1) * weight.size(2) * weight.size(3)));
        bias.uniform_(-bound, bound);
    }
}

FastConvTranspose2dImpl::FastConvTranspose2dImpl(ConvTranspose2dSpec spec, ConvTransposePath path)
    : spec_(spec), path_(path) {
    weight = register_parameter("weight",
                                torch::empty({spec.in_channels, spec.out_channels, spec.kernel, spec.kernel}));
    if (spec.bias) bias = register_parameter("bias", torch::empty({spec.out_channels}));
    init_conv_parameters(weight, bias);
}

torch::Tensor FastConvTranspose2dImpl::forward(const torch::Tensor& x) {
    return conv_transpose2d(x, weight, bias, spec_.stride, spec_.padding, spec_.output_padding, path_);
}

}  // namespace ganvas
