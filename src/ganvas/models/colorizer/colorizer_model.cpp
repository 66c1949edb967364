#include "ganvas/models/colorizer/colorizer_model.h"

#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/core/progress.h"
#include "ganvas/data/image_folder.h"
#include "ganvas/losses/gan_loss.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

namespace ganvas {

torch::Tensor reconstruction_loss(const torch::Tensor& output, const torch::Tensor& target,
                                  ReconstructionLoss kind) {
    return kind == ReconstructionLoss::L1 ? torch::l1_loss(output, target)
                                          : torch::mse_loss(output, target);
}

torch::Tensor colorizer_d_loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits,
                               const ColorizerOptions& options) {
    return options.d_weight * (bce_gan_loss(real_logits, true) + bce_gan_loss(fake_logits, false));
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> colorizer_g_loss(
    const torch::Tensor& fake_logits, const torch::Tensor& output, const torch::Tensor& target,
    const ColorizerOptions& options) {
    auto adv = bce_gan_loss(fake_logits, true);
    auto rec = reconstruction_loss(output, target, options.reconstruction);
    return {adv, rec, options.rec_weight * rec + options.adv_weight * adv};
}

torch::Tensor rebalanced_bin_loss(const torch::Tensor& logits, const torch::Tensor& target_rgb,
                                  const torch::Tensor& bin_weights) {
    namespace F = torch::nn::functional;
    // The target's a, b area-averaged to the logits' resolution (the head predicts at half size).
    auto ab = rgb_to_lab(target_rgb).narrow(1, 1, 2);
    if (ab.size(2) != logits.size(2) || ab.size(3) != logits.size(3)) {
        ab = F::adaptive_avg_pool2d(ab, F::AdaptiveAvgPool2dFuncOptions({logits.size(2), logits.size(3)}));
    }
    const auto z = AbBins::soft_encode(ab);
    const auto ce = -(z * torch::log_softmax(logits, 1)).sum(1);  // [N, H, W]
    const auto w = bin_weights.to(logits.device()).index_select(0, z.argmax(1).flatten()).view_as(ce);
    return (w * ce).mean();
}

torch::Tensor rebalancing_weights(const torch::Tensor& prior, double lambda) {
    const auto p = prior.to(torch::kFloat64) / prior.sum().to(torch::kFloat64).clamp_min(1e-12);
    auto w = 1.0 / ((1.0 - lambda) * p + lambda / static_cast<double>(p.numel())).clamp_min(1e-12);
    w = w / (p * w).sum();
    return w.to(torch::kFloat32);
}

ColorizerModel::ColorizerModel(ColorizerOptions options) : options_(std::move(options)) {
    options_.validate();
    generator_ = ColorizerGenerator(options_.widths, options_.output, options_.trunk, options_.head,
                                    options_.bin_temperature);
    discriminator_ = DcganDiscriminator(options_.image_size, options_.d_width);
    init_dcgan_weights(*generator_);
    init_dcgan_weights(*discriminator_);
    const AdamConfig adam{options_.lr, options_.beta1, options_.beta2};
    opt_g_ = std::make_unique<Optimizer>(generator_->parameters(), adam, AdamKind::Stock);
    opt_d_ = std::make_unique<Optimizer>(discriminator_->parameters(), adam, AdamKind::Stock);
    parts_.add_network("G", *generator_);
    parts_.add_network("D", *discriminator_, /*trained=*/true, NetworkUse::TrainingOnly);
    parts_.add_optimizer("opt_G", *opt_g_);
    parts_.add_optimizer("opt_D", *opt_d_);
    parts_.set_training(false);
    mean_ab_ = torch::zeros({2, options_.image_size, options_.image_size});
    bin_weights_ = torch::ones({AbBins::kCount});
    place(placement_);
}

std::shared_ptr<Dataset> ColorizerModel::make_dataset(std::vector<std::filesystem::path> files,
                                                      bool train) const {
    return std::make_shared<ColorizationDataset>(std::move(files),
                                                 ColorizationDataOptions{options_.image_size, train});
}

void ColorizerModel::prepare(const Dataset& train_set) {
    // The mean chroma of up to 5,000 training images, evenly spaced through the set.
    torch::NoGradGuard no_grad;
    const size_t n = train_set.size();
    const size_t take = std::min<size_t>(n, 5000);
    auto sum = torch::zeros({2, options_.image_size, options_.image_size}, torch::kFloat64);
    auto bins = torch::zeros({AbBins::kCount}, torch::kFloat64);
    const bool want_bins = options_.head == ChromaHead::Bins;
    int64_t used = 0;
    Progress progress("mean chroma", static_cast<int64_t>(take));
    for (size_t k = 0; k < take; ++k) {
        const size_t i = k * n / take;
        try {
            auto target = train_set.get(i, /*seed=*/0).target.unsqueeze(0);
            const auto ab = rgb_to_lab(target).narrow(1, 1, 2);
            sum += ab.squeeze(0).to(torch::kFloat64);
            if (want_bins) bins += AbBins::soft_encode(ab).sum({0, 2, 3}).to(torch::kFloat64);
            ++used;
        } catch (const std::exception& e) {
            spdlog::debug("mean chroma: skipping {}", train_set.describe(i));
        }
        progress.update(static_cast<int64_t>(k + 1));
    }
    progress.finish();
    if (used > 0) mean_ab_ = (sum / static_cast<double>(used)).to(torch::kFloat32);
    if (used > 0 && want_bins) bin_weights_ = rebalancing_weights(bins, options_.rebalance);
}

void ColorizerModel::place(const Placement& placement) {
    placement_ = placement;
    parts_.place(placement_);
}

NamedValues ColorizerModel::train_step(const Batch& batch) {
    TrainingModeGuard training(parts_);
    const auto& gray = batch.input;
    const auto& real = batch.target;
    auto out = generator_->run(gray);
    const auto& fake = out.rgb;
    // Without an adversarial term D would train for nothing: its update is skipped.
    const bool adversarial = options_.adv_weight > 0;

    torch::Tensor d_real = torch::zeros({}), d_fake = torch::zeros({}), d = torch::zeros({});
    if (adversarial) {
        opt_d_->zero_grad();
        auto real_logits = discriminator_->forward(real);
        auto fake_logits_d = discriminator_->forward(fake.detach());
        d_real = bce_gan_loss(real_logits, true);
        d_fake = bce_gan_loss(fake_logits_d, false);
        d = options_.d_weight * (d_real + d_fake);
        d.backward();
        opt_d_->step();
    }

    opt_g_->zero_grad();
    torch::Tensor g_adv, g_rec, g;
    if (adversarial) {
        std::tie(g_adv, g_rec, g) = colorizer_g_loss(discriminator_->forward(fake), fake, real, options_);
    } else {
        g_adv = torch::zeros({}, fake.options());
        g_rec = reconstruction_loss(fake, real, options_.reconstruction);
        g = options_.rec_weight * g_rec;
    }
    torch::Tensor g_bins;
    if (options_.head == ChromaHead::Bins) {
        g_bins = rebalanced_bin_loss(out.logits, real, bin_weights_);
        g = g + options_.bin_weight * g_bins;
    }
    g.backward();
    opt_g_->step();

    NamedValues values{{"D", d.item<double>()},          {"D_real", d_real.item<double>()},
                       {"D_fake", d_fake.item<double>()}, {"G", g.item<double>()},
                       {"G_adv", g_adv.item<double>()},   {"G_rec", g_rec.item<double>()}};
    if (g_bins.defined()) values.emplace_back("G_bins", g_bins.item<double>());
    return values;
}

torch::Tensor scale_chroma(const torch::Tensor& rgb, double gain) {
    if (gain == 1.0) return rgb;
    auto lab = rgb_to_lab(rgb);
    lab.narrow(1, 1, 2).mul_(gain);
    return lab_to_rgb(lab);
}

torch::Tensor ColorizerModel::colorize(const torch::Tensor& gray, double temperature, double saturation) {
    torch::InferenceMode guard;
    auto out = generator_->forward(placement_.apply(gray), temperature > 0 ? temperature : options_.decode_temperature);
    out = out.to(torch::kCPU);
    return scale_chroma(out, saturation > 0 ? saturation : options_.decode_saturation).contiguous();
}

torch::Tensor ColorizerModel::colorize_at_train_size(const torch::Tensor& gray, double temperature, double saturation) {
    namespace F = torch::nn::functional;
    torch::InferenceMode guard;
    const int64_t size = options_.image_size, h = gray.size(2), w = gray.size(3);
    const int64_t short_side = std::min(h, w);
    if (short_side <= size) return colorize(gray, temperature, saturation);
    const double s = static_cast<double>(size) / static_cast<double>(short_side);
    const auto side = [&](int64_t n) { return std::max<int64_t>(1, std::llround(static_cast<double>(n) * s)); };
    const auto cpu = gray.to(torch::kCPU);
    const auto small = F::interpolate(cpu, F::InterpolateFuncOptions().size(std::vector<int64_t>{side(h), side(w)}).mode(torch::kArea));
    auto ab = rgb_to_lab(colorize(small, temperature, saturation)).narrow(1, 1, 2);
    ab = F::interpolate(ab, F::InterpolateFuncOptions()
                                .size(std::vector<int64_t>{h, w})
                                .mode(torch::kBilinear)
                                .align_corners(false));
    return lab_to_rgb(torch::cat({rgb_to_lab(cpu).narrow(1, 0, 1), ab}, 1)).contiguous();
}

InferenceResult ColorizerModel::run_inference(const InferenceRequest& request) {
    const auto gray = rgb_to_gray3(request.inputs.at("gray"));
    const bool at_train_size = request.parameters.value("at_train_size", false);
    const double temperature = request.parameters.value("temperature", 0.0);
    if (temperature != 0 && options_.head != ChromaHead::Bins) {
        throw UsageError("parameter 'temperature' applies only to a colorizer with head=bins (this one has head=" +
                         options_.to_json().at("head").get<std::string>() + ")");
    }
    if (temperature < 0 || temperature > 1) throw UsageError("parameter 'temperature' must be 0 (the trained one) or in (0, 1]");
    const double saturation = request.parameters.value("saturation", 0.0);
    if (saturation < 0 || saturation > 3) throw UsageError("parameter 'saturation' must be 0 (the model's) or in (0, 3]");
    const auto out = at_train_size ? colorize_at_train_size(gray, temperature, saturation)
                                   : colorize(gray, temperature, saturation);
    InferenceResult result;
    // Deterministic: every sample is the same image.
    for (int64_t k = 0; k < request.samples; ++k) result.outputs.push_back({sample_output_name(k, request.samples), out});
    return result;
}

std::vector<Visual> ColorizerModel::baselines(const torch::Tensor& input) {
    return {{"mean chroma", mean_chroma(rgb_to_gray3(input.to(torch::kCPU)))}};
}

torch::Tensor ColorizerModel::mean_chroma(const torch::Tensor& gray) const {
    torch::NoGradGuard no_grad;
    auto lightness = rgb_to_lab(gray.to(torch::kCPU)).narrow(1, 0, 1);
    auto ab = mean_ab_.to(torch::kCPU).unsqueeze(0);
    if (ab.size(2) != gray.size(2) || ab.size(3) != gray.size(3)) {
        ab = torch::nn::functional::interpolate(
            ab, torch::nn::functional::InterpolateFuncOptions()
                    .size(std::vector<int64_t>{gray.size(2), gray.size(3)})
                    .mode(torch::kBilinear)
                    .align_corners(false));
    }
    return lab_to_rgb(torch::cat({lightness, ab.expand({gray.size(0), -1, -1, -1})}, 1));
}

std::vector<Visual> ColorizerModel::visuals(const Batch& batch) {
    auto output = colorize(batch.input);
    return {{"gray", batch.input.to(torch::kCPU)}, {"output", output}, {"truth", batch.target.to(torch::kCPU)}};
}

void ColorizerModel::save(torch::serialize::OutputArchive& archive) const {
    parts_.save(archive);
    archive.write("mean_ab", mean_ab_.to(torch::kCPU), /*is_buffer=*/true);
    if (options_.head == ChromaHead::Bins) archive.write("bin_weights", bin_weights_, /*is_buffer=*/true);
}

void ColorizerModel::load(torch::serialize::InputArchive& archive) {
    parts_.load(archive);
    archive.read("mean_ab", mean_ab_, /*is_buffer=*/true);
    if (options_.head == ChromaHead::Bins) archive.read("bin_weights", bin_weights_, /*is_buffer=*/true);
    place(placement_);
}

ModelDescriptor colorizer_descriptor() {
    ModelDescriptor d;
    d.name = ColorizerModel::kName;
    d.summary = "face colorization GAN: a gray photo in, a color photo out";
    d.reference = "Li Ju, Face colorization GAN (2018); ganvas's default recipe in docs/RESULTS.md";
    d.options = colorizer_option_specs();
    d.decode_options = {"decode_temperature", "decode_saturation"};
    d.image_size = 64;
    d.train_defaults = [](const nlohmann::json&) { return TrainDefaults{1500, 0, 16}; };
    d.inputs = {{"gray", "a photo; only its luma is used, so gray or color both work"}};
    d.parameters = {{"at_train_size", OptionType::Bool, false,
                     "run the network at its training resolution and put the predicted chroma on the "
                     "full-resolution lightness"},
                    {"temperature", OptionType::Float, 0.0,
                     "head=bins only: the annealed-mean temperature decoding the a, b bins, in (0, 1]; lower "
                     "is more vivid, 1 the plain mean (0: the model's decode_temperature)"},
                    {"saturation", OptionType::Float, 0.0,
                     "gain on the predicted Lab a, b in (0, 3]; 1 leaves them as predicted, higher is more "
                     "vivid (0: the model's decode_saturation)"}};
    d.metrics = MetricSet::Colorization;
    d.create = [](const nlohmann::json& options) {
        return std::make_unique<ColorizerModel>(ColorizerOptions::from_json(options));
    };
    return d;
}

}  // namespace ganvas
