#include "ganvas/nn/winograd_conv.h"

#include "ganvas/core/runtime.h"
#include "ganvas/nn/kernel_choice.h"
#include "ganvas/nn/winograd_kernels.h"

#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

namespace ganvas {

winograd_kernels::Tiling winograd_kernels::tiling_for(int64_t batch, int64_t channels, int64_t out_channels,
                                                      int64_t height, int64_t width, int64_t pad) {
    Tiling g;
    g.batch = batch, g.channels = channels, g.out_channels = out_channels;
    g.height = height, g.width = width, g.pad = pad;
    g.out_h = height + 2 * pad - 3, g.out_w = width + 2 * pad - 3;
    g.tiles_h = (g.out_h + 2) / 3, g.tiles_w = (g.out_w + 2) / 3;
    g.ld = (g.tiles() + kLdMultiple - 1) / kLdMultiple * kLdMultiple;
    return g;
}

winograd_kernels::Tiling43 winograd_kernels::tiling43_for(int64_t batch, int64_t channels, int64_t out_channels,
                                                          int64_t height, int64_t width, int64_t pad) {
    Tiling43 g;
    g.batch = batch, g.channels = channels, g.out_channels = out_channels;
    g.height = height, g.width = width, g.pad = pad;
    g.out_h = height + 2 * pad - 2, g.out_w = width + 2 * pad - 2;
    g.tiles_h = (g.out_h + 3) / 4, g.tiles_w = (g.out_w + 3) / 4;
    return g;
}

namespace {

namespace wk = winograd_kernels;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

KernelChoice<wk::Kernels>& choice() {
    static KernelChoice<wk::Kernels> c(wk::avx512_kernels(), wk::avx2_kernels(), "GANVAS_WINOGRAD_KERNELS",
                                       "GANVAS_WINOGRAD");
    return c;
}

KernelChoice<wk::Kernels43>& choice43() {
    static KernelChoice<wk::Kernels43> c(wk::avx512_kernels43(), wk::avx2_kernels43(), "GANVAS_WINOGRAD_KERNELS",
                                         "GANVAS_WINOGRAD");
    return c;
}

const wk::Kernels43& kernels43() {
    const wk::Kernels43* active = choice43().active();
    if (!active) throw std::logic_error("winograd_conv: no F(4x4, 3x3) transform set is active");
    return *active;
}

// The set a convolution started with (a switch mid-way must not mix two).
const wk::Kernels& kernels() {
    const wk::Kernels* active = choice().active();
    if (!active) throw std::logic_error("winograd_conv: no transform set is active");
    return *active;
}

// A [batch, rows, cols] operand of a batched product, as oneDNN sees it: strides in elements.
struct Operand {
    const float* data;
    std::array<int64_t, 3> strides;
};

// c[p] = a[p] . b[p] for p < batch (c[p] += a[p] . b[p] with `accumulate`): a[p] is m x k, b[p]
// is k x n, c is dense [batch, m, n]. The matmul primitives (JIT-compiled brgemm kernels) are made
// once per shape and kept.
void batched_matmul(Operand a, Operand b, float* c, int64_t batch, int64_t m, int64_t k, int64_t n,
                    bool accumulate = false) {
    using dnnl::memory;
    static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    static std::mutex mutex;
    static std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, std::array<int64_t, 3>, std::array<int64_t, 3>, bool>,
                    dnnl::matmul>
        primitives;
    const memory::desc a_md({batch, m, k}, memory::data_type::f32, {a.strides[0], a.strides[1], a.strides[2]});
    const memory::desc b_md({batch, k, n}, memory::data_type::f32, {b.strides[0], b.strides[1], b.strides[2]});
    const memory::desc c_md({batch, m, n}, memory::data_type::f32, memory::format_tag::abc);
    dnnl::matmul product;
    {
        std::lock_guard<std::mutex> lock(mutex);
        const auto key = std::make_tuple(batch, m, k, n, a.strides, b.strides, accumulate);
        auto it = primitives.find(key);
        if (it == primitives.end()) {
            dnnl::primitive_attr attr;
            if (accumulate) {
                dnnl::post_ops sum;
                sum.append_sum(1.0f);
                attr.set_post_ops(sum);
            }
            it = primitives.emplace(key, dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), attr, engine)))
                     .first;
        }
        product = it->second;
    }
    thread_local dnnl::stream stream(engine);
    memory a_mem(a_md, engine, const_cast<float*>(a.data)), b_mem(b_md, engine, const_cast<float*>(b.data));
    memory c_mem(c_md, engine, c);
    product.execute(stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}});
    stream.wait();
}

// Runs fn over [0, count) in ranges on LibTorch's threads.
template <typename Fn>
void parallel(int64_t count, Fn fn) {
    at::parallel_for(0, count, 1, fn);
}

wk::Tiling tiling_of(const torch::Tensor& x, const torch::Tensor& weight, int64_t padding) {
    return wk::tiling_for(x.size(0), x.size(1), weight.size(0), x.size(2), x.size(3), padding);
}

// A stride-1 convolution's input and weight gradients through LibTorch's differentiable ops, for a
// backward pass that records a graph of its own (a gradient penalty).
void differentiable_gradients(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                              const torch::Tensor& dy, int64_t padding, torch::Tensor& dx, torch::Tensor& dw) {
    if (ctx->needs_input_grad(0)) dx = torch::conv_transpose2d(dy, w, {}, 1, padding);
    if (ctx->needs_input_grad(1)) dw = torch::conv2d(x.transpose(0, 1), dy.transpose(0, 1), {}, 1, padding).transpose(0, 1);
}

class WinogradConv : public torch::autograd::Function<WinogradConv> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input, const torch::Tensor& weight,
                                 int64_t padding) {
        const auto x = input.contiguous();
        const auto w = weight.contiguous();
        const auto g = tiling_of(x, w, padding);
        const int64_t K = g.out_channels, C = g.channels;
        auto U = torch::empty({wk::kPositions, K, C}, x.options());
        auto V = torch::empty({wk::kPositions, C, g.ld}, x.options());
        auto M = torch::empty({wk::kPositions, K, g.ld}, x.options());
        auto y = torch::empty({g.batch, K, g.out_h, g.out_w}, x.options());
        const auto& kt = kernels();
        parallel(K, [&](int64_t b, int64_t e) { kt.weight_transform(w.data_ptr<float>(), K, C, U.data_ptr<float>(), b, e); });
        parallel(C, [&](int64_t b, int64_t e) { kt.input_transform(g, x.data_ptr<float>(), V.data_ptr<float>(), b, e); });
        batched_matmul({U.data_ptr<float>(), {K * C, C, 1}}, {V.data_ptr<float>(), {C * g.ld, g.ld, 1}},
                       M.data_ptr<float>(), wk::kPositions, K, C, g.ld);
        parallel(K, [&](int64_t b, int64_t e) { kt.output_transform(g, M.data_ptr<float>(), y.data_ptr<float>(), b, e); });
        ctx->save_for_backward({x, w, U, V});
        ctx->saved_data["padding"] = padding;
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const auto& w = saved[1];
        const int64_t padding = ctx->saved_data["padding"].toInt();
        const auto dy = grads[0].contiguous();
        torch::Tensor dx, dw;
        if (torch::GradMode::is_enabled()) {
            differentiable_gradients(ctx, x, w, dy, padding, dx, dw);
            return {dx, dw, torch::Tensor()};
        }
        const auto& U = saved[2];
        const auto& V = saved[3];
        const auto g = tiling_of(x, w, padding);
        const int64_t K = g.out_channels, C = g.channels;
        auto dM = torch::empty({wk::kPositions, K, g.ld}, dy.options());
        const auto& kt = kernels();
        parallel(K, [&](int64_t b, int64_t e) { kt.output_grad_transform(g, dy.data_ptr<float>(), dM.data_ptr<float>(), b, e); });
        if (ctx->needs_input_grad(0)) {
            auto dV = torch::empty({wk::kPositions, C, g.ld}, dy.options());
            batched_matmul({U.data_ptr<float>(), {K * C, 1, C}}, {dM.data_ptr<float>(), {K * g.ld, g.ld, 1}},
                           dV.data_ptr<float>(), wk::kPositions, C, K, g.ld);
            dx = torch::empty_like(x);
            parallel(C, [&](int64_t b, int64_t e) { kt.input_grad_transform(g, dV.data_ptr<float>(), dx.data_ptr<float>(), b, e); });
        }
        if (ctx->needs_input_grad(1)) {
            auto dU = torch::empty({wk::kPositions, K, C}, dy.options());
            batched_matmul({dM.data_ptr<float>(), {K * g.ld, g.ld, 1}}, {V.data_ptr<float>(), {C * g.ld, 1, g.ld}},
                           dU.data_ptr<float>(), wk::kPositions, K, g.ld, C);
            dw = torch::empty_like(w);
            parallel(K, [&](int64_t b, int64_t e) { kt.weight_grad_transform(dU.data_ptr<float>(), K, C, dw.data_ptr<float>(), b, e); });
        }
        return {dx, dw, torch::Tensor()};
    }
};

constexpr auto kChannelsLast = torch::MemoryFormat::ChannelsLast;

class Winograd3x3Conv : public torch::autograd::Function<Winograd3x3Conv> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input, const torch::Tensor& weight,
                                 const torch::Tensor& bias, int64_t padding) {
        const auto x = input.contiguous(kChannelsLast);
        const auto w = weight.contiguous();
        const auto g = wk::tiling43_for(x.size(0), x.size(1), w.size(0), x.size(2), x.size(3), padding);
        const int64_t K = g.out_channels, C = g.channels, T = g.tiles();
        auto U = torch::empty({wk::kPositions, C, K}, x.options());
        auto V = torch::empty({wk::kPositions, T, C}, x.options());
        auto M = torch::empty({wk::kPositions, T, K}, x.options());
        auto y = torch::empty({g.batch, K, g.out_h, g.out_w}, x.options().memory_format(kChannelsLast));
        const auto b = bias.numel() > 0 ? bias.contiguous() : torch::Tensor();  // empty: none
        const auto& kt = kernels43();
        parallel(C, [&](int64_t s, int64_t e) { kt.weight_transform(w.data_ptr<float>(), K, C, U.data_ptr<float>(), s, e); });
        parallel(T, [&](int64_t s, int64_t e) { kt.input_transform(g, x.data_ptr<float>(), V.data_ptr<float>(), s, e); });
        batched_matmul({V.data_ptr<float>(), {T * C, C, 1}}, {U.data_ptr<float>(), {C * K, K, 1}}, M.data_ptr<float>(),
                       wk::kPositions, T, C, K);
        const float* bias_data = b.defined() ? b.data_ptr<float>() : nullptr;
        parallel(T, [&](int64_t s, int64_t e) { kt.output_transform(g, M.data_ptr<float>(), bias_data, y.data_ptr<float>(), s, e); });
        // The transformed operands are 2.25x the map and 4x the weight: recomputed in the backward
        // pass instead of kept (a few memory passes against ~0.8 GB a SketchyGAN step at width 1).
        ctx->save_for_backward({x, w});
        ctx->saved_data["padding"] = padding;
        ctx->saved_data["bias"] = b.defined();
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const auto& w = saved[1];
        const int64_t padding = ctx->saved_data["padding"].toInt();
        const auto dy = grads[0].contiguous(kChannelsLast);
        torch::Tensor dx, dw, db;
        if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) db = dy.sum({0, 2, 3});
        if (torch::GradMode::is_enabled()) {
            differentiable_gradients(ctx, x, w, dy, padding, dx, dw);
            return {dx, dw, db, torch::Tensor()};
        }
        const auto g = wk::tiling43_for(x.size(0), x.size(1), w.size(0), x.size(2), x.size(3), padding);
        const int64_t K = g.out_channels, C = g.channels, T = g.tiles();
        if (!ctx->needs_input_grad(0) && !ctx->needs_input_grad(1)) return {dx, dw, db, torch::Tensor()};
        auto dM = torch::empty({wk::kPositions, T, K}, dy.options());
        const auto& kt = kernels43();
        parallel(T, [&](int64_t s, int64_t e) { kt.output_grad_transform(g, dy.data_ptr<float>(), dM.data_ptr<float>(), s, e); });
        if (ctx->needs_input_grad(0)) {
            auto U = torch::empty({wk::kPositions, C, K}, x.options());
            parallel(C, [&](int64_t s, int64_t e) { kt.weight_transform(w.data_ptr<float>(), K, C, U.data_ptr<float>(), s, e); });
            auto dV = torch::empty({wk::kPositions, T, C}, dy.options());
            batched_matmul({dM.data_ptr<float>(), {T * K, K, 1}}, {U.data_ptr<float>(), {C * K, 1, K}},
                           dV.data_ptr<float>(), wk::kPositions, T, K, C);
            dx = torch::zeros_like(x, x.options().memory_format(kChannelsLast));
            parallel(g.batch, [&](int64_t s, int64_t e) { kt.input_grad_transform(g, dV.data_ptr<float>(), dx.data_ptr<float>(), s, e); });
        }
        if (ctx->needs_input_grad(1)) {
            auto V = torch::empty({wk::kPositions, T, C}, x.options());
            parallel(T, [&](int64_t s, int64_t e) { kt.input_transform(g, x.data_ptr<float>(), V.data_ptr<float>(), s, e); });
            auto dU = torch::empty({wk::kPositions, C, K}, dy.options());
            batched_matmul({V.data_ptr<float>(), {T * C, 1, C}}, {dM.data_ptr<float>(), {T * K, K, 1}},
                           dU.data_ptr<float>(), wk::kPositions, C, T, K);
            dw = torch::empty_like(w);
            parallel(C, [&](int64_t s, int64_t e) { kt.weight_grad_transform(dU.data_ptr<float>(), K, C, dw.data_ptr<float>(), s, e); });
        }
        return {dx, dw, db, torch::Tensor()};
    }
};

// Two convolutions of one input (an MRU's mask and mix): the input is transformed once for the
// forward pass and once for both weight gradients, and the input gradient is one transform of the
// summed products (the second product accumulates into the first) instead of two maps and an add.
class Winograd3x3PairConv : public torch::autograd::Function<Winograd3x3PairConv> {
public:
    static variable_list forward(AutogradContext* ctx, const torch::Tensor& input, const torch::Tensor& weight1,
                                 const torch::Tensor& bias1, const torch::Tensor& weight2, const torch::Tensor& bias2,
                                 int64_t padding) {
        const auto x = input.contiguous(kChannelsLast);
        const std::array<torch::Tensor, 2> w = {weight1.contiguous(), weight2.contiguous()};
        const std::array<torch::Tensor, 2> b = {bias1.numel() > 0 ? bias1.contiguous() : torch::Tensor(),
                                                bias2.numel() > 0 ? bias2.contiguous() : torch::Tensor()};
        const auto& kt = kernels43();
        const auto g0 = wk::tiling43_for(x.size(0), x.size(1), 0, x.size(2), x.size(3), padding);
        const int64_t C = g0.channels, T = g0.tiles();
        auto V = torch::empty({wk::kPositions, T, C}, x.options());
        parallel(T, [&](int64_t s, int64_t e) { kt.input_transform(g0, x.data_ptr<float>(), V.data_ptr<float>(), s, e); });
        variable_list out;
        for (int i = 0; i < 2; ++i) {
            const auto g = wk::tiling43_for(x.size(0), C, w[i].size(0), x.size(2), x.size(3), padding);
            const int64_t K = g.out_channels;
            auto U = torch::empty({wk::kPositions, C, K}, x.options());
            auto M = torch::empty({wk::kPositions, T, K}, x.options());
            auto y = torch::empty({g.batch, K, g.out_h, g.out_w}, x.options().memory_format(kChannelsLast));
            parallel(C, [&](int64_t s, int64_t e) { kt.weight_transform(w[i].data_ptr<float>(), K, C, U.data_ptr<float>(), s, e); });
            batched_matmul({V.data_ptr<float>(), {T * C, C, 1}}, {U.data_ptr<float>(), {C * K, K, 1}}, M.data_ptr<float>(),
                           wk::kPositions, T, C, K);
            const float* bias_data = b[i].defined() ? b[i].data_ptr<float>() : nullptr;
            parallel(T, [&](int64_t s, int64_t e) { kt.output_transform(g, M.data_ptr<float>(), bias_data, y.data_ptr<float>(), s, e); });
            out.push_back(y);
        }
        ctx->save_for_backward({x, w[0], w[1]});
        ctx->saved_data["padding"] = padding;
        ctx->saved_data["bias1"] = b[0].defined();
        ctx->saved_data["bias2"] = b[1].defined();
        return out;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const std::array<torch::Tensor, 2> w = {saved[1], saved[2]};
        const int64_t padding = ctx->saved_data["padding"].toInt();
        // An output that did not reach the loss has no gradient: it contributes zero.
        std::array<torch::Tensor, 2> dy;
        for (int i = 0; i < 2; ++i) {
            dy[i] = grads[i].defined() ? grads[i].contiguous(kChannelsLast)
                                       : torch::zeros({x.size(0), w[i].size(0), x.size(2) + 2 * padding - 2,
                                                       x.size(3) + 2 * padding - 2},
                                                      x.options().memory_format(kChannelsLast));
        }
        const bool need_x = ctx->needs_input_grad(0);
        const std::array<bool, 2> need_w = {ctx->needs_input_grad(1), ctx->needs_input_grad(3)};
        const std::array<bool, 2> need_b = {ctx->saved_data["bias1"].toBool() && ctx->needs_input_grad(2),
                                            ctx->saved_data["bias2"].toBool() && ctx->needs_input_grad(4)};
        torch::Tensor dx;
        std::array<torch::Tensor, 2> dw, db;
        for (int i = 0; i < 2; ++i) {
            if (need_b[i]) db[i] = dy[i].sum({0, 2, 3});
        }
        if (torch::GradMode::is_enabled()) {  // a gradient of the gradient: LibTorch's ops
            for (int i = 0; i < 2; ++i) {
                if (need_x) {
                    const auto part = torch::conv_transpose2d(dy[i], w[i], {}, 1, padding);
                    dx = dx.defined() ? dx + part : part;
                }
                if (need_w[i]) dw[i] = torch::conv2d(x.transpose(0, 1), dy[i].transpose(0, 1), {}, 1, padding).transpose(0, 1);
            }
            return {dx, dw[0], db[0], dw[1], db[1], torch::Tensor()};
        }
        const auto& kt = kernels43();
        const auto g0 = wk::tiling43_for(x.size(0), x.size(1), 0, x.size(2), x.size(3), padding);
        const int64_t C = g0.channels, T = g0.tiles();
        torch::Tensor V, dV;
        if (need_w[0] || need_w[1]) {
            V = torch::empty({wk::kPositions, T, C}, x.options());
            parallel(T, [&](int64_t s, int64_t e) { kt.input_transform(g0, x.data_ptr<float>(), V.data_ptr<float>(), s, e); });
        }
        if (need_x) dV = torch::empty({wk::kPositions, T, C}, x.options());
        for (int i = 0; i < 2; ++i) {
            if (!need_x && !need_w[i]) continue;
            const auto g = wk::tiling43_for(x.size(0), C, w[i].size(0), x.size(2), x.size(3), padding);
            const int64_t K = g.out_channels;
            auto dM = torch::empty({wk::kPositions, T, K}, x.options());
            parallel(T, [&](int64_t s, int64_t e) { kt.output_grad_transform(g, dy[i].data_ptr<float>(), dM.data_ptr<float>(), s, e); });
            if (need_x) {
                auto U = torch::empty({wk::kPositions, C, K}, x.options());
                parallel(C, [&](int64_t s, int64_t e) { kt.weight_transform(w[i].data_ptr<float>(), K, C, U.data_ptr<float>(), s, e); });
                batched_matmul({dM.data_ptr<float>(), {T * K, K, 1}}, {U.data_ptr<float>(), {C * K, 1, K}},
                               dV.data_ptr<float>(), wk::kPositions, T, K, C, /*accumulate=*/i == 1);
            }
            if (need_w[i]) {
                auto dU = torch::empty({wk::kPositions, C, K}, x.options());
                batched_matmul({V.data_ptr<float>(), {T * C, 1, C}}, {dM.data_ptr<float>(), {T * K, K, 1}},
                               dU.data_ptr<float>(), wk::kPositions, C, T, K);
                dw[i] = torch::empty_like(w[i]);
                parallel(C, [&](int64_t s, int64_t e) { kt.weight_grad_transform(dU.data_ptr<float>(), K, C, dw[i].data_ptr<float>(), s, e); });
            }
        }
        if (need_x) {
            dx = torch::zeros_like(x, x.options().memory_format(kChannelsLast));
            parallel(g0.batch, [&](int64_t s, int64_t e) { kt.input_grad_transform(g0, dV.data_ptr<float>(), dx.data_ptr<float>(), s, e); });
        }
        return {dx, dw[0], db[0], dw[1], db[1], torch::Tensor()};
    }
};

}  // namespace

bool winograd_enabled() { return choice().active() != nullptr; }
std::string winograd_isa() { return choice().isa(); }
std::vector<std::string> winograd_isas() { return choice().available(); }
void set_winograd_isa(const std::string& isa) {
    choice().set(isa);
    choice43().set(isa);
}

bool winograd_fits(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride, int64_t padding) {
    if (!winograd_enabled() || x.dim() != 4 || weight.dim() != 4 || !x.device().is_cpu() ||
        !weight.device().is_cpu() || x.scalar_type() != torch::kFloat || weight.scalar_type() != torch::kFloat) {
        return false;
    }
    const int64_t out_h = x.size(2) + 2 * padding - 3, out_w = x.size(3) + 2 * padding - 3;
    return stride == 1 && padding >= 0 && padding <= 3 && weight.size(2) == 4 && weight.size(3) == 4 &&
           x.size(1) == weight.size(1) && weight.size(1) >= 32 && weight.size(0) >= 32 && out_h >= 12 && out_w >= 12;
}

torch::Tensor winograd_conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t padding) {
    return WinogradConv::apply(x, weight, padding);
}

bool winograd3x3_fits(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride, int64_t padding) {
    if (!choice43().active() || x.dim() != 4 || weight.dim() != 4 || !x.device().is_cpu() ||
        !weight.device().is_cpu() || x.scalar_type() != torch::kFloat || weight.scalar_type() != torch::kFloat ||
        !x.is_contiguous(kChannelsLast)) {
        return false;
    }
    const int64_t out_h = x.size(2) + 2 * padding - 2, out_w = x.size(3) + 2 * padding - 2;
    return stride == 1 && (padding == 0 || padding == 1) && weight.size(2) == 3 && weight.size(3) == 3 &&
           x.size(1) == weight.size(1) && weight.size(1) >= 16 && weight.size(0) >= 16 && out_h >= 8 && out_w >= 8;
}

// Measured: the channels decide, not the map size.
bool winograd3x3_pays(const torch::Tensor& weight) {
    return std::min(weight.size(0), weight.size(1)) >= kWinogradMinChannels;
}

std::pair<torch::Tensor, torch::Tensor> winograd3x3_conv2d_pair(const torch::Tensor& x, const torch::Tensor& weight1,
                                                                const torch::Tensor& bias1, const torch::Tensor& weight2,
                                                                const torch::Tensor& bias2, int64_t padding) {
    const auto none = torch::empty({0}, x.options());
    const auto y = Winograd3x3PairConv::apply(x, weight1, bias1.defined() ? bias1 : none, weight2,
                                              bias2.defined() ? bias2 : none, padding);
    return {y[0], y[1]};
}

torch::Tensor winograd3x3_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                 int64_t padding) {
    // An undefined tensor cannot be an input of a custom autograd function in LibTorch 1.13; an
    // empty one stands for no bias.
    return Winograd3x3Conv::apply(x, weight, bias.defined() ? bias : torch::empty({0}, x.options()), padding);
}

}  // namespace ganvas
