// The BSDS500 boundary benchmark (Arbelaez et al.) as HED, RCF and PiDiNet report it: per image,
// for each threshold, binarise, thin (Guo-Hall), match one-to-one against every annotator within
// 0.0075 x the image diagonal, sum recall over annotators and count a predicted pixel as correct
// when any annotator matched it; then ODS (one threshold for the set, F interpolated between
// thresholds), OIS (each image's best threshold, counts pooled) and AP (precision interpolated at
// 101 recall points). The matching is an exact maximum-cardinality bipartite matching
// (Hopcroft-Karp) on the pairs within tolerance, where the original solves a min-cost assignment
// with random outlier edges (CSA): the same matches in number, up to ties
// (../shared/docs/bsds-eval.md measured +0.0009 ODS for this choice).
#pragma once
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ganvas {

struct BoundaryCounts {
    int64_t cnt_r = 0, sum_r = 0, cnt_p = 0, sum_p = 0;
    BoundaryCounts& operator+=(const BoundaryCounts& o) {
        cnt_r += o.cnt_r, sum_r += o.sum_r, cnt_p += o.cnt_p, sum_p += o.sum_p;
        return *this;
    }
};

// One-to-one matching of two binary maps (same size, non-zero = boundary) within `max_dist`
// pixels (Euclidean, <=). Returns the matched masks {of a, of b} (1 = matched), each pixel in at
// most one pair, with as many pairs as possible.
std::pair<cv::Mat, cv::Mat> match_boundaries(const cv::Mat& a, const cv::Mat& b, double max_dist);

struct BsdsOptions {
    int thresholds = 99;       // t_k = k / (n + 1), k = 1..n
    double max_dist = 0.0075;  // share of the image diagonal
    bool nms = true;           // suppress non-maxima first (postprocess.h), then quantise to 8 bits
    bool thin = true;
    int jobs = 0;              // worker threads over images; 0 = all cores
};

// Counts per threshold for one image: `map` CV_32F in [0, 1], `annotators` binary CV_8U maps.
std::vector<BoundaryCounts> evaluate_boundary_image(const cv::Mat& map, const std::vector<cv::Mat>& annotators,
                                                    const BsdsOptions& options);

struct PrPoint {
    double threshold = 0, recall = 0, precision = 0, f = 0;
};

struct BsdsResult {
    PrPoint ods;             // interpolated best over the set
    PrPoint ois;             // pooled per-image bests (threshold unused)
    double ap = 0;
    std::vector<PrPoint> curve;                       // per threshold, dataset level
    std::vector<std::pair<std::string, PrPoint>> images;  // per image, its best threshold
    nlohmann::json to_json() const;
    std::string table() const;
};

// ODS / OIS / AP from per-image counts (image ids beside them), thresholds t_k = k / (n + 1).
BsdsResult summarize_bsds(const std::vector<std::string>& ids,
                          const std::vector<std::vector<BoundaryCounts>>& counts, int thresholds);

// The benchmark over a folder of predictions `<id>.png` (8-bit, value / 255) with ground truth
// `<gt_dir>/<id>_<k>.png` (one file per annotator, non-zero = boundary). Throws Error naming the
// file on an unreadable image, a missing ground truth or a size mismatch. `on_image(done)` is
// called as images finish.
BsdsResult evaluate_bsds(const std::filesystem::path& pred_dir, const std::filesystem::path& gt_dir,
                         const BsdsOptions& options, const std::function<void(int64_t)>& on_image = {});

}  // namespace ganvas
