#include "ganvas/models/sketchygan/sketchygan_model.h"

#include "ganvas/core/error.h"
#include "ganvas/data/sketch_photo.h"
#include "ganvas/edges/detector.h"
#include "ganvas/edges/postprocess.h"
#include "ganvas/losses/gan_loss.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

namespace ganvas {
namespace fs = std::filesystem;

SketchyGanModel::SketchyGanModel(SketchyGanOptions options) : options_(std::move(options)) {
    options_.validate();
    build();
}

void SketchyGanModel::build() {
    netG_ = SketchyGenerator(options_);
    netD_ = SketchyDiscriminator(options_);
    init_sketchy_weights(*netG_, options_.init_std);
    init_sketchy_weights(*netD_, options_.init_std);
    opt_g_ = std::make_unique<FusedAdam>(netG_->parameters(), AdamConfig{options_.lr_g, options_.beta1, options_.beta2});
    opt_d_ = std::make_unique<FusedAdam>(netD_->parameters(), AdamConfig{options_.lr_d, options_.beta1, options_.beta2});
    set_lr_scale(lr_scale_);
    place(placement_);
}

void SketchyGanModel::bind_data(const fs::path& root) {
    const auto categories = sketch_categories(
        sketch_photo_files(root, Split::All, {}, {options_.sketchy_augmentation, options_.drop_flagged}));
    if (options_.classes.empty()) {
        options_.classes = categories;
        build();  // the class count shapes the networks; nothing is trained yet
    } else if (categories != options_.classes) {
        std::string want, got;
        for (const auto& c : options_.classes) want += (want.empty() ? "" : ", ") + c;
        for (const auto& c : categories) got += (got.empty() ? "" : ", ") + c;
        throw Error("data folder " + root.string() + " has the categories [" + got + "], the model was built for [" +
                    want + "]");
    }
    spdlog::info("sketchygan: {} class(es) from {}", options_.classes.size(), root.string());
    if (options_.lambda_perceptual > 0 && !vgg_) {
        if (options_.vgg_weights.empty()) {
            throw UsageError("sketchygan: the perceptual loss needs VGG-19 weights: --set vgg_weights=PATH "
                             "(vgg19_to_relu3_1.pth, see docs/SKETCHYGAN.md), or --set lambda_perceptual=0");
        }
        vgg_ = load_vgg19_relu31(options_.vgg_weights);
        place_module(*vgg_, placement_);
    }
}

std::vector<fs::path> SketchyGanModel::data_files(const fs::path& root, Split split, const SplitOptions& options) const {
    return sketch_photo_files(root, split, options, {options_.sketchy_augmentation, options_.drop_flagged});
}

std::shared_ptr<Dataset> SketchyGanModel::make_dataset(std::vector<fs::path> files, bool train) const {
    SketchPhotoConfig config;
    config.classes = options_.classes;
    config.size = static_cast<int>(options_.image_size);
    config.load_size = static_cast<int>(options_.load_size);
    config.flip = options_.flip;
    config.ab_sketch = options_.ab_sketch;
    if (train && options_.edge_schedule) {
        config.edges = make_edge_detector(options_.edge_detector, options_.edge_weights);
    }
    return std::make_shared<SketchPhotoDataset>(std::move(files), config, train);
}

void SketchyGanModel::place(const Placement& placement) {
    placement_ = placement;
    place_module(*netG_, placement_);
    place_module(*netD_, placement_);
    if (vgg_) place_module(*vgg_, placement_);
    opt_g_->place(placement_);
    opt_d_->place(placement_);
}

torch::Tensor SketchyGanModel::network_input(const torch::Tensor& sketch) const {
    torch::Tensor gray = sketch.mean(1, /*keepdim=*/true);
    if (options_.input == "distance") {
        const auto cpu = gray.to(torch::kCPU).contiguous();
        std::vector<torch::Tensor> maps;
        for (int64_t i = 0; i < cpu.size(0); ++i) {
            cv::Mat g8;
            cv::Mat(static_cast<int>(cpu.size(2)), static_cast<int>(cpu.size(3)), CV_32F, cpu[i].data_ptr<float>())
                .convertTo(g8, CV_8U, 255.0);
            const cv::Mat d = distance_map(g8);
            maps.push_back(torch::from_blob(const_cast<float*>(d.ptr<float>()), {1, d.rows, d.cols}, torch::kFloat).clone());
        }
        gray = torch::stack(maps).to(sketch.device());
    }
    return (gray * 2.0 - 1.0).contiguous(placement_.memory_format());
}

torch::Tensor SketchyGanModel::noise(int64_t n) const {
    return torch::randn({n, std::max<int64_t>(options_.noise_dim, 1)}, torch::TensorOptions().device(placement_.device));
}

void SketchyGanModel::set_d_requires_grad(bool requires) {
    for (auto& p : netD_->parameters()) p.set_requires_grad(requires);
}

void SketchyGanModel::begin_step(int64_t step, int64_t total_steps) {
    set_lr_scale(options_.lr_scale(step, total_steps));
    sketch_p_ = options_.edge_schedule ? options_.sketch_probability(step, total_steps) : 1.0;
}

NamedValues SketchyGanModel::train_step(const Batch& batch) {
    if (options_.lambda_perceptual > 0 && !vgg_) {
        throw Error("sketchygan: no feature network for the perceptual loss (bind_data was not called)");
    }
    netG_->train();
    netD_->train();
    const int64_t n = batch.size();
    const auto device = placement_.device;
    // Per example: the human sketch with probability p(t), else the photo's edge map.
    torch::Tensor sketch = network_input(batch.input);
    if (batch.alt_input.defined() && sketch_p_ < 1.0) {
        const auto use_sketch = torch::rand({n, 1, 1, 1}, torch::TensorOptions().device(device)) < sketch_p_;
        sketch = torch::where(use_sketch, sketch, network_input(batch.alt_input)).contiguous(placement_.memory_format());
    }
    const auto photo = (batch.target * 2.0 - 1.0).contiguous(placement_.memory_format());
    const auto labels = batch.label.clamp_min(0).to(device);

    // One generator pass over the batch twice, with noises z1 and z2 (the diversity pair).
    const bool two = options_.noise_dim > 0 && options_.lambda_div > 0;
    const auto z = noise(two ? 2 * n : n);
    const auto g_sketch = two ? torch::cat({sketch, sketch}) : sketch;
    const auto g_labels = two ? torch::cat({labels, labels}) : labels;
    const auto g_photo = two ? torch::cat({photo, photo}) : photo;
    const auto fake = netG_->forward(g_sketch, z, g_labels);

    // D: real photos vs generated, one pass (one power iteration); classifier on real photos.
    set_d_requires_grad(true);
    set_power_iteration(*netD_, true);
    const auto [d_logits, d_classes] = netD_->forward(torch::cat({photo, fake.detach()}));
    const auto d_real = torch::nn::functional::softplus(-d_logits.narrow(0, 0, n)).mean();
    const auto d_fake = torch::nn::functional::softplus(d_logits.narrow(0, n, fake.size(0))).mean();
    const auto d_aux = focal_cross_entropy(d_classes.narrow(0, 0, n), labels, options_.focal_gamma);
    const auto d_loss = d_real + d_fake + options_.lambda_aux_d * d_aux;
    opt_d_->zero_grad();
    d_loss.backward();
    opt_d_->step();

    // G: fool the updated D, be classified as the sketch's class, stay near the photo, differ
    // between noises.
    set_d_requires_grad(false);
    set_power_iteration(*netD_, false);
    const auto [g_logits, g_classes] = netD_->forward(fake);
    const auto g_gan = torch::nn::functional::softplus(-g_logits).mean();
    const auto g_aux = torch::nn::functional::cross_entropy(g_classes, g_labels);
    const auto g_l1 = torch::l1_loss(fake, g_photo);
    torch::Tensor g_loss = g_gan + options_.lambda_aux_g * g_aux + options_.lambda_l1 * g_l1;
    torch::Tensor g_perc, g_div;
    if (options_.lambda_perceptual > 0) {
        g_perc = perceptual_l1(vgg_, (fake + 1.0) * 0.5, (g_photo + 1.0) * 0.5);
        g_loss = g_loss + options_.lambda_perceptual * g_perc;
    }
    if (two) {
        g_div = diversity_loss(fake.narrow(0, 0, n), fake.narrow(0, n, n), z.narrow(0, 0, n), z.narrow(0, n, n));
        g_loss = g_loss + options_.lambda_div * g_div;
    }
    opt_g_->zero_grad();
    g_loss.backward();
    opt_g_->step();
    set_d_requires_grad(true);
    set_power_iteration(*netD_, true);

    NamedValues out{{"G_GAN", g_gan.item<double>()}, {"G_aux", g_aux.item<double>()}, {"G_L1", g_l1.item<double>()}};
    if (g_perc.defined()) out.emplace_back("G_perc", g_perc.item<double>());
    if (g_div.defined()) out.emplace_back("G_div", g_div.item<double>());
    out.insert(out.end(), {{"D_real", d_real.item<double>()}, {"D_fake", d_fake.item<double>()},
                           {"D_aux", d_aux.item<double>()}, {"p_sketch", sketch_p_}});
    return out;
}

torch::Tensor SketchyGanModel::translate_labeled(const torch::Tensor& input, const torch::Tensor& labels) {
    torch::NoGradGuard no_grad;
    netG_->eval();
    const auto x = placement_.apply(input);
    const int64_t n = x.size(0);
    torch::Tensor l = labels.defined() ? labels.to(placement_.device) : torch::zeros({n}, torch::kLong).to(placement_.device);
    if (l.numel() != n || (l < 0).any().item<bool>() || (l >= options_.class_count()).any().item<bool>()) {
        throw Error("sketchygan: labels must be " + std::to_string(n) + " class indices in [0, " +
                    std::to_string(options_.class_count()) + ")");
    }
    const auto out = netG_->forward(network_input(x), noise(n), l);
    return ((out + 1.0) * 0.5).clamp(0.0, 1.0).to(torch::kCPU).contiguous();
}

torch::Tensor SketchyGanModel::translate(const torch::Tensor& input) { return translate_labeled(input, {}); }

torch::Tensor SketchyGanModel::classify(const torch::Tensor& images) {
    torch::NoGradGuard no_grad;
    netD_->eval();
    const auto x = (placement_.apply(images) * 2.0 - 1.0).contiguous(placement_.memory_format());
    return netD_->forward(x).second.to(torch::kCPU);
}

std::vector<Visual> SketchyGanModel::visuals(const Batch& batch) {
    const auto labels = batch.label.defined() ? batch.label.clamp_min(0) : torch::Tensor();
    auto first = translate_labeled(batch.input, labels);
    auto second = translate_labeled(batch.input, labels);
    return {{"sketch", batch.input.to(torch::kCPU)}, {"output z1", first}, {"output z2", second},
            {"photo", batch.target.to(torch::kCPU)}};
}

void SketchyGanModel::set_lr_scale(double scale) {
    lr_scale_ = scale;
    opt_g_->set_lr(options_.lr_g * scale);
    opt_d_->set_lr(options_.lr_d * scale);
}

void SketchyGanModel::save(torch::serialize::OutputArchive& archive) const {
    torch::serialize::OutputArchive g, d;
    netG_->save(g);
    netD_->save(d);
    archive.write("G", g);
    archive.write("D", d);
    opt_g_->save(archive, "opt_G");
    opt_d_->save(archive, "opt_D");
}

void SketchyGanModel::load(torch::serialize::InputArchive& archive) {
    torch::serialize::InputArchive g, d;
    archive.read("G", g);
    archive.read("D", d);
    netG_->load(g);
    netD_->load(d);
    opt_g_->load(archive, "opt_G");
    opt_d_->load(archive, "opt_D");
    place(placement_);
}

int64_t SketchyGanModel::parameter_count() const { return count_parameters(*netG_) + count_parameters(*netD_); }

}  // namespace ganvas
