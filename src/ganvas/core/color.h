// Differentiable color conversions on image batches [N, 3, H, W] (RGB in [0, 1], see image.h).
//
// Lab is CIE L*a*b* under D65 from sRGB (IEC 61966-2-1 transfer curve): L in [0, 100], a and b
// roughly in [-128, 127], as OpenCV's float cvtColor(RGB2Lab) and skimage.color.rgb2lab give.
#pragma once
#include <torch/types.h>

namespace ganvas {

torch::Tensor rgb_to_lab(const torch::Tensor& rgb);
torch::Tensor lab_to_rgb(const torch::Tensor& lab);  // clamped to [0, 1]

// ITU-R BT.601 luma (what OpenCV's RGB2GRAY computes): [N, 3, H, W] -> [N, 1, H, W].
torch::Tensor rgb_to_luma(const torch::Tensor& rgb);

// The colorizer's input: luma replicated to 3 channels, [N, 3, H, W].
torch::Tensor rgb_to_gray3(const torch::Tensor& rgb);

// Keeps the lightness L of `luminance_rgb` and takes a, b from `chroma_rgb`: the output has
// exactly the input's detail and only the predicted color. Both [N, 3, H, W], same size.
torch::Tensor combine_luminance_chroma(const torch::Tensor& luminance_rgb,
                                       const torch::Tensor& chroma_rgb);

}  // namespace ganvas
