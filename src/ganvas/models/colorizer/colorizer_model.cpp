#include "ganvas/models/colorizer/colorizer_model.h"

#include "ganvas/core/color.h"
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

ColorizerModel::ColorizerModel(ColorizerOptions options) : options_(std::move(options)) {
    options_.validate();
    generator_ = ColorizerGenerator(options_.widths, options_.output);
    discriminator_ = DcganDiscriminator(options_.image_size, options_.d_width);
    init_dcgan_weights(*generator_);
    init_dcgan_weights(*discriminator_);
    const auto adam = [&] {
        return torch::optim::AdamOptions(options_.lr).betas({options_.beta1, options_.beta2});
    };
    opt_g_ = std::make_unique<torch::optim::Adam>(generator_->parameters(), adam());
    opt_d_ = std::make_unique<torch::optim::Adam>(discriminator_->parameters(), adam());
    mean_ab_ = torch::zeros({2, options_.image_size, options_.image_size});
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
    int64_t used = 0;
    Progress progress("mean chroma", static_cast<int64_t>(take));
    for (size_t k = 0; k < take; ++k) {
        const size_t i = k * n / take;
        try {
            auto target = train_set.get(i, /*seed=*/0).target.unsqueeze(0);
            sum += rgb_to_lab(target).squeeze(0).narrow(0, 1, 2).to(torch::kFloat64);
            ++used;
        } catch (const std::exception& e) {
            spdlog::debug("mean chroma: skipping {}", train_set.describe(i));
        }
        progress.update(static_cast<int64_t>(k + 1));
    }
    progress.finish();
    if (used > 0) mean_ab_ = (sum / static_cast<double>(used)).to(torch::kFloat32);
}

void ColorizerModel::place(const Placement& placement) {
    placement_ = placement;
    place_module(*generator_, placement_);
    place_module(*discriminator_, placement_);
    place_adam_state(*opt_g_, placement_);
    place_adam_state(*opt_d_, placement_);
}

NamedValues ColorizerModel::train_step(const Batch& batch) {
    generator_->train();
    discriminator_->train();
    const auto& gray = batch.input;
    const auto& real = batch.target;
    auto fake = generator_->forward(gray);

    opt_d_->zero_grad();
    auto real_logits = discriminator_->forward(real);
    auto fake_logits_d = discriminator_->forward(fake.detach());
    auto d_real = bce_gan_loss(real_logits, true);
    auto d_fake = bce_gan_loss(fake_logits_d, false);
    auto d = options_.d_weight * (d_real + d_fake);
    d.backward();
    opt_d_->step();

    opt_g_->zero_grad();
    auto fake_logits_g = discriminator_->forward(fake);
    auto [g_adv, g_rec, g] = colorizer_g_loss(fake_logits_g, fake, real, options_);
    g.backward();
    opt_g_->step();

    return {{"D", d.item<double>()},          {"D_real", d_real.item<double>()},
            {"D_fake", d_fake.item<double>()}, {"G", g.item<double>()},
            {"G_adv", g_adv.item<double>()},   {"G_rec", g_rec.item<double>()}};
}

torch::Tensor ColorizerModel::colorize(const torch::Tensor& gray) {
    torch::InferenceMode guard;
    generator_->eval();
    auto out = generator_->forward(placement_.apply(gray));
    return out.to(torch::kCPU).contiguous();
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

void ColorizerModel::set_lr_scale(double scale) {
    for (auto* opt : {opt_g_.get(), opt_d_.get()}) {
        for (auto& group : opt->param_groups()) {
            static_cast<torch::optim::AdamOptions&>(group.options()).lr(options_.lr * scale);
        }
    }
}

void ColorizerModel::save(torch::serialize::OutputArchive& archive) const {
    torch::serialize::OutputArchive g, d, og, od;
    generator_->save(g);
    discriminator_->save(d);
    opt_g_->save(og);
    opt_d_->save(od);
    archive.write("G", g);
    archive.write("D", d);
    archive.write("opt_G", og);
    archive.write("opt_D", od);
    archive.write("mean_ab", mean_ab_.to(torch::kCPU), /*is_buffer=*/true);
}

void ColorizerModel::load(torch::serialize::InputArchive& archive) {
    torch::serialize::InputArchive g, d, og, od;
    archive.read("G", g);
    archive.read("D", d);
    archive.read("opt_G", og);
    archive.read("opt_D", od);
    generator_->load(g);
    discriminator_->load(d);
    opt_g_->load(og);
    opt_d_->load(od);
    archive.read("mean_ab", mean_ab_, /*is_buffer=*/true);
    place(placement_);
}

int64_t ColorizerModel::parameter_count() const {
    return count_parameters(*generator_) + count_parameters(*discriminator_);
}

}  // namespace ganvas
