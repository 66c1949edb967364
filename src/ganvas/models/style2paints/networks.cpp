#include "ganvas/models/style2paints/networks.h"

#include "ganvas/nn/conv_transpose.h"
#include "ganvas/nn/inference_context.h"
#include "ganvas/nn/small_conv.h"

#include <torch/torch.h>

#include <algorithm>

namespace ganvas {
namespace nn = torch::nn;

namespace {

constexpr int64_t kLevels = 4;  // full, 1/2, 1/4, 1/8; the middle runs at 1/16

int64_t level_width(const Style2PaintsOptions& o, int64_t level) { return o.ngf * std::min<int64_t>(1LL << level, 8); }

// A 3x3, stride-1, padding-1 convolution: FastConv2d, so that training on channels-last maps runs
// it by Winograd F(4x4, 3x3) (conv2d.h). Same parameters, names and initialisation as nn::Conv2d.
FastConv2d conv3(int64_t in, int64_t out, bool bias = true) {
    Conv2dSpec spec;
    spec.in_channels = in, spec.out_channels = out, spec.kernel = 3, spec.stride = 1, spec.padding = 1, spec.bias = bias;
    return FastConv2d(spec);
}

nn::LeakyReLU leaky() { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)); }

// A 4x4, stride-2 convolution halving the map: FastConv2d, so that the small maps of inference run
// on the project's small-map kernels (small_conv.h); LibTorch's dispatch elsewhere.
nn::Sequential down(int64_t in, int64_t out, bool norm = true) {
    Conv2dSpec spec;
    spec.in_channels = in, spec.out_channels = out, spec.kernel = 4, spec.stride = 2, spec.padding = 1, spec.bias = !norm;
    nn::Sequential s{FastConv2d(spec)};
    if (norm) s->push_back(ContextBatchNorm2d(out));
    s->push_back(leaky());
    return s;
}

// A 4x4, stride-2 transposed convolution doubling the map: FastConvTranspose2d, which runs on
// oneDNN (LibTorch 1.13 has only im2col + GEMM for it on CPU) or the small-map kernels.
nn::Sequential upsample(int64_t in, int64_t out) {
    return nn::Sequential(FastConvTranspose2d(ConvTranspose2dSpec{in, out, 4, 2, 1, 0, /*bias=*/false}),
                          ContextBatchNorm2d(out), nn::ReLU());
}

// A decoder without skips: 1/16 resolution -> a full-size RGB image in [-1, 1].
nn::Sequential guide_decoder(const Style2PaintsOptions& o) {
    nn::Sequential s;
    int64_t in = level_width(o, kLevels);
    for (int64_t level = kLevels - 1; level >= 0; --level) {
        s->extend(*upsample(in, level_width(o, level)));
        in = level_width(o, level);
    }
    s->push_back(conv3(in, 3));
    s->push_back(nn::Tanh());
    return s;
}

}  // namespace

ResidualBlockImpl::ResidualBlockImpl(int64_t channels) {
    body = register_module(
        "body", nn::Sequential(conv3(channels, channels, false),
                               ContextBatchNorm2d(channels), nn::ReLU(),
                               conv3(channels, channels, false),
                               ContextBatchNorm2d(channels)));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) { return x + body->forward(x); }

StyleHintImpl::StyleHintImpl(int64_t feature_dim, int64_t hint_width) {
    dense = register_module("dense", nn::Linear(feature_dim, hint_width));
    scale = register_buffer("scale", torch::ones({feature_dim}));
}

torch::Tensor StyleHintImpl::scaled(const torch::Tensor& features) const {
    TORCH_CHECK(features.dim() == 2 && features.size(1) == scale.size(0), "style features must be [N, ",
                scale.size(0), "], got ", features.sizes());
    return features / scale;
}

torch::Tensor StyleHintImpl::forward(const torch::Tensor& scaled_features) {
    const auto h = dense->forward(scaled_features);
    const auto mean = h.mean(1, /*keepdim=*/true);
    const auto var = (h - mean).pow(2).mean(1, /*keepdim=*/true);
    return (h - mean) * torch::rsqrt(var + 1e-5);
}

Style2PaintsGeneratorImpl::Style2PaintsGeneratorImpl(const Style2PaintsOptions& o) : levels_(kLevels) {
    encoder = register_module("encoder", nn::ModuleList());
    for (int64_t level = 0; level < kLevels; ++level) {
        const int64_t w = level_width(o, level);
        nn::Sequential s;
        if (level == 0) {
            s->push_back(conv3(1, w));
            s->push_back(leaky());
        } else {
            s->extend(*down(level_width(o, level - 1), w));
        }
        s->push_back(ResidualBlock(w));
        encoder->push_back(s);
    }
    const int64_t mid = level_width(o, kLevels);
    entry = register_module("entry", down(level_width(o, kLevels - 1), mid));
    middle = register_module("middle", nn::ModuleList());
    hint_proj = register_module("hint_proj", nn::ModuleList());
    for (int64_t b = 0; b < o.middle_blocks; ++b) {
        middle->push_back(ResidualBlock(mid));
        hint_proj->push_back(nn::Linear(o.hint_width, mid));
    }
    up = register_module("up", nn::ModuleList());
    fuse = register_module("fuse", nn::ModuleList());
    for (int64_t level = kLevels - 1; level >= 0; --level) {
        const int64_t w = level_width(o, level);
        up->push_back(upsample(level_width(o, level + 1), w));
        fuse->push_back(nn::Sequential(conv3(2 * w, w, false),
                                       ContextBatchNorm2d(w), nn::ReLU(), ResidualBlock(w)));
    }
    head = register_module("head", nn::Sequential(conv3(level_width(o, 0), 3),
                                                  nn::Tanh()));
    if (o.guides) {
        guide1 = register_module("guide1", guide_decoder(o));
        guide2 = register_module("guide2", guide_decoder(o));
    }
}

GeneratorOutputs Style2PaintsGeneratorImpl::forward(const torch::Tensor& lineart, const torch::Tensor& hint) {
    TORCH_CHECK(lineart.dim() == 4 && lineart.size(1) == 1 && lineart.size(2) % 16 == 0 && lineart.size(3) % 16 == 0,
                "style2paints generator input must be [N, 1, H, W] with H, W multiples of 16, got ", lineart.sizes());
    std::vector<torch::Tensor> skips;
    torch::Tensor x = lineart;
    for (const auto& level : *encoder) {
        x = level->as<nn::Sequential>()->forward(x);
        skips.push_back(x);
    }
    x = entry->forward(x);
    GeneratorOutputs out;
    if (guide1) out.guide1 = guide1->forward(x);
    for (size_t b = 0; b < middle->size(); ++b) {
        if (hint.defined()) {
            const auto h = hint_proj[b]->as<nn::Linear>()->forward(hint);
            x = x + h.view({h.size(0), h.size(1), 1, 1});
        } else {
            // No hint: the projection of an all-zero vector, its bias.
            x = x + hint_proj[b]->as<nn::Linear>()->bias.view({1, -1, 1, 1});
        }
        x = middle[b]->as<ResidualBlock>()->forward(x);
    }
    if (guide2) out.guide2 = guide2->forward(x);
    for (size_t i = 0; i < up->size(); ++i) {
        x = up[i]->as<nn::Sequential>()->forward(x);
        x = fuse[i]->as<nn::Sequential>()->forward(torch::cat({skips[skips.size() - 1 - i], x}, 1));
    }
    out.output = head->forward(x);
    return out;
}

std::vector<torch::Tensor> Style2PaintsGeneratorImpl::middle_parameters() const { return middle->parameters(); }

Style2PaintsDiscriminatorImpl::Style2PaintsDiscriminatorImpl(const Style2PaintsOptions& o, int64_t feature_dim) {
    body = register_module("body", nn::Sequential());
    int64_t in = 3;
    for (int64_t level = 0; level < 4; ++level) {
        const int64_t w = o.ndf * (1LL << level);
        body->extend(*down(in, w, /*norm=*/level > 0));
        in = w;
    }
    adversarial = register_module("adversarial", nn::Conv2d(nn::Conv2dOptions(in, 1, 3).padding(1)));
    style_head = register_module("style_head", nn::Linear(in, feature_dim));
}

DiscriminatorOutputs Style2PaintsDiscriminatorImpl::forward(const torch::Tensor& painting) {
    const auto f = body->forward(painting);
    return {adversarial->forward(f), style_head->forward(f.mean({2, 3}))};
}

void init_style2paints_weights(torch::nn::Module& module) {
    torch::NoGradGuard no_grad;
    const auto init = [](torch::Tensor& weight, torch::Tensor& bias, double mean) {
        weight.normal_(mean, 0.02);
        if (bias.defined()) bias.zero_();
    };
    for (auto& m : module.modules(/*include_self=*/true)) {
        if (auto* conv = m->as<nn::Conv2d>()) {
            init(conv->weight, conv->bias, 0.0);
        } else if (auto* fast = m->as<FastConv2dImpl>()) {
            init(fast->weight, fast->bias, 0.0);
        } else if (auto* convt = m->as<FastConvTranspose2dImpl>()) {
            init(convt->weight, convt->bias, 0.0);
        } else if (auto* linear = m->as<nn::Linear>()) {
            init(linear->weight, linear->bias, 0.0);
        } else if (auto* bn = m->as<ContextBatchNorm2dImpl>()) {
            init(bn->weight, bn->bias, 1.0);
        }
    }
}

}  // namespace ganvas
