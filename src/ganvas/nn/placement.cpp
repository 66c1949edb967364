#include "ganvas/nn/placement.h"

#include "ganvas/nn/inference_context.h"

#include <torch/torch.h>

namespace ganvas {

torch::Tensor in_memory_format(const torch::Tensor& t, torch::MemoryFormat format) {
    auto c = t.contiguous(format);
    if (format == torch::MemoryFormat::ChannelsLast && c.dim() == 4 && c.size(1) == 1 &&
        c.suggest_memory_format() != format) {
        c = c.as_strided(c.sizes(), {c.size(2) * c.size(3), 1, c.size(3), 1}, c.storage_offset());
    }
    return c;
}

torch::Tensor Placement::apply(const torch::Tensor& t) const {
    if (!t.defined()) return t;
    auto moved = t.to(device);
    return moved.dim() == 4 ? in_memory_format(moved, memory_format()) : moved;
}

void place_module(torch::nn::Module& module, const Placement& placement) {
    torch::NoGradGuard no_grad;
    for (auto& p : module.parameters()) p.set_data(placement.apply(p.data()));
    for (auto& b : module.buffers()) b.set_data(placement.apply(b.data()));
}

void place_adam_state(torch::optim::Adam& optimizer, const Placement& placement) {
    torch::NoGradGuard no_grad;
    for (auto& group : optimizer.param_groups()) {
        for (auto& p : group.params()) {
            auto it = optimizer.state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
            if (it == optimizer.state().end()) continue;
            auto& state = static_cast<torch::optim::AdamParamState&>(*it->second);
            auto like = [&](const torch::Tensor& t) {
                return t.defined() ? t.to(p.device()).contiguous(p.suggest_memory_format()) : t;
            };
            state.exp_avg(like(state.exp_avg()));
            state.exp_avg_sq(like(state.exp_avg_sq()));
            if (state.max_exp_avg_sq().defined()) state.max_exp_avg_sq(like(state.max_exp_avg_sq()));
        }
    }
}

void init_dcgan_weights(torch::nn::Module& module) {
    torch::NoGradGuard no_grad;
    for (auto& m : module.modules(/*include_self=*/true)) {
        if (auto* conv = m->as<torch::nn::Conv2d>()) {
            torch::nn::init::normal_(conv->weight, 0.0, 0.02);
            if (conv->bias.defined()) torch::nn::init::zeros_(conv->bias);
        } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
            torch::nn::init::normal_(bn->weight, 1.0, 0.02);
            torch::nn::init::zeros_(bn->bias);
        } else if (auto* cbn = m->as<ContextBatchNorm2d>(); cbn != nullptr && cbn->weight.defined()) {
            torch::nn::init::normal_(cbn->weight, 1.0, 0.02);
            torch::nn::init::zeros_(cbn->bias);
        }
    }
}

int64_t count_parameters(const torch::nn::Module& module) {
    int64_t n = 0;
    for (const auto& p : module.parameters()) n += p.numel();
    return n;
}

}  // namespace ganvas
