// Sketch/photo pairs with categories, for SketchyGAN.
//
// Three layouts, the category of an example being the nearest folder above its sketch that is not
// named "sketch" or "photo" (a flat folder is one category, named after it):
//   Sketchy Database   <root>/rendered_256x256/256x256/{photo,sketch}/tx_000000000000/<category>/
//                      sketch <id>-<k>.png pairs with photo <id>.jpg; info/stats.csv rows flagged
//                      WrongPose?, Context?, Ambiguous? or Error? are dropped; info/testset.txt
//                      lists the test photos (their sketches are the "val" / "test" split).
//   sketch/photo       .../sketch/<name> pairs with .../photo/<name> (same relative path; the
//   folders            sketch's "-<k>" suffix and extension may differ)
//   AB images          one file per pair, photo and sketch side by side (which half is the sketch
//                      is decided per file, or fixed by `ab_sketch`)
// Examples from one photo stay in one split.
#pragma once
#include "ganvas/data/dataset.h"
#include "ganvas/data/image_folder.h"
#include "ganvas/edges/detector.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ganvas {

struct SketchListing {
    std::string augmentation = "tx_000000000000";  // Sketchy's rendering of sketches
    bool drop_flagged = true;
};

// The sketch files (or AB files) of `split` under `root`, sorted. Throws Error naming `root` when
// it does not exist or a Sketchy info file cannot be read.
std::vector<std::filesystem::path> sketch_photo_files(const std::filesystem::path& root, Split split,
                                                      const SplitOptions& split_options,
                                                      const SketchListing& listing = {});

// The category of one example file, and the sorted distinct categories of a list.
std::string sketch_category(const std::filesystem::path& file);
std::vector<std::string> sketch_categories(const std::vector<std::filesystem::path>& files);

// The photo of a sketch below a "sketch" folder; nullopt for files outside one (AB images).
// Throws Error naming the sketch when the photo is missing.
std::optional<std::filesystem::path> photo_of_sketch(const std::filesystem::path& sketch);

// Which half of an AB image is the sketch: the one with less colour, or when both are gray, the
// one with more white. Returns true for the right half.
bool sketch_is_right_half(const cv::Mat& ab);

// A photo -> a sketch-like drawing: the detector's edge probability at `work_size`, thinned,
// cleaned and drawn as black one-pixel strokes on white (edges/postprocess.h), 8-bit RGB.
cv::Mat photo_to_edge_sketch(const EdgeDetector& detector, const cv::Mat& photo_rgb, int work_size);

struct SketchPhotoConfig {
    std::vector<std::string> classes;  // label = index of the example's category
    int size = 64;                     // output size
    int load_size = 72;                // training: resize to this, random `size` crop, flip
    bool flip = true;
    std::string ab_sketch = "auto";    // auto | left | right
    std::shared_ptr<const EdgeDetector> edges;  // set: every example also carries the photo's edge map
};

class SketchPhotoDataset final : public Dataset {
public:
    SketchPhotoDataset(std::vector<std::filesystem::path> files, SketchPhotoConfig config, bool train);
    size_t size() const override { return files_.size(); }
    // input: the sketch (gray in 3 channels), target: the photo, extra["edges"]: the photo's edge
    // sketch (when configured), label: the category's index. Same crop and flip for all three.
    Example get(size_t index, uint64_t seed) const override;
    std::string describe(size_t index) const override { return files_.at(index).string(); }

private:
    std::vector<std::filesystem::path> files_;
    std::vector<int64_t> labels_;
    SketchPhotoConfig config_;
    bool train_;
};

}  // namespace ganvas
