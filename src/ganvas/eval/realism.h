// Realism of a set of images against a set of real ones, as distances between feature
// distributions: KID (Binkowski et al., "Demystifying MMD GANs", ICLR 2018: the unbiased squared
// MMD with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3) and FID (Heusel et al., NeurIPS
// 2017: |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))).
//
// The features here are VGG-19's (nn/vgg.h, the weights ganvas can load offline): for each image
// the global averages of relu1_1, relu2_1 and relu3_1 (64 + 128 + 256 = 448 values). These are
// NOT the standard Inception-v3 pool3 numbers that papers quote, and are only comparable with
// each other (same features, same image size, same real set).
#pragma once
#include "ganvas/nn/vgg.h"

#include <torch/types.h>

namespace ganvas {

constexpr int64_t kVggDescriptorSize = 64 + 128 + 256;

// rgb: [N, 3, H, W] in [0, 1] -> [N, kVggDescriptorSize] (float64), in inference mode.
torch::Tensor vgg_descriptors(Vgg19Relu31& vgg, const torch::Tensor& rgb);

// x: [M, D], y: [N, D], M, N >= 2. The unbiased estimate: it can be slightly negative for sets
// from one distribution.
double kernel_inception_distance(const torch::Tensor& x, const torch::Tensor& y);

// From the sets' means [D] and covariances [D, D]; the matrix square root through symmetric
// eigendecompositions (Tr (S1 S2)^(1/2) = sum of sqrt(eig(S1^(1/2) S2 S1^(1/2)))).
double frechet_distance(const torch::Tensor& mu1, const torch::Tensor& cov1, const torch::Tensor& mu2,
                        const torch::Tensor& cov2);
// From the sets themselves ([M, D], [N, D], M, N >= 2; sample covariances, N - 1).
double frechet_distance(const torch::Tensor& x, const torch::Tensor& y);

}  // namespace ganvas
