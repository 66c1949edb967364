// pix2pix (Isola et al., CVPR 2017) as a trainable model: a generator (U-Net or ResNet), a
// conditional discriminator (PatchGAN or PixelGAN) on input and output concatenated, a GAN
// objective plus lambda_L1 * L1, and the reference implementation's step (D on G's detached output
// and on the real pair with its loss halved; then G against the updated D).
#pragma once
#include "ganvas/models/gan_model.h"
#include "ganvas/models/network_set.h"
#include "ganvas/models/pix2pix/networks.h"
#include "ganvas/models/pix2pix/options.h"
#include "ganvas/models/registry.h"
#include "ganvas/nn/optimizer.h"

#include <memory>

namespace ganvas {

// The generator and discriminator the options describe, initialised as the reference does.
torch::nn::AnyModule make_pix2pix_generator(const Pix2PixOptions& options);
torch::nn::AnyModule make_pix2pix_discriminator(const Pix2PixOptions& options);

// The learning-rate factor at `step` of `total`: 1 for the first n_epochs epochs, then
// 1 - k / (n_epochs_decay + 1) in the k-th decay epoch (epochs as shares of the run).
double pix2pix_lr_scale(const Pix2PixOptions& options, int64_t step, int64_t total);

class Pix2PixModel final : public GanModel {
public:
    static constexpr const char* kName = "pix2pix";

    explicit Pix2PixModel(Pix2PixOptions options);

    std::string name() const override { return kName; }
    nlohmann::json options_json() const override { return options_.to_json(); }
    std::shared_ptr<Dataset> make_dataset(std::vector<std::filesystem::path> files, bool train) const override;
    void place(const Placement& placement) override;
    const Placement& placement() const override { return placement_; }
    void begin_step(int64_t step, int64_t total_steps) override;
    NamedValues train_step(const Batch& batch) override;
    std::vector<Visual> visuals(const Batch& batch) override;
    int64_t input_size() const override { return options_.crop_size; }
    bool ab_input_is_right() const override { return options_.direction == "BtoA"; }
    void save(torch::serialize::OutputArchive& archive) const override { parts_.save(archive); }
    void load(torch::serialize::InputArchive& archive) override;
    int64_t parameter_count() const override { return parts_.parameter_count(); }

    // Input images [N, 3, H, W] in [0, 1] -> outputs in [0, 1] on CPU, as test.py makes them
    // (test_train_mode: batch statistics and dropout drawn from `seed`). Thread-safe as infer().
    torch::Tensor translate(const torch::Tensor& input, uint64_t seed = 0);

    // Batch images ([N, 3, H, W] in [0, 1]) to the networks' ranges and back.
    torch::Tensor network_input(const torch::Tensor& input) const;   // [-1, 1]; L / 50 - 1 for colorization
    torch::Tensor network_target(const torch::Tensor& target) const; // [-1, 1]; ab / 110 for colorization
    torch::Tensor to_image(const torch::Tensor& output, const torch::Tensor& input) const;

    const Pix2PixOptions& options() const { return options_; }
    torch::nn::Module& generator() { return *netG_.ptr(); }
    torch::nn::Module& discriminator() { return *netD_.ptr(); }
    torch::Tensor generate(const torch::Tensor& network_input) { return netG_.forward(network_input); }
    torch::Tensor discriminate(const torch::Tensor& pair) { return netD_.forward(pair); }

protected:
    InferenceResult run_inference(const InferenceRequest& request) override;

private:
    void set_d_requires_grad(bool requires);
    void set_lr(double lr);

    Pix2PixOptions options_;
    Placement placement_;
    torch::nn::AnyModule netG_, netD_;
    std::unique_ptr<Optimizer> opt_g_, opt_d_;
    NetworkSet parts_;
};

// The descriptor registered for "pix2pix".
ModelDescriptor pix2pix_descriptor();

}  // namespace ganvas
