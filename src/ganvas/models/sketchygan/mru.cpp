#include "ganvas/models/sketchygan/mru.h"

#include "ganvas/core/error.h"
#include "ganvas/nn/conv2d.h"

#include <torch/torch.h>

namespace ganvas {
namespace nn = torch::nn;


MruImpl::MruImpl(MruOptions o) : options(std::move(o)) {
    const auto& op = options;
    if (op.in < 1 || op.out < 1 || op.image < 1) throw UsageError("MRU channel counts must be positive");
    if (op.activation != "smooth" && op.activation != "relu" && op.activation != "prelu") {
        throw UsageError("MRU activation: '" + op.activation + "' is not one of smooth, relu, prelu");
    }
    const auto conv3 = [&](int64_t in, int64_t out, bool bias) { return SNConv2d(in, out, 3, 1, 1, bias, op.spectral); };
    mask = register_module("mask", conv3(op.in + op.image, op.in, true));
    mix = register_module("mix", conv3(op.in + op.image, op.out, true));
    conv1 = register_module("conv1", conv3(op.in + op.image, op.out, !op.norm));
    if (op.variant == MruVariant::Released) conv2 = register_module("conv2", conv3(op.out, op.out, !op.norm));
    if (op.in != op.out) project = register_module("project", SNConv2d(op.in, op.out, 1, 1, 0, true, op.spectral));
    if (op.norm) {
        const int n = op.variant == MruVariant::Released ? 2 : 1;
        for (int i = 1; i <= n; ++i) {
            if (op.classes > 0) (i == 1 ? cbn1 : cbn2) = register_module("cbn" + std::to_string(i), ConditionalBatchNorm2d(op.out, op.classes));
            else (i == 1 ? bn1 : bn2) = register_module("bn" + std::to_string(i), ContextBatchNorm2d(op.out));
        }
    }
    if (op.activation == "prelu") prelu = register_module("prelu", nn::PReLU(nn::PReLUOptions().init(0.2)));
}

torch::Tensor MruImpl::norm_act(int which, const torch::Tensor& t, const torch::Tensor& labels) {
    torch::Tensor h = t;
    if (options.norm) {
        if (options.classes > 0) h = (which == 1 ? cbn1 : cbn2)->forward(h, labels);
        else h = (which == 1 ? bn1 : bn2)->forward(h);
    }
    if (options.activation == "relu") return torch::relu(h);
    if (options.activation == "prelu") return prelu1(h, prelu->weight);
    return smooth_relu(h);
}

torch::Tensor MruImpl::forward(const torch::Tensor& x, const torch::Tensor& image, const torch::Tensor& labels) {
    if (options.norm && options.classes > 0 && !labels.defined()) throw Error("this MRU is class-conditional: labels needed");
    torch::Tensor img = image;
    if (image.size(2) != x.size(2) || image.size(3) != x.size(3)) {
        img = nn::functional::interpolate(image, nn::functional::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{x.size(2), x.size(3)})
                                                     .mode(torch::kBilinear)
                                                     .align_corners(false));
    }
    const auto xi = torch::cat({x, img}, 1);
    // The mask and the mix read the same input: one pass over it where both run by Winograd.
    const auto [mask_logits, mix_logits] =
        conv2d_pair(xi, mask->normalized_weight(), mask->bias, mix->normalized_weight(), mix->bias, mask->padding);
    auto z = norm_act(1, conv1->forward(torch::cat({sigmoid_gate(x, mask_logits), img}, 1)), labels);
    if (options.variant == MruVariant::Released) z = norm_act(2, conv2->forward(z), labels);
    const auto skip = project ? project->forward(x) : x;
    return sigmoid_mix(skip, z, mix_logits);
}

}  // namespace ganvas
