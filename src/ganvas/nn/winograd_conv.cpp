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

// The steps of a 3x3 convolution by F(4x4, 3x3) on a channels-last map x, shared by one
// convolution and a pair of one input. `K` = 0 in a tiling that serves only the input's transforms.
wk::Tiling43 tiling43_of(const torch::Tensor& x, int64_t out_channels, int64_t padding) {
    return wk::tiling43_for(x.size(0), x.size(1), out_channels, x.size(2), x.size(3), padding);
}

// V [36, T, C]: the transformed input tiles.
torch::Tensor transformed_input(const torch::Tensor& x, int64_t padding) {
    const auto g = tiling43_of(x, 0, padding);
    auto V = torch::empty({wk::kPositions, g.tiles(), g.channels}, x.options());
    const auto& kt = kernels43();
    parallel(g.tiles(), [&](int64_t s, int64_t e) { kt.input_transform(g, x.data_ptr<float>(), V.data_ptr<float>(), s, e); });
    return V;
}

// U [36, C, K]: the transformed weight.
torch::Tensor transformed_weight(const torch::Tensor& w) {
    const int64_t K = w.size(0), C = w.size(1);
    auto U = torch::empty({wk::kPositions, C, K}, w.options());
    const auto& kt = kernels43();
    parallel(C, [&](int64_t s, int64_t e) { kt.weight_transform(w.data_ptr<float>(), K, C, U.data_ptr<float>(), s, e); });
    return U;
}

// y = conv(x, w) + b from the transformed input.
torch::Tensor output_from(const torch::Tensor& x, const torch::Tensor& V, const torch::Tensor& w, const torch::Tensor& b,
                          int64_t padding) {
    const auto g = tiling43_of(x, w.size(0), padding);
    const int64_t K = g.out_channels, C = g.channels, T = g.tiles();
    const auto U = transformed_weight(w);
    auto M = torch::empty({wk::kPositions, T, K}, x.options());
    auto y = torch::empty({g.batch, K, g.out_h, g.out_w}, x.options().memory_format(kChannelsLast));
    batched_matmul({V.data_ptr<float>(), {T * C, C, 1}}, {U.data_ptr<float>(), {C * K, K, 1}}, M.data_ptr<float>(),
                   wk::kPositions, T, C, K);
    const float* bias_data = b.defined() ? b.data_ptr<float>() : nullptr;
    const auto& kt = kernels43();
    parallel(T, [&](int64_t s, int64_t e) { kt.output_transform(g, M.data_ptr<float>(), bias_data, y.data_ptr<float>(), s, e); });
    return y;
}

// dM [36, T, K]: the transformed output gradient.
torch::Tensor transformed_output_grad(const torch::Tensor& x, const torch::Tensor& dy, int64_t padding) {
    const auto g = tiling43_of(x, dy.size(1), padding);
    auto dM = torch::empty({wk::kPositions, g.tiles(), g.out_channels}, dy.options());
    const auto& kt = kernels43();
    parallel(g.tiles(), [&](int64_t s, int64_t e) { kt.output_grad_transform(g, dy.data_ptr<float>(), dM.data_ptr<float>(), s, e); });
    return dM;
}

// dV = dM . U^T (dV += with `accumulate`): the input gradient, still transformed.
void add_input_grad_product(const torch::Tensor& dM, const torch::Tensor& w, torch::Tensor& dV, bool accumulate) {
    const int64_t K = w.size(0), C = w.size(1), T = dM.size(1);
    const auto U = transformed_weight(w);
    batched_matmul({dM.data_ptr<float>(), {T * K, K, 1}}, {U.data_ptr<float>(), {C * K, 1, K}}, dV.data_ptr<float>(),
                   wk::kPositions, T, K, C, accumulate);
}

// dx from the transformed input gradient.
torch::Tensor input_grad_from(const torch::Tensor& x, const torch::Tensor& dV, int64_t padding) {
    const auto g = tiling43_of(x, 0, padding);
    auto dx = torch::zeros_like(x, x.options().memory_format(kChannelsLast));
    const auto& kt = kernels43();
    parallel(g.batch, [&](int64_t s, int64_t e) { kt.input_grad_transform(g, dV.data_ptr<float>(), dx.data_ptr<float>(), s, e); });
    return dx;
}

// dw = the weight transform's adjoint of V^T . dM.
torch::Tensor weight_grad_from(const torch::Tensor& V, const torch::Tensor& dM, const torch::Tensor& w) {
    const int64_t K = w.size(0), C = w.size(1), T = V.size(1);
    auto dU = torch::empty({wk::kPositions, C, K}, dM.options());
    batched_matmul({V.data_ptr<float>(), {T * C, 1, C}}, {dM.data_ptr<float>(), {T * K, K, 1}}, dU.data_ptr<float>(),
                   wk::kPositions, C, T, K);
    auto dw = torch::empty_like(w);
    const auto& kt = kernels43();
    parallel(C, [&](int64_t s, int64_t e) { kt.weight_grad_transform(dU.data_ptr<float>(), K, C, dw.data_ptr<float>(), s, e); });
    return dw;
}

// Convolutions of one input x (channels-last) with weights w[i] [K_i, C, 3, 3] and biases b[i]
// (empty: none), stride 1: one convolution, or an MRU's mask and mix as a pair. The input is
// transformed once for the forward pass and once for all weight gradients, and the input gradient
// is one transform of the products summed (each matmul after the first accumulates into dV).
template <size_t N>
struct Winograd3x3Group {
    static variable_list forward(AutogradContext* ctx, const torch::Tensor& input, const std::array<torch::Tensor, N>& weights,
                                 const std::array<torch::Tensor, N>& biases, int64_t padding) {
        const auto x = input.contiguous(kChannelsLast);
        std::array<torch::Tensor, N> w;
        variable_list saved{x}, out;
        const auto V = transformed_input(x, padding);
        for (size_t i = 0; i < N; ++i) {
            w[i] = weights[i].contiguous();
            const auto b = biases[i].numel() > 0 ? biases[i].contiguous() : torch::Tensor();
            out.push_back(output_from(x, V, w[i], b, padding));
            saved.push_back(w[i]);
            ctx->saved_data["bias" + std::to_string(i)] = b.defined();
        }
        // The transformed operands are 2.25x the map and 4x the weight: recomputed in the backward
        // pass instead of kept (a few memory passes against ~0.8 GB a SketchyGAN step at width 1).
        ctx->save_for_backward(saved);
        ctx->saved_data["padding"] = padding;
        return out;
    }

    // grads[i] for output i (undefined: it did not reach the loss); returns dx, then dw_i and db_i
    // for each i in turn.
    static variable_list backward(AutogradContext* ctx, const variable_list& grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const int64_t padding = ctx->saved_data["padding"].toInt();
        const bool need_x = ctx->needs_input_grad(0);
        variable_list result(1 + 2 * N);
        std::array<torch::Tensor, N> dy;
        bool need_any_w = false;
        for (size_t i = 0; i < N; ++i) {
            const auto& w = saved[1 + i];
            dy[i] = grads[i].defined() ? grads[i].contiguous(kChannelsLast)
                                       : torch::zeros({x.size(0), w.size(0), x.size(2) + 2 * padding - 2, x.size(3) + 2 * padding - 2},
                                                      x.options().memory_format(kChannelsLast));
            if (ctx->saved_data["bias" + std::to_string(i)].toBool() && ctx->needs_input_grad(2 + 2 * i)) {
                result[2 + 2 * i] = dy[i].sum({0, 2, 3});
            }
            need_any_w = need_any_w || ctx->needs_input_grad(1 + 2 * i);
        }
        if (torch::GradMode::is_enabled()) {  // a gradient of the gradient: LibTorch's differentiable ops
            for (size_t i = 0; i < N; ++i) {
                const auto& w = saved[1 + i];
                if (need_x) {
                    const auto part = torch::conv_transpose2d(dy[i], w, {}, 1, padding);
                    result[0] = result[0].defined() ? result[0] + part : part;
                }
                if (ctx->needs_input_grad(1 + 2 * i)) {
                    result[1 + 2 * i] = torch::conv2d(x.transpose(0, 1), dy[i].transpose(0, 1), {}, 1, padding).transpose(0, 1);
                }
            }
            return result;
        }
        if (!need_x && !need_any_w) return result;
        const auto V = need_any_w ? transformed_input(x, padding) : torch::Tensor();
        const auto g0 = tiling43_of(x, 0, padding);
        auto dV = need_x ? torch::empty({wk::kPositions, g0.tiles(), g0.channels}, x.options()) : torch::Tensor();
        for (size_t i = 0; i < N; ++i) {
            const auto& w = saved[1 + i];
            const bool need_w = ctx->needs_input_grad(1 + 2 * i);
            if (!need_x && !need_w) continue;
            const auto dM = transformed_output_grad(x, dy[i], padding);
            if (need_x) add_input_grad_product(dM, w, dV, /*accumulate=*/i > 0);
            if (need_w) result[1 + 2 * i] = weight_grad_from(V, dM, w);
        }
        if (need_x) result[0] = input_grad_from(x, dV, padding);
        return result;
    }
};

class Winograd3x3Conv : public torch::autograd::Function<Winograd3x3Conv> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input, const torch::Tensor& weight,
                                 const torch::Tensor& bias, int64_t padding) {
        return Winograd3x3Group<1>::forward(ctx, input, {weight}, {bias}, padding)[0];
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto r = Winograd3x3Group<1>::backward(ctx, grads);
        return {r[0], r[1], r[2], torch::Tensor()};
    }
};

class Winograd3x3PairConv : public torch::autograd::Function<Winograd3x3PairConv> {
public:
    static variable_list forward(AutogradContext* ctx, const torch::Tensor& input, const torch::Tensor& weight1,
                                 const torch::Tensor& bias1, const torch::Tensor& weight2, const torch::Tensor& bias2,
                                 int64_t padding) {
        return Winograd3x3Group<2>::forward(ctx, input, {weight1, weight2}, {bias1, bias2}, padding);
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto r = Winograd3x3Group<2>::backward(ctx, grads);
        r.push_back(torch::Tensor());  // padding
        return r;
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
