#include "ganvas/nn/adam.h"

#include "ganvas/config.h"
#include "ganvas/core/error.h"
#include "ganvas/core/runtime.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#if GANVAS_X86_KERNELS
#include <immintrin.h>
#endif

#include <cmath>

namespace ganvas {
namespace {

struct AdamStep {
    float b1, b2, omb1, omb2, inv_bc2, eps, lr;
};

// One element: PyTorch's rule, operation for operation (no fused multiply-add), so that the
// scalar and vector kernels round alike.
inline void adam_scalar(float* p, const float* g, float* m, float* v, int64_t begin, int64_t end, const AdamStep& s) {
    for (int64_t k = begin; k < end; ++k) {
        const float gk = g[k];
        const float mk = s.b1 * m[k] + s.omb1 * gk;
        const float vk = s.b2 * v[k] + s.omb2 * gk * gk;
        m[k] = mk;
        v[k] = vk;
        p[k] -= s.lr * mk / (std::sqrt(vk) * s.inv_bc2 + s.eps);
    }
}

#if GANVAS_X86_KERNELS
// Eight elements at a time with AVX2, the same operations in the same order (IEEE sqrt and
// division are exact per element, so results equal the scalar kernel's).
__attribute__((target("avx2"))) void adam_avx2(float* p, const float* g, float* m, float* v, int64_t begin,
                                               int64_t end, const AdamStep& s) {
    const __m256 b1 = _mm256_set1_ps(s.b1), b2 = _mm256_set1_ps(s.b2), omb1 = _mm256_set1_ps(s.omb1),
                 omb2 = _mm256_set1_ps(s.omb2), inv_bc2 = _mm256_set1_ps(s.inv_bc2), eps = _mm256_set1_ps(s.eps),
                 lr = _mm256_set1_ps(s.lr);
    int64_t k = begin;
    for (; k + 8 <= end; k += 8) {
        const __m256 gk = _mm256_loadu_ps(g + k);
        const __m256 mk = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + k)), _mm256_mul_ps(omb1, gk));
        const __m256 vk = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + k)), _mm256_mul_ps(_mm256_mul_ps(omb2, gk), gk));
        _mm256_storeu_ps(m + k, mk);
        _mm256_storeu_ps(v + k, vk);
        const __m256 denom = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vk), inv_bc2), eps);
        const __m256 update = _mm256_div_ps(_mm256_mul_ps(lr, mk), denom);
        _mm256_storeu_ps(p + k, _mm256_sub_ps(_mm256_loadu_ps(p + k), update));
    }
    adam_scalar(p, g, m, v, k, end, s);
}
#endif

}  // namespace

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
        const AdamStep st{static_cast<float>(b1),         static_cast<float>(b2),
                          static_cast<float>(1.0 - b1),   static_cast<float>(1.0 - b2),
                          static_cast<float>(1.0 / bc2_sqrt), static_cast<float>(config_.eps),
                          static_cast<float>(step_size)};
        at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
#if GANVAS_X86_KERNELS
            static const bool avx2 = cpu_has("avx2");
            if (avx2) return adam_avx2(pp, gp, mp, vp, begin, end, st);
#endif
            adam_scalar(pp, gp, mp, vp, begin, end, st);
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
