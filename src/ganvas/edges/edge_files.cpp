#include "ganvas/edges/edge_files.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/runtime.h"

#include <opencv2/imgproc.hpp>

#include <atomic>
#include <mutex>
#include <thread>

namespace ganvas {
namespace fs = std::filesystem;

EdgeStage parse_edge_stage(const std::string& name) {
    if (name == "probability") return EdgeStage::Probability;
    if (name == "sketch") return EdgeStage::Sketch;
    if (name == "distance") return EdgeStage::Distance;
    throw UsageError("--stage: '" + name + "' is not one of probability, sketch, distance");
}

cv::Mat edge_image(const EdgeDetector& detector, const cv::Mat& rgb, const EdgeFileOptions& options) {
    cv::Mat photo = rgb;
    if (options.size > 0 && (rgb.cols != options.size || rgb.rows != options.size)) {
        cv::resize(rgb, photo, cv::Size(options.size, options.size), 0, 0, cv::INTER_AREA);
    }
    const cv::Mat p = detector.probability(photo);
    cv::Mat out;
    switch (options.stage) {
        case EdgeStage::Probability: p.convertTo(out, CV_8U, 255.0); break;  // rounded, saturated
        case EdgeStage::Sketch: out = strokes_to_sketch(sketch_strokes(p, options.sketch)); break;
        case EdgeStage::Distance:
            distance_map(strokes_to_sketch(sketch_strokes(p, options.sketch))).convertTo(out, CV_8U, 255.0);
            break;
    }
    if (!options.pairs) return out;
    cv::Mat right, pair;
    cv::cvtColor(out, right, cv::COLOR_GRAY2RGB);
    cv::hconcat(photo, right, pair);
    return pair;
}

EdgeFileSummary edge_files(const EdgeDetector& detector, const std::vector<OutputJob>& jobs,
                           const EdgeFileOptions& options, const std::function<void(int64_t)>& on_done) {
    EdgeFileSummary summary;
    std::mutex mutex;
    std::atomic<size_t> next{0};
    std::atomic<int64_t> done{0};
    auto worker = [&](int) {
        for (size_t i; (i = next++) < jobs.size();) {
            const auto& job = jobs[i];
            std::error_code ec;
            bool skipped = false;
            std::string failure;
            if (!options.force && fs::exists(job.output, ec)) {
                skipped = true;
            } else {
                try {
                    write_image_rgb(job.output, edge_image(detector, read_image_rgb(job.input), options));
                } catch (const std::exception& e) {
                    failure = e.what();  // the reader names the file; a detector's error gets it here
                    if (failure.find(job.input.string()) == std::string::npos) failure = job.input.string() + ": " + failure;
                }
            }
            std::lock_guard<std::mutex> lock(mutex);
            if (skipped) ++summary.skipped;
            else if (failure.empty()) ++summary.written;
            else summary.failures.push_back(failure);
            if (on_done) on_done(++done);
        }
    };
    const int n = std::max(1, std::min<int>(options.jobs, static_cast<int>(jobs.size())));
    run_threads(n, worker, "edge detection");
    return summary;
}

}  // namespace ganvas
