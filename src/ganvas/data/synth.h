// The embedded default dataset: procedural color images whose colors follow their content, so
// that color is learnable from gray. Used by the demo and the tests; needs no download.
//
// Each image has a background of one of three textures, each with its own hue family (smooth
// gradient: blue, stripes: green, checks: sand), and one to three shapes, each class with its own
// hue family (disc: red, square: yellow, triangle: violet, ring: cyan). Brightness and saturation
// vary independently of class, so gray values alone do not give the color away: the network must
// recognise texture and shape.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>

namespace ganvas {

// Image `index` of the set drawn with `seed`, size x size, 8-bit RGB.
cv::Mat synth_image(uint64_t seed, int64_t index, int size);

// Writes images 0..count-1 as <out>/synth_000000.png ...; returns the number written.
// `on_progress(done)` is called after each image when given.
int64_t write_synth_dataset(const std::filesystem::path& out, int64_t count, int size, uint64_t seed,
                            const std::function<void(int64_t)>& on_progress = {});

}  // namespace ganvas
