#include "test_util.h"

#include "ganvas/core/image.h"
#include "ganvas/eval/metrics.h"

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
