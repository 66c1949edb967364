// Realism of a set of images against a set of real ones, as distances between feature
// distributions: KID (Binkowski et al., "Demystifying MMD GANs", ICLR 2018: the unbiased squared
// MMD with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3) and FID (Heusel et al., NeurIPS
// 2017: |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))).
//
// The features here are VGG-19's (nn/vgg.h, the weights ganvas can load offline): for each image
// the global averages of relu1_1, relu2_1 and relu3_1 (64 + 128 + 256 = 448 values). These are
// NOT the standard Inception-v3 pool3 numbers that papers quote, and are only comparable with
// each other (same features, same image size, same real set).
//
// The standard numbers need the user's copy of pytorch-fid's Inception weights (nn/inception.h):
// FID and KID on its 2,048 pool features and the Inception Score (Salimans et al., "Improved
// techniques for training GANs", NeurIPS 2016) on its 1,008-way softmax. With fewer images than
// features (2,048) the covariances are singular and FID is biased upward; compare such numbers
// only at equal set sizes.
#pragma once
#include "ganvas/nn/inception.h"
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

// Inception Score of class logits [N, K]: exp(mean over images of KL(p(y|x) || p(y))), p(y) the
// mean of p(y|x) over the part; the set split into `splits` consecutive parts (fewer when N is
// small: each holds at least 2 images), mean and standard deviation over the parts.
struct InceptionScore {
    double mean = -1.0;    // -1: not measured
    double spread = 0.0;
};
InceptionScore inception_score(const torch::Tensor& logits, int64_t splits = 10);

// Pool features and logits of image sets, batch by batch, for the standard FID, KID and IS.
class InceptionSets {
public:
    explicit InceptionSets(const FidInception& net, size_t sets) : net_(net), pool_(sets), logits_(sets) {}
    // rgb [N, 3, H, W] in [0, 1] into set `k`, in inference mode.
    void add(size_t k, const torch::Tensor& rgb);
    torch::Tensor pool(size_t k) const { return torch::cat(pool_.at(k)); }      // [N, C] float64
    torch::Tensor logits(size_t k) const { return torch::cat(logits_.at(k)); }  // [N, K] float64

private:
    const FidInception& net_;
    std::vector<std::vector<torch::Tensor>> pool_, logits_;
};

}  // namespace ganvas
