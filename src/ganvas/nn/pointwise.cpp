#include "ganvas/nn/pointwise.h"

#include "ganvas/nn/kernel_choice.h"
#include "ganvas/nn/pointwise_kernels.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

namespace ganvas {
namespace {

namespace pk = pointwise_kernels;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

KernelChoice<pk::Kernels>& choice() {
    static KernelChoice<pk::Kernels> c(pk::avx512_kernels(), pk::avx2_kernels(), "GANVAS_POINTWISE_KERNELS",
                                       "GANVAS_POINTWISE");
    return c;
}

// Ranges of this size keep a thread busy for tens of microseconds.
constexpr int64_t kGrain = 1 << 15;

// The active table when every tensor is a float CPU tensor of x's shape, else nullptr.
const pk::Kernels* kernels_for(std::initializer_list<const torch::Tensor*> tensors) {
    const pk::Kernels* k = choice().active();
    if (!k) return nullptr;
    const auto& x = **tensors.begin();
    for (const auto* t : tensors) {
        if (!t->defined() || t->device().type() != torch::kCPU || t->scalar_type() != torch::kFloat ||
            t->sizes() != x.sizes()) {
            return nullptr;
        }
    }
    return k;
}

// Dense in x's suggested memory format, so that equal offsets are equal elements in all of them.
torch::Tensor dense(const torch::Tensor& t, at::MemoryFormat format) { return t.contiguous(format); }

template <typename Body>
void parallel(int64_t n, Body body) {
    at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) { body(begin, end - begin); });
}

struct SmoothRelu : torch::autograd::Function<SmoothRelu> {
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in) {
        const auto x = dense(x_in, x_in.suggest_memory_format());
        auto y = torch::empty_like(x);
        const auto* k = choice().active();
        const float* xp = x.data_ptr<float>();
        float* yp = y.data_ptr<float>();
        parallel(x.numel(), [&](int64_t b, int64_t n) { k->smooth_relu(xp + b, yp + b, n); });
        if (ctx) ctx->save_for_backward({x});
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto x = ctx->get_saved_variables()[0];
        const auto g = dense(grads[0], x.suggest_memory_format());
        auto gx = torch::empty_like(x);
        const auto* k = choice().active();
        const float *xp = x.data_ptr<float>(), *gp = g.data_ptr<float>();
        float* out = gx.data_ptr<float>();
        parallel(x.numel(), [&](int64_t b, int64_t n) { k->smooth_relu_grad(xp + b, gp + b, out + b, n); });
        return {gx};
    }
};

struct Prelu1 : torch::autograd::Function<Prelu1> {
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in, const torch::Tensor& slope) {
        const auto x = dense(x_in, x_in.suggest_memory_format());
        auto y = torch::empty_like(x);
        const auto* k = choice().active();
        const float a = slope.item<float>();
        const float* xp = x.data_ptr<float>();
        float* yp = y.data_ptr<float>();
        parallel(x.numel(), [&](int64_t b, int64_t n) { k->prelu(xp + b, a, yp + b, n); });
        if (ctx) ctx->save_for_backward({x, slope});
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const auto& slope = saved[1];
        const auto g = dense(grads[0], x.suggest_memory_format());
        auto gx = torch::empty_like(x);
        const auto* k = choice().active();
        const float a = slope.item<float>();
        const float *xp = x.data_ptr<float>(), *gp = g.data_ptr<float>();
        float* out = gx.data_ptr<float>();
        // One partial sum per range, added in range order: the same total for any thread count.
        const int64_t n = x.numel(), ranges = std::max<int64_t>(1, (n + kGrain - 1) / kGrain);
        std::vector<double> partial(ranges, 0.0);
        at::parallel_for(0, ranges, 1, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
                const int64_t b = r * kGrain, len = std::min(kGrain, n - b);
                partial[r] = k->prelu_grad(xp + b, a, gp + b, out + b, len);
            }
        });
        const double ga = std::accumulate(partial.begin(), partial.end(), 0.0);
        return {gx, torch::full_like(slope, ga)};
    }
};

struct SigmoidGate : torch::autograd::Function<SigmoidGate> {
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in, const torch::Tensor& p_in) {
        const auto format = x_in.suggest_memory_format();
        const auto x = dense(x_in, format), p = dense(p_in, format);
        auto y = torch::empty_like(x);
        const auto* k = choice().active();
        const float *xp = x.data_ptr<float>(), *pp = p.data_ptr<float>();
        float* yp = y.data_ptr<float>();
        parallel(x.numel(), [&](int64_t b, int64_t n) { k->gate(xp + b, pp + b, yp + b, n); });
        if (ctx) ctx->save_for_backward({x, p});
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &p = saved[1];
        const auto g = dense(grads[0], x.suggest_memory_format());
        auto gx = torch::empty_like(x), gp = torch::empty_like(x);
        const auto* k = choice().active();
        const float *xp = x.data_ptr<float>(), *pp = p.data_ptr<float>(), *gg = g.data_ptr<float>();
        float *ox = gx.data_ptr<float>(), *op = gp.data_ptr<float>();
        parallel(x.numel(), [&](int64_t b, int64_t n) { k->gate_grad(xp + b, pp + b, gg + b, ox + b, op + b, n); });
        return {gx, gp};
    }
};

struct SigmoidMix : torch::autograd::Function<SigmoidMix> {
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& s_in, const torch::Tensor& z_in,
                                 const torch::Tensor& p_in) {
        const auto format = z_in.suggest_memory_format();
        const auto s = dense(s_in, format), z = dense(z_in, format), p = dense(p_in, format);
        auto y = torch::empty_like(z);
        const auto* k = choice().active();
        const float *sp = s.data_ptr<float>(), *zp = z.data_ptr<float>(), *pp = p.data_ptr<float>();
        float* yp = y.data_ptr<float>();
        parallel(z.numel(), [&](int64_t b, int64_t n) { k->mix(sp + b, zp + b, pp + b, yp + b, n); });
        if (ctx) ctx->save_for_backward({s, z, p});
        return y;
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &s = saved[0], &z = saved[1], &p = saved[2];
        const auto g = dense(grads[0], z.suggest_memory_format());
        auto gs = torch::empty_like(z), gz = torch::empty_like(z), gp = torch::empty_like(z);
        const auto* k = choice().active();
        const float *sp = s.data_ptr<float>(), *zp = z.data_ptr<float>(), *pp = p.data_ptr<float>(),
                    *gg = g.data_ptr<float>();
        float *os = gs.data_ptr<float>(), *oz = gz.data_ptr<float>(), *op = gp.data_ptr<float>();
        parallel(z.numel(), [&](int64_t b, int64_t n) {
            k->mix_grad(sp + b, zp + b, pp + b, gg + b, os + b, oz + b, op + b, n);
        });
        return {gs, gz, gp};
    }
};

// Whether autograd has to record the operation (else the kernels run without a graph node, as in
// InferenceMode).
bool recording(std::initializer_list<const torch::Tensor*> tensors) {
    if (!torch::GradMode::is_enabled()) return false;
    for (const auto* t : tensors) {
        if (t->requires_grad()) return true;
    }
    return false;
}

}  // namespace

std::string pointwise_isa() { return choice().isa(); }
std::vector<std::string> pointwise_isas() { return choice().available(); }
void set_pointwise_isa(const std::string& isa) { choice().set(isa); }

torch::Tensor smooth_relu(const torch::Tensor& x) {
    if (kernels_for({&x})) return recording({&x}) ? SmoothRelu::apply(x) : SmoothRelu::forward(nullptr, x);
    return 0.5 * (x + torch::sqrt(0.09 + x * x));
}

torch::Tensor prelu1(const torch::Tensor& x, const torch::Tensor& slope) {
    if (slope.numel() == 1 && slope.scalar_type() == torch::kFloat && kernels_for({&x})) {
        return recording({&x, &slope}) ? Prelu1::apply(x, slope) : Prelu1::forward(nullptr, x, slope);
    }
    return torch::prelu(x, slope);
}

torch::Tensor sigmoid_gate(const torch::Tensor& x, const torch::Tensor& p) {
    if (kernels_for({&x, &p})) {
        return recording({&x, &p}) ? SigmoidGate::apply(x, p) : SigmoidGate::forward(nullptr, x, p);
    }
    return torch::sigmoid(p) * x;
}

torch::Tensor sigmoid_mix(const torch::Tensor& s, const torch::Tensor& z, const torch::Tensor& p) {
    if (kernels_for({&z, &s, &p})) {
        return recording({&s, &z, &p}) ? SigmoidMix::apply(s, z, p) : SigmoidMix::forward(nullptr, s, z, p);
    }
    const auto n = torch::sigmoid(p);
    return (1 - n) * s + n * z;
}

}  // namespace ganvas
