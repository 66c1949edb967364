// style2paints training data: line art, its painting, and a style image made from the painting.
//
// Two layouts: paired folders (<root>/lineart/<name> beside <root>/color/<name>, matched by path
// and stem, any image extension) and plain folders of paintings, whose line art is extracted on
// the fly (XDoG, edges/lineart.h). During training the style image is the target painting itself,
// re-cropped, flipped, rotated and cut into shuffled tiles, so that G can take colours and texture
// from it but never where things are.
#pragma once
#include "ganvas/data/dataset.h"
#include "ganvas/data/image_folder.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <vector>

namespace ganvas {

// Whether `root` holds lineart/ and color/ folders.
bool has_lineart_pairs(const std::filesystem::path& root);

// The line art of a painting under .../color/...: the same relative path and stem under the
// sibling lineart/ folder, any image extension. Error naming the painting when there is none.
std::filesystem::path lineart_partner(const std::filesystem::path& painting);

// The paintings of `split` (select_split; may be empty): with `pairs`, those under <root>/color
// that have line art (Error naming the folders when none has); else every image under `root`.
std::vector<std::filesystem::path> painting_files(const std::filesystem::path& root, Split split,
                                                  const SplitOptions& options, bool pairs);

// The training style image: a random crop of 40-100% of the area, flipped, rotated by a multiple
// of 90 degrees, resized to `size` and cut into a 4 x 4 grid of tiles in random order.
cv::Mat augment_style(const cv::Mat& painting, uint64_t seed, int size);

enum class LineartSource {
    Pairs,    // the painting's lineart/ partner; Error naming the painting when it has none
    Extract,  // XDoG line art from the painting
    Auto,     // the partner where there is one, else XDoG
};

struct LineartDataConfig {
    int size = 128;
    int load_size = 144;
    bool flip = true;
    LineartSource source = LineartSource::Auto;
    bool style_augment = true;
    int style_size = 128;
};

class LineartPaintingDataset final : public Dataset {
public:
    // `files`: paintings (painting_files). Throws Error when empty.
    LineartPaintingDataset(std::vector<std::filesystem::path> files, LineartDataConfig config, bool train);
    size_t size() const override { return files_.size(); }
    // input: the line art as RGB [3, S, S]; target: the painting [3, S, S]; extra "style": the
    // style image [3, style_size, style_size] (augmented in training, the target painting itself
    // otherwise).
    Example get(size_t index, uint64_t seed) const override;
    std::string describe(size_t index) const override { return files_.at(index).string(); }

private:
    std::vector<std::filesystem::path> files_;
    LineartDataConfig config_;
    bool train_;
};

}  // namespace ganvas
