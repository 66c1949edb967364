#include "ganvas/edges/lineart.h"

#include "ganvas/core/error.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace ganvas {

cv::Mat xdog_lineart(const cv::Mat& rgb, const XdogParams& params) {
    if (rgb.empty() || rgb.type() != CV_8UC3) throw Error("xdog_lineart: expected an 8-bit RGB image");
    if (!(params.sigma > 0) || !(params.k > 1) || !(params.phi > 0)) {
        throw Error("xdog_lineart: sigma and phi must be positive and k above 1");
    }
    cv::Mat gray, luminance;
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    gray.convertTo(luminance, CV_32F, 1.0 / 255.0);
    cv::Mat inner, outer;
    cv::GaussianBlur(luminance, inner, cv::Size(), params.sigma, params.sigma, cv::BORDER_REPLICATE);
    cv::GaussianBlur(luminance, outer, cv::Size(), params.k * params.sigma, params.k * params.sigma,
                     cv::BORDER_REPLICATE);
    const cv::Mat sharpened = (1.0 + params.p) * inner - params.p * outer;
    cv::Mat out(rgb.size(), CV_8UC1);
    for (int y = 0; y < out.rows; ++y) {
        const float* s = sharpened.ptr<float>(y);
        uchar* o = out.ptr<uchar>(y);
        for (int x = 0; x < out.cols; ++x) {
            const double v = s[x] >= params.epsilon ? 1.0 : 1.0 + std::tanh(params.phi * (s[x] - params.epsilon));
            o[x] = cv::saturate_cast<uchar>(255.0 * v);
        }
    }
    return out;
}

}  // namespace ganvas
