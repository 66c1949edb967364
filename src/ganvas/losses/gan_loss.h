// Adversarial objectives on discriminator logits.
#pragma once
#include <torch/types.h>

#include <functional>
#include <string>

namespace ganvas {

// Vanilla GAN (Goodfellow et al. 2014) as binary cross-entropy on logits: the mean of
// -log sigmoid(x) against "real", -log(1 - sigmoid(x)) against "fake".
torch::Tensor bce_gan_loss(const torch::Tensor& logits, bool target_is_real);

enum class GanObjective {
    Vanilla,  // BCE with logits (pix2pix's default)
    Lsgan,    // least squares against 1 / 0 (Mao et al. 2017)
    Hinge,    // D: relu(1 - real) + relu(1 + fake); G: -fake (Lim & Ye 2017)
    Wgangp,   // D: fake - real, G: -fake (Arjovsky et al. 2017) + gradient penalty (Gulrajani et al. 2017)
};

GanObjective parse_gan_objective(const std::string& name);  // vanilla|lsgan|hinge|wgangp; UsageError
std::string to_string(GanObjective objective);

// D's loss for one side: logits of real images (target_is_real) or of generated ones.
torch::Tensor gan_d_loss(GanObjective objective, const torch::Tensor& logits, bool target_is_real);
// G's loss on the logits D gives its images.
torch::Tensor gan_g_loss(GanObjective objective, const torch::Tensor& fake_logits);

// WGAN-GP's penalty: weight * mean over samples of (||grad_x D(x)||_2 - 1)^2 at
// x = a * real + (1 - a) * fake, a ~ U(0, 1) per sample; the graph is kept for D's backward.
torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& discriminator,
                               const torch::Tensor& real, const torch::Tensor& fake, double weight = 10.0);

// Focal loss (Lin et al., ICCV 2017) on class logits [N, C] and labels [N]: the mean of
// -(1 - p_y)^gamma * log p_y; gamma = 0 is the cross-entropy.
torch::Tensor focal_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels, double gamma);

// SketchyGAN's diversity term for two outputs of the same inputs under noises z1, z2 ([N, D]):
// -mean over examples of mean|a - b| / ||z1 - z2||_2. Minimising it pushes the outputs apart.
torch::Tensor diversity_loss(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& z1,
                             const torch::Tensor& z2);

// The mode-seeking term (Mao et al., CVPR 2019) for the same pair: 1 / (r + eps), with
// r = mean|a - b| / mean|z1 - z2| over the whole batch. Its gradient grows as the outputs collapse
// (1 / r^2), where the ratio above stays proportional to r and vanishes in the noise's norm.
torch::Tensor mode_seeking_loss(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& z1,
                                const torch::Tensor& z2, double eps = 1e-5);

}  // namespace ganvas
