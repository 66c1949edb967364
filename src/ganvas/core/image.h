// The one place where images become tensors and back.
//
// Convention everywhere in ganvas: an image tensor is float32, RGB channel order, values in
// [0, 1], layout [3, H, W] for one image and [N, 3, H, W] for a batch. cv::Mat images handed to
// or returned from this module are 8-bit RGB (CV_8UC3), not OpenCV's usual BGR.
#pragma once
#include <opencv2/core.hpp>
#include <torch/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ganvas {

// True for the file extensions ganvas reads as images (jpg, jpeg, png, webp, bmp, tif, tiff, ppm,
// pgm), case-insensitive.
bool has_image_extension(const std::filesystem::path& path);

// Image files under `root` (recursively, following links to folders), sorted by path; `root` may
// itself be a file. Throws Error naming `root` when it does not exist or cannot be read; a
// subfolder that cannot be read is skipped with a warning (and appended to `skipped`), and a
// folder reached again through a link loop is walked once.
std::vector<std::filesystem::path> list_images(const std::filesystem::path& root,
                                               std::vector<std::string>* skipped = nullptr);

// Reads an image as 8-bit RGB (gray files become three equal channels; a PNG with transparency is
// composited over white, so strokes on a transparent background read as strokes on paper).
// Throws Error naming the file when it is missing, unreadable or corrupt.
// The file's size, format and declared pixel count are checked against image_limits() first.
cv::Mat read_image_rgb(const std::filesystem::path& path);

// The same as 8-bit one-channel gray.
cv::Mat read_image_gray(const std::filesystem::path& path);

struct ImageLimits;
// A file's bytes, its size checked against `limits` before it is read; Error naming the file.
std::vector<uchar> read_image_file(const std::filesystem::path& path, const ImageLimits& limits);
// The same from a file's bytes (an upload); `name` names it in messages.
cv::Mat decode_image_rgb(const std::vector<uchar>& bytes, const std::string& name, const ImageLimits& limits);
cv::Mat decode_image_gray(const std::vector<uchar>& bytes, const std::string& name, const ImageLimits& limits);

// 8-bit BGRA -> BGR over a white background.
cv::Mat composite_over_white(const cv::Mat& bgra);

// Writes 8-bit RGB (or one-channel gray) atomically; the format follows the extension. Throws
// Error naming the file.
void write_image_rgb(const std::filesystem::path& path, const cv::Mat& rgb);

// Resizes to size x size: area interpolation when shrinking, bicubic otherwise; unchanged when
// already that size.
cv::Mat resize_square(const cv::Mat& image, int size);

// Center-crops the largest square and resizes it to size x size with area interpolation.
cv::Mat center_square(const cv::Mat& image, int size);

// [H, W, 3] uint8 RGB -> [3, H, W] float in [0, 1].
torch::Tensor image_to_tensor(const cv::Mat& rgb);

// [3, H, W] float in [0, 1] (clamped, rounded) -> 8-bit RGB. Any device; copied to CPU.
cv::Mat tensor_to_image(const torch::Tensor& chw);

// [3, H, W] float -> [3, H, W] float rounded to the 8-bit grid (what saving then loading gives).
torch::Tensor quantize_8bit(const torch::Tensor& image);

// Tiles a list of [N, 3, H, W] batches as a grid: one row per example, one column per batch.
// All batches must share N, H and W. Columns are separated by `gap` white pixels.
cv::Mat make_grid(const std::vector<torch::Tensor>& columns, int gap = 2);

}  // namespace ganvas
