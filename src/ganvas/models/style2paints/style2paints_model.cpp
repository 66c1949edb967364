#include "ganvas/models/style2paints/style2paints_model.h"

#include "ganvas/core/error.h"
#include "ganvas/core/progress.h"
#include "ganvas/models/style2paints/data.h"
#include "ganvas/nn/conv2d.h"
#include "ganvas/nn/inference_context.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

namespace ganvas {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

torch::Tensor bce(const torch::Tensor& logits, bool real) {
    return F::binary_cross_entropy_with_logits(logits, real ? torch::ones_like(logits) : torch::zeros_like(logits));
}

torch::Tensor resize_to(const torch::Tensor& images, int64_t side) {
    if (images.size(2) == side && images.size(3) == side) return images;
    const bool shrink = images.size(2) > side || images.size(3) > side;
    return F::interpolate(images, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{side, side})
                                      .mode(torch::kBilinear)
                                      .align_corners(false)
                                      .antialias(shrink))
        .clamp(0.0, 1.0);
}

}  // namespace

Style2PaintsModel::Style2PaintsModel(Style2PaintsOptions options) : options_(std::move(options)) {
    options_.validate();
    netG_ = Style2PaintsGenerator(options_);
    netD_ = Style2PaintsDiscriminator(options_, options_.style_dim());
    hint_ = StyleHint(options_.style_dim(), options_.hint_width);
    init_style2paints_weights(*netG_);
    init_style2paints_weights(*netD_);
    init_style2paints_weights(*hint_);
    std::vector<torch::Tensor> g_params = netG_->parameters();
    for (const auto& p : hint_->parameters()) g_params.push_back(p);
    const AdamConfig adam{options_.lr, options_.beta1, options_.beta2};
    opt_g_ = std::make_unique<Optimizer>(g_params, adam, AdamKind::Fused);
    opt_d_ = std::make_unique<Optimizer>(netD_->parameters(), adam, AdamKind::Fused);
    parts_.add_network("G", *netG_);
    parts_.add_network("hint", *hint_);
    parts_.add_network("D", *netD_, /*trained=*/true, NetworkUse::TrainingOnly);
    parts_.add_optimizer("opt_G", *opt_g_);
    parts_.add_optimizer("opt_D", *opt_d_);
    if (!options_.fc1_encoder()) {
        // The shipped encoder's 2 MB of weights travel in the checkpoint; until bind_data or load
        // fills them it holds PyTorch's default initialisation (enough for shape and contract tests).
        stats_encoder_ = VggStatsEncoder();
        parts_.add_frozen("style_encoder", *stats_encoder_);
    }
    parts_.set_training(false);
    place(placement_);
}

void Style2PaintsModel::ensure_encoder() {
    if (encoder_ready_) return;
    if (options_.style_weights.empty()) {
        throw UsageError(std::string("style2paints: the ") + options_.style_encoder +
                         " style encoder needs its weights: --set style_weights=PATH (" +
                         (options_.fc1_encoder() ? "torchvision's vgg19-dcbb9e9d.pth or vgg16-397923af.pth"
                                                 : "vgg19_to_relu3_1.pth") +
                         ", see docs/STYLE2PAINTS.md)");
    }
    const fs::path path = options_.style_weights;
    if (options_.fc1_encoder()) {
        fc1_encoder_ = load_vgg_fc1(path);
        if (fc1_encoder_->dim() != options_.style_dim()) {
            throw Error(path.string() + ": fc1 has " + std::to_string(fc1_encoder_->dim()) + " outputs, expected " +
                        std::to_string(options_.style_dim()));
        }
        place_module(*fc1_encoder_, placement_);
    } else {
        stats_encoder_->load_weights(path);
        place_module(*stats_encoder_, placement_);
    }
    encoder_ready_ = true;
}

void Style2PaintsModel::bind_data(const fs::path& root) {
    if (options_.lineart == "pairs" && !has_lineart_pairs(root)) {
        throw Error("data folder " + root.string() +
                    " has no lineart/ and color/ folders (style2paints option lineart=pairs)");
    }
    ensure_encoder();
    const bool pairs = options_.lineart != "xdog" && has_lineart_pairs(root);
    spdlog::info("style2paints: {} from {}", pairs ? "line art / painting pairs" : "paintings, line art by XDoG",
                 root.string());
}

std::vector<fs::path> Style2PaintsModel::data_files(const fs::path& root, Split split,
                                                    const SplitOptions& options) const {
    const bool pairs = options_.lineart != "xdog" && has_lineart_pairs(root);
    return painting_files(root, split, options, pairs);
}

std::shared_ptr<Dataset> Style2PaintsModel::make_dataset(std::vector<fs::path> files, bool train) const {
    LineartDataConfig config;
    config.size = static_cast<int>(options_.image_size);
    config.load_size = static_cast<int>(options_.load_size);
    config.flip = options_.flip;
    config.source = options_.lineart == "xdog"    ? LineartSource::Extract
                    : options_.lineart == "pairs" ? LineartSource::Pairs
                                                  : LineartSource::Auto;
    config.style_augment = options_.style_augment;
    config.style_size = static_cast<int>(options_.style_side());
    return std::make_shared<LineartPaintingDataset>(std::move(files), config, train);
}

void Style2PaintsModel::prepare(const Dataset& train_set) {
    // Root mean square of each style feature over up to 256 training style images, evenly spaced.
    torch::NoGradGuard no_grad;
    const size_t n = train_set.size();
    const size_t take = std::min<size_t>(n, 256);
    auto sum = torch::zeros({options_.style_dim()}, torch::kFloat64);
    int64_t used = 0;
    Progress progress("style feature scale", static_cast<int64_t>(take));
    for (size_t k = 0; k < take; ++k) {
        const size_t i = k * n / take;
        try {
            const Example example = train_set.get(i, /*seed=*/k);
            const auto f = style_features(example.extra.at("style").unsqueeze(0)).to(torch::kCPU, torch::kFloat64);
            sum += f.pow(2).squeeze(0);
            ++used;
        } catch (const Error& e) {
            spdlog::debug("style feature scale: skipping {}: {}", train_set.describe(i), e.what());
        }
        progress.update(static_cast<int64_t>(k + 1));
    }
    progress.finish();
    if (used == 0) throw Error("style2paints: no training painting could be read to scale the style features");
    const auto scale = (sum / static_cast<double>(used)).sqrt().clamp_min(1e-3).to(torch::kFloat32);
    hint_->scale.copy_(scale.to(hint_->scale.device()));
}

void Style2PaintsModel::place(const Placement& placement) {
    placement_ = placement;
    parts_.place(placement_);
    if (fc1_encoder_) place_module(*fc1_encoder_, placement_);
}

torch::Tensor Style2PaintsModel::network_lineart(const torch::Tensor& lineart) const {
    return in_memory_format(placement_.apply(lineart).mean(1, /*keepdim=*/true) * 2.0 - 1.0, placement_.memory_format());
}

torch::Tensor Style2PaintsModel::style_features(const torch::Tensor& style) {
    torch::NoGradGuard no_grad;
    const auto x = resize_to(placement_.apply(style).to(torch::kFloat), options_.style_side())
                       .contiguous(placement_.memory_format());
    if (options_.fc1_encoder()) {
        if (!fc1_encoder_) {
            throw Error("style2paints: the " + options_.style_encoder + " style encoder is not loaded (set style_weights)");
        }
        return fc1_encoder_->forward(x);
    }
    return stats_encoder_->forward(x);
}

torch::Tensor Style2PaintsModel::training_features(const torch::Tensor& style) {
    // The encoder is frozen (no gradient); inside training its 3x3 layers may run by Winograd.
    TrainingConvolutions winograd;
    return hint_->scaled(style_features(style));
}

void Style2PaintsModel::set_d_requires_grad(bool requires) {
    for (auto& p : netD_->parameters()) p.set_requires_grad(requires);
}

NamedValues Style2PaintsModel::train_step(const Batch& batch) {
    const auto style = batch.get("style");
    if (!style.defined()) throw Error("style2paints: the batch has no style images");
    TrainingModeGuard training(parts_);
    last_batch_ = batch.size();
    const auto lineart = network_lineart(batch.input);
    const auto real = (placement_.apply(batch.target) * 2.0 - 1.0).contiguous(placement_.memory_format());
    const auto features = training_features(style);
    const GeneratorOutputs g = netG_->forward(lineart, hint_->forward(features));

    // D: real paintings real, generated fake; its style head reads V(real) off real paintings and 0
    // off generated ones.
    set_d_requires_grad(true);
    const auto on_real = netD_->forward(real);
    const auto on_fake = netD_->forward(g.output.detach());
    const auto d_real = bce(on_real.logits, true), d_fake = bce(on_fake.logits, false);
    const auto d_style = F::mse_loss(on_real.style, features) + F::mse_loss(on_fake.style, torch::zeros_like(features));
    const auto d_loss = 0.5 * (d_real + d_fake) + options_.lambda_style * d_style;
    opt_d_->zero_grad();
    d_loss.backward();
    opt_d_->step();

    // G: fool D, make its style head read the style image's features, stay near the painting with
    // the output and both guides.
    set_d_requires_grad(false);
    const auto judged = netD_->forward(g.output);
    const auto g_gan = bce(judged.logits, true);
    const auto g_style = F::mse_loss(judged.style, features);
    const auto g_l1 = torch::l1_loss(g.output, real);
    torch::Tensor l1_total = g_l1, g_guide1, g_guide2;
    if (g.guide1.defined()) {
        g_guide1 = torch::l1_loss(g.guide1, real);
        g_guide2 = torch::l1_loss(g.guide2, real);
        l1_total = l1_total + options_.guide1_weight * g_guide1 + options_.guide2_weight * g_guide2;
    }
    const auto g_loss = g_gan + options_.lambda_style * g_style + options_.lambda_l1 * l1_total;
    opt_g_->zero_grad();
    g_loss.backward();
    double squared = 0.0;
    for (const auto& p : netG_->middle_parameters()) {
        if (p.grad().defined()) squared += p.grad().pow(2).sum().item<double>();
    }
    middle_grad_ = std::sqrt(squared);
    opt_g_->step();
    set_d_requires_grad(true);

    NamedValues out{{"G_GAN", g_gan.item<double>()}, {"G_style", g_style.item<double>()}, {"G_L1", g_l1.item<double>()}};
    if (g_guide1.defined()) {
        out.emplace_back("G_guide1", g_guide1.item<double>());
        out.emplace_back("G_guide2", g_guide2.item<double>());
    }
    out.insert(out.end(), {{"D_real", d_real.item<double>()}, {"D_fake", d_fake.item<double>()},
                           {"D_style", d_style.item<double>()}, {"mid_grad", middle_grad_}});
    return out;
}

void Style2PaintsModel::before_checkpoint(const Dataset& train_set) {
    const size_t n = train_set.size();
    if (options_.bn_batches == 0 || last_batch_ == 0 || n == 0) return;
    std::vector<ContextBatchNorm2dImpl*> norms;
    for (auto& m : netG_->modules(/*include_self=*/false)) {
        if (auto* bn = m->as<ContextBatchNorm2dImpl>()) norms.push_back(bn);
    }
    struct RestoreMomentum {
        std::vector<ContextBatchNorm2dImpl*>& norms;
        double momentum;
        ~RestoreMomentum() {
            for (auto* bn : norms) bn->set_momentum(momentum);
        }
    } restore{norms, norms.empty() ? 0.1 : norms.front()->momentum()};
    torch::NoGradGuard no_grad;
    TrainingModeGuard training(parts_);
    int64_t used = 0;
    for (int64_t k = 0; k < options_.bn_batches; ++k) {
        std::vector<Example> examples;
        for (int64_t j = 0; j < last_batch_; ++j) {
            const size_t i = static_cast<size_t>(k * last_batch_ + j) % n;
            try {
                examples.push_back(train_set.get(i, /*seed=*/static_cast<uint64_t>(k * last_batch_ + j)));
            } catch (const Error& e) {
                spdlog::debug("batch-norm statistics: skipping {}: {}", train_set.describe(i), e.what());
            }
        }
        if (examples.size() < 2) continue;
        const Batch batch = collate(examples);
        for (auto* bn : norms) bn->set_momentum(1.0 / static_cast<double>(used + 1));
        const auto features = training_features(batch.get("style"));
        netG_->forward(network_lineart(batch.input), hint_->forward(features));
        ++used;
    }
}

Paintings Style2PaintsModel::paint(const torch::Tensor& lineart, const torch::Tensor& style, double strength) {
    torch::InferenceMode guard;
    // Nothing here is random; the context only switches the norm layers to the batch's statistics.
    ScopedInference context(/*seed=*/0, options_.test_train_mode);
    const auto hint = hint_->forward(hint_->scaled(style_features(style))) * strength;
    const GeneratorOutputs g = netG_->forward(network_lineart(lineart), hint);
    const auto to_image = [](const torch::Tensor& t) {
        return t.defined() ? ((t + 1.0) * 0.5).clamp(0.0, 1.0).to(torch::kCPU).contiguous() : torch::Tensor();
    };
    return {to_image(g.output), to_image(g.guide1), to_image(g.guide2)};
}

InferenceResult Style2PaintsModel::run_inference(const InferenceRequest& request) {
    const auto& sketch = request.inputs.at("sketch");
    if (sketch.size(2) % 16 != 0 || sketch.size(3) % 16 != 0) {
        throw UsageError("input 'sketch': style2paints needs sides that are multiples of 16, got " +
                         std::to_string(sketch.size(3)) + "x" + std::to_string(sketch.size(2)));
    }
    const double strength = request.parameters.value("strength", 1.0);
    if (!(strength >= 0.0) || strength > 4.0) throw UsageError("parameter 'strength' must be in [0, 4]");
    const Paintings p = paint(sketch, request.inputs.at("style"), strength);
    InferenceResult result;
    // The model draws nothing at random: every sample is the same painting.
    for (int64_t k = 0; k < request.samples; ++k) result.outputs.push_back({sample_output_name(k, request.samples), p.output});
    if (p.guide1.defined()) {
        result.outputs.push_back({"guide1", p.guide1});
        result.outputs.push_back({"guide2", p.guide2});
    }
    return result;
}

torch::Tensor Style2PaintsModel::to_input_size(const torch::Tensor& output, const torch::Tensor& full_input) const {
    const std::vector<int64_t> size{full_input.size(1), full_input.size(2)};
    if (output.size(1) == size[0] && output.size(2) == size[1]) return output;
    // The colours go back onto the full-size line art: a 3x3 maximum first lifts the low-resolution
    // strokes out of the colour layer, which is then enlarged and multiplied by the line art.
    const auto colours = torch::max_pool2d(output.unsqueeze(0), 3, 1, 1);
    const auto enlarged = F::interpolate(colours, F::InterpolateFuncOptions().size(size).mode(torch::kBicubic).align_corners(false))
                              .squeeze(0)
                              .clamp(0.0, 1.0);
    return (enlarged * full_input.mean(0, /*keepdim=*/true)).clamp(0.0, 1.0);
}

std::vector<Visual> Style2PaintsModel::visuals(const Batch& batch) {
    const auto style = batch.get("style");
    const Paintings p = paint(batch.input, style);
    std::vector<Visual> v{{"line art", batch.input.to(torch::kCPU)},
                          {"style", resize_to(style.to(torch::kCPU), batch.input.size(2))},
                          {"output", p.output}};
    if (p.guide1.defined()) {
        v.push_back({"guide 1", p.guide1});
        v.push_back({"guide 2", p.guide2});
    }
    v.push_back({"painting", batch.target.to(torch::kCPU)});
    return v;
}

void Style2PaintsModel::load(torch::serialize::InputArchive& archive) {
    parts_.load(archive);
    if (options_.fc1_encoder()) {
        ensure_encoder();
    } else {
        encoder_ready_ = true;  // its weights came with the checkpoint
    }
    place(placement_);
}

ModelDescriptor style2paints_descriptor() {
    ModelDescriptor d;
    d.name = Style2PaintsModel::kName;
    d.summary = "anime line art + a style painting in, the drawing painted in that style out (guided residual U-Net)";
    d.reference = "Zhang, Ji & Lin, ACPR 2017, arXiv 1706.03319 (docs/STYLE2PAINTS.md)";
    d.options = style2paints_option_specs();
    d.image_size = 128;
    d.train_defaults = [](const nlohmann::json&) { return TrainDefaults{10000, 0, 8}; };
    d.inputs = {{"sketch", "the line art: dark lines on white (gray, RGB, or strokes on a transparent PNG)"},
                {"style", "a painting whose colours and look to use (any size; a folder: one output per painting)", true,
                 /*each_file=*/true}};
    d.parameters = {{"strength", OptionType::Float, 1.0, "scale of the style hint (0: none, 1: as trained)"}};
    d.guide_outputs = {"guide1", "guide2"};
    d.metrics = MetricSet::Paired;
    d.eval_variants = {{"hint zeroed", {{"strength", 0.0}}, "the same model with the style hint zeroed"}};
    d.create = [](const nlohmann::json& options) {
        return std::make_unique<Style2PaintsModel>(Style2PaintsOptions::from_json(options));
    };
    return d;
}

}  // namespace ganvas
