// From an edge-probability map to a sketch-like drawing, as SketchyGAN's released
// PostprocessHED.m does it (every step its own function, defaults as there):
//   1. non-maximum suppression along the edge normal (Dollar's edgesNms: radius 1, border taper
//      5, multiplier 1.01; orientation from second derivatives of the triangle-smoothed map),
//   2. threshold at 25/255,
//   3. thinning to one-pixel strokes (Guo-Hall, morphology.h),
//   4. isolated pixels and 8-connected components under 5 pixels removed,
//   5. one shrink pass and one spur-removal pass,
//   6. black strokes on white.
// Maps are CV_32FC1 in [0, 1]; binary maps CV_8UC1 0/1; sketches CV_8UC1 (0 stroke, 255 paper).
#pragma once
#include <opencv2/core.hpp>

namespace ganvas {

// Dollar's convTri: separable triangle filter of radius r with symmetric (mirror) padding;
// r = 1 is [1 2 1] / 4.
cv::Mat conv_tri(const cv::Mat& map, int r);

// MATLAB gradient: central differences inside, one-sided at the borders. Returns {d/dx, d/dy}.
std::pair<cv::Mat, cv::Mat> gradient2(const cv::Mat& map);

// Edge-normal angle in [0, pi): mod(atan(Oyy * sign(-Oxy) / (Oxx + 1e-5)), pi) on convTri(map, 4).
cv::Mat edge_orientation(const cv::Mat& map);

// edgesNmsMex(E, O, r, s, m): a pixel survives when m * E is at least both bilinear samples at
// +-1..r along its normal; then pixels closer than s to a border fade linearly to 0 there.
cv::Mat edges_nms(const cv::Mat& map, const cv::Mat& orientation, int r = 1, int s = 5, float m = 1.01f);

// The whole suppression step as BSDS evaluations run it: convTri(E, 1), orientation, edges_nms.
// Smoothed values under `floor` come out 0 without the test (for callers that threshold there).
cv::Mat suppress_non_maxima(const cv::Mat& map, float floor = 0.0f);

struct SketchOptions {
    bool nms = true;
    float threshold = 25.0f / 255.0f;  // edges kept where the (suppressed) map is >= threshold
    int min_component = 5;             // 8-connected components under this many pixels go
    bool shrink = true;                // one shrink pass
    bool spur = true;                  // one spur-removal pass
};

// Steps 1-5: the one-pixel strokes (1 = stroke).
cv::Mat sketch_strokes(const cv::Mat& map, const SketchOptions& options = {});
// Step 6: strokes as black on white 8-bit.
cv::Mat strokes_to_sketch(const cv::Mat& strokes);

// SketchyGAN's network input: binarise a gray sketch at `threshold` (darker = stroke), the
// Euclidean distance of every pixel to the nearest stroke, divided by the image's largest
// (CV_32F in [0, 1]; all ones when there is no stroke).
cv::Mat distance_map(const cv::Mat& gray_sketch, int threshold = 245);

}  // namespace ganvas
