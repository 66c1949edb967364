// Paired image data for image-to-image translation: aligned "AB" images (A left, B right), two
// parallel folders matched by file name, and color photos as gray -> color pairs. Both images of a
// pair get the same augmentation.
#pragma once
#include "ganvas/data/dataset.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <utility>
#include <vector>

namespace ganvas {

enum class PairSource {
    Aligned,  // one file per pair: A is the left half, B the right half
    Folders,  // .../A/<name> with .../B/<name> (the last path component named "A" becomes "B")
    Gray,     // a color photo: A is its gray version (its Lab lightness, a = b = 0), B the photo
};

struct PairAugment {
    int load_size = 286;  // both images are resized (bicubic) to load_size x load_size
    int crop_size = 256;  // then cut at one random offset
    bool flip = true;     // and mirrored together with probability 1/2
};

// Splits an AB image into its halves (A: columns [0, w/2), B: [w/2, w)). Throws Error when w < 2.
std::pair<cv::Mat, cv::Mat> split_ab(const cv::Mat& ab);

// Training: resize both to load_size, crop both at one random offset, flip both or neither (the
// randomness drawn from `seed`). Evaluation (train = false): resize both to crop_size.
std::pair<cv::Mat, cv::Mat> augment_pair(const cv::Mat& a, const cv::Mat& b, const PairAugment& augment,
                                         uint64_t seed, bool train);

// The B file of an A file in Folders mode; Error naming the file when it has no "A" folder.
std::filesystem::path partner_of(const std::filesystem::path& a_file);

class PairedDataset final : public Dataset {
public:
    // For Folders, `files` may list both sides; only the A side is kept. `b_to_a` swaps the roles
    // (input = B, target = A). Throws Error when no pair is left.
    PairedDataset(std::vector<std::filesystem::path> files, PairSource source, PairAugment augment, bool b_to_a,
                  bool train);
    size_t size() const override { return files_.size(); }
    // input: the generator's side, target: the other, both [3, S, S] in [0, 1].
    Example get(size_t index, uint64_t seed) const override;
    std::string describe(size_t index) const override { return files_.at(index).string(); }

private:
    std::vector<std::filesystem::path> files_;
    PairSource source_;
    PairAugment augment_;
    bool b_to_a_;
    bool train_;
};

}  // namespace ganvas
