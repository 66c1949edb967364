#include "ganvas/nn/optimizer.h"

#include "ganvas/dist/process_group.h"

namespace ganvas {

Optimizer::Optimizer(std::vector<torch::Tensor> params, AdamConfig config, AdamKind kind)
    : kind_(kind), params_(params) {
    if (kind == AdamKind::Fused) {
        fused_ = std::make_unique<FusedAdam>(std::move(params), config);
    } else {
        stock_ = std::make_unique<torch::optim::Adam>(
            std::move(params),
            torch::optim::AdamOptions(config.lr).betas({config.beta1, config.beta2}).eps(config.eps));
    }
}

void Optimizer::zero_grad() { fused_ ? fused_->zero_grad() : stock_->zero_grad(); }

void Optimizer::step() {
    if (ProcessGroup* group = current_process_group(); group != nullptr && group->size() > 1) {
        group->average_gradients(params_);
    }
    if (fused_) {
        fused_->step();
    } else {
        stock_->step();
    }
}

void Optimizer::set_lr(double lr) {
    if (fused_) {
        fused_->set_lr(lr);
        return;
    }
    for (auto& group : stock_->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

void Optimizer::place(const Placement& placement) {
    if (fused_) {
        fused_->place(placement);
    } else {
        place_adam_state(*stock_, placement);
    }
}

void Optimizer::save(torch::serialize::OutputArchive& archive, const std::string& key) const {
    if (fused_) {
        fused_->save(archive, key);
        return;
    }
    torch::serialize::OutputArchive sub;
    stock_->save(sub);
    archive.write(key, sub);
}

void Optimizer::load(torch::serialize::InputArchive& archive, const std::string& key) {
    if (fused_) {
        fused_->load(archive, key);
        return;
    }
    torch::serialize::InputArchive sub;
    archive.read(key, sub);
    stock_->load(sub);
}

}  // namespace ganvas
