#include "ganvas/models/sketchygan/networks.h"

#include "ganvas/core/error.h"
#include "ganvas/nn/placement.h"
#include "ganvas/nn/pointwise.h"

#include <torch/torch.h>

namespace ganvas {
namespace F = torch::nn::functional;

namespace {
std::vector<int64_t> scaled(const SketchyGanOptions& o, std::vector<int64_t> w) {
    for (auto& c : w) c = o.channels(c);
    return w;
}
}  // namespace

std::vector<int64_t> sketchy_encoder_widths(const SketchyGanOptions& o) {
    std::vector<int64_t> w{64, 128, 256, 512};
    while (static_cast<int64_t>(w.size()) < o.levels()) w.insert(w.begin(), 32);
    return scaled(o, w);
}

std::vector<int64_t> sketchy_decoder_widths(const SketchyGanOptions& o) {
    std::vector<int64_t> w{384, 256, 128, 128, 64};
    while (static_cast<int64_t>(w.size()) < o.levels() + 1) w.push_back(32);
    return scaled(o, w);
}

std::vector<int64_t> sketchy_discriminator_widths(const SketchyGanOptions& o) {
    std::vector<int64_t> w{128, 256, 512, 768};
    while (static_cast<int64_t>(w.size()) < o.levels()) w.insert(w.begin(), 64);
    return scaled(o, w);
}

std::vector<torch::Tensor> image_pyramid(const torch::Tensor& image, int64_t levels, torch::MemoryFormat format) {
    // A one-channel sketch with channels-last strides too (placement.h: in_memory_format).
    const auto top = image.dim() == 4 ? in_memory_format(image, format) : image;
    std::vector<torch::Tensor> p{top};
    for (int64_t k = 1; k <= levels; ++k) p.push_back(F::avg_pool2d(p.back(), F::AvgPool2dFuncOptions(2)));
    return p;
}

namespace {

torch::Tensor upsample2(const torch::Tensor& x) {
    return F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
}

}  // namespace

SketchyGeneratorImpl::SketchyGeneratorImpl(const SketchyGanOptions& o)
    : size(o.image_size), noise_dim(o.noise_dim), noise_channels(o.channels(64)), smooth(o.activation == "smooth") {
    const int64_t classes = o.class_count();
    const auto variant = o.mru == "released" ? MruVariant::Released : MruVariant::Paper;
    const int64_t stem_width = o.channels(8);
    stem = register_module("stem", SNConv2d(1, stem_width, 7, 2, 3, /*bias=*/false, /*spectral=*/false));
    stem_norm = register_module("stem_norm", ConditionalBatchNorm2d(stem_width, classes));
    const auto enc = sketchy_encoder_widths(o);
    const auto dec = sketchy_decoder_widths(o);
    int64_t in = stem_width;
    for (size_t i = 0; i < enc.size(); ++i) {
        MruOptions m;
        m.in = in, m.out = enc[i], m.image = 1, m.variant = variant, m.classes = classes, m.activation = o.activation;
        encoder.push_back(register_module("enc" + std::to_string(i), Mru(m)));
        in = enc[i];
    }
    if (noise_dim > 0) noise_fc = register_module("noise_fc", torch::nn::Linear(noise_dim, 4 * 4 * noise_channels));
    in = enc.back() + (noise_dim > 0 ? noise_channels : 0);
    for (size_t j = 0; j < dec.size(); ++j) {
        // Decoder unit j works at 4 * 2^j px; the encoder unit of that scale is enc[levels - 1 - j].
        const int64_t skip = j < enc.size() ? enc[enc.size() - 1 - j] : 0;
        MruOptions m;
        m.in = in, m.out = dec[j], m.image = 1 + skip, m.variant = variant, m.classes = classes, m.activation = o.activation;
        decoder.push_back(register_module("dec" + std::to_string(j), Mru(m)));
        in = dec[j];
    }
    out = register_module("out", SNConv2d(in, 3, 7, 1, 3, /*bias=*/true, /*spectral=*/false));
}

torch::Tensor SketchyGeneratorImpl::forward(const torch::Tensor& sketch, const torch::Tensor& z,
                                            const torch::Tensor& labels) {
    if (sketch.dim() != 4 || sketch.size(1) != 1 || sketch.size(2) != size || sketch.size(3) != size) {
        throw Error("SketchyGAN generator: expected sketches [N, 1, " + std::to_string(size) + ", " +
                    std::to_string(size) + "], got " + c10::str(sketch.sizes()));
    }
    const int64_t levels = static_cast<int64_t>(encoder.size());
    // The layout the model was placed in, read from a weight with more than one input channel.
    const auto pyramid = image_pyramid(sketch, levels + 1, out->weight.suggest_memory_format());  // [k]: size / 2^k
    auto h = stem_norm->forward(stem->forward(pyramid[0]), labels);
    h = smooth ? smooth_relu(h) : torch::relu(h);
    std::vector<torch::Tensor> skips;
    for (int64_t i = 0; i < levels; ++i) {
        h = encoder[i]->forward(h, pyramid[i + 1], labels);
        skips.push_back(h);
        h = F::avg_pool2d(h, F::AvgPool2dFuncOptions(2));
    }
    for (size_t j = 0; j < decoder.size(); ++j) {
        h = upsample2(h);
        if (j == 0 && noise_dim > 0) {
            if (!z.defined() || z.size(0) != h.size(0) || z.size(1) != noise_dim) {
                throw Error("SketchyGAN generator: expected noise [N, " + std::to_string(noise_dim) + "]");
            }
            h = torch::cat({h, noise_fc->forward(z).view({-1, noise_channels, 4, 4}).contiguous(h.suggest_memory_format())}, 1);
        }
        const int64_t level = levels - static_cast<int64_t>(j);  // pyramid level of this scale
        const auto injected = j < static_cast<size_t>(levels) ? torch::cat({pyramid[level], skips[levels - 1 - j]}, 1)
                                                              : pyramid[level];
        h = decoder[j]->forward(h, injected, labels);
    }
    return torch::tanh(out->forward(h));
}

SketchyDiscriminatorImpl::SketchyDiscriminatorImpl(const SketchyGanOptions& o) {
    stem = register_module("stem", SNConv2d(3, o.channels(8), 7, 1, 3, true, true));
    stem_act = register_module("stem_act", torch::nn::PReLU(torch::nn::PReLUOptions().init(0.2)));
    int64_t in = o.channels(8);
    const auto widths = sketchy_discriminator_widths(o);
    const auto variant = o.mru == "released" ? MruVariant::Released : MruVariant::Paper;
    for (size_t i = 0; i < widths.size(); ++i) {
        MruOptions m;
        m.in = in, m.out = widths[i], m.image = 3, m.variant = variant, m.norm = false, m.spectral = true;
        m.activation = "prelu";
        units.push_back(register_module("mru" + std::to_string(i), Mru(m)));
        in = widths[i];
    }
    patch = register_module("patch", SNConv2d(in, 1, 1, 1, 0, true, true));
    classifier = register_module("classifier", SNLinear(in, o.class_count(), true));
}

std::pair<torch::Tensor, torch::Tensor> SketchyDiscriminatorImpl::forward(const torch::Tensor& image) {
    const auto pyramid = image_pyramid(image, static_cast<int64_t>(units.size()), image.suggest_memory_format());
    auto h = prelu1(stem->forward(image), stem_act->weight);
    for (size_t i = 0; i < units.size(); ++i) {
        h = units[i]->forward(h, pyramid[i], {});
        h = F::avg_pool2d(h, F::AvgPool2dFuncOptions(2));
    }
    return {patch->forward(h), classifier->forward(h.mean({2, 3}))};
}

void init_sketchy_weights(torch::nn::Module& net, double std) {
    torch::NoGradGuard no_grad;
    for (auto& m : net.modules(/*include_self=*/true)) {
        torch::Tensor* weight = nullptr;
        torch::Tensor* bias = nullptr;
        if (auto* c = m->as<SNConv2dImpl>()) weight = &c->weight, bias = &c->bias;
        else if (auto* l = m->as<SNLinearImpl>()) weight = &l->weight, bias = &l->bias;
        else if (auto* p = m->as<torch::nn::LinearImpl>()) weight = &p->weight, bias = &p->bias;
        if (!weight) continue;
        weight->normal_(0.0, std);
        if (bias->defined()) bias->zero_();
    }
}

}  // namespace ganvas
