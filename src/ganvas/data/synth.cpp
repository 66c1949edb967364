#include "ganvas/data/synth.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace ganvas {
namespace {

// HSV (h in degrees, s and v in [0, 1]) -> RGB in [0, 1].
cv::Vec3f hsv_to_rgb(float h, float s, float v) {
    h = std::fmod(std::fmod(h, 360.0f) + 360.0f, 360.0f);
    const float c = v * s;
    const float x = c * (1.0f - std::fabs(std::fmod(h / 60.0f, 2.0f) - 1.0f));
    const float m = v - c;
    float r = 0, g = 0, b = 0;
    switch (static_cast<int>(h / 60.0f)) {
        case 0: r = c; g = x; break;
        case 1: r = x; g = c; break;
        case 2: g = c; b = x; break;
        case 3: g = x; b = c; break;
        case 4: r = x; b = c; break;
        default: r = c; b = x; break;
    }
    return {r + m, g + m, b + m};
}

struct Rng {
    std::mt19937_64 engine;
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * static_cast<float>(engine() >> 11) * (1.0f / 9007199254740992.0f);
    }
    int integer(int lo, int hi) { return lo + static_cast<int>(engine() % (hi - lo + 1)); }
};

constexpr float kBackgroundHue[3] = {215.0f, 120.0f, 40.0f};
constexpr float kShapeHue[4] = {0.0f, 55.0f, 280.0f, 185.0f};

void draw_background(cv::Mat3f& img, Rng& rng) {
    const int kind = rng.integer(0, 2);
    const float hue = kBackgroundHue[kind] + rng.uniform(-15, 15);
    const float sat = rng.uniform(0.35f, 0.8f);
    const float v0 = rng.uniform(0.35f, 0.9f), v1 = rng.uniform(0.35f, 0.9f);
    const int period = rng.integer(2, 3);  // stripe and check half-period, pixels
    const bool vertical = rng.integer(0, 1) == 1;
    for (int y = 0; y < img.rows; ++y) {
        for (int x = 0; x < img.cols; ++x) {
            const float t = static_cast<float>(y) / static_cast<float>(img.rows - 1);
            float v = v0 + (v1 - v0) * t;
            if (kind == 0) {
                v += rng.uniform(-0.12f, 0.12f);  // grain
            } else if (kind == 1) {
                if (((vertical ? x : y) / period) % 2) v *= 0.6f;
            } else if ((x / period + y / period) % 2) {
                v *= 0.6f;
            }
            img(y, x) = hsv_to_rgb(hue, sat, std::clamp(v, 0.02f, 1.0f));
        }
    }
}

void draw_shape(cv::Mat3f& img, Rng& rng) {
    const int n = img.rows;
    const int kind = rng.integer(0, 3);
    const float hue = kShapeHue[kind] + rng.uniform(-12, 12);
    const float sat = rng.uniform(0.55f, 0.95f);
    const float value = rng.uniform(0.4f, 1.0f);
    const int radius = rng.integer(n / 8, n / 5);
    const cv::Point center(rng.integer(radius, n - radius), rng.integer(radius, n - radius));
    cv::Mat1b mask = cv::Mat1b::zeros(img.size());
    switch (kind) {
        case 0: cv::circle(mask, center, radius, 255, cv::FILLED, cv::LINE_AA); break;
        case 1:
            cv::rectangle(mask, center - cv::Point(radius, radius), center + cv::Point(radius, radius),
                          255, cv::FILLED, cv::LINE_AA);
            break;
        case 2: {
            std::vector<cv::Point> tri = {center + cv::Point(0, -radius),
                                          center + cv::Point(radius, radius * 3 / 4),
                                          center + cv::Point(-radius, radius * 3 / 4)};
            cv::fillConvexPoly(mask, tri, 255, cv::LINE_AA);
            break;
        }
        default: cv::circle(mask, center, radius, 255, 2, cv::LINE_AA); break;
    }
    for (int y = 0; y < n; ++y) {
        for (int x = 0; x < n; ++x) {
            const float alpha = mask(y, x) / 255.0f;
            if (alpha <= 0.0f) continue;
            float v = value;
            if (kind == 1 && (y % 4) < 1) v *= 0.45f;                  // hatch
            if (kind == 2 && (x % 3) == 1 && (y % 3) == 1) v *= 0.35f;  // dots
            img(y, x) = (1.0f - alpha) * img(y, x) + alpha * hsv_to_rgb(hue, sat, v);
        }
    }
}

}  // namespace

cv::Mat synth_image(uint64_t seed, int64_t index, int size) {
    Rng rng{std::mt19937_64(seed * 1000003ull + static_cast<uint64_t>(index))};
    cv::Mat3f img(size, size);
    draw_background(img, rng);
    const int shapes = rng.integer(1, 3);
    for (int s = 0; s < shapes; ++s) draw_shape(img, rng);
    cv::Mat out;
    img.convertTo(out, CV_8UC3, 255.0);
    return out;
}

cv::Mat synth_edges(const cv::Mat& rgb) {
    cv::Mat gray, edges, rgb_edges;
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    cv::Canny(gray, edges, 40, 120);
    cv::cvtColor(255 - edges, rgb_edges, cv::COLOR_GRAY2RGB);
    return rgb_edges;
}

int64_t write_synth_dataset(const std::filesystem::path& out, int64_t count, int size, uint64_t seed,
                            const std::function<void(int64_t)>& on_progress, bool ab) {
    if (count < 1) throw UsageError("--count must be at least 1");
    if (size < 16) throw UsageError("--size must be at least 16");
    ensure_writable_dir(out);
    for (int64_t i = 0; i < count; ++i) {
        cv::Mat image = synth_image(seed, i, size);
        if (ab) cv::hconcat(synth_edges(image), image, image);
        write_image_rgb(out / fmt::format("synth_{:06d}.png", i), image);
        if (on_progress) on_progress(i + 1);
    }
    return count;
}

const char* synth_sketch_class(int category) {
    static const char* names[kSynthSketchClasses] = {"disc", "square", "triangle", "star"};
    if (category < 0 || category >= kSynthSketchClasses) throw UsageError("synthetic sketch class out of range");
    return names[category];
}

std::pair<cv::Mat, cv::Mat> synth_sketch_pair(uint64_t seed, int category, int64_t index, int size) {
    synth_sketch_class(category);
    Rng rng{std::mt19937_64(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(index) * 131 + category * 7919 + 17)};
    constexpr float kHue[kSynthSketchClasses] = {0.0f, 220.0f, 125.0f, 50.0f};
    const float s = static_cast<float>(size);
    const cv::Point2f center(s * rng.uniform(0.4f, 0.6f), s * rng.uniform(0.4f, 0.6f));
    const float radius = s * rng.uniform(0.22f, 0.34f);
    const float turn = rng.uniform(0.0f, 6.2831853f);
    // The outline as a polygon (a disc: many vertices).
    std::vector<cv::Point2f> outline;
    const int sides = category == 0 ? 48 : category == 1 ? 4 : category == 2 ? 3 : 10;
    for (int k = 0; k < sides; ++k) {
        const float a = turn + 6.2831853f * static_cast<float>(k) / static_cast<float>(sides);
        const float r = category == 3 && k % 2 ? radius * 0.45f : radius;
        outline.emplace_back(center.x + r * std::cos(a), center.y + r * std::sin(a));
    }
    // Photo: light grainy floor, the object shaded from one side, a darker rim.
    cv::Mat3f photo(size, size);
    const float floor = rng.uniform(0.75f, 0.95f);
    for (int y = 0; y < size; ++y) {
        for (int x = 0; x < size; ++x) {
            const float v = floor + rng.uniform(-0.04f, 0.04f);
            photo(y, x) = cv::Vec3f(v, v, v * 0.97f);
        }
    }
    cv::Mat1b mask = cv::Mat1b::zeros(size, size);
    std::vector<cv::Point> poly;
    for (const auto& p : outline) poly.emplace_back(cvRound(p.x), cvRound(p.y));
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(255), cv::LINE_AA);
    const float hue = kHue[category] + rng.uniform(-18.0f, 18.0f);
    const float sat = rng.uniform(0.55f, 0.9f), value = rng.uniform(0.55f, 0.9f);
    const float lx = std::cos(turn), ly = std::sin(turn);
    for (int y = 0; y < size; ++y) {
        for (int x = 0; x < size; ++x) {
            const float a = mask(y, x) / 255.0f;
            if (a <= 0) continue;
            const float shade = 0.75f + 0.25f * ((x - center.x) * lx + (y - center.y) * ly) / radius;
            const cv::Vec3f c = hsv_to_rgb(hue, sat, std::clamp(value * shade, 0.0f, 1.0f));
            photo(y, x) = photo(y, x) * (1.0f - a) + c * a;
        }
    }
    cv::polylines(photo, std::vector<std::vector<cv::Point>>{poly}, true, cv::Scalar::all(0.0) + cv::Scalar(hsv_to_rgb(hue, sat, value * 0.4f)),
                  std::max(1, size / 64), cv::LINE_AA);
    cv::Mat photo8;
    photo.convertTo(photo8, CV_8UC3, 255.0);
    // Sketch: the outline redrawn with wobble, black on white.
    cv::Mat sketch(size, size, CV_8UC3, cv::Scalar::all(255));
    std::vector<cv::Point> wobbly;
    const int steps = 64;
    for (int k = 0; k < steps; ++k) {
        const float t = static_cast<float>(k) / steps * static_cast<float>(outline.size());
        const auto& p = outline[static_cast<size_t>(t) % outline.size()];
        const auto& q = outline[(static_cast<size_t>(t) + 1) % outline.size()];
        const float f = t - std::floor(t);
        const float jitter = s * 0.012f;
        wobbly.emplace_back(cvRound(p.x + (q.x - p.x) * f + rng.uniform(-jitter, jitter)),
                            cvRound(p.y + (q.y - p.y) * f + rng.uniform(-jitter, jitter)));
    }
    cv::polylines(sketch, std::vector<std::vector<cv::Point>>{wobbly}, true, cv::Scalar::all(0), std::max(1, size / 96),
                  cv::LINE_AA);
    return {photo8, sketch};
}

int64_t write_synth_sketch_dataset(const std::filesystem::path& out, int64_t count, int size, uint64_t seed,
                                   const std::function<void(int64_t)>& on_progress) {
    if (count < 1) throw UsageError("--count must be at least 1");
    if (size < 16) throw UsageError("--size must be at least 16");
    ensure_writable_dir(out);
    int64_t done = 0;
    for (int c = 0; c < kSynthSketchClasses; ++c) {
        const auto dir = out / synth_sketch_class(c);
        ensure_writable_dir(dir);
        for (int64_t i = 0; i < count; ++i) {
            auto [photo, sketch] = synth_sketch_pair(seed, c, i, size);
            cv::Mat ab;
            cv::hconcat(photo, sketch, ab);
            write_image_rgb(dir / fmt::format("pair_{:06d}.png", i), ab);
            if (on_progress) on_progress(++done);
        }
    }
    return done;
}

std::pair<cv::Mat, cv::Mat> synth_lineart_pair(uint64_t seed, int64_t index, int size) {
    Rng rng{std::mt19937_64(seed * 0xD1B54A32D192ED03ull + static_cast<uint64_t>(index) * 977 + 3)};
    const float s = static_cast<float>(size);
    const float base_hue = rng.uniform(0.0f, 360.0f);
    const cv::Vec3f background = hsv_to_rgb(std::fmod(base_hue + 180.0f, 360.0f), rng.uniform(0.1f, 0.3f), 0.95f);
    cv::Mat3f painting(size, size, background);
    cv::Mat lineart(size, size, CV_8UC3, cv::Scalar::all(255));
    const int shapes = 2 + static_cast<int>(rng.uniform(0.0f, 2.999f));
    const int stroke = std::max(1, size / 48);
    for (int k = 0; k < shapes; ++k) {
        const cv::Vec3f fill = hsv_to_rgb(std::fmod(base_hue + 120.0f * static_cast<float>(k % 3), 360.0f),
                                          rng.uniform(0.5f, 0.9f), rng.uniform(0.6f, 0.95f));
        const cv::Point center(cvRound(s * rng.uniform(0.25f, 0.75f)), cvRound(s * rng.uniform(0.25f, 0.75f)));
        const int radius = std::max(2, cvRound(s * rng.uniform(0.12f, 0.25f)));
        std::vector<cv::Point> poly;
        const int sides = k % 3 == 0 ? 40 : k % 3 == 1 ? 4 : 3;
        const float turn = rng.uniform(0.0f, 6.2831853f);
        for (int v = 0; v < sides; ++v) {
            const float a = turn + 6.2831853f * static_cast<float>(v) / static_cast<float>(sides);
            poly.emplace_back(center.x + cvRound(radius * std::cos(a)), center.y + cvRound(radius * std::sin(a)));
        }
        const std::vector<std::vector<cv::Point>> polys{poly};
        cv::fillPoly(painting, polys, cv::Scalar(fill[0], fill[1], fill[2]), cv::LINE_AA);
        cv::polylines(painting, polys, true, cv::Scalar::all(0.08), stroke, cv::LINE_AA);
        // Later shapes cover earlier ones in the line art too.
        cv::fillPoly(lineart, polys, cv::Scalar::all(255), cv::LINE_AA);
        cv::polylines(lineart, polys, true, cv::Scalar::all(20), stroke, cv::LINE_AA);
    }
    cv::Mat painting8;
    painting.convertTo(painting8, CV_8UC3, 255.0);
    return {painting8, lineart};
}

int64_t write_synth_lineart_dataset(const std::filesystem::path& out, int64_t count, int size, uint64_t seed,
                                    const std::function<void(int64_t)>& on_progress) {
    if (count < 1) throw UsageError("--count must be at least 1");
    if (size < 16) throw UsageError("--size must be at least 16");
    ensure_writable_dir(out / "color");
    ensure_writable_dir(out / "lineart");
    for (int64_t i = 0; i < count; ++i) {
        auto [painting, lineart] = synth_lineart_pair(seed, i, size);
        const std::string name = fmt::format("art_{:06d}.png", i);
        write_image_rgb(out / "color" / name, painting);
        write_image_rgb(out / "lineart" / name, lineart);
        if (on_progress) on_progress(i + 1);
    }
    return count;
}

}  // namespace ganvas
