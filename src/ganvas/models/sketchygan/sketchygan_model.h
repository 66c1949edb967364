// SketchyGAN (Chen & Hays, CVPR 2018) as a trainable model: MRU generator with noise and
// class-conditional batch norm, spectrally normalised MRU discriminator with an auxiliary
// classifier; logistic GAN loss, focal / plain cross-entropy for the classifier, L1, VGG
// perceptual and diversity terms; the edge-map -> sketch schedule of its training data.
#pragma once
#include "ganvas/models/gan_model.h"
#include "ganvas/models/network_set.h"
#include "ganvas/models/registry.h"
#include "ganvas/models/sketchygan/networks.h"
#include "ganvas/models/sketchygan/options.h"
#include "ganvas/nn/optimizer.h"
#include "ganvas/nn/vgg.h"

#include <ATen/core/Generator.h>

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
    int64_t input_size() const override { return options_.image_size; }
    std::vector<std::string> class_names() const override { return options_.classes; }
    torch::Tensor classify(const torch::Tensor& images) override;
    void save(torch::serialize::OutputArchive& archive) const override { parts_.save(archive); }
    void load(torch::serialize::InputArchive& archive) override;
    int64_t parameter_count() const override { return parts_.parameter_count(); }

    // Sketches [N, 3, H, W] in [0, 1] and class indices [N] -> photos in [0, 1] on CPU, with noise
    // drawn from `generator`. Error when a label is outside the classes. Thread-safe as infer().
    torch::Tensor generate(const torch::Tensor& sketch, const torch::Tensor& labels, at::Generator& generator);

    // Images [N, C, H, W] in [0, 1] -> the generator's one-channel input in [-1, 1] (the gray
    // sketch, or its distance map when options.input = distance).
    torch::Tensor network_input(const torch::Tensor& sketch) const;
    // The share of real sketches at the current step (p(t)).
    double sketch_probability() const { return sketch_p_; }
    // Uses this feature network for the perceptual term (bind_data loads it from vgg_weights).
    // The network is frozen, kept out of checkpoints and placed as the model; set once.
    void set_feature_network(Vgg19Relu31 vgg);

    const SketchyGanOptions& options() const { return options_; }
    SketchyGenerator& generator() { return netG_; }
    SketchyDiscriminator& discriminator() { return netD_; }

protected:
    InferenceResult run_inference(const InferenceRequest& request) override;

private:
    void build();
    void set_d_requires_grad(bool requires);
    void set_lr_scale(double scale);
    // z ~ N(0, I) [n, noise_dim] from the global generator (training) or `generator`.
    torch::Tensor noise(int64_t n, at::Generator* generator = nullptr) const;

    SketchyGanOptions options_;
    Placement placement_;
    SketchyGenerator netG_{nullptr};
    SketchyDiscriminator netD_{nullptr};
    std::unique_ptr<Optimizer> opt_g_, opt_d_;
    NetworkSet parts_;
    Vgg19Relu31 vgg_{nullptr};
    double sketch_p_ = 1.0;
    double lr_scale_ = 1.0;
};

// The descriptor registered for "sketchygan".
ModelDescriptor sketchygan_descriptor();

}  // namespace ganvas
