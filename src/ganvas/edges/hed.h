// HED (Xie & Tu, "Holistically-Nested Edge Detection", ICCV 2015) through OpenCV dnn, from the
// user's Caffe files: the network definition (deploy.prototxt; ganvas writes the same
// architecture itself when none is given) and the weights hed_pretrained_bsds.caffemodel, which
// cannot be shipped (58,876,104 bytes, sha256
// 4b6937684bce9be1ef5163c78ec812dff9a23653bfbb451925210a64ecfaaac7; a file by that name is
// checked against both). HED's Crop layers cut the centre of the upsampled side outputs to the
// input's size; OpenCV's own Crop cuts at an offset, so a centre-cropping layer is registered
// under that type while HED nets load.
//
// Preprocessing as SketchyGAN uses HED: resize to `size` x `size`, reflect-pad `pad` pixels, BGR,
// subtract the Caffe mean (104.00699, 116.66877, 122.67891); output `sigmoid-fuse` with the padding
// cut away, resized back to the input's size.
#pragma once
#include "ganvas/edges/detector.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace ganvas {

inline constexpr uint64_t kHedCaffemodelBytes = 58876104;
inline constexpr const char* kHedCaffemodelSha256 = "4b6937684bce9be1ef5163c78ec812dff9a23653bfbb451925210a64ecfaaac7";

struct HedOptions {
    int size = 256;
    int pad = 128;
};

// HED's deploy network definition (VGG-16 trunk, five side outputs, fused), as prototxt text.
std::string hed_deploy_prototxt();

// Writes a caffemodel (a protobuf NetParameter of named layers with their blobs) with weights
// drawn from N(0, stddev) for HED's layers: for tests and checks where the real weights are absent.
void write_random_hed_caffemodel(const std::filesystem::path& path, uint64_t seed, float stddev = 0.01f);

// `weights`: a .caffemodel (deploy.prototxt beside it is used when present) or a folder holding
// hed_pretrained_bsds.caffemodel. Throws Error naming the file when it is missing, when the
// official file's size or digest is off, or when OpenCV cannot read it.
std::unique_ptr<EdgeDetector> make_hed_detector(const std::filesystem::path& weights, HedOptions options = {});

}  // namespace ganvas
