#include "ganvas/nn/small_conv.h"

#include "ganvas/nn/conv2d.h"

#include "ganvas/core/runtime.h"
#include "ganvas/nn/conv_transpose.h"
#include "ganvas/nn/kernel_choice.h"
#include "ganvas/nn/small_conv_kernels.h"
#include "ganvas/nn/winograd_conv.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstring>
#include <functional>
#include <stdexcept>

namespace ganvas {
namespace {

namespace k = small_conv_kernels;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Columns are handed to threads in whole 64-byte lines.
constexpr int64_t kVector = 16;

KernelChoice<k::Kernels>& choice() {
    static KernelChoice<k::Kernels> c(k::avx512_kernels(), k::avx2_kernels(), "GANVAS_SMALL_CONV_KERNELS",
                                      "GANVAS_SMALL_CONV");
    return c;
}

// The set a convolution started with (a switch mid-way must not mix two).
const k::Kernels& kernels() {
    const k::Kernels* active = choice().active();
    if (!active) throw std::logic_error("small_conv: no kernel set is active");
    return *active;
}

// colT[p * ldc + c * k * k + i * k + j] = x[n][c][oy * stride + i - pad][ox * stride + j - pad] (zero
// outside), p = (n * out_h + oy) * out_w + ox, for p in [begin, end).
void unfold_windows(const k::Window& g, const float* x, float* colT, int64_t ldc, int64_t begin, int64_t end) {
    const int64_t kw = g.kernel, kk = kw * kw, plane = g.height * g.width;
    for (int64_t p = begin; p < end; ++p) {
        const int64_t n = p / (g.out_h * g.out_w), oy = p / g.out_w % g.out_h, ox = p % g.out_w;
        const float* xn = x + n * g.channels * plane;
        float* row = colT + p * ldc;
        for (int64_t i = 0; i < kw; ++i) {
            const int64_t iy = oy * g.stride + i - g.pad;
            for (int64_t j = 0; j < kw; ++j) {
                const int64_t ix = ox * g.stride + j - g.pad;
                float* dst = row + i * kw + j;
                if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) {
                    for (int64_t c = 0; c < g.channels; ++c) dst[c * kk] = 0.f;
                } else {
                    const float* src = xn + iy * g.width + ix;
                    for (int64_t c = 0; c < g.channels; ++c) dst[c * kk] = src[c * plane];
                }
            }
        }
    }
}

// The adjoint of unfold_windows: x[n][c] = the sum of colT over every window position that
// reads it, for the channels c in [begin, end) of every image (x is overwritten there).
void fold_windows(const k::Window& g, const float* colT, int64_t ldc, float* x, int64_t begin, int64_t end) {
    const int64_t kw = g.kernel, kk = kw * kw, plane = g.height * g.width;
    for (int64_t n = 0; n < g.batch; ++n) {
        for (int64_t c = begin; c < end; ++c) {
            float* xc = x + (n * g.channels + c) * plane;
            std::memset(xc, 0, sizeof(float) * plane);
            for (int64_t oy = 0; oy < g.out_h; ++oy) {
                for (int64_t ox = 0; ox < g.out_w; ++ox) {
                    const float* src = colT + ((n * g.out_h + oy) * g.out_w + ox) * ldc + c * kk;
                    for (int64_t i = 0; i < kw; ++i) {
                        const int64_t iy = oy * g.stride + i - g.pad;
                        if (iy < 0 || iy >= g.height) continue;
                        for (int64_t j = 0; j < kw; ++j) {
                            const int64_t ix = ox * g.stride + j - g.pad;
                            if (ix >= 0 && ix < g.width) xc[iy * g.width + ix] += src[i * kw + j];
                        }
                    }
                }
            }
        }
    }
}

void parallel_columns(int64_t cols, const std::function<void(int64_t, int64_t)>& fn) {
    at::parallel_for(0, cols / kVector, 1, [&](int64_t b, int64_t e) { fn(b * kVector, e * kVector); });
}

// [C, N * HW] from [N, C, H, W]: the pixels of every image side by side (a view when N is 1).
torch::Tensor channels_by_pixels(const torch::Tensor& t) {
    return t.transpose(0, 1).contiguous().view({t.size(1), -1});
}

// [N, C, H, W] from [C, N * H * W].
torch::Tensor images_from(const torch::Tensor& m, int64_t n, int64_t h, int64_t w) {
    return m.view({m.size(0), n, h, w}).transpose(0, 1).contiguous();
}

// A window's geometry through an autograd context, from forward to backward.
void save_window(AutogradContext* ctx, const k::Window& g) {
    ctx->saved_data["window"] = std::vector<int64_t>{g.batch,  g.channels, g.height, g.width, g.kernel,
                                                     g.stride, g.pad,      g.out_h,  g.out_w};
}

k::Window saved_window(AutogradContext* ctx) {
    const auto v = ctx->saved_data["window"].toIntVector();
    return k::Window{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
}

torch::Tensor unfolded(const k::Window& g, const torch::Tensor& input) {
    const int64_t ld = k::ld_for(g.cols());
    auto colT = torch::empty({g.pixels(), ld}, input.options());
    const float* x = input.data_ptr<float>();
    float* c = colT.data_ptr<float>();
    at::parallel_for(0, g.pixels(), 1, [&](int64_t b, int64_t e) { unfold_windows(g, x, c, ld, b, e); });
    return colT;
}

torch::Tensor folded(const k::Window& g, const torch::Tensor& colT, const torch::TensorOptions& options) {
    auto out = torch::empty({g.batch, g.channels, g.height, g.width}, options);
    const float* c = colT.data_ptr<float>();
    float* o = out.data_ptr<float>();
    at::parallel_for(0, g.channels, 1, [&](int64_t b, int64_t e) { fold_windows(g, c, colT.size(1), o, b, e); });
    return out;
}

// b [rows, pixels], w [rows, cols] -> [pixels, ld] with out[p][s] = sum_r b[r][p] w[r][s].
torch::Tensor sum_rows_scaled(const torch::Tensor& b, const torch::Tensor& w2) {
    const int64_t rows = w2.size(0), cols = w2.size(1), pixels = b.size(1), ld = k::ld_for(cols);
    auto out = torch::empty({pixels, ld}, b.options());
    const float *bp = b.data_ptr<float>(), *wp = w2.data_ptr<float>();
    float* op = out.data_ptr<float>();
    const auto& kernel = kernels();
    parallel_columns(cols, [&](int64_t s0, int64_t s1) {
        kernel.sum_rows_scaled(bp, pixels, wp, rows, cols, pixels, op, ld, s0, s1);
    });
    return out;
}

// w [rows, cols], colT [pixels, ld] -> [rows, pixels].
torch::Tensor row_dots(const torch::Tensor& w2, const torch::Tensor& colT) {
    const int64_t rows = w2.size(0), cols = w2.size(1), pixels = colT.size(0);
    auto out = torch::empty({rows, pixels}, colT.options());
    const float *wp = w2.data_ptr<float>(), *cp = colT.data_ptr<float>();
    float* op = out.data_ptr<float>();
    const auto& kernel = kernels();
    at::parallel_for(0, rows, 1, [&](int64_t r0, int64_t r1) {
        kernel.row_dots(wp, cols, cp, colT.size(1), pixels, op, r0, r1);
    });
    return out;
}

// a [rows, pixels], colT [pixels, ld] -> out (a [rows, cols] tensor's storage).
void outer_sum(const torch::Tensor& a, const torch::Tensor& colT, torch::Tensor& out) {
    const int64_t rows = a.size(0), pixels = a.size(1), cols = out.numel() / rows;
    const float *ap = a.data_ptr<float>(), *cp = colT.data_ptr<float>();
    float* op = out.data_ptr<float>();
    const auto& kernel = kernels();
    at::parallel_for(0, rows, 1, [&](int64_t r0, int64_t r1) {
        kernel.outer_sum(ap, pixels, cp, colT.size(1), cols, op, r0, r1);
    });
}

class SmallConv : public torch::autograd::Function<SmallConv> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                                 int64_t stride, int64_t padding) {
        auto xc = x.contiguous();
        auto w = weight.contiguous();
        const int64_t kernel = w.size(2);
        const int64_t out_h = (x.size(2) + 2 * padding - kernel) / stride + 1;
        const int64_t out_w = (x.size(3) + 2 * padding - kernel) / stride + 1;
        const k::Window g{xc.size(0), xc.size(1), xc.size(2), xc.size(3), kernel, stride, padding, out_h, out_w};
        auto colT = unfolded(g, xc);
        auto y = images_from(row_dots(w.view({w.size(0), -1}), colT), g.batch, out_h, out_w);
        ctx->save_for_backward({colT, w});
        save_window(ctx, g);
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& colT = saved[0];
        const auto& w = saved[1];
        const auto g = saved_window(ctx);
        const auto gy = channels_by_pixels(grads[0]);  // [O, pixels]
        torch::Tensor gx, gw;
        if (ctx->needs_input_grad(0)) gx = folded(g, sum_rows_scaled(gy, w.view({w.size(0), -1})), gy.options());
        if (ctx->needs_input_grad(1)) {
            gw = torch::empty_like(w);
            outer_sum(gy, colT, gw);
        }
        return {gx, gw, torch::Tensor(), torch::Tensor()};
    }
};

class SmallConvTranspose : public torch::autograd::Function<SmallConvTranspose> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                                 int64_t stride, int64_t padding, int64_t output_padding) {
        auto w = weight.contiguous();
        const int64_t kernel = w.size(2);
        const int64_t out_h = (x.size(2) - 1) * stride - 2 * padding + kernel + output_padding;
        const int64_t out_w = (x.size(3) - 1) * stride - 2 * padding + kernel + output_padding;
        // The convolution this is the input-gradient of: input y [N, O, out_h, out_w], output x's size.
        const k::Window g{x.size(0), w.size(1), out_h, out_w, kernel, stride, padding, x.size(2), x.size(3)};
        auto xm = channels_by_pixels(x);  // [I, pixels]
        auto y = folded(g, sum_rows_scaled(xm, w.view({w.size(0), -1})), x.options());
        ctx->save_for_backward({xm, w});
        save_window(ctx, g);
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& xm = saved[0];
        const auto& w = saved[1];
        const auto g = saved_window(ctx);
        auto colT = unfolded(g, grads[0].contiguous());
        torch::Tensor gx, gw;
        if (ctx->needs_input_grad(0)) gx = images_from(row_dots(w.view({w.size(0), -1}), colT), g.batch, g.out_h, g.out_w);
        if (ctx->needs_input_grad(1)) {
            gw = torch::empty_like(w);
            outer_sum(xm, colT, gw);
        }
        return {gx, gw, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

bool small_conv_enabled() { return choice().active() != nullptr; }
std::string small_conv_isa() { return choice().isa(); }
std::vector<std::string> small_conv_isas() { return choice().available(); }
void set_small_conv_isa(const std::string& isa) { choice().set(isa); }

bool small_conv_fits(const torch::Tensor& x, const torch::Tensor& weight, bool transposed, int64_t stride,
                     int64_t padding, int64_t output_padding) {
    if (!small_conv_enabled() || x.dim() != 4 || weight.dim() != 4 || !x.device().is_cpu() ||
        !weight.device().is_cpu() || x.scalar_type() != torch::kFloat || weight.scalar_type() != torch::kFloat ||
        weight.size(2) != weight.size(3) || stride < 1 || padding < 0 || output_padding < 0) {
        return false;
    }
    const int64_t kernel = weight.size(2);
    if (transposed) {
        // Columns of the weight matrix [I, O*k*k] are handed out in vectors of 16.
        return x.size(1) == weight.size(0) && weight.size(1) * kernel * kernel % kVector == 0 &&
               x.size(0) * x.size(2) * x.size(3) <= kSmallConvMaxPixels;
    }
    const int64_t out_h = (x.size(2) + 2 * padding - kernel) / stride + 1;
    const int64_t out_w = (x.size(3) + 2 * padding - kernel) / stride + 1;
    return output_padding == 0 && x.size(1) == weight.size(1) && weight.size(1) * kernel * kernel % kVector == 0 &&
           out_h > 0 && out_w > 0 && x.size(0) * out_h * out_w <= kSmallConvMaxPixels;
}

torch::Tensor small_conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride, int64_t padding) {
    return SmallConv::apply(x, weight, stride, padding);
}

torch::Tensor small_conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                                     int64_t padding, int64_t output_padding) {
    return SmallConvTranspose::apply(x, weight, stride, padding, output_padding);
}

FastConv2dImpl::FastConv2dImpl(Conv2dSpec spec, bool fast_kernels) : spec_(spec), fast_kernels_(fast_kernels) {
    weight = register_parameter("weight", torch::empty({spec.out_channels, spec.in_channels, spec.kernel, spec.kernel}));
    if (spec.bias) bias = register_parameter("bias", torch::empty({spec.out_channels}));
    init_conv_parameters(weight, bias);
}

torch::Tensor FastConv2dImpl::forward(const torch::Tensor& x) {
    torch::Tensor y;
    if (fast_kernels_ && small_conv_fits(x, weight, false, spec_.stride, spec_.padding, 0)) {
        y = small_conv2d(x, weight, spec_.stride, spec_.padding);
    } else if (fast_kernels_ && spec_.kernel == 4 && winograd_fits(x, weight, spec_.stride, spec_.padding)) {
        y = winograd_conv2d(x, weight, spec_.padding);
    }
    if (y.defined()) return bias.defined() ? y + bias.view({1, -1, 1, 1}) : y;
    // 3x3: conv2d.h's routes (Winograd F(4x4, 3x3) in training on channels-last maps).
    if (fast_kernels_ && spec_.kernel == 3) return ganvas::conv2d(x, weight, bias, spec_.stride, spec_.padding);
    return torch::conv2d(x, weight, bias, spec_.stride, spec_.padding);
}

}  // namespace ganvas
