#include "ganvas/core/image.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image_header.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <utility>

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

std::vector<fs::path> list_images(const fs::path& root, std::vector<std::string>* skipped) {
    std::error_code ec;
    if (!fs::exists(root, ec)) throw Error("no such file or folder: " + root.string());
    std::vector<fs::path> files;
    if (!fs::is_directory(root, ec)) {
        files.push_back(root);
        return files;
    }
    // A walk of our own rather than recursive_directory_iterator: one unreadable subfolder is
    // skipped (and named) instead of ending the listing. Paths stay as reached from `root`, so a
    // folder reached through two links (A/ and lineart/ naming one folder of drawings) is listed
    // under both names; one reached again below itself (a link loop) is not walked again, and
    // no folder is walked more than kMaxWalks times (a lattice of links cannot multiply the walk).
    constexpr int kMaxWalks = 8;
    using Id = std::pair<dev_t, ino_t>;
    struct Pending {
        fs::path dir;
        std::vector<Id> ancestors;
    };
    std::map<Id, int> walks;
    std::vector<Pending> pending{{root, {}}};
    const auto skip = [&](const fs::path& dir, const std::string& why) {
        if (dir == root) throw Error("cannot list " + root.string() + ": " + why);
        spdlog::warn("skipping folder {}: {}", dir.string(), why);
        if (skipped) skipped->push_back(dir.string() + ": " + why);
    };
    while (!pending.empty()) {
        Pending next = std::move(pending.back());
        pending.pop_back();
        const fs::path& dir = next.dir;
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) {
            skip(dir, std::strerror(errno));
            continue;
        }
        const Id id{st.st_dev, st.st_ino};
        if (std::find(next.ancestors.begin(), next.ancestors.end(), id) != next.ancestors.end()) continue;  // a loop
        if (++walks[id] > kMaxWalks) {
            skip(dir, "reached through more than " + std::to_string(kMaxWalks) + " links");
            continue;
        }
        next.ancestors.push_back(id);
        fs::directory_iterator it(dir, ec);
        if (ec) {
            skip(dir, ec.message());
            continue;
        }
        for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
            std::error_code entry_ec;
            const auto& path = it->path();
            if (it->is_directory(entry_ec)) pending.push_back({path, next.ancestors});
            else if (it->is_regular_file(entry_ec) && has_image_extension(path)) files.push_back(path);
        }
        if (ec) skip(dir, ec.message());
    }
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

std::vector<uchar> read_image_file(const fs::path& path, const ImageLimits& limits) {
    // The size limit is checked before reading, the header (by the decoders below) before
    // decoding: a small file declaring a huge picture, or a codec the user did not allow, never
    // reaches a decoder. imdecode from our own buffer: imread cannot tell "missing" from "corrupt".
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) throw Error("cannot open image " + path.string() + ": no such file");
    if (!fs::is_regular_file(status)) throw Error("cannot read image " + path.string() + ": not a regular file");
    const auto file_size = fs::file_size(path, ec);
    if (ec) throw Error("cannot read image " + path.string() + ": " + ec.message());
    if (file_size == 0) throw Error("image " + path.string() + " is empty");
    check_image_file_size(static_cast<int64_t>(file_size), path.string(), limits);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot open image " + path.string());
    std::vector<uchar> bytes(static_cast<size_t>(file_size));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<size_t>(in.gcount()));
    if (bytes.empty()) throw Error("image " + path.string() + " is empty");
    return bytes;
}

cv::Mat read_image_rgb(const fs::path& path) {
    const ImageLimits limits = image_limits();
    return decode_image_rgb(read_image_file(path, limits), path.string(), limits);
}

cv::Mat read_image_gray(const fs::path& path) {
    const ImageLimits limits = image_limits();
    return decode_image_gray(read_image_file(path, limits), path.string(), limits);
}

cv::Mat decode_image_gray(const std::vector<uchar>& bytes, const std::string& name, const ImageLimits& limits) {
    check_image_header(read_image_header(bytes.data(), bytes.size()), static_cast<int64_t>(bytes.size()), name, limits);
    cv::Mat gray;
    try {
        gray = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
    } catch (const cv::Exception& e) {
        throw Error("image " + name + " is corrupt: " + e.what());
    } catch (const std::bad_alloc&) {
        throw Error("image " + name + ": out of memory while decoding");
    }
    if (gray.empty()) throw Error("image " + name + " is corrupt or not an image");
    return gray;
}

cv::Mat decode_image_rgb(const std::vector<uchar>& bytes, const std::string& name, const ImageLimits& limits) {
    const ImageHeader header = read_image_header(bytes.data(), bytes.size());
    check_image_header(header, static_cast<int64_t>(bytes.size()), name, limits);
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
        throw Error("image " + name + " is corrupt: " + e.what());
    } catch (const std::bad_alloc&) {
        throw Error("image " + name + ": out of memory while decoding");
    }
    if (bgr.empty()) throw Error("image " + name + " is corrupt or not an image");
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
