// SketchyGAN (Chen & Hays, CVPR 2018) as a trainable model: MRU generator with noise and
// class-conditional batch norm, spectrally normalised MRU discriminator with an auxiliary
// classifier; logistic GAN loss, focal / plain cross-entropy for the classifier, L1, VGG
// perceptual and diversity terms; the edge-map -> sketch schedule of its training data.
#pragma once
#include "ganvas/models/gan_model.h"
#include "ganvas/models/sketchygan/networks.h"
#include "ganvas/models/sketchygan/options.h"
#include "ganvas/nn/adam.h"
#include "ganvas/nn/vgg.h"

#include <memory>

namespace ganvas {

class SketchyGanModel final : public GanModel {
public:
    static constexpr const char* kName = "sketchygan";

    explicit SketchyGanModel(SketchyGanOptions options);

    std::string name() const override { return kName; }
    nlohmann::json options_json() const override { return options_.to_json(); }
    void bind_data(const std::filesystem::path& root) override;
    std::vector<std::filesystem::path> data_files(const std::filesystem::path& root, Split split,
                                                  const SplitOptions& options) const override;
    std::shared_ptr<Dataset> make_dataset(std::vector<std::filesystem::path> files, bool train) const override;
    void place(const Placement& placement) override;
    const Placement& placement() const override { return placement_; }
    void begin_step(int64_t step, int64_t total_steps) override;
    NamedValues train_step(const Batch& batch) override;
    std::vector<Visual> visuals(const Batch& batch) override;
    void set_lr_scale(double scale) override;
    torch::Tensor translate(const torch::Tensor& input) override;
    torch::Tensor translate_labeled(const torch::Tensor& input, const torch::Tensor& labels) override;
    int64_t translate_size() const override { return options_.image_size; }
    std::vector<std::string> class_names() const override { return options_.classes; }
    torch::Tensor classify(const torch::Tensor& images) override;
    void save(torch::serialize::OutputArchive& archive) const override;
    void load(torch::serialize::InputArchive& archive) override;
    int64_t parameter_count() const override;

    // Images [N, C, H, W] in [0, 1] -> the generator's one-channel input in [-1, 1] (the gray
    // sketch, or its distance map when options.input = distance).
    torch::Tensor network_input(const torch::Tensor& sketch) const;
    // The share of real sketches at the current step (p(t)).
    double sketch_probability() const { return sketch_p_; }
    // Uses this feature network for the perceptual term (bind_data loads it from vgg_weights).
    void set_feature_network(Vgg19Relu31 vgg) { vgg_ = std::move(vgg); }

    const SketchyGanOptions& options() const { return options_; }
    SketchyGenerator& generator() { return netG_; }
    SketchyDiscriminator& discriminator() { return netD_; }

private:
    void build();
    void set_d_requires_grad(bool requires);
    torch::Tensor noise(int64_t n) const;

    SketchyGanOptions options_;
    Placement placement_;
    SketchyGenerator netG_{nullptr};
    SketchyDiscriminator netD_{nullptr};
    std::unique_ptr<FusedAdam> opt_g_, opt_d_;
    Vgg19Relu31 vgg_{nullptr};
    double sketch_p_ = 1.0;
    double lr_scale_ = 1.0;
};

}  // namespace ganvas
