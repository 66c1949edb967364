#include "ganvas/core/color.h"

#include <torch/torch.h>

namespace ganvas {
namespace {

// sRGB (linear) -> XYZ, D65, rows X, Y, Z.
const double kRgbToXyz[3][3] = {{0.412453, 0.357580, 0.180423},
                                {0.212671, 0.715160, 0.072169},
                                {0.019334, 0.119193, 0.950227}};
const double kXyzToRgb[3][3] = {{3.240479, -1.537150, -0.498535},
                                {-0.969256, 1.875992, 0.041556},
                                {0.055648, -0.204043, 1.057311}};
const double kWhite[3] = {0.950456, 1.0, 1.088754};
constexpr double kEpsilon = 0.008856;  // (6/29)^3
constexpr double kKappa = 7.787;       // (29/6)^2 / 3

torch::Tensor mix(const torch::Tensor& x, const double (&m)[3][3]) {
    // x: [N, 3, H, W]; out_c = sum_k m[c][k] x_k
    auto w = torch::tensor({m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2], m[2][0],
                            m[2][1], m[2][2]},
                           x.options())
                 .view({3, 3});
    return torch::einsum("ck,nkhw->nchw", {w, x});
}

torch::Tensor srgb_to_linear(const torch::Tensor& c) {
    return torch::where(c > 0.04045, torch::pow((c.clamp_min(0.04045) + 0.055) / 1.055, 2.4),
                        c / 12.92);
}

torch::Tensor linear_to_srgb(const torch::Tensor& c) {
    return torch::where(c > 0.0031308,
                        1.055 * torch::pow(c.clamp_min(0.0031308), 1.0 / 2.4) - 0.055, c * 12.92);
}

}  // namespace

torch::Tensor rgb_to_lab(const torch::Tensor& rgb) {
    TORCH_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, "rgb_to_lab expects [N, 3, H, W], got ",
                rgb.sizes());
    auto xyz = mix(srgb_to_linear(rgb), kRgbToXyz);
    auto white = torch::tensor({kWhite[0], kWhite[1], kWhite[2]}, rgb.options()).view({1, 3, 1, 1});
    auto t = xyz / white;
    auto f = torch::where(t > kEpsilon, torch::pow(t.clamp_min(kEpsilon), 1.0 / 3.0),
                          kKappa * t + 16.0 / 116.0);
    auto fx = f.select(1, 0), fy = f.select(1, 1), fz = f.select(1, 2);
    auto L = 116.0 * fy - 16.0;
    auto a = 500.0 * (fx - fy);
    auto b = 200.0 * (fy - fz);
    return torch::stack({L, a, b}, 1);
}

torch::Tensor lab_to_rgb(const torch::Tensor& lab) {
    TORCH_CHECK(lab.dim() == 4 && lab.size(1) == 3, "lab_to_rgb expects [N, 3, H, W], got ",
                lab.sizes());
    auto fy = (lab.select(1, 0) + 16.0) / 116.0;
    auto fx = fy + lab.select(1, 1) / 500.0;
    auto fz = fy - lab.select(1, 2) / 200.0;
    auto f = torch::stack({fx, fy, fz}, 1);
    const double f_eps = 6.0 / 29.0;
    auto t = torch::where(f > f_eps, f * f * f, (f - 16.0 / 116.0) / kKappa);
    auto white = torch::tensor({kWhite[0], kWhite[1], kWhite[2]}, lab.options()).view({1, 3, 1, 1});
    auto rgb = linear_to_srgb(mix(t * white, kXyzToRgb));
    return rgb.clamp(0.0, 1.0);
}

torch::Tensor rgb_to_luma(const torch::Tensor& rgb) {
    TORCH_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, "rgb_to_luma expects [N, 3, H, W], got ",
                rgb.sizes());
    return (0.299 * rgb.select(1, 0) + 0.587 * rgb.select(1, 1) + 0.114 * rgb.select(1, 2))
        .unsqueeze(1);
}

torch::Tensor rgb_to_gray3(const torch::Tensor& rgb) {
    return rgb_to_luma(rgb).expand({-1, 3, -1, -1}).contiguous();
}

torch::Tensor combine_luminance_chroma(const torch::Tensor& luminance_rgb,
                                       const torch::Tensor& chroma_rgb) {
    TORCH_CHECK(luminance_rgb.sizes() == chroma_rgb.sizes(),
                "combine_luminance_chroma: sizes differ: ", luminance_rgb.sizes(), " vs ",
                chroma_rgb.sizes());
    auto lightness = rgb_to_lab(luminance_rgb).narrow(1, 0, 1);
    auto ab = rgb_to_lab(chroma_rgb).narrow(1, 1, 2);
    return lab_to_rgb(torch::cat({lightness, ab}, 1));
}

}  // namespace ganvas
