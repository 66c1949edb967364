#include "ganvas/nn/inference_context.h"

#include "ganvas/dist/process_group.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace ganvas {
namespace {
thread_local const InferenceContext* tls_context = nullptr;
}  // namespace

const InferenceContext* current_inference() { return tls_context; }

at::Generator make_cpu_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

ScopedInference::ScopedInference(uint64_t seed, bool train_mode_layers)
    : context_{make_cpu_generator(seed), train_mode_layers}, previous_(tls_context) {
    tls_context = &context_;
}

ScopedInference::~ScopedInference() { tls_context = previous_; }

torch::Tensor ContextDropoutImpl::forward(const torch::Tensor& x) {
    if (is_training()) return torch::dropout(x, p_, /*train=*/true);
    const InferenceContext* context = current_inference();
    if (context == nullptr || !context->train_mode_layers || p_ <= 0) return x;
    // The mask is drawn on the CPU from the request's generator, so that the same request gives
    // the same output on any device and alongside any other request.
    auto keep = torch::empty(x.sizes(), torch::kFloat).bernoulli_(1.0 - p_, context->generator);
    return x * keep.to(x.device(), x.scalar_type()).contiguous(x.suggest_memory_format()) / (1.0 - p_);
}

ContextBatchNorm2dImpl::ContextBatchNorm2dImpl(int64_t channels, double eps, double momentum, bool affine)
    : channels_(channels), eps_(eps), momentum_(momentum) {
    // The registration order of LibTorch's BatchNorm2d.
    if (affine) {
        weight = register_parameter("weight", torch::ones({channels}));
        bias = register_parameter("bias", torch::zeros({channels}));
    }
    running_mean = register_buffer("running_mean", torch::zeros({channels}));
    running_var = register_buffer("running_var", torch::ones({channels}));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));
}

torch::Tensor ContextBatchNorm2dImpl::forward(const torch::Tensor& x) {
    TORCH_CHECK(x.dim() == 4, "ContextBatchNorm2d: expected a 4-D input, got ", x.dim(), "-D");
    const bool cudnn = at::globalContext().userEnabledCuDNN();
    if (is_training()) {
        num_batches_tracked += 1;
        if (ProcessGroup* group = current_process_group();
            group != nullptr && group->size() > 1 && group->options().sync_batch_norm) {
            return sync_batch_norm(*group, x, weight, bias, running_mean, running_var, momentum_, eps_);
        }
        return torch::batch_norm(x, weight, bias, running_mean, running_var, /*training=*/true, momentum_, eps_,
                                 cudnn);
    }
    const InferenceContext* context = current_inference();
    if (context != nullptr && context->train_mode_layers) {
        return torch::batch_norm(x, weight, bias, /*running_mean=*/{}, /*running_var=*/{}, /*training=*/true,
                                 momentum_, eps_, cudnn);
    }
    return torch::batch_norm(x, weight, bias, running_mean, running_var, /*training=*/false, momentum_, eps_, cudnn);
}

void ContextBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
    stream << "ganvas::ContextBatchNorm2d(" << channels_ << ", eps=" << eps_ << ", momentum=" << momentum_
           << (weight.defined() ? "" : ", affine=false") << ")";
}

}  // namespace ganvas
