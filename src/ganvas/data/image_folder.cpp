#include "ganvas/data/image_folder.h"

#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"

#include <torch/torch.h>

#include <fstream>
#include <sstream>
#include <unordered_map>

namespace ganvas {
namespace fs = std::filesystem;

Split parse_split(const std::string& name) {
    if (name == "train") return Split::Train;
    if (name == "val") return Split::Val;
    if (name == "test") return Split::Test;
    if (name == "all") return Split::All;
    throw UsageError("--split: '" + name + "' is not one of train, val, test, all");
}

std::string to_string(Split split) {
    switch (split) {
        case Split::Train: return "train";
        case Split::Val: return "val";
        case Split::Test: return "test";
        case Split::All: return "all";
    }
    return "?";
}

namespace {

uint64_t fnv1a(const std::string& text, uint64_t seed) {
    uint64_t h = 1469598103934665603ull ^ (seed * 0x9E3779B97F4A7C15ull);
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    // Final avalanche (splitmix64) so that nearby names spread over [0, 2^64).
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

std::unordered_map<std::string, int> read_celeba_partition(const fs::path& file) {
    std::ifstream in(file);
    std::unordered_map<std::string, int> partition;
    std::string name;
    int part = 0;
    while (in >> name >> part) partition[name] = part;
    if (partition.empty()) throw Error("partition file " + file.string() + " is empty or unreadable");
    return partition;
}

}  // namespace

std::vector<fs::path> select_split(const std::vector<fs::path>& files, const fs::path& root,
                                   Split split, const SplitOptions& options) {
    if (split == Split::All) return files;
    if (options.val_ratio < 0.0 || options.val_ratio >= 1.0) {
        throw UsageError("--val-ratio must be in [0, 1), got " + std::to_string(options.val_ratio));
    }
    std::vector<fs::path> selected;
    const fs::path partition_file = root / "list_eval_partition.txt";
    std::error_code ec;
    if (fs::is_regular_file(partition_file, ec)) {
        const auto partition = read_celeba_partition(partition_file);
        const int wanted = split == Split::Train ? 0 : split == Split::Val ? 1 : 2;
        for (const auto& f : files) {
            auto it = partition.find(f.filename().string());
            if (it != partition.end() && it->second == wanted) selected.push_back(f);
        }
        return selected;
    }
    const double threshold = options.val_ratio * 18446744073709551616.0;  // 2^64
    for (const auto& f : files) {
        const std::string rel = fs::relative(f, root, ec).generic_string();
        const bool in_val = static_cast<double>(fnv1a(rel, options.seed)) < threshold;
        if (in_val == (split != Split::Train)) selected.push_back(f);
    }
    return selected;
}

std::vector<fs::path> list_split(const fs::path& root, Split split, const SplitOptions& options) {
    const auto all = list_images(root);
    if (all.empty()) throw Error("no images found under " + root.string());
    auto files = select_split(all, root, split, options);
    if (files.empty()) {
        throw Error("the " + to_string(split) + " split of " + root.string() + " is empty (" +
                    std::to_string(all.size()) + " images in all)");
    }
    return files;
}

ColorizationDataset::ColorizationDataset(std::vector<fs::path> files,
                                         ColorizationDataOptions options)
    : files_(std::move(files)), options_(options) {
    if (options_.image_size < 8) throw UsageError("--size must be at least 8");
}

Example ColorizationDataset::get(size_t index, uint64_t seed) const {
    cv::Mat rgb = center_square(read_image_rgb(files_.at(index)), static_cast<int>(options_.image_size));
    auto color = image_to_tensor(rgb);
    if (options_.random_flip && (seed & 1u)) color = color.flip({2});
    // Quantize the gray input as an 8-bit gray photo would be.
    auto gray = quantize_8bit(rgb_to_gray3(color.unsqueeze(0))).squeeze(0);
    return Example{gray, color, -1, {}};
}

}  // namespace ganvas
