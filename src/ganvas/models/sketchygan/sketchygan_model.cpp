#include "ganvas/models/sketchygan/sketchygan_model.h"

#include "ganvas/core/error.h"
#include "ganvas/data/sketch_photo.h"
#include "ganvas/edges/detector.h"
#include "ganvas/edges/postprocess.h"
#include "ganvas/losses/gan_loss.h"
#include "ganvas/nn/inference_context.h"

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
    opt_g_ = std::make_unique<Optimizer>(netG_->parameters(), AdamConfig{options_.lr_g, options_.beta1, options_.beta2},
                                         AdamKind::Fused);
    opt_d_ = std::make_unique<Optimizer>(netD_->parameters(), AdamConfig{options_.lr_d, options_.beta1, options_.beta2},
                                         AdamKind::Fused);
    parts_.clear();
    parts_.add_network("G", *netG_);
    parts_.add_network("D", *netD_, /*trained=*/true, NetworkUse::TrainingOnly);
    parts_.add_optimizer("opt_G", *opt_g_);
    parts_.add_optimizer("opt_D", *opt_d_);
    if (vgg_) parts_.add_network("vgg", *vgg_, /*trained=*/false);
    parts_.set_training(false);
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
        vgg_->eval();
        parts_.add_network("vgg", *vgg_, /*trained=*/false);
        place_module(*vgg_, placement_);
    }
}

void SketchyGanModel::set_feature_network(Vgg19Relu31 vgg) {
    if (vgg_) throw Error("sketchygan: the feature network is already set");
    vgg_ = std::move(vgg);
    vgg_->eval();
    for (auto& p : vgg_->parameters()) p.set_requires_grad(false);
    parts_.add_network("vgg", *vgg_, /*trained=*/false);
    place_module(*vgg_, placement_);
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
    parts_.place(placement_);
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

torch::Tensor SketchyGanModel::noise(int64_t n, at::Generator* generator) const {
    const std::vector<int64_t> shape{n, std::max<int64_t>(options_.noise_dim, 1)};
    if (generator == nullptr) return torch::randn(shape, torch::TensorOptions().device(placement_.device));
    // Drawn on the CPU, so a seed gives the same noise on every device.
    return torch::randn(shape, *generator, torch::kFloat).to(placement_.device);
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
    TrainingModeGuard training(parts_);
    const int64_t n = batch.size();
    const auto device = placement_.device;
    // Per example: the human sketch with probability p(t), else the photo's edge map.
    torch::Tensor sketch = network_input(batch.input);
    if (const auto edges = batch.get("edges"); edges.defined() && sketch_p_ < 1.0) {
        const auto use_sketch = torch::rand({n, 1, 1, 1}, torch::TensorOptions().device(device)) < sketch_p_;
        sketch = torch::where(use_sketch, sketch, network_input(edges)).contiguous(placement_.memory_format());
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
        // The photos' features once, without a graph: both halves of the pair compare with them.
        VggFeatures target;
        {
            torch::NoGradGuard no_grad;
            target = vgg_->forward((photo + 1.0) * 0.5);
        }
        g_perc = perceptual_l1(vgg_, (fake + 1.0) * 0.5, target);
        g_loss = g_loss + options_.lambda_perceptual * g_perc;
    }
    if (two) {
        const auto a = fake.narrow(0, 0, n), b = fake.narrow(0, n, n), z1 = z.narrow(0, 0, n), z2 = z.narrow(0, n, n);
        g_div = options_.diversity == "mode_seeking" ? mode_seeking_loss(a, b, z1, z2) : diversity_loss(a, b, z1, z2);
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

torch::Tensor SketchyGanModel::generate(const torch::Tensor& sketch, const torch::Tensor& labels,
                                        at::Generator& generator) {
    torch::InferenceMode guard;
    const auto x = placement_.apply(sketch);
    const int64_t n = x.size(0);
    const auto l = labels.to(torch::kCPU);
    if (l.numel() != n || (l < 0).any().item<bool>() || (l >= options_.class_count()).any().item<bool>()) {
        throw Error("sketchygan: labels must be " + std::to_string(n) + " class indices in [0, " +
                    std::to_string(options_.class_count()) + ")");
    }
    const auto out = netG_->forward(network_input(x), noise(n, &generator), l.to(placement_.device));
    return ((out + 1.0) * 0.5).clamp(0.0, 1.0).to(torch::kCPU).contiguous();
}

InferenceResult SketchyGanModel::run_inference(const InferenceRequest& request) {
    const auto& sketch = request.inputs.at("sketch");
    int64_t label = 0;
    if (const std::string name = request.parameters.value("class", std::string()); !name.empty()) {
        const auto it = std::find(options_.classes.begin(), options_.classes.end(), name);
        if (it == options_.classes.end()) {
            std::string list;
            for (const auto& c : options_.classes) list += (list.empty() ? "" : ", ") + c;
            throw UsageError("class '" + name + "' is not one of the model's classes (" + list + ")");
        }
        label = it - options_.classes.begin();
    }
    const auto labels = torch::full({sketch.size(0)}, label, torch::kLong);
    auto generator = make_cpu_generator(request.seed);
    InferenceResult result;
    for (int64_t k = 0; k < request.samples; ++k) {
        result.outputs.push_back({sample_output_name(k, request.samples), generate(sketch, labels, generator)});
    }
    return result;
}

torch::Tensor SketchyGanModel::classify(const torch::Tensor& images) {
    torch::InferenceMode guard;
    const auto x = (placement_.apply(images) * 2.0 - 1.0).contiguous(placement_.memory_format());
    return netD_->forward(x).second.to(torch::kCPU);
}

std::vector<Visual> SketchyGanModel::visuals(const Batch& batch) {
    const auto labels = batch.label.defined() ? batch.label.clamp_min(0) : torch::zeros({batch.size()}, torch::kLong);
    // Two fixed noises, so that the grids of successive steps are comparable.
    auto z1 = make_cpu_generator(1), z2 = make_cpu_generator(2);
    auto first = generate(batch.input, labels, z1);
    auto second = generate(batch.input, labels, z2);
    return {{"sketch", batch.input.to(torch::kCPU)}, {"output z1", first}, {"output z2", second},
            {"photo", batch.target.to(torch::kCPU)}};
}

void SketchyGanModel::set_lr_scale(double scale) {
    lr_scale_ = scale;
    opt_g_->set_lr(options_.lr_g * scale);
    opt_d_->set_lr(options_.lr_d * scale);
}

void SketchyGanModel::load(torch::serialize::InputArchive& archive) {
    parts_.load(archive);
    place(placement_);
}

ModelDescriptor sketchygan_descriptor() {
    ModelDescriptor d;
    d.name = SketchyGanModel::kName;
    d.summary = "free-hand sketch in, diverse realistic photos out, class-conditional (MRU networks)";
    d.reference = "Chen & Hays, SketchyGAN, CVPR 2018; wchen342/SketchyGAN (docs/SKETCHYGAN.md)";
    d.options = sketchygan_option_specs();
    d.image_size = 64;
    d.train_defaults = [](const nlohmann::json&) { return TrainDefaults{20000, 0, 16}; };
    d.inputs = {{"sketch", "a line sketch, dark strokes on white (an AB image's half with translate --ab)"}};
    d.parameters = {{"class", OptionType::String, "", "the class to draw, by name (default: the first class)", "--class"}};
    d.metrics = MetricSet::Paired;
    d.create = [](const nlohmann::json& options) {
        return std::make_unique<SketchyGanModel>(SketchyGanOptions::from_json(options));
    };
    return d;
}

}  // namespace ganvas
