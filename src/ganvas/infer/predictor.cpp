#include "ganvas/infer/predictor.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/progress.h"
#include "ganvas/data/paired.h"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

namespace ganvas {
namespace fs = std::filesystem;

std::optional<AbHalf> parse_ab_half(const std::string& value, const GanModel& model) {
    if (value.empty()) return std::nullopt;
    if (value == "left") return AbHalf::Left;
    if (value == "right") return AbHalf::Right;
    if (value == "auto") return model.ab_input_is_right() ? AbHalf::Right : AbHalf::Left;
    throw UsageError("--ab: '" + value + "' is not one of auto, left, right");
}

Predictor::Predictor(std::shared_ptr<GanModel> model)
    : model_(std::move(model)), descriptor_(model_descriptor(model_->name())) {}

ImageResult Predictor::run(const ImageRequest& request) {
    const std::string& main = descriptor_.main_input().name;
    const auto found = request.inputs.find(main);
    if (found == request.inputs.end() || found->second.empty()) {
        throw UsageError("input '" + main + "' is required by a " + descriptor_.name + " model");
    }
    cv::Mat main_image = found->second;
    if (request.ab_half) {
        auto [left, right] = split_ab(main_image);
        main_image = *request.ab_half == AbHalf::Left ? left : right;
    }
    const int size = static_cast<int>(model_->input_size());
    InferenceRequest inference;
    inference.parameters = request.parameters;
    inference.seed = request.seed;
    inference.samples = request.samples;
    for (const auto& [name, image] : request.inputs) {
        cv::Mat sized = name == main ? main_image : image;
        if (sized.empty()) throw UsageError("input '" + name + "' is empty");
        if (size > 0 && (sized.rows != size || sized.cols != size)) {
            cv::resize(sized, sized, cv::Size(size, size), 0, 0, cv::INTER_CUBIC);
        }
        inference.inputs[name] = image_to_tensor(sized).unsqueeze(0);
    }
    const InferenceResult result = model_->infer(inference);
    ImageResult out;
    for (const auto& visual : result.outputs) {
        torch::Tensor images = visual.images[0];
        if (request.keep_size && (images.size(1) != main_image.rows || images.size(2) != main_image.cols)) {
            images = model_->to_input_size(images, image_to_tensor(main_image));
        }
        cv::Mat image = tensor_to_image(images);
        out.outputs.emplace_back(visual.name, image);
    }
    return out;
}

namespace {

// The extra input of `job` from `source`: the file itself, or the file under the folder with the
// job's relative path and stem.
fs::path extra_input_for(const fs::path& source, const OutputJob& job, const std::string& name,
                         bool must_exist = true) {
    std::error_code ec;
    if (!fs::is_directory(source, ec)) return source;
    const fs::path folder = source / job.relative.parent_path();
    const std::string stem = job.relative.stem().string();
    if (fs::is_directory(folder, ec)) {
        for (const auto& entry : fs::directory_iterator(folder, ec)) {
            if (entry.path().stem() == stem && has_image_extension(entry.path())) return entry.path();
        }
    }
    if (!must_exist) return {};
    throw Error("--input " + name + "=" + source.string() + ": no image " +
                (job.relative.parent_path() / stem).string() + ".* for " + job.input.string());
}

// The output of variant v (one per file of a folder given for an each-file input).
fs::path variant_path(const fs::path& output, const std::vector<fs::path>& each_files, size_t v) {
    if (each_files.empty()) return output;
    return output.parent_path() /
           (output.stem().string() + "_" + each_files[v].stem().string() + output.extension().string());
}

// One file's failure, naming the file (the image reader's errors already do).
std::string failure_message(const fs::path& input, const std::exception& e) {
    std::string what = exception_text(e);
    if (what.find(input.string()) == std::string::npos) what = input.string() + ": " + what;
    return what;
}

}  // namespace

namespace {

// Rows: the main inputs; columns: the main input, then its output with each file of the folder
// (the files themselves head the columns).
class ContactSheet {
public:
    static constexpr int kSide = 128, kGap = 4, kMaxRows = 24, kMaxColumns = 12;

    ContactSheet(std::vector<fs::path> files) : files_(std::move(files)) {}
    void add(size_t row, size_t column, const cv::Mat& image) {
        if (row >= kMaxRows || column >= kMaxColumns || image.empty()) return;
        if (cells_.size() <= row) cells_.resize(row + 1);
        cells_[row].resize(std::min<size_t>(files_.size(), kMaxColumns) + 1);
        cells_[row][column + 1] = resize_square(image, kSide);
    }
    void set_input(size_t row, const cv::Mat& image) {
        if (row >= kMaxRows) return;
        if (cells_.size() <= row) cells_.resize(row + 1);
        cells_[row].resize(std::min<size_t>(files_.size(), kMaxColumns) + 1);
        cells_[row][0] = resize_square(image, kSide);
    }
    void write(const fs::path& path) const {
        const int columns = static_cast<int>(std::min<size_t>(files_.size(), kMaxColumns)) + 1;
        const int rows = static_cast<int>(cells_.size()) + 1;
        cv::Mat sheet(rows * (kSide + kGap) - kGap, columns * (kSide + kGap) - kGap, CV_8UC3, cv::Scalar::all(255));
        const auto place = [&](int row, int column, const cv::Mat& image) {
            if (!image.empty()) image.copyTo(sheet(cv::Rect(column * (kSide + kGap), row * (kSide + kGap), kSide, kSide)));
        };
        for (int c = 1; c < columns; ++c) {
            try {
                place(0, c, resize_square(read_image_rgb(files_[static_cast<size_t>(c - 1)]), kSide));
            } catch (const Error&) {
                // An unreadable file is already named in the summary; its column stays blank.
            }
        }
        for (size_t r = 0; r < cells_.size(); ++r) {
            for (size_t c = 0; c < cells_[r].size(); ++c) place(static_cast<int>(r) + 1, static_cast<int>(c), cells_[r][c]);
        }
        write_image_rgb(path, sheet);
    }

private:
    std::vector<fs::path> files_;
    std::vector<std::vector<cv::Mat>> cells_;
};

}  // namespace

BatchSummary predict_files(Predictor& predictor, const std::vector<OutputJob>& jobs, const FileRequest& request,
                           const std::string& label) {
    std::error_code ec;
    const ModelDescriptor& d = predictor.descriptor();
    std::string each_name;  // the input whose folder is run file by file
    std::vector<fs::path> each_files;
    for (const auto& [name, source] : request.extra_inputs) {
        if (!fs::exists(source, ec)) throw UsageError("--input " + name + "=" + source.string() + ": no such file or folder");
        const auto spec = std::find_if(d.inputs.begin(), d.inputs.end(), [&](const InputSpec& i) { return i.name == name; });
        if (spec != d.inputs.end() && spec->each_file && fs::is_directory(source, ec)) {
            each_name = name;
            each_files = list_images(source);
            if (each_files.empty()) throw UsageError("--input " + name + "=" + source.string() + ": no images in the folder");
        }
    }
    const std::string& main = d.main_input().name;
    const size_t variants = std::max<size_t>(1, each_files.size());
    std::optional<ContactSheet> sheet;
    if (!each_files.empty() && !request.contact_sheet.empty()) sheet.emplace(each_files);
    if (!request.out_dir.empty()) {
        // Every file this run may write, against every file it reads, before anything is written.
        std::vector<fs::path> outputs, inputs(each_files);
        for (const auto& job : jobs) {
            inputs.push_back(job.input);
            for (const auto& [name, source] : request.extra_inputs) {
                if (name == each_name) continue;
                const fs::path extra = extra_input_for(source, job, name, /*must_exist=*/false);
                if (!extra.empty()) inputs.push_back(extra);
            }
            for (size_t v = 0; v < variants; ++v) {
                for (int64_t k = 0; k < request.image.samples; ++k) {
                    outputs.push_back(sample_path(variant_path(job.output, each_files, v), k, request.image.samples));
                }
            }
        }
        if (sheet) outputs.push_back(request.contact_sheet);
        check_output_paths(outputs, inputs, request.out_dir);
    }
    BatchSummary summary;
    Progress progress(label, static_cast<int64_t>(jobs.size() * variants));
    for (size_t i = 0; i < jobs.size(); ++i) {
        const OutputJob& job = jobs[i];
        ImageRequest image = request.image;
        try {
            image.inputs[main] = read_image_rgb(job.input);
            for (const auto& [name, source] : request.extra_inputs) {
                if (name != each_name) image.inputs[name] = read_image_rgb(extra_input_for(source, job, name));
            }
        } catch (const UsageError&) {
            throw;
        } catch (const std::exception& e) {
            summary.failures.push_back(failure_message(job.input, e));
            spdlog::error("{}", summary.failures.back());
            progress.update(static_cast<int64_t>((i + 1) * variants));
            continue;
        }
        if (sheet) sheet->set_input(i, image.inputs[main]);
        for (size_t v = 0; v < variants; ++v) {
            try {
                const fs::path output = variant_path(job.output, each_files, v);
                if (!each_files.empty()) image.inputs[each_name] = read_image_rgb(each_files[v]);
                const ImageResult result = predictor.run(image);
                for (int64_t k = 0; k < image.samples; ++k) {
                    write_image_rgb(sample_path(output, k, image.samples), result.outputs[static_cast<size_t>(k)].second);
                    ++summary.written;
                }
                if (sheet) sheet->add(i, v, result.outputs.front().second);
            } catch (const UsageError&) {
                throw;  // the request itself is wrong: every file would fail the same way
            } catch (const std::exception& e) {
                // Any failure of one file (a decoder's, LibTorch's, memory) is that file's alone.
                summary.failures.push_back(failure_message(job.input, e));
                spdlog::error("{}", summary.failures.back());
            }
            progress.update(static_cast<int64_t>(i * variants + v + 1));
        }
    }
    progress.finish();
    if (sheet) {
        sheet->write(request.contact_sheet);
        spdlog::info("contact sheet: {}", request.contact_sheet.string());
    }
    return summary;
}

}  // namespace ganvas
