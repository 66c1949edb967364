#include "ganvas/edges/postprocess.h"

#include "ganvas/core/error.h"
#include "ganvas/edges/morphology.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace ganvas {
namespace {

void require_map(const cv::Mat& m, const char* what) {
    if (m.type() != CV_32FC1) throw Error(std::string(what) + ": expected a one-channel float map");
}

float bilinear(const cv::Mat& e, float x, float y) {
    x = std::clamp(x, 0.0f, static_cast<float>(e.cols) - 1.001f);
    y = std::clamp(y, 0.0f, static_cast<float>(e.rows) - 1.001f);
    const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
    const float dx = x - x0, dy = y - y0;
    const float* r0 = e.ptr<float>(y0);
    const float* r1 = e.ptr<float>(std::min(y0 + 1, e.rows - 1));
    const int x1 = std::min(x0 + 1, e.cols - 1);
    return r0[x0] * (1 - dx) * (1 - dy) + r0[x1] * dx * (1 - dy) + r1[x0] * (1 - dx) * dy + r1[x1] * dx * dy;
}

}  // namespace

cv::Mat conv_tri(const cv::Mat& map, int r) {
    require_map(map, "conv_tri");
    if (r <= 0) return map.clone();
    cv::Mat kernel;
    if (r == 1) {
        kernel = (cv::Mat_<float>(1, 3) << 0.25f, 0.5f, 0.25f);
    } else {
        kernel = cv::Mat(1, 2 * r + 1, CV_32F);
        for (int i = 0; i <= 2 * r; ++i) kernel.at<float>(i) = static_cast<float>(std::min(i, 2 * r - i) + 1);
        kernel /= static_cast<float>((r + 1) * (r + 1));
    }
    cv::Mat out;
    cv::sepFilter2D(map, out, CV_32F, kernel, kernel, cv::Point(-1, -1), 0.0, cv::BORDER_REFLECT);
    return out;
}

std::pair<cv::Mat, cv::Mat> gradient2(const cv::Mat& map) {
    require_map(map, "gradient2");
    cv::Mat gx(map.size(), CV_32F), gy(map.size(), CV_32F);
    const int h = map.rows, w = map.cols;
    for (int r = 0; r < h; ++r) {
        const float* m = map.ptr<float>(r);
        float* o = gx.ptr<float>(r);
        for (int c = 0; c < w; ++c) {
            o[c] = w == 1 ? 0.0f
                   : c == 0 ? m[1] - m[0]
                   : c == w - 1 ? m[w - 1] - m[w - 2]
                                : 0.5f * (m[c + 1] - m[c - 1]);
        }
    }
    for (int r = 0; r < h; ++r) {
        float* o = gy.ptr<float>(r);
        const float* up = map.ptr<float>(r == 0 ? 0 : r - 1);
        const float* down = map.ptr<float>(r == h - 1 ? h - 1 : r + 1);
        const float scale = (h == 1) ? 0.0f : (r == 0 || r == h - 1) ? 1.0f : 0.5f;
        for (int c = 0; c < w; ++c) o[c] = scale * (down[c] - up[c]);
    }
    return {gx, gy};
}

cv::Mat edge_orientation(const cv::Mat& map) {
    auto [ox, oy] = gradient2(conv_tri(map, 4));
    auto [oxx, unused] = gradient2(ox);
    auto [oxy, oyy] = gradient2(oy);
    cv::Mat o(map.size(), CV_32F);
    const float pi = static_cast<float>(M_PI);
    for (int r = 0; r < map.rows; ++r) {
        for (int c = 0; c < map.cols; ++c) {
            const float xy = oxy.at<float>(r, c);
            const float sign = xy < 0 ? 1.0f : xy > 0 ? -1.0f : 0.0f;  // sign(-Oxy)
            float a = std::atan(oyy.at<float>(r, c) * sign / (oxx.at<float>(r, c) + 1e-5f));
            a = std::fmod(a, pi);
            if (a < 0) a += pi;  // MATLAB mod: result has the divisor's sign
            o.at<float>(r, c) = a;
        }
    }
    return o;
}

cv::Mat edges_nms(const cv::Mat& e, const cv::Mat& o, int r, int s, float m) {
    require_map(e, "edges_nms");
    require_map(o, "edges_nms orientation");
    cv::Mat out = e.clone();
    for (int y = 0; y < e.rows; ++y) {
        for (int x = 0; x < e.cols; ++x) {
            const float v = e.at<float>(y, x);
            if (v == 0.0f) continue;
            const float scaled = v * m;
            const float co = std::cos(o.at<float>(y, x)), si = std::sin(o.at<float>(y, x));
            for (int d = -r; d <= r; ++d) {
                if (d == 0) continue;
                if (scaled < bilinear(e, x + d * co, y + d * si)) {
                    out.at<float>(y, x) = 0.0f;
                    break;
                }
            }
        }
    }
    s = std::min({s, e.cols / 2, e.rows / 2});
    for (int k = 0; k < s; ++k) {
        const float f = static_cast<float>(k) / static_cast<float>(s);
        for (int y = 0; y < e.rows; ++y) {
            out.at<float>(y, k) *= f;
            out.at<float>(y, e.cols - 1 - k) *= f;
        }
        for (int x = 0; x < e.cols; ++x) {
            out.at<float>(k, x) *= f;
            out.at<float>(e.rows - 1 - k, x) *= f;
        }
    }
    return out;
}

cv::Mat suppress_non_maxima(const cv::Mat& map) {
    const cv::Mat smooth = conv_tri(map, 1);
    return edges_nms(smooth, edge_orientation(smooth), 1, 5, 1.01f);
}

cv::Mat sketch_strokes(const cv::Mat& map, const SketchOptions& options) {
    require_map(map, "sketch_strokes");
    const cv::Mat e = options.nms ? suppress_non_maxima(map) : map;
    cv::Mat binary;
    cv::compare(e, options.threshold, binary, cv::CMP_GE);
    cv::Mat strokes = thin(binary);
    strokes = remove_isolated(strokes);
    if (options.min_component > 1) strokes = remove_small_components(strokes, options.min_component);
    if (options.shrink) strokes = shrink_once(strokes);
    if (options.spur) strokes = remove_spurs(strokes);
    return strokes;
}

cv::Mat strokes_to_sketch(const cv::Mat& strokes) {
    cv::Mat sketch(strokes.size(), CV_8UC1, cv::Scalar(255));
    sketch.setTo(0, strokes != 0);
    return sketch;
}

cv::Mat distance_map(const cv::Mat& gray_sketch, int threshold) {
    if (gray_sketch.type() != CV_8UC1) throw Error("distance_map: expected an 8-bit gray sketch");
    cv::Mat paper;  // non-zero where there is no stroke
    cv::compare(gray_sketch, threshold, paper, cv::CMP_GE);
    cv::Mat dist;
    if (cv::countNonZero(paper) == paper.total()) return cv::Mat(gray_sketch.size(), CV_32F, cv::Scalar(1.0f));
    cv::distanceTransform(paper, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
    double max = 0;
    cv::minMaxLoc(dist, nullptr, &max);
    return max > 0 ? cv::Mat(dist / max) : dist;
}

}  // namespace ganvas
