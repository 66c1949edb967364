// Folders of images as datasets: listing, deterministic train/validation splits, the colorization
// dataset (center square crop, area resize, gray input made on the fly).
#pragma once
#include "ganvas/data/dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ganvas {

enum class Split { Train, Val, Test, All };

Split parse_split(const std::string& name);  // train | val | test | all; UsageError otherwise
std::string to_string(Split split);

struct SplitOptions {
    double val_ratio = 0.05;  // share of images held aside when no partition file exists
    uint64_t seed = 0;
};

// Selects one split of `files` (all under `root`). When `root` holds CelebA's
// list_eval_partition.txt, its partition is used (0 train, 1 val, 2 test). Otherwise a file goes
// to "val" when a hash of its path relative to `root` and the seed falls under val_ratio: stable
// when files are added or removed, independent of listing order. "test" is "val" there.
std::vector<std::filesystem::path> select_split(const std::vector<std::filesystem::path>& files,
                                                const std::filesystem::path& root, Split split,
                                                const SplitOptions& options);

// Lists images under `root` and selects `split`. Throws Error naming `root` when nothing is left.
std::vector<std::filesystem::path> list_split(const std::filesystem::path& root, Split split,
                                              const SplitOptions& options);

struct ColorizationDataOptions {
    int64_t image_size = 64;
    bool random_flip = true;
};

// Color photos -> (gray replicated to 3 channels, color) pairs at image_size x image_size.
class ColorizationDataset final : public Dataset {
public:
    ColorizationDataset(std::vector<std::filesystem::path> files, ColorizationDataOptions options);
    size_t size() const override { return files_.size(); }
    Example get(size_t index, uint64_t seed) const override;
    std::string describe(size_t index) const override { return files_.at(index).string(); }
    const std::vector<std::filesystem::path>& files() const { return files_; }

private:
    std::vector<std::filesystem::path> files_;
    ColorizationDataOptions options_;
};

}  // namespace ganvas
