// Image-quality metrics on 8-bit RGB images (cv::Mat CV_8UC3), computed in double precision.
#pragma once
#include <opencv2/core.hpp>

namespace ganvas {

// Peak signal-to-noise ratio with data range 255 over all pixels and channels, as
// skimage.metrics.peak_signal_noise_ratio(a, b, data_range=255). +inf for identical images.
double psnr_u8(const cv::Mat& a, const cv::Mat& b);

// Structural similarity exactly as skimage.metrics.structural_similarity(a, b, channel_axis=2,
// data_range=255) with its defaults: 7x7 uniform window, K1 = 0.01, K2 = 0.03, sample
// covariances (N - 1 normalisation), the SSIM map averaged over the window-valid interior
// (3 pixels cropped from each border), then the mean of the three channels.
// Both images must be at least 7x7.
double ssim_u8(const cv::Mat& a, const cv::Mat& b);

// Hasler & Suesstrunk, "Measuring colourfulness in natural images", 2003:
// rg = R - G, yb = (R + G) / 2 - B, C = sqrt(var(rg) + var(yb)) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)
// on 8-bit values (population standard deviations). 0 for a gray image.
double colorfulness_u8(const cv::Mat& rgb);

// Blue blotches, the colorizer's typical artifact: the share of the pixels of the central
// 3/8 x 3/8 of the image (the face, on centred face crops; 24 x 24 of 64 x 64) whose CIE b* is at
// least `delta` units below the truth's (float sRGB -> Lab, D65). Same sizes; 0 for the truth.
double blue_shift_share_u8(const cv::Mat& output, const cv::Mat& truth, double delta = 12.0);
// An image counts as blotched when that share exceeds this fraction.
constexpr double kBlotchedShare = 0.2;

// Patchiness of the color error over the same central region: the spatial standard deviation of
// the Lab chroma error, sqrt(var(a_out - a_truth) + var(b_out - b_truth)). A face colored uniformly
// too pale or too warm scores 0; blotches (patches of a different hue) score high.
double chroma_error_spread_u8(const cv::Mat& output, const cv::Mat& truth);

// Colour-distribution distance of two 8-bit RGB images (any sizes): the L1 distance between their
// normalised joint histograms of `bins` x `bins` x `bins` RGB cells; 0 for the same colours in the
// same proportions, 2 for disjoint colours. Blind to where the colours are.
double color_histogram_distance(const cv::Mat& a, const cv::Mat& b, int bins = 8);

}  // namespace ganvas
