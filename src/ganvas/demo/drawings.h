// Inputs the project draws itself, for the demo page and the studio's examples: free-hand-like
// shoe sketches, line art of a face, gray "photos" of a face and style images. Deterministic in
// their seed; 8-bit RGB; nothing here comes from a dataset.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>

namespace ganvas {

// A shoe seen from the side, black strokes on white (sneaker, boot or pump by seed).
cv::Mat draw_shoe_sketch(uint64_t seed, int size = 256);
// A face with hair and shoulders, black lines on white.
cv::Mat draw_line_art(uint64_t seed, int size = 256);
// A shaded gray face on a gray background: what the face colorizer takes.
cv::Mat draw_gray_face(uint64_t seed, int size = 128);
// Soft blobs of a palette: a style image for style2paints.
cv::Mat draw_style_image(uint64_t seed, int size = 128);

}  // namespace ganvas
