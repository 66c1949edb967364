// pix2pix's networks with the reference implementation's module names
// (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py), so that its state dicts map key for
// key: UnetGenerator -> model.model.<i>..., ResnetGenerator -> model.<i>..., NLayerDiscriminator ->
// model.<i>..., PixelDiscriminator -> net.<i>...
#pragma once
#include "ganvas/nn/conv_transpose.h"
#include "ganvas/nn/inference_context.h"
#include "ganvas/nn/small_conv.h"

#include <torch/nn.h>

#include <string>

namespace ganvas {

enum class NormKind { Batch, Instance, None };
NormKind parse_norm(const std::string& name);  // batch | instance | none; UsageError otherwise

// The reference's norm layers: BatchNorm2d(affine, running stats); InstanceNorm2d without either.
// Batch norm and dropout are the request-aware versions (nn/inference_context.h), so that
// test.py's "batch statistics and dropout at test time" runs without writing any module state.
// Convolutions before a norm have no bias only for batch norm, as in the reference.
torch::nn::AnyModule make_norm(NormKind kind, int64_t channels);

// One U-Net level: [down] + inner level + [up]; the input is concatenated to the output except at
// the outermost level. Innermost: LeakyReLU, conv | ReLU, transposed conv, norm. Outermost: conv |
// inner | ReLU, transposed conv (with bias), tanh. Between: LeakyReLU, conv, norm | inner | ReLU,
// transposed conv, norm [, dropout 0.5].
class UnetLevelImpl : public torch::nn::Module {
public:
    enum class Role { Outermost, Middle, Innermost };
    UnetLevelImpl(int64_t outer_nc, int64_t inner_nc, int64_t input_nc, Role role, torch::nn::AnyModule inner,
                  NormKind norm, bool dropout, ConvTransposePath path);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Sequential model{nullptr};

private:
    bool outermost_;
};
TORCH_MODULE(UnetLevel);

class UnetGeneratorImpl : public torch::nn::Module {
public:
    // levels: 8 for unet_256, 7 for unet_128 (the input side must be a multiple of 2^levels).
    UnetGeneratorImpl(int64_t input_nc, int64_t output_nc, int64_t levels, int64_t ngf, NormKind norm, bool dropout,
                      ConvTransposePath path = ConvTransposePath::Auto);
    torch::Tensor forward(const torch::Tensor& x) { return model->forward(x); }
    UnetLevel model{nullptr};
};
TORCH_MODULE(UnetGenerator);

class ResnetBlockImpl : public torch::nn::Module {
public:
    ResnetBlockImpl(int64_t dim, NormKind norm, bool dropout);
    torch::Tensor forward(const torch::Tensor& x) { return x + conv_block->forward(x); }
    torch::nn::Sequential conv_block{nullptr};
};
TORCH_MODULE(ResnetBlock);

// Johnson et al.'s generator: reflect-pad 7x7 conv, two stride-2 downsamplings, n_blocks residual
// blocks, two stride-2 transposed convs, reflect-pad 7x7 conv, tanh.
class ResnetGeneratorImpl : public torch::nn::Module {
public:
    ResnetGeneratorImpl(int64_t input_nc, int64_t output_nc, int64_t n_blocks, int64_t ngf, NormKind norm,
                        bool dropout);
    torch::Tensor forward(const torch::Tensor& x) { return model->forward(x); }
    torch::nn::Sequential model{nullptr};
};
TORCH_MODULE(ResnetGenerator);

// PatchGAN: n_layers stride-2 4x4 convs (the first without norm), one stride-1 conv, a 1-channel
// stride-1 conv. n_layers = 3 is the 70x70 PatchGAN.
class NLayerDiscriminatorImpl : public torch::nn::Module {
public:
    // fast_kernels: let FastConv2d pick ganvas's own kernels (Winograd for the stride-1 layer).
    NLayerDiscriminatorImpl(int64_t input_nc, int64_t ndf, int64_t n_layers, NormKind norm, bool fast_kernels = true);
    torch::Tensor forward(const torch::Tensor& x) { return model->forward(x); }
    torch::nn::Sequential model{nullptr};
};
TORCH_MODULE(NLayerDiscriminator);

// The 1x1 PixelGAN.
class PixelDiscriminatorImpl : public torch::nn::Module {
public:
    PixelDiscriminatorImpl(int64_t input_nc, int64_t ndf, NormKind norm);
    torch::Tensor forward(const torch::Tensor& x) { return net->forward(x); }
    torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(PixelDiscriminator);

// Receptive field (pixels of the input one output logit sees) of a stack of convolutions, from the
// layers themselves: conv kernels and strides in order.
int64_t receptive_field(const torch::nn::Sequential& layers);

// The reference's init_weights: conv / linear weights by `type` (normal: N(0, gain); xavier:
// xavier_normal(gain); kaiming: kaiming_normal(fan_in); orthogonal(gain)), their biases 0;
// batch-norm weights N(1, gain), biases 0.
void init_weights(torch::nn::Module& net, const std::string& type, double gain);

}  // namespace ganvas
