#include "ganvas/models/colorizer/networks.h"

#include "ganvas/core/color.h"
#include "ganvas/nn/inference_context.h"

#include <torch/torch.h>

namespace ganvas {
namespace nn = torch::nn;

namespace {
nn::Sequential conv_bn_relu(int64_t in, int64_t out, int64_t dilation = 1) {
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(dilation).dilation(dilation).bias(false)),
                          ContextBatchNorm2d(out), nn::ReLU(nn::ReLUOptions(true)));
}
// 4x4 stride-2 conv -> BN -> LeakyReLU 0.2 (the U-Net's encoder) or ReLU (the encoder trunk's).
nn::Sequential down(int64_t in, int64_t out, bool leaky = true) {
    nn::Sequential s(nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1).bias(false)), ContextBatchNorm2d(out));
    if (leaky) {
        s->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)));
    } else {
        s->push_back(nn::ReLU(nn::ReLUOptions(true)));
    }
    return s;
}
nn::Sequential up(int64_t in, int64_t out) {
    return nn::Sequential(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1).bias(false)),
                          ContextBatchNorm2d(out), nn::ReLU(nn::ReLUOptions(true)));
}
constexpr double kAbScale = 110.0;  // |a|, |b| of sRGB colors stay under ~110 (Lab, D65)
}  // namespace

torch::Tensor AbBins::centres() {
    auto axis = torch::arange(kPerAxis, torch::kFloat32) * kStep - (kPerAxis - 1) * kStep / 2;
    auto grid = torch::meshgrid({axis, axis}, "ij");
    return torch::stack({grid[0].flatten(), grid[1].flatten()}, 1);
}

torch::Tensor AbBins::soft_encode(const torch::Tensor& ab) {
    TORCH_CHECK(ab.dim() == 4 && ab.size(1) == 2, "soft_encode expects [N, 2, H, W], got ", ab.sizes());
    const double half = (kPerAxis - 1) * kStep / 2;
    const auto c = centres().to(ab.device());
    const auto a = ab.narrow(1, 0, 1).clamp(-half, half), b = ab.narrow(1, 1, 1).clamp(-half, half);
    const auto d2 = (a - c.select(1, 0).view({1, kCount, 1, 1})).square() +
                    (b - c.select(1, 1).view({1, kCount, 1, 1})).square();
    constexpr double sigma = 5.0;
    auto w = torch::exp(-d2 / (2 * sigma * sigma)) * (d2 <= 4 * kStep * kStep);
    return w / w.sum(1, true).clamp_min(1e-12);
}

torch::Tensor AbBins::annealed_mean(const torch::Tensor& logits, double temperature) {
    TORCH_CHECK(logits.dim() == 4 && logits.size(1) == kCount, "annealed_mean expects [N, ", kCount,
                ", H, W], got ", logits.sizes());
    const auto p = torch::softmax(logits / temperature, 1);
    return torch::einsum("nqhw,qc->nchw", {p, centres().to(logits.device())});
}

ColorizerGeneratorImpl::ColorizerGeneratorImpl(std::vector<int64_t> widths, ColorOutput output, ColorTrunk trunk,
                                               ChromaHead head, double bin_temperature)
    : output_(output), trunk_(trunk), head_(head), temperature_(bin_temperature) {
    TORCH_CHECK(widths.size() == 4, "the colorizer generator needs 4 widths");
    TORCH_CHECK(head == ChromaHead::Rgb || output == ColorOutput::Chroma, "the ab and bins heads predict chroma only");
    int64_t features = 0;
    switch (trunk) {
        case ColorTrunk::Blocks:
            block1 = register_module("block1", conv_bn_relu(3, widths[0]));
            block2 = register_module("block2", conv_bn_relu(widths[0], widths[1]));
            block3 = register_module("block3", conv_bn_relu(widths[1], widths[2]));
            block4 = register_module("block4", conv_bn_relu(widths[2], widths[3]));
            features = widths[3];
            break;
        case ColorTrunk::Unet: {
            multiple_ = 16;
            stem = register_module("stem", conv_bn_relu(3, widths[0]));
            const std::vector<int64_t> d{widths[0], widths[1], widths[2], widths[3], widths[3]};
            for (size_t i = 0; i + 1 < d.size(); ++i) {
                downs_.push_back(register_module("down" + std::to_string(i + 1), down(d[i], d[i + 1])));
            }
            fuse = register_module("fuse", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(2 * widths[3], widths[3], 1).bias(false)),
                                                          ContextBatchNorm2d(widths[3]), nn::ReLU(nn::ReLUOptions(true))));
            // up4: bottleneck -> 1/8; up_k: [up_{k+1}, down_k] -> level k - 1
            for (size_t i = d.size() - 1; i >= 1; --i) {
                const int64_t in = i == d.size() - 1 ? d[i] : 2 * d[i];
                ups_.push_back(register_module("up" + std::to_string(i), up(in, d[i - 1])));
            }
            last = register_module("last", conv_bn_relu(2 * widths[0], widths[0]));
            features = widths[0];
            break;
        }
        case ColorTrunk::Encoder: {
            multiple_ = 4;
            downs_.push_back(register_module("down1", down(3, widths[0], /*leaky=*/false)));
            downs_.push_back(register_module("down2", down(widths[0], widths[1], /*leaky=*/false)));
            const std::vector<std::pair<int64_t, int64_t>> m{{widths[1], widths[2]}, {widths[2], widths[3]},
                                                             {widths[3], widths[3]}, {widths[3], widths[3]}};
            for (size_t i = 0; i < m.size(); ++i) {
                middle_.push_back(register_module("middle" + std::to_string(i + 1),
                                                  conv_bn_relu(m[i].first, m[i].second, int64_t{1} << i)));
            }
            ups_.push_back(register_module("up2", up(widths[3], widths[1])));
            ups_.push_back(register_module("up1", up(widths[1], widths[0])));
            // The gray input joins again at full resolution, so chroma edges follow the photo's.
            last = register_module("last", conv_bn_relu(widths[0] + 3, widths[0]));
            features = widths[0];
            break;
        }
    }
    if (trunk == ColorTrunk::Blocks && head == ChromaHead::Rgb) {
        // The paper's block 5, under the name earlier checkpoints use.
        block5 = register_module("block5", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(features, 3, 3).padding(1)),
                                                          nn::Sigmoid()));
    } else {
        const int64_t out = head == ChromaHead::Rgb ? 3 : head == ChromaHead::Ab ? 2 : AbBins::kCount;
        const int64_t kernel = head == ChromaHead::Bins ? 1 : 3;
        head_conv = register_module("head", nn::Conv2d(nn::Conv2dOptions(features, out, kernel).padding(kernel / 2)));
    }
    // DCGAN initialisation for the transposed convolutions (init_dcgan_weights covers the rest).
    torch::NoGradGuard no_grad;
    for (auto& m : modules(/*include_self=*/false)) {
        if (auto* t = m->as<nn::ConvTranspose2d>()) nn::init::normal_(t->weight, 0.0, 0.02);
    }
}

torch::Tensor ColorizerGeneratorImpl::features(const torch::Tensor& x) {
    switch (trunk_) {
        case ColorTrunk::Blocks:
            return block4->forward(block3->forward(block2->forward(block1->forward(x))));
        case ColorTrunk::Unet: {
            std::vector<torch::Tensor> skips{stem->forward(x)};
            for (auto& d : downs_) skips.push_back(d->forward(skips.back()));
            auto y = skips.back();
            y = fuse->forward(torch::cat({y, y.mean({2, 3}, /*keepdim=*/true).expand_as(y)}, 1));
            for (size_t k = 0; k < ups_.size(); ++k) {
                y = torch::cat({ups_[k]->forward(y), skips[skips.size() - 2 - k]}, 1);
            }
            return last->forward(y);
        }
        case ColorTrunk::Encoder: {
            auto y = x;
            for (auto& d : downs_) y = d->forward(y);
            for (auto& m : middle_) y = m->forward(y);
            for (auto& u : ups_) y = u->forward(y);
            return last->forward(torch::cat({y, x}, 1));
        }
    }
    TORCH_CHECK(false, "unknown trunk");
}

GeneratorOutput ColorizerGeneratorImpl::run(const torch::Tensor& gray, double temperature) {
    namespace F = torch::nn::functional;
    TORCH_CHECK(gray.dim() == 4 && gray.size(1) == 3, "generator input must be [N, 3, H, W], got ",
                gray.sizes());
    const int64_t h = gray.size(2), w = gray.size(3);
    const int64_t ph = (multiple_ - h % multiple_) % multiple_, pw = (multiple_ - w % multiple_) % multiple_;
    const auto x = ph || pw ? F::pad(gray, F::PadFuncOptions({0, pw, 0, ph}).mode(torch::kReplicate)) : gray;
    const auto crop = [&](const torch::Tensor& t) { return ph || pw ? t.narrow(2, 0, h).narrow(3, 0, w) : t; };
    const auto f = features(x);
    GeneratorOutput out;
    if (head_ == ChromaHead::Rgb) {
        auto rgb = crop(block5 ? block5->forward(f) : torch::sigmoid(head_conv->forward(f)));
        out.rgb = output_ == ColorOutput::Chroma ? combine_luminance_chroma(gray, rgb) : rgb;
        return out;
    }
    torch::Tensor ab;
    if (head_ == ChromaHead::Ab) {
        ab = crop(kAbScale * torch::tanh(head_conv->forward(f)));
    } else {
        // At half resolution (chroma is smooth; Zhang et al. predict at a quarter), bilinear back up.
        out.logits = head_conv->forward(F::avg_pool2d(f, F::AvgPool2dFuncOptions(2).ceil_mode(true)));
        ab = F::interpolate(AbBins::annealed_mean(out.logits, temperature > 0 ? temperature : temperature_),
                            F::InterpolateFuncOptions().size(std::vector<int64_t>{x.size(2), x.size(3)})
                                .mode(torch::kBilinear).align_corners(false));
        ab = crop(ab);
    }
    out.rgb = lab_to_rgb(torch::cat({rgb_to_lab(gray).narrow(1, 0, 1), ab}, 1));
    return out;
}

DcganDiscriminatorImpl::DcganDiscriminatorImpl(int64_t image_size, int64_t base_width)
    : image_size_(image_size) {
    TORCH_CHECK(image_size >= 16 && (image_size & (image_size - 1)) == 0,
                "the DCGAN discriminator needs a power-of-two size >= 16");
    main = nn::Sequential();
    int64_t channels = 3, width = base_width;
    for (int64_t size = image_size; size > 4; size /= 2) {
        main->push_back(nn::Conv2d(nn::Conv2dOptions(channels, width, 4).stride(2).padding(1).bias(false)));
        if (channels != 3) main->push_back(ContextBatchNorm2d(width));
        main->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)));
        channels = width;
        width *= 2;
    }
    main->push_back(nn::Conv2d(nn::Conv2dOptions(channels, 1, 4).bias(false)));
    register_module("main", main);
}

torch::Tensor DcganDiscriminatorImpl::forward(const torch::Tensor& image) {
    TORCH_CHECK(image.dim() == 4 && image.size(1) == 3 && image.size(2) == image_size_ &&
                    image.size(3) == image_size_,
                "discriminator input must be [N, 3, ", image_size_, ", ", image_size_, "], got ",
                image.sizes());
    return main->forward(image).flatten();
}

}  // namespace ganvas
