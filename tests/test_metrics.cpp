#include "test_util.h"

#include "ganvas/core/image.h"
#include "ganvas/eval/metrics.h"
#include "ganvas/eval/realism.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

namespace ganvas {
namespace fs = std::filesystem;

namespace {
cv::Mat fixture(const std::string& name) {
    return read_image_rgb(fs::path(GANVAS_FIXTURES_DIR) / "metrics" / (name + ".png"));
}
nlohmann::json reference() {
    std::ifstream in(std::string(GANVAS_FIXTURES_DIR) + "/metrics/values.json");
    return nlohmann::json::parse(in);
}
}  // namespace

// Values from scikit-image 0.19.3 (PSNR, SSIM) and NumPy (colorfulness), made by
// tests/fixtures/make_metric_fixtures.py.
TEST(Metrics, MatchScikitImageOnFixtures) {
    const auto ref = reference();
    for (const auto& [name, v] : ref["pairs"].items()) {
        const cv::Mat a = fixture(name + "_a"), b = fixture(name + "_b");
        EXPECT_NEAR(psnr_u8(a, b), v["psnr"].get<double>(), 1e-9) << name;
        EXPECT_NEAR(ssim_u8(a, b), v["ssim"].get<double>(), 1e-9) << name;
        EXPECT_NEAR(colorfulness_u8(a), v["colorfulness_a"].get<double>(), 1e-9) << name;
        EXPECT_NEAR(colorfulness_u8(b), v["colorfulness_b"].get<double>(), 1e-9) << name;
    }
}

TEST(Metrics, Identities) {
    cv::Mat a(16, 20, CV_8UC3), b(16, 20, CV_8UC3);
    cv::randu(a, 0, 255);
    cv::randu(b, 0, 255);
    EXPECT_TRUE(std::isinf(psnr_u8(a, a)));
    EXPECT_NEAR(ssim_u8(a, a), 1.0, 1e-12);
    EXPECT_NEAR(ssim_u8(a, b), ssim_u8(b, a), 1e-12);
    EXPECT_LT(ssim_u8(a, b), 0.2);
    cv::Mat gray;
    cv::cvtColor(a, gray, cv::COLOR_RGB2GRAY);
    cv::cvtColor(gray, gray, cv::COLOR_GRAY2RGB);
    EXPECT_NEAR(colorfulness_u8(gray), 0.0, 1e-12);
}

TEST(Metrics, PsnrOfAKnownError) {
    cv::Mat a(8, 8, CV_8UC3, cv::Scalar(100, 100, 100));
    cv::Mat b(8, 8, CV_8UC3, cv::Scalar(110, 100, 100));  // MSE = 100 / 3
    EXPECT_NEAR(psnr_u8(a, b), 10.0 * std::log10(255.0 * 255.0 / (100.0 / 3.0)), 1e-12);
}

}  // namespace ganvas

namespace ganvas {

TEST(Realism, FrechetDistanceOnKnownGaussians) {
    // Diagonal covariances: sum (sqrt(s1) - sqrt(s2))^2 + |mu1 - mu2|^2.
    const auto mu1 = torch::tensor({0.0, 1.0, 2.0}, torch::kFloat64), mu2 = torch::tensor({1.0, 1.0, 0.0}, torch::kFloat64);
    const auto c1 = torch::diag(torch::tensor({1.0, 4.0, 9.0}, torch::kFloat64));
    const auto c2 = torch::diag(torch::tensor({4.0, 4.0, 1.0}, torch::kFloat64));
    EXPECT_NEAR(frechet_distance(mu1, c1, mu2, c2), 5.0 + 1.0 + 0.0 + 4.0, 1e-9);
    EXPECT_NEAR(frechet_distance(mu1, c1, mu1, c1), 0.0, 1e-9);
    // Non-commuting 2x2: S1 = I gives Tr(I + S2 - 2 S2^(1/2)); S2 = R diag(4, 9) R^T for a rotation R,
    // so S2^(1/2) has eigenvalues 2 and 3: 2 + 13 - 2 * 5 = 5.
    const double t = 0.3;
    const auto r = torch::tensor({std::cos(t), -std::sin(t), std::sin(t), std::cos(t)}, torch::kFloat64).view({2, 2});
    const auto s2 = r.matmul(torch::diag(torch::tensor({4.0, 9.0}, torch::kFloat64))).matmul(r.t());
    const auto z = torch::zeros({2}, torch::kFloat64);
    EXPECT_NEAR(frechet_distance(z, torch::eye(2, torch::kFloat64), z, s2), 5.0, 1e-9);
    // ... and with S1 = S2 non-diagonal, only the means count.
    EXPECT_NEAR(frechet_distance(z, s2, torch::ones({2}, torch::kFloat64), s2), 2.0, 1e-8);
    // From samples: sets from N(0, I) and N(3, I) in 4-D: about 4 * 9 = 36.
    torch::manual_seed(0);
    const auto x = torch::randn({4000, 4}, torch::kFloat64), y = torch::randn({4000, 4}, torch::kFloat64) + 3.0;
    EXPECT_NEAR(frechet_distance(x, y), 36.0, 1.2);  // the sample means alone move it by ~0.3 (sd)
    EXPECT_NEAR(frechet_distance(x, torch::randn({4000, 4}, torch::kFloat64)), 0.0, 0.05);
}

TEST(Realism, KernelInceptionDistanceByHand) {
    // d = 1, k(a, b) = (ab + 1)^3; x = {0, 1}, y = {2, 3}: xx = k(0, 1) = 1, yy = k(2, 3) = 343,
    // xy = (1 + 1 + 27 + 64) / 4 = 23.25; KID = 1 + 343 - 46.5 = 297.5.
    const auto x = torch::tensor({0.0, 1.0}, torch::kFloat64).view({2, 1});
    const auto y = torch::tensor({2.0, 3.0}, torch::kFloat64).view({2, 1});
    EXPECT_NEAR(kernel_inception_distance(x, y), 297.5, 1e-9);
    EXPECT_NEAR(kernel_inception_distance(y, x), 297.5, 1e-9);
    // Unbiased: near 0 for two samples of one distribution, clearly positive for shifted ones.
    torch::manual_seed(1);
    const auto a = torch::randn({500, 8}, torch::kFloat64), b = torch::randn({500, 8}, torch::kFloat64);
    EXPECT_NEAR(kernel_inception_distance(a, b), 0.0, 0.01);
    EXPECT_GT(kernel_inception_distance(a, b + 1.0), 0.5);
    EXPECT_THROW(kernel_inception_distance(x.narrow(0, 0, 1), y), c10::Error);
}

TEST(Realism, InceptionScoreOnKnownDistributions) {
    // Every image uniform over the classes: p(y|x) = p(y), KL 0, IS 1.
    EXPECT_NEAR(inception_score(torch::zeros({20, 7}, torch::kFloat64)).mean, 1.0, 1e-12);
    // K confident images on K distinct classes: KL = log K, IS = K (one split: 6 images, 2 per part at most 3 parts).
    const auto confident = 60.0 * torch::eye(6, torch::kFloat64);
    EXPECT_NEAR(inception_score(confident, 1).mean, 6.0, 1e-9);
    // Two classes, each part of four images holding both classes twice: IS 2 in every part, spread 0.
    const auto pair = 60.0 * torch::tensor({{1.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}, {0.0, 1.0}}, torch::kFloat64);
    const auto parts = inception_score(torch::cat({pair, pair, pair}), 3);
    EXPECT_NEAR(parts.mean, 2.0, 1e-9);
    EXPECT_NEAR(parts.spread, 0.0, 1e-9);
    // By hand: p(y|x) = (0.5, 0.5) and (1, 0); p(y) = (0.75, 0.25); mean KL =
    // (0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25) + ln(1/0.75)) / 2.
    const auto hand = torch::tensor({{0.0, 0.0}, {80.0, 0.0}}, torch::kFloat64);
    const double kl = (0.5 * std::log(0.5 / 0.75) + 0.5 * std::log(2.0) + std::log(1 / 0.75)) / 2;
    EXPECT_NEAR(inception_score(hand).mean, std::exp(kl), 1e-9);
    // Parts never hold fewer than 2 images: 5 images ask for 10 splits, get 2.
    const auto few = inception_score(confident.narrow(0, 0, 5), 10);
    EXPECT_GT(few.mean, 1.0);
    EXPECT_THROW(inception_score(torch::zeros({1, 3}, torch::kFloat64)), c10::Error);
}

TEST(Realism, VggDescriptorsHaveOneRowPerImage) {
    torch::manual_seed(2);
    Vgg19Relu31 vgg;  // untrained weights: the shapes and the reduction are what is checked
    const auto images = torch::rand({3, 3, 32, 32});
    const auto d = vgg_descriptors(vgg, images);
    ASSERT_EQ(d.sizes(), (std::vector<int64_t>{3, kVggDescriptorSize}));
    EXPECT_EQ(d.scalar_type(), torch::kFloat64);
    // Each image's row depends on that image only.
    const auto single = vgg_descriptors(vgg, images.narrow(0, 1, 1));
    EXPECT_LT((single[0] - d[1]).abs().max().item<double>(), 1e-4);
    EXPECT_GE(d.min().item<double>(), 0.0);  // averages of ReLU outputs
}

}  // namespace ganvas
