#include "ganvas/edges/morphology.h"

#include "ganvas/core/error.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>

namespace ganvas {
namespace {

cv::Mat as01(const cv::Mat& binary) {
    if (binary.type() != CV_8UC1) throw Error("binary morphology needs a one-channel 8-bit map");
    cv::Mat out;
    cv::min(binary, 1, out);  // non-zero -> 1 in one pass
    return out;
}

// Deletion tables of the two subiterations; `min_n` is 2 for thinning, 1 for shrinking.
std::array<std::array<bool, 256>, 2> make_tables(int min_n) {
    std::array<std::array<bool, 256>, 2> tables{};
    for (int code = 0; code < 256; ++code) {
        bool p[10];
        for (int k = 1; k <= 8; ++k) p[k] = (code >> (k - 1)) & 1;
        p[9] = p[1];
        int xh = 0, n1 = 0, n2 = 0;
        for (int i = 1; i <= 4; ++i) {
            xh += !p[2 * i - 1] && (p[2 * i] || p[2 * i + 1]);
            n1 += p[2 * i - 1] || p[2 * i];
            n2 += p[2 * i] || p[2 * i + 1];
        }
        const int m = std::min(n1, n2);
        const bool g12 = xh == 1 && m >= min_n && m <= 3;
        tables[0][code] = g12 && !((p[2] || p[3] || !p[8]) && p[1]);
        tables[1][code] = g12 && !((p[6] || p[7] || !p[4]) && p[5]);
    }
    return tables;
}

// Runs the two subiterations `iterations` times (< 0: to convergence) with the given tables, on a
// copy padded with one background pixel and visiting only foreground pixels.
cv::Mat two_subiterations(const cv::Mat& binary, int iterations, const std::array<std::array<bool, 256>, 2>& tables) {
    cv::Mat b01 = as01(binary), padded;
    cv::copyMakeBorder(b01, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
    const int step = static_cast<int>(padded.step1());
    uint8_t* base = padded.ptr<uint8_t>(0);
    const int offset[8] = {1, -step + 1, -step, -step - 1, -1, step - 1, step, step + 1};
    std::vector<int> alive;
    for (int r = 1; r <= b01.rows; ++r) {
        for (int c = 1; c <= b01.cols; ++c) {
            if (base[r * step + c]) alive.push_back(r * step + c);
        }
    }
    for (int it = 0; iterations < 0 || it < iterations; ++it) {
        bool changed = false;
        for (int sub = 0; sub < 2; ++sub) {
            // Decisions read the image as it was (parallel in chunks), then the deletions apply.
            const int chunks = alive.size() > 4096 ? cv::getNumThreads() : 1;
            std::vector<std::vector<int>> doomed_in(std::max(1, chunks));
            cv::parallel_for_(cv::Range(0, static_cast<int>(doomed_in.size())), [&](const cv::Range& range) {
                for (int chunk = range.start; chunk < range.end; ++chunk) {
                    const size_t lo = alive.size() * chunk / doomed_in.size();
                    const size_t hi = alive.size() * (chunk + 1) / doomed_in.size();
                    auto& out = doomed_in[chunk];
                    for (size_t j = lo; j < hi; ++j) {
                        const int i = alive[j];
                        if (!base[i]) continue;
                        int code = 0;
                        for (int k = 0; k < 8; ++k) code |= (base[i + offset[k]] != 0) << k;
                        if (tables[sub][code]) out.push_back(i);
                    }
                }
            });
            for (const auto& d : doomed_in) {
                for (int i : d) base[i] = 0;
                changed |= !d.empty();
            }
        }
        if (!changed) break;
        alive.erase(std::remove_if(alive.begin(), alive.end(), [&](int i) { return !base[i]; }), alive.end());
    }
    return padded(cv::Rect(1, 1, b01.cols, b01.rows)).clone();
}

// Keeps the foreground pixels whose count of 8-neighbours satisfies `keep`, all decided on the
// input (a parallel pass), on a copy padded with background.
template <typename Keep>
cv::Mat filter_by_neighbours(const cv::Mat& binary, Keep keep) {
    cv::Mat b01 = as01(binary), padded;
    cv::copyMakeBorder(b01, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
    cv::Mat out = b01.clone();
    const int step = static_cast<int>(padded.step1());
    cv::parallel_for_(cv::Range(0, b01.rows), [&](const cv::Range& rows) {
        for (int r = rows.start; r < rows.end; ++r) {
            const uint8_t* p = padded.ptr<uint8_t>(r + 1) + 1;
            uint8_t* o = out.ptr<uint8_t>(r);
            for (int c = 0; c < b01.cols; ++c) {
                if (!p[c]) continue;
                const uint8_t* q = p + c;
                const int n = q[-step - 1] + q[-step] + q[-step + 1] + q[-1] + q[1] + q[step - 1] + q[step] + q[step + 1];
                if (!keep(n)) o[c] = 0;
            }
        }
    });
    return out;
}

}  // namespace

cv::Mat thin(const cv::Mat& binary, int iterations) {
    static const auto tables = make_tables(2);
    return two_subiterations(binary, iterations, tables);
}

cv::Mat shrink_once(const cv::Mat& binary) {
    static const auto tables = make_tables(1);
    return two_subiterations(binary, 1, tables);
}

cv::Mat remove_isolated(const cv::Mat& binary) {
    return filter_by_neighbours(binary, [](int n) { return n > 0; });
}

cv::Mat remove_spurs(const cv::Mat& binary) {
    return filter_by_neighbours(binary, [](int n) { return n != 1; });
}

cv::Mat remove_small_components(const cv::Mat& binary, int min_pixels) {
    // 8-connected flood fills over the foreground only (strokes are sparse).
    cv::Mat b01 = as01(binary), padded;
    cv::copyMakeBorder(b01, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
    const int step = static_cast<int>(padded.step1());
    uint8_t* base = padded.ptr<uint8_t>(0);
    const int offset[8] = {1, -step + 1, -step, -step - 1, -1, step - 1, step, step + 1};
    std::vector<int> component;
    for (int r = 1; r <= b01.rows; ++r) {
        for (int c = 1; c <= b01.cols; ++c) {
            const int start = r * step + c;
            if (base[start] != 1) continue;
            component.assign(1, start);
            base[start] = 2;  // visited
            for (size_t i = 0; i < component.size(); ++i) {
                for (int k = 0; k < 8; ++k) {
                    const int n = component[i] + offset[k];
                    if (base[n] == 1) {
                        base[n] = 2;
                        component.push_back(n);
                    }
                }
            }
            if (static_cast<int>(component.size()) < min_pixels) {
                for (int i : component) base[i] = 3;  // to remove
            }
        }
    }
    cv::Mat out = padded(cv::Rect(1, 1, b01.cols, b01.rows)) == 2;
    return out / 255;
}

}  // namespace ganvas
