#include "ganvas/models/style2paints/data.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/data/paired.h"
#include "ganvas/edges/lineart.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace ganvas {
namespace fs = std::filesystem;

bool has_lineart_pairs(const fs::path& root) {
    std::error_code ec;
    return fs::is_directory(root / "lineart", ec) && fs::is_directory(root / "color", ec);
}

fs::path lineart_partner(const fs::path& painting) {
    std::vector<fs::path> parts(painting.begin(), painting.end());
    for (size_t i = parts.size() - 1; i-- > 0;) {  // folders only, last first
        if (parts[i] != "color") continue;
        parts[i] = "lineart";
        fs::path folder;
        for (size_t j = 0; j + 1 < parts.size(); ++j) folder /= parts[j];
        const auto stem = painting.stem();
        std::error_code ec;
        if (fs::is_directory(folder, ec)) {
            for (const auto& entry : fs::directory_iterator(folder, ec)) {
                if (entry.path().stem() == stem && has_image_extension(entry.path())) return entry.path();
            }
        }
        throw Error("painting " + painting.string() + " has no line art " + (folder / stem).string() + ".*");
    }
    throw Error("painting " + painting.string() + " is not under a color/ folder, so it has no lineart/ partner");
}

std::vector<fs::path> painting_files(const fs::path& root, Split split, const SplitOptions& options, bool pairs) {
    if (!pairs) return select_split(list_images(root), root, split, options);
    std::vector<fs::path> paired;
    for (const auto& file : list_images(root / "color")) {
        try {
            lineart_partner(file);
            paired.push_back(file);
        } catch (const Error&) {
            // Unpaired paintings are left out of a paired folder.
        }
    }
    if (paired.empty()) {
        throw Error("no painting under " + (root / "color").string() + " has line art under " +
                    (root / "lineart").string() + " (matched by name)");
    }
    return select_split(paired, root, split, options);
}

cv::Mat augment_style(const cv::Mat& painting, uint64_t seed, int size) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double area = 0.4 + 0.6 * unit(rng);
    const double aspect = std::exp(std::log(0.75) + (std::log(4.0 / 3.0) - std::log(0.75)) * unit(rng));
    const int w = std::clamp(static_cast<int>(std::lround(painting.cols * std::sqrt(area * aspect))), 1, painting.cols);
    const int h = std::clamp(static_cast<int>(std::lround(painting.rows * std::sqrt(area / aspect))), 1, painting.rows);
    const int x = std::uniform_int_distribution<int>(0, painting.cols - w)(rng);
    const int y = std::uniform_int_distribution<int>(0, painting.rows - h)(rng);
    cv::Mat crop = resize_square(painting(cv::Rect(x, y, w, h)).clone(), size);
    if (unit(rng) < 0.5) cv::flip(crop, crop, 1);
    const int turns = std::uniform_int_distribution<int>(0, 3)(rng);
    if (turns > 0) cv::rotate(crop, crop, turns == 1 ? cv::ROTATE_90_CLOCKWISE : turns == 2 ? cv::ROTATE_180 : cv::ROTATE_90_COUNTERCLOCKWISE);
    // Tiles of a 4 x 4 grid, shuffled (edges of a size not divisible by 4 stay where they are).
    constexpr int kGrid = 4;
    const int tile = size / kGrid;
    if (tile < 1) return crop;
    std::vector<int> order(kGrid * kGrid);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    cv::Mat out = crop.clone();
    for (int i = 0; i < kGrid * kGrid; ++i) {
        const int from = order[static_cast<size_t>(i)];
        crop(cv::Rect((from % kGrid) * tile, (from / kGrid) * tile, tile, tile))
            .copyTo(out(cv::Rect((i % kGrid) * tile, (i / kGrid) * tile, tile, tile)));
    }
    return out;
}

LineartPaintingDataset::LineartPaintingDataset(std::vector<fs::path> files, LineartDataConfig config, bool train)
    : files_(std::move(files)), config_(config), train_(train) {
    if (files_.empty()) throw Error("style2paints: no paintings to train on");
}

Example LineartPaintingDataset::get(size_t index, uint64_t seed) const {
    const fs::path& file = files_.at(index);
    const cv::Mat painting = read_image_rgb(file);
    cv::Mat lineart;
    if (config_.source != LineartSource::Extract) {
        fs::path partner;
        try {
            partner = lineart_partner(file);
        } catch (const Error&) {
            if (config_.source == LineartSource::Pairs) throw;
        }
        if (!partner.empty()) lineart = read_image_rgb(partner);
    }
    if (lineart.empty()) cv::cvtColor(xdog_lineart(painting), lineart, cv::COLOR_GRAY2RGB);
    const PairAugment augment{config_.load_size, config_.size, config_.flip};
    auto [line, color] = augment_pair(lineart, painting, augment, seed, train_);
    // Evaluation (and training without augmentation): the painting as the model sees it.
    const cv::Mat style = train_ && config_.style_augment
                              ? augment_style(painting, seed ^ 0x5851f42d4c957f2dULL, config_.style_size)
                          : config_.style_size == config_.size ? color
                                                               : resize_square(painting, config_.style_size);
    Example example{image_to_tensor(line), image_to_tensor(color), -1, {}};
    example.extra["style"] = image_to_tensor(style);
    return example;
}

}  // namespace ganvas
