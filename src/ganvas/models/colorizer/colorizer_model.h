// The face-colorization GAN as a trainable model: networks, optimizers, losses and the training
// set's mean chroma (the "mean chroma" baseline of `ganvas eval`).
#pragma once
#include "ganvas/core/color.h"
#include "ganvas/models/colorizer/networks.h"
#include "ganvas/models/colorizer/options.h"
#include "ganvas/models/gan_model.h"
#include "ganvas/models/network_set.h"
#include "ganvas/models/registry.h"
#include "ganvas/nn/optimizer.h"

#include <memory>

namespace ganvas {

struct ColorizerLosses {
    torch::Tensor d_real, d_fake, d;     // discriminator terms and total
    torch::Tensor g_adv, g_rec, g;       // generator terms and total
};

torch::Tensor reconstruction_loss(const torch::Tensor& output, const torch::Tensor& target,
                                  ReconstructionLoss kind);
// D: d_weight * (BCE(D(y), real) + BCE(D(G(x)), fake))
torch::Tensor colorizer_d_loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits,
                               const ColorizerOptions& options);
// G: rec_weight * rec(G(x), y) + adv_weight * BCE(D(G(x)), real); returns {g_adv, g_rec, g}.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> colorizer_g_loss(
    const torch::Tensor& fake_logits, const torch::Tensor& output, const torch::Tensor& target,
    const ColorizerOptions& options);

// The bins head's loss: cross-entropy of `logits` [N, Q, H, W] against the soft-encoded a, b of
// `target_rgb` (area-averaged to the logits' size), each pixel weighted by `bin_weights` [Q] at its nearest bin (class rebalancing).
torch::Tensor rebalanced_bin_loss(const torch::Tensor& logits, const torch::Tensor& target_rgb,
                                  const torch::Tensor& bin_weights);
// Rebalancing weights from a prior over the bins: 1 / ((1 - lambda) p + lambda / Q), scaled so
// that their expectation under p is 1 (Zhang et al. 2016, eq. 4).
torch::Tensor rebalancing_weights(const torch::Tensor& prior, double lambda);

class ColorizerModel final : public GanModel {
public:
    static constexpr const char* kName = "colorizer";

    explicit ColorizerModel(ColorizerOptions options);

    std::string name() const override { return kName; }
    nlohmann::json options_json() const override { return options_.to_json(); }
    std::shared_ptr<Dataset> make_dataset(std::vector<std::filesystem::path> files,
                                          bool train) const override;
    void prepare(const Dataset& train_set) override;
    void place(const Placement& placement) override;
    const Placement& placement() const override { return placement_; }
    NamedValues train_step(const Batch& batch) override;
    std::vector<Visual> visuals(const Batch& batch) override;
    std::vector<Visual> baselines(const torch::Tensor& input) override;
    int64_t training_size() const override { return options_.image_size; }
    void save(torch::serialize::OutputArchive& archive) const override;
    void load(torch::serialize::InputArchive& archive) override;
    int64_t parameter_count() const override { return parts_.parameter_count(); }

    // gray: [N, 3, H, W] -> RGB [N, 3, H, W] on CPU, in inference mode. Any H, W. `temperature`:
    // the bins head's annealed-mean temperature, `saturation` the gain on a, b (0: the model's
    // decode_temperature and decode_saturation).
    torch::Tensor colorize(const torch::Tensor& gray, double temperature = 0, double saturation = 0);
    // The network on a copy whose short side is the training size (area-resized), its chroma
    // upsampled onto the full-resolution lightness: large photos keep their detail.
    torch::Tensor colorize_at_train_size(const torch::Tensor& gray, double temperature = 0, double saturation = 0);
    // Input lightness with the training set's per-pixel mean a, b (resized to H, W).
    torch::Tensor mean_chroma(const torch::Tensor& gray) const;

    const ColorizerOptions& options() const { return options_; }
    ColorizerGenerator& generator() { return generator_; }
    DcganDiscriminator& discriminator() { return discriminator_; }

protected:
    InferenceResult run_inference(const InferenceRequest& request) override;

private:
    ColorizerOptions options_;
    Placement placement_;
    ColorizerGenerator generator_{nullptr};
    DcganDiscriminator discriminator_{nullptr};
    std::unique_ptr<Optimizer> opt_g_, opt_d_;
    NetworkSet parts_;
    torch::Tensor mean_ab_;  // [2, S, S], Lab a and b averaged over the training set
    torch::Tensor bin_weights_;  // head bins: [Q] rebalancing weights from the training set's prior
};

// RGB [N, 3, H, W] in [0, 1] with its Lab a, b multiplied by `gain` (lightness kept; clamped to
// [0, 1] on the way back). gain 1 returns the input.
torch::Tensor scale_chroma(const torch::Tensor& rgb, double gain);

// The descriptor registered for "colorizer".
ModelDescriptor colorizer_descriptor();

}  // namespace ganvas
