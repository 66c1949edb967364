#include "ganvas/eval/realism.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace ganvas {

torch::Tensor vgg_descriptors(Vgg19Relu31& vgg, const torch::Tensor& rgb) {
    TORCH_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, "vgg_descriptors expects [N, 3, H, W], got ", rgb.sizes());
    torch::InferenceMode guard;
    const auto f = vgg->forward(rgb.to(torch::kFloat));
    return torch::cat({f.relu1_1.mean({2, 3}), f.relu2_1.mean({2, 3}), f.relu3_1.mean({2, 3})}, 1)
        .to(torch::kFloat64);
}

double kernel_inception_distance(const torch::Tensor& x_in, const torch::Tensor& y_in) {
    TORCH_CHECK(x_in.dim() == 2 && y_in.dim() == 2 && x_in.size(1) == y_in.size(1), "KID: feature sets must be [M, D] and [N, D]");
    TORCH_CHECK(x_in.size(0) >= 2 && y_in.size(0) >= 2, "KID needs at least 2 images in each set");
    const auto x = x_in.to(torch::kFloat64), y = y_in.to(torch::kFloat64);
    const double d = static_cast<double>(x.size(1));
    const auto kernel = [d](const torch::Tensor& a, const torch::Tensor& b) { return (a.matmul(b.t()) / d + 1.0).pow(3); };
    const double m = static_cast<double>(x.size(0)), n = static_cast<double>(y.size(0));
    const auto kxx = kernel(x, x), kyy = kernel(y, y), kxy = kernel(x, y);
    const double xx = (kxx.sum() - kxx.diagonal().sum()).item<double>() / (m * (m - 1));
    const double yy = (kyy.sum() - kyy.diagonal().sum()).item<double>() / (n * (n - 1));
    const double xy = kxy.sum().item<double>() / (m * n);
    return xx + yy - 2.0 * xy;
}

double frechet_distance(const torch::Tensor& mu1_in, const torch::Tensor& cov1_in, const torch::Tensor& mu2_in,
                        const torch::Tensor& cov2_in) {
    const auto mu1 = mu1_in.to(torch::kFloat64), mu2 = mu2_in.to(torch::kFloat64);
    const auto cov1 = cov1_in.to(torch::kFloat64), cov2 = cov2_in.to(torch::kFloat64);
    TORCH_CHECK(mu1.dim() == 1 && mu1.sizes() == mu2.sizes() && cov1.dim() == 2 && cov1.size(0) == mu1.size(0) &&
                    cov1.sizes() == cov2.sizes() && cov1.size(0) == cov1.size(1),
                "FID: means must be [D] and covariances [D, D]");
    // S1^(1/2) from S1's eigendecomposition (symmetric PSD; tiny negative eigenvalues are rounding).
    const auto sym = [](const torch::Tensor& a) { return 0.5 * (a + a.t()); };
    const auto [e1, v1] = torch::linalg_eigh(sym(cov1));
    const auto root1 = v1.matmul(torch::diag(e1.clamp_min(0).sqrt())).matmul(v1.t());
    const auto inner = torch::linalg_eigvalsh(sym(root1.matmul(cov2).matmul(root1)));
    const double trace_root = inner.clamp_min(0).sqrt().sum().item<double>();
    return (mu1 - mu2).square().sum().item<double>() + cov1.trace().item<double>() + cov2.trace().item<double>() -
           2.0 * trace_root;
}

double frechet_distance(const torch::Tensor& x_in, const torch::Tensor& y_in) {
    TORCH_CHECK(x_in.dim() == 2 && y_in.dim() == 2 && x_in.size(1) == y_in.size(1), "FID: feature sets must be [M, D] and [N, D]");
    TORCH_CHECK(x_in.size(0) >= 2 && y_in.size(0) >= 2, "FID needs at least 2 images in each set");
    const auto moments = [](const torch::Tensor& s) {
        const auto t = s.to(torch::kFloat64);
        const auto mu = t.mean(0);
        const auto c = t - mu;
        return std::pair{mu, c.t().matmul(c) / static_cast<double>(t.size(0) - 1)};
    };
    const auto [mu1, cov1] = moments(x_in);
    const auto [mu2, cov2] = moments(y_in);
    return frechet_distance(mu1, cov1, mu2, cov2);
}

InceptionScore inception_score(const torch::Tensor& logits_in, int64_t splits) {
    TORCH_CHECK(logits_in.dim() == 2 && logits_in.size(0) >= 2 && logits_in.size(1) >= 2,
                "Inception Score: logits must be [N >= 2, K >= 2]");
    TORCH_CHECK(splits >= 1, "Inception Score: at least one split");
    const auto logits = logits_in.to(torch::kFloat64);
    const int64_t n = logits.size(0);
    const int64_t parts = std::max<int64_t>(1, std::min(splits, n / 2));
    const auto log_p = torch::log_softmax(logits, 1);
    std::vector<double> scores;
    for (int64_t s = 0; s < parts; ++s) {
        const int64_t begin = s * n / parts, end = (s + 1) * n / parts;
        const auto lp = log_p.slice(0, begin, end);
        const auto log_marginal = torch::logsumexp(lp, 0) - std::log(static_cast<double>(end - begin));
        const auto kl = (lp.exp() * (lp - log_marginal)).sum(1).mean();
        scores.push_back(std::exp(kl.item<double>()));
    }
    InceptionScore out;
    out.mean = 0;
    for (double v : scores) out.mean += v / static_cast<double>(scores.size());
    double var = 0;
    for (double v : scores) var += (v - out.mean) * (v - out.mean) / static_cast<double>(scores.size());
    out.spread = std::sqrt(var);
    return out;
}

void InceptionSets::add(size_t k, const torch::Tensor& rgb) {
    torch::InferenceMode guard;
    const auto out = net_.forward(rgb.to(torch::kCPU));
    pool_.at(k).push_back(out.pool.to(torch::kFloat64));
    logits_.at(k).push_back(out.logits.to(torch::kFloat64));
}

}  // namespace ganvas
