// Adversarial objectives on discriminator logits.
#pragma once
#include <torch/types.h>

namespace ganvas {

// Vanilla GAN (Goodfellow et al. 2014) as binary cross-entropy on logits: the mean of
// -log sigmoid(x) against "real", -log(1 - sigmoid(x)) against "fake".
torch::Tensor bce_gan_loss(const torch::Tensor& logits, bool target_is_real);

}  // namespace ganvas
