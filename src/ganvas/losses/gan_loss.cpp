#include "ganvas/losses/gan_loss.h"

#include "ganvas/core/error.h"

#include <torch/torch.h>

namespace ganvas {

torch::Tensor bce_gan_loss(const torch::Tensor& logits, bool target_is_real) {
    return torch::binary_cross_entropy_with_logits(
        logits, target_is_real ? torch::ones_like(logits) : torch::zeros_like(logits));
}

GanObjective parse_gan_objective(const std::string& name) {
    if (name == "vanilla") return GanObjective::Vanilla;
    if (name == "lsgan") return GanObjective::Lsgan;
    if (name == "hinge") return GanObjective::Hinge;
    if (name == "wgangp") return GanObjective::Wgangp;
    throw UsageError("--gan-mode: '" + name + "' is not one of vanilla, lsgan, hinge, wgangp");
}

std::string to_string(GanObjective objective) {
    switch (objective) {
        case GanObjective::Vanilla: return "vanilla";
        case GanObjective::Lsgan: return "lsgan";
        case GanObjective::Hinge: return "hinge";
        case GanObjective::Wgangp: return "wgangp";
    }
    return "?";
}

torch::Tensor gan_d_loss(GanObjective objective, const torch::Tensor& logits, bool target_is_real) {
    switch (objective) {
        case GanObjective::Vanilla: return bce_gan_loss(logits, target_is_real);
        case GanObjective::Lsgan:
            return torch::mse_loss(logits, target_is_real ? torch::ones_like(logits) : torch::zeros_like(logits));
        case GanObjective::Hinge:
            return target_is_real ? torch::relu(1.0 - logits).mean() : torch::relu(1.0 + logits).mean();
        case GanObjective::Wgangp: return target_is_real ? -logits.mean() : logits.mean();
    }
    throw Error("unknown GAN objective");
}

torch::Tensor gan_g_loss(GanObjective objective, const torch::Tensor& fake_logits) {
    switch (objective) {
        case GanObjective::Vanilla:
        case GanObjective::Lsgan: return gan_d_loss(objective, fake_logits, true);
        case GanObjective::Hinge:
        case GanObjective::Wgangp: return -fake_logits.mean();
    }
    throw Error("unknown GAN objective");
}

torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& discriminator,
                               const torch::Tensor& real, const torch::Tensor& fake, double weight) {
    auto alpha = torch::rand({real.size(0), 1, 1, 1}, real.options());
    auto mixed = (alpha * real.detach() + (1.0 - alpha) * fake.detach()).requires_grad_(true);
    auto out = discriminator(mixed);
    auto grad = torch::autograd::grad({out}, {mixed}, {torch::ones_like(out)}, /*retain_graph=*/true,
                                      /*create_graph=*/true)[0];
    // The reference adds 1e-16 before the norm so that its gradient exists at zero.
    auto norm = (grad.reshape({grad.size(0), -1}) + 1e-16).norm(2, 1);
    return weight * (norm - 1.0).pow(2).mean();
}

torch::Tensor focal_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels, double gamma) {
    const auto log_p = torch::log_softmax(logits, 1).gather(1, labels.view({-1, 1})).squeeze(1);
    const auto weight = gamma == 0.0 ? torch::ones_like(log_p) : torch::pow(1.0 - log_p.exp(), gamma);
    return -(weight * log_p).mean();
}

torch::Tensor diversity_loss(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& z1,
                             const torch::Tensor& z2) {
    const int64_t n = a.size(0);
    const auto distance = (a - b).abs().reshape({n, -1}).mean(1);
    const auto noise = (z1 - z2).reshape({n, -1}).norm(2, 1).clamp_min(1e-8);
    return -(distance / noise).mean();
}

torch::Tensor mode_seeking_loss(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& z1,
                                const torch::Tensor& z2, double eps) {
    const auto ratio = (a - b).abs().mean() / (z1 - z2).abs().mean().clamp_min(1e-8);
    return 1.0 / (ratio + eps);
}

}  // namespace ganvas
