#include "ganvas/nn/vgg.h"

#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"
#include "ganvas/nn/conv2d.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace ganvas {
namespace F = torch::nn::functional;

Vgg19Relu31Impl::Vgg19Relu31Impl() {
    const int64_t channels[6][3] = {{3, 3, 1}, {3, 64, 3}, {64, 64, 3}, {64, 128, 3}, {128, 128, 3}, {128, 256, 3}};
    for (int i = 0; i < 6; ++i) {
        convs[i] = register_module(fmt::format("conv{}", i + 1),
                                   torch::nn::Conv2d(torch::nn::Conv2dOptions(channels[i][0], channels[i][1], channels[i][2])));
    }
}

namespace {

// Reflection padding by one pixel. LibTorch 1.13's reflection_pad2d works on NCHW only: a
// channels-last map would be copied to NCHW, padded, and copied back by the convolution (three
// passes forward, three backward); two concatenations keep the layout in one pass each.
torch::Tensor reflect_pad1(const torch::Tensor& t) {
    if (t.suggest_memory_format() != torch::MemoryFormat::ChannelsLast || t.size(2) < 2 || t.size(3) < 2) {
        return F::pad(t, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReflect));
    }
    const int64_t h = t.size(2), w = t.size(3);
    const auto rows = torch::cat({t.narrow(2, 1, 1), t, t.narrow(2, h - 2, 1)}, 2);
    return torch::cat({rows.narrow(3, 1, 1), rows, rows.narrow(3, w - 2, 1)}, 3).contiguous(torch::MemoryFormat::ChannelsLast);
}

}  // namespace

VggFeatures Vgg19Relu31Impl::forward(const torch::Tensor& rgb) {
    // Each 3x3 layer after reflection padding, through ganvas::conv2d (Winograd on channels-last maps).
    const auto conv = [&](int i, const torch::Tensor& t) {
        return ganvas::conv2d(reflect_pad1(t), convs[i]->weight, convs[i]->bias, 1, 0);
    };
    auto x = convs[0]->forward(rgb);
    VggFeatures f;
    f.relu1_1 = torch::relu(conv(1, x));
    x = torch::max_pool2d(torch::relu(conv(2, f.relu1_1)), 2);
    f.relu2_1 = torch::relu(conv(3, x));
    x = torch::max_pool2d(torch::relu(conv(4, f.relu2_1)), 2);
    f.relu3_1 = torch::relu(conv(5, x));
    return f;
}

void Vgg19Relu31Impl::load_state(const std::map<std::string, torch::Tensor>& state, const std::string& source) {
    torch::NoGradGuard no_grad;
    for (auto& p : named_parameters()) {
        const auto t = require_tensor(state, p.key(), source, p.value().sizes().vec());
        p.value().copy_(t.to(torch::kFloat));
    }
}

Vgg19Relu31 load_vgg19_relu31(const std::filesystem::path& path) {
    Vgg19Relu31 vgg;
    vgg->load_state(PthCheckpoint::read(path).state_dict(), path.string());
    vgg->eval();
    for (auto& p : vgg->parameters()) p.set_requires_grad(false);
    return vgg;
}

torch::Tensor perceptual_l1(Vgg19Relu31& vgg, const torch::Tensor& a, const torch::Tensor& b) {
    const auto fa = vgg->forward(a), fb = vgg->forward(b);
    return (torch::l1_loss(fa.relu1_1, fb.relu1_1) + torch::l1_loss(fa.relu2_1, fb.relu2_1) +
            torch::l1_loss(fa.relu3_1, fb.relu3_1)) /
           3.0;
}

torch::Tensor perceptual_l1(Vgg19Relu31& vgg, const torch::Tensor& a, const VggFeatures& b) {
    const auto fa = vgg->forward(a);
    const int64_t n = b.relu1_1.size(0);
    if (n < 1 || a.size(0) % n != 0) {
        throw Error(fmt::format("perceptual_l1: {} images against {} targets", a.size(0), n));
    }
    const auto distance = [&](const torch::Tensor& x, const torch::Tensor& y) {
        return (x.unflatten(0, {x.size(0) / n, n}) - y.unsqueeze(0)).abs().mean();
    };
    return (distance(fa.relu1_1, b.relu1_1) + distance(fa.relu2_1, b.relu2_1) + distance(fa.relu3_1, b.relu3_1)) / 3.0;
}

}  // namespace ganvas
