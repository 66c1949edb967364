#include "ganvas/models/pix2pix/networks.h"

#include "ganvas/core/error.h"

#include <torch/torch.h>

#include <cmath>

namespace ganvas {
namespace nn = torch::nn;

namespace {

// The reference decides conv biases from the norm: only instance norm keeps them (its `use_bias`,
// which is also false for norm "none").
bool conv_bias(NormKind norm) { return norm == NormKind::Instance; }

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool bias) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias));
}

nn::LeakyReLU leaky() { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)); }

}  // namespace

NormKind parse_norm(const std::string& name) {
    if (name == "batch") return NormKind::Batch;
    if (name == "instance") return NormKind::Instance;
    if (name == "none") return NormKind::None;
    throw UsageError("--norm: '" + name + "' is not one of batch, instance, none");
}

nn::AnyModule make_norm(NormKind kind, int64_t channels) {
    switch (kind) {
        case NormKind::Batch: return nn::AnyModule(ContextBatchNorm2d(channels));
        case NormKind::Instance: return nn::AnyModule(nn::InstanceNorm2d(channels));
        case NormKind::None: return nn::AnyModule(nn::Identity());
    }
    throw Error("unknown norm");
}

UnetLevelImpl::UnetLevelImpl(int64_t outer_nc, int64_t inner_nc, int64_t input_nc, Role role, nn::AnyModule inner,
                             NormKind norm, bool dropout, ConvTransposePath path)
    : outermost_(role == Role::Outermost) {
    const bool bias = conv_bias(norm);
    auto down = FastConv2d(Conv2dSpec{input_nc, inner_nc, 4, 2, 1, bias}, path == ConvTransposePath::Auto);
    auto up = [&](int64_t in, bool with_bias) {
        return FastConvTranspose2d(ConvTranspose2dSpec{in, outer_nc, 4, 2, 1, 0, with_bias}, path);
    };
    model = nn::Sequential();
    switch (role) {
        case Role::Outermost:
            model->push_back(down);
            model->push_back(std::move(inner));
            model->push_back(nn::ReLU());
            model->push_back(up(inner_nc * 2, true));
            model->push_back(nn::Tanh());
            break;
        case Role::Innermost:
            model->push_back(leaky());
            model->push_back(down);
            model->push_back(nn::ReLU());
            model->push_back(up(inner_nc, bias));
            model->push_back(make_norm(norm, outer_nc));
            break;
        case Role::Middle:
            model->push_back(leaky());
            model->push_back(down);
            model->push_back(make_norm(norm, inner_nc));
            model->push_back(std::move(inner));
            model->push_back(nn::ReLU());
            model->push_back(up(inner_nc * 2, bias));
            model->push_back(make_norm(norm, outer_nc));
            if (dropout) model->push_back(ContextDropout(0.5));
            break;
    }
    register_module("model", model);
}

torch::Tensor UnetLevelImpl::forward(const torch::Tensor& x) {
    if (outermost_) return model->forward(x);
    return torch::cat({x, model->forward(x)}, 1);
}

UnetGeneratorImpl::UnetGeneratorImpl(int64_t input_nc, int64_t output_nc, int64_t levels, int64_t ngf, NormKind norm,
                                     bool dropout, ConvTransposePath path) {
    if (levels < 5) throw UsageError("a U-Net needs at least 5 levels, got " + std::to_string(levels));
    using Role = UnetLevelImpl::Role;
    auto level = UnetLevel(ngf * 8, ngf * 8, ngf * 8, Role::Innermost, nn::AnyModule(), norm, false, path);
    for (int64_t i = 0; i < levels - 5; ++i) {
        level = UnetLevel(ngf * 8, ngf * 8, ngf * 8, Role::Middle, nn::AnyModule(level), norm, dropout, path);
    }
    level = UnetLevel(ngf * 4, ngf * 8, ngf * 4, Role::Middle, nn::AnyModule(level), norm, false, path);
    level = UnetLevel(ngf * 2, ngf * 4, ngf * 2, Role::Middle, nn::AnyModule(level), norm, false, path);
    level = UnetLevel(ngf, ngf * 2, ngf, Role::Middle, nn::AnyModule(level), norm, false, path);
    model = register_module(
        "model", UnetLevel(output_nc, ngf, input_nc, Role::Outermost, nn::AnyModule(level), norm, false, path));
}

ResnetBlockImpl::ResnetBlockImpl(int64_t dim, NormKind norm, bool dropout) {
    const bool bias = conv_bias(norm);
    conv_block = nn::Sequential();
    conv_block->push_back(nn::ReflectionPad2d(1));
    conv_block->push_back(conv(dim, dim, 3, 1, 0, bias));
    conv_block->push_back(make_norm(norm, dim));
    conv_block->push_back(nn::ReLU());
    if (dropout) conv_block->push_back(ContextDropout(0.5));
    conv_block->push_back(nn::ReflectionPad2d(1));
    conv_block->push_back(conv(dim, dim, 3, 1, 0, bias));
    conv_block->push_back(make_norm(norm, dim));
    register_module("conv_block", conv_block);
}

ResnetGeneratorImpl::ResnetGeneratorImpl(int64_t input_nc, int64_t output_nc, int64_t n_blocks, int64_t ngf,
                                         NormKind norm, bool dropout) {
    const bool bias = conv_bias(norm);
    model = nn::Sequential();
    model->push_back(nn::ReflectionPad2d(3));
    model->push_back(conv(input_nc, ngf, 7, 1, 0, bias));
    model->push_back(make_norm(norm, ngf));
    model->push_back(nn::ReLU());
    for (int64_t mult : {1, 2}) {
        model->push_back(conv(ngf * mult, ngf * mult * 2, 3, 2, 1, bias));
        model->push_back(make_norm(norm, ngf * mult * 2));
        model->push_back(nn::ReLU());
    }
    for (int64_t i = 0; i < n_blocks; ++i) model->push_back(ResnetBlock(ngf * 4, norm, dropout));
    for (int64_t mult : {4, 2}) {
        model->push_back(FastConvTranspose2d(ConvTranspose2dSpec{ngf * mult, ngf * mult / 2, 3, 2, 1, 1, bias}));
        model->push_back(make_norm(norm, ngf * mult / 2));
        model->push_back(nn::ReLU());
    }
    model->push_back(nn::ReflectionPad2d(3));
    model->push_back(conv(ngf, output_nc, 7, 1, 0, true));
    model->push_back(nn::Tanh());
    register_module("model", model);
}

NLayerDiscriminatorImpl::NLayerDiscriminatorImpl(int64_t input_nc, int64_t ndf, int64_t n_layers, NormKind norm,
                                                 bool fast_kernels) {
    const bool bias = conv_bias(norm);
    // Same parameters and names as nn::Conv2d; the stride-1 256 -> 512 layer runs by Winograd.
    auto conv = [&](int64_t in, int64_t out, int64_t stride, bool with_bias) {
        return FastConv2d(Conv2dSpec{in, out, 4, stride, 1, with_bias}, fast_kernels);
    };
    model = nn::Sequential();
    model->push_back(conv(input_nc, ndf, 2, true));
    model->push_back(leaky());
    int64_t mult = 1;
    for (int64_t n = 1; n <= n_layers; ++n) {
        const int64_t prev = mult;
        mult = std::min<int64_t>(int64_t{1} << n, 8);
        model->push_back(conv(ndf * prev, ndf * mult, n < n_layers ? 2 : 1, bias));
        model->push_back(make_norm(norm, ndf * mult));
        model->push_back(leaky());
    }
    model->push_back(conv(ndf * mult, 1, 1, true));
    register_module("model", model);
}

PixelDiscriminatorImpl::PixelDiscriminatorImpl(int64_t input_nc, int64_t ndf, NormKind norm) {
    const bool bias = conv_bias(norm);
    net = nn::Sequential();
    net->push_back(conv(input_nc, ndf, 1, 1, 0, true));
    net->push_back(leaky());
    net->push_back(conv(ndf, ndf * 2, 1, 1, 0, bias));
    net->push_back(make_norm(norm, ndf * 2));
    net->push_back(leaky());
    net->push_back(conv(ndf * 2, 1, 1, 1, 0, bias));
    register_module("net", net);
}

int64_t receptive_field(const nn::Sequential& layers) {
    // Walking back from one output pixel: r <- (r - 1) * stride + kernel.
    std::vector<std::pair<int64_t, int64_t>> convs;
    for (const auto& m : layers->children()) {
        if (auto* c = m->as<nn::Conv2d>()) convs.emplace_back(c->options.kernel_size()->at(0), c->options.stride()->at(0));
        if (auto* f = m->as<FastConv2d>()) convs.emplace_back(f->spec().kernel, f->spec().stride);
    }
    int64_t r = 1;
    for (auto it = convs.rbegin(); it != convs.rend(); ++it) r = (r - 1) * it->second + it->first;
    return r;
}

void init_weights(nn::Module& net, const std::string& type, double gain) {
    torch::NoGradGuard no_grad;
    auto init = [&](torch::Tensor& w) {
        if (type == "normal") {
            nn::init::normal_(w, 0.0, gain);
        } else if (type == "xavier") {
            nn::init::xavier_normal_(w, gain);
        } else if (type == "kaiming") {
            nn::init::kaiming_normal_(w, 0.0, torch::kFanIn);
        } else if (type == "orthogonal") {
            nn::init::orthogonal_(w, gain);
        } else {
            throw UsageError("--init-type: '" + type + "' is not one of normal, xavier, kaiming, orthogonal");
        }
    };
    for (auto& m : net.modules(/*include_self=*/true)) {
        torch::Tensor* weight = nullptr;
        torch::Tensor* bias = nullptr;
        if (auto* c = m->as<nn::Conv2d>()) weight = &c->weight, bias = &c->bias;
        else if (auto* f = m->as<FastConv2d>()) weight = &f->weight, bias = &f->bias;
        else if (auto* t = m->as<FastConvTranspose2d>()) weight = &t->weight, bias = &t->bias;
        else if (auto* l = m->as<nn::Linear>()) weight = &l->weight, bias = &l->bias;
        if (weight) {
            init(*weight);
            if (bias->defined()) nn::init::zeros_(*bias);
        } else if (auto* bn = m->as<ContextBatchNorm2d>()) {
            nn::init::normal_(bn->weight, 1.0, gain);
            nn::init::zeros_(bn->bias);
        } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
            nn::init::normal_(bn->weight, 1.0, gain);
            nn::init::zeros_(bn->bias);
        }
    }
}

}  // namespace ganvas
