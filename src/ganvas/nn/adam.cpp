#include "ganvas/nn/adam.h"

#include "ganvas/core/error.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>

namespace ganvas {

FusedAdam::FusedAdam(std::vector<torch::Tensor> params, AdamConfig config)
    : params_(std::move(params)), config_(config) {
    for (const auto& p : params_) {
        exp_avg_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        exp_avg_sq_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    }
}

void FusedAdam::step() {
    torch::NoGradGuard no_grad;
    ++step_;
    const double b1 = config_.beta1, b2 = config_.beta2;
    const double bc1 = 1.0 - std::pow(b1, static_cast<double>(step_));
    const double bc2_sqrt = std::sqrt(1.0 - std::pow(b2, static_cast<double>(step_)));
    const double step_size = config_.lr / bc1;
    for (size_t i = 0; i < params_.size(); ++i) {
        auto& p = params_[i];
        const auto& g = p.grad();
        if (!g.defined()) continue;
        auto& m = exp_avg_[i];
        auto& v = exp_avg_sq_[i];
        const bool fused = p.device().is_cpu() && p.scalar_type() == torch::kFloat && g.scalar_type() == torch::kFloat &&
                           p.is_non_overlapping_and_dense() && g.strides() == p.strides() &&
                           m.strides() == p.strides() && v.strides() == p.strides();
        if (!fused) {
            m.mul_(b1).add_(g, 1.0 - b1);
            v.mul_(b2).addcmul_(g, g, 1.0 - b2);
            p.addcdiv_(m, (v.sqrt() / bc2_sqrt).add_(config_.eps), -step_size);
            continue;
        }
        float* pp = p.data_ptr<float>();
        const float* gp = g.data_ptr<float>();
        float* mp = m.data_ptr<float>();
        float* vp = v.data_ptr<float>();
        const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2);
        const float omb1 = static_cast<float>(1.0 - b1), omb2 = static_cast<float>(1.0 - b2);
        const float inv_bc2 = static_cast<float>(1.0 / bc2_sqrt), eps = static_cast<float>(config_.eps);
        const float lr = static_cast<float>(step_size);
        at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
            for (int64_t k = begin; k < end; ++k) {
                const float gk = gp[k];
                const float mk = fb1 * mp[k] + omb1 * gk;
                const float vk = fb2 * vp[k] + omb2 * gk * gk;
                mp[k] = mk;
                vp[k] = vk;
                pp[k] -= lr * mk / (std::sqrt(vk) * inv_bc2 + eps);
            }
        });
    }
}

void FusedAdam::zero_grad() {
    for (auto& p : params_) {
        if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
    }
}

void FusedAdam::place(const Placement& placement) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) {
        const auto fmt = params_[i].suggest_memory_format();
        exp_avg_[i] = exp_avg_[i].to(params_[i].device()).contiguous(fmt);
        exp_avg_sq_[i] = exp_avg_sq_[i].to(params_[i].device()).contiguous(fmt);
    }
}

void FusedAdam::save(torch::serialize::OutputArchive& archive, const std::string& prefix) const {
    archive.write(prefix + ".step", torch::tensor(step_));
    for (size_t i = 0; i < params_.size(); ++i) {
        archive.write(prefix + ".exp_avg." + std::to_string(i), exp_avg_[i].contiguous(), true);
        archive.write(prefix + ".exp_avg_sq." + std::to_string(i), exp_avg_sq_[i].contiguous(), true);
    }
}

void FusedAdam::load(torch::serialize::InputArchive& archive, const std::string& prefix) {
    torch::NoGradGuard no_grad;
    torch::Tensor step;
    archive.read(prefix + ".step", step, true);
    step_ = step.item<int64_t>();
    for (size_t i = 0; i < params_.size(); ++i) {
        torch::Tensor m, v;
        archive.read(prefix + ".exp_avg." + std::to_string(i), m, true);
        archive.read(prefix + ".exp_avg_sq." + std::to_string(i), v, true);
        if (!m.sizes().equals(params_[i].sizes()) || !v.sizes().equals(params_[i].sizes())) {
            throw Error("optimizer state " + prefix + " entry " + std::to_string(i) + " has shape " +
                        c10::str(m.sizes()) + ", its parameter " + c10::str(params_[i].sizes()));
        }
        const auto fmt = params_[i].suggest_memory_format();
        exp_avg_[i] = m.to(params_[i].device()).contiguous(fmt);
        exp_avg_sq_[i] = v.to(params_[i].device()).contiguous(fmt);
    }
}

}  // namespace ganvas
