#include "ganvas/nn/conditional_batch_norm.h"

#include "ganvas/core/error.h"

#include <torch/torch.h>

namespace ganvas {

ConditionalBatchNorm2dImpl::ConditionalBatchNorm2dImpl(int64_t channels, int64_t classes) {
    if (classes < 1) throw UsageError("conditional batch norm needs at least one class");
    bn = register_module("bn", ContextBatchNorm2d(channels, 1e-5, 0.1, /*affine=*/false));
    gamma = register_parameter("gamma", torch::ones({classes, channels}));
    beta = register_parameter("beta", torch::zeros({classes, channels}));
}

torch::Tensor ConditionalBatchNorm2dImpl::forward(const torch::Tensor& x, const torch::Tensor& labels) {
    if (labels.dim() != 1 || labels.size(0) != x.size(0)) {
        throw Error("conditional batch norm: one label per example is needed");
    }
    const auto n = x.size(0), c = x.size(1);
    const auto l = labels.to(gamma.device());
    return bn->forward(x) * gamma.index_select(0, l).view({n, c, 1, 1}) + beta.index_select(0, l).view({n, c, 1, 1});
}

}  // namespace ganvas
