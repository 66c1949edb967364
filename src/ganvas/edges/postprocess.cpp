#include "ganvas/edges/postprocess.h"

#include "ganvas/core/error.h"
#include "ganvas/edges/morphology.h"

#include <opencv2/imgproc.hpp>

#include <array>
#include <cmath>
#include <limits>

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
        if (w == 1) {
            o[0] = 0.0f;
            continue;
        }
        o[0] = m[1] - m[0];
        for (int c = 1; c < w - 1; ++c) o[c] = 0.5f * (m[c + 1] - m[c - 1]);
        o[w - 1] = m[w - 1] - m[w - 2];
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

namespace {

// The second derivatives behind the orientation: {Oxx, Oxy, Oyy} of convTri(map, 4).
std::array<cv::Mat, 3> second_derivatives(const cv::Mat& map) {
    auto [ox, oy] = gradient2(conv_tri(map, 4));
    auto [oxx, unused] = gradient2(ox);
    auto [oxy, oyy] = gradient2(oy);
    return {oxx, oxy, oyy};
}

// tan of the normal angle: Oyy * sign(-Oxy) / (Oxx + 1e-5).
inline float normal_tangent(float oxx, float oxy, float oyy) {
    const float sign = oxy < 0 ? 1.0f : oxy > 0 ? -1.0f : 0.0f;
    return oyy * sign / (oxx + 1e-5f);
}

// NMS, rows in parallel; `direction(x, y, &cos, &sin)` gives the normal where it is needed.
// Pixels under `floor` are set to 0 without a test (callers that threshold at `floor`
// afterwards lose nothing by it).
template <typename Direction>
cv::Mat nms_along(const cv::Mat& e, Direction direction, int r, int s, float m, float floor = 0.0f) {
    cv::Mat out = e.clone();
    cv::parallel_for_(cv::Range(0, e.rows), [&](const cv::Range& rows) {
        for (int y = rows.start; y < rows.end; ++y) {
            const float* ev = e.ptr<float>(y);
            float* ov = out.ptr<float>(y);
            for (int x = 0; x < e.cols; ++x) {
                const float v = ev[x];
                if (v == 0.0f) continue;
                if (v < floor) {
                    ov[x] = 0.0f;
                    continue;
                }
                float co, si;
                direction(x, y, &co, &si);
                const float scaled = v * m;
                for (int d = -r; d <= r; ++d) {
                    if (d != 0 && scaled < bilinear(e, x + d * co, y + d * si)) {
                        ov[x] = 0.0f;
                        break;
                    }
                }
            }
        }
    });
    s = std::min({s, e.cols / 2, e.rows / 2});
    for (int k = 0; k < s; ++k) {
        const float f = static_cast<float>(k) / static_cast<float>(s);
        out.col(k) *= f;
        out.col(e.cols - 1 - k) *= f;
        out.row(k) *= f;
        out.row(e.rows - 1 - k) *= f;
    }
    return out;
}

}  // namespace

cv::Mat edge_orientation(const cv::Mat& map) {
    const auto d = second_derivatives(map);
    cv::Mat o(map.size(), CV_32F);
    const float pi = static_cast<float>(M_PI);
    for (int r = 0; r < map.rows; ++r) {
        const float *xx = d[0].ptr<float>(r), *xy = d[1].ptr<float>(r), *yy = d[2].ptr<float>(r);
        float* ov = o.ptr<float>(r);
        for (int c = 0; c < map.cols; ++c) {
            float a = std::atan(normal_tangent(xx[c], xy[c], yy[c]));
            a = std::fmod(a, pi);
            if (a < 0) a += pi;  // MATLAB mod: the result takes the divisor's sign
            ov[c] = a;
        }
    }
    return o;
}

cv::Mat edges_nms(const cv::Mat& e, const cv::Mat& o, int r, int s, float m) {
    require_map(e, "edges_nms");
    require_map(o, "edges_nms orientation");
    return nms_along(
        e,
        [&](int x, int y, float* co, float* si) {
            *co = std::cos(o.at<float>(y, x));
            *si = std::sin(o.at<float>(y, x));
        },
        r, s, m);
}

cv::Mat suppress_non_maxima(const cv::Mat& map, float floor) {
    require_map(map, "suppress_non_maxima");
    const cv::Mat smooth = conv_tri(map, 1);
    // The normal's cos and sin straight from its tangent t, without atan / fmod / cos / sin:
    // O = atan(t) mod pi, so (cos O, sin O) = (1, t) / sqrt(1 + t^2), negated when t < 0.
    const auto d = second_derivatives(smooth);
    return nms_along(
        smooth,
        [&, xx = d[0].ptr<float>(0), xy = d[1].ptr<float>(0), yy = d[2].ptr<float>(0),
         step = static_cast<int>(d[0].step1())](int x, int y, float* co, float* si) {
            const int i = y * step + x;
            const float t = normal_tangent(xx[i], xy[i], yy[i]);
            const float inv = 1.0f / std::sqrt(1.0f + t * t);
            const float sign = t < 0 ? -1.0f : 1.0f;
            *co = sign * inv;
            *si = sign * t * inv;
        },
        1, 5, 1.01f, floor);
}

cv::Mat sketch_strokes(const cv::Mat& map, const SketchOptions& options) {
    require_map(map, "sketch_strokes");
    // Pixels under the threshold cannot survive it, whatever NMS would say: not tested.
    const cv::Mat e = options.nms ? suppress_non_maxima(map, options.threshold) : map;
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
    if (cv::countNonZero(paper) == static_cast<int>(paper.total())) {
        return cv::Mat(gray_sketch.size(), CV_32F, cv::Scalar(1.0f));
    }
    cv::Mat dist;  // exact Euclidean (Felzenszwalb & Huttenlocher in OpenCV)
    cv::distanceTransform(paper, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
    double max = 0;
    cv::minMaxLoc(dist, nullptr, &max);
    return max > 0 ? cv::Mat(dist / max) : dist;
}

}  // namespace ganvas
