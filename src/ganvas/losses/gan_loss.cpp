#include "ganvas/losses/gan_loss.h"

#include <torch/torch.h>

namespace ganvas {

torch::Tensor bce_gan_loss(const torch::Tensor& logits, bool target_is_real) {
    auto target = target_is_real ? torch::ones_like(logits) : torch::zeros_like(logits);
    return torch::binary_cross_entropy_with_logits(logits, target);
}

}  // namespace ganvas
