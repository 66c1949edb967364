#include "ganvas/core/image.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace ganvas {
namespace fs = std::filesystem;

bool has_image_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const char* const known[] = {".jpg", ".jpeg", ".png", ".webp", ".bmp",
                                        ".tif", ".tiff", ".ppm", ".pgm"};
    return std::find(std::begin(known), std::end(known), ext) != std::end(known);
}

std::vector<fs::path> list_images(const fs::path& root) {
    std::error_code ec;
    if (!fs::exists(root, ec)) throw Error("no such file or folder: " + root.string());
    std::vector<fs::path> files;
    if (fs::is_regular_file(root)) {
        files.push_back(root);
        return files;
    }
    for (auto it = fs::recursive_directory_iterator(
             root, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && has_image_extension(it->path())) files.push_back(it->path());
    }
    if (ec) throw Error("cannot list " + root.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

cv::Mat composite_over_white(const cv::Mat& bgra) {
    TORCH_CHECK(bgra.type() == CV_8UC4, "composite_over_white expects 8-bit BGRA");
    cv::Mat out(bgra.size(), CV_8UC3);
    for (int y = 0; y < bgra.rows; ++y) {
        const auto* in = bgra.ptr<cv::Vec4b>(y);
        auto* o = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < bgra.cols; ++x) {
            const int a = in[x][3];
            for (int c = 0; c < 3; ++c) o[x][c] = static_cast<uchar>((in[x][c] * a + 255 * (255 - a) + 127) / 255);
        }
    }
    return out;
}

cv::Mat read_image_rgb(const fs::path& path) {
    // imdecode from our own buffer: imread cannot tell "missing" from "corrupt".
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot open image " + path.string());
    std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty()) throw Error("image " + path.string() + " is empty");
    // A PNG with an alpha channel (IHDR colour type 4 or 6): line art and sketches are often dark
    // strokes on a transparent background, whose hidden colour is black. Composite over white.
    const bool png_alpha = bytes.size() > 25 && bytes[0] == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' &&
                           bytes[3] == 'G' && (bytes[25] == 4 || bytes[25] == 6);
    cv::Mat bgr;
    try {
        if (png_alpha) {
            cv::Mat bgra = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
            if (!bgra.empty() && bgra.channels() == 4) {
                if (bgra.depth() == CV_16U) bgra.convertTo(bgra, CV_8U, 1.0 / 257.0);
                bgr = composite_over_white(bgra);
            }
        }
        if (bgr.empty()) bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        throw Error("image " + path.string() + " is corrupt: " + e.what());
    }
    if (bgr.empty()) throw Error("image " + path.string() + " is corrupt or not an image");
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return rgb;
}

void write_image_rgb(const fs::path& path, const cv::Mat& rgb) {
    TORCH_CHECK(rgb.type() == CV_8UC3 || rgb.type() == CV_8UC1, "write_image_rgb expects 8-bit RGB or gray");
    cv::Mat bgr;  // a new buffer: converting into a header of `rgb` would change the caller's image
    if (rgb.channels() == 3) cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    else bgr = rgb;
    std::vector<uchar> encoded;
    std::string ext = path.extension().string();
    if (ext.empty()) throw Error("output file " + path.string() + " has no image extension");
    bool ok = false;
    try {
        ok = cv::imencode(ext, bgr, encoded);
    } catch (const cv::Exception&) {
        ok = false;
    }
    if (!ok) throw Error("cannot encode " + path.string() + " (unsupported extension " + ext + ")");
    write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(encoded.data()),
                                             encoded.size()));
}

cv::Mat resize_square(const cv::Mat& image, int size) {
    if (image.rows == size && image.cols == size) return image;
    cv::Mat out;
    const bool shrink = image.rows >= size && image.cols >= size;
    cv::resize(image, out, cv::Size(size, size), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_CUBIC);
    return out;
}

cv::Mat center_square(const cv::Mat& image, int size) {
    const int side = std::min(image.rows, image.cols);
    const cv::Rect roi((image.cols - side) / 2, (image.rows - side) / 2, side, side);
    cv::Mat out;
    cv::resize(image(roi), out, cv::Size(size, size), 0, 0,
               side > size ? cv::INTER_AREA : cv::INTER_CUBIC);
    return out;
}

torch::Tensor image_to_tensor(const cv::Mat& rgb) {
    TORCH_CHECK(rgb.type() == CV_8UC3, "image_to_tensor expects 8-bit RGB");
    cv::Mat contiguous = rgb.isContinuous() ? rgb : rgb.clone();
    auto hwc = torch::from_blob(contiguous.data, {contiguous.rows, contiguous.cols, 3}, torch::kUInt8);
    return hwc.permute({2, 0, 1}).to(torch::kFloat32).div_(255.0).contiguous();
}

cv::Mat tensor_to_image(const torch::Tensor& chw) {
    TORCH_CHECK(chw.dim() == 3 && chw.size(0) == 3, "tensor_to_image expects [3, H, W], got ",
                chw.sizes());
    auto hwc = chw.detach().to(torch::kCPU, torch::kFloat32)
                   .clamp(0.0, 1.0).mul(255.0).round().to(torch::kUInt8)
                   .permute({1, 2, 0}).contiguous();
    cv::Mat out(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3);
    std::memcpy(out.data, hwc.data_ptr<uint8_t>(), hwc.numel());
    return out;
}

torch::Tensor quantize_8bit(const torch::Tensor& image) {
    return image.clamp(0.0, 1.0).mul(255.0).round().div(255.0);
}

cv::Mat make_grid(const std::vector<torch::Tensor>& columns, int gap) {
    TORCH_CHECK(!columns.empty(), "make_grid needs at least one column");
    const auto n = columns[0].size(0), h = columns[0].size(2), w = columns[0].size(3);
    for (const auto& c : columns) {
        TORCH_CHECK(c.dim() == 4 && c.size(0) == n && c.size(1) == 3 && c.size(2) == h &&
                        c.size(3) == w,
                    "make_grid: columns must share [N, 3, H, W]; got ", c.sizes());
    }
    const int cols = static_cast<int>(columns.size());
    cv::Mat grid(static_cast<int>(n * h + (n - 1) * gap), static_cast<int>(cols * w + (cols - 1) * gap),
                 CV_8UC3, cv::Scalar(255, 255, 255));
    for (int64_t row = 0; row < n; ++row) {
        for (int col = 0; col < cols; ++col) {
            cv::Mat tile = tensor_to_image(columns[col][row]);
            tile.copyTo(grid(cv::Rect(static_cast<int>(col * (w + gap)),
                                      static_cast<int>(row * (h + gap)), static_cast<int>(w),
                                      static_cast<int>(h))));
        }
    }
    return grid;
}

}  // namespace ganvas
