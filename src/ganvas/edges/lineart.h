// Line art from a finished painting, for training on plain folders of paintings: XDoG, the
// extended difference of Gaussians (Winnemöller, Kyprianidis & Olsen, "XDoG: An eXtended
// difference-of-Gaussians compendium", Computers & Graphics 2012), which turns a picture into
// dark strokes on white along its luminance edges.
#pragma once
#include <opencv2/core.hpp>

namespace ganvas {

struct XdogParams {
    double sigma = 0.7;    // inner Gaussian, in pixels (stroke width grows with it)
    double k = 1.6;        // outer Gaussian = k * sigma
    double p = 40.0;       // sharpening: S = (1 + p) G_sigma - p G_{k sigma}, on luminance in [0, 1]
    double epsilon = 0.1;  // S at or above it is paper (white); below, ink
    double phi = 20.0;     // ink ramp: 1 + tanh(phi (S - epsilon))
};

// 8-bit RGB -> 8-bit gray line art (strokes near 0 on 255), same size.
cv::Mat xdog_lineart(const cv::Mat& rgb, const XdogParams& params = {});

}  // namespace ganvas
