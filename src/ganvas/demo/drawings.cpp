#include "ganvas/demo/drawings.h"

#include <opencv2/imgproc.hpp>

#include <array>
#include <cmath>
#include <random>
#include <vector>

namespace ganvas {
namespace {

using Points = std::vector<cv::Point>;

// A cubic Bezier curve through 4 control points, as a polyline of `n` segments.
Points bezier(cv::Point2d a, cv::Point2d b, cv::Point2d c, cv::Point2d d, int n = 24) {
    Points out;
    for (int i = 0; i <= n; ++i) {
        const double t = static_cast<double>(i) / n, u = 1 - t;
        const cv::Point2d p = u * u * u * a + 3 * u * u * t * b + 3 * u * t * t * c + t * t * t * d;
        out.emplace_back(cvRound(p.x), cvRound(p.y));
    }
    return out;
}

// A hand's wobble: every point moved by up to `amount` pixels.
Points wobble(Points points, std::mt19937_64& rng, double amount) {
    std::normal_distribution<double> n(0.0, amount);
    for (auto& p : points) p += cv::Point(cvRound(n(rng)), cvRound(n(rng)));
    return points;
}

void stroke(cv::Mat& canvas, const Points& points, int width, const cv::Scalar& color = cv::Scalar::all(0)) {
    cv::polylines(canvas, points, /*isClosed=*/false, color, width, cv::LINE_AA);
}

double uniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

}  // namespace

cv::Mat draw_shoe_sketch(uint64_t seed, int size) {
    std::mt19937_64 rng(seed * 7919 + 1);
    cv::Mat canvas(256, 256, CV_8UC3, cv::Scalar::all(255));
    const int kind = static_cast<int>(seed % 3);  // 0 sneaker, 1 boot, 2 pump
    const double sole_y = uniform(rng, 176, 190), toe_x = uniform(rng, 214, 230), heel_x = uniform(rng, 28, 40);
    const double top_y = kind == 1 ? uniform(rng, 40, 60) : uniform(rng, 100, 118);
    const double heel_h = kind == 2 ? uniform(rng, 30, 44) : uniform(rng, 8, 14);
    const int w = 2;
    // Sole.
    stroke(canvas, wobble(bezier({heel_x, sole_y}, {heel_x + 60, sole_y + 6}, {toe_x - 50, sole_y + 6}, {toe_x, sole_y - 8}), rng, 0.6), w);
    stroke(canvas, wobble(bezier({heel_x, sole_y - heel_h}, {heel_x + 50, sole_y - heel_h + 2}, {toe_x - 60, sole_y - 4},
                                 {toe_x, sole_y - 8}), rng, 0.6), w);
    // Heel and back.
    stroke(canvas, wobble(bezier({heel_x, sole_y}, {heel_x - 4, sole_y - heel_h / 2}, {heel_x - 2, sole_y - heel_h},
                                 {heel_x + 2, top_y}), rng, 0.6), w);
    // Toe box and vamp up to the opening.
    const double vamp_x = uniform(rng, 120, 150);
    stroke(canvas, wobble(bezier({toe_x, sole_y - 8}, {toe_x + 4, sole_y - 40}, {vamp_x + 40, top_y + 30},
                                 {vamp_x, top_y + (kind == 1 ? 40 : 8)}), rng, 0.6), w);
    // The opening.
    stroke(canvas, wobble(bezier({heel_x + 2, top_y}, {heel_x + 30, top_y + 8}, {vamp_x - 30, top_y + (kind == 1 ? 40 : 10)},
                                 {vamp_x, top_y + (kind == 1 ? 40 : 8)}), rng, 0.6), w);
    if (kind == 0) {  // laces and a side stripe
        for (int i = 0; i < 4; ++i) {
            const double x = vamp_x + 8 + i * 12, y = top_y + 12 + i * 10;
            stroke(canvas, wobble({cv::Point(cvRound(x - 8), cvRound(y + 8)), cv::Point(cvRound(x + 8), cvRound(y - 6))}, rng, 0.4), 1);
        }
        stroke(canvas, wobble(bezier({heel_x + 30, sole_y - 20}, {90, sole_y - 50}, {130, sole_y - 30}, {170, sole_y - 60}), rng, 0.8), w);
    } else if (kind == 1) {  // a boot's shaft seam
        stroke(canvas, wobble(bezier({heel_x + 40, top_y + 4}, {heel_x + 46, top_y + 50}, {heel_x + 50, sole_y - 60},
                                     {vamp_x - 10, sole_y - 30}), rng, 0.8), 1);
    }
    cv::Mat out;
    cv::resize(canvas, out, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    return out;
}

cv::Mat draw_line_art(uint64_t seed, int size) {
    std::mt19937_64 rng(seed * 104729 + 3);
    cv::Mat canvas(256, 256, CV_8UC3, cv::Scalar::all(255));
    const double cx = uniform(rng, 118, 138), cy = uniform(rng, 110, 126), rx = uniform(rng, 50, 60), ry = uniform(rng, 60, 70);
    // Chin and cheeks.
    stroke(canvas, wobble(bezier({cx - rx, cy - 10}, {cx - rx + 4, cy + ry * 0.7}, {cx - 10, cy + ry}, {cx, cy + ry}), rng, 0.5), 2);
    stroke(canvas, wobble(bezier({cx + rx, cy - 10}, {cx + rx - 4, cy + ry * 0.7}, {cx + 10, cy + ry}, {cx, cy + ry}), rng, 0.5), 2);
    // Hair: a cap and strands falling over the forehead and the sides.
    stroke(canvas, wobble(bezier({cx - rx - 8, cy + 10}, {cx - rx - 20, cy - ry - 30}, {cx + rx + 20, cy - ry - 30},
                                 {cx + rx + 8, cy + 10}), rng, 0.6), 2);
    const int strands = 5 + static_cast<int>(seed % 3);
    for (int i = 0; i < strands; ++i) {
        const double x0 = cx - rx + 2 * rx * (i + 0.5) / strands;
        stroke(canvas, wobble(bezier({x0, cy - ry - 12}, {x0 + uniform(rng, -20, 20), cy - ry + 10},
                                     {x0 + uniform(rng, -25, 25), cy - 30}, {x0 + uniform(rng, -15, 15), cy - uniform(rng, 10, 30)}),
                              rng, 0.5), 2);
    }
    stroke(canvas, wobble(bezier({cx - rx - 8, cy + 10}, {cx - rx - 14, cy + 50}, {cx - rx - 6, cy + 80}, {cx - rx - 20, cy + 110}), rng, 0.6), 2);
    stroke(canvas, wobble(bezier({cx + rx + 8, cy + 10}, {cx + rx + 14, cy + 50}, {cx + rx + 6, cy + 80}, {cx + rx + 20, cy + 110}), rng, 0.6), 2);
    // Eyes (large, with irises), brows, nose and mouth.
    for (int side : {-1, 1}) {
        const cv::Point eye(cvRound(cx + side * rx * 0.42), cvRound(cy + 6));
        cv::ellipse(canvas, eye, cv::Size(13, 10), 0, 180, 360, cv::Scalar::all(0), 3, cv::LINE_AA);
        cv::ellipse(canvas, eye + cv::Point(0, 1), cv::Size(6, 8), 0, 0, 360, cv::Scalar::all(0), 2, cv::LINE_AA);
        stroke(canvas, wobble(bezier({eye.x - 14.0, eye.y - 20.0}, {eye.x - 4.0, eye.y - 26.0}, {eye.x + 6.0, eye.y - 26.0},
                                     {eye.x + 14.0, eye.y - 21.0}), rng, 0.3), 2);
    }
    stroke(canvas, {cv::Point(cvRound(cx + 2), cvRound(cy + 28)), cv::Point(cvRound(cx - 2), cvRound(cy + 34))}, 1);
    stroke(canvas, wobble(bezier({cx - 12, cy + 46}, {cx - 4, cy + 52}, {cx + 4, cy + 52}, {cx + 12, cy + 46}), rng, 0.3), 2);
    // Neck and shoulders.
    stroke(canvas, wobble(bezier({cx - 18, cy + ry - 6}, {cx - 18, cy + ry + 20}, {cx - 30, cy + ry + 30}, {cx - 100, cy + ry + 50}), rng, 0.6), 2);
    stroke(canvas, wobble(bezier({cx + 18, cy + ry - 6}, {cx + 18, cy + ry + 20}, {cx + 30, cy + ry + 30}, {cx + 100, cy + ry + 50}), rng, 0.6), 2);
    cv::Mat out;
    cv::resize(canvas, out, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    return out;
}

cv::Mat draw_gray_face(uint64_t seed, int size) {
    std::mt19937_64 rng(seed * 15485863 + 5);
    const int n = 256;
    cv::Mat g(n, n, CV_32F);
    // Background: a soft vertical gradient.
    const double bg_top = uniform(rng, 0.25, 0.75), bg_bottom = uniform(rng, 0.25, 0.75);
    for (int y = 0; y < n; ++y) g.row(y).setTo(bg_top + (bg_bottom - bg_top) * y / (n - 1.0));
    const double cx = n / 2.0 + uniform(rng, -6, 6), cy = n * 0.5, rx = n * 0.27, ry = n * 0.35;
    const double hair = uniform(rng, 0.08, 0.45), skin = uniform(rng, 0.62, 0.8);
    // Hair behind the head, then shoulders in a darker garment.
    cv::ellipse(g, cv::Point(cvRound(cx), cvRound(cy - ry * 0.15)), cv::Size(cvRound(rx * 1.3), cvRound(ry * 1.1)), 0, 0, 360,
                hair, cv::FILLED, cv::LINE_AA);
    cv::ellipse(g, cv::Point(cvRound(cx), n + 40), cv::Size(cvRound(rx * 2.2), 110), 0, 0, 360, uniform(rng, 0.15, 0.6),
                cv::FILLED, cv::LINE_AA);
    cv::rectangle(g, cv::Rect(cvRound(cx - rx * 0.35), cvRound(cy + ry * 0.6), cvRound(rx * 0.7), cvRound(ry * 0.6)), skin * 0.85,
                  cv::FILLED);
    // The face, lit from the upper left: a radial falloff.
    cv::Mat face(n, n, CV_32F, cv::Scalar(0)), mask(n, n, CV_8U, cv::Scalar(0));
    cv::ellipse(mask, cv::Point(cvRound(cx), cvRound(cy)), cv::Size(cvRound(rx), cvRound(ry)), 0, 0, 360, 255, cv::FILLED,
                cv::LINE_AA);
    for (int y = 0; y < n; ++y) {
        for (int x = 0; x < n; ++x) {
            const double dx = (x - cx + rx * 0.3) / rx, dy = (y - cy + ry * 0.3) / ry;
            face.at<float>(y, x) = static_cast<float>(skin * (1.08 - 0.22 * (dx * dx + dy * dy)));
        }
    }
    face.copyTo(g, mask);
    // Fringe over the forehead.
    cv::ellipse(g, cv::Point(cvRound(cx), cvRound(cy - ry * 0.85)), cv::Size(cvRound(rx * 1.02), cvRound(ry * 0.35)), 0, 0, 360,
                hair, cv::FILLED, cv::LINE_AA);
    // Eyes, brows, nose shadow, lips.
    for (int side : {-1, 1}) {
        const cv::Point eye(cvRound(cx + side * rx * 0.4), cvRound(cy - ry * 0.05));
        cv::ellipse(g, eye, cv::Size(11, 5), 0, 0, 360, 0.9, cv::FILLED, cv::LINE_AA);
        cv::circle(g, eye, 4, 0.12, cv::FILLED, cv::LINE_AA);
        cv::ellipse(g, eye - cv::Point(0, 14), cv::Size(14, 3), 0, 180, 360, hair * 0.8, 3, cv::LINE_AA);
    }
    cv::line(g, cv::Point(cvRound(cx + 3), cvRound(cy + ry * 0.05)), cv::Point(cvRound(cx + 6), cvRound(cy + ry * 0.3)),
             skin * 0.75, 3, cv::LINE_AA);
    cv::ellipse(g, cv::Point(cvRound(cx), cvRound(cy + ry * 0.52)), cv::Size(16, 5), 0, 0, 360, skin * 0.7, cv::FILLED,
                cv::LINE_AA);
    cv::GaussianBlur(g, g, cv::Size(0, 0), 1.6);
    cv::Mat noise(n, n, CV_32F);
    cv::randn(noise, 0, 0.01);
    g += noise;
    cv::Mat gray8, rgb;
    g.convertTo(gray8, CV_8U, 255.0);
    cv::cvtColor(gray8, rgb, cv::COLOR_GRAY2RGB);
    cv::Mat out;
    cv::resize(rgb, out, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    return out;
}

cv::Mat draw_style_image(uint64_t seed, int size) {
    std::mt19937_64 rng(seed * 32452843 + 7);
    static const std::array<std::array<cv::Vec3b, 4>, 4> palettes = {{
        {{{250, 214, 165}, {231, 111, 81}, {42, 157, 143}, {38, 70, 83}}},    // warm, teal
        {{{255, 209, 220}, {255, 153, 200}, {160, 196, 255}, {189, 178, 255}}},  // pastel
        {{{233, 216, 166}, {148, 210, 189}, {10, 147, 150}, {0, 95, 115}}},    // sea
        {{{255, 236, 179}, {255, 183, 3}, {251, 133, 0}, {135, 60, 30}}},      // autumn
    }};
    const auto& palette = palettes[seed % palettes.size()];
    cv::Mat canvas(size, size, CV_8UC3, cv::Scalar(palette[0][0], palette[0][1], palette[0][2]));
    for (int i = 0; i < 9; ++i) {
        const cv::Vec3b c = palette[1 + i % 3];
        cv::ellipse(canvas, cv::Point(cvRound(uniform(rng, 0, size)), cvRound(uniform(rng, 0, size))),
                    cv::Size(cvRound(uniform(rng, size * 0.1, size * 0.35)), cvRound(uniform(rng, size * 0.1, size * 0.35))),
                    uniform(rng, 0, 180), 0, 360, cv::Scalar(c[0], c[1], c[2]), cv::FILLED, cv::LINE_AA);
    }
    cv::GaussianBlur(canvas, canvas, cv::Size(0, 0), size / 40.0);
    return canvas;
}

}  // namespace ganvas
