// style2paints v1 (Zhang, Ji & Lin, ACPR 2017) as a trainable model: line art plus a style
// painting in, a painting out. Residual U-Net generator whose middle layers receive the style
// hint, with two guide decoders; DCGAN-style discriminator on the painting alone with an auxiliary
// head that reads the style features (AC-GAN); adversarial + style-head + L1 losses on the output
// and both guides; a frozen VGG style encoder.
#pragma once
#include "ganvas/models/gan_model.h"
#include "ganvas/models/network_set.h"
#include "ganvas/models/registry.h"
#include "ganvas/models/style2paints/networks.h"
#include "ganvas/models/style2paints/options.h"
#include "ganvas/models/style2paints/style_encoder.h"
#include "ganvas/nn/optimizer.h"

#include <memory>

namespace ganvas {

struct Paintings {
    torch::Tensor output;          // [N, 3, S, S] in [0, 1] on CPU
    torch::Tensor guide1, guide2;  // the same, undefined without guide decoders
};

class Style2PaintsModel final : public GanModel {
public:
    static constexpr const char* kName = "style2paints";

    explicit Style2PaintsModel(Style2PaintsOptions options);

    std::string name() const override { return kName; }
    nlohmann::json options_json() const override { return options_.to_json(); }
    // Checks the folder's layout against the `lineart` option and loads the style encoder's weights
    // (UsageError naming --set style_weights when none are given).
    void bind_data(const std::filesystem::path& root) override;
    std::vector<std::filesystem::path> data_files(const std::filesystem::path& root, Split split,
                                                  const SplitOptions& options) const override;
    std::shared_ptr<Dataset> make_dataset(std::vector<std::filesystem::path> files, bool train) const override;
    // The style features' per-dimension scale, from the training paintings.
    void prepare(const Dataset& train_set) override;
    void place(const Placement& placement) override;
    const Placement& placement() const override { return placement_; }
    NamedValues train_step(const Batch& batch) override;
    // Re-estimates the generator's batch-norm running statistics (options.bn_batches batches of
    // the last training batch's size, evenly spread over the set, in training mode without
    // gradients): the plain mean of the batches' statistics under the weights being saved.
    void before_checkpoint(const Dataset& train_set) override;
    std::vector<Visual> visuals(const Batch& batch) override;
    int64_t input_size() const override { return options_.image_size; }
    torch::Tensor to_input_size(const torch::Tensor& output, const torch::Tensor& full_input) const override;
    void save(torch::serialize::OutputArchive& archive) const override { parts_.save(archive); }
    void load(torch::serialize::InputArchive& archive) override;
    int64_t parameter_count() const override { return parts_.parameter_count(); }

    // The encoder's raw features [N, F] of style images [N, 3, H, W] in [0, 1] (resized to the
    // encoder's side). Thread-safe as infer().
    torch::Tensor style_features(const torch::Tensor& style);
    // Line art [N, 3 or 1, S, S] and style images in [0, 1] -> paintings; `strength` scales the hint
    // (0: no hint). Thread-safe as infer().
    Paintings paint(const torch::Tensor& lineart, const torch::Tensor& style, double strength = 1.0);
    // The gradient norm that reached the middle blocks in the last train_step.
    double middle_gradient_norm() const { return middle_grad_; }

    const Style2PaintsOptions& options() const { return options_; }
    Style2PaintsGenerator& generator() { return netG_; }
    Style2PaintsDiscriminator& discriminator() { return netD_; }
    StyleHint& hint() { return hint_; }
    // Loads the style encoder from options.style_weights unless it is loaded.
    void ensure_encoder();

protected:
    InferenceResult run_inference(const InferenceRequest& request) override;

private:
    torch::Tensor network_lineart(const torch::Tensor& lineart) const;  // [N, 1, S, S] in [-1, 1]
    void set_d_requires_grad(bool requires);
    // Scaled style features [N, F] for a training step (Winograd allowed: not a served result).
    torch::Tensor training_features(const torch::Tensor& style);

    Style2PaintsOptions options_;
    Placement placement_;
    int64_t last_batch_ = 0;  // the size of the last training batch
    Style2PaintsGenerator netG_{nullptr};
    Style2PaintsDiscriminator netD_{nullptr};
    StyleHint hint_{nullptr};
    VggStatsEncoder stats_encoder_{nullptr};  // vgg19_stats: saved in the checkpoint
    VggFc1Encoder fc1_encoder_{nullptr};      // vgg*_fc1: read from style_weights (hundreds of MB)
    bool encoder_ready_ = false;
    std::unique_ptr<Optimizer> opt_g_, opt_d_;
    NetworkSet parts_;
    double middle_grad_ = 0.0;
};

ModelDescriptor style2paints_descriptor();

}  // namespace ganvas
