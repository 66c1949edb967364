// The embedded default dataset: procedural color images whose colors follow their content, so
// that color is learnable from gray. Used by the demo and the tests; needs no download.
//
// The colorizer's generator sees an 11x11 pixel neighbourhood (five 3x3 convolutions), so every
// class is told apart by a texture finer than that, while its brightness and saturation vary at
// random and say nothing about the hue:
//   backgrounds  grainy gradient: blue   fine stripes: green   fine checks: sand
//   shapes       smooth disc: red   hatched square: yellow   dotted triangle: violet   thin ring: cyan
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <utility>

namespace ganvas {

// Image `index` of the set drawn with `seed`, size x size, 8-bit RGB.
cv::Mat synth_image(uint64_t seed, int64_t index, int size);

// Writes images 0..count-1 as <out>/synth_000000.png ...; returns the number written.
// `on_progress(done)` is called after each image when given. With `ab`, each file is an aligned
// pair for pix2pix instead: A (left) the image's edges (Canny, black on white), B (right) the image.
int64_t write_synth_dataset(const std::filesystem::path& out, int64_t count, int size, uint64_t seed,
                            const std::function<void(int64_t)>& on_progress = {}, bool ab = false);

// The A half of a synthetic pair: Canny edges of the image's luma, black strokes on white.
cv::Mat synth_edges(const cv::Mat& rgb);

// The multi-class sketch set (SketchyGAN's classifier needs classes): four categories, each an
// object whose outline tells it apart and whose colour range belongs to it:
//   disc (reds)   square (blues)   triangle (greens)   star (yellows)
// The photo: the object filled with a shaded colour over a light, grainy floor; the sketch: its
// outline with wobbly strokes, black on white. Pair `index` of `category` (0..3), 8-bit RGB.
constexpr int kSynthSketchClasses = 4;
const char* synth_sketch_class(int category);  // "disc", "square", "triangle", "star"
std::pair<cv::Mat, cv::Mat> synth_sketch_pair(uint64_t seed, int category, int64_t index, int size);

// Writes `count` pairs per category as <out>/<category>/pair_000000.png, each an AB image with the
// photo on the left and the sketch on the right (the layout SketchyGAN's data reader expects).
int64_t write_synth_sketch_dataset(const std::filesystem::path& out, int64_t count, int size, uint64_t seed,
                                   const std::function<void(int64_t)>& on_progress = {});

// The line-art set (style2paints needs a painting whose palette the line art does not tell): a few
// overlapping shapes outlined in black; the painting fills the background and each shape from one
// random palette of three hues, so only a style image can say which colours go where. Pair
// `index`: {painting, line art (black strokes on white)}, 8-bit RGB.
std::pair<cv::Mat, cv::Mat> synth_lineart_pair(uint64_t seed, int64_t index, int size);

// Writes `count` pairs as <out>/color/art_000000.png and <out>/lineart/art_000000.png.
int64_t write_synth_lineart_dataset(const std::filesystem::path& out, int64_t count, int size, uint64_t seed,
                                    const std::function<void(int64_t)>& on_progress = {});

}  // namespace ganvas
