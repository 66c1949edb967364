// Class-conditional batch normalisation (de Vries et al. 2017; Miyato & Koyama 2018): batch
// statistics as BatchNorm2d, then a scale and shift chosen by each example's class.
#pragma once
#include "ganvas/nn/inference_context.h"

#include <torch/nn.h>

namespace ganvas {

class ConditionalBatchNorm2dImpl : public torch::nn::Module {
public:
    ConditionalBatchNorm2dImpl(int64_t channels, int64_t classes);
    // x: [N, C, H, W]; labels: [N] int64 in [0, classes).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels);

    ContextBatchNorm2d bn{nullptr};  // no affine parameters of its own
    torch::Tensor gamma, beta;           // [classes, C], initialised to 1 and 0
};
TORCH_MODULE(ConditionalBatchNorm2d);

}  // namespace ganvas
