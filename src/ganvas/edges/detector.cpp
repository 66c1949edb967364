#include "ganvas/edges/detector.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/edges/hed.h"
#include "ganvas/edges/lineart.h"
#include "ganvas/edges/pidinet.h"

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <mutex>

namespace ganvas {
namespace {

class PidinetDetector final : public EdgeDetector {
public:
    explicit PidinetDetector(const std::filesystem::path& weights) : net_(load_pidinet(weights)) {}
    std::string name() const override { return "pidinet"; }
    cv::Mat probability(const cv::Mat& rgb) const override {
        auto edges = pidinet_edges(net_, image_to_tensor(rgb)).contiguous();
        return cv::Mat(static_cast<int>(edges.size(0)), static_cast<int>(edges.size(1)), CV_32F, edges.data_ptr<float>())
            .clone();
    }

private:
    mutable PiDiNet net_;
};

class ClassicDetector final : public EdgeDetector {
public:
    std::string name() const override { return "classic"; }
    cv::Mat probability(const cv::Mat& rgb) const override { return classic_edges(rgb); }
};

}  // namespace

cv::Mat classic_edges(const cv::Mat& rgb, double sigma) {
    // OpenCV builds its 8-bit Lab tables on first use without a lock: workers racing there each
    // build a set and all but one leak (LeakSanitizer saw 4.7 MB). Built once here first.
    static std::once_flag lab_tables;
    std::call_once(lab_tables, [] {
        cv::Mat one(1, 1, CV_8UC3, cv::Scalar::all(0)), out;
        cv::cvtColor(one, out, cv::COLOR_RGB2Lab);
    });
    cv::Mat lab, f;
    cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);  // gradients in a roughly perceptual space
    lab.convertTo(f, CV_32F, 1.0 / 255.0);
    cv::GaussianBlur(f, f, cv::Size(), sigma);
    std::vector<cv::Mat> channels;
    cv::split(f, channels);
    cv::Mat mag = cv::Mat::zeros(rgb.size(), CV_32F);
    for (const auto& c : channels) {
        cv::Mat gx, gy, m;
        cv::Sobel(c, gx, CV_32F, 1, 0, 3);
        cv::Sobel(c, gy, CV_32F, 0, 1, 3);
        cv::magnitude(gx, gy, m);
        mag = cv::max(mag, m);
    }
    // Scale so that the strongest 1% of pixels saturate.
    std::vector<float> values(mag.begin<float>(), mag.end<float>());
    if (values.empty()) return mag;
    auto nth = values.begin() + static_cast<std::ptrdiff_t>(0.99 * (values.size() - 1));
    std::nth_element(values.begin(), nth, values.end());
    const float scale = *nth > 1e-6f ? 1.0f / *nth : 0.0f;
    cv::Mat out;
    cv::min(mag * scale, 1.0, out);
    return out;
}

namespace {

// XDoG line art (lineart.h) read as the probability of ink.
class XdogDetector final : public EdgeDetector {
public:
    std::string name() const override { return "xdog"; }
    cv::Mat probability(const cv::Mat& rgb) const override {
        cv::Mat ink;
        xdog_lineart(rgb).convertTo(ink, CV_32F, -1.0 / 255.0, 1.0);
        return ink;
    }
};

}  // namespace

std::unique_ptr<EdgeDetector> make_edge_detector(const std::string& name, const std::filesystem::path& weights) {
    if (name == "classic") return std::make_unique<ClassicDetector>();
    if (name == "xdog") return std::make_unique<XdogDetector>();
    if (name == "pidinet") {
        if (weights.empty()) throw UsageError("--weights: the pidinet detector needs its checkpoint (table5_pidinet.pth)");
        return std::make_unique<PidinetDetector>(weights);
    }
    if (name == "hed") {
        if (weights.empty()) throw UsageError("--weights: the hed detector needs hed_pretrained_bsds.caffemodel");
        return make_hed_detector(weights);
    }
    throw UsageError("--detector: '" + name + "' is not one of pidinet, hed, classic, xdog");
}

}  // namespace ganvas
