#include "ganvas/data/sketch_photo.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/data/paired.h"
#include "ganvas/edges/postprocess.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace ganvas {
namespace fs = std::filesystem;

namespace {

bool is_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "n02691156_10151-3" -> "n02691156_10151" (Sketchy's k-th sketch of a photo); other stems as is.
std::string photo_stem(const std::string& sketch_stem) {
    const auto dash = sketch_stem.rfind('-');
    if (dash != std::string::npos && dash > 0 && is_digits(sketch_stem.substr(dash + 1))) return sketch_stem.substr(0, dash);
    return sketch_stem;
}

// Fields of one CSV line; double quotes group (commas inside them do not split).
std::vector<std::string> csv_fields(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (char c : line) {
        if (c == '"') quoted = !quoted;
        else if (c == ',' && !quoted) out.emplace_back();
        else if (c != '\r') out.back() += c;
    }
    return out;
}

// "<ImageNetID>-<SketchID>" of every sketch flagged in stats.csv.
std::set<std::string> flagged_sketches(const fs::path& stats) {
    std::ifstream in(stats);
    if (!in) throw Error("cannot read " + stats.string());
    std::string line;
    std::getline(in, line);
    const auto header = csv_fields(line);
    const auto column = [&](const std::string& name) {
        const auto it = std::find(header.begin(), header.end(), name);
        if (it == header.end()) throw Error(stats.string() + ": no column '" + name + "'");
        return static_cast<size_t>(it - header.begin());
    };
    const size_t id = column("ImageNetID"), sketch = column("SketchID");
    const std::vector<size_t> flags{column("WrongPose?"), column("Context?"), column("Ambiguous?"), column("Error?")};
    std::set<std::string> bad;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const auto f = csv_fields(line);
        if (f.size() < header.size()) throw Error(stats.string() + ": short row '" + line + "'");
        const bool flagged = std::any_of(flags.begin(), flags.end(), [&](size_t c) { return f[c] != "0" && !f[c].empty(); });
        if (flagged) bad.insert(f[id] + "-" + f[sketch]);
    }
    return bad;
}

// Photo stems listed in testset.txt ("<category>/<id>.jpg" per line).
std::set<std::string> test_photos(const fs::path& testset) {
    std::ifstream in(testset);
    if (!in) throw Error("cannot read " + testset.string());
    std::set<std::string> stems;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty()) stems.insert(fs::path(line).stem().string());
    }
    return stems;
}

bool below_folder(const fs::path& file, const fs::path& root, const std::string& name) {
    const fs::path rel = file.lexically_relative(root);
    for (auto it = rel.begin(); it != rel.end() && std::next(it) != rel.end(); ++it) {
        if (*it == name) return true;
    }
    return false;
}

// Keeps the files whose group key (the photo) falls in `split`.
std::vector<fs::path> split_by_photo(const std::vector<fs::path>& files, const fs::path& root, Split split,
                                     const SplitOptions& options) {
    if (split == Split::All) return files;
    std::map<fs::path, std::vector<size_t>> groups;
    for (size_t i = 0; i < files.size(); ++i) {
        const auto photo = photo_of_sketch(files[i]);
        groups[photo ? *photo : files[i]].push_back(i);  // AB files: the pix2pix split, file by file
    }
    std::vector<fs::path> keys;
    for (const auto& [k, unused] : groups) keys.push_back(k);
    std::vector<size_t> kept;
    for (const auto& k : select_split(keys, root, split, options)) {
        const auto& g = groups.at(k);
        kept.insert(kept.end(), g.begin(), g.end());
    }
    std::sort(kept.begin(), kept.end());
    std::vector<fs::path> out;
    for (size_t i : kept) out.push_back(files[i]);
    return out;
}

}  // namespace

std::vector<fs::path> sketch_photo_files(const fs::path& root, Split split, const SplitOptions& split_options,
                                         const SketchListing& listing) {
    std::error_code ec;
    if (!fs::exists(root, ec)) throw Error("data folder " + root.string() + " does not exist");
    fs::path sketch_dir;
    for (const fs::path& base : {root / "rendered_256x256" / "256x256", root / "256x256", root}) {
        if (fs::is_directory(base / "sketch" / listing.augmentation, ec) && fs::is_directory(base / "photo", ec)) {
            sketch_dir = base / "sketch" / listing.augmentation;
            break;
        }
    }
    if (sketch_dir.empty()) {
        // Plain layouts: sketch/photo folders or AB images; photos are partners, not examples.
        std::vector<fs::path> files;
        for (const auto& f : list_images(root)) {
            if (!below_folder(f, root, "photo")) files.push_back(f);
        }
        return split_by_photo(files, root, split, split_options);
    }
    auto files = list_images(sketch_dir);
    fs::path info;
    for (const fs::path& base : {root / "info", root.parent_path() / "info", root.parent_path().parent_path() / "info"}) {
        if (fs::is_directory(base, ec)) {
            info = base;
            break;
        }
    }
    if (listing.drop_flagged && !info.empty() && fs::exists(info / "stats.csv", ec)) {
        const auto bad = flagged_sketches(info / "stats.csv");
        files.erase(std::remove_if(files.begin(), files.end(), [&](const fs::path& f) { return bad.count(f.stem().string()) > 0; }),
                    files.end());
    }
    if (split == Split::All) return files;
    if (info.empty() || !fs::exists(info / "testset.txt", ec)) return split_by_photo(files, root, split, split_options);
    const auto test = test_photos(info / "testset.txt");
    std::vector<fs::path> out;
    for (const auto& f : files) {
        const bool is_test = test.count(photo_stem(f.stem().string())) > 0;
        if (is_test == (split != Split::Train)) out.push_back(f);
    }
    return out;
}

std::string sketch_category(const fs::path& file) {
    for (fs::path dir = file.parent_path(); !dir.empty() && dir != dir.parent_path(); dir = dir.parent_path()) {
        const std::string name = dir.filename().string();
        if (name != "sketch" && name != "photo" && !name.empty() && name != ".") return name;
    }
    return "default";
}

std::vector<std::string> sketch_categories(const std::vector<fs::path>& files) {
    std::set<std::string> names;
    for (const auto& f : files) names.insert(sketch_category(f));
    return {names.begin(), names.end()};
}

std::optional<fs::path> photo_of_sketch(const fs::path& sketch) {
    std::vector<fs::path> parts(sketch.begin(), sketch.end());
    if (parts.size() < 2) return std::nullopt;
    for (size_t i = parts.size() - 1; i-- > 0;) {  // folders only, last first
        if (parts[i] != "sketch") continue;
        parts[i] = "photo";
        if (i + 1 < parts.size() - 1 && parts[i + 1].string().rfind("tx_", 0) == 0) parts[i + 1] = "tx_000000000000";
        fs::path dir;
        for (size_t k = 0; k + 1 < parts.size(); ++k) dir /= parts[k];
        const std::string stem = sketch.stem().string();
        std::error_code ec;
        for (const std::string& s : {stem, photo_stem(stem)}) {
            for (const char* ext : {".jpg", ".png", ".jpeg", ".JPEG", ".JPG", ".PNG", ".webp", ".bmp"}) {
                const fs::path candidate = dir / (s + ext);
                if (fs::exists(candidate, ec)) return candidate;
            }
        }
        throw Error("sketch " + sketch.string() + " has no photo " + (dir / (photo_stem(stem) + ".jpg")).string() +
                    " (or .png)");
    }
    return std::nullopt;
}

bool sketch_is_right_half(const cv::Mat& ab) {
    auto [left, right] = split_ab(ab);
    const auto measure = [](const cv::Mat& rgb, double& chroma, double& white) {
        double c = 0;
        int64_t w = 0;
        for (int y = 0; y < rgb.rows; ++y) {
            const auto* p = rgb.ptr<cv::Vec3b>(y);
            for (int x = 0; x < rgb.cols; ++x) {
                const int hi = std::max({p[x][0], p[x][1], p[x][2]}), lo = std::min({p[x][0], p[x][1], p[x][2]});
                c += hi - lo;
                w += lo > 230;
            }
        }
        const double n = static_cast<double>(std::max<int64_t>(1, static_cast<int64_t>(rgb.total())));
        chroma = c / n, white = static_cast<double>(w) / n;
    };
    double cl, wl, cr, wr;
    measure(left, cl, wl);
    measure(right, cr, wr);
    if (std::abs(cl - cr) > 4.0) return cr < cl;
    return wr > wl;
}

cv::Mat photo_to_edge_sketch(const EdgeDetector& detector, const cv::Mat& photo_rgb, int work_size) {
    const cv::Mat prob = detector.probability(resize_square(photo_rgb, work_size));
    cv::Mat gray = strokes_to_sketch(sketch_strokes(prob)), rgb;
    cv::cvtColor(gray, rgb, cv::COLOR_GRAY2RGB);
    return rgb;
}

SketchPhotoDataset::SketchPhotoDataset(std::vector<fs::path> files, SketchPhotoConfig config, bool train)
    : files_(std::move(files)), config_(std::move(config)), train_(train) {
    if (config_.size < 1 || config_.load_size < config_.size) throw UsageError("sketch data: load size must be at least the size");
    if (config_.ab_sketch != "auto" && config_.ab_sketch != "left" && config_.ab_sketch != "right") {
        throw UsageError("ab_sketch: '" + config_.ab_sketch + "' is not one of auto, left, right");
    }
    if (files_.empty()) throw Error("no sketch/photo pairs to read");
    for (const auto& f : files_) {
        if (config_.classes.empty()) {
            labels_.push_back(0);
            continue;
        }
        const std::string c = sketch_category(f);
        const auto it = std::find(config_.classes.begin(), config_.classes.end(), c);
        if (it == config_.classes.end()) {
            throw Error(f.string() + ": category '" + c + "' is not one of the model's " +
                        std::to_string(config_.classes.size()) + " classes");
        }
        labels_.push_back(it - config_.classes.begin());
    }
}

Example SketchPhotoDataset::get(size_t index, uint64_t seed) const {
    const fs::path& file = files_.at(index);
    cv::Mat sketch, photo;
    if (const auto partner = photo_of_sketch(file)) {
        sketch = read_image_rgb(file);
        photo = read_image_rgb(*partner);
    } else {
        const cv::Mat ab = read_image_rgb(file);
        if (ab.cols < 2) throw Error(file.string() + " is too narrow to be an AB pair");
        auto [left, right] = split_ab(ab);
        const bool right_is_sketch = config_.ab_sketch == "right" || (config_.ab_sketch == "auto" && sketch_is_right_half(ab));
        sketch = right_is_sketch ? right : left;
        photo = right_is_sketch ? left : right;
    }
    const int size = train_ ? config_.load_size : config_.size;
    cv::Mat edge;
    if (config_.edges) edge = resize_square(photo_to_edge_sketch(*config_.edges, photo, 2 * config_.size), size);
    sketch = resize_square(sketch, size);
    photo = resize_square(photo, size);
    const PairAugment augment{config_.load_size, config_.size, config_.flip};
    auto [s, p] = augment_pair(sketch, photo, augment, seed, train_);
    Example ex{image_to_tensor(s), image_to_tensor(p), labels_[index], {}};
    if (!edge.empty()) ex.extra["edges"] = image_to_tensor(augment_pair(edge, photo, augment, seed, train_).first);
    return ex;
}

}  // namespace ganvas
