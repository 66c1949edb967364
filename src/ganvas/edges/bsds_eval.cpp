#include "ganvas/edges/bsds_eval.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/runtime.h"
#include "ganvas/edges/morphology.h"
#include "ganvas/edges/postprocess.h"

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

// Hopcroft-Karp maximum-cardinality matching on a bipartite graph given as adjacency lists of the
// left side. Returns pair_of_left (-1: unmatched) and pair_of_right.
std::pair<std::vector<int>, std::vector<int>> hopcroft_karp(const std::vector<std::vector<int>>& adj, int n_right) {
    const int n_left = static_cast<int>(adj.size());
    const int inf = std::numeric_limits<int>::max();
    std::vector<int> pair_l(n_left, -1), pair_r(n_right, -1), dist(n_left), it(n_left), stack, via;
    std::vector<int> queue;
    while (true) {
        queue.clear();
        for (int u = 0; u < n_left; ++u) {
            dist[u] = pair_l[u] == -1 ? 0 : inf;
            if (pair_l[u] == -1) queue.push_back(u);
        }
        bool found = false;
        for (size_t q = 0; q < queue.size(); ++q) {
            const int u = queue[q];
            for (int v : adj[u]) {
                const int w = pair_r[v];
                if (w == -1) {
                    found = true;
                } else if (dist[w] == inf) {
                    dist[w] = dist[u] + 1;
                    queue.push_back(w);
                }
            }
        }
        if (!found) break;
        std::fill(it.begin(), it.end(), 0);
        for (int root = 0; root < n_left; ++root) {
            if (pair_l[root] != -1) continue;
            stack.assign(1, root);
            via.clear();
            while (!stack.empty()) {
                const int u = stack.back();
                if (it[u] == static_cast<int>(adj[u].size())) {
                    dist[u] = inf;
                    stack.pop_back();
                    if (!via.empty()) via.pop_back();
                    continue;
                }
                const int v = adj[u][it[u]++];
                const int w = pair_r[v];
                if (w == -1) {  // augment along the stack
                    via.push_back(v);
                    for (size_t i = 0; i < stack.size(); ++i) {
                        pair_l[stack[i]] = via[i];
                        pair_r[via[i]] = stack[i];
                    }
                    break;
                }
                if (dist[w] == dist[u] + 1) {
                    via.push_back(v);
                    stack.push_back(w);
                }
            }
        }
    }
    return {pair_l, pair_r};
}

cv::Mat read_gray(const fs::path& path) { return read_image_gray(path); }

// MATLAB's linspace(1/(n+1), 1 - 1/(n+1), n).
std::vector<double> thresholds_of(int n) {
    const double lo = 1.0 / (n + 1), hi = 1.0 - 1.0 / (n + 1);
    std::vector<double> t(n);
    for (int i = 0; i < n; ++i) t[i] = n == 1 ? hi : lo + i * (hi - lo) / (n - 1);
    if (n > 1) t[n - 1] = hi;
    return t;
}

double fmeasure(double r, double p) { return (p + r) == 0 ? 0.0 : 2 * p * r / (p + r); }

PrPoint rates(const BoundaryCounts& c, double t) {
    PrPoint pt;
    pt.threshold = t;
    pt.recall = static_cast<double>(c.cnt_r) / static_cast<double>(c.sum_r + (c.sum_r == 0));
    pt.precision = static_cast<double>(c.cnt_p) / static_cast<double>(c.sum_p + (c.sum_p == 0));
    pt.f = fmeasure(pt.recall, pt.precision);
    return pt;
}

}  // namespace

std::pair<cv::Mat, cv::Mat> match_boundaries(const cv::Mat& a, const cv::Mat& b, double max_dist) {
    if (a.size() != b.size() || a.type() != CV_8UC1 || b.type() != CV_8UC1) {
        throw Error("match_boundaries: two 8-bit maps of one size are needed");
    }
    const int radius = static_cast<int>(std::ceil(max_dist));
    std::vector<cv::Point> window;
    for (int dy = -radius; dy <= radius; ++dy) {
        for (int dx = -radius; dx <= radius; ++dx) {
            if (dx * dx + dy * dy <= max_dist * max_dist) window.emplace_back(dx, dy);
        }
    }
    cv::Mat b_id(b.size(), CV_32S, cv::Scalar(-1));
    std::vector<cv::Point> b_pts;
    for (int y = 0; y < b.rows; ++y) {
        for (int x = 0; x < b.cols; ++x) {
            if (b.at<uint8_t>(y, x)) {
                b_id.at<int>(y, x) = static_cast<int>(b_pts.size());
                b_pts.emplace_back(x, y);
            }
        }
    }
    std::vector<cv::Point> a_pts;
    std::vector<std::vector<int>> adj;
    for (int y = 0; y < a.rows; ++y) {
        for (int x = 0; x < a.cols; ++x) {
            if (!a.at<uint8_t>(y, x)) continue;
            std::vector<int> near;
            for (const auto& d : window) {
                const int xx = x + d.x, yy = y + d.y;
                if (xx < 0 || yy < 0 || xx >= a.cols || yy >= a.rows) continue;
                const int id = b_id.at<int>(yy, xx);
                if (id >= 0) near.push_back(id);
            }
            if (near.empty()) continue;
            a_pts.emplace_back(x, y);
            adj.push_back(std::move(near));
        }
    }
    const auto [pair_a, pair_b] = hopcroft_karp(adj, static_cast<int>(b_pts.size()));
    cv::Mat ma(a.size(), CV_8UC1, cv::Scalar(0)), mb(b.size(), CV_8UC1, cv::Scalar(0));
    for (size_t i = 0; i < a_pts.size(); ++i) {
        if (pair_a[i] >= 0) {
            ma.at<uint8_t>(a_pts[i]) = 1;
            mb.at<uint8_t>(b_pts[pair_a[i]]) = 1;
        }
    }
    return {ma, mb};
}

std::vector<BoundaryCounts> evaluate_boundary_image(const cv::Mat& map, const std::vector<cv::Mat>& annotators,
                                                    const BsdsOptions& options) {
    cv::Mat m;
    map.convertTo(m, CV_64F);
    const double diag = std::sqrt(static_cast<double>(m.rows) * m.rows + static_cast<double>(m.cols) * m.cols);
    const double max_dist = options.max_dist * diag;
    std::vector<cv::Mat> gts;
    for (const auto& g : annotators) {
        if (g.size() != m.size()) throw Error("an annotation's size differs from the prediction's");
        cv::Mat b;
        cv::compare(g, 0, b, cv::CMP_NE);
        gts.push_back(b / 255);
    }
    std::vector<BoundaryCounts> out;
    for (double t : thresholds_of(options.thresholds)) {
        cv::Mat binary;
        cv::compare(m, t, binary, cv::CMP_GE);
        binary /= 255;
        if (options.thin) binary = thin(binary);
        BoundaryCounts c;
        c.sum_p = cv::countNonZero(binary);
        cv::Mat any(m.size(), CV_8UC1, cv::Scalar(0));
        for (const auto& g : gts) {
            const auto [mp, mg] = match_boundaries(binary, g, max_dist);
            c.cnt_r += cv::countNonZero(mg);
            c.sum_r += cv::countNonZero(g);
            any |= mp;
        }
        c.cnt_p = cv::countNonZero(any);
        out.push_back(c);
    }
    return out;
}

BsdsResult summarize_bsds(const std::vector<std::string>& ids, const std::vector<std::vector<BoundaryCounts>>& counts,
                          int n) {
    const auto t = thresholds_of(n);
    BsdsResult res;
    std::vector<BoundaryCounts> total(n);
    BoundaryCounts ois_sum;
    for (size_t i = 0; i < counts.size(); ++i) {
        int best = 0;
        double best_f = -1;
        for (int k = 0; k < n; ++k) {
            total[k] += counts[i][k];
            const double f = rates(counts[i][k], t[k]).f;
            if (f > best_f) best_f = f, best = k;
        }
        ois_sum += counts[i][best];
        res.images.emplace_back(ids[i], rates(counts[i][best], t[best]));
    }
    for (int k = 0; k < n; ++k) res.curve.push_back(rates(total[k], t[k]));
    // ODS: the best F along the curve, interpolating (T, R, P) linearly between thresholds.
    res.ods = res.curve[0];
    for (int k = 1; k < n; ++k) {
        for (int s = 0; s < 100; ++s) {
            const double d = s / 99.0;
            PrPoint p;
            p.threshold = t[k] * d + t[k - 1] * (1 - d);
            p.recall = res.curve[k].recall * d + res.curve[k - 1].recall * (1 - d);
            p.precision = res.curve[k].precision * d + res.curve[k - 1].precision * (1 - d);
            p.f = fmeasure(p.recall, p.precision);
            if (p.f > res.ods.f) res.ods = p;
        }
    }
    res.ois = rates(ois_sum, 0);
    // AP: precision at recall 0, 0.01, ..., 1, linear in recall over the unique recall values
    // (the last point of each run of equal recalls, as MATLAB's legacy unique), 0 outside.
    std::map<double, double> by_recall;
    for (const auto& p : res.curve) by_recall[p.recall] = p.precision;
    if (by_recall.size() > 1) {
        std::vector<std::pair<double, double>> pts(by_recall.begin(), by_recall.end());
        double sum = 0;
        for (int i = 0; i <= 100; ++i) {
            const double r = i / 100.0;
            if (r < pts.front().first || r > pts.back().first) continue;
            auto hi = std::lower_bound(pts.begin(), pts.end(), std::make_pair(r, -1.0));
            if (hi->first == r) {
                sum += hi->second;
                continue;
            }
            auto lo = hi - 1;
            sum += lo->second + (hi->second - lo->second) * (r - lo->first) / (hi->first - lo->first);
        }
        res.ap = 0.01 * sum;
    }
    return res;
}

BsdsResult evaluate_bsds(const fs::path& pred_dir, const fs::path& gt_dir, const BsdsOptions& options,
                         const std::function<void(int64_t)>& on_image) {
    std::error_code ec;
    if (!fs::is_directory(pred_dir, ec)) throw Error("prediction folder " + pred_dir.string() + " does not exist");
    if (!fs::is_directory(gt_dir, ec)) throw Error("ground-truth folder " + gt_dir.string() + " does not exist");
    check_count("--thresholds", options.thresholds, 1, 10000);
    check_count("--jobs", options.jobs, 0, kMaxThreads);
    // A tolerance of a whole diagonal already matches every pixel pair; more only overflows.
    check_finite("--max-dist", options.max_dist);
    if (options.max_dist <= 0 || options.max_dist > 1) throw UsageError("--max-dist: expected a share of the diagonal in (0, 1]");
    std::vector<fs::path> preds;
    for (const auto& e : fs::directory_iterator(pred_dir)) {
        if (e.path().extension() == ".png") preds.push_back(e.path());
    }
    std::sort(preds.begin(), preds.end());
    if (preds.empty()) throw Error("no <id>.png predictions in " + pred_dir.string());
    // Ground truth by id: <id>_<k>.png.
    std::map<std::string, std::vector<fs::path>> gt;
    for (const auto& e : fs::directory_iterator(gt_dir)) {
        const std::string stem = e.path().stem().string();
        const auto us = stem.rfind('_');
        if (e.path().extension() == ".png" && us != std::string::npos) gt[stem.substr(0, us)].push_back(e.path());
    }
    std::vector<std::string> ids;
    for (const auto& p : preds) {
        ids.push_back(p.stem().string());
        if (!gt.count(ids.back())) {
            throw Error("no ground truth " + (gt_dir / (ids.back() + "_<k>.png")).string() + " for " + p.string());
        }
    }
    std::vector<std::vector<BoundaryCounts>> counts(preds.size());
    std::atomic<size_t> next{0};
    std::atomic<int64_t> done{0};
    std::mutex mutex;
    std::string failure;
    auto worker = [&](int) {
        for (size_t i; (i = next++) < preds.size();) {
            try {
                const cv::Mat png = read_gray(preds[i]);
                cv::Mat map;
                if (options.nms) {
                    cv::Mat e;
                    png.convertTo(e, CV_32F, 1.0 / 255.0);
                    cv::Mat q;
                    suppress_non_maxima(e).convertTo(q, CV_8U, 255.0);  // rounds and saturates
                    q.convertTo(map, CV_64F, 1.0 / 255.0);
                } else {
                    png.convertTo(map, CV_64F, 1.0 / 255.0);
                }
                std::vector<cv::Mat> gts;
                auto files = gt.at(ids[i]);
                std::sort(files.begin(), files.end());
                for (const auto& f : files) {
                    gts.push_back(read_gray(f));
                    if (gts.back().size() != map.size()) {
                        throw Error(fmt::format("{} is {}x{}, its prediction {} is {}x{}", f.string(), gts.back().cols,
                                                gts.back().rows, preds[i].string(), map.cols, map.rows));
                    }
                }
                counts[i] = evaluate_boundary_image(map, gts, options);
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> lock(mutex);
                if (failure.empty()) failure = e.what();
                next = preds.size();
            }
            const int64_t d = ++done;
            if (on_image) {
                std::lock_guard<std::mutex> lock(mutex);
                on_image(d);
            }
        }
    };
    const int jobs = std::max(1, options.jobs > 0 ? options.jobs : static_cast<int>(std::thread::hardware_concurrency()));
    run_threads(jobs, worker, "the boundary benchmark");
    if (!failure.empty()) throw Error(failure);
    return summarize_bsds(ids, counts, options.thresholds);
}

nlohmann::json BsdsResult::to_json() const {
    auto pt = [](const PrPoint& p) {
        return nlohmann::json{{"threshold", p.threshold}, {"recall", p.recall}, {"precision", p.precision}, {"f", p.f}};
    };
    nlohmann::json j = {{"ods", pt(ods)}, {"ois", pt(ois)}, {"ap", ap}, {"images", images.size()}};
    j["ois"].erase("threshold");
    for (const auto& p : curve) j["curve"].push_back(pt(p));
    for (const auto& [id, p] : images) {
        auto row = pt(p);
        row["id"] = id;
        j["per_image"].push_back(row);
    }
    return j;
}

std::string BsdsResult::table() const {
    std::string s = fmt::format("{} images\n{:<6}{:>10}{:>10}{:>10}{:>10}\n", images.size(), "", "F", "R", "P", "T");
    s += fmt::format("{:<6}{:>10.6f}{:>10.6f}{:>10.6f}{:>10.6f}\n", "ODS", ods.f, ods.recall, ods.precision, ods.threshold);
    s += fmt::format("{:<6}{:>10.6f}{:>10.6f}{:>10.6f}{:>10}\n", "OIS", ois.f, ois.recall, ois.precision, "-");
    s += fmt::format("{:<6}{:>10.6f}\n", "AP", ap);
    return s;
}

}  // namespace ganvas
