#include "ganvas/data/paired.h"

#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <random>

namespace ganvas {
namespace fs = std::filesystem;

std::pair<cv::Mat, cv::Mat> split_ab(const cv::Mat& ab) {
    if (ab.cols < 2) throw Error("an AB image needs at least 2 columns, got " + std::to_string(ab.cols));
    const int half = ab.cols / 2;
    return {ab(cv::Rect(0, 0, half, ab.rows)).clone(), ab(cv::Rect(half, 0, half, ab.rows)).clone()};
}

std::pair<cv::Mat, cv::Mat> augment_pair(const cv::Mat& a, const cv::Mat& b, const PairAugment& augment,
                                         uint64_t seed, bool train) {
    const int size = train ? augment.load_size : augment.crop_size;
    cv::Mat ra, rb;
    cv::resize(a, ra, cv::Size(size, size), 0, 0, cv::INTER_CUBIC);
    cv::resize(b, rb, cv::Size(size, size), 0, 0, cv::INTER_CUBIC);
    if (!train) return {ra, rb};
    std::mt19937_64 rng(seed);
    const int range = augment.load_size - augment.crop_size;
    const int x = std::uniform_int_distribution<int>(0, range)(rng);
    const int y = std::uniform_int_distribution<int>(0, range)(rng);
    const bool flip = augment.flip && std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    const cv::Rect crop(x, y, augment.crop_size, augment.crop_size);
    cv::Mat ca = ra(crop).clone(), cb = rb(crop).clone();
    if (flip) {
        cv::flip(ca, ca, 1);
        cv::flip(cb, cb, 1);
    }
    return {ca, cb};
}

fs::path partner_of(const fs::path& a_file) {
    std::vector<fs::path> parts(a_file.begin(), a_file.end());
    for (size_t i = parts.size() - 1; i-- > 0;) {  // folders only, last first
        if (parts[i] == "A") {
            parts[i] = "B";
            fs::path b;
            for (const auto& p : parts) b /= p;
            return b;
        }
    }
    throw Error(a_file.string() + " is not inside a folder named A (folders mode pairs A/<name> with B/<name>)");
}

PairedDataset::PairedDataset(std::vector<fs::path> files, PairSource source, PairAugment augment, bool b_to_a,
                             bool train)
    : source_(source), augment_(augment), b_to_a_(b_to_a), train_(train) {
    if (augment.crop_size < 1 || augment.load_size < augment.crop_size) {
        throw UsageError("--load-size must be at least --crop-size, and both positive");
    }
    for (auto& f : files) {
        if (source == PairSource::Folders) {
            try {
                partner_of(f);
            } catch (const Error&) {
                continue;  // a B-side file, or a stray one
            }
        }
        files_.push_back(std::move(f));
    }
    if (files_.empty()) {
        throw Error(source == PairSource::Folders ? "no images inside a folder named A (folders mode)"
                                                  : "no images to pair");
    }
}

Example PairedDataset::get(size_t index, uint64_t seed) const {
    const fs::path& file = files_.at(index);
    cv::Mat a, b;
    switch (source_) {
        case PairSource::Aligned: std::tie(a, b) = split_ab(read_image_rgb(file)); break;
        case PairSource::Folders:
            a = read_image_rgb(file);
            b = read_image_rgb(partner_of(file));
            break;
        case PairSource::Gray: b = read_image_rgb(file); break;
    }
    if (source_ == PairSource::Gray) {
        auto [unused, color] = augment_pair(b, b, augment_, seed, train_);
        auto target = image_to_tensor(color);
        // The gray image with the photo's own Lab lightness (a = b = 0), as the reference's
        // colorization data feeds L of the photo.
        auto lab = rgb_to_lab(target.unsqueeze(0));
        auto gray = quantize_8bit(lab_to_rgb(torch::cat({lab.narrow(1, 0, 1), torch::zeros_like(lab.narrow(1, 1, 2))}, 1)))
                        .squeeze(0);
        return Example{gray, target, -1, {}};
    }
    auto [pa, pb] = augment_pair(a, b, augment_, seed, train_);
    auto ta = image_to_tensor(pa), tb = image_to_tensor(pb);
    return b_to_a_ ? Example{tb, ta, -1, {}} : Example{ta, tb, -1, {}};
}

}  // namespace ganvas
