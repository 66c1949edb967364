// Binary morphology with MATLAB bwmorph / bwareaopen semantics, on 8-bit maps (0 background,
// non-zero foreground; results are 0/1). Pixels outside the image count as background.
//
// Neighbour names used below (Lam, Lee & Suen 1992): p1 = east, then counter-clockwise
// p2 = north-east, p3 = north, p4 = north-west, p5 = west, p6 = south-west, p7 = south,
// p8 = south-east, with north the row above.
#pragma once
#include <opencv2/core.hpp>

namespace ganvas {

// bwmorph(B, 'thin', iterations): Guo & Hall's two-subiteration parallel thinning (1989) as
// MATLAB and skimage.morphology.thin implement it. A pixel goes in subiteration 1 (2) when
//   G1: X_H(p) = 1 (one 8-connected run of foreground around p, counted on the 4 odd neighbours),
//   G2: 2 <= min(n1, n2) <= 3, n1 = sum_k (p_{2k-1} | p_{2k}), n2 = sum_k (p_{2k} | p_{2k+1}),
//   G3: (p2 | p3 | !p8) & p1 == 0   (subiteration 2: (p6 | p7 | !p4) & p5 == 0).
// iterations < 0: until nothing changes.
cv::Mat thin(const cv::Mat& binary, int iterations = -1);

// bwmorph(B, 'clean'): removes isolated pixels (no 8-neighbour).
cv::Mat remove_isolated(const cv::Mat& binary);

// bwareaopen(B, min_pixels) with 8-connectivity: removes components of fewer than min_pixels.
cv::Mat remove_small_components(const cv::Mat& binary, int min_pixels);

// bwmorph(B, 'shrink', 1): one pass of the thinning subiterations with end points removable too
// (G2 relaxed to 1 <= min(n1, n2) <= 3), so that objects shrink towards points and strokes
// lose their end pixels. (MATLAB's shrink tables are not public; this is our reading of them.)
cv::Mat shrink_once(const cv::Mat& binary);

// bwmorph(B, 'spur', 1): removes end points, pixels with exactly one 8-neighbour, all at once.
cv::Mat remove_spurs(const cv::Mat& binary);

}  // namespace ganvas
