#include "ganvas/models/pix2pix/pix2pix_model.h"

#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/data/paired.h"

#include <torch/torch.h>

#include <cmath>

namespace ganvas {

torch::nn::AnyModule make_pix2pix_generator(const Pix2PixOptions& o) {
    const NormKind norm = parse_norm(o.norm);
    const auto path = o.transpose_kernel == "auto"     ? ConvTransposePath::Auto
                      : o.transpose_kernel == "onednn" ? ConvTransposePath::Onednn
                                                       : ConvTransposePath::Reference;
    torch::nn::AnyModule net;
    if (o.netG == "unet_256" || o.netG == "unet_128") {
        net = torch::nn::AnyModule(UnetGenerator(o.input_nc(), o.output_nc(), o.netG == "unet_256" ? 8 : 7, o.ngf,
                                                 norm, o.dropout, path));
    } else {
        net = torch::nn::AnyModule(
            ResnetGenerator(o.input_nc(), o.output_nc(), o.netG == "resnet_9blocks" ? 9 : 6, o.ngf, norm, o.dropout));
        for (auto& m : net.ptr()->modules()) {
            if (auto* t = m->as<FastConvTranspose2d>()) t->set_path(path);
        }
    }
    init_weights(*net.ptr(), o.init_type, o.init_gain);
    return net;
}

torch::nn::AnyModule make_pix2pix_discriminator(const Pix2PixOptions& o) {
    const NormKind norm = parse_norm(o.norm);
    const int64_t in = o.input_nc() + o.output_nc();
    torch::nn::AnyModule net;
    if (o.netD == "pixel") {
        net = torch::nn::AnyModule(PixelDiscriminator(in, o.ndf, norm));
    } else {
        net = torch::nn::AnyModule(NLayerDiscriminator(in, o.ndf, o.netD == "basic" ? 3 : o.n_layers_D, norm,
                                                       o.transpose_kernel == "auto"));
    }
    init_weights(*net.ptr(), o.init_type, o.init_gain);
    return net;
}

double pix2pix_lr_scale(const Pix2PixOptions& o, int64_t step, int64_t total) {
    const int64_t epochs = o.n_epochs + o.n_epochs_decay;
    const int64_t epoch = total > 0 ? std::min(epochs, step * epochs / total + 1) : 1;  // 1-based
    return 1.0 - static_cast<double>(std::max<int64_t>(0, epoch - o.n_epochs)) /
                     static_cast<double>(o.n_epochs_decay + 1);
}

Pix2PixModel::Pix2PixModel(Pix2PixOptions options) : options_(std::move(options)) {
    options_.validate();
    netG_ = make_pix2pix_generator(options_);
    netD_ = make_pix2pix_discriminator(options_);
    const AdamConfig adam{options_.lr, options_.beta1, options_.beta2};
    const AdamKind kind = options_.fused_adam ? AdamKind::Fused : AdamKind::Stock;
    opt_g_ = std::make_unique<Optimizer>(netG_.ptr()->parameters(), adam, kind);
    opt_d_ = std::make_unique<Optimizer>(netD_.ptr()->parameters(), adam, kind);
    parts_.add_network("G", *netG_.ptr());
    parts_.add_network("D", *netD_.ptr(), /*trained=*/true, NetworkUse::TrainingOnly);
    // Stock Adam's state is a sub-archive under its own keys (checkpoints of either kind stay readable).
    parts_.add_optimizer(kind == AdamKind::Fused ? "opt_G" : "stock_opt_G", *opt_g_);
    parts_.add_optimizer(kind == AdamKind::Fused ? "opt_D" : "stock_opt_D", *opt_d_);
    parts_.set_training(false);
    place(placement_);
}

std::shared_ptr<Dataset> Pix2PixModel::make_dataset(std::vector<std::filesystem::path> files, bool train) const {
    const PairSource source = options_.dataset_mode == Pix2PixData::Aligned   ? PairSource::Aligned
                              : options_.dataset_mode == Pix2PixData::Folders ? PairSource::Folders
                                                                              : PairSource::Gray;
    const PairAugment augment{static_cast<int>(options_.load_size), static_cast<int>(options_.crop_size),
                              options_.flip};
    return std::make_shared<PairedDataset>(std::move(files), source, augment, options_.direction == "BtoA", train);
}

void Pix2PixModel::place(const Placement& placement) {
    placement_ = placement;
    placement_.channels_last = options_.channels_last;
    parts_.place(placement_);
}

torch::Tensor Pix2PixModel::network_input(const torch::Tensor& input) const {
    const auto x = options_.dataset_mode == Pix2PixData::Colorization ? rgb_to_lab(input).narrow(1, 0, 1) / 50.0 - 1.0
                                                                       : input * 2.0 - 1.0;
    return x.contiguous(placement_.memory_format());
}

torch::Tensor Pix2PixModel::network_target(const torch::Tensor& target) const {
    const auto y = options_.dataset_mode == Pix2PixData::Colorization ? rgb_to_lab(target).narrow(1, 1, 2) / 110.0
                                                                       : target * 2.0 - 1.0;
    return y.contiguous(placement_.memory_format());
}

torch::Tensor Pix2PixModel::to_image(const torch::Tensor& output, const torch::Tensor& input) const {
    if (options_.dataset_mode == Pix2PixData::Colorization) {
        auto lightness = rgb_to_lab(input).narrow(1, 0, 1);
        return lab_to_rgb(torch::cat({lightness, output * 110.0}, 1));
    }
    return ((output + 1.0) * 0.5).clamp(0.0, 1.0);
}

void Pix2PixModel::set_d_requires_grad(bool requires) {
    for (auto& p : netD_.ptr()->parameters()) p.set_requires_grad(requires);
}

void Pix2PixModel::begin_step(int64_t step, int64_t total_steps) {
    set_lr(options_.lr * pix2pix_lr_scale(options_, step, total_steps));
}

NamedValues Pix2PixModel::train_step(const Batch& batch) {
    TrainingModeGuard training(parts_);
    const auto real_a = network_input(batch.input);
    const auto real_b = network_target(batch.target);
    const auto fake_b = netG_.forward(real_a);
    const auto fake_ab = torch::cat({real_a, fake_b}, 1);
    const auto real_ab = torch::cat({real_a, real_b}, 1);
    const auto objective = options_.gan_mode;

    // D: fake pairs as fake, real pairs as real, halved; WGAN-GP adds its penalty.
    set_d_requires_grad(true);
    auto d_fake = gan_d_loss(objective, netD_.forward(fake_ab.detach()), false);
    auto d_real = gan_d_loss(objective, netD_.forward(real_ab), true);
    auto d = 0.5 * (d_fake + d_real);
    torch::Tensor gp;
    if (objective == GanObjective::Wgangp) {
        gp = gradient_penalty([&](const torch::Tensor& x) { return netD_.forward(x); }, real_ab, fake_ab,
                              options_.lambda_gp);
        d = d + gp;
    }
    opt_d_->zero_grad();
    d.backward();
    opt_d_->step();

    // G: fool the updated D, stay close to the target.
    set_d_requires_grad(false);
    auto g_gan = gan_g_loss(objective, netD_.forward(fake_ab));
    auto g_l1 = torch::l1_loss(fake_b, real_b) * options_.lambda_L1;
    auto g = g_gan + g_l1;
    opt_g_->zero_grad();
    g.backward();
    opt_g_->step();
    set_d_requires_grad(true);

    NamedValues out{{"G_GAN", g_gan.item<double>()}, {"G_L1", g_l1.item<double>()},
                    {"D_real", d_real.item<double>()}, {"D_fake", d_fake.item<double>()}};
    if (gp.defined()) out.emplace_back("D_GP", gp.item<double>());
    return out;
}

torch::Tensor Pix2PixModel::translate(const torch::Tensor& input, uint64_t seed) {
    torch::InferenceMode guard;
    // The reference's test.py runs G in training mode: batch statistics, dropout on. Here G stays
    // in eval mode and its norm and dropout layers read the request's context instead, so nothing
    // shared is written.
    ScopedInference context(seed, options_.test_train_mode);
    const auto x = placement_.apply(input);
    return to_image(netG_.forward(network_input(x)), x).to(torch::kCPU).contiguous();
}

InferenceResult Pix2PixModel::run_inference(const InferenceRequest& request) {
    const auto& input = request.inputs.at("image");
    InferenceResult result;
    // Sample k draws its dropout masks from seed + k.
    for (int64_t k = 0; k < request.samples; ++k) {
        result.outputs.push_back({sample_output_name(k, request.samples),
                                  translate(input, request.seed + static_cast<uint64_t>(k))});
    }
    return result;
}

std::vector<Visual> Pix2PixModel::visuals(const Batch& batch) {
    auto output = translate(batch.input);
    return {{"input", batch.input.to(torch::kCPU)}, {"output", output}, {"target", batch.target.to(torch::kCPU)}};
}

void Pix2PixModel::set_lr(double lr) {
    opt_g_->set_lr(lr);
    opt_d_->set_lr(lr);
}

void Pix2PixModel::load(torch::serialize::InputArchive& archive) {
    parts_.load(archive);
    place(placement_);
}

ModelDescriptor pix2pix_descriptor() {
    ModelDescriptor d;
    d.name = Pix2PixModel::kName;
    d.summary = "paired image-to-image translation (U-Net or ResNet generator, PatchGAN), the common baseline";
    d.reference = "Isola et al., CVPR 2017; junyanz/pytorch-CycleGAN-and-pix2pix (--model pix2pix)";
    d.options = pix2pix_option_specs();
    d.legacy_options = kPix2PixLegacyOptions;
    d.image_size = 256;
    d.train_defaults = [](const nlohmann::json& options) {
        const auto o = Pix2PixOptions::from_json(options);
        return TrainDefaults{0, o.n_epochs + o.n_epochs_decay, 1};
    };
    d.inputs = {{"image", "the input side of a pair (an AB image's half with translate --ab)"}};
    d.metrics = MetricSet::Paired;
    d.create = [](const nlohmann::json& options) {
        return std::make_unique<Pix2PixModel>(Pix2PixOptions::from_json(options));
    };
    return d;
}

}  // namespace ganvas
