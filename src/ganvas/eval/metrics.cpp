#include "ganvas/eval/metrics.h"

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace ganvas {
namespace {
void check_pair(const cv::Mat& a, const cv::Mat& b) {
    TORCH_CHECK(a.type() == CV_8UC3 && b.type() == CV_8UC3, "metrics expect 8-bit RGB images");
    TORCH_CHECK(a.size() == b.size(), "metrics: image sizes differ");
}
}  // namespace

double psnr_u8(const cv::Mat& a, const cv::Mat& b) {
    check_pair(a, b);
    cv::Mat da, db;
    a.convertTo(da, CV_64F);
    b.convertTo(db, CV_64F);
    cv::Mat diff = da - db;
    const cv::Scalar s = cv::sum(diff.mul(diff));
    const double mse = (s[0] + s[1] + s[2]) / static_cast<double>(a.total() * 3);
    if (mse == 0.0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double ssim_u8(const cv::Mat& a, const cv::Mat& b) {
    check_pair(a, b);
    constexpr int win = 7;
    TORCH_CHECK(a.rows >= win && a.cols >= win, "ssim needs images of at least 7x7");
    constexpr double c1 = (0.01 * 255.0) * (0.01 * 255.0);
    constexpr double c2 = (0.03 * 255.0) * (0.03 * 255.0);
    constexpr double np = win * win;
    constexpr double cov_norm = np / (np - 1.0);
    const int pad = (win - 1) / 2;
    std::vector<cv::Mat> ca, cb;
    cv::split(a, ca);
    cv::split(b, cb);
    double total = 0.0;
    for (int c = 0; c < 3; ++c) {
        cv::Mat x, y;
        ca[c].convertTo(x, CV_64F);
        cb[c].convertTo(y, CV_64F);
        const auto mean = [](const cv::Mat& m) {
            cv::Mat out;
            cv::blur(m, out, cv::Size(win, win), cv::Point(-1, -1), cv::BORDER_REFLECT);
            return out;
        };
        cv::Mat ux = mean(x), uy = mean(y);
        cv::Mat uxx = mean(x.mul(x)), uyy = mean(y.mul(y)), uxy = mean(x.mul(y));
        cv::Mat vx = cov_norm * (uxx - ux.mul(ux));
        cv::Mat vy = cov_norm * (uyy - uy.mul(uy));
        cv::Mat vxy = cov_norm * (uxy - ux.mul(uy));
        cv::Mat num = (2.0 * ux.mul(uy) + c1).mul(2.0 * vxy + c2);
        cv::Mat den = (ux.mul(ux) + uy.mul(uy) + c1).mul(vx + vy + c2);
        cv::Mat map = num / den;
        const cv::Rect interior(pad, pad, a.cols - 2 * pad, a.rows - 2 * pad);
        total += cv::mean(map(interior))[0];
    }
    return total / 3.0;
}

double colorfulness_u8(const cv::Mat& rgb) {
    TORCH_CHECK(rgb.type() == CV_8UC3, "colorfulness expects an 8-bit RGB image");
    std::vector<cv::Mat> ch;
    cv::split(rgb, ch);
    cv::Mat r, g, b;
    ch[0].convertTo(r, CV_64F);
    ch[1].convertTo(g, CV_64F);
    ch[2].convertTo(b, CV_64F);
    cv::Mat rg = r - g;
    cv::Mat yb = 0.5 * (r + g) - b;
    cv::Scalar m_rg, s_rg, m_yb, s_yb;
    cv::meanStdDev(rg, m_rg, s_rg);
    cv::meanStdDev(yb, m_yb, s_yb);
    const double sigma = std::sqrt(s_rg[0] * s_rg[0] + s_yb[0] * s_yb[0]);
    const double mu = std::sqrt(m_rg[0] * m_rg[0] + m_yb[0] * m_yb[0]);
    return sigma + 0.3 * mu;
}

namespace {
// Lab a, b of the central 3/8 x 3/8 of an 8-bit RGB image (float sRGB -> Lab, D65).
std::pair<cv::Mat, cv::Mat> central_ab(const cv::Mat& rgb) {
    const int side_w = std::max(1, rgb.cols * 3 / 8), side_h = std::max(1, rgb.rows * 3 / 8);
    const cv::Rect centre((rgb.cols - side_w) / 2, (rgb.rows - side_h) / 2, side_w, side_h);
    cv::Mat f, lab;
    rgb(centre).convertTo(f, CV_32F, 1.0 / 255.0);
    cv::cvtColor(f, lab, cv::COLOR_RGB2Lab);
    std::vector<cv::Mat> ch;
    cv::split(lab, ch);
    return {ch[1], ch[2]};
}

void check_pair(const cv::Mat& output, const cv::Mat& truth, const char* what) {
    TORCH_CHECK(output.type() == CV_8UC3 && truth.type() == CV_8UC3, what, " expects 8-bit RGB");
    TORCH_CHECK(output.size() == truth.size(), what, ": sizes differ");
}
}  // namespace

double blue_shift_share_u8(const cv::Mat& output, const cv::Mat& truth, double delta) {
    check_pair(output, truth, "blue_shift_share");
    const cv::Mat diff = central_ab(output).second - central_ab(truth).second;
    return static_cast<double>(cv::countNonZero(diff <= -delta)) / static_cast<double>(diff.total());
}

double chroma_error_spread_u8(const cv::Mat& output, const cv::Mat& truth) {
    check_pair(output, truth, "chroma_error_spread");
    const auto [ao, bo] = central_ab(output);
    const auto [at, bt] = central_ab(truth);
    cv::Scalar mean_a, sd_a, mean_b, sd_b;
    cv::meanStdDev(cv::Mat(ao - at), mean_a, sd_a);
    cv::meanStdDev(cv::Mat(bo - bt), mean_b, sd_b);
    return std::sqrt(sd_a[0] * sd_a[0] + sd_b[0] * sd_b[0]);
}

double color_histogram_distance(const cv::Mat& a, const cv::Mat& b, int bins) {
    TORCH_CHECK(a.type() == CV_8UC3 && b.type() == CV_8UC3, "color_histogram_distance expects 8-bit RGB");
    TORCH_CHECK(bins >= 1 && bins <= 64, "color_histogram_distance: bins in [1, 64]");
    const auto histogram = [bins](const cv::Mat& image) {
        std::vector<double> h(static_cast<size_t>(bins * bins * bins), 0.0);
        for (int y = 0; y < image.rows; ++y) {
            const auto* p = image.ptr<cv::Vec3b>(y);
            for (int x = 0; x < image.cols; ++x) {
                const int r = p[x][0] * bins / 256, g = p[x][1] * bins / 256, bl = p[x][2] * bins / 256;
                h[static_cast<size_t>((r * bins + g) * bins + bl)] += 1.0;
            }
        }
        for (auto& v : h) v /= static_cast<double>(std::max<size_t>(1, image.total()));
        return h;
    };
    const auto ha = histogram(a), hb = histogram(b);
    double d = 0.0;
    for (size_t i = 0; i < ha.size(); ++i) d += std::abs(ha[i] - hb[i]);
    return d;
}

}  // namespace ganvas
