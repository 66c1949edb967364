// `ganvas edges`: an edge detector and the sketch post-processing over files and folders, in
// parallel, resumable (existing outputs are kept unless forced), never writing over an input.
#pragma once
#include "ganvas/edges/detector.h"
#include "ganvas/edges/postprocess.h"
#include "ganvas/io/file_jobs.h"

#include <functional>
#include <string>
#include <vector>

namespace ganvas {

enum class EdgeStage {
    Probability,  // the detector's map as 8-bit gray (what eval-edges reads)
    Sketch,       // post-processed black strokes on white
    Distance,     // the sketch's normalised distance map, 8-bit
};
EdgeStage parse_edge_stage(const std::string& name);  // UsageError naming --stage

struct EdgeFileOptions {
    EdgeStage stage = EdgeStage::Sketch;
    int size = 0;         // resize inputs to size x size first (0: native)
    int jobs = 1;         // images in parallel
    bool force = false;   // recompute outputs that exist
    bool pairs = false;   // write photo | edges AB images (pix2pix's aligned layout)
    SketchOptions sketch;
};

// One image: 8-bit RGB in, the stage's 8-bit gray map out (or the AB pair, RGB, with `pairs`).
cv::Mat edge_image(const EdgeDetector& detector, const cv::Mat& rgb, const EdgeFileOptions& options);

struct EdgeFileSummary {
    int64_t written = 0, skipped = 0;
    std::vector<std::string> failures;  // one message per failed input, naming it
};

EdgeFileSummary edge_files(const EdgeDetector& detector, const std::vector<OutputJob>& jobs,
                           const EdgeFileOptions& options, const std::function<void(int64_t)>& on_done = {});

}  // namespace ganvas
