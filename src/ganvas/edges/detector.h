// Edge detectors behind one interface: a color image in, an edge-probability map out.
//   pidinet  PiDiNet (pidinet.h) from a checkpoint (`table5_pidinet.pth`)
//   hed      HED through OpenCV dnn from the user's Caffe files (hed.h)
//   classic  no weights: gradient magnitude of the Gaussian-smoothed image, scaled to [0, 1]
//   xdog     no weights: XDoG line art (lineart.h) as the probability of ink
#pragma once
#include <opencv2/core.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace ganvas {

class EdgeDetector {
public:
    virtual ~EdgeDetector() = default;
    virtual std::string name() const = 0;
    // 8-bit RGB -> CV_32FC1 in [0, 1], same size. Safe to call from several threads.
    virtual cv::Mat probability(const cv::Mat& rgb) const = 0;
};

// `weights`: pidinet's .pth; hed's folder or .caffemodel (deploy.prototxt beside it). Throws
// UsageError for an unknown name, Error naming the file when weights are missing or wrong.
std::unique_ptr<EdgeDetector> make_edge_detector(const std::string& name, const std::filesystem::path& weights);

// The classic detector on its own: sigma of the Gaussian, and the gradient magnitude that maps
// to probability 1 (as a share of the image's 99th percentile when relative).
cv::Mat classic_edges(const cv::Mat& rgb, double sigma = 1.5);

}  // namespace ganvas
